"""Delegation (giao việc nội bộ): an agency hands a task, or one period of it, to a department and/or a
person, with an internal deadline on or before its own; a coordinating agency's part (phần việc phối hợp)
is an item of its own with its own deadline, reporting to the lead.

Who may delegate: the lead agency's focal point (đầu mối) or leader (lãnh đạo) — anything on the task, its
coordinators' parts included; a coordinating agency's focal point or leader — its own part, to its own
people. Nobody hands another agency's work: a refusal says why (`DelegationError.code`). The server's
administrator (CLI) acts for everyone.

Roles of the one handed the work: chủ trì (leads it), phối hợp (contributes), theo dõi (kept informed).
Every change is audited; the task is re-planned (next_check_at = NULL) so reminders follow the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Collection, Optional

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, select

from storage import audit
from storage.people import Department, Person
from storage.tables import DONE, OPEN, Task, _ts

DELEGATING_ROLES = ("focal", "manager")  # đầu mối, lãnh đạo đơn vị
# Roles of the one handed the work: chủ trì (leads it), phối hợp (contributes), theo dõi (kept informed).
DELEGATION_ROLES = ("chu-tri", "phoi-hop", "theo-doi")


class Assignment(SQLModel, table=True):
    """One hand-over of a task (or of one period of it) within an agency, or a coordinating agency's part."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    occurrence: Optional[str] = Field(default=None, max_length=40)  # None: every period
    agency: str = Field(max_length=80, index=True)  # whose work: the lead, or a coordinator (its part)
    department_id: Optional[int] = Field(default=None, foreign_key="department.id")
    person_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)
    role: str = Field(default="chu-tri", max_length=20)
    due: Optional[date] = None  # the internal deadline (hạn nội bộ)
    status: str = Field(default=OPEN, max_length=30)  # a part's own state: open | done
    completed_on: Optional[date] = None
    acknowledged_at: Optional[datetime] = _ts(nullable=True)  # the person's "Đã nhận": stops the fallback
    assigned_by: str = Field(max_length=200)
    assigned_at: datetime = _ts()
    removed_at: Optional[datetime] = _ts(nullable=True)


class DelegationError(ValueError):
    def __init__(self, code: str, message: str, **info):
        super().__init__(message)
        self.code = code
        self.info = info


@dataclass(frozen=True)
class Target:
    """Whom the work goes to: a person, a department, both, or (a coordinator's part) only an agency."""

    agency: str
    person: Person | None = None
    department: Department | None = None


def refusal(task: Task, agency: str, roles: Collection[tuple[str, str]] | None) -> str | None:
    """Why `roles` ((agency, role) pairs from the actor's chats or sign-in) may not hand `agency`'s work on
    `task`; None when they may. roles None = the server's administrator. The rule is core/authority.py's."""
    from core import authority

    why = authority.refusal(authority.seats_of(roles), authority.Action.DELEGATE, lead=task.lead_agency, part=agency)
    if why is None:
        return None
    return why.code if why.code == "oversight_does_not_delegate" else "not_your_agency"


def assign(session: Session, task: Task, target: Target, *, occurrence: str | None, due: date | None,
           agency_due: date | None, role: str, actor: str, source: str, now: datetime,
           roles: Collection[tuple[str, str]] | None = None, reason: str | None = None) -> Assignment:
    """Hand `task` (or its `occurrence`) to `target` (`reason`: why, kept in the audit log). `agency_due` is the
    agency's deadline in force for that occurrence (None: no deadline, e.g. continuous): an internal deadline
    after it is refused."""
    if role not in DELEGATION_ROLES:
        raise DelegationError("bad_role", "unknown role", role=role, known=list(DELEGATION_ROLES))
    if target.agency != task.lead_agency and target.agency not in (task.coordinators or ()):
        raise DelegationError("not_on_task", "agency neither leads nor coordinates the task", agency=target.agency)
    why = refusal(task, target.agency, roles)
    if why is not None:
        raise DelegationError(why, "may not delegate this task", agency=target.agency, lead=task.lead_agency)
    if target.person is not None and not target.person.active:
        raise DelegationError("inactive", "person deactivated", name=target.person.name)
    if target.person is None and target.department is None and target.agency == task.lead_agency:
        raise DelegationError("no_target", "name a person or a department")
    if due is not None and agency_due is not None and due > agency_due:
        raise DelegationError("after_agency_due", "internal deadline after the agency's", due=due,
                              agency_due=agency_due)
    if due is not None and due < now.date():
        raise DelegationError("due_in_past", "internal deadline in the past", due=due)
    department = target.department
    if department is None and target.person is not None and target.person.department_id is not None:
        department = session.get(Department, target.person.department_id)
    row = Assignment(task_id=task.id, occurrence=occurrence, agency=target.agency,
                     department_id=department.id if department else None,
                     person_id=target.person.id if target.person else None, role=role, due=due,
                     assigned_by=actor, assigned_at=now)
    # A new hand-over of the same work (same agency, occurrence and role chủ trì) replaces the one before.
    if role == "chu-tri":
        for old in current(session, task.id, occurrence=occurrence, agency=target.agency, exact=True):
            if old.role == "chu-tri":
                old.removed_at = now
                session.add(old)
    session.add(row)
    session.flush()
    task.next_check_at = None  # reminders follow the work to its new owner
    session.add(task)
    audit.record(session, at=now, actor=actor, source=source, action="task.assigned", entity="task",
                 entity_key=task.key, occurrence=occurrence, agency=target.agency, role=role, due=due,
                 person=target.person.name if target.person else None, person_id=row.person_id,
                 department=department.name if department else None, assignment=row.id,
                 **({"reason": reason} if reason else {}))
    return row


