"""What goes into a calendar: loads the tasks of an agency, of a linked chat, or of every agency (oversight),
with their occurrences, last progress and pending extensions, and hands them to the pure renderer.

`iter_scope` streams a calendar: the task ids in calendar order (due date, then id) within the window
(FEED_WINDOW_MONTHS: tasks due in the last months, plus every open task), then BATCH tasks at a time loaded
with a handful of queries and written, so memory holds one batch whatever the feed's size. Exports
(`dondoc ics`) pass `window=False`.

Also the feed's validator (`feed_state`): an ETag and a Last-Modified computed from a few aggregate queries
(counts, sums of sequences, latest change times of the feed's tasks, occurrences, progress, extensions and
directives) plus what else changes the output — the settings that shape it, the agency and holiday files,
the local date (alarms, the keep-done window and the feed window move with it) and the renderer's version — so a client
that already has the calendar gets its 304 without anything being rendered.

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
import threading
import zlib
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from dondoc import __version__
from typing import Iterator

from dondoc.i18n import _, ngettext
from feeds.links import task_page_url
from feeds.ics import (RENDER_VERSION, AlarmSpec, CalendarMeta, OccurrenceEntry, ProgressEntry, TaskEntry,
                       calendar_head, calendar_tail, iter_components, options, render_calendar)
from storage.tables import ChatBinding, Directive, Extension, FeedToken, Occurrence, ProgressUpdate, Task

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 365  # recurring periods this far back keep their own status in the calendar
ALL_AGENCY_ROLES = ("oversight", "leadership")  # a chat in these roles sees every agency


class FeedNotFound(LookupError):
    """No such feed: unknown agency, missing or inactive chat binding."""


@dataclass(frozen=True)
class FeedScope:
    """Whose tasks a calendar shows. `agencies` empty = every agency (oversight)."""

    kind: str  # agency | binding | oversight
    agencies: tuple[str, ...] = ()
    language: str | None = None  # None = LANGUAGE
    binding_id: int | None = None
    binding_state: str = ""  # what of the binding shapes the output, for the ETag

    @property
    def key(self) -> str:
        return f"{self.kind}:{','.join(self.agencies)}:{self.binding_id or ''}:{self.binding_state}"


@dataclass(frozen=True)
class FeedState:
    etag: str  # a weak validator, quoted: W/"…"
    last_modified: datetime  # UTC, whole seconds


# -- directory, working days (cached by file identity) ---------------------------------------------------

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


def agency_directory(settings):
    """The agency directory of AGENCIES_FILE (re-read when the file changes)."""
    from storage.agencies import AgencyDirectory

    return _cached("agencies", settings.agencies_file, AgencyDirectory.load)


def work_calendar(settings):
    from jobs.workdays import WorkCalendar

    return _cached("holidays", settings.holidays_file, WorkCalendar.from_file)


# -- scopes ----------------------------------------------------------------------------------------------

def scope_for_agency(code: str) -> FeedScope:
    return FeedScope("agency", agencies=(code,))


def scope_for_oversight() -> FeedScope:
    return FeedScope("oversight")


def scope_for_binding(session: Session, binding_id: int) -> FeedScope:
    """A linked chat's calendar: its agency's tasks (every agency for oversight/leadership chats), in the
    chat's language. Raises FeedNotFound for a missing or inactive binding."""
    b = session.get(ChatBinding, binding_id)
    if b is None or not b.active:
        raise FeedNotFound(f"no active chat binding {binding_id}")
    agencies = () if b.role in ALL_AGENCY_ROLES else (b.agency,)
    return FeedScope("binding", agencies=agencies, language=b.language, binding_id=b.id,
                     binding_state=f"{b.agency}/{b.role}/{b.language or ''}/{b.active}")


def scope_for_token(session: Session, row: FeedToken) -> FeedScope:
    if row.scope == "agency" and row.agency:
        return scope_for_agency(row.agency)
    if row.scope == "oversight":
        return scope_for_oversight()
    if row.scope == "binding" and row.binding_id is not None:
        return scope_for_binding(session, row.binding_id)
    raise FeedNotFound(f"feed token {row.id} has an unusable scope {row.scope!r}")


