"""Read models shared by `dondoc tasks`, the bot, digests, summaries and feeds.

`task_items` answers "what is owed, when, and how is it going" one occurrence at a time:

- a one-off deadline ("trước ngày 14/6/2018") → one item, occurrence key "once";
- a continuous task ("Thường xuyên") → one item, key "continuous", status "không có hạn" unless done;
- a recurring one ("định kỳ hàng quý") → every occurrence due in [max(issue date, today − 365 days), today]
  that is not done yet, plus the next upcoming one; key = the ISO due date as written.

`due` is the date as written; `effective_due` is the deadline in force: the latest approved extension
(`Occurrence.extended_due`) if any, moved to the next working day when it falls on a day off and
DEADLINE_SHIFT_TO_WORKDAY is on (Civil Code Art. 148(5)). Status is judged against `effective_due`.

A few queries per call whatever the number of tasks (no query per task), so digests over 100k tasks stay
cheap. Removed tasks (`removed_at`) are never listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Literal

from sqlalchemy import String, cast, func, or_
from sqlmodel import Session, select

from core.deadline import Deadline, DeadlineError
from core.status import Status, compute_status
from storage.responsibility import agency_ends
from storage.tables import DONE, OPEN, Directive, Extension, Occurrence, ProgressUpdate, Task

__all__ = ["TaskItem", "task_items", "summary_counts", "RECURRING_LOOKBACK_DAYS"]

# How far back a recurring task's missed occurrences are still listed.
RECURRING_LOOKBACK_DAYS = 365


@dataclass
class TaskItem:
    """One occurrence of one task, with everything a listing, a message or a feed shows about it."""

    task: Task
    occurrence_key: str  # "once" | "continuous" | ISO due date of the period
    due: date | None  # as written
    effective_due: date | None  # extension and working-day shift applied
    state: str  # open | done | pending_confirmation (stored occurrence status)
    completed_on: date | None
    status: Status
    last_progress: ProgressUpdate | None
    pending_extension: Extension | None
    acknowledged: bool
    occurrence: Occurrence | None = None  # the stored row, None when nothing has happened to it yet
    directive: Directive | None = None

    @property
    def is_done(self) -> bool:
        return self.status.is_done

    @property
    def extended(self) -> bool:
        return self.occurrence is not None and self.occurrence.extended_due is not None


def task_items(
    session: Session,
    *,
    settings,
    calendar,
    today: date,
    agency: str | None = None,
    directive: str | None = None,
    include_done: bool = True,
    role_of_agency: Literal["lead", "any"] = "lead",
    task_ids: Iterable[int] | None = None,
) -> list[TaskItem]:
    """The occurrences to show on `today` (a local date), sorted by effective due date (None last), then
    by the task's position in its registry.

    `agency` (a code) keeps the tasks it leads (`role_of_agency="lead"`) or also those it coordinates
    ("any"); `directive` (a number such as "5099/UBND-HCC") keeps that directive's tasks; `task_ids`
    keeps only those tasks; `include_done=False` drops done occurrences."""
    query = select(Task).where(Task.removed_at.is_(None))
    if agency is not None:
        if role_of_agency == "lead":
            query = query.where(Task.lead_agency == agency)
        else:
            # JSON list in a text column on SQLite, json on PostgreSQL: a text search narrows, Python decides.
            query = query.where(or_(Task.lead_agency == agency,
                                    cast(Task.coordinators, String).like(f'%"{agency}"%')))
    if directive is not None:
        query = query.join(Directive, Directive.id == Task.directive_id).where(Directive.number == directive)
    if task_ids is not None:
        ids = list(task_ids)
        if not ids:
            return []
        query = query.where(Task.id.in_(ids))
    tasks = [t for t in session.exec(query).all()
             if agency is None or role_of_agency == "lead" or t.lead_agency == agency or agency in t.coordinators]
    if not tasks:
        return []

    id_subquery = query.with_only_columns(Task.id).scalar_subquery()
    occurrences = {(o.task_id, o.key): o
                   for o in session.exec(select(Occurrence).where(Occurrence.task_id.in_(id_subquery))).all()}
    latest_ids = (select(func.max(ProgressUpdate.id))
                  .where(ProgressUpdate.task_id.in_(id_subquery))
                  .group_by(ProgressUpdate.task_id, ProgressUpdate.occurrence_key))
    progress = {(p.task_id, p.occurrence_key): p
                for p in session.exec(select(ProgressUpdate).where(ProgressUpdate.id.in_(latest_ids))).all()}
    pending: dict[tuple[int, str], Extension] = {}
    for e in session.exec(select(Extension).where(Extension.task_id.in_(id_subquery),
                                                  Extension.decision == "pending")
                          .order_by(Extension.id)).all():
        pending[(e.task_id, e.occurrence_key)] = e
    directive_ids = {t.directive_id for t in tasks if t.directive_id is not None}
    directives = ({d.id: d for d in session.exec(select(Directive).where(Directive.id.in_(directive_ids))).all()}
                  if directive_ids else {})

    # Leads that ceased to exist with no successor (storage.responsibility): their recurring work stops at the end.
    ceased = {code: end for code, (end, successor) in agency_ends(session).items() if end is not None and not successor}
    shift = bool(getattr(settings, "deadline_shift_to_workday", True)) and calendar is not None
    due_soon = int(getattr(settings, "due_soon_days", 3))

    def item(task: Task, key: str, due: date | None) -> TaskItem:
        occ = occurrences.get((task.id, key))
        in_force = occ.extended_due if occ is not None and occ.extended_due is not None else due
        effective = calendar.effective_due(in_force, shift=True) if (in_force is not None and shift) else in_force
        state = occ.status if occ is not None else OPEN
        completed_on = occ.completed_on if occ is not None else None
        return TaskItem(
            task=task, occurrence_key=key, due=due, effective_due=effective, state=state,
            completed_on=completed_on,
            status=compute_status(effective_due=effective, today=today, state=state, completed_on=completed_on,
                                  due_soon_days=due_soon),
            last_progress=progress.get((task.id, key)),
            pending_extension=pending.get((task.id, key)),
            acknowledged=occ is not None and occ.acknowledged_at is not None,
            occurrence=occ,
            directive=directives.get(task.directive_id) if task.directive_id is not None else None,
        )

    # Tasks expanded from one group row share their deadline: expand each rule once per call.
    dues_cache: dict[tuple, tuple[list[date], list[date]]] = {}
    parsed_deadlines: dict[tuple, Deadline | None] = {}

    def recurring_dues(deadline: Deadline, window_start: date) -> tuple[list[date], list[date]]:
        key = (deadline.all_rules, deadline.start, window_start)
        if key not in dues_cache:
            dues_cache[key] = (deadline.occurrences(window_start, today),
                               deadline.next_dues(today + timedelta(days=1), 1))
        return dues_cache[key]

    items: list[TaskItem] = []
    for task in tasks:
        kind = task.deadline_kind
        if kind == "once":
            items.append(item(task, "once", task.due))
        elif kind == "continuous":
            items.append(item(task, "continuous", None))
        else:
            dkey = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(task.deadline.items()))
            if dkey not in parsed_deadlines:
                try:
                    parsed_deadlines[dkey] = Deadline.from_dict(task.deadline)
                except DeadlineError:
                    parsed_deadlines[dkey] = None  # damaged: nothing sensible to list (import never writes one)
            deadline = parsed_deadlines[dkey]
            if deadline is None:
                continue
            d = directives.get(task.directive_id) if task.directive_id is not None else None
            issued = d.issued if d is not None and d.issued else deadline.start
            window_start = max(d for d in (issued, today - timedelta(days=RECURRING_LOOKBACK_DAYS)) if d)
            past, upcoming = recurring_dues(deadline, window_start)
            end = ceased.get(task.lead_agency)
            if end is not None:  # its lead ceased with no successor: nothing is owed after its end
                past = [d for d in past if d <= end]
                upcoming = [d for d in upcoming if d <= end]
            for due in past:
                it = item(task, due.isoformat(), due)
                if it.state != DONE:
                    items.append(it)
            for due in upcoming:
                items.append(item(task, due.isoformat(), due))

    if not include_done:
        items = [i for i in items if not i.status.is_done]
    items.sort(key=lambda i: (i.effective_due is None, i.effective_due or date.max, i.task.position,
                              i.task.directive_id or 0, i.task.key, i.due or date.max))
    return items


def summary_counts(items: Iterable[TaskItem]) -> dict[str, Counter]:
    """lead agency code → Counter of statuses today, for /summary and the daily briefs' totals (the quarterly
    summary tells a quarter's figures instead: reports.summary)."""
    out: dict[str, Counter] = {}
    for i in items:
        out.setdefault(i.task.lead_agency, Counter())[i.status] += 1
    return out
