"""Reading what the person planner needs from storage: the hand-overs in force of a batch of tasks, as
jobs.person_plan.PersonDuty values for TaskSnapshot.duties. The one loader the scheduler, `dondoc preview`
and the dispatcher's last check share, so the three plan alike (preview equals run)."""

from __future__ import annotations

from typing import Collection

from sqlmodel import Session

from jobs.person_plan import Contact, PersonDuty
from storage.delegation import duties_of
from storage.people import channels_of


def contact(person) -> Contact:
    return Contact(person.id, person.name, tuple(channels_of(person)))


def load_duties(session: Session, task_ids: Collection[int]) -> dict[int, dict[str, PersonDuty]]:
    """task id → occurrence key ("*" = every period) → PersonDuty."""
    out: dict[int, dict[str, PersonDuty]] = {}
    for task_id, by_occ in duties_of(session, task_ids).items():
        out[task_id] = {k: PersonDuty(r.assignment.id, contact(r.person), r.assignment.due,
                                      r.assignment.acknowledged_at, tuple(contact(h) for h in r.heads),
                                      tuple(contact(x) for x in r.leaders))
                        for k, r in by_occ.items()}
    return out