def _task_filter(scope: FeedScope):
    """Tasks an agency leads or coordinates (coordinators is a JSON list: a LIKE narrows, Python decides)."""
    if not scope.agencies:
        return sa.true()
    conds = [Task.lead_agency.in_(scope.agencies)]
    conds += [sa.cast(Task.coordinators, sa.String).like(f'%"{code}"%') for code in scope.agencies]
    return sa.or_(*conds)


def _role(task: Task, scope: FeedScope) -> str | None:
    if not scope.agencies or task.lead_agency in scope.agencies:
        return "lead"
    if any(c in scope.agencies for c in (task.coordinators or [])):
        return "coordinator"
    return None


def _lang(scope: FeedScope, settings) -> str:
    return scope.language or settings.language


def _local_today(now: datetime, settings) -> date:
    if now.tzinfo is None:
        raise ValueError("naive `now` given to the feeds; pass an aware datetime")
    return now.astimezone(settings.timezone).date()


# -- the validator ---------------------------------------------------------------------------------------

def feed_state(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False) -> FeedState:
    """ETag and Last-Modified of a feed, from aggregate queries — nothing is loaded or rendered."""
    flt = _task_filter(scope)
    in_scope = select(Task.id).where(flt).scalar_subquery()

    def agg(*cols, table, where=None):
        q = select(*cols)
        if scope.agencies:  # every agency: no need to ask which tasks are in scope
            q = q.where(table.task_id.in_(in_scope)) if where is None else q.where(where)
        return q

    t = select(sa.func.count(Task.id), sa.func.coalesce(sa.func.sum(Task.id), 0), sa.func.max(Task.updated_at),
               sa.func.coalesce(sa.func.sum(Task.sequence), 0), sa.func.count(Task.removed_at),
               sa.func.max(Task.removed_at)).where(flt)
    o = agg(sa.func.count(Occurrence.id), sa.func.max(Occurrence.updated_at),
            sa.func.coalesce(sa.func.sum(Occurrence.sequence), 0), table=Occurrence)
    p = agg(sa.func.count(ProgressUpdate.id), sa.func.max(ProgressUpdate.id), sa.func.max(ProgressUpdate.created_at),
            table=ProgressUpdate)
    x = agg(sa.func.count(Extension.id), sa.func.max(Extension.id), sa.func.max(Extension.requested_at),
            sa.func.max(Extension.decided_at), sa.func.count(Extension.decided_at), table=Extension)
    d = select(sa.func.count(Directive.id), sa.func.max(Directive.updated_at))
    if scope.agencies:
        d = d.where(Directive.id.in_(select(Task.directive_id).where(flt).scalar_subquery()))
    rows = [session.execute(q).one() for q in (t, o, p, x, d)]

    today = _local_today(now, settings)
    files = (_file_id(settings.agencies_file), _file_id(settings.holidays_file))
    # The files' contents (not their paths or times) go into the ETag, so two feed servers with the same
    # files give the same ETag; their times only go into Last-Modified.
    contents = (_cached("digest:agencies", settings.agencies_file, _digest),
                _cached("digest:holidays", settings.holidays_file, _digest))
    parts = [
        RENDER_VERSION, __version__, "todo" if todo else "events", scope.key, _lang(scope, settings),
        today.isoformat(), settings.feed_keep_done_days, settings.due_soon_days, settings.reminder_offsets,
        settings.reminder_time.isoformat(), settings.deadline_shift_to_workday, str(settings.timezone), contents,
        settings.uid_domain, settings.feed_window_months, task_page_url(settings, ""),
        [tuple(_norm(v) for v in r) for r in rows],
    ]
    etag = 'W/"' + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40] + '"'

    stamps = [r[i] for r, i in ((rows[0], 2), (rows[0], 5), (rows[1], 1), (rows[2], 2), (rows[3], 2),
                                (rows[3], 3), (rows[4], 1))]
    # The calendar's statuses and its keep-done window change at local midnight.
    stamps.append(datetime.combine(today, time(0), tzinfo=settings.timezone))
    if scope.agencies:
        # A task that left the feed (another lead agency, no longer coordinating) is not among the feed's tasks
        # any more, but its change is a change of the feed: any task's latest change counts (every change of a
        # task bumps its updated_at). Clients with the ETag are exact; If-Modified-Since-only clients may fetch
        # a feed again after another agency's change — never keep a stale one.
        stamps.append(session.execute(select(sa.func.max(Task.updated_at))).scalar())
    if scope.binding_id is not None:
        stamps.append(session.execute(select(ChatBinding.updated_at).where(ChatBinding.id == scope.binding_id)).scalar())
    for f in files:
        if len(f) == 3:
            stamps.append(datetime.fromtimestamp(f[1] / 1e9, tz=timezone.utc))
    last = max(_aware(s) for s in stamps if s is not None).astimezone(timezone.utc).replace(microsecond=0)
    return FeedState(etag=etag, last_modified=last)


