"""Completion as clerks record it, and its review (báo cáo hoàn thành, xác nhận, trả lại).

A completion has the day the work was done (`on`: not after today, not before the task was given — the
directive's issue date, else the day it was assigned), usually a report document (số/ký hiệu and its date), a
note and files kept in the evidence store (storage.evidence). "On time" is judged on `on` against the deadline in
force, so a 2013 task done in 2013 and recorded in 2026 counts on time.

The oversight body confirms it or returns it with a reason (trả lại): a returned completion is open again, its
agency's focal chats are told with the reason (an outbox row, sent by the dispatcher like every message), and
reports count it as not done until it is done again. The time from report to decision is kept on the row.

Everything is checked before anything is written; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from storage import actions, audit
from storage.actions import ActionError, Actor
from storage.evidence import EvidenceStore, StoredFile
from storage.record_tables import CONFIRMED, REPORTED, RETURNED, Completion, Evidence
from storage.tables import (
    DONE, OPEN, PENDING, PENDING_CONFIRMATION, ChatBinding, Directive, Notification, Occurrence, Task,
)

__all__ = ["Attachment", "completions_of", "confirm", "earliest_completion_day", "evidence_of", "report_completion",
           "return_completion"]

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


def earliest_completion_day(session: Session, task: Task, tz: ZoneInfo = VN) -> date:
    """The first day work on the task can have been done: the directive's issue date, else the assignment."""
    d = session.get(Directive, task.directive_id) if task.directive_id is not None else None
    if d is not None and d.issued is not None:
        return d.issued
    return task.assigned_at.astimezone(tz).date()


def report_completion(session: Session, task: Task, occurrence_key: str, actor: Actor, now: datetime, *,
                      on: date | None = None, document: str | None = None, document_date: date | None = None,
                      note: str | None = None, files: Sequence[Attachment] = (), store: EvidenceStore | None = None,
                      needs_confirmation: bool = False, tz: ZoneInfo = VN,
                      kept: Sequence[StoredFile] = ()) -> Completion:
    """Done on `on` (default today) with its evidence; awaiting the oversight body with `needs_confirmation`.
    `kept`: files already in the store (the console keeps them between its form and its confirmation step)."""
    today = now.astimezone(tz).date()
    on = on or today
    if on > today:
        raise ActionError("done_in_future", f"the completion date {on:%d/%m/%Y} is after today", on=on, today=today)
    first = earliest_completion_day(session, task, tz)
    if on < first:
        raise ActionError("done_before_assigned", f"the completion date {on:%d/%m/%Y} is before the task was "
                          f"given ({first:%d/%m/%Y})", on=on, first=first)
    if document_date is not None and document_date > today:
        raise ActionError("document_in_future", f"the document's date {document_date:%d/%m/%Y} is after today",
                          on=document_date, today=today)
    document = (document or "").strip() or None
    if document is not None and len(document) > 120:
        raise ActionError("document_too_long", "the document number is longer than 120 characters")
    if files and store is None:
        raise ActionError("no_store", "no evidence store to keep the files in")
    for f in files:  # every file checked before anything is written
        store.check(f.filename, len(f.data))
    for k in kept:
        if store is None or not store.has(k.stored):
            raise ActionError("no_file", f"the file {k.filename} is no longer in the evidence store")
    occ = actions.mark_done(session, task, occurrence_key, actor, now, note=note,
                            needs_confirmation=needs_confirmation, tz=tz, completed_on=on)
    row = Completion(task_id=task.id, occurrence_key=occurrence_key, completed_on=on, document_number=document,
                     document_date=document_date, note=(note or "").strip() or None, reported_by=actor.name,
                     reported_by_id=actor.id, source=actor.source, reported_at=now, decision=REPORTED)
    session.add(row)
    session.flush()
    stored: list[StoredFile] = [store.put(f.filename, f.data) for f in files] if files else []
    stored += list(kept)
    for s in stored:
        session.add(Evidence(task_id=task.id, completion_id=row.id, occurrence_key=occurrence_key,
                             filename=s.filename, stored=s.stored, size=s.size, content_type=s.content_type,
                             uploaded_by=actor.name, uploaded_at=now))
    if document or stored:
        audit.record(session, at=now, actor=actor.name, actor_id=actor.id, source=actor.source,
                     action="task.evidence", entity="task", entity_key=task.key, occurrence=occurrence_key,
                     document=document, document_date=document_date, files=[s.filename for s in stored])
    return row


