"""The occurrence listing: what `storage.views.task_items` lists, kept in a table so the console's dashboard and
task list count, filter and page in SQL at 100k tasks (issue 23) and turn only a page's rows into `TaskItem`s.

Why a kept listing and not SQL over the tasks: a recurring task's occurrences are not stored (they come from its
rule, `core.deadline`), and a deadline in force is moved off days off by the working-day calendar; neither can be
asked of SQL. So each task's rows are computed by `task_items` itself — the very function the pages used — and
kept with the date until which they hold (`ListingState.valid_until`): for a one-off or continuous task, until the
task changes; for a recurring one, until its next occurrence falls due or its oldest listed one leaves the
365-day window. Only the status that depends on the day (in time / due soon / overdue) is worked out when read,
in SQL, from the stored deadline in force — by the same rule as `core.status.compute_status`.

What makes a row stale: any change to a task, its occurrences, its extensions, its responsibility or its
directive, seen in the session's flush (`forget_changed`: the same transaction deletes the task's rows and marks
its state stale — the dashboard's kept four groups, reports/kept_groups.py, alike), a task whose `sequence` moved
since (a change committed by another process while the rows were computed), a task with no rows yet (a
registry loaded in bulk), a row past its `valid_until`, and a different calendar, shift rule or set of agencies
that ceased (`fingerprint`: everything is computed again). `refresh` recomputes just those, a chunk at a time;
the pages call it before reading, and the scheduler's tick does up to LISTING_TICK_SHARE tasks a tick so the
first page of a day (or after an import) finds most of it done.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from core.status import Status
from storage.group_tables import GroupedOccurrence, GroupingState
from storage.listing_tables import ListedOccurrence, ListingMeta, ListingState
from storage.record_tables import WRITTEN, ResponsibilityEntry
from storage.responsibility import agency_ends
from storage.tables import Directive, Extension, Occurrence, Task
from storage.views import RECURRING_LOOKBACK_DAYS, TaskItem, task_items

__all__ = ["refresh", "stale_tasks", "Scope", "count", "page_keys", "items_of", "status_counts", "fold", "bare",
           "LISTING_VERSION", "ORDER"]

LISTING_VERSION = "3"  # bump when what a row holds changes: every row is computed again
LISTING_TICK_SHARE = 5000  # tasks a scheduler tick recomputes at most (jobs/scheduler.py)
FIXED = (Status.DONE_ON_TIME, Status.DONE_LATE, Status.PENDING_CONFIRMATION, Status.NO_DEADLINE)
L = ListedOccurrence.__table__.c
S = ListingState.__table__.c
STALE = date(1900, 1, 1)  # the `valid_until` of a task whose rows a change forgot: before any day asked


# -- text folding (the task list's search: a query typed without diacritics matches the text with them) -------

def fold(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", text).casefold()


def bare(text: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in s if not unicodedata.combining(c))


# -- staleness ---------------------------------------------------------------------------------------------

_IGNORED_TASK_FIELDS = {"next_check_at"}  # the planner's bookkeeping changes no occurrence


def _changed(obj, ignored=frozenset()) -> bool:
    state = sa.inspect(obj)
    return any(a.history.has_changes() for a in state.attrs if a.key not in ignored)


@event.listens_for(OrmSession, "before_flush")
def _note_changed(session, flush_context, instances) -> None:
    tasks: set[int] = set()
    directives: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Task):
            if obj.id is not None and (obj in session.deleted or _changed(obj, _IGNORED_TASK_FIELDS)):
                tasks.add(obj.id)
        elif isinstance(obj, (Occurrence, Extension)):
            if obj.task_id is not None:
                tasks.add(obj.task_id)
        elif isinstance(obj, ResponsibilityEntry):  # who led it on a due date: the kept four groups' lead
            # A "written" entry only writes down what the task's row already says (storage.responsibility): an
            # import's 100k of them change no figure and need not delete anything.
            if obj.task_id is not None and (obj.kind != WRITTEN or obj not in session.new):
                tasks.add(obj.task_id)
        elif isinstance(obj, Directive):
            if obj.id is not None:
                directives.add(obj.id)
    if tasks or directives:
        pending = session.info.setdefault("listing_forget", (set(), set(), set()))
        pending[0].update(tasks)
        pending[1].update(directives)
        pending[2].update(t.id for t in session.deleted if isinstance(t, Task) and t.id is not None)


@event.listens_for(OrmSession, "after_flush")
def forget_changed(session, flush_context) -> None:
    """Delete the listing rows of what this flush changed, and its kept four groups (reports/kept_groups.py), in
    its transaction, and mark the tasks stale (`valid_until` the first day there is): the next read finds them by
    that index alone and computes them, without looking for tasks that have no state among all of them. A task
    deleted loses its state instead (one removed from the registry keeps one that says it lists nothing)."""
    pending = session.info.pop("listing_forget", None)
    if not pending:
        return
    tasks, directives, deleted = pending
    conn = session.connection()
    if directives:
        tasks = tasks | set(conn.execute(sa.select(Task.__table__.c.id)
                                         .where(Task.__table__.c.directive_id.in_(sorted(directives)))).scalars())
    GS = GroupingState.__table__.c
    ids = sorted(tasks)
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        conn.execute(sa.delete(ListedOccurrence.__table__).where(L.task_id.in_(part)))
        conn.execute(sa.delete(GroupedOccurrence.__table__).where(GroupedOccurrence.__table__.c.task_id.in_(part)))
        conn.execute(sa.update(ListingState.__table__).where(S.task_id.in_(part)).values(valid_until=STALE))
        conn.execute(sa.update(GroupingState.__table__).where(GS.task_id.in_(part)).values(valid_until=STALE))
    for i in range(0, len(deleted), 500):
        part = sorted(deleted)[i:i + 500]
        conn.execute(sa.delete(ListingState.__table__).where(S.task_id.in_(part)))
        conn.execute(sa.delete(GroupingState.__table__).where(GS.task_id.in_(part)))


@lru_cache(maxsize=1)
def _holidays_version() -> str:
    """The `holidays` package's version: read once a process (reading package metadata costs milliseconds, and
    every page asks the fingerprint)."""
    try:
        from importlib.metadata import version

        return version("holidays")
    except Exception:  # noqa: BLE001 - no version: the fingerprint is still the calendar's own days
        return ""


def fingerprint(session: Session, settings, calendar) -> str:
    """What every row depends on beyond its task: the calendar's own days, the shift rule, the ceased agencies."""
    shift = bool(getattr(settings, "deadline_shift_to_workday", True)) and calendar is not None
    parts = [LISTING_VERSION, str(shift), str(RECURRING_LOOKBACK_DAYS)]
    if calendar is not None:
        parts += [",".join(sorted(d.isoformat() for d in getattr(calendar, "_extra_off", ()))),
                  ",".join(sorted(d.isoformat() for d in getattr(calendar, "_extra_work", ())))]
        parts.append(_holidays_version())
    parts.append(";".join(f"{c}:{end}:{succ}" for c, (end, succ) in sorted(agency_ends(session).items())))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _valid_until(task: Task, items: list[TaskItem], today: date) -> date:
    if task.deadline_kind != "recurring":
        return date.max  # one-off and continuous rows change only when the task does
    until = date.max
    upcoming = [i.due for i in items if i.due is not None and i.due > today]
    past = [i.due for i in items if i.due is not None and i.due <= today]
    if upcoming:  # on that day it is past, and the one after it is listed
        until = min(until, min(upcoming) - timedelta(days=1))
    if past:  # the day after this, the oldest leaves the window (storage.views.RECURRING_LOOKBACK_DAYS)
        until = min(until, min(past) + timedelta(days=RECURRING_LOOKBACK_DAYS))
    return until