def _norm(v):
    if isinstance(v, datetime):
        return _aware(v).astimezone(timezone.utc).isoformat()
    return str(v)


def _aware(v: datetime) -> datetime:
    # Aggregates over UTCDateTime columns come back aware; a dialect that loses the type gives naive UTC.
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v.tzinfo else v.replace(tzinfo=timezone.utc)


# -- loading ---------------------------------------------------------------------------------------------

BATCH = 1000  # tasks loaded (and rendered) at a time: memory stays flat whatever the feed's size


def _window_filter(settings, today: date, window: bool):
    """FEED_WINDOW_MONTHS: a once task due (or extended to) before the window is left out when it is done;
    open tasks stay whatever their date; recurring and continuous tasks always stay."""
    months = settings.feed_window_months if window else 0
    if not months:
        return sa.true()
    from dateutil.relativedelta import relativedelta

    cutoff = today - relativedelta(months=months)
    old_and_done = (select(Occurrence.id).where(
        Occurrence.task_id == Task.id, Occurrence.key == "once", Occurrence.status == "done",
        sa.func.coalesce(Occurrence.extended_due, Task.due) < cutoff)).exists()
    return sa.or_(Task.deadline_kind != "once", Task.due.is_(None), Task.due >= cutoff, ~old_and_done)


def task_ids(session: Session, scope: FeedScope, settings, today: date, *, window: bool = True) -> list[int]:
    """The ids of the scope's tasks in calendar order (due date, then id; undated last)."""
    q = (select(Task.id).where(_task_filter(scope), Task.removed_at.is_(None), _window_filter(settings, today, window))
         .order_by(Task.due.is_(None), Task.due, Task.id))
    return list(session.execute(q).scalars())


_TASK_COLUMNS = (Task.id, Task.key, Task.content, Task.lead_agency, Task.coordinators, Task.coordinators_note,
                 Task.report_to, Task.deadline_text, Task.deadline_kind, Task.due, Task.directive_id, Task.sequence,
                 Task.updated_at)


def _plan_end(deadline: dict, directive) -> date | None:
    """A plan's end, when the registry gives one: the deadline's `until` (or `end`), else the directive's."""
    for v in (deadline.get("until"), deadline.get("end"), getattr(directive, "until", None)):
        if isinstance(v, date):
            return v
        if isinstance(v, str) and v:
            try:
                return date.fromisoformat(v)
            except ValueError:
                continue
    return None


@dataclass
class _Batch:
    """The rows behind a batch of tasks, as read from the database."""

    ids: list[int]
    rows: dict
    deadlines: dict
    occ: dict
    progress: dict
    pending: dict
    directives: dict

    def fingerprint(self) -> int:
        """A hash of what the batch was read from (the batch memo's key). A task is named by its id, sequence
        and last change — every change of a task bumps both, as the feed's ETag also relies on."""
        return hash((
            tuple(self.ids),
            tuple((r.id, r.sequence, r.updated_at, r.due, r.directive_id) for _, r in sorted(self.rows.items())),
            tuple((k, json.dumps(v, sort_keys=True, default=str)) for k, v in sorted(self.deadlines.items())),
            tuple((tid, k, tuple(o)) for tid, d in sorted(self.occ.items()) for k, o in sorted(d.items())),
            tuple((k, tuple(v)) for k, v in sorted(self.progress.items())),
            tuple(sorted(self.pending.items())),
            tuple((d.id, d.number, d.issued, d.subject, d.updated_at, getattr(d, "until", None))
                  for _, d in sorted(self.directives.items())),
        ))


