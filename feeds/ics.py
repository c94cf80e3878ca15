"""Rendering calendars (lịch .ics, RFC 5545 / RFC 7986). Pure: no I/O, no clock — `today` is a parameter.

What a calendar holds (`render_calendar(..., todo=False)`, the event calendar):
- a *once* task: one all-day VEVENT (`DTSTART;VALUE=DATE`, exclusive `DTEND` the next day) on the deadline in
  force — the due date as written, or the approved extension (gia hạn). The working-day shift (Art. 148(5))
  does not move the event: the description gives the effective deadline when it differs;
- a *recurring* task: one VEVENT with an Outlook-safe RRULE (`outlook_rrule`: quarterly and half-yearly as
  `FREQ=MONTHLY;INTERVAL=3|6` from a period-end DTSTART, `UNTIL` when the plan has an end), plus one override
  (`RECURRENCE-ID`) per occurrence that moved (extension), differs (done → "✅", progress, awaiting
  confirmation) or that the service lists (the periods of the last year, the next period), and an EXDATE for
  each period done more than `keep_done_days` ago. A rule no template of MS-OXCICAL can carry (e.g. "ngày 30
  hằng tháng", which RFC 5545 writes with BYSETPOS) is written as one plain VEVENT per period instead
  (`<key>-<date>@<domain>`), from the periods the service gives up to a year ahead;
- a *continuous* task ("Thường xuyên") has no date, so no VEVENT: it appears only in the VTODO calendar;
- done occurrences stay `keep_done_days` after their completion with "✅" in the summary, then disappear;
  removed tasks are never given to the renderer.

The VTODO calendar (`todo=True`, for Thunderbird and other task lists) has one VTODO per occurrence shown
(DUE;VALUE=DATE, STATUS, PERCENT-COMPLETE, COMPLETED), continuous tasks included.

No METHOD and no ORGANIZER: a feed is a published calendar, not an iTIP message (libical's restriction
check passes). Alarms only where they can still ring: none on a component whose alarm day is before `today`;
a recurring master keeps its VALARM only while a period's alarm is ahead, with `ACKNOWLEDGED` (RFC 9074) and
Thunderbird's `X-MOZ-LASTACK` at the last alarm already past, so clients do not replay old periods' alarms.

Texts do not go stale: nothing in a component depends on `today` except whether it is shown at all and its
alarms. The description states the deadline and what happened (done on time or late, awaiting confirmation,
progress, extension); "due soon" and "overdue" are left to the client, which sees the date (VTODO clients
compute overdue from DUE). So SEQUENCE and LAST-MODIFIED change exactly when the text does.

Stability: the same input gives byte-identical output. DTSTAMP = LAST-MODIFIED = the last change of the data
behind the component (never the time of rendering); UIDs are derived from task keys (`<key>@<domain>` for
events, `<key>-<occurrence>@<domain>` for to-dos); SEQUENCE is the task's sequence, plus the occurrence's for
an occurrence's own component; both only grow. Every value is a DATE or a UTC DATE-TIME, so no VTIMEZONE is
needed; an empty calendar carries the VTIMEZONE of `tzid` so it still has the one component RFC 5545
requires. Lines are folded at 75 octets between characters, never inside a UTF-8 sequence or an escape;
text is NFC-normalised so a Vietnamese letter is one character.

Components are written by hand (values, escaping and folding in feeds.rfc5545), not through icalendar's
object model: a province's feed has 100,000 events and icalendar costs about half a millisecond each. The
tests read every output back with icalendar, vobject, recurring-ical-events and libical.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator
from urllib.parse import quote

from feeds.rfc5545 import fold, outlook_rrule
from feeds.rfc5545 import date_value as _d
from feeds.rfc5545 import duration_value as _duration
from feeds.rfc5545 import escape_text as _esc
from feeds.rfc5545 import utc_value as _dt
from feeds.ics_model import (  # noqa: F401 - what a calendar is made of; callers import it from here
    AlarmSpec, CalendarMeta, OccurrenceEntry, ProgressEntry, TaskEntry, _Options,
)
from feeds.ics_text import _description, _fmt, _nfc, _summary, _t

PRODID = "-//dondoc//dondoc calendar feeds//VI"
# Bump when the output format changes, so feed ETags change with it.
RENDER_VERSION = "2"
REFRESH = timedelta(hours=1)
EXPAND_AHEAD_DAYS = 366  # periods written one by one (rules Outlook cannot read) this far ahead


def uid_for(task_key: str, occurrence_key: str | None = None, domain: str = "dondoc") -> str:
    """Stable UID: `<key>@<domain>` (events), `<key>-<occurrence>@<domain>` (to-dos, periods written one by
    one); odd characters %-escaped. The domain keeps two deployments' tasks apart in one calendar app."""
    safe = task_key.replace("/", "%2F") if _PLAIN_KEY(task_key) else quote(_nfc(task_key), safe="-._~")
    if occurrence_key is None:
        return f"{safe}@{domain}"
    occ = occurrence_key if _PLAIN_KEY(occurrence_key) and "/" not in occurrence_key else \
        quote(occurrence_key, safe="-._~")
    return f"{safe}-{occ}@{domain}"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9._~/-]+").fullmatch  # keys that need no escaping but "/" → "%2F"


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime given to the calendar renderer; pass an aware datetime")
    return dt.astimezone(timezone.utc).replace(microsecond=0)


