"""Remind now (nhắc ngay) on many tasks at once, from the task list: each selected task through
`jobs.remind_now.remind_now` — its rules, not the console's: once per task, period and chat a day, within the
chat's DAILY_BUDGET, the oversight body or the lead agency's leader only — and the page says per task what was
sent, to whom and when, or why not. Unlike the workbench's decisions (all or nothing), one task refused does
not hold back the others: a reminder is not a change to the record, and each is refused for its own reason."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, select

from core.i18n import _
from core.workdays import WorkCalendar
from storage.signin import Person
from storage.tables import Occurrence, Task
from web.common import CALENDAR, CLOCK, PERSON, SETTINGS, run_db, selected_boxes

__all__ = ["remind_selected", "routes", "may_remind", "MAX_SELECTED"]

MAX_SELECTED = 200  # one press; more is a broadcast, not a reminder


@dataclass
class Outcome:
    key: str
    occurrence: str
    sent: bool
    text: str


def may_remind(person: Person) -> bool:
    """Whether the task list offers the boxes and the button (remind_now decides per task)."""
    return person.is_admin or any(r in ("oversight", "manager") for _a, r in person.bindings)


def roles_of(person: Person) -> list[tuple[str, str]] | None:
    """What remind_now is told the person is: None for an administrator; else the bindings of their own chat, or
    of the group they signed in through when they were its administrator (as for decisions)."""
    if person.is_admin:
        return None
    personal = person.personal or [True] * len(person.bindings)
    return [b for b, own in zip(person.bindings, personal) if own or person.group_admin]


def remind_selected(s: Session, person: Person, selected: list[tuple[str, str]], *, settings, calendar: WorkCalendar,
                    now) -> list[Outcome]:
    """Remind now about each (task key, occurrence key), each in a savepoint of its own."""
    from jobs.policy import Policy
    from jobs.remind_now import RemindRefused, remind_now
    from storage.actions import deadline_in_force

    policy = Policy.from_settings(settings)
    out = []
    for key, occ in selected:
        task = s.exec(select(Task).where(Task.key == key, Task.removed_at.is_(None))).first()
        if task is None or not person.can_see(task):
            out.append(Outcome(key, occ, False, _("There is no such task, or it is not shown to you.")))
            continue
        row = s.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()
        due = deadline_in_force(task, row, occ)
        savepoint = s.begin_nested()
        try:
            done = remind_now(s, task, occ, policy=policy, calendar=calendar, actor=person.name,
                              actor_id=person.user_id, source="web", now=now, roles=roles_of(person),
                              effective_due=due.isoformat() if due else None)
        except RemindRefused as e:
            savepoint.rollback()
            out.append(Outcome(key, occ, False, e.words(key)))
            continue
        savepoint.commit()
        when = done.at.astimezone(settings.timezone)
        out.append(Outcome(key, occ, True, _("Reminder about {key} to {who} at {time} {date}.", key=key,
                                             who=done.person or ", ".join(done.chats), time=when.strftime("%H:%M"),
                                             date=when.strftime("%d/%m/%Y"))))
    return out


async def remind(request: web.Request) -> web.Response:
    """POST /web/remind-selected: remind now about the tasks ticked on the task list; a page of what became of each."""
    person: Person = request[PERSON]
    form = await request.post()
    selected = list(dict.fromkeys(selected_boxes(form)))  # a box ticked twice is one reminder
    if not may_remind(person):
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Not allowed"),
            "text": _("Only the oversight body and the lead agency's leader send a reminder now.")}, status=403)
    if not selected:
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Nothing was sent"), "text": _("Tick at least one task first.")}, status=400)
    if len(selected) > MAX_SELECTED:
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Nothing was sent"),
            "text": _("At most {n} tasks at once: narrow the list with its filters.", n=MAX_SELECTED)}, status=400)
    settings, calendar, now = request.app[SETTINGS], request.app[CALENDAR], request.app[CLOCK].now()
    outcomes = await run_db(request, lambda s: remind_selected(s, person, selected, settings=settings,
                                                                calendar=calendar, now=now))
    return aiohttp_jinja2.render_template("remind_result.html", request, {
        "outcomes": outcomes, "sent": sum(o.sent for o in outcomes), "refused": sum(not o.sent for o in outcomes)})


def routes(app: web.Application) -> None:
    app.router.add_post("/remind-selected", remind, name="remind_selected")  # /remind/KEY is one task (web/people_forms.py)
