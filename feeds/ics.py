"""Rendering calendars (lịch .ics, RFC 5545 / RFC 7986). Pure: no I/O, no clock — `today` is a parameter.

What a calendar holds (`render_calendar(..., todo=False)`, the event calendar):
- a *once* task: one all-day VEVENT (`DTSTART;VALUE=DATE`, exclusive `DTEND` the next day) on the deadline in
  force — the due date as written, or the approved extension (gia hạn). The working-day shift (Art. 148(5))
  does not move the event: the description gives the effective deadline when it differs;
- a *recurring* task: one VEVENT with the deadline's RRULE (DTSTART its first due date), plus one override
  (`RECURRENCE-ID`) per occurrence that moved (extension), differs (done → "✅", progress, awaiting
  confirmation) or whose status matters now (overdue periods of the last year, the next period), and an
  EXDATE for each period done more than `keep_done_days` ago;
- a *continuous* task ("Thường xuyên") has no date, so no VEVENT: it appears only in the VTODO calendar;
- done occurrences stay `keep_done_days` after their completion with "✅" in the summary, then disappear;
  removed tasks are never given to the renderer.

The VTODO calendar (`todo=True`, for Thunderbird and other task lists) has one VTODO per occurrence shown
(DUE;VALUE=DATE, STATUS, PERCENT-COMPLETE, COMPLETED), continuous tasks included.

Stability: the same input gives byte-identical output. Components are sorted; DTSTAMP = LAST-MODIFIED = the
last change of the data behind the component (never the time of rendering); UIDs are derived from task keys
(`<key>@dondoc` for events, `<key>-<occurrence>@dondoc` for to-dos); SEQUENCE is the task's sequence, plus
the occurrence's for an occurrence's own component; both only grow. Every value is a DATE or a UTC
DATE-TIME, so no VTIMEZONE is needed — `assemble` adds one for each TZID should a local time ever be
used, and an empty calendar carries the VTIMEZONE of `tzid` so it still has the one component RFC 5545
requires. Lines are folded at 75 octets between characters, never inside a UTF-8 sequence (icalendar
folds by character and counts octets); text is NFC-normalised so a Vietnamese letter is one character.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote

from icalendar import Alarm, Calendar, Event, Timezone, Todo, vRecur

from jobs.status import Status, compute_status, status_label

PRODID = "-//dondoc//dondoc calendar feeds//VI"
# Bump when the output format changes, so feed ETags change with it.
RENDER_VERSION = "1"
SUMMARY_MAX = 120  # characters of task content in a SUMMARY; the description has it all
REFRESH = timedelta(hours=1)


# -- input ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgressEntry:
    """The last progress report (báo cáo tiến độ) of an occurrence."""

    percent: int | None
    note: str | None
    actor: str
    at: datetime  # aware


@dataclass(frozen=True)
class OccurrenceEntry:
    """One occurrence (kỳ) of a task's deadline, with its state.

    `key`: "once", the ISO due date of a period, or "continuous". `due` is the due date as written,
    `in_force` the deadline after an approved extension (= `due` without one), `effective` the deadline in
    force moved to a working day when it falls on a day off (= `in_force` when the shift is off).
    """

    key: str
    due: date | None
    in_force: date | None
    effective: date | None
    state: str = "open"  # open | done | pending_confirmation (storage.tables)
    completed_on: date | None = None
    sequence: int = 0  # the occurrence row's sequence; 0 when it has no row
    updated_at: datetime | None = None  # the occurrence row's last change; None without a row
    progress: ProgressEntry | None = None
    pending_extension: date | None = None  # requested new deadline, awaiting a decision
    day_off: str | None = None  # name of the day off that moved `effective`, e.g. "Chủ nhật"


@dataclass(frozen=True)
class TaskEntry:
    """A task as a calendar shows it; names are display names, already looked up."""

    key: str
    content: str
    kind: str  # once | recurring | continuous
    deadline_text: str  # thời hạn as written
    lead_name: str
    sequence: int
    updated_at: datetime  # aware
    occurrences: tuple[OccurrenceEntry, ...] = ()
    rrule: str | None = None  # recurring: the RFC 5545 RRULE value
    start: date | None = None  # recurring: the first due date (DTSTART)
    coordinator_names: tuple[str, ...] = ()
    coordinators_note: str | None = None
    report_to: str | None = None
    directive_number: str | None = None
    directive_issued: date | None = None
    directive_subject: str | None = None
    role: str = "lead"  # lead | coordinator: the calendar's agency's part in the task
    shift_rule: bool = False  # the working-day shift (Art. 148(5)) is on


@dataclass(frozen=True)
class AlarmSpec:
    """A VALARM `days_before` the deadline at local time `at` (the first reminder offset, REMINDER_TIME)."""

    days_before: int
    at: time = time(8, 0)

    def trigger(self) -> timedelta:
        # All-day components start at local midnight, so "7 days before, at 08:00" is -6 days 16 hours.
        return timedelta(days=-self.days_before, hours=self.at.hour, minutes=self.at.minute)


@dataclass(frozen=True)
class CalendarMeta:
    name: str
    description: str | None = None
    lang: str = "vi"
    tzid: str = "Asia/Ho_Chi_Minh"
    extra: dict = field(default_factory=dict)  # more calendar properties, e.g. {"X-DONDOC-SCOPE": "agency"}


# -- texts ------------------------------------------------------------------------------------------------

_T = {
    "vi": {
        "due": "[Hạn]", "coord": "[Phối hợp]", "task": "Nhiệm vụ", "directive": "Văn bản", "on": "ngày",
        "lead": "Cơ quan chủ trì", "coordinators": "Cơ quan phối hợp", "report_to": "Báo cáo về",
        "written": "Thời hạn (theo văn bản)", "deadline": "Hạn", "extended": "Đã gia hạn, hạn ban đầu",
        "effective": "Hạn thực tế", "day_off_is": "là ngày nghỉ", "shift_note":
        "Hạn rơi vào ngày nghỉ thì kết thúc vào cuối ngày làm việc tiếp theo (Điều 148 Bộ luật Dân sự 2015).",
        "first": "Kỳ đầu tiên", "recurring_note": "Mỗi kỳ có trạng thái riêng.",
        "status": "Trạng thái", "completed_on": "hoàn thành ngày", "progress": "Tiến độ",
        "pending_ext": "Đang xin gia hạn đến", "key": "Mã nhiệm vụ", "alarm": "Nhắc hạn",
        "continuous": "Thường xuyên (không có hạn)",
    },
    "en": {
        "due": "[Due]", "coord": "[Coordinating]", "task": "Task", "directive": "Directive", "on": "of",
        "lead": "Lead agency", "coordinators": "Coordinating agencies", "report_to": "Report to",
        "written": "Deadline as written", "deadline": "Deadline", "extended": "Extended; original deadline",
        "effective": "Effective deadline", "day_off_is": "is a day off", "shift_note":
        "A deadline on a day off ends at the end of the next working day (Civil Code 2015, Art. 148).",
        "first": "First period", "recurring_note": "Each period has its own status.",
        "status": "Status", "completed_on": "completed on", "progress": "Progress",
        "pending_ext": "Extension requested to", "key": "Task key", "alarm": "Deadline reminder",
        "continuous": "Continuous (no deadline)",
    },
}


def _t(lang: str) -> dict[str, str]:
    return _T.get(lang, _T["vi"])


def _nfc(s: str | None) -> str:
    return unicodedata.normalize("NFC", s or "").strip()


def _fmt(d: date | None) -> str:
    return "—" if d is None else d.strftime("%d/%m/%Y")


def _short(s: str, limit: int = SUMMARY_MAX) -> str:
    s = " ".join(s.split())
    if len(s) <= limit:
        return s
    cut = s[:limit].rsplit(" ", 1)[0] if " " in s[:limit] else s[:limit]
    return cut.rstrip(" ,;:.-–—") + "…"


def uid_for(task_key: str, occurrence_key: str | None = None) -> str:
    """Stable UID: `<key>@dondoc` (events), `<key>-<occurrence>@dondoc` (to-dos); odd characters %-escaped."""
    safe = quote(_nfc(task_key), safe="-._~")
    return f"{safe}@dondoc" if occurrence_key is None else f"{safe}-{quote(occurrence_key, safe='-._~')}@dondoc"


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime given to the calendar renderer; pass an aware datetime")
    return dt.astimezone(timezone.utc).replace(microsecond=0)


def _stamp(*values: datetime | None) -> datetime:
    return _utc(max(v for v in values if v is not None))


# -- selection -------------------------------------------------------------------------------------------

def _finished_long_ago(o: OccurrenceEntry, today: date, keep_done_days: int) -> bool:
    if o.state != "done":
        return False
    done_on = o.completed_on or (o.updated_at.date() if o.updated_at else None)
    return done_on is not None and (today - done_on).days > keep_done_days


def _status(o: OccurrenceEntry, today: date, due_soon_days: int) -> Status:
    return compute_status(effective_due=o.effective, today=today, state=o.state, completed_on=o.completed_on,
                          due_soon_days=due_soon_days)


# -- components ------------------------------------------------------------------------------------------

def _summary(task: TaskEntry, o: OccurrenceEntry | None, lang: str) -> str:
    t = _t(lang)
    tag = t["coord"] if task.role == "coordinator" else t["due"]
    done = "✅ " if o is not None and o.state == "done" else ""
    return f"{done}{tag} {_short(_nfc(task.content))} — {_nfc(task.lead_name)}"


def _description(task: TaskEntry, o: OccurrenceEntry | None, lang: str, today: date, due_soon_days: int) -> str:
    """The description: what, who, the deadline as written and in force, status and last progress.

    `o` None → the master of a recurring task (no single status)."""
    t = _t(lang)
    lines = [f"{t['task']}: {_nfc(task.content)}"]
    if task.directive_number:
        d = _nfc(task.directive_number)
        if task.directive_issued:
            d += f" {t['on']} {_fmt(task.directive_issued)}"
        if task.directive_subject:
            d += f" — {_nfc(task.directive_subject)}"
        lines.append(f"{t['directive']}: {d}")
    lines.append(f"{t['lead']}: {_nfc(task.lead_name)}")
    coord = [_nfc(c) for c in task.coordinator_names if _nfc(c)]
    if task.coordinators_note and _nfc(task.coordinators_note) not in coord:
        coord.append(_nfc(task.coordinators_note))
    if coord:
        lines.append(f"{t['coordinators']}: {', '.join(coord)}")
    if task.report_to:
        lines.append(f"{t['report_to']}: {_nfc(task.report_to)}")
    lines.append(f"{t['written']}: {_nfc(task.deadline_text)}")
    if o is None:  # recurring master
        lines.append(f"{t['first']}: {_fmt(task.start)}")
        if task.shift_rule:
            lines.append(t["shift_note"])
        lines.append(t["recurring_note"])
    elif task.kind == "continuous":
        lines.append(f"{t['deadline']}: {t['continuous']}")
    else:
        lines.append(f"{t['deadline']}: {_fmt(o.in_force)}")
        if o.in_force != o.due:
            lines.append(f"{t['extended']}: {_fmt(o.due)}")
        if o.effective != o.in_force:
            why = f" ({_fmt(o.in_force)} {t['day_off_is']}{': ' + o.day_off if o.day_off else ''})"
            lines.append(f"{t['effective']}: {_fmt(o.effective)}{why}")
    if o is not None:
        st = status_label(_status(o, today, due_soon_days), lang)
        if o.state == "done" and o.completed_on:
            st += f" ({t['completed_on']} {_fmt(o.completed_on)})"
        lines.append(f"{t['status']}: {st}")
        if o.pending_extension is not None and o.state != "done":
            lines.append(f"{t['pending_ext']}: {_fmt(o.pending_extension)}")
        if o.progress is not None:
            p = o.progress
            bits = [f"{p.percent}%" if p.percent is not None else "", _nfc(p.note)]
            text = " — ".join(b for b in bits if b)
            lines.append(f"{t['progress']}: {text} ({_nfc(p.actor)}, {_fmt(p.at.date())})")
    lines.append(f"{t['key']}: {task.key}")
    return "\n".join(lines)


def _alarm(alarm: AlarmSpec, summary: str, lang: str, related_end: bool = False) -> Alarm:
    a = Alarm()
    a.add("action", "DISPLAY")
    a.add("description", f"{_t(lang)['alarm']}: {_short(summary, 60)}")
    a.add("trigger", alarm.trigger(), parameters={"RELATED": "END"} if related_end else None)
    return a


def _event(task: TaskEntry, o: OccurrenceEntry | None, *, lang: str, today: date, due_soon_days: int,
           alarm: AlarmSpec | None, exdates: list[date] = ()) -> Event:
    e = Event()
    summary = _summary(task, o, lang)
    e.add("uid", uid_for(task.key))
    if o is None:
        day, seq, stamp = task.start, task.sequence, _stamp(task.updated_at)
        e.add("rrule", vRecur.from_ical(task.rrule))
        if exdates:
            e.add("exdate", sorted(exdates))
    else:
        day = o.in_force
        seq = task.sequence + (o.sequence if task.kind == "recurring" else 0)
        stamp = _stamp(task.updated_at, o.updated_at, o.progress.at if o.progress else None)
        if task.kind == "recurring":
            e.add("recurrence-id", o.due)
    e.add("dtstamp", stamp)
    e.add("last-modified", stamp)
    e.add("sequence", seq)
    e.add("dtstart", day)
    e.add("dtend", day + timedelta(days=1))
    e.add("summary", summary)
    e.add("description", _description(task, o, lang, today, due_soon_days))
    e.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if alarm is not None and (o is None or o.state != "done"):
        e.add_component(_alarm(alarm, summary, lang))
    return e


def _completed_at(o: OccurrenceEntry, tz) -> datetime:
    """COMPLETED (UTC date-time) for a date-only completion: the change that recorded it when it was that
    day, else the end of that working day (17:00 local)."""
    if o.updated_at is not None and o.updated_at.astimezone(tz).date() == o.completed_on:
        return _utc(o.updated_at)
    return _utc(datetime.combine(o.completed_on, time(17, 0), tzinfo=tz))


def _todo(task: TaskEntry, o: OccurrenceEntry, *, lang: str, today: date, due_soon_days: int,
          alarm: AlarmSpec | None, tz) -> Todo:
    td = Todo()
    summary = _summary(task, o, lang)
    if task.kind == "recurring":
        summary += f" ({_fmt(o.in_force)})"  # to-do lists show no date column by default
    td.add("uid", uid_for(task.key, o.key))
    stamp = _stamp(task.updated_at, o.updated_at, o.progress.at if o.progress else None)
    td.add("dtstamp", stamp)
    td.add("last-modified", stamp)
    td.add("sequence", task.sequence + o.sequence)
    td.add("summary", summary)
    td.add("description", _description(task, o, lang, today, due_soon_days))
    if o.in_force is not None:
        td.add("due", o.in_force)
    percent = o.progress.percent if o.progress and o.progress.percent is not None else None
    if o.state == "done":
        td.add("status", "COMPLETED")
        td.add("percent-complete", 100)
        if o.completed_on is not None:
            td.add("completed", _completed_at(o, tz))
    else:
        started = o.state == "pending_confirmation" or (percent or 0) > 0 or o.progress is not None
        td.add("status", "IN-PROCESS" if started else "NEEDS-ACTION")
        td.add("percent-complete", min(percent or 0, 99) if o.state != "pending_confirmation" else 100)
        if alarm is not None and o.in_force is not None:
            td.add_component(_alarm(alarm, summary, lang, related_end=True))
    return td


# -- the calendar ----------------------------------------------------------------------------------------

def _calendar(meta: CalendarMeta) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", _nfc(meta.name))
    cal.add("x-wr-calname", _nfc(meta.name))
    if meta.description:
        cal.add("description", _nfc(meta.description))
        cal.add("x-wr-caldesc", _nfc(meta.description))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for k, v in sorted(meta.extra.items()):
        cal.add(k, v)
    return cal


_TZID_RE = re.compile(rb";TZID=([^:;\r\n]+)")


def _timezones(tzids) -> bytes:
    """VTIMEZONE blocks for `tzids`, byte-stable (fixed first and last dates)."""
    return b"".join(Timezone.from_tzid(z, first_date=date(2000, 1, 1), last_date=date(2038, 1, 1)).to_ical()
                    for z in sorted(tzids))


def assemble(meta: CalendarMeta, chunks: list[bytes]) -> bytes:
    """The VCALENDAR around already serialised components (in order), with a VTIMEZONE for every TZID they
    use; an empty calendar gets the VTIMEZONE of `meta.tzid`, the one component RFC 5545 requires."""
    head = _calendar(meta).to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    tzids = {m.decode("utf-8") for c in chunks for m in _TZID_RE.findall(c)} if chunks else {meta.tzid}
    return head[: -len(end)] + _timezones(tzids) + b"".join(chunks) + end


@dataclass(frozen=True)
class _Options:
    lang: str
    today: date
    keep_done_days: int
    due_soon_days: int
    alarm: AlarmSpec | None
    todo: bool
    tzid: str


@functools.lru_cache(maxsize=20_000)
def _task_chunks(task: TaskEntry, opt: _Options) -> tuple[tuple[tuple, bytes], ...]:
    """(sort key, serialised components) of one task. Memoised: inputs are frozen, so a feed re-rendered after
    one task changed serialises only that task again."""
    from zoneinfo import ZoneInfo

    kw = dict(lang=opt.lang, today=opt.today, due_soon_days=opt.due_soon_days, alarm=opt.alarm)
    visible = [o for o in task.occurrences if not _finished_long_ago(o, opt.today, opt.keep_done_days)]
    out: list[tuple[tuple, bytes]] = []
    if opt.todo:
        tz = ZoneInfo(opt.tzid)
        for o in visible:
            if task.kind != "continuous" and o.in_force is None:
                continue
            out.append(((o.in_force or date.max, uid_for(task.key, o.key)), _todo(task, o, tz=tz, **kw).to_ical()))
    elif task.kind == "once":
        for o in visible[:1]:
            if o.in_force is not None:
                out.append(((o.in_force, uid_for(task.key)), _event(task, o, **kw).to_ical()))
    elif task.kind == "recurring" and task.rrule and task.start:
        hidden = sorted({o.due for o in task.occurrences
                         if o.due and _finished_long_ago(o, opt.today, opt.keep_done_days)})
        comps = [_event(task, None, exdates=hidden, **kw)]
        comps += [_event(task, o, **kw) for o in sorted(visible, key=lambda o: o.due or date.min)
                  if o.due is not None and o.in_force is not None]
        out.append(((task.start, uid_for(task.key)), b"".join(c.to_ical() for c in comps)))
    # continuous: no date, no event (see the module docstring)
    return tuple(out)


def render_calendar(tasks, *, meta: CalendarMeta, today: date, keep_done_days: int = 30, due_soon_days: int = 3,
                    alarm: AlarmSpec | None = None, todo: bool = False) -> bytes:
    """The calendar of `tasks` (TaskEntry) as RFC 5545 bytes (CRLF, folded, UTF-8).

    `today` (local date) decides statuses (overdue, due soon) and which done occurrences are still shown.
    `todo=True` gives the VTODO calendar instead of the event calendar.
    """
    opt = _Options(meta.lang, today, keep_done_days, due_soon_days, alarm, todo, meta.tzid)
    chunks = [c for task in tasks for c in _task_chunks(task, opt)]
    chunks.sort(key=lambda c: c[0])
    return assemble(meta, [b for _, b in chunks])
