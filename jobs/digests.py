"""Weekly agendas (lịch việc tuần) and quarterly summaries (tổng hợp quý): planned per chat, not per task —
when each goes out and to whom. Pure."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Mapping

from jobs.plan_model import (
    DIGEST, GLOBAL_ROLES, SUMMARY, Bindings, PlannedStep, Recipient, _unique_chats,
)
from jobs.policy import Policy, iso_week, period_bounds, period_label
from core.workdays import WorkCalendar


# -- digests and summaries (per chat, not per task) -----------------------------------------------------------

def digest_time(week_monday: date, policy: Policy, calendar: WorkCalendar) -> datetime | None:
    """When the weekly agenda of the ISO week starting `week_monday` goes out: DIGEST_WEEKDAY at
    REMINDER_TIME, or the next working day of that week when it is a day off (None: a week of days off)."""
    day = week_monday + timedelta(days=policy.digest_weekday)
    if policy.workdays_only:
        while calendar.is_day_off(day):
            day += timedelta(days=1)
            if day > week_monday + timedelta(days=6):
                return None
    return policy.at(day)


def summary_time(quarter_first_day: date, policy: Policy, calendar: WorkCalendar) -> datetime:
    """The quarterly summary of the quarter before goes out on the first working day of a quarter."""
    day = quarter_first_day
    if policy.workdays_only:
        day = calendar.next_workday(day)
    return policy.at(day)


def previous_quarter(d: date) -> tuple[str, date, date]:
    """Label, first and last day of the quarter before the one containing `d`."""
    first, _ = period_bounds("quarter", d)
    last_prev = first - timedelta(days=1)
    p_first, p_last = period_bounds("quarter", last_prev)
    return period_label("quarter", p_first), p_first, p_last


_RANK = {"focal": 0, "manager": 1, "oversight": 2, "leadership": 3}


def digest_steps(bindings, week_monday: date, policy: Policy, calendar: WorkCalendar,
                 ends: Mapping[str, tuple[date, str | None]] | None = None) -> list[PlannedStep]:
    """The weekly agenda of one ISO week to every chat, one message per chat: a focal or manager chat for
    its agencies, an oversight or leadership chat for all (its "quá hạn kéo dài" among them). A chat whose
    agencies all ceased to exist before the week gets none."""
    when = digest_time(week_monday, policy, calendar)
    if when is None:
        return []
    b = Bindings.of(bindings)
    ends = ends or {}
    by_chat: dict[str, list[Recipient]] = defaultdict(list)
    for r in b.all:
        if r.agency in ends and ends[r.agency][0] < week_monday:
            continue
        by_chat[r.chat].append(r)
    week = iso_week(week_monday)
    out = []
    for chat, rs in by_chat.items():
        role = max((r.role for r in rs), key=lambda x: _RANK.get(x, 0))
        agencies = ["*"] if role in GLOBAL_ROLES else sorted({r.agency for r in rs})
        out.append(PlannedStep(when, "", week, "digest:weekly", chat, DIGEST, None, rs[0].id,
                               {"role": role, "agencies": agencies, "week": week,
                                "week_start": week_monday.isoformat()}))
    return sorted(out, key=lambda s: s.sort_key)


def summary_steps(bindings, quarter_first_day: date, policy: Policy, calendar: WorkCalendar) -> list[PlannedStep]:
    """The summary of the quarter before `quarter_first_day` to every oversight and leadership chat."""
    if not policy.quarterly_summary:
        return []
    when = summary_time(quarter_first_day, policy, calendar)
    label, p_first, p_last = previous_quarter(quarter_first_day)
    b = Bindings.of(bindings)
    chats = _unique_chats([r for r in b.all if r.role in GLOBAL_ROLES])
    return sorted((
        PlannedStep(when, "", label, "summary:quarterly", r.chat, SUMMARY, None, r.id,
                    {"role": r.role, "quarter": label, "start": p_first.isoformat(), "end": p_last.isoformat()})
        for r in chats), key=lambda s: s.sort_key)


def current_digest(now: datetime, policy: Policy, calendar: WorkCalendar) -> tuple[date, datetime] | None:
    """This week's digest if its time has come at `now`: (the week's Monday, its time), else None. A week
    missed entirely (downtime) is not sent late; this week's is, once, when dondoc comes back."""
    today = policy.local_date(now)
    monday = today - timedelta(days=today.weekday())
    when = digest_time(monday, policy, calendar)
    return (monday, when) if when is not None and when <= now else None


def current_summary(now: datetime, policy: Policy, calendar: WorkCalendar) -> tuple[date, datetime] | None:
    """This quarter's summary (of the quarter before) if its time has come: (the quarter's first day, its
    time), else None."""
    first, _ = period_bounds("quarter", policy.local_date(now))
    when = summary_time(first, policy, calendar)
    return (first, when) if when <= now else None
