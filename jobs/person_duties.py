"""Reading what the person planner needs from storage: the hand-overs in force of a batch of tasks, as
jobs.person_plan.PersonDuty values for TaskSnapshot.duties. The one loader the scheduler, `dondoc preview`
and the dispatcher's last check share, so the three plan alike (preview equals run)."""

from __future__ import annotations

from typing import Collection

from sqlmodel import Session

from jobs.person_plan import PARTS, Contact, CoordinatingPart, PersonDuty
from storage.delegation import duties_of, open_parts_of
from storage.people import channels_of


def contact(person) -> Contact:
    return Contact(person.id, person.name, tuple(channels_of(person)))


def load_duties(session: Session, task_ids: Collection[int]) -> dict[int, dict[str, PersonDuty]]:
    """task id → occurrence key ("*" = every period) → PersonDuty; and under PARTS the task's coordinating
    parts with their own deadlines (a tuple of CoordinatingPart), so every loader plans them alike."""
    out: dict[int, dict] = {}
    found = duties_of(session, task_ids)
    failed = _failed_chats(session, list(found))
    for task_id, by_occ in found.items():
        out[task_id] = {k: PersonDuty(r.assignment.id, contact(r.person), r.assignment.due,
                                      r.assignment.acknowledged_at, tuple(contact(h) for h in r.heads),
                                      tuple(contact(x) for x in r.leaders), failed.get(task_id, frozenset()))
                        for k, r in by_occ.items()}
    for task_id, parts in open_parts_of(session, task_ids).items():
        out.setdefault(task_id, {})[PARTS] = tuple(
            CoordinatingPart(a.id, a.agency, a.due, a.occurrence, contact(p) if p is not None else None)
            for a, p in parts)
    return out


def _failed_chats(session: Session, task_ids: list[int]) -> dict[int, frozenset[str]]:
    """task id → the chats a person's reminder about it could not be delivered to (given up, chat gone)."""
    from sqlmodel import select

    from storage.tables import FAILED, Notification

    out: dict[int, set[str]] = {}
    for i in range(0, len(task_ids), 500):
        for task_id, chat in session.exec(select(Notification.task_id, Notification.chat).where(
                Notification.task_id.in_(task_ids[i:i + 500]), Notification.status == FAILED,
                Notification.step.startswith("premind:"))):
            out.setdefault(task_id, set()).add(chat)
    return {k: frozenset(v) for k, v in out.items()}
