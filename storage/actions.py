"""What people do to a task — progress, done, confirmation, extension, acknowledgement — each with its audit
entry in the same unit of work.

Every action:
- creates the occurrence's row when it is the first thing that happens to it (rows are lazy);
- bumps `Task.sequence` and `Occurrence.sequence` (iCalendar SEQUENCE; stale buttons are recognised by it)
  and `updated_at`;
- sets `task.next_check_at = now`, so the scheduler's next tick re-plans the task (stops reminders after
  done, plans fresh ones after an approved extension);
- refuses, with an `ActionError` saying why, anything that does not make sense in the current state, and
  then changes nothing.

The caller owns the transaction (`storage.db.session_scope`): nothing is committed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from storage import audit
from storage.tables import DONE, OPEN, PENDING_CONFIRMATION, Extension, Occurrence, ProgressUpdate, Task

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Actor:
    """Who acts, for the audit log: a person's name, their platform id (Telegram user id), and from where."""

    name: str
    id: str | None = None
    source: Literal["cli", "telegram", "console"] | str = "cli"


class ActionError(ValueError):
    """An action that cannot be done in the current state; `code` names the reason for the caller's texts."""

    def __init__(self, code: str, message: str, **info):
        self.code = code
        self.info = info
        super().__init__(message)


# -- occurrences ------------------------------------------------------------------------------------------

def occurrence_due(task: Task, occurrence_key: str) -> date | None:
    """The due date as written of one occurrence: the task's for "once", the key's date for a period."""
    if occurrence_key == "once":
        return task.due
    if occurrence_key == "continuous":
        return None
    try:
        return date.fromisoformat(occurrence_key)
    except ValueError:
        raise ActionError("bad_occurrence", f"unknown occurrence {occurrence_key!r} of task {task.key}") from None


def _check_key(task: Task, occurrence_key: str) -> None:
    if task.removed_at is not None:
        raise ActionError("removed", f"task {task.key} was removed from the registry")
    kind = task.deadline_kind
    ok = (occurrence_key == "once" if kind == "once" else
          occurrence_key == "continuous" if kind == "continuous" else
          occurrence_key not in ("once", "continuous"))
    if not ok:
        raise ActionError("bad_occurrence", f"task {task.key} ({kind}) has no occurrence {occurrence_key!r}")
    occurrence_due(task, occurrence_key)


def get_occurrence(session: Session, task: Task, occurrence_key: str) -> Occurrence | None:
    return session.exec(
        select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occurrence_key)
    ).first()


def ensure_occurrence(session: Session, task: Task, occurrence_key: str, now: datetime) -> Occurrence:
    """The occurrence's row, created (open, never acknowledged) if nothing happened to it yet."""
    _check_key(task, occurrence_key)
    occ = get_occurrence(session, task, occurrence_key)
    if occ is None:
        occ = Occurrence(task_id=task.id, key=occurrence_key, due=occurrence_due(task, occurrence_key),
                         status=OPEN, updated_at=now)
        session.add(occ)
        session.flush()
    return occ


def current_occurrence(session: Session, task: Task, today: date) -> str:
    """The occurrence an action means when a person names only the task (CLI, web console, chat commands): the
    one deadline of a one-off or continuous task; for a recurring one the current period — the open period whose
    deadline in force is the nearest not yet passed, else the latest passed one still open (within a year); when
    every one is done, the next period. The bot's buttons carry their occurrence instead."""
    if task.deadline_kind == "once":
        return "once"
    if task.deadline_kind == "continuous":
        return "continuous"
    from datetime import timedelta

    from core.deadline import Deadline, DeadlineError

    try:
        deadline = Deadline.from_dict(task.deadline)
    except DeadlineError as e:
        raise ActionError("no_occurrence", f"task {task.key} has an unreadable deadline: {e}") from None
    rows = {o.key: o for o in session.exec(select(Occurrence).where(Occurrence.task_id == task.id))}
    closed = {k for k, o in rows.items() if o.status != OPEN}
    # Enough upcoming periods that one is still open even when several were reported done early.
    past = deadline.occurrences(today - timedelta(days=365), today - timedelta(days=1))
    upcoming = deadline.next_dues(today, len(closed) + 1)
    if not past and not upcoming:
        raise ActionError("no_occurrence", f"task {task.key} has no period to report on")

    def in_force(due: date) -> date:
        o = rows.get(due.isoformat())
        return o.extended_due if o is not None and o.extended_due is not None else due

    open_ = [d for d in past + upcoming if d.isoformat() not in closed]
    ahead = sorted((d for d in open_ if in_force(d) >= today), key=in_force)
    if ahead:
        return ahead[0].isoformat()
    behind = sorted((d for d in open_ if in_force(d) < today), key=in_force)
    if behind:
        return behind[-1].isoformat()
    return (upcoming or past)[-1 if not upcoming else 0].isoformat()