def _stamp(*values: datetime | None) -> datetime:
    return _utc(max(v for v in values if v is not None))


def _dues(task: TaskEntry, since: date, until: date) -> list[date]:
    """The due dates of a recurring task in [since, until] (dateutil reads the rule as RFC 5545 does)."""
    from dateutil.rrule import rrulestr

    end = min(until, task.until) if task.until else until
    if end < since:
        return []
    out: set[date] = set()
    for r in task.rrules or (task.rrule,):
        rule = rrulestr(r, dtstart=datetime.combine(task.start, time(0)))
        out.update(d.date() for d in rule.between(datetime.combine(since, time(0)), datetime.combine(end, time(0)),
                                                   inc=True))
    return sorted(out)


# -- components ------------------------------------------------------------------------------------------

def _finished_long_ago(o: OccurrenceEntry, today: date, keep_done_days: int) -> bool:
    if o.state != "done":
        return False
    done_on = o.completed_on or (o.updated_at.date() if o.updated_at else None)
    return done_on is not None and (today - done_on).days > keep_done_days


@functools.lru_cache(maxsize=16)
def _trigger_line(alarm: AlarmSpec, related_end: bool) -> bytes:
    return f"TRIGGER{';RELATED=END' if related_end else ''}:{_duration(alarm.trigger())}\r\n".encode()


@functools.lru_cache(maxsize=16)
def _alarm_head(lang: str) -> bytes:
    # The alarm's text is the same for every event: calendar apps show the event's own summary next to it,
    # and a feed of 100,000 events saves a shortened, escaped and folded copy of each summary.
    return b"BEGIN:VALARM\r\nACTION:DISPLAY\r\n" + fold(f"DESCRIPTION:{_esc(_t(lang)['alarm'])}")


def _valarm(out: list[bytes], alarm: AlarmSpec, summary: str, t: dict, *, related_end: bool = False,
            acknowledged: datetime | None = None) -> None:
    out.append(_alarm_head(t["lang"]))
    out.append(_trigger_line(alarm, related_end))
    if acknowledged is not None:
        out.append(f"ACKNOWLEDGED:{_dt(acknowledged)}\r\n".encode())
    out.append(b"END:VALARM\r\n")


def _alarm_ahead(alarm: AlarmSpec | None, due: date | None, today: date) -> bool:
    return alarm is not None and due is not None and alarm.day(due) >= today


def _alarm_instant(alarm: AlarmSpec, due: date, tz) -> datetime:
    return _utc(datetime.combine(due, time(0), tzinfo=tz) + alarm.trigger())


