"""Task rows → the tasks they stand for (pure: the directory, the calendar and the dates are parameters).

A lead that is a group ("Các sở, ban, ngành") or lists several agencies becomes one task per agency,
keyed `<key>-<agency code>`. A group that expands to nobody is an error (unless empty groups are
allowed), like an unknown agency. Deadlines are read with the deadline grammar from the directive's issue
date; a plan's end (`until`) bounds a recurring deadline (its RRULE gets an UNTIL).
"""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar
import re
import unicodedata
from datetime import date
from typing import Any

from core.i18n import _
from intake.model import COLUMNS, Collector, RowFields
from intake.table import parse_date
from core.deadline import DeadlineError, parse_deadline
from core.urgent import parse_urgent, urgent_dict
from storage.agencies import AgencyDirectory, UnknownAgency, normalize

# Where the person importing is, so a problem says what to do there: "cli" (the options of `dondoc import`) or
# "web" (the console's upload form). Set by the caller around an import (web/registry_adapter.py).
ADVICE: ContextVar[str] = ContextVar("dondoc_import_advice", default="cli")

__all__ = ["KEY_MAX", "derive_key", "plan_end_from_subject", "slugify", "tasks_of_row"]

KEY_MAX = 200


def slugify(text: str) -> str:
    """ASCII, lower case, '-' between words: "337/QĐ-UBND" → "337-qd-ubnd"."""
    s = unicodedata.normalize("NFD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def derive_key(document: str | None, stt: str, source_name: str) -> str:
    """The key of a row without `Mã`: directive number (or the file name) + STT."""
    return f"{slugify(document) if document else slugify(source_name)}-{slugify(stt)}"


_PERIOD = re.compile(r"giai\s+đoạn\s+(\d{4})\s*[-–—]\s*(\d{4})|(?:đến|tới)\s+năm\s+(\d{4})", re.IGNORECASE)


def plan_end_from_subject(subject: str | None) -> date | None:
    """"… giai đoạn 2011–2015" → 31/12/2015; "… đến năm 2030" → 31/12/2030; otherwise None."""
    if not subject:
        return None
    m = _PERIOD.search(unicodedata.normalize("NFC", subject))
    if not m:
        return None
    year = int(m[2] or m[3])
    return date(year, 12, 31) if 1900 <= year <= 2199 else None


def _bounded(deadline, until: date | None):
    if until is None or deadline.kind != "recurring" or "UNTIL=" in (deadline.rrule or ""):
        return deadline
    return dataclasses.replace(deadline, rrule=f"{deadline.rrule};UNTIL={until:%Y%m%d}T235959")


def _is_name_of(directory: AgencyDirectory, code: str, text: str) -> bool:
    a = directory.get(code)
    if a is None:
        return False
    want = normalize(text)
    return text.strip() == code or any(normalize(n) == want for n in (a.name, *a.aliases))


def tasks_of_row(r: RowFields, base: str, on: date | None, directory: AgencyDirectory, calendar,
                 c: Collector, *, plan_end: date | None = None, allow_empty_groups: bool = False,
                 urgent_workdays: int = 5) -> list[dict[str, Any]]:
    v = r.values
    ok = True

    def need(fld: str, what: str) -> str:
        nonlocal ok
        text = v.get(fld) or ""
        if not text:
            c.error(*r.where(fld), _("empty: {what}", what=what))
            ok = False
        return text

    content = need("content", _("what is the task?"))
    lead_text = need("lead", _("which agency leads this task?"))
    deadline_text = need("deadline", _("when is it due? (e.g. \"trước ngày 14/6/2018\", \"Quý III/2013\", "
                                       "\"Thường xuyên\")"))
    key_text = v.get("key") or ""
    stt = v.get("stt") or ""
    if not key_text and not stt:
        c.error(*r.where("stt"), _("empty: the task needs a {key!r} or an {stt!r} to make its key",
                                   key=COLUMNS["key"], stt=COLUMNS["stt"]))
        ok = False

    def empty_group_message(group: str) -> str:
        if ADVICE.get() == "web":
            return _("the group {group!r} has no members in the agency directory; choose the agencies file that "
                     "lists them (the field \"Agencies file\" above) and check again", group=group)
        return _("the group {group!r} has no members in the agency directory; list them in AGENCIES_FILE or "
                 "pass --agencies FILE (or --allow-empty-groups to skip it)", group=group)

    lead_codes: tuple[str, ...] = ()
    expand = False
    if lead_text:
        try:
            m = directory.match(lead_text, on)
        except UnknownAgency as e:
            c.error(*r.where("lead"), _unknown(e))
            ok = False
        else:
            for w in m.warnings:
                if not any(g in w for g in m.empty_groups):
                    c.warn(*r.where("lead"), w)
            if m.empty_groups and not allow_empty_groups:
                for g in m.empty_groups:
                    c.error(*r.where("lead"), empty_group_message(g))
                ok = False
            elif m.empty_groups:
                for g in m.empty_groups:
                    c.warn(*r.where("lead"), _("the group {group!r} has no members: skipped", group=g))
            if ok and not m.codes and not m.empty_groups:
                c.error(*r.where("lead"), _("{text!r} names no agency that can lead a task", text=lead_text))
                ok = False
            elif m.codes and m.notes:
                c.error(*r.where("lead"), _("{note!r} is not an agency; name the lead agency", note=m.notes[0]))
                ok = False
            lead_codes = m.codes
            expand = m.is_group or len(m.codes) > 1

    coordinators: list[str] = []
    notes: list[str] = []
    raw_coord = v.get("coordinators") or []
    for text in ([raw_coord] if isinstance(raw_coord, str) else raw_coord):
        if not text:
            continue
        try:
            m = directory.match(text, on)
        except UnknownAgency as e:
            c.error(*r.where("coordinators"), _unknown(e))
            ok = False
            continue
        for w in m.warnings:
            c.warn(*r.where("coordinators"), w)
        coordinators.extend(x for x in m.codes if x not in coordinators)
        notes.extend(m.notes + m.empty_groups)

    report_to = v.get("report_to") or None
    if report_to:
        try:
            m = directory.match(report_to, on)
            # Only a text that is exactly one agency's name becomes its code; anything more
            # ("UBND tỉnh, Chủ tịch UBND tỉnh", "UBND tỉnh (qua Sở Nội vụ)") is kept as written.
            if len(m.codes) == 1 and not m.is_group and not m.notes and _is_name_of(directory, m.codes[0], report_to):
                report_to = m.codes[0]
        except (UnknownAgency, ValueError):
            pass

    until = None
    if v.get("until"):
        until = parse_date(v["until"])
        if until is None:
            c.error(*r.where("until"), _("{text!r} is not a date (dd/mm/yyyy)", text=v["until"]))
            ok = False

    deadline = None
    stored = None
    if deadline_text:
        if on is None:
            ok = False  # reported once for the directive
        elif (urgent := parse_urgent(deadline_text, on, calendar, urgent_workdays)) is not None:
            deadline, stored = urgent, urgent_dict(urgent)
        else:
            try:
                deadline = parse_deadline(deadline_text, on, calendar) if calendar is not None else \
                    parse_deadline(deadline_text, on)
            except DeadlineError as e:
                c.error(*r.where("deadline"), _("cannot read the deadline: {reason}", reason=str(e)))
                ok = False
            else:
                deadline = _bounded(deadline, until or plan_end)
                _warn_yearless(deadline, on, c, r)

    if key_text and len(key_text) > KEY_MAX - 40:
        c.error(*r.where("key"), _("key longer than {n} characters", n=KEY_MAX - 40))
        ok = False
    if not ok or deadline is None:
        return []

    out = []
    for code in lead_codes:
        out.append(dict(
            key=f"{base}-{code}" if expand else base,
            document=r.document,
            stt=stt or None,
            section=v.get("section") or None,
            content=content,
            product=v.get("product") or None,
            lead_agency=code,
            coordinators=[x for x in coordinators if x != code],
            coordinators_note="; ".join(dict.fromkeys(notes)) or None,
            report_to=report_to,
            assignee_text=lead_text if expand else None,
            deadline_text=deadline_text,
            deadline=stored or deadline.to_dict(),
            deadline_kind=deadline.kind,
            # the column holds a one-off's date only ("Thường xuyên trong năm 2027" keeps its bound in `deadline`)
            due=deadline.due if deadline.kind == "once" else None,
        ))
    return out


# "14/6", "ngày 14/6", "14-6" with no year after it
_YEARLESS = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})(?![\d]|[/.-]\d)")


def _warn_yearless(deadline, on: date, c: Collector, r: RowFields) -> None:
    """A date without a year is read as its first occurrence after the issue date; more than six months
    later, that is probably not what was meant: say which year was chosen."""
    if deadline.kind != "once" or deadline.due is None or not _YEARLESS.search(deadline.matched or ""):
        return
    if (deadline.due - on).days > 183:
        c.warn(*r.where("deadline"), _("{text!r} has no year: read as {date}, the first after the issue date "
                                       "{issued}; write the year if another was meant", text=deadline.matched,
                                       date=f"{deadline.due:%d/%m/%Y}", issued=f"{on:%d/%m/%Y}"))


def _unknown(e: UnknownAgency) -> str:
    if e.suggestions:
        return _("unknown agency {text!r}; did you mean: {names}?", text=e.text, names=", ".join(e.suggestions))
    if ADVICE.get() == "web":
        return _("unknown agency {text!r} (not in the agency directory; add it to the agencies file, choose that "
                 "file in the field \"Agencies file\" above and check again)", text=e.text)
    return _("unknown agency {text!r} (not in the agency directory; add it to AGENCIES_FILE or pass --agencies "
             "FILE)", text=e.text)
