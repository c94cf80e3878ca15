"""The planner (lập lịch nhắc việc): which messages should exist, and when. Pure — no I/O, no clock.

`plan_task(task, bindings, policy, calendar, since, until)` gives every step of one task whose time falls
in (since, until]; the scheduler tick calls it for (a year ago, now] to find what is due, `dondoc preview`
calls it over the window asked for (`timeline`). One function, so the preview shows what the tick will do.

Steps and their outbox key (task_key, occurrence, step, chat) — see docs/scheduling.md:

- `new:<assigned date>` — when a task first appears (or is reassigned): the lead and coordinating
  agencies' focal chats hear about it once.
- `remind:<days before>:<effective due>` — REMINDER_OFFSETS days before the deadline in force, at
  REMINDER_TIME; on a day off (REMINDER_WORKDAYS_ONLY) the working day before.
- `escalate:<level>:<effective due>` — the ladder ESCALATION_STEPS, counted in working days late.
- `repeat:<n>:<effective due>` — the top rung again every ESCALATION_REPEAT_DAYS until done.
- `checkin:<period>` — continuous tasks ("Thường xuyên"), once per CONTINUOUS_CHECKIN period.
- `digest:weekly` (occurrence = ISO week) and `summary:quarterly` (occurrence = "2018-Q2") — per chat.

The effective due date is part of the step, so an approved extension plans fresh reminders and the old
ones stop being wanted. Done (or awaiting confirmation) stops every step of that occurrence; an
acknowledgement stops the reminders before the deadline, not the escalation after it.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from jobs.deadline import Deadline
from jobs.workdays import WorkCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# How far back the tick looks for steps that should exist but are missing (downtime, policy change), and
# how long an open occurrence of a recurring task keeps its escalation repeats: a monthly report missed
# for years must not repeat every week forever. Same horizon as the read models (storage.views).
LOOKBACK_DAYS = 366
RECURRING_REPEAT_DAYS = 365
# A task with nothing ahead is looked at again after this long anyway (cheap, and survives policy edits).
IDLE_RECHECK_DAYS = 366

# Kinds of outbox rows.
NEW, REMINDER, ESCALATION, CHECKIN, DIGEST, SUMMARY, NOTICE, BRIEF = (
    "new", "reminder", "escalation", "checkin", "digest", "summary", "notice", "brief")
TASK_KINDS = (NEW, REMINDER, ESCALATION, CHECKIN)
# When two steps for one chat fall at the same instant, the later in this order is the one that counts.
_KIND_RANK = {NEW: 0, CHECKIN: 1, REMINDER: 2, ESCALATION: 3}

GLOBAL_ROLES = ("oversight", "leadership")  # these chats watch every agency's tasks
# DAILY_BUDGET by default: focal points a message per task (they act on it); the others one brief a day.
DEFAULT_BUDGET = {"focal": "task", "manager": "brief", "oversight": "brief", "leadership": "brief"}
# Bumped when planning changes meaning, so a restart after an upgrade re-plans every task once.
PLANNER_VERSION = 2
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DONE_STATES = ("done", "pending_confirmation")


# -- inputs ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rung:
    """One rung of the escalation ladder: `workdays_late` working days after the deadline, `role` hears it."""

    workdays_late: int
    role: str


@dataclass(frozen=True)
class Policy:
    """The reminder policy (settings in .env)."""

    timezone: ZoneInfo = VN
    reminder_offsets: tuple[int, ...] = (7, 3, 1, 0)
    reminder_time: time = time(8, 0)
    remind_coordinators: bool = True
    workdays_only: bool = True
    escalation: tuple[Rung, ...] = (Rung(1, "manager"), Rung(3, "oversight"), Rung(7, "leadership"))
    repeat_days: int = 7
    checkin_period: str = "quarter"
    shift_to_workday: bool = True
    digest_weekday: int = 0  # Monday
    quarterly_summary: bool = True
    window: tuple[time, time] = (time(7, 30), time(17, 0))  # DELIVERY_WINDOW, local
    repeat_limit: int = 4  # REPEAT_LIMIT: top-rung repeats, then "quá hạn kéo dài" in briefs and agendas
    budget: Mapping[str, "str | int"] = field(default_factory=lambda: dict(DEFAULT_BUDGET))  # DAILY_BUDGET

    def __post_init__(self) -> None:
        object.__setattr__(self, "reminder_offsets", tuple(sorted(set(self.reminder_offsets), reverse=True)))
        object.__setattr__(self, "escalation", tuple(sorted(self.escalation, key=lambda r: r.workdays_late)))

    @classmethod
    def from_settings(cls, s) -> "Policy":
        return cls(
            timezone=s.timezone,
            reminder_offsets=tuple(s.reminder_offsets),
            reminder_time=s.reminder_time,
            remind_coordinators=s.remind_coordinators,
            workdays_only=s.reminder_workdays_only,
            escalation=tuple(Rung(e.workdays_late, e.role) for e in s.escalation_steps),
            repeat_days=s.escalation_repeat_days,
            checkin_period=s.continuous_checkin,
            shift_to_workday=s.deadline_shift_to_workday,
            digest_weekday=_WEEKDAYS.index(s.digest_weekday),
            quarterly_summary=s.quarterly_summary,
            window=tuple(s.delivery_window),
            repeat_limit=s.repeat_limit,
            budget=dict(s.daily_budget),
        )

    def fingerprint(self) -> str:
        """What a stored plan depended on: a restart with the same policy re-plans nothing it need not."""
        import hashlib

        parts = (self.timezone.key, self.reminder_offsets, self.reminder_time, self.remind_coordinators,
                 self.workdays_only, self.escalation, self.repeat_days, self.checkin_period, self.shift_to_workday,
                 self.digest_weekday, self.quarterly_summary, self.window, self.repeat_limit,
                 sorted(self.budget.items()), PLANNER_VERSION)
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    def in_window(self, when: datetime, calendar: WorkCalendar) -> bool:
        """Is `when` inside working hours: a working day (when REMINDER_WORKDAYS_ONLY) within DELIVERY_WINDOW?"""
        local = when.astimezone(self.timezone)
        if self.workdays_only and calendar.is_day_off(local.date()):
            return False
        return self.window[0] <= local.time().replace(tzinfo=None) < self.window[1]

    def deliver_at(self, when: datetime, calendar: WorkCalendar) -> datetime:
        """When something due at `when` may go out: then, if inside working hours, else the start of the
        next window on a working day."""
        if self.in_window(when, calendar):
            return when
        local = when.astimezone(self.timezone)
        d = local.date()
        if local.time().replace(tzinfo=None) >= self.window[0]:
            d += timedelta(days=1)  # after today's window (or inside a day off's hours): tomorrow or later
        if self.workdays_only:
            d = calendar.next_workday(d) if calendar.is_day_off(d) else d
        return self.window_start(d)

    def window_start(self, d: date) -> datetime:
        return datetime.combine(d, self.window[0], tzinfo=self.timezone).astimezone(timezone.utc)

    def at(self, d: date) -> datetime:
        """The instant of REMINDER_TIME on local date `d`, in UTC."""
        return datetime.combine(d, self.reminder_time, tzinfo=self.timezone).astimezone(timezone.utc)

    def local_date(self, when: datetime) -> date:
        return when.astimezone(self.timezone).date()


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

    @classmethod
    def from_rows(cls, task, occurrences: Iterable = (), issued: date | None = None, *,
                  ends: Mapping[str, tuple[date, str | None]] | None = None,
                  siblings: tuple[tuple[str, str], ...] = ()) -> "TaskSnapshot":
        """From a storage.tables.Task and its Occurrence rows."""
        raw_until = (task.deadline or {}).get("until")
        return cls(
            key=task.key, lead=task.lead_agency, deadline=Deadline.from_dict(task.deadline),
            assigned_at=task.assigned_at, coordinators=tuple(task.coordinators or ()),
            occurrences={o.key: OccurrenceState(o.status, o.extended_due, o.acknowledged_at, o.completed_on)
                         for o in occurrences},
            id=task.id, removed=task.removed_at is not None, issued=issued,
            until=date.fromisoformat(raw_until) if raw_until else None,
            ends=ends or {}, siblings=siblings,
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


_OPEN = OccurrenceState()


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

    @classmethod
    def of(cls, bindings: "Bindings | Iterable[Recipient]") -> "Bindings":
        return bindings if isinstance(bindings, Bindings) else cls(bindings)

    def of_agency(self, agency: str, role: str) -> list[Recipient]:
        return self._by.get((agency, role), [])

    def of_role(self, role: str) -> list[Recipient]:
        """Every chat in `role`: the province-wide watchers (oversight, leadership)."""
        return self._global.get(role, []) if role in GLOBAL_ROLES else [r for r in self.all if r.role == role]

    def focal_of(self, task: TaskSnapshot, coordinators: bool) -> list[Recipient]:
        """The lead agency's focal chats, then (if asked) the coordinators'; each chat once."""
        out = list(self.of_agency(task.lead, "focal"))
        if coordinators:
            for agency in task.coordinators:
                if agency != task.lead:
                    out.extend(self.of_agency(agency, "focal"))
        return _unique_chats(out)

    def for_rung(self, task: TaskSnapshot, role: str) -> list[Recipient]:
        if role in GLOBAL_ROLES:
            return _unique_chats(self.of_role(role))
        return _unique_chats(self.of_agency(task.lead, role))


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


# -- small date helpers ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _recurring_dues(rrule: str, start: date, a: date, b: date, rrules: tuple[str, ...] = ()) -> tuple[date, ...]:
    """Due dates of a recurring rule (or the union of `rrules`) in [a, b]; registries share a handful of
    rules across thousands of tasks, and expanding an RRULE from its start is the costly part of planning."""
    return tuple(Deadline(kind="recurring", text="", matched="", rrule=rrule, start=start,
                          rrules=rrules).occurrences(a, b))


def _dues(dl: Deadline, a: date, b: date) -> tuple[date, ...]:
    if dl.kind != "recurring":
        return tuple(dl.occurrences(a, b))
    return _recurring_dues(dl.rrule, dl.start, a, b, dl.rrules)

def effective_due(due: date, calendar: WorkCalendar, policy: Policy) -> date:
    """The deadline in force shifted off a day off (Civil Code Art. 148(5)) when the policy says so."""
    return calendar.effective_due(due, shift=policy.shift_to_workday)


def period_bounds(unit: str, d: date) -> tuple[date, date]:
    """The month / quarter / half / year containing `d`."""
    if unit == "month":
        first = d.replace(day=1)
        months = 1
    elif unit == "quarter":
        first = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
        months = 3
    elif unit == "half":
        first = date(d.year, 1 if d.month <= 6 else 7, 1)
        months = 6
    elif unit == "year":
        first = date(d.year, 1, 1)
        months = 12
    else:
        raise ValueError(f"unknown period {unit!r}; accepted: month | quarter | half | year")
    y, m = divmod(first.month - 1 + months, 12)
    return first, date(first.year + y, m + 1, 1) - timedelta(days=1)


def period_label(unit: str, d: date) -> str:
    """Stable machine label of the period containing `d`: 2018-07, 2018-Q3, 2018-H2, 2018."""
    if unit == "month":
        return f"{d.year}-{d.month:02d}"
    if unit == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if unit == "half":
        return f"{d.year}-H{1 if d.month <= 6 else 2}"
    return f"{d.year}"


def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


# -- one task -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Occ:
    key: str
    due: date | None  # as written
    state: OccurrenceState


def _occurrences(task: TaskSnapshot, policy: Policy, calendar: WorkCalendar, start: date, end: date,
                 assigned: date) -> list[_Occ]:
    """The occurrences whose steps may fall in [start, end] (dates, local)."""
    dl = task.deadline
    if dl.kind == "once":
        return [_Occ("once", dl.due, task.state("once"))]
    if dl.kind == "continuous":
        return [_Occ("continuous", None, task.state("continuous"))]
    # A step of an occurrence lies between (its due − the largest offset − a Tết's worth of days off) and
    # (its due + the repeat horizon); look that far around the window.
    before = max(policy.reminder_offsets, default=0) + 20
    after = RECURRING_REPEAT_DAYS + 20
    dues = set(_dues(dl, start - timedelta(days=after), end + timedelta(days=before)))
    for key, st in task.occurrences.items():  # an extension can move an occurrence far from its period
        if st.extended_due is not None and start - timedelta(days=after) <= st.extended_due <= end + timedelta(days=before):
            try:
                dues.add(date.fromisoformat(key))
            except ValueError:
                continue
    # Occurrences due before dondoc knew the task belong to before: they are not chased.
    occs = [_Occ(d.isoformat(), d, task.state(d.isoformat())) for d in sorted(dues)]
    if task.until is not None:  # the plan ended: no period after it
        occs = [o for o in occs if o.due is None or o.due <= task.until]
    return [o for o in occs if (_in_force(o, calendar, policy) or date.max) >= assigned]


def _first_open(task: TaskSnapshot, policy: Policy, calendar: WorkCalendar, assigned: date) -> _Occ | None:
    """The occurrence a new-task notice is about: the first one not done whose deadline is still ahead at
    assignment (or the only one, for a one-off or continuous task)."""
    dl = task.deadline
    if dl.kind != "recurring":
        occ = _Occ(dl.kind, dl.due, task.state(dl.kind))
        return None if occ.state.status in _DONE_STATES else occ
    for due in _dues(dl, assigned - timedelta(days=20), assigned + timedelta(days=800)):
        occ = _Occ(due.isoformat(), due, task.state(due.isoformat()))
        if occ.state.status not in _DONE_STATES and (_in_force(occ, calendar, policy) or date.max) >= assigned:
            return occ
    return None


def _in_force(occ: _Occ, calendar: WorkCalendar, policy: Policy) -> date | None:
    written = occ.state.extended_due or occ.due
    return None if written is None else effective_due(written, calendar, policy)


def plan_task(
    task: TaskSnapshot,
    bindings: "Bindings | Iterable[Recipient]",
    policy: Policy,
    calendar: WorkCalendar,
    since: datetime | None,
    until: datetime,
    *,
    assigned_at: datetime | None = None,
    honour_binding_dates: bool = True,
) -> list[PlannedStep]:
    """Every step of `task` due in (since, until], sorted by time.

    Steps before the task was assigned are never planned ("not replayed"), nor steps to a chat before it
    was linked (linking a chat does not replay history into it) but the new-task notice, which a focal
    chat linked after the import still gets once (with how near or late the task is by then). `assigned_at` overrides the task's own
    (the preview plans a registry as if it had been imported on its directive's issue date);
    `honour_binding_dates=False` plans for every bound chat as if it had always been linked.
    """
    if task.removed:
        return []
    b = Bindings.of(bindings)
    assigned = assigned_at or task.assigned_at
    lo = since or assigned - timedelta(microseconds=1)
    if lo < assigned - timedelta(microseconds=1):
        lo = assigned - timedelta(microseconds=1)
    if until <= lo:
        return []
    lo_d, hi_d = policy.local_date(lo), policy.local_date(until)
    assigned_d = policy.local_date(assigned)
    out: list[PlannedStep] = []

    def emit(when: datetime, occ_key: str, step: str, kind: str, to: Sequence[Recipient], **payload) -> None:
        when = policy.deliver_at(when, calendar)  # working hours: never outside DELIVERY_WINDOW
        if not (lo < when <= until) or when < assigned:
            return
        for r in to:
            # A chat linked later hears no history — except the new-task notice: a focal chat linked after
            # the import still learns, once, what its agency owes.
            if honour_binding_dates and kind != NEW and r.created_at is not None and when < r.created_at:
                continue
            extra = group.get(r.agency) if kind in (NEW, REMINDER, CHECKIN) else None
            out.append(PlannedStep(when, task.key, occ_key, step, r.chat, kind, task.id, r.id,
                                   {"role": r.role, "agency": r.agency, **payload, **(extra or {})}))

    # A directive item assigned to a group: its coordinating agencies hear of it through one task of the
    # item (the first by key), naming every lead; an agency leading one of the item's tasks hears its own.
    group: dict[str, dict] = {}
    coordinators = task.coordinators
    if len(task.siblings) > 1:
        sib_leads = {lead for _, lead in task.siblings}
        first = min(k for k, _ in task.siblings)
        coordinators = tuple(a for a in task.coordinators if a not in sib_leads) if task.key == first else ()
        info = {"items": sorted(k for k, _ in task.siblings), "leads": sorted(sib_leads)}
        group = {a: info for a in coordinators}

    def focal(lead: str | None, with_coordinators: bool = policy.remind_coordinators) -> list[Recipient]:
        if lead is None:
            return []
        t = task.as_led_by(lead)
        if coordinators != task.coordinators:
            t = replace(t, coordinators=coordinators)
        return b.focal_of(t, with_coordinators)

    occs = _occurrences(task, policy, calendar, lo_d, hi_d, assigned_d)

    # The new-task notice, about the first occurrence still open at assignment.
    when = policy.deliver_at(assigned, calendar)
    if lo < when <= until:
        first_occ = _first_open(task, policy, calendar, assigned_d)
        if first_occ is not None:
            lead_then = task.lead_on(assigned_d)
            emit(when, first_occ.key, f"new:{assigned_d.isoformat()}", NEW, focal(lead_then, True), lead=lead_then)

    # The lead ceased to exist and nobody took over: the oversight chats are told once; the task is held.
    held = _held_from(task)
    if held is not None:
        emit(policy.at(calendar.next_workday(held + timedelta(days=1))), "held", "notice:held", NOTICE,
             b.for_rung(task, "oversight"), what="held", ended=held.isoformat())

    for occ in occs:
        if occ.state.status in _DONE_STATES:
            continue  # done (or awaiting the oversight body's confirmation) stops everything
        if occ.key == "continuous":
            _plan_checkins(task, occ, policy, calendar, lo_d, hi_d, assigned_d, focal, emit)
            continue
        eff = _in_force(occ, calendar, policy)
        if eff is None:
            continue
        lead = task.lead_on(eff)
        if lead is None:
            continue  # held (see above)
        led = task.as_led_by(lead)
        to_focal = focal(lead)
        e = eff.isoformat()
        common = {"due": occ.due.isoformat() if occ.due else None, "effective_due": e, "lead": lead}
        # Reminders before the deadline; an acknowledgement ("đã nhận") stops them.
        if occ.state.acknowledged_at is None:
            for offset, day in reminder_days(eff, policy, calendar):
                emit(policy.at(day), occ.key, f"remind:{offset}:{e}", REMINDER, to_focal, offset=offset, **common)
        # Escalation after it, whatever was acknowledged.
        if not policy.escalation:
            continue
        for level, rung in enumerate(policy.escalation, 1):
            day = calendar.add_workdays(eff, rung.workdays_late)
            emit(policy.at(day), occ.key, f"escalate:{level}:{e}", ESCALATION, b.for_rung(led, rung.role),
                 level=level, workdays_late=rung.workdays_late, **common)
        # The top rung again every ESCALATION_REPEAT_DAYS, at most REPEAT_LIMIT times: then the task lives
        # on in briefs, agendas and summaries as "quá hạn kéo dài", never as a stream.
        top = policy.escalation[-1]
        top_day = calendar.add_workdays(eff, top.workdays_late)
        last_day = hi_d
        if task.deadline.kind == "recurring":
            last_day = min(last_day, eff + timedelta(days=RECURRING_REPEAT_DAYS))
        n_from = max(1, math.floor((lo_d - top_day).days / policy.repeat_days) - 1)
        n_to = min(math.ceil((last_day - top_day).days / policy.repeat_days) + 1, policy.repeat_limit)
        to = b.for_rung(led, top.role)
        for n in range(n_from, n_to + 1):
            day = repeat_day(top_day, n, policy, calendar)
            if day > last_day:
                break
            emit(policy.at(day), occ.key, f"repeat:{n}:{e}", ESCALATION, to, level=len(policy.escalation),
                 repeat=n, **common)
    out.sort(key=lambda s: s.sort_key)
    return out


def repeat_day(top_day: date, n: int, policy: Policy, calendar: WorkCalendar) -> date:
    """The day of the n-th repeat of the top rung."""
    day = top_day + timedelta(days=n * policy.repeat_days)
    return calendar.next_workday(day) if policy.workdays_only and calendar.is_day_off(day) else day


def long_overdue_since(effective: date, policy: Policy, calendar: WorkCalendar) -> date | None:
    """The day a task late since `effective` has used up its repeats and becomes "quá hạn kéo dài"."""
    if not policy.escalation:
        return None
    top_day = calendar.add_workdays(effective, policy.escalation[-1].workdays_late)
    return repeat_day(top_day, policy.repeat_limit, policy, calendar) if policy.repeat_limit else top_day


def _held_from(task: TaskSnapshot) -> date | None:
    """The last day of the lead when it ceased to exist without a successor and the task still has work
    after it (None: not held)."""
    code, end = task.lead, None
    for _ in range(10):
        end = task.ends.get(code)
        if end is None:
            return None
        if end[1] is None:
            break
        code = end[1]
    ended = end[0]
    dl = task.deadline
    if dl.kind == "once":
        st = task.state("once")
        if st.status in _DONE_STATES or (dl.due is not None and (st.extended_due or dl.due) <= ended):
            return None
    elif dl.kind == "continuous":
        if task.state("continuous").status in _DONE_STATES:
            return None
    elif task.until is not None and task.until <= ended:
        return None
    return ended


def reminder_days(eff: date, policy: Policy, calendar: WorkCalendar) -> list[tuple[int, date]]:
    """(offset, day) of each reminder before `eff`; two offsets landing on one day keep the nearer one."""
    by_day: dict[date, int] = {}
    for offset in policy.reminder_offsets:  # largest first, so the smaller offset wins a shared day
        day = eff - timedelta(days=offset)
        if policy.workdays_only:
            day = calendar.previous_workday(day)
        by_day[day] = offset
    return sorted(((o, d) for d, o in by_day.items()), key=lambda x: x[1])


def _plan_checkins(task, occ, policy, calendar, lo_d, hi_d, assigned_d, focal_for, emit) -> None:
    """A check-in (báo cáo định kỳ) once per period, as far before the period's end as the first reminder."""
    unit = policy.checkin_period
    lead = max(policy.reminder_offsets, default=0)
    start, _ = period_bounds(unit, max(lo_d, assigned_d))
    cursor = start
    while cursor <= hi_d + timedelta(days=lead + 20):
        p_start, p_end = period_bounds(unit, cursor)
        day = p_end - timedelta(days=lead)
        if policy.workdays_only:
            day = calendar.previous_workday(day)
        label = period_label(unit, p_start)
        if task.until is not None and p_start > task.until:
            break  # the plan ended
        lead_code = task.lead_on(p_end)
        emit(policy.at(day), occ.key, f"checkin:{label}", CHECKIN, focal_for(lead_code), period=label, lead=lead_code,
             period_start=p_start.isoformat(), period_end=p_end.isoformat())
        cursor = p_end + timedelta(days=1)


def next_check(task: TaskSnapshot, bindings, policy: Policy, calendar: WorkCalendar, after: datetime) -> datetime:
    """The next instant anything could happen for `task` after `after` (its first upcoming step), or a
    re-check IDLE_RECHECK_DAYS later when nothing is ahead."""
    limit = after + timedelta(days=IDLE_RECHECK_DAYS)
    for days in (10, 100, IDLE_RECHECK_DAYS):  # most tasks have a step within days: look near first
        until = min(after + timedelta(days=days), limit)
        steps = plan_task(task, bindings, policy, calendar, after, until)
        if steps:
            return steps[0].due_at
    return limit


def still_wanted(step: PlannedStep, task: TaskSnapshot | None, bindings, policy: Policy,
                 calendar: WorkCalendar) -> str | None:
    """Why an outbox row for a task should no longer be sent (None = send it). Checked just before sending:
    the task may have been done, acknowledged, extended, reassigned or removed since the row was made."""
    if task is None:
        return "task no longer exists"
    if task.removed:
        return "task removed"
    planned = step.due_at
    if (step.payload or {}).get("planned_at"):  # caught up after downtime: look where it was planned
        planned = datetime.fromisoformat(step.payload["planned_at"])
    day = policy.local_date(planned)
    lo = min(policy.at(day), policy.window_start(day)) - timedelta(days=1)
    hi = max(planned, policy.at(day)) + timedelta(days=1)
    again = plan_task(task, bindings, policy, calendar, lo, hi, honour_binding_dates=False)
    if any(s.key == step.key for s in again):
        return None
    st = task.state(step.occurrence)
    if st.status == "done":
        return "done"
    if st.status == "pending_confirmation":
        return "awaiting confirmation"
    if step.kind == REMINDER and st.acknowledged_at is not None:
        return "acknowledged"
    if st.extended_due is not None and step.kind in (REMINDER, ESCALATION):
        return "deadline extended"
    return "no longer planned (reassigned, chat unlinked or policy changed)"


# -- catch-up -------------------------------------------------------------------------------------------------

PENDING, SUPERSEDED = "pending", "superseded"


def catch_up(due: Iterable[PlannedStep], existing: Mapping[tuple, datetime] | set) -> list[tuple[PlannedStep, str]]:
    """Which of the steps now due to insert, and how: per (task, occurrence, chat) only the latest is sent
    (pending); the earlier ones it skipped are recorded as superseded. Steps already in the outbox are
    left alone; if one of them is the latest, every missing one is superseded.

    `existing` holds the outbox keys already present (a set, or a mapping key → due_at).
    """
    groups: dict[tuple[str, str, str], list[PlannedStep]] = defaultdict(list)
    for s in due:
        groups[(s.task_key, s.occurrence, s.chat)].append(s)
    out: list[tuple[PlannedStep, str]] = []
    for steps in groups.values():
        steps.sort(key=lambda s: s.sort_key)
        latest = steps[-1]
        for s in steps:
            if s.key in existing:
                continue
            out.append((s, PENDING if s is latest else SUPERSEDED))
    out.sort(key=lambda x: x[0].sort_key)
    return out


# Digests, summaries and the rehearsal timeline live in jobs.digests (per chat, not per task); re-exported here.
from jobs.digests import (  # noqa: E402,F401 - after the names jobs.digests imports from here
    current_digest, current_summary, digest_steps, digest_time, previous_quarter, summary_steps, summary_time, timeline,
)