def _row(i: TaskItem) -> dict:
    t = i.task
    text = f"{t.key}\n{t.content}"
    return {"task_id": t.id, "occurrence_key": i.occurrence_key, "task_key": t.key, "lead_agency": t.lead_agency,
            "agencies": "|" + "|".join([t.lead_agency, *(t.coordinators or [])]) + "|",
            "directive_id": t.directive_id, "position": t.position or 0, "due": i.due,
            "effective_due": i.effective_due, "due_sort": i.effective_due or date.max, "state": i.state,
            "fixed_status": i.status.value if i.status in FIXED else None,
            "pending_extension": i.pending_extension is not None,
            "search_fold": fold(text), "search_bare": bare(text)}


def stale_tasks(conn, today: date, *, state, limit: int | None, thorough: bool) -> list[int]:
    """The tasks whose rows must be computed on `today`. Every task has a state once computed (a removed one too:
    it lists nothing), and tasks are numbered in the order they come, so while the newest task has one, the stale
    ones are those past `valid_until` (a change marks them, `forget_changed`; a recurring task's rows end) or
    computed after today (a clock set back) — both found by index, two lookups whatever the registry's size.
    Otherwise (a registry loaded in bulk, a new task) and when `thorough` (the scheduler's tick: also a task whose
    sequence moved since, a change another process committed while its rows were computed, or one that came
    with a number below the newest) every task is compared."""
    T = Task.__table__.c
    s = state.c
    if not thorough:
        newest = conn.execute(sa.select(sa.func.max(T.id))).scalar()
        kept = conn.execute(sa.select(sa.func.max(s.task_id))).scalar()
        if newest == kept:
            return list(conn.execute(sa.union(sa.select(s.task_id).where(s.valid_until < today),
                                              sa.select(s.task_id).where(s.computed_on > today))
                                     .order_by("task_id").limit(limit)).scalars())
    return list(conn.execute(
        sa.select(T.id).select_from(Task.__table__.outerjoin(state, s.task_id == T.id))
        .where(sa.or_(s.task_id.is_(None), s.valid_until < today, s.computed_on > today,
                      s.task_sequence != T.sequence))
        .order_by(T.id).limit(limit)).scalars())