def _event(task: TaskEntry, o: OccurrenceEntry | None, opt: _Options, *, exdates: Iterable[date] = (),
           rule: str | None = None, recurrence_id: bool = False, own_uid: bool = False) -> bytes:
    """One VEVENT: the master of a recurring task (`o` None, `rule` its RRULE), an override of one period
    (`recurrence_id`), a once task, or a period written on its own (`own_uid`)."""
    t = _t(opt.lang)
    summary = _summary(task, o, t)
    uid = uid_for(task.key, o.key if own_uid and o is not None else None, opt.domain)
    out = [b"BEGIN:VEVENT\r\n", fold(f"UID:{uid}")]
    acknowledged = None
    if o is None:
        day, seq, stamp = task.start, task.sequence, _stamp(task.updated_at)
        out.append(f"RRULE:{rule}\r\n".encode())
        ex = sorted(exdates)
        if ex:
            out.append(fold("EXDATE;VALUE=DATE:" + ",".join(_d(d) for d in ex)))
        ring = False
        if opt.alarm is not None:
            from zoneinfo import ZoneInfo

            # Alarms of periods ahead ring; those of periods past are acknowledged up to the last one.
            ahead = _dues(task, opt.today, opt.today + timedelta(days=opt.alarm.days_before + 400))
            ring = any(_alarm_ahead(opt.alarm, d, opt.today) for d in ahead)
            past = [d for d in _dues(task, task.start, opt.today + timedelta(days=opt.alarm.days_before + 1))
                    if opt.alarm.day(d) < opt.today][-1:]
            if ring and past:
                acknowledged = _alarm_instant(opt.alarm, past[0], ZoneInfo(opt.tzid))
    else:
        day = o.in_force
        seq = task.sequence + (o.sequence if task.kind == "recurring" else 0)
        stamp = _stamp(task.updated_at, o.updated_at, o.progress.at if o.progress else None)
        if recurrence_id:
            out.append(f"RECURRENCE-ID;VALUE=DATE:{_d(o.due)}\r\n".encode())
        ring = o.state != "done" and _alarm_ahead(opt.alarm, o.in_force, opt.today)
    s = _dt(stamp)
    out.append(f"DTSTAMP:{s}\r\nLAST-MODIFIED:{s}\r\nSEQUENCE:{seq}\r\n"
               f"DTSTART;VALUE=DATE:{_d(day)}\r\nDTEND;VALUE=DATE:{_d(day + timedelta(days=1))}\r\n".encode())
    out.append(fold(f"SUMMARY:{_esc(summary)}"))
    out.append(fold(f"DESCRIPTION:{_esc(_description(task, o, opt, t))}"))
    if task.url:
        out.append(fold(f"URL;VALUE=URI:{task.url}"))
    out.append(b"TRANSP:TRANSPARENT\r\n")  # a deadline does not make anyone busy
    if acknowledged is not None:
        out.append(f"X-MOZ-LASTACK:{_dt(acknowledged)}\r\n".encode())
    if ring:
        _valarm(out, opt.alarm, summary, t, acknowledged=acknowledged)
    out.append(b"END:VEVENT\r\n")
    return b"".join(out)


def _once_event(task: TaskEntry, o: OccurrenceEntry, opt: _Options) -> bytes:
    """`_event` for a once task — most of a feed — with nothing it does not need."""
    uid = uid_for(task.key, None, opt.domain)
    if len(uid) > 70:  # a UID longer than a line (a very long key): the general path folds it
        return _event(task, o, opt)
    t = _t(opt.lang)
    summary = _summary(task, o, t)
    stamp = task.updated_at
    if o.updated_at is not None and o.updated_at > stamp:
        stamp = o.updated_at
    if o.progress is not None and o.progress.at > stamp:
        stamp = o.progress.at
    s = _dt(stamp if stamp.tzinfo is timezone.utc else stamp.astimezone(timezone.utc))  # seconds: no rounding
    day = o.in_force
    out = [f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{s}\r\nLAST-MODIFIED:{s}\r\n"
           f"SEQUENCE:{task.sequence}\r\n{_all_day(day)}".encode(),
           fold(f"SUMMARY:{_esc(summary)}"), fold(f"DESCRIPTION:{_esc(_description(task, o, opt, t))}")]
    if task.url:
        out.append(fold(f"URL;VALUE=URI:{task.url}"))
    out.append(b"TRANSP:TRANSPARENT\r\n")
    if opt.alarm_from is not None and o.state != "done" and day >= opt.alarm_from:
        out.append(_alarm_head(opt.lang))
        out.append(_trigger_line(opt.alarm, False))
        out.append(b"END:VALARM\r\n")
    out.append(b"END:VEVENT\r\n")
    return b"".join(out)


@functools.lru_cache(maxsize=4096)
def _all_day(day: date) -> str:
    """DTSTART and the exclusive DTEND of an all-day component on `day` (a feed's events share a few hundred)."""
    return f"DTSTART;VALUE=DATE:{_d(day)}\r\nDTEND;VALUE=DATE:{_d(day + _ONE_DAY)}\r\n"


_ONE_DAY = timedelta(days=1)