def deadline_in_force(task: Task, occurrence: Occurrence | None, occurrence_key: str) -> date | None:
    """The due date after approved extensions (before the working-day shift, which is only for display)."""
    if occurrence is not None and occurrence.extended_due is not None:
        return occurrence.extended_due
    return occurrence_due(task, occurrence_key)


def _touch(task: Task, occ: Occurrence, now: datetime) -> None:
    task.sequence = (task.sequence or 0) + 1
    task.updated_at = now
    task.next_check_at = now
    occ.sequence = (occ.sequence or 0) + 1
    occ.updated_at = now


def _peek(session: Session, task: Task, occurrence_key: str) -> Occurrence | None:
    """The occurrence's row if any, after checking the key; validation reads this so a refusal writes nothing."""
    _check_key(task, occurrence_key)
    return get_occurrence(session, task, occurrence_key)


def _status(occ: Occurrence | None) -> str:
    return occ.status if occ is not None else OPEN


def _audit(session: Session, actor: Actor, now: datetime, action: str, task: Task, occurrence_key: str,
           entity: str = "task", **detail) -> None:
    audit.record(session, at=now, actor=actor.name, actor_id=actor.id, source=actor.source, action=action,
                 entity=entity, entity_key=task.key, occurrence=occurrence_key, **detail)


# -- actions ----------------------------------------------------------------------------------------------

def record_progress(session: Session, task: Task, occurrence_key: str, percent: int | None, note: str | None,
                    actor: Actor, now: datetime) -> ProgressUpdate:
    """A progress report (báo cáo tiến độ): a percent from 0 to 100 and/or a note."""
    if percent is not None and not (isinstance(percent, int) and 0 <= percent <= 100):
        raise ActionError("bad_percent", f"percent must be a whole number from 0 to 100, not {percent!r}")
    if percent is None and not (note and note.strip()):
        raise ActionError("empty_progress", "a progress report needs a percent or a note")
    status = _status(_peek(session, task, occurrence_key))
    if status != OPEN:
        raise ActionError("already_done", f"task {task.key} is already marked done", status=status)
    occ = ensure_occurrence(session, task, occurrence_key, now)
    _touch(task, occ, now)
    update = ProgressUpdate(task_id=task.id, occurrence_key=occurrence_key, percent=percent,
                            note=(note or None), actor=actor.name, actor_id=actor.id, source=actor.source,
                            created_at=now)
    session.add(update)
    _audit(session, actor, now, "task.progress", task, occurrence_key, percent=percent, note=note)
    return update


def mark_done(session: Session, task: Task, occurrence_key: str, actor: Actor, now: datetime,
              note: str | None = None, needs_confirmation: bool = False, tz: ZoneInfo = VN,
              completed_on: date | None = None) -> Occurrence:
    """Done (hoàn thành) — or, with `needs_confirmation`, awaiting the oversight body (chờ xác nhận).

    The completion date is `completed_on` (checked by storage.completion), else the local date of `now`; "on
    time" is judged on it.
    """
    status = _status(_peek(session, task, occurrence_key))
    if status == DONE:
        raise ActionError("already_done", f"task {task.key} is already marked done", status=status)
    if status == PENDING_CONFIRMATION:
        raise ActionError("already_pending", f"task {task.key} is already awaiting confirmation", status=status)
    occ = ensure_occurrence(session, task, occurrence_key, now)
    _touch(task, occ, now)
    occ.status = PENDING_CONFIRMATION if needs_confirmation else DONE
    occ.completed_on = completed_on or now.astimezone(tz).date()
    occ.completion_note = note or None
    _audit(session, actor, now, "task.done_claimed" if needs_confirmation else "task.done", task, occurrence_key,
           note=note, completed_on=occ.completed_on)
    return occ


def confirm_completion(session: Session, task: Task, occurrence_key: str, actor: Actor, now: datetime,
                       approve: bool, note: str | None = None) -> Occurrence:
    """The oversight body confirms a completion (→ done, dated when it was reported) or sends it back (→ open)."""
    occ = _peek(session, task, occurrence_key)
    if occ is None or occ.status != PENDING_CONFIRMATION:
        raise ActionError("not_pending", f"task {task.key} is not awaiting confirmation",
                          status=occ.status if occ else OPEN)
    _touch(task, occ, now)
    if approve:
        occ.status = DONE
    else:
        occ.status = OPEN
        occ.completed_on = None
    _audit(session, actor, now, "task.completion_confirmed" if approve else "task.completion_rejected", task,
           occurrence_key, note=note)
    return occ