def _load_batch(session: Session, ids: list[int]) -> _Batch:
    # One expanding parameter for the batch's ids: SQLAlchemy need not coerce a thousand literals per query.
    batch = sa.bindparam("ids", expanding=True)
    p = {"ids": list(ids)}
    rows = {r.id: r for r in session.execute(select(*_TASK_COLUMNS).where(Task.id.in_(batch)), p)}
    # The deadline itself is read only where the columns do not say it all (a once task has its `due`).
    deadlines = dict(session.execute(select(Task.id, Task.deadline).where(
        Task.id.in_(batch), sa.or_(Task.deadline_kind != "once", Task.due.is_(None))), p).all())
    occ: dict[int, dict[str, object]] = defaultdict(dict)
    for o in session.execute(select(Occurrence.task_id, Occurrence.key, Occurrence.extended_due, Occurrence.status,
                                    Occurrence.completed_on, Occurrence.sequence, Occurrence.updated_at)
                             .where(Occurrence.task_id.in_(batch)), p):
        occ[o.task_id][o.key] = o
    latest = (select(sa.func.max(ProgressUpdate.id)).where(ProgressUpdate.task_id.in_(batch))
              .group_by(ProgressUpdate.task_id, ProgressUpdate.occurrence_key))
    progress = {(r.task_id, r.occurrence_key): r for r in session.execute(
        select(ProgressUpdate.task_id, ProgressUpdate.occurrence_key, ProgressUpdate.percent, ProgressUpdate.note,
               ProgressUpdate.actor, ProgressUpdate.created_at).where(ProgressUpdate.id.in_(latest)), p)}
    pending: dict[tuple[int, str], date] = {}
    for x in session.execute(select(Extension.task_id, Extension.occurrence_key, Extension.requested_due)
                             .where(Extension.task_id.in_(batch), Extension.decision == "pending")
                             .order_by(Extension.id), p):
        pending[(x.task_id, x.occurrence_key)] = x.requested_due  # the latest request wins
    directive_ids = {r.directive_id for r in rows.values() if r.directive_id is not None}
    directives = {d.id: d for d in session.execute(select(Directive).where(Directive.id.in_(directive_ids))).scalars()} \
        if directive_ids else {}
    return _Batch(list(ids), rows, deadlines, dict(occ), progress, pending, directives)


def load_entries(session: Session, scope: FeedScope, settings, today: date, ids: list[int] | None = None, *,
                 window: bool = True) -> list[TaskEntry]:
    """The scope's tasks (not removed) as the renderer wants them — `ids` only (a batch), in that order."""
    if ids is None:
        ids = task_ids(session, scope, settings, today, window=window)
    if not ids:
        return []
    return _entries(session, _load_batch(session, ids), scope, settings, today)