def current(session: Session, task_id: int, *, occurrence: str | None = None, agency: str | None = None,
            exact: bool = False) -> list[Assignment]:
    """The task's hand-overs in force for `occurrence`: those for it and those for every period (exact:
    only those recorded for exactly `occurrence`)."""
    q = select(Assignment).where(Assignment.task_id == task_id, Assignment.removed_at.is_(None))
    if exact:
        q = q.where(Assignment.occurrence.is_(None) if occurrence is None else Assignment.occurrence == occurrence)
    elif occurrence is not None:
        q = q.where(sa.or_(Assignment.occurrence.is_(None), Assignment.occurrence == occurrence))
    if agency is not None:
        q = q.where(Assignment.agency == agency)
    return list(session.exec(q.order_by(Assignment.id)))


def responsible(session: Session, task: Task, occurrence: str) -> Assignment | None:
    """The lead agency's hand-over that leads (chủ trì) `occurrence`: one for that period wins over one for
    every period; None when nobody was handed the work (the agency's chats are reminded as before)."""
    rows = [a for a in current(session, task.id, occurrence=occurrence, agency=task.lead_agency)
            if a.role == "chu-tri" and a.person_id is not None]
    rows.sort(key=lambda a: (a.occurrence is None, -(a.id or 0)))
    return rows[0] if rows else None


@dataclass(frozen=True)
class Part:
    """A coordinating agency's part as the lead sees it."""

    agency: str
    occurrence: str | None
    due: date | None
    state: str  # open | done | overdue
    person: str | None
    department: str | None


def parts_of(session: Session, task: Task, today: date) -> list[Part]:
    """The coordinating agencies' parts of `task` and their state (the lead's view)."""
    out = []
    for a in current(session, task.id):
        if a.agency == task.lead_agency:
            continue
        state = a.status if a.status == DONE else ("overdue" if a.due is not None and a.due < today else OPEN)
        person = session.get(Person, a.person_id) if a.person_id else None
        dep = session.get(Department, a.department_id) if a.department_id else None
        out.append(Part(a.agency, a.occurrence, a.due, state, person.name if person else None,
                        dep.name if dep else None))
    return out


def complete_part(session: Session, task: Task, agency: str, *, occurrence: str | None, actor: str, source: str,
                  now: datetime, roles: Collection[tuple[str, str]] | None = None) -> Assignment:
    """A coordinating agency reports its part done (to the lead); the lead's own completion is unchanged."""
    if roles is not None and agency not in {a for a, r in roles if r in DELEGATING_ROLES}:
        raise DelegationError("not_your_agency", "not this agency's part", agency=agency)
    rows = [a for a in current(session, task.id, occurrence=occurrence, agency=agency) if a.status != DONE]
    if agency == task.lead_agency or not rows:
        raise DelegationError("no_part", "no open part of this agency", agency=agency)
    for a in rows:
        a.status, a.completed_on = DONE, now.date()
        session.add(a)
    task.next_check_at = None
    session.add(task)
    audit.record(session, at=now, actor=actor, source=source, action="part.done", entity="task",
                 entity_key=task.key, agency=agency, occurrence=occurrence)
    return rows[0]