def _completed_at(o: OccurrenceEntry, tz) -> datetime:
    """COMPLETED (UTC date-time) for a date-only completion: the change that recorded it when it was that
    day, else the end of that working day (17:00 local)."""
    if o.updated_at is not None and o.updated_at.astimezone(tz).date() == o.completed_on:
        return _utc(o.updated_at)
    return _utc(datetime.combine(o.completed_on, time(17, 0), tzinfo=tz))


def _todo(task: TaskEntry, o: OccurrenceEntry, opt: _Options, tz) -> bytes:
    t = _t(opt.lang)
    summary = _summary(task, o, t)
    if task.kind == "recurring":
        summary += f" ({_fmt(o.in_force)})"  # to-do lists show no date column by default
    stamp = _dt(_stamp(task.updated_at, o.updated_at, o.progress.at if o.progress else None))
    out = [b"BEGIN:VTODO\r\n", fold(f"UID:{uid_for(task.key, o.key, opt.domain)}"),
           f"DTSTAMP:{stamp}\r\nLAST-MODIFIED:{stamp}\r\nSEQUENCE:{task.sequence + o.sequence}\r\n".encode(),
           fold(f"SUMMARY:{_esc(summary)}"), fold(f"DESCRIPTION:{_esc(_description(task, o, opt, t))}")]
    if task.url:
        out.append(fold(f"URL;VALUE=URI:{task.url}"))
    if o.in_force is not None:
        out.append(f"DUE;VALUE=DATE:{_d(o.in_force)}\r\n".encode())
    percent = o.progress.percent if o.progress and o.progress.percent is not None else None
    if o.state == "done":
        out.append(b"STATUS:COMPLETED\r\nPERCENT-COMPLETE:100\r\n")
        if o.completed_on is not None:
            out.append(f"COMPLETED:{_dt(_completed_at(o, tz))}\r\n".encode())
    else:
        started = o.state == "pending_confirmation" or (percent or 0) > 0 or o.progress is not None
        pc = min(percent or 0, 99) if o.state != "pending_confirmation" else 100
        out.append(f"STATUS:{'IN-PROCESS' if started else 'NEEDS-ACTION'}\r\nPERCENT-COMPLETE:{pc}\r\n".encode())
        if _alarm_ahead(opt.alarm, o.in_force, opt.today):
            _valarm(out, opt.alarm, summary, t, related_end=True)
    out.append(b"END:VTODO\r\n")
    return b"".join(out)


# -- the calendar ----------------------------------------------------------------------------------------

def calendar_head(meta: CalendarMeta) -> bytes:
    """BEGIN:VCALENDAR and the calendar's own properties. No METHOD: a published calendar, not iTIP."""
    out = [b"BEGIN:VCALENDAR\r\n", f"PRODID:{PRODID}\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n".encode(),
           fold(f"NAME:{_esc(_nfc(meta.name))}"), fold(f"X-WR-CALNAME:{_esc(_nfc(meta.name))}")]
    if meta.description:
        out += [fold(f"DESCRIPTION:{_esc(_nfc(meta.description))}"),
                fold(f"X-WR-CALDESC:{_esc(_nfc(meta.description))}")]
    out.append(f"REFRESH-INTERVAL;VALUE=DURATION:{_duration(REFRESH)}\r\nX-PUBLISHED-TTL:PT1H\r\n".encode())
    for k, v in sorted(meta.extra.items()):
        out.append(fold(f"{k.upper()}:{_esc(str(v))}"))
    return b"".join(out)


def calendar_tail(meta: CalendarMeta, empty: bool) -> bytes:
    """END:VCALENDAR, after the VTIMEZONE of `meta.tzid` when the calendar has no other component (RFC 5545
    wants at least one)."""
    return (_timezones([meta.tzid]) if empty else b"") + b"END:VCALENDAR\r\n"


@functools.lru_cache(maxsize=8)
def _timezones_cached(tzids: tuple[str, ...]) -> bytes:
    from icalendar import Timezone

    out = []
    for z in tzids:
        tz = Timezone.from_tzid(z, first_date=date(2000, 1, 1), last_date=date(2038, 1, 1))
        tz.pop("COMMENT", None)  # RFC 5545's VTIMEZONE has no COMMENT; libical's restriction check refuses it
        out.append(tz.to_ical())
    return b"".join(out)


def _timezones(tzids) -> bytes:
    """VTIMEZONE blocks for `tzids`, byte-stable (fixed first and last dates)."""
    return _timezones_cached(tuple(sorted(set(tzids))))


_TZID_RE = re.compile(rb";TZID=([^:;\r\n]+)")