def _entries(session: Session, b: _Batch, scope: FeedScope, settings, today: date) -> list[TaskEntry]:
    from jobs.deadline import MAX_YEAR, MIN_YEAR, Deadline, DeadlineError

    from storage.agencies import DirectoryNames

    directory = DirectoryNames(session, agency_directory(settings))  # the database's names first
    workcal = work_calendar(settings)
    ids, rows, deadlines, occ, progress, pending, directives = (b.ids, b.rows, b.deadlines, b.occ, b.progress,
                                                                b.pending, b.directives)

    shift = settings.deadline_shift_to_workday
    names: dict[str, str] = {}

    def name(code: str) -> str:
        n = names.get(code)
        if n is None:
            n = names[code] = directory.name(code)
        return n

    shifted: dict[date, tuple[date, str | None]] = {}  # a batch's deadlines fall on a few hundred days

    def effective(day: date) -> tuple[date, str | None]:
        hit = shifted.get(day)
        if hit is None:
            eff = workcal.effective_due(day, shift=shift)
            hit = shifted[day] = (eff, workcal.day_off_name(day) if eff != day else None)
        return hit

    has_pages = task_page_url(settings, "") is not None

    out: list[TaskEntry] = []
    for tid in ids:
        task = rows.get(tid)
        if task is None:
            continue
        role = _role(task, scope)
        if role is None:
            continue
        d = deadlines.get(task.id) or {}
        kind = d.get("kind") or task.deadline_kind
        rrule = start = None
        taskocc = occ.get(task.id, {})
        directive = directives.get(task.directive_id) if task.directive_id else None
        until = _plan_end(d, directive) if kind not in ("once", "continuous") else None
        if kind == "once":
            keys = ["once"]
            due_once = task.due or (date.fromisoformat(d["due"]) if d.get("due") else None)
        elif kind == "continuous":
            keys = ["continuous"]
        else:
            try:
                dl = Deadline.from_dict(d)
            except DeadlineError as e:
                log.warning("task %s left out of the calendar: %s", task.key, e)
                continue
            kind, rrule, start = dl.kind, dl.rrule, dl.start
            if kind != "recurring":
                log.warning("task %s left out of the calendar: deadline kind %r", task.key, kind)
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
        entries = []
        for k in keys:
            row = taskocc.get(k)
            due = due_once if k == "once" else None if k == "continuous" else date.fromisoformat(k)
            in_force = row.extended_due if row is not None and row.extended_due else due
            if any(x is not None and not MIN_YEAR <= x.year <= MAX_YEAR for x in (due, in_force)):
                # Stored before dates were bounded (an extension to 31/12/9999): no calendar can hold it.
                log.warning("task %s (%s): date %s outside the years %d-%d; left out of the calendar",
                            task.key, k, in_force, MIN_YEAR, MAX_YEAR)
                continue
            eff, day_off = effective(in_force) if in_force else (None, None)
            p = progress.get((task.id, k))
            entries.append(OccurrenceEntry(
                key=k, due=due, in_force=in_force, effective=eff,
                state=row.status if row is not None else "open",
                completed_on=row.completed_on if row is not None else None,
                sequence=row.sequence if row is not None else 0,
                updated_at=row.updated_at if row is not None else None,
                progress=ProgressEntry(p.percent, p.note, p.actor, p.created_at) if p is not None else None,
                pending_extension=pending.get((task.id, k)),
                day_off=day_off,
            ))
        report_to = task.report_to
        if report_to and directory.get(report_to) is not None:
            report_to = name(report_to)
        out.append(TaskEntry(
            key=task.key, content=task.content, kind=kind, deadline_text=task.deadline_text,
            lead_name=name(task.lead_agency), sequence=task.sequence or 0, updated_at=_aware(task.updated_at),
            occurrences=tuple(entries), rrule=rrule, start=start,
            coordinator_names=tuple([name(c) for c in task.coordinators]) if task.coordinators else (),
            coordinators_note=task.coordinators_note, report_to=report_to,
            directive_number=directive.number if directive else None,
            directive_issued=directive.issued if directive else None,
            directive_subject=directive.subject if directive else None, role=role, shift_rule=shift,
            until=until if kind == "recurring" else None, url=task_page_url(settings, task.key) if has_pages else None,
            rrules=tuple(d.get("rrules") or ()) if kind == "recurring" else (),
        ))
    return out


# -- rendering -------------------------------------------------------------------------------------------

def calendar_meta(scope: FeedScope, settings, *, todo: bool = False, session: Session | None = None) -> CalendarMeta:
    from storage.agencies import DirectoryNames

    lang = _lang(scope, settings)
    directory = agency_directory(settings) if scope.agencies else None
    if directory is not None and session is not None:
        directory = DirectoryNames(session, directory)  # the database's names first
    if scope.agencies:
        names = [directory.name(c) for c in scope.agencies]
        if len(names) > 3:  # a group ("Các sở, ban, ngành"): a name, not a paragraph
            who = ngettext("{n} agency", "{n} agencies", len(names), lang=lang)
        else:
            who = ", ".join(names)
        desc = _("Deadlines of the tasks {who} leads or coordinates — dondoc", lang=lang, who=who)
    else:
        who = _("all agencies", lang=lang)
        desc = _("Deadlines of every agency — dondoc", lang=lang)
    name = (_("dondoc — {who} (tasks)", lang=lang, who=who) if todo else _("dondoc — {who}", lang=lang, who=who))
    return CalendarMeta(name=name, description=desc, lang=lang, tzid=str(settings.timezone),
                        uid_domain=settings.uid_domain)


def alarm_spec(settings) -> AlarmSpec | None:
    offsets = settings.reminder_offsets
    return AlarmSpec(days_before=max(offsets), at=settings.reminder_time) if offsets else None