def refresh(session: Session, *, settings, calendar, today: date, chunk: int = 2000, limit: int | None = None,
            thorough: bool = False) -> int:
    """Compute the rows of every task that has none or whose rows no longer hold on `today` (at most `limit`
    tasks: the scheduler's tick does a share at a time); how many tasks. `thorough`: also compare every task's
    sequence with the one its rows were computed at (a full pass; the tick does it, pages need not)."""
    fp = fingerprint(session, settings, calendar)
    meta = session.get(ListingMeta, "fingerprint")
    conn = session.connection()
    if meta is None or meta.value != fp:
        conn.execute(sa.delete(ListingState.__table__))
        conn.execute(sa.delete(ListedOccurrence.__table__))
        if meta is None:
            session.add(ListingMeta(name="fingerprint", value=fp))
        else:
            meta.value = fp
        session.flush()
    stale = stale_tasks(conn, today, state=ListingState.__table__, limit=limit, thorough=thorough)
    for i in range(0, len(stale), chunk):
        part = stale[i:i + chunk]
        items = task_items(session, settings=settings, calendar=calendar, today=today, task_ids=part)
        tasks = {t.id: t for t in session.exec(select(Task).where(Task.id.in_(part))).all()}  # type: ignore
        by_task: dict[int, list[TaskItem]] = {tid: [] for tid in part}
        for it in items:
            by_task[it.task.id].append(it)
        rows = [_row(it) for it in items]
        states = [{"task_id": tid, "valid_until": _valid_until(tasks[tid], its, today), "computed_on": today,
                   "task_sequence": tasks[tid].sequence or 0} for tid, its in by_task.items() if tid in tasks]
        replace_kept(session, ListedOccurrence.__table__, ListingState.__table__, part, rows, states)
    return len(stale)


def replace_kept(session, rows_table, state_table, task_ids, rows: list[dict], states: list[dict]) -> bool:
    """Put the rows kept for `task_ids` and their states in place of the old ones, in a savepoint: another page or
    the tick may write the same tasks' rows at the same time. False when it did — its rows stand, and a change
    since shows in task_sequence. (The listing's and the kept four groups' rows alike.)"""
    conn = session.connection()
    try:
        with session.begin_nested():
            conn.execute(sa.delete(rows_table).where(rows_table.c.task_id.in_(task_ids)))
            conn.execute(sa.delete(state_table).where(state_table.c.task_id.in_(task_ids)))
            if rows:
                conn.execute(sa.insert(rows_table), rows)
            if states:
                conn.execute(sa.insert(state_table), states)
    except sa.exc.IntegrityError:
        return False
    return True