def acknowledge(session: Session, assignment: Assignment, *, actor: str, actor_id: str | None, source: str,
                now: datetime) -> bool:
    """The person's "Đã nhận" (received): stops their fallback and reminders; the agency's occurrence is
    acknowledged with it (it counts for the agency's task). False when already acknowledged."""
    from storage.actions import Actor, ActionError
    from storage.actions import acknowledge as agency_acknowledge

    if assignment.acknowledged_at is not None:
        return False
    assignment.acknowledged_at = now
    session.add(assignment)
    task = session.get(Task, assignment.task_id)
    audit.record(session, at=now, actor=actor, actor_id=actor_id, source=source, action="assignment.acknowledged",
                 entity="task", entity_key=task.key, assignment=assignment.id, occurrence=assignment.occurrence)
    if assignment.agency == task.lead_agency:
        from storage.actions import current_occurrence

        occ = assignment.occurrence or current_occurrence(session, task, now.date())
        try:
            agency_acknowledge(session, task, occ, Actor(actor, actor_id, source), now)
        except ActionError:
            pass  # already acknowledged, done or awaiting confirmation: the person's own mark is what counts here
    task.next_check_at = None
    session.add(task)
    return True


@dataclass(frozen=True)
class DutyRow:
    """A hand-over to a person in force, as the planner's loader reads it (storage knows no jobs types)."""

    assignment: Assignment
    person: Person
    heads: tuple[Person, ...]
    leaders: tuple[Person, ...]


def duties_of(session: Session, task_ids: Collection[int]) -> dict[int, dict[str, DutyRow]]:
    """task id → occurrence key ("*" = every period) → the lead agency's chủ trì hand-over to an active
    person in force (the latest one for each key). A few queries for the whole batch."""
    from storage.people import heads_of, leaders_of

    ids = list(task_ids)
    rows = []
    for i in range(0, len(ids), 500):  # bounded IN lists: `dondoc preview` asks for every task of a registry
        rows += session.exec(select(Assignment, Task.lead_agency).join(Task, Task.id == Assignment.task_id).where(
            Assignment.task_id.in_(ids[i:i + 500]), Assignment.removed_at.is_(None), Assignment.role == "chu-tri",
            Assignment.person_id.is_not(None), Assignment.agency == Task.lead_agency)).all()
    rows.sort(key=lambda r: r[0].id)
    out: dict[int, dict[str, DutyRow]] = {}
    people: dict[int, Person | None] = {}
    for a, _lead in rows:
        if a.person_id not in people:
            people[a.person_id] = session.get(Person, a.person_id)
        p = people[a.person_id]
        if p is None or not p.active:
            continue  # a deactivated person gets nothing: the agency's chats are reminded as before
        out.setdefault(a.task_id, {})[a.occurrence or "*"] = DutyRow(
            a, p, tuple(heads_of(session, p)), tuple(leaders_of(session, p.agency)))
    return out


def tasks_of_person(session: Session, channel: str, address: str) -> dict[int, int]:
    """task id → hand-over id, for the active person whose `channel` ("telegram", "zalo") address this is:
    the tasks they lead or contribute to (not those they only follow), which they may report on."""
    column = {"telegram": Person.telegram_user, "zalo": Person.zalo_user}.get(channel)
    if column is None or not address:
        return {}
    person = session.exec(select(Person).where(column == str(address), Person.active.is_(True))).first()
    if person is None:
        return {}
    rows = session.exec(select(Assignment).where(Assignment.person_id == person.id, Assignment.removed_at.is_(None),
                                                 Assignment.role != "theo-doi").order_by(Assignment.id)).all()
    return {a.task_id: a.id for a in rows}


def resolve_target(session: Session, task: Task, text: str) -> Target | None:
    """The person (name or #number) or department `text` names among the task's agencies (the lead first, then
    its coordinators); None when nobody matches or a name is ambiguous."""
    from storage.people import find_department, find_people

    agencies = [task.lead_agency, *[c for c in (task.coordinators or ()) if c != task.lead_agency]]
    found = [p for a in agencies for p in find_people(session, text, agency=a)]
    if len(found) == 1:
        return Target(found[0].agency, person=found[0])
    if found:
        return None
    for a in agencies:
        d = find_department(session, a, text)
        if d is not None:
            return Target(a, department=d)
    return None


def open_parts_of(session: Session, task_ids: Collection[int]) -> dict[int, list[tuple[Assignment, Person | None]]]:
    """task id → the coordinating agencies' open parts with a deadline of their own (and the active person each
    was handed to, if any), for the planner: a part only followed (theo dõi) is not reminded."""
    ids = list(task_ids)
    out: dict[int, list[tuple[Assignment, Person | None]]] = {}
    for i in range(0, len(ids), 500):
        rows = session.exec(select(Assignment).join(Task, Task.id == Assignment.task_id).where(
            Assignment.task_id.in_(ids[i:i + 500]), Assignment.removed_at.is_(None), Assignment.due.is_not(None),
            Assignment.status != DONE, Assignment.role != "theo-doi", Assignment.agency != Task.lead_agency)
            .order_by(Assignment.id)).all()
        for a in rows:
            p = session.get(Person, a.person_id) if a.person_id else None
            out.setdefault(a.task_id, []).append((a, p if p is not None and p.active else None))
    return out