def iter_scope(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False,
               window: bool = True, batch: int | None = None) -> Iterator[bytes]:
    """The calendar as a stream of byte chunks: the head, then the components of `batch` tasks at a time, then
    the end. Memory holds one batch, never the whole calendar."""
    today = _local_today(now, settings)
    meta = calendar_meta(scope, settings, todo=todo, session=session)
    opt = options(meta, today=today, keep_done_days=settings.feed_keep_done_days,
                  due_soon_days=settings.due_soon_days, alarm=alarm_spec(settings), todo=todo)
    yield calendar_head(meta)
    ids = task_ids(session, scope, settings, today, window=window)
    batch = batch or BATCH
    # Everything besides the rows that shapes a batch's text: with the rows' fingerprint, the memo's key.
    shape = (RENDER_VERSION, __version__, scope.key, todo, opt, settings.deadline_shift_to_workday,
             settings.feed_base_url, task_page_url(settings, "") is not None,
             _cached("digest:agencies", settings.agencies_file, _digest),
             _cached("digest:holidays", settings.holidays_file, _digest),
             _agency_names_digest(session))  # a province's names live in the database (dondoc agencies)
    empty = True
    for i in range(0, len(ids), batch):
        rows = _load_batch(session, ids[i:i + batch])
        data = _memo.get((shape, rows.fingerprint()))
        if data is None:
            data = b"".join(c for e in _entries(session, rows, scope, settings, today) for c in iter_components([e], opt))
            _memo.put((shape, rows.fingerprint()), data)
        if data:
            empty = False
            yield data
    yield calendar_tail(meta, empty)


def _agency_names_digest(session: Session) -> int:
    from storage.tables import Agency

    return hash(tuple(session.execute(select(Agency.code, Agency.name).order_by(Agency.code)).all()))


class _BatchMemo:
    """Rendered batches (zlib-compressed) by what they were rendered from, so a feed rendered again after one
    task changed writes only that task's batch again (and the others cost their queries and a decompression).
    Bounded by the compressed size; shared by the feed server's worker threads."""

    LIMIT = 32 * 1024 * 1024

    def __init__(self) -> None:
        self._data: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            packed = self._data.get(key)
            if packed is None:
                return None
            self._data.move_to_end(key)
        return zlib.decompress(packed)

    def put(self, key: tuple, data: bytes) -> None:
        packed = zlib.compress(data, 1)
        with self._lock:
            old = self._data.pop(key, None)
            self._size += len(packed) - (len(old) if old is not None else 0)
            self._data[key] = packed
            while self._size > self.LIMIT and len(self._data) > 1:
                _, dropped = self._data.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0


_memo = _BatchMemo()


def render_scope(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False,
                 window: bool = True) -> bytes:
    return b"".join(iter_scope(session, scope, settings, now, todo=todo, window=window))


def calendar_for_agency(session: Session, code: str, settings, now: datetime, *, todo: bool = False,
                        window: bool = True) -> bytes:
    """The .ics of the tasks agency `code` leads or coordinates (what `/ics` sends and `dondoc ics --agency`)."""
    return render_scope(session, scope_for_agency(code), settings, now, todo=todo, window=window)


def calendar_for_binding(session: Session, binding_id: int, settings, now: datetime, *, todo: bool = False,
                         window: bool = True) -> bytes:
    return render_scope(session, scope_for_binding(session, binding_id), settings, now, todo=todo, window=window)


def calendar_for_all(session: Session, settings, now: datetime, *, todo: bool = False, window: bool = True) -> bytes:
    """Every agency's tasks (the oversight calendar)."""
    return render_scope(session, scope_for_oversight(), settings, now, todo=todo, window=window)


def calendar_for_task(session: Session, task: Task, settings, now: datetime) -> bytes:
    """One task as an .ics (the attachment of an e-mail about it): as its lead agency's calendar shows it."""
    scope = scope_for_agency(task.lead_agency)
    today = _local_today(now, settings)
    entries = load_entries(session, scope, settings, today, [task.id])  # this task only, whatever the window
    return render_calendar(entries, meta=calendar_meta(scope, settings), today=today,
                           keep_done_days=settings.feed_keep_done_days, due_soon_days=settings.due_soon_days,
                           alarm=alarm_spec(settings))
