"""What goes into a calendar: loads the tasks of an agency, of a linked chat, or of every agency (oversight),
with their occurrences, last progress and pending extensions, and hands them to the pure renderer.

Also the feed's validator (`feed_state`): an ETag and a Last-Modified computed from a few aggregate queries
(counts, sums of sequences, latest change times of the feed's tasks, occurrences, progress, extensions and
directives) plus what else changes the output — the settings that shape it, the agency and holiday files,
the local date (statuses and the keep-done window move with it) and the renderer's version — so a client
that already has the calendar gets its 304 without anything being rendered.

Which occurrences a recurring task shows besides its RRULE: every occurrence that has a row (something
happened to it), the periods due in the last 365 days (so an overdue report shows as overdue), and the next
upcoming period. Occurrence rows whose key is no longer a due date of the task's deadline (the deadline was
edited) are left out rather than shown on a date the rule does not produce.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from dondoc import __version__
from feeds.ics import (RENDER_VERSION, AlarmSpec, CalendarMeta, OccurrenceEntry, ProgressEntry, TaskEntry,
                       render_calendar)
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
    d = select(sa.func.count(Directive.id), sa.func.max(Directive.updated_at)).where(
        Directive.id.in_(select(Task.directive_id).where(flt).scalar_subquery()))
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
        [tuple(_norm(v) for v in r) for r in rows],
    ]
    etag = 'W/"' + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40] + '"'

    stamps = [r[i] for r, i in ((rows[0], 2), (rows[0], 5), (rows[1], 1), (rows[2], 2), (rows[3], 2),
                                (rows[3], 3), (rows[4], 1))]
    # The calendar's statuses and its keep-done window change at local midnight.
    stamps.append(datetime.combine(today, time(0), tzinfo=settings.timezone))
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

def load_entries(session: Session, scope: FeedScope, settings, today: date) -> list[TaskEntry]:
    """The scope's tasks (not removed) as the renderer wants them."""
    from jobs.deadline import Deadline, DeadlineError

    directory = agency_directory(settings)
    workcal = work_calendar(settings)
    flt = _task_filter(scope)
    tasks = [t for t in session.exec(select(Task).where(flt, Task.removed_at.is_(None)).order_by(Task.id))
             if _role(t, scope) is not None]
    if not tasks:
        return []
    live = select(Task.id).where(flt, Task.removed_at.is_(None)).scalar_subquery()

    occ: dict[int, dict[str, Occurrence]] = defaultdict(dict)
    for o in session.exec(select(Occurrence).where(Occurrence.task_id.in_(live))):
        occ[o.task_id][o.key] = o
    latest = (select(sa.func.max(ProgressUpdate.id)).where(ProgressUpdate.task_id.in_(live))
              .group_by(ProgressUpdate.task_id, ProgressUpdate.occurrence_key).scalar_subquery())
    progress: dict[tuple[int, str], ProgressUpdate] = {
        (p.task_id, p.occurrence_key): p for p in session.exec(select(ProgressUpdate).where(ProgressUpdate.id.in_(latest)))}
    pending: dict[tuple[int, str], Extension] = {}
    for x in session.exec(select(Extension).where(Extension.task_id.in_(live), Extension.decision == "pending")
                          .order_by(Extension.id)):
        pending[(x.task_id, x.occurrence_key)] = x  # the latest request wins
    directive_ids = {t.directive_id for t in tasks if t.directive_id is not None}
    directives = {d.id: d for d in session.exec(select(Directive).where(Directive.id.in_(directive_ids)))} \
        if directive_ids else {}

    shift = settings.deadline_shift_to_workday
    out: list[TaskEntry] = []
    for task in tasks:
        try:
            dl = Deadline.from_dict(task.deadline)
        except DeadlineError as e:
            log.warning("task %s left out of the calendar: %s", task.key, e)
            continue
        rows = occ.get(task.id, {})
        if dl.kind == "once":
            keys = ["once"]
        elif dl.kind == "continuous":
            keys = ["continuous"]
        else:
            since = max(dl.start, today - timedelta(days=LOOKBACK_DAYS))
            dues = set(dl.occurrences(since, today)) | set(dl.next_dues(today + timedelta(days=1), 1))
            for k in rows:
                try:
                    d = date.fromisoformat(k)
                except ValueError:
                    continue
                if dl.occurrences(d, d) == [d]:
                    dues.add(d)
            keys = [d.isoformat() for d in sorted(dues)]
        entries = []
        for k in keys:
            row = rows.get(k)
            due = (task.due or dl.due) if k == "once" else None if k == "continuous" else date.fromisoformat(k)
            in_force = row.extended_due if row is not None and row.extended_due else due
            effective = workcal.effective_due(in_force, shift=shift) if in_force else None
            p = progress.get((task.id, k))
            x = pending.get((task.id, k))
            entries.append(OccurrenceEntry(
                key=k, due=due, in_force=in_force, effective=effective,
                state=row.status if row is not None else "open",
                completed_on=row.completed_on if row is not None else None,
                sequence=row.sequence if row is not None else 0,
                updated_at=row.updated_at if row is not None else None,
                progress=ProgressEntry(p.percent, p.note, p.actor, p.created_at) if p is not None else None,
                pending_extension=x.requested_due if x is not None else None,
                day_off=workcal.day_off_name(in_force) if effective and effective != in_force else None,
            ))
        d = directives.get(task.directive_id) if task.directive_id else None
        report_to = task.report_to
        if report_to and directory.get(report_to) is not None:
            report_to = directory.name(report_to)
        out.append(TaskEntry(
            key=task.key, content=task.content, kind=dl.kind, deadline_text=task.deadline_text,
            lead_name=directory.name(task.lead_agency), sequence=task.sequence or 0, updated_at=task.updated_at,
            occurrences=tuple(entries), rrule=dl.rrule, start=dl.start,
            coordinator_names=tuple(directory.name(c) for c in (task.coordinators or [])),
            coordinators_note=task.coordinators_note, report_to=report_to,
            directive_number=d.number if d else None, directive_issued=d.issued if d else None,
            directive_subject=d.subject if d else None, role=_role(task, scope) or "lead", shift_rule=shift,
        ))
    return out


