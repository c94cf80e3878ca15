"""Remind now (nhắc ngay): the oversight body or the lead agency's leader sends one reminder about a task
at once — to the person it was handed to (their first channel), else to the agency's focal chats.

It is an outbox row like any other (`nudge:<local date>` step, kind reminder), so it is sent by the
dispatcher at the next tick (inside DELIVERY_WINDOW: outside it, at the next window's start), at most once
per task, occurrence and chat a day (the outbox's unique key), and counted in the chat's daily budget:
when a chat's DAILY_BUDGET is a number and today's task messages to it reached it, the reminder is refused
with that reason. Audited as `task.reminded`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Collection

import sqlalchemy as sa
from sqlmodel import Session, select

from core.i18n import _
from core.workdays import WorkCalendar
from jobs import outbox
from jobs.person_duties import load_duties
from jobs.plan_model import REMINDER, PlannedStep, TASK_KINDS
from jobs.policy import Policy
from storage import audit
from storage.tables import ChatBinding, Notification, Task

NUDGE = "nudge"


class RemindRefused(ValueError):
    def __init__(self, code: str, message: str, **info):
        super().__init__(message)
        self.code = code
        self.info = info

    def words(self, key: str, lang: str | None = None) -> str:
        """The refusal in the user's language (default: the current one): chats, console and CLI say it alike."""
        words = {
            "not_allowed": lambda: _("Only the oversight body and the lead agency's leader send a reminder now.",
                                     lang=lang),
            "nobody": lambda: _("Nobody to remind about {key}: it was not handed to a person and no focal chat of "
                                "its agency is linked.", lang=lang, key=key),
            "budget": lambda: _("{chat} already had {n} messages today (DAILY_BUDGET); try again tomorrow.",
                                lang=lang, chat=self.info.get("chat"), n=self.info.get("limit")),
            "already": lambda: _("{key} was already reminded today.", lang=lang, key=key),
        }.get(self.code)
        return words() if words else _("Cannot do that: {reason}.", lang=lang, reason=str(self))


@dataclass(frozen=True)
class Reminded:
    chats: tuple[str, ...]  # where it goes
    at: datetime  # when
    person: str | None  # the person's name, when the task was handed to one


def refusal(task: Task, roles: Collection[tuple[str, str]] | None) -> str | None:
    """Only the oversight body and the lead agency's leader remind now (core/authority.py's rule); roles
    None = the administrator."""
    from core import authority

    why = authority.refusal(authority.seats_of(roles), authority.Action.REMIND_NOW, lead=task.lead_agency)
    return None if why is None else "not_allowed"


def remind_now(session: Session, task: Task, occurrence: str, *, policy: Policy, calendar: WorkCalendar,
               actor: str, actor_id: str | None, source: str, now: datetime,
               roles: Collection[tuple[str, str]] | None = None, effective_due: str | None = None) -> Reminded:
    if (why := refusal(task, roles)) is not None:
        raise RemindRefused(why, "only the oversight body and the agency's leader remind now")
    when = policy.deliver_at(now, calendar)
    day = policy.local_date(when).isoformat()
    duty = (load_duties(session, [task.id]).get(task.id) or {})
    duty = duty.get(occurrence) or duty.get("*")
    base = {"nudge": True, "by": actor, "lead": task.lead_agency, "effective_due": effective_due}
    if duty is not None and duty.person.channels:
        channel, _address = duty.person.channels[0]
        internal = duty.due
        payload = {**base, "role": "person", "person": duty.person.id, "person_name": duty.person.name,
                   "assignment": duty.assignment, "channel": channel,
                   "internal_due": (internal.isoformat() if internal else effective_due)}
        targets = [(duty.person.chat(0), None, "person", payload)]
    else:
        rows = session.exec(select(ChatBinding).where(ChatBinding.agency == task.lead_agency,
                                                      ChatBinding.role == "focal", ChatBinding.active.is_(True))
                            .order_by(ChatBinding.id)).all()
        targets = [(f"{b.platform}:{b.chat_id}", b.id, "focal", {**base, "role": "focal", "agency": b.agency})
                   for b in rows]
    if not targets:
        raise RemindRefused("nobody", "nobody to remind: no person and no linked focal chat")
    for chat, _bid, role, _p in targets:
        limit = dict(policy.budget).get(role)
        if isinstance(limit, int) and _sent_today(session, chat, when, policy) >= limit:
            raise RemindRefused("budget", "the chat's daily budget is used up", chat=chat, limit=limit)
    step = f"{NUDGE}:{day}"
    rows = [outbox.row_for(PlannedStep(when, task.key, occurrence, step, chat, REMINDER, task.id, bid, payload),
                           outbox.PENDING, now) for chat, bid, _role, payload in targets]
    if outbox.insert_rows(session.connection(), rows) == 0:
        raise RemindRefused("already", "already reminded today", day=day)
    audit.record(session, at=now, actor=actor, actor_id=actor_id, source=source, action="task.reminded",
                 entity="task", entity_key=task.key, occurrence=occurrence, chats=[t[0] for t in targets])
    return Reminded(tuple(t[0] for t in targets), when, duty.person.name if duty is not None and
                    duty.person.channels else None)


def _sent_today(session: Session, chat: str, when: datetime, policy: Policy) -> int:
    """Task messages to `chat` on `when`'s local day, sent or waiting (what the budget counts)."""
    day = policy.local_date(when)
    lo = datetime.combine(day, datetime.min.time(), tzinfo=policy.timezone)
    hi = datetime.combine(day, datetime.max.time(), tzinfo=policy.timezone)
    n = session.exec(select(sa.func.count()).select_from(Notification).where(
        Notification.chat == chat, Notification.kind.in_(TASK_KINDS),
        Notification.status.in_(("pending", "claimed", "sent")),
        Notification.due_at >= lo, Notification.due_at <= hi)).one()
    return int(n)