# -- reading ------------------------------------------------------------------------------------------------

def status_expr(today: date, due_soon_days: int):
    """The occurrence's status on `today`, as `core.status.compute_status` gives it, in SQL."""
    return sa.case((L.fixed_status.is_not(None), L.fixed_status),
                   (L.effective_due < today, Status.OVERDUE.value),
                   (L.effective_due <= today + timedelta(days=due_soon_days), Status.DUE_SOON.value),
                   else_=Status.IN_TIME.value)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class Scope:
    """Which rows a page reads: the person's agencies (None: every agency), the filters, the day."""

    today: date
    due_soon_days: int = 3
    allowed: Sequence[str] | None = None  # a focal point's agencies: tasks they lead or coordinate
    agency: str | None = None
    directive_ids: Sequence[int] | None = None  # a directive filter: the directives of that number
    q: str = ""
    status: str | None = None
    include_done: bool = True

    def where(self) -> list:
        conds = []
        if self.allowed is None:
            if self.agency is not None:
                conds.append(L.lead_agency == self.agency)
        else:
            wanted = [a for a in self.allowed if self.agency is None or a == self.agency]
            conds.append(sa.or_(*[L.agencies.like(_like(f"|{a}|"), escape="\\") for a in wanted])
                         if wanted else sa.false())
        if self.directive_ids is not None:
            conds.append(L.directive_id.in_(list(self.directive_ids)) if self.directive_ids else sa.false())
        if self.q:
            if bare(self.q) == fold(self.q):  # typed without diacritics
                conds.append(L.search_bare.like(_like(bare(self.q)), escape="\\"))
            else:
                conds.append(L.search_fold.like(_like(fold(self.q)), escape="\\"))
        if not self.include_done:
            conds.append(sa.or_(L.fixed_status.is_(None),
                                L.fixed_status.not_in([Status.DONE_ON_TIME.value, Status.DONE_LATE.value])))
        if self.status is not None:
            conds.append(status_expr(self.today, self.due_soon_days) == self.status)
        return conds


ORDER = (L.due_sort, L.position, L.directive_id, L.task_key, L.due)
# The order of several agencies' items merged (web.pages / web.api visible_items): deadline, position, key.
MERGED_ORDER = (L.due_sort, L.position, L.task_key, L.due)


def count(session: Session, scope: Scope, *extra) -> int:
    q = sa.select(sa.func.count()).select_from(ListedOccurrence.__table__).where(*scope.where(), *extra)
    return session.connection().execute(q).scalar_one()


def page_keys(session: Session, scope: Scope, *extra, limit: int, offset: int = 0,
              order=ORDER) -> list[tuple[int, str]]:
    q = (sa.select(L.task_id, L.occurrence_key).where(*scope.where(), *extra).order_by(*order)
         .limit(limit).offset(offset))
    return [(r[0], r[1]) for r in session.connection().execute(q)]


def status_counts(session: Session, scope: Scope) -> dict[str, int]:
    """status → how many occurrences, one GROUP BY."""
    st = status_expr(scope.today, scope.due_soon_days).label("st")
    q = sa.select(st, sa.func.count()).where(*scope.where()).group_by(st)
    return {row[0]: row[1] for row in session.connection().execute(q)}


def items_of(session: Session, keys: Iterable[tuple[int, str]], *, settings, calendar, today: date) -> list[TaskItem]:
    """The `TaskItem`s of these (task id, occurrence key) pairs, in the order given: only a page's tasks are read."""
    keys = list(keys)
    if not keys:
        return []
    found = {(i.task.id, i.occurrence_key): i
             for i in task_items(session, settings=settings, calendar=calendar, today=today,
                                 task_ids=sorted({k[0] for k in keys}))}
    return [found[k] for k in keys if k in found]