# -- rendering -------------------------------------------------------------------------------------------

def calendar_meta(scope: FeedScope, settings, *, todo: bool = False) -> CalendarMeta:
    lang = _lang(scope, settings)
    directory = agency_directory(settings) if scope.agencies else None
    if scope.agencies:
        names = [directory.name(c) for c in scope.agencies]
        if len(names) > 3:  # a group ("Các sở, ban, ngành"): a name, not a paragraph
            who = f"{len(names)} cơ quan" if lang == "vi" else f"{len(names)} agencies"
        else:
            who = ", ".join(names)
        desc = (f"Hạn các nhiệm vụ {who} chủ trì hoặc phối hợp — dondoc" if lang == "vi" else
                f"Deadlines of the tasks {who} leads or coordinates — dondoc")
    else:
        who = "tất cả cơ quan" if lang == "vi" else "all agencies"
        desc = "Hạn các nhiệm vụ của tất cả cơ quan — dondoc" if lang == "vi" else "Deadlines of every agency — dondoc"
    prefix = "Đôn đốc" if lang == "vi" else "dondoc"
    kind = (" (nhiệm vụ)" if lang == "vi" else " (tasks)") if todo else ""
    return CalendarMeta(name=f"{prefix} — {who}{kind}", description=desc, lang=lang, tzid=str(settings.timezone))


def alarm_spec(settings) -> AlarmSpec | None:
    offsets = settings.reminder_offsets
    return AlarmSpec(days_before=max(offsets), at=settings.reminder_time) if offsets else None


def render_scope(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False) -> bytes:
    today = _local_today(now, settings)
    entries = load_entries(session, scope, settings, today)
    return render_calendar(entries, meta=calendar_meta(scope, settings, todo=todo), today=today,
                           keep_done_days=settings.feed_keep_done_days, due_soon_days=settings.due_soon_days,
                           alarm=alarm_spec(settings), todo=todo)


def calendar_for_agency(session: Session, code: str, settings, now: datetime, *, todo: bool = False) -> bytes:
    """The .ics of the tasks agency `code` leads or coordinates (what `/ics` sends and `dondoc ics --agency`)."""
    return render_scope(session, scope_for_agency(code), settings, now, todo=todo)


def calendar_for_binding(session: Session, binding_id: int, settings, now: datetime, *, todo: bool = False) -> bytes:
    return render_scope(session, scope_for_binding(session, binding_id), settings, now, todo=todo)


def calendar_for_all(session: Session, settings, now: datetime, *, todo: bool = False) -> bytes:
    """Every agency's tasks (the oversight calendar)."""
    return render_scope(session, scope_for_oversight(), settings, now, todo=todo)


def calendar_for_task(session: Session, task: Task, settings, now: datetime) -> bytes:
    """One task as an .ics (the attachment of an e-mail about it): its lead agency's entries, this task only."""
    scope = scope_for_agency(task.lead_agency)
    today = _local_today(now, settings)
    entries = [e for e in load_entries(session, scope, settings, today) if e.key == task.key]
    return render_calendar(entries, meta=calendar_meta(scope, settings), today=today,
                           keep_done_days=settings.feed_keep_done_days, due_soon_days=settings.due_soon_days,
                           alarm=alarm_spec(settings))
