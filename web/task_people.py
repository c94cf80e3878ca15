"""What the task page shows and offers about people (issue 24): to whom the lead agency handed the task, the
coordinating agencies' parts and their state, the delegation form's choices (only the agencies whose work this
person may hand on, by core/authority.py) and whether the "Nhắc ngay" (remind now) button is offered.

The page offers only what the one rule allows; the handlers (web/people_forms.py) ask the rule again."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from core import authority
from core.i18n import _
from storage.signin import Person as Signed
from storage.tables import Occurrence, Task


def delegable_agencies(signed: Signed, task: Task) -> list[str]:
    """The agencies of `task` whose work `signed` may hand on: the lead's (and then every part), else the
    coordinating agencies that are theirs (their own part)."""
    agencies = [task.lead_agency, *[c for c in (task.coordinators or ()) if c != task.lead_agency]]
    return [a for a in agencies if signed.refusal(authority.Action.DELEGATE, task, part=a) is None]


def agency_due_of(session: Session, task: Task, occurrence: str | None) -> date | None:
    """The agency's deadline in force for `occurrence` (None for every period of a recurring task)."""
    from storage.actions import deadline_in_force

    key = occurrence or ("once" if task.deadline_kind == "once" else None)
    if key is None:
        return None
    row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == key)).first()
    return deadline_in_force(task, row, key)


def task_people(session: Session, signed: Signed, task: Task, today: date, current: str | None) -> dict:
    from storage import delegation
    from storage.people import Person, department_name, departments, people

    handed = []
    for a in delegation.current(session, task.id, agency=task.lead_agency):
        p = session.get(Person, a.person_id) if a.person_id else None
        handed.append({"who": ", ".join(x for x in (p.name if p else None, department_name(session, a.department_id))
                                        if x), "role": a.role, "due": a.due, "occurrence": a.occurrence,
                       "received": a.acknowledged_at is not None})
    agencies = delegable_agencies(signed, task)
    choices = []  # (value, label): people, then departments, then coordinating agencies' parts
    for agency in agencies:
        choices += [(f"p:{p.id}", p.name + (f" — {p.position}" if p.position else ""))
                    for p in people(session, agency)]
        choices += [(f"d:{d.id}", d.name) for d in departments(session, agency)]
    if task.lead_agency in agencies:
        choices += [(f"a:{c}", c) for c in agencies if c != task.lead_agency]
    return {
        "handed": handed,
        "parts": delegation.parts_of(session, task, today),
        "delegate_choices": choices,
        "can_delegate": bool(agencies),
        "agency_due": agency_due_of(session, task, current),
        "can_remind": signed.refusal(authority.Action.REMIND_NOW, task) is None,
        "role_label": role_label,
        "part_state": part_state,
    }


def role_label(role: str) -> str:
    """chủ trì / phối hợp / theo dõi in the reader's language."""
    return {"chu-tri": _("leads"), "phoi-hop": _("contributes"), "theo-doi": _("follows")}.get(role, role)


def part_state(state: str) -> str:
    return {"open": _("open"), "done": _("done"), "overdue": _("overdue")}.get(state, state)
