"""Reminders to the person a task was handed to (nhắc cán bộ được giao), planned like the agency's. Pure.

A task (or a period of it) handed to a person (storage.delegation) is a `PersonDuty` on the task's snapshot.
Its steps, beside the agency's (jobs.planner.plan_task calls `person_steps` for each open occurrence):

- `premind:<offset>:<due>` — REMINDER_OFFSETS days before the internal deadline (or the agency's when none
  was set), at REMINDER_TIME, to the person's first channel; `premind:<offset>:<due>:<n>` — the same
  reminder on their n-th channel (fallback), at PERSON_FALLBACK_TIME of the working day after the previous
  try, unless acknowledged ("Đã nhận") by then — at once when the previous channel could not be delivered to
  (a failed send re-plans the task: jobs.delivery_failures). An acknowledgement stops the reminders and
  the fallbacks.
- `pescalate:<level>:<due>` — up the line after the internal deadline, per PERSON_ESCALATION_STEPS:
  the department's head, then the agency's leaders, each on their own first channel. After the agency's
  own deadline the agency's ladder (manager → oversight → leadership) runs as for any task.

The chat of a person's row is "<channel>:<address>" ("zalo:1234567", "email:an@…"), so the outbox's unique
key (task, occurrence, step, chat) stays the idempotency key; its payload names the person and the channel.
A deactivated person, or one with no channel, has no steps: the agency's chats are reminded as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable

from core.workdays import WorkCalendar
from jobs.plan_model import ESCALATION, REMINDER, PlannedStep
from jobs.policy import Policy

PERSON = "person"  # the payload's role of a person's row (the noise budget and the composer know it)
DEFAULT_FALLBACK_TIME = time(10, 0)
DEFAULT_LADDER = ((1, "head"), (2, "leaders"))


@dataclass(frozen=True)
class Contact:
    """A person as the planner sees them: who, and their channels in their preferred order."""

    id: int
    name: str
    channels: tuple[tuple[str, str], ...]  # (channel, address); empty: nowhere to reach them

    def chat(self, i: int = 0) -> str:
        channel, address = self.channels[i]
        return f"{channel}:{address}"


@dataclass(frozen=True)
class PersonDuty:
    """One hand-over in force for an occurrence: the person, their internal deadline, their acknowledgement
    and the people above them."""

    assignment: int
    person: Contact
    due: date | None = None  # the internal deadline; None: the agency's
    acknowledged_at: datetime | None = None
    heads: tuple[Contact, ...] = ()
    leaders: tuple[Contact, ...] = ()
    failed: frozenset[str] = frozenset()  # chats a reminder of this hand-over could not be delivered to


def person_steps(task_key: str, task_id: int | None, occ_key: str, duty: PersonDuty, agency_due: date,
                 policy: Policy, calendar: WorkCalendar, reminder_days: Callable, *,
                 fallback_time: time = DEFAULT_FALLBACK_TIME,
                 ladder: tuple[tuple[int, str], ...] = DEFAULT_LADDER) -> list[PlannedStep]:
    """Every step for `duty` (unfiltered by time: the caller keeps those in its window). `reminder_days` is
    jobs.planner.reminder_days (passed in: the planner imports this module)."""
    person = duty.person
    if not person.channels:
        return []
    due = min(duty.due, agency_due) if duty.due is not None else agency_due
    d = due.isoformat()
    base = {"role": PERSON, "person": person.id, "person_name": person.name, "assignment": duty.assignment,
            "internal_due": d, "effective_due": agency_due.isoformat()}
    out: list[PlannedStep] = []
    if duty.acknowledged_at is None:
        for offset, day in reminder_days(due, policy, calendar):
            when = policy.deliver_at(policy.at(day), calendar)
            for n, (channel, _address) in enumerate(person.channels):
                step = f"premind:{offset}:{d}" + (f":{n}" if n else "")
                out.append(PlannedStep(when, task_key, occ_key, step, person.chat(n), REMINDER, task_id, None,
                                       {**base, "channel": channel, "offset": offset, "attempt": n}))
                # The next channel: at once when this one could not be delivered, else at the fallback time.
                if person.chat(n) not in duty.failed:
                    when = fallback_at(when, policy, calendar, fallback_time)
    for level, (workdays, rung) in enumerate(ladder, 1):
        above = duty.heads if rung == "head" else duty.leaders if rung == "leaders" else ()
        when = policy.deliver_at(policy.at(calendar.add_workdays(due, workdays)), calendar)
        for c in above:
            if c.channels and c.id != person.id:
                out.append(PlannedStep(when, task_key, occ_key, f"pescalate:{level}:{d}", c.chat(0), ESCALATION,
                                       task_id, None, {**base, "channel": c.channels[0][0], "level": level,
                                                       "rung": rung, "to_person": c.id, "to_name": c.name}))
    return out


def fallback_at(sent: datetime, policy: Policy, calendar: WorkCalendar, at: time) -> datetime:
    """When the next channel is tried if nothing was acknowledged: `at` on the working day after `sent`."""
    day = calendar.next_workday(policy.local_date(sent) + timedelta(days=1))
    return policy.deliver_at(datetime.combine(day, at, tzinfo=policy.timezone), calendar)



# -- a coordinating agency's part (phần việc phối hợp) with its own deadline -----------------------------------

PARTS = "parts"  # the key of TaskSnapshot.duties that holds the task's open parts (never an occurrence key)
PART_LATE_WORKDAYS = 1  # the part's agency's leaders and the lead hear of a late part one working day after


@dataclass(frozen=True)
class CoordinatingPart:
    """A coordinating agency's open part of a task with its own deadline: reminded to that agency's focal
    chats (and the person it was handed to), escalated to its leaders and told to the lead when late."""

    assignment: int
    agency: str
    due: date
    occurrence: str | None = None  # None: the task's period whose due date is the first on or after `due`
    person: Contact | None = None


def part_occurrence(part: CoordinatingPart, kind: str, next_due: Callable[[date], date | None]) -> str | None:
    """The occurrence key a part belongs to: its own, "once"/"continuous", or a recurring task's period whose
    due date is the first on or after the part's (so every plan, whatever its window, files it alike)."""
    if part.occurrence is not None:
        return part.occurrence
    if kind in ("once", "continuous"):
        return kind
    d = next_due(part.due)
    return d.isoformat() if d is not None else None