def assemble(meta: CalendarMeta, chunks: list[bytes]) -> bytes:
    """The VCALENDAR around already serialised components (in order), with a VTIMEZONE for every TZID they
    use; an empty calendar gets the VTIMEZONE of `meta.tzid`, the one component RFC 5545 requires."""
    tzids = {m.decode("utf-8") for c in chunks for m in _TZID_RE.findall(c)} if chunks else {meta.tzid}
    return calendar_head(meta) + _timezones(tzids) + b"".join(chunks) + b"END:VCALENDAR\r\n"


def options(meta: CalendarMeta, *, today: date, keep_done_days: int = 30, due_soon_days: int = 3,
            alarm: AlarmSpec | None = None, todo: bool = False) -> _Options:
    alarm_from = today - alarm._day_shift() if alarm is not None else None
    return _Options(meta.lang, today, keep_done_days, due_soon_days, alarm, todo, meta.tzid, meta.uid_domain,
                    alarm_from)


def task_components(task: TaskEntry, opt: _Options) -> list[tuple[tuple, bytes]]:
    """(sort key, serialised components) of one task."""
    visible = [o for o in task.occurrences if not _finished_long_ago(o, opt.today, opt.keep_done_days)]
    if task.until is not None:
        visible = [o for o in visible if o.due is None or o.due <= task.until]
    out: list[tuple[tuple, bytes]] = []
    if opt.todo:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(opt.tzid)
        for o in visible:
            if task.kind != "continuous" and o.in_force is None:
                continue
            out.append(((o.in_force or date.max, task.key, o.key), _todo(task, o, opt, tz)))
    elif task.kind == "once":
        for o in visible[:1]:
            if o.in_force is not None:
                out.append(((o.in_force, task.key, ""), _once_event(task, o, opt)))
    elif task.kind == "recurring" and task.rrule and task.start:
        # Several schedules (e.g. a monthly report and a yearly one) are one series of periods with one state
        # each: written period by period, like a rule Outlook cannot read.
        rule = outlook_rrule(task.rrule, task.start, task.until) if len(set(task.rrules)) <= 1 else None
        if rule is None:
            # Written one by one: the periods the service gives, and every period up to a year ahead.
            have = {o.due for o in task.occurrences if o.due is not None}
            extra = [OccurrenceEntry(d.isoformat(), d, d, d) for d in
                     _dues(task, opt.today, opt.today + timedelta(days=EXPAND_AHEAD_DAYS)) if d not in have]
            for o in sorted(visible + extra, key=lambda o: o.due or date.min):
                if o.due is not None and o.in_force is not None:
                    out.append(((o.in_force, task.key, o.key), _event(task, o, opt, own_uid=True)))
        elif task.until is None or task.until >= task.start:
            hidden = sorted({o.due for o in task.occurrences
                             if o.due and _finished_long_ago(o, opt.today, opt.keep_done_days)})
            comps = [_event(task, None, opt, exdates=hidden, rule=rule)]
            comps += [_event(task, o, opt, recurrence_id=True)
                      for o in sorted(visible, key=lambda o: o.due or date.min)
                      if o.due is not None and o.in_force is not None]
            out.append(((task.start, task.key, ""), b"".join(comps)))
    # continuous: no date, no event (see the module docstring)
    return out


def iter_components(tasks: Iterable[TaskEntry], opt: _Options) -> Iterator[bytes]:
    """The components of `tasks`, task by task in the order given (the service streams them by task)."""
    for task in tasks:
        for _key, chunk in task_components(task, opt):
            yield chunk


def render_calendar(tasks, *, meta: CalendarMeta, today: date, keep_done_days: int = 30, due_soon_days: int = 3,
                    alarm: AlarmSpec | None = None, todo: bool = False) -> bytes:
    """The calendar of `tasks` (TaskEntry) as RFC 5545 bytes (CRLF, folded, UTF-8), components sorted by date.

    `today` (local date) decides which done occurrences are still shown and which alarms can still ring.
    `todo=True` gives the VTODO calendar instead of the event calendar.
    """
    opt = options(meta, today=today, keep_done_days=keep_done_days, due_soon_days=due_soon_days, alarm=alarm,
                  todo=todo)
    chunks = [c for task in tasks for c in task_components(task, opt)]
    chunks.sort(key=lambda c: c[0])
    return calendar_head(meta) + b"".join(b for _, b in chunks) + calendar_tail(meta, empty=not chunks)
