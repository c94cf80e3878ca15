"""What a calendar is made of (feeds.ics renders it, feeds.ics_text words it): the tasks and occurrences as
entries, the alarm, the calendar's own fields and the rendering options. Plain data, no I/O."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


# -- input ------------------------------------------------------------------------------------------------

# Plain slotted dataclasses: a feed builds 100,000 of them, and frozen ones cost twice as much to build.
@dataclass(slots=True)
class ProgressEntry:
    """The last progress report (báo cáo tiến độ) of an occurrence."""

    percent: int | None
    note: str | None
    actor: str
    at: datetime  # aware


@dataclass(slots=True)
class OccurrenceEntry:
    """One occurrence (kỳ) of a task's deadline, with its state.

    `key`: "once", the ISO due date of a period, or "continuous". `due` is the due date as written,
    `in_force` the deadline after an approved extension (= `due` without one), `effective` the deadline in
    force moved to a working day when it falls on a day off (= `in_force` when the shift is off).
    """

    key: str
    due: date | None
    in_force: date | None
    effective: date | None
    state: str = "open"  # open | done | pending_confirmation (storage.tables)
    completed_on: date | None = None
    sequence: int = 0  # the occurrence row's sequence; 0 when it has no row
    updated_at: datetime | None = None  # the occurrence row's last change; None without a row
    progress: ProgressEntry | None = None
    pending_extension: date | None = None  # requested new deadline, awaiting a decision
    day_off: str | None = None  # name of the day off that moved `effective`, e.g. "Chủ nhật"


@dataclass(slots=True)
class TaskEntry:
    """A task as a calendar shows it; names are display names, already looked up."""

    key: str
    content: str
    kind: str  # once | recurring | continuous
    deadline_text: str  # thời hạn as written
    lead_name: str
    sequence: int
    updated_at: datetime  # aware
    occurrences: tuple[OccurrenceEntry, ...] = ()
    rrule: str | None = None  # recurring: the RFC 5545 RRULE value
    start: date | None = None  # recurring: the first due date (DTSTART)
    coordinator_names: tuple[str, ...] = ()
    coordinators_note: str | None = None
    report_to: str | None = None
    directive_number: str | None = None
    directive_issued: date | None = None
    directive_subject: str | None = None
    role: str = "lead"  # lead | coordinator: the calendar's agency's part in the task
    shift_rule: bool = False  # the working-day shift (Art. 148(5)) is on
    until: date | None = None  # recurring: the plan's end (no period after it)
    rrules: tuple[str, ...] = ()  # recurring with several schedules (Deadline.rrules): every rule, `rrule` first
    url: str | None = None  # the task's page (web console), when there is one


@dataclass(frozen=True)
class AlarmSpec:
    """A VALARM `days_before` the deadline at local time `at` (the first reminder offset, REMINDER_TIME)."""

    days_before: int
    at: time = time(8, 0)

    def trigger(self) -> timedelta:
        # All-day components start at local midnight, so "7 days before, at 08:00" is -6 days 16 hours.
        return timedelta(days=-self.days_before, hours=self.at.hour, minutes=self.at.minute)

    def day(self, due: date) -> date:
        """The local day the alarm rings for a component on `due`."""
        return due + self._day_shift()

    @functools.lru_cache(maxsize=16)
    def _day_shift(self) -> timedelta:
        return timedelta(days=(datetime.combine(date(2000, 1, 1), time(0)) + self.trigger()).date().toordinal()
                         - date(2000, 1, 1).toordinal())


@dataclass(frozen=True)
class CalendarMeta:
    name: str
    description: str | None = None
    lang: str = "vi"
    tzid: str = "Asia/Ho_Chi_Minh"
    extra: dict = field(default_factory=dict)  # more calendar properties, e.g. {"X-DONDOC-SCOPE": "agency"}
    uid_domain: str = "dondoc"  # the right-hand side of every UID (FEED_UID_DOMAIN)


@dataclass(frozen=True)
class _Options:
    lang: str
    today: date
    keep_done_days: int
    due_soon_days: int
    alarm: AlarmSpec | None
    todo: bool
    tzid: str
    domain: str
    alarm_from: date | None = None  # the first due date whose alarm is still ahead (alarm.day(due) >= today)
