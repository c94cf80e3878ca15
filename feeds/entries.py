"""Rows into calendar entries: the pure half of reading a calendar (feeds.loading does the reading).

A batch of task rows, with its occurrences, latest progress and pending extensions, becomes the `TaskEntry`s
the renderer (feeds.ics) writes. No database here — rows are plain tuples of the values the driver gave
(dates as text on SQLite, typed on PostgreSQL; both accepted) — so a batch can be written in another process
(feeds.pool) that never imports SQLAlchemy; the agency and holiday files are read there from their paths.

Which occurrences a recurring task shows besides its RRULE: every occurrence that has a row (something
happened to it), the periods due in the last 365 days (so an overdue report shows as overdue), and the next
upcoming period. Occurrence rows whose key is no longer a due date of the task's deadline (the deadline was
edited) are left out rather than shown on a date the rule does not produce.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from feeds.ics import OccurrenceEntry, ProgressEntry, TaskEntry, iter_components
from core.links import quote_key

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 365  # recurring periods this far back keep their own status in the calendar

# A task row's values, in this order (feeds.loading selects them so).
COLUMNS = ("id", "key", "content", "lead_agency", "coordinators", "coordinators_note", "report_to",
           "deadline_text", "deadline_kind", "due", "directive_id", "sequence", "updated_at", "deadline")
ID, KEY, CONTENT, LEAD, COORDINATORS, COORD_NOTE, REPORT_TO, DEADLINE_TEXT, KIND, DUE, DIRECTIVE, SEQUENCE, \
    UPDATED, DEADLINE = range(len(COLUMNS))
# The related rows: occurrences (task_id, key, extended_due, status, completed_on, sequence, updated_at),
# latest progress (task_id, occurrence_key, percent, note, actor, created_at), pending extensions (task_id,
# occurrence_key, requested_due) — and directives (id, number, issued, subject, updated_at).


# -- values as the driver gives them ---------------------------------------------------------------------

def _day(v) -> date | None:
    """A DATE column: text on SQLite ("2018-06-14"), a date on PostgreSQL."""
    if v is None or type(v) is date:
        return v
    if isinstance(v, datetime):
        return v.date()
    return date.fromisoformat(v[:10])


def _instant(v) -> datetime | None:
    """A UTCDateTime column (naive UTC in the database): text on SQLite, a naive datetime on PostgreSQL."""
    if v is None:
        return None
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v.tzinfo is not None else v.replace(tzinfo=timezone.utc)


def _json(v, empty):
    """A JSON column: text on SQLite; already decoded by some PostgreSQL drivers."""
    if v is None:
        return empty
    if isinstance(v, str):
        return empty if v in ("[]", "{}", "null") else json.loads(v)
    return v


@dataclass
class Batch:
    """The rows behind a batch of tasks, as read from the database (raw values)."""

    rows: list[tuple]  # COLUMNS, in calendar order
    occurrences: list[tuple]
    progress: list[tuple]
    pending: list[tuple]

    @property
    def ids(self) -> list[int]:
        return [r[ID] for r in self.rows]

    def fingerprint(self, directives: dict) -> int:
        """A hash of what the batch was read from (the batch memo's key). A task is named by its row — every
        change of a task bumps its sequence and updated_at, as the feed's ETag also relies on — and the
        directives it cites."""
        cited = {r[DIRECTIVE] for r in self.rows}
        return hash((tuple(self.rows), tuple(self.occurrences), tuple(self.progress), tuple(self.pending),
                     tuple(directives[d] for d in sorted(cited - {None}) if d in directives)))


# -- the directory and working days, cached by file identity (in every process that renders) -------------

def _file_id(path: Path | None) -> tuple:
    if path is None:
        return ()
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), "missing")
    return (str(path), st.st_mtime_ns, st.st_size)


_cache: dict[tuple, object] = {}


def _cached(kind: str, path: Path | None, build):
    key = (kind, _file_id(path))
    hit = _cache.get(key)
    if hit is None:
        for k in [k for k in list(_cache) if k[0] == kind]:
            _cache.pop(k, None)  # the file changed: forget the old one (threads may race here; both rebuild)
        hit = _cache[key] = build(path)
    return hit


def _digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _load_directory(path):
    from storage.agencies import AgencyDirectory

    return AgencyDirectory.load(path)


def _load_workdays(path):
    from core.workdays import WorkCalendar

    return WorkCalendar.from_file(path)


def agency_directory(settings):
    """The agency directory of AGENCIES_FILE (re-read when the file changes)."""
    return _cached("agencies", settings.agencies_file, _load_directory)


def work_calendar(settings):
    return _cached("holidays", settings.holidays_file, _load_workdays)


class Lookups:
    """What turning rows into entries needs besides the rows: agency names (the database's first, then
    AGENCIES_FILE's), directives, working days, the task page's URL prefix. Plain data, so it travels to a
    render process (feeds.pool) with a batch; the files are read there from their paths (and cached)."""

    def __init__(self, today: date, agency_names: dict[str, str], directives: dict[int, tuple], page_base,
                 shift: bool, agencies_file: Path | None, holidays_file: Path | None):
        self.today = today
        self.agency_names = agency_names
        self.directives = directives
        self.page_base = page_base
        self.shift = shift
        self.agencies_file = agencies_file
        self.holidays_file = holidays_file
        self._names: dict[str, str] = {}
        self._shifted: dict[date, tuple[date, str | None]] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_names"], state["_shifted"] = {}, {}  # memos stay where they were made
        return state

    def for_batch(self, b: "Batch") -> "Lookups":
        """A copy carrying only the directives `b` cites (what a render process is sent)."""
        cited = {r[DIRECTIVE] for r in b.rows}
        out = Lookups.__new__(Lookups)
        out.__dict__.update(self.__getstate__())
        out.directives = {d: self.directives[d] for d in cited if d in self.directives}
        return out

    @property
    def _directory(self):
        return _cached("agencies", self.agencies_file, _load_directory)

    def name(self, code: str) -> str:
        n = self._names.get(code)
        if n is None:
            n = self.agency_names.get(code) or self._directory.name(code)
            self._names[code] = n
        return n

    def known(self, code: str) -> bool:
        return code in self.agency_names or self._directory.get(code) is not None

    def effective(self, day: date) -> tuple[date, str | None]:
        """The deadline in force moved to a working day (Art. 148(5)), and the day off's name when it moved."""
        hit = self._shifted.get(day)
        if hit is None:
            workcal = _cached("holidays", self.holidays_file, _load_workdays)
            eff = workcal.effective_due(day, shift=self.shift)
            hit = self._shifted[day] = (eff, workcal.day_off_name(day) if eff != day else None)
        return hit


def _plan_end(deadline: dict, directive_until) -> date | None:
    """A plan's end, when the registry gives one: the deadline's `until` (or `end`), else the directive's."""
    for v in (deadline.get("until"), deadline.get("end"), directive_until):
        if isinstance(v, date):
            return v
        if isinstance(v, str) and v:
            try:
                return date.fromisoformat(v)
            except ValueError:
                continue
    return None


def render(lookups: Lookups, b: Batch, agencies: tuple[str, ...], opt) -> bytes:
    """The calendar text of a batch (what a render process does with it)."""
    return b"".join(iter_components(entries(lookups, b, agencies), opt))


def entries(feed: Lookups, b: Batch, agencies: tuple[str, ...]) -> list[TaskEntry]:
    """The batch's tasks as the renderer wants them, in the batch's order. `agencies` is the calendar's
    scope (empty = every agency): a task none of them leads or coordinates is left out."""
    from core.deadline import MAX_YEAR, MIN_YEAR, Deadline, DeadlineError

    today = feed.today
    occ: dict[int, dict[str, tuple]] = defaultdict(dict)
    for o in b.occurrences:
        occ[o[0]][o[1]] = o
    progress = {(p[0], p[1]): p for p in b.progress}
    pending = {(x[0], x[1]): _day(x[2]) for x in b.pending}  # ordered by id: the latest request wins
    name, page_base, shift = feed.name, feed.page_base, feed.shift
    scope = set(agencies)
    out: list[TaskEntry] = []
    for r in b.rows:
        tid, lead = r[ID], r[LEAD]
        coordinators = _json(r[COORDINATORS], [])
        if not scope or lead in scope:
            role = "lead"
        elif any(c in scope for c in coordinators):
            role = "coordinator"
        else:
            continue  # matched the coordinators' LIKE, but is not one of them
        d = _json(r[DEADLINE], {}) if r[DEADLINE] is not None else {}
        kind = d.get("kind") or r[KIND]
        rrule = start = until = None
        taskocc = occ.get(tid, {})
        directive = feed.directives.get(r[DIRECTIVE]) if r[DIRECTIVE] is not None else None
        due_task = _day(r[DUE])
        if kind == "once":
            keys = ["once"]
            due_once = due_task or (date.fromisoformat(d["due"]) if d.get("due") else None)
        elif kind == "continuous":
            keys = ["continuous"]
        else:
            until = _plan_end(d, None)
            try:
                dl = Deadline.from_dict(d)
            except DeadlineError as e:
                log.warning("task %s left out of the calendar: %s", r[KEY], e)
                continue
            kind, rrule, start = dl.kind, dl.rrule, dl.start
            if kind != "recurring":
                log.warning("task %s left out of the calendar: deadline kind %r", r[KEY], kind)
                continue
            since = max(dl.start, today - timedelta(days=LOOKBACK_DAYS))
            dues = set(dl.occurrences(since, today)) | set(dl.next_dues(today + timedelta(days=1), 1))
            for k in taskocc:
                try:
                    day = date.fromisoformat(k)
                except ValueError:
                    continue
                if dl.occurrences(day, day) == [day]:
                    dues.add(day)
            keys = [x.isoformat() for x in sorted(dues) if until is None or x <= until]
        occurrences = []
        for k in keys:
            row = taskocc.get(k)
            due = due_once if k == "once" else None if k == "continuous" else date.fromisoformat(k)
            extended = _day(row[2]) if row is not None else None
            in_force = extended or due
            if any(x is not None and not MIN_YEAR <= x.year <= MAX_YEAR for x in (due, in_force)):
                # Stored before dates were bounded (an extension to 31/12/9999): no calendar can hold it.
                log.warning("task %s (%s): date %s outside the years %d-%d; left out of the calendar",
                            r[KEY], k, in_force, MIN_YEAR, MAX_YEAR)
                continue
            eff, day_off = feed.effective(in_force) if in_force else (None, None)
            p = progress.get((tid, k))
            if row is None:
                occurrences.append(OccurrenceEntry(k, due, in_force, eff, "open", None, 0, None,
                                                   _progress(p), pending.get((tid, k)), day_off))
            else:
                occurrences.append(OccurrenceEntry(k, due, in_force, eff, row[3], _day(row[4]), row[5],
                                                   _instant(row[6]), _progress(p), pending.get((tid, k)), day_off))
        report_to = r[REPORT_TO]
        if report_to and feed.known(report_to):
            report_to = name(report_to)
        recurring = kind == "recurring"
        out.append(TaskEntry(
            key=r[KEY], content=r[CONTENT], kind=kind, deadline_text=r[DEADLINE_TEXT], lead_name=name(lead),
            sequence=r[SEQUENCE] or 0, updated_at=_instant(r[UPDATED]), occurrences=tuple(occurrences),
            rrule=rrule, start=start,
            coordinator_names=tuple([name(c) for c in coordinators]) if coordinators else (),
            coordinators_note=r[COORD_NOTE], report_to=report_to,
            directive_number=directive[1] if directive else None,
            directive_issued=_day(directive[2]) if directive else None,
            directive_subject=directive[3] if directive else None, role=role, shift_rule=shift,
            until=until if recurring else None,
            url=page_base + quote_key(r[KEY]) if page_base is not None else None,
            rrules=tuple(d.get("rrules") or ()) if recurring else (),
        ))
    return out


def _progress(p: tuple | None) -> ProgressEntry | None:
    return None if p is None else ProgressEntry(p[2], p[3], p[4], _instant(p[5]))
