"""What the planner plans from and what it plans: a task as the planner sees it (`TaskSnapshot`, with the
state of each of its occurrences), the chats bound to agencies in a role (`Recipient`, `Bindings`: đầu mối,
lãnh đạo …), and a message that should exist (`PlannedStep`: one outbox row) with the kinds of outbox rows.
Plain values, no I/O; jobs.planner re-exports all of it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

from core.deadline import Deadline

# Kinds of outbox rows.
NEW, REMINDER, ESCALATION, CHECKIN, DIGEST, SUMMARY, NOTICE, BRIEF = (
    "new", "reminder", "escalation", "checkin", "digest", "summary", "notice", "brief")
TASK_KINDS = (NEW, REMINDER, ESCALATION, CHECKIN)
# When two steps for one chat fall at the same instant, the later in this order is the one that counts.
_KIND_RANK = {NEW: 0, CHECKIN: 1, REMINDER: 2, ESCALATION: 3}

GLOBAL_ROLES = ("oversight", "leadership")  # these chats watch every agency's tasks


# -- inputs ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OccurrenceState:
    """What happened to one occurrence (storage.tables.Occurrence); no row = open, never acknowledged."""

    status: str = "open"
    extended_due: date | None = None
    acknowledged_at: datetime | None = None
    completed_on: date | None = None


@dataclass(frozen=True)
class TaskSnapshot:
    """What the planner needs of a task."""

    key: str
    lead: str
    deadline: Deadline
    assigned_at: datetime
    coordinators: tuple[str, ...] = ()
    occurrences: Mapping[str, OccurrenceState] = field(default_factory=dict)
    id: int | None = None
    removed: bool = False
    issued: date | None = None  # the directive's issue date (for `dondoc preview`)
    # A plan with an end ("giai đoạn 2011–2015", the registry's `until`): no period is due after it.
    until: date | None = None
    # Agencies that ceased to exist: code → (valid_to, successor code or None), from the directory.
    ends: Mapping[str, tuple[date, str | None]] = field(default_factory=dict, compare=False, hash=False)
    # A directive item assigned to a group (one task per member): (key, lead) of every task of the item,
    # so its coordinating agencies hear of it once, naming every lead.
    siblings: tuple[tuple[str, str], ...] = ()
    # Handed to a person (issue 24): occurrence key → jobs.person_plan.PersonDuty; "*" = every period.
    duties: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_rows(cls, task, occurrences: Iterable = (), issued: date | None = None, *,
                  ends: Mapping[str, tuple[date, str | None]] | None = None,
                  siblings: tuple[tuple[str, str], ...] = (), duties: Mapping | None = None,
                  read: "tuple[Deadline, date | None] | None" = None) -> "TaskSnapshot":
        """From a storage.tables.Task and its Occurrence rows. `read`: its stored deadline already read
        (`read_deadline`), for a caller reading many tasks that share a few hundred deadlines."""
        deadline, until = read if read is not None else read_deadline(task.deadline)
        return cls(
            key=task.key, lead=task.lead_agency, deadline=deadline,
            assigned_at=task.assigned_at, coordinators=tuple(task.coordinators or ()),
            occurrences={o.key: OccurrenceState(o.status, o.extended_due, o.acknowledged_at, o.completed_on)
                         for o in occurrences},
            id=task.id, removed=task.removed_at is not None, issued=issued, until=until,
            ends=ends or {}, siblings=siblings, duties=duties or {},
        )

    def lead_on(self, d: date) -> str | None:
        """The agency that leads the task on `d`: the lead, or its successor once it ceased to exist
        (None: it ended and nobody took over — the task is held)."""
        code = self.lead
        for _ in range(10):  # a chain of mergers, never a loop
            end = self.ends.get(code)
            if end is None or d <= end[0]:
                return code
            if end[1] is None:
                return None
            code = end[1]
        return code

    def as_led_by(self, lead: str) -> "TaskSnapshot":
        return self if lead == self.lead else replace(self, lead=lead)

    def state(self, occurrence_key: str) -> OccurrenceState:
        return self.occurrences.get(occurrence_key) or _OPEN

    def duty(self, occurrence_key: str):
        """The person this occurrence was handed to (a PersonDuty), or None."""
        return self.duties.get(occurrence_key) or self.duties.get("*") if self.duties else None

    @property
    def parts(self) -> tuple:
        """The coordinating agencies' open parts with their own deadlines (jobs.person_plan.CoordinatingPart),
        kept in `duties` under "parts" so the loaders that pass duties pass them too."""
        return tuple(self.duties.get("parts") or ()) if self.duties else ()


_OPEN = OccurrenceState()


def read_deadline(stored) -> tuple[Deadline, date | None]:
    """A task's stored deadline (Task.deadline, Deadline.to_dict()) and the end of its plan (`until`).
    A malformed one raises DeadlineError."""
    raw_until = (stored or {}).get("until")
    return Deadline.from_dict(stored), date.fromisoformat(raw_until) if raw_until else None


@dataclass(frozen=True)
class Recipient:
    """An active chat binding: a chat linked to an agency in a role."""

    platform: str
    chat_id: str
    agency: str
    role: str
    id: int | None = None
    created_at: datetime | None = None
    title: str | None = None
    language: str | None = None

    @property
    def chat(self) -> str:
        return f"{self.platform}:{self.chat_id}"

    @classmethod
    def from_row(cls, b) -> "Recipient":
        return cls(platform=b.platform, chat_id=str(b.chat_id), agency=b.agency, role=b.role, id=b.id,
                   created_at=b.created_at, title=b.title, language=b.language)


class Bindings:
    """Active bindings indexed for planning: (agency, role) → chats; oversight and leadership see all tasks."""

    def __init__(self, recipients: Iterable[Recipient]):
        self.all: tuple[Recipient, ...] = tuple(recipients)
        self._by: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
        self._global: dict[str, list[Recipient]] = defaultdict(list)
        for r in self.all:
            self._by[(r.agency, r.role)].append(r)
            if r.role in GLOBAL_ROLES:
                self._global[r.role].append(r)
        # Planning asks the same few questions for 100k tasks (a lead's focal chats, a rung's): answered once.
        self._asked: dict[tuple, tuple[Recipient, ...]] = {}

    @classmethod
    def of(cls, bindings: "Bindings | Iterable[Recipient]") -> "Bindings":
        return bindings if isinstance(bindings, Bindings) else cls(bindings)

    def of_agency(self, agency: str, role: str) -> list[Recipient]:
        return self._by.get((agency, role), [])

    def of_role(self, role: str) -> list[Recipient]:
        """Every chat in `role`: the province-wide watchers (oversight, leadership)."""
        return self._global.get(role, []) if role in GLOBAL_ROLES else [r for r in self.all if r.role == role]

    def focal_of(self, task: TaskSnapshot, coordinators: bool) -> Sequence[Recipient]:
        """The lead agency's focal chats, then (if asked) the coordinators'; each chat once."""
        return self.focal_chats(task.lead, task.coordinators, coordinators)

    def focal_chats(self, lead: str, coordinating: tuple[str, ...], coordinators: bool) -> Sequence[Recipient]:
        """`focal_of` a task led by `lead` with these coordinating agencies."""
        key = ("focal", lead, coordinating if coordinators else ())
        got = self._asked.get(key)
        if got is None:
            out = list(self.of_agency(lead, "focal"))
            if coordinators:
                for agency in coordinating:
                    if agency != lead:
                        out.extend(self.of_agency(agency, "focal"))
            got = self._asked[key] = tuple(_unique_chats(out))
        return got

    def for_rung(self, task: TaskSnapshot, role: str) -> Sequence[Recipient]:
        key = (role,) if role in GLOBAL_ROLES else (role, task.lead)
        got = self._asked.get(key)
        if got is None:
            chats = self.of_role(role) if role in GLOBAL_ROLES else self.of_agency(task.lead, role)
            got = self._asked[key] = tuple(_unique_chats(chats))
        return got


def _unique_chats(rs: Iterable[Recipient]) -> list[Recipient]:
    seen: set[str] = set()
    out = []
    for r in rs:
        if r.chat not in seen:
            seen.add(r.chat)
            out.append(r)
    return out


# -- output ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedStep:
    """One message that should exist: its outbox key, when it is due, whom it goes to, what it is about."""

    due_at: datetime
    task_key: str
    occurrence: str
    step: str
    chat: str
    kind: str
    task_id: int | None = None
    binding_id: int | None = None
    payload: Mapping = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.task_key, self.occurrence, self.step, self.chat)

    @property
    def sort_key(self) -> tuple:
        return (self.due_at, _KIND_RANK.get(self.kind, 9), self.chat, self.task_key, self.step)