def _latest(session: Session, task: Task, occurrence_key: str) -> Completion | None:
    return session.exec(select(Completion).where(Completion.task_id == task.id,
                                                 Completion.occurrence_key == occurrence_key)
                        .order_by(Completion.id.desc())).first()


def _decide(row: Completion | None, decision: str, actor: Actor, now: datetime, reason: str | None) -> None:
    if row is not None and row.decision == REPORTED:
        row.decision, row.decided_by, row.decided_by_id = decision, actor.name, actor.id
        row.decided_at, row.decision_reason = now, reason


def confirm(session: Session, task: Task, occurrence_key: str, actor: Actor, now: datetime,
            note: str | None = None) -> Occurrence:
    """The oversight body confirms a completion awaiting it (chờ xác nhận → đã hoàn thành)."""
    occ = actions.confirm_completion(session, task, occurrence_key, actor, now, approve=True, note=note)
    _decide(_latest(session, task, occurrence_key), CONFIRMED, actor, now, note)
    return occ


def reject(session: Session, task: Task, occurrence_key: str, actor: Actor, now: datetime,
           note: str | None = None) -> Occurrence:
    """A completion awaiting confirmation sent back without the return's message (the chat's button, `dondoc
    confirm --reject`): open again, the completion's decision kept."""
    occ = actions.confirm_completion(session, task, occurrence_key, actor, now, approve=False, note=note)
    _decide(_latest(session, task, occurrence_key), RETURNED, actor, now, note)
    return occ


def return_completion(session: Session, task: Task, occurrence_key: str, reason: str, actor: Actor,
                      now: datetime) -> Occurrence:
    """Return a completion (trả lại): done or awaiting confirmation → open, with the reason told to the agency."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("no_return_reason", "a return needs a reason")
    occ = actions.get_occurrence(session, task, occurrence_key) if task.id is not None else None
    actions._check_key(task, occurrence_key)
    if occ is None or occ.status not in (DONE, PENDING_CONFIRMATION):
        raise ActionError("not_done", f"task {task.key} is not reported done", status=occ.status if occ else OPEN)
    row = _latest(session, task, occurrence_key)
    waited = (now - row.reported_at).total_seconds() if row is not None and row.reported_at else None
    previous = occ.completed_on
    actions._touch(task, occ, now)
    occ.status, occ.completed_on = OPEN, None
    _decide(row, RETURNED, actor, now, reason)
    audit.record(session, at=now, actor=actor.name, actor_id=actor.id, source=actor.source, action="task.returned",
                 entity="task", entity_key=task.key, occurrence=occurrence_key, reason=reason,
                 completed_on=previous, waited_seconds=int(waited) if waited is not None else None)
    _tell_agency(session, task, occurrence_key, reason, actor, now, row.id if row is not None else None)
    return occ


def _tell_agency(session: Session, task: Task, occurrence_key: str, reason: str, actor: Actor, now: datetime,
                 completion_id: int | None) -> None:
    """One message to each focal chat of the lead agency, through the outbox (the dispatcher sends it)."""
    step = f"notice:returned:{completion_id or int(now.timestamp())}"
    for b in session.exec(select(ChatBinding).where(ChatBinding.agency == task.lead_agency,
                                                    ChatBinding.role == "focal", ChatBinding.active.is_(True))):
        chat = f"{b.platform}:{b.chat_id}"
        exists = session.exec(select(Notification.id).where(
            Notification.task_key == task.key, Notification.occurrence == occurrence_key, Notification.step == step,
            Notification.chat == chat)).first()
        if exists is None:
            session.add(Notification(task_key=task.key, occurrence=occurrence_key, step=step, chat=chat,
                                     kind="notice", task_id=task.id, binding_id=b.id,
                                     payload={"what": "returned", "reason": reason, "by": actor.name,
                                              "role": "focal", "agency": task.lead_agency},
                                     due_at=now, status=PENDING, created_at=now))


def completions_of(session: Session, task: Task) -> list[Completion]:
    return list(session.exec(select(Completion).where(Completion.task_id == task.id)
                             .order_by(Completion.reported_at.desc(), Completion.id.desc())))


def evidence_of(session: Session, task: Task) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.task_id == task.id)
                             .order_by(Evidence.uploaded_at, Evidence.id)))