def part_steps(task_key: str, task_id: int | None, occ_key: str, part: CoordinatingPart, lead: str,
               policy: Policy, calendar: WorkCalendar, reminder_days: Callable) -> tuple[list, list, list]:
    """(reminders, escalations, person rows) of a part: the first two as (when, step, payload) for the
    caller's recipients (the part agency's focal chats; its managers and the lead's focal chats), the last as
    PlannedSteps to the part's person on their first channel."""
    d = part.due.isoformat()
    # effective_due: what the part's chats owe (a daily brief that folds a row lists it by this date)
    base = {"part": part.assignment, "part_agency": part.agency, "internal_due": d, "effective_due": d,
            "lead": lead}
    reminders = [(policy.at(day), f"coord:{offset}:{d}", {**base, "offset": offset})
                 for offset, day in reminder_days(part.due, policy, calendar)]
    late_day = calendar.add_workdays(part.due, PART_LATE_WORKDAYS)
    escalations = [(policy.at(late_day), f"coordlate:1:{d}", {**base, "level": 1})]
    person_rows = []
    if part.person is not None and part.person.channels:
        channel = part.person.channels[0][0]
        for when, step, payload in reminders:
            person_rows.append(PlannedStep(policy.deliver_at(when, calendar), task_key, occ_key, step,
                                           part.person.chat(0), REMINDER, task_id, None,
                                           {**payload, "role": PERSON, "person": part.person.id,
                                            "person_name": part.person.name, "channel": channel,
                                            "assignment": part.assignment}))
    return reminders, escalations, person_rows
