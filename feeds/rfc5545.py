"""RFC 5545 text, written by hand: values (DATE, UTC DATE-TIME, DURATION, escaped TEXT), content lines folded at
75 octets, and RRULEs rewritten into the forms Outlook maps (MS-OXCICAL 2.1.3.2.2). Pure.

A province's feed has 100,000 events; icalendar's object model costs about half a millisecond for each, so
feeds.ics writes its components with these (the tests read every output back with icalendar, vobject,
recurring-ical-events and libical).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

CRLF = b"\r\n"


def date_value(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def utc_value(dt: datetime) -> str:
    return f"{dt.year:04d}{dt.month:02d}{dt.day:02d}T{dt.hour:02d}{dt.minute:02d}{dt.second:02d}Z"


def escape_text(s: str) -> str:
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def duration_value(td: timedelta) -> str:
    secs = int(td.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    days, rest = divmod(secs, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    out = f"{sign}P{days}D" if days else f"{sign}P"
    if h or m or s:
        out += "T" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
    return out if out not in ("P", "-P") else "PT0S"


def fold(line: str) -> bytes:
    """One content line, folded at 75 octets: never inside a UTF-8 sequence, never between a backslash and the
    character it escapes. Ends in CRLF."""
    b = line.encode("utf-8")
    n = len(b)
    if n <= 75:
        return b + CRLF
    parts = []
    i, limit = 0, 75
    while n - i > limit:
        cut = i + limit
        while b[cut] & 0xC0 == 0x80:  # a continuation byte: step back to the character's first byte
            cut -= 1
        if b[cut - 1] == 0x5C:  # a backslash just before the cut: keep "\x" whole if it opens an escape
            k, run = cut - 1, 0
            while k >= i and b[k] == 0x5C:
                run, k = run + 1, k - 1
            if run % 2:
                cut -= 1
        parts.append(b[i:cut])
        i, limit = cut, 74  # continuation lines start with a space
    parts.append(b[i:])
    return b"\r\n ".join(parts) + CRLF


# -- rules Outlook reads ----------------------------------------------------------------------------------

def outlook_rrule(rrule: str, start: date, until: date | None = None) -> str | None:
    """`rrule` (from the deadline grammar) rewritten into a form one of MS-OXCICAL's templates maps, with the
    same dates from DTSTART `start` — or None when there is none (then the periods are written one by one).

    Outlook maps monthly rules only without BYMONTH: a rule on evenly spaced months (quarterly 3,6,9,12;
    half-yearly 6,12; 1,4,7,10) becomes `FREQ=MONTHLY;INTERVAL=<spacing>` from a DTSTART in one of them.
    BYSETPOS with BYMONTHDAY (a day 29–31 that must also fall in short months), several BYMONTHDAY values
    and BYMONTH lists elsewhere fit no template."""
    try:
        parts = dict(p.split("=", 1) for p in rrule.upper().split(";") if p)
    except ValueError:
        return None
    freq = parts.pop("FREQ", None)
    if "BYSETPOS" in parts or "COUNT" in parts or "UNTIL" in parts or "," in parts.get("BYMONTHDAY", ""):
        return None
    interval = int(parts.pop("INTERVAL", "1") or 1)
    out = [f"FREQ={freq}"]
    if freq == "MONTHLY" and "BYMONTH" in parts:
        try:
            months = sorted({int(m) for m in parts.pop("BYMONTH").split(",")})
        except ValueError:
            return None
        step = 12 // len(months)
        if interval != 1 or 12 % len(months) or start.month not in months:
            return None
        if any(b - a != step for a, b in zip(months, months[1:])) or months[0] + 12 - months[-1] != step:
            return None
        interval = step
    if freq == "MONTHLY" and set(parts) <= {"BYMONTHDAY"}:
        out += [f"BYMONTHDAY={parts['BYMONTHDAY']}"] if "BYMONTHDAY" in parts else []
    elif freq == "YEARLY" and set(parts) <= {"BYMONTH", "BYMONTHDAY"} and "," not in parts.get("BYMONTH", ""):
        out += [f"{k}={parts[k]}" for k in ("BYMONTH", "BYMONTHDAY") if k in parts]
    elif freq == "WEEKLY" and set(parts) <= {"BYDAY"} and all(
            re.fullmatch(r"(SU|MO|TU|WE|TH|FR|SA)", d) for d in parts.get("BYDAY", "MO").split(",")):
        out += [f"BYDAY={parts['BYDAY']}"] if "BYDAY" in parts else []
    elif freq == "DAILY" and not parts:
        pass
    else:
        return None
    if interval != 1:
        out.append(f"INTERVAL={interval}")
    if until is not None:
        out.append(f"UNTIL={date_value(until)}")  # a DATE, like DTSTART (RFC 5545 3.3.10)
    return ";".join(out)
