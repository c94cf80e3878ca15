"""The reminder policy (chính sách nhắc việc) and the periods it counts in. Pure — no I/O, no clock.

`Policy` is the settings the planner works to (REMINDER_OFFSETS, ESCALATION_STEPS, DELIVERY_WINDOW …, from
.env through `Policy.from_settings`) with the working-hours arithmetic that follows from them; `Rung` is one
rung of its escalation ladder. The period helpers bound and name the months, quarters, halves and years of
check-ins (CONTINUOUS_CHECKIN) and quarterly summaries, and the ISO weeks of the weekly digest.
jobs.planner re-exports all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo

from core.workdays import WorkCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# DAILY_BUDGET by default: focal points a message per task (they act on it); the others one brief a day.
DEFAULT_BUDGET = {"focal": "task", "manager": "brief", "oversight": "brief", "leadership": "brief"}
# Bumped when planning (jobs.planner) changes meaning, so a restart after an upgrade re-plans every task
# once: it is part of the policy's fingerprint.
PLANNER_VERSION = 2
# A bound on each memo of Policy (a long-running service asks about ever new instants): cleared when full.
_MEMO_LIMIT = 100_000
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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
    # A person's reminders (issue 24, jobs.person_plan): the next channel at this time of the next working
    # day when nothing was acknowledged (PERSON_FALLBACK_TIME); their ladder (PERSON_ESCALATION_STEPS).
    person_fallback_time: time = time(10, 0)
    person_ladder: tuple[tuple[int, str], ...] = ((1, "head"), (2, "leaders"))
    # Answers kept (the policy is frozen and a calendar's answers never change): a full plan of 100k tasks
    # asks for the same few thousand instants over and over. Not settings: not compared, not shown.
    _at_memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _deliver_memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

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
            person_fallback_time=getattr(s, "person_fallback_time", time(10, 0)),
            person_ladder=tuple(getattr(s, "person_escalation_steps", ((1, "head"), (2, "leaders")))),
        )

    def fingerprint(self) -> str:
        """What a stored plan depended on: a restart with the same policy re-plans nothing it need not."""
        import hashlib

        parts = (self.timezone.key, self.reminder_offsets, self.reminder_time, self.remind_coordinators,
                 self.workdays_only, self.escalation, self.repeat_days, self.checkin_period, self.shift_to_workday,
                 self.digest_weekday, self.quarterly_summary, self.window, self.repeat_limit,
                 sorted(self.budget.items()), PLANNER_VERSION)
        if (self.person_fallback_time, self.person_ladder) != (time(10, 0), ((1, "head"), (2, "leaders"))):
            parts += (self.person_fallback_time, self.person_ladder)  # defaults leave older fingerprints as they were
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    def remembered(self, key: tuple, compute):
        """`compute()`, kept under `key` for the next time: for answers that follow from the policy and a
        calendar alone (the key names the calendar), which planning asks for again and again."""
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            got = self._memo[key] = compute()
        return got

    def in_window(self, when: datetime, calendar: WorkCalendar) -> bool:
        """Is `when` inside working hours: a working day (when REMINDER_WORKDAYS_ONLY) within DELIVERY_WINDOW?"""
        local = when.astimezone(self.timezone)
        if self.workdays_only and calendar.is_day_off(local.date()):
            return False
        return self.window[0] <= local.time().replace(tzinfo=None) < self.window[1]

    def deliver_at(self, when: datetime, calendar: WorkCalendar, *, remember: bool = True) -> datetime:
        """When something due at `when` may go out: then, if inside working hours, else the start of the
        next window on a working day. `remember=False`: an instant not asked about again (not kept)."""
        if not remember:
            return self._deliver_at(when, calendar)
        key = (when, when.tzinfo, calendar)  # the zone too: the answer may be `when` itself, as given
        got = self._deliver_memo.get(key)
        if got is None:
            if len(self._deliver_memo) >= _MEMO_LIMIT:
                self._deliver_memo.clear()
            got = self._deliver_memo[key] = self._deliver_at(when, calendar)
        return got

    def _deliver_at(self, when: datetime, calendar: WorkCalendar) -> datetime:
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
        got = self._at_memo.get(d)
        if got is None:
            if len(self._at_memo) >= _MEMO_LIMIT:
                self._at_memo.clear()
            local = datetime.combine(d, self.reminder_time, tzinfo=self.timezone)
            got = self._at_memo[d] = local.astimezone(timezone.utc)
        return got

    def local_date(self, when: datetime) -> date:
        return when.astimezone(self.timezone).date()


# -- periods (kỳ: tháng, quý, 6 tháng, năm; tuần) -------------------------------------------------------------

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