def request_extension(session: Session, task: Task, occurrence_key: str, requested_due: date, reason: str,
                      actor: Actor, now: datetime, chat: str | None = None, tz: ZoneInfo = VN) -> Extension:
    """Ask for more time (xin gia hạn). `chat` is "platform:chat_id" where it was asked, to tell the decision.

    The new date must be later than the deadline in force and not in the past; one request per occurrence
    may wait for a decision at a time.
    """
    if not (reason and reason.strip()):
        raise ActionError("no_reason", "an extension request needs a reason")
    occ = _peek(session, task, occurrence_key)
    if _status(occ) != OPEN:
        raise ActionError("already_done", f"task {task.key} is already marked done", status=_status(occ))
    current = deadline_in_force(task, occ, occurrence_key)
    if current is None:
        raise ActionError("no_deadline", f"task {task.key} has no deadline to extend")
    from core.deadline import MAX_YEAR, MIN_YEAR

    if not MIN_YEAR <= requested_due.year <= MAX_YEAR:  # 31/12/9999 overflowed every calendar built from it
        raise ActionError("date_out_of_range", f"the year must be between {MIN_YEAR} and {MAX_YEAR}",
                          first=MIN_YEAR, last=MAX_YEAR)
    if requested_due <= current:
        raise ActionError("date_not_later", f"the new date must be after the deadline in force {current:%d/%m/%Y}",
                          current=current)
    today = now.astimezone(tz).date()
    if requested_due < today:
        raise ActionError("date_in_past", f"the new date {requested_due:%d/%m/%Y} is in the past", today=today)
    pending = session.exec(select(Extension).where(
        Extension.task_id == task.id, Extension.occurrence_key == occurrence_key, Extension.decision == "pending")
    ).first()
    if pending is not None:
        raise ActionError("extension_pending", f"an extension to {pending.requested_due:%d/%m/%Y} is already "
                          "awaiting a decision", extension=pending)
    occ = ensure_occurrence(session, task, occurrence_key, now)
    _touch(task, occ, now)
    platform, _, chat_id = (chat or "").partition(":")
    ext = Extension(task_id=task.id, occurrence_key=occurrence_key, previous_due=current,
                    requested_due=requested_due, reason=reason.strip(), requested_by=actor.name,
                    requested_by_id=actor.id, requested_at=now, platform=platform or None,
                    chat_id=chat_id or None, decision="pending")
    session.add(ext)
    session.flush()
    _audit(session, actor, now, "extension.requested", task, occurrence_key, entity="extension",
           extension_id=ext.id, previous_due=current, requested_due=requested_due, reason=reason.strip())
    return ext


def decide_extension(session: Session, extension: Extension, approve: bool, actor: Actor, now: datetime,
                     note: str | None = None) -> Extension:
    """Approve (the occurrence's deadline in force becomes the requested date) or reject a request."""
    if extension.decision != "pending":
        raise ActionError("already_decided", f"this request was already {extension.decision}",
                          decision=extension.decision, by=extension.decided_by)
    task = session.get(Task, extension.task_id)
    _check_key(task, extension.occurrence_key)
    occ = ensure_occurrence(session, task, extension.occurrence_key, now)
    _touch(task, occ, now)
    extension.decision = "approved" if approve else "rejected"
    extension.decided_by = actor.name
    extension.decided_by_id = actor.id
    extension.decided_at = now
    extension.decision_note = note or None
    if approve:
        occ.extended_due = extension.requested_due
    session.add(extension)
    _audit(session, actor, now, "extension.approved" if approve else "extension.rejected", task,
           extension.occurrence_key, entity="extension", extension_id=extension.id,
           requested_due=extension.requested_due, note=note)
    return extension


def acknowledge(session: Session, task: Task, occurrence_key: str, actor: Actor, now: datetime) -> Occurrence:
    """"Đã nhận": someone in the chat has seen it. Stops repeats before the deadline, not escalation after it."""
    seen = _peek(session, task, occurrence_key)
    if seen is not None and seen.acknowledged_at is not None:
        raise ActionError("already_acknowledged", f"already acknowledged by {seen.acknowledged_by}",
                          by=seen.acknowledged_by, at=seen.acknowledged_at)
    occ = ensure_occurrence(session, task, occurrence_key, now)
    _touch(task, occ, now)
    occ.acknowledged_at = now
    occ.acknowledged_by = actor.name
    _audit(session, actor, now, "task.acknowledged", task, occurrence_key)
    return occ
