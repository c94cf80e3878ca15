"""next_check walks the year ahead once and keeps only the earliest step (issue 27: the old way re-planned
ever wider windows — 10, 100, 366 days — until one held a step, 53 % of a full plan). Same answer, shown over
generated registries: one-off, recurring, periodic (continuous check-ins) and person-delegated tasks, parts of
coordinating agencies with their own deadlines, with done, acknowledged and extended periods, agencies that
ceased, chats linked late, grouped items, several policies and clock moments. Seeded: a failure names its seed, task and moment and replays exactly.

The walk also passes over what lies past its window (steps, occurrences, check-ins) without building them;
planning one window or the same window in pieces must give the same steps, which would show a pass-over
that dropped a step.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest

from core.deadline import parse_deadline
from core.workdays import WorkCalendar
from jobs.person_plan import Contact, CoordinatingPart, PersonDuty
from jobs.planner import (
    IDLE_RECHECK_DAYS, Bindings, OccurrenceState, Policy, Recipient, Rung, TaskSnapshot, next_check, plan_task,
)
from tests.conftest import VN

CAL = WorkCalendar()
AGENCIES = ("so-noi-vu", "so-tu-phap", "so-tai-chinh", "so-y-te", "ubnd-huyen-a")
RECURRING = ("hằng tuần", "Thứ Sáu hằng tuần", "hằng tháng", "trước ngày 20 hằng tháng", "định kỳ hàng quý",
             "6 tháng và cả năm", "hằng năm", "Hàng tháng/năm")
POLICIES = {
    "default": Policy(),
    # Calendar days, a short ladder with a same-day rung, monthly check-ins, repeats every 3 days.
    "calendar days": Policy(workdays_only=False, reminder_offsets=(10, 2), escalation=(Rung(0, "manager"),
                            Rung(2, "oversight")), repeat_days=3, repeat_limit=6, checkin_period="month"),
    # Reminders at 06:00 outside a short window: every step moved by the delivery window.
    "early reminders": Policy(reminder_time=time(6, 0), window=(time(8, 30), time(11, 0)),
                              checkin_period="half", person_fallback_time=time(15, 0)),
    # A rung before the deadline: the walk may not pass over an occurrence by its first reminder.
    "rung before the deadline": Policy(escalation=(Rung(-2, "manager"), Rung(3, "leadership")),
                                       person_ladder=((-1, "head"), (2, "leaders"))),
}
SEEDS = (1, 2, 3)


def next_check_by_windows(task, bindings, policy, calendar, after):
    """The way next_check answered until issue 27: plan (after, after + 10 days], then 100, then 366, and
    the first step of the first window that holds one; a re-check after 366 days when none does."""
    limit = after + timedelta(days=IDLE_RECHECK_DAYS)
    for days in (10, 100, IDLE_RECHECK_DAYS):
        steps = plan_task(task, bindings, policy, calendar, after, min(after + timedelta(days=days), limit))
        if steps:
            return steps[0].due_at
    return limit


def _moment(rng: random.Random, d: date) -> datetime:
    """An instant on local day `d`: a round hour, a working-hours minute or an odd one (17:30, 23:59)."""
    hh, mm = rng.choice(((0, 0), (7, 29), (8, 0), (8, 1), (10, 15), (16, 59), (17, 30), (23, 59)))
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=VN)


def _contact(rng: random.Random, n: int) -> Contact:
    channels = rng.choice(((("zalo", f"9{n}"),), (("email", f"p{n}@so.example.gov.vn"), ("telegram", f"8{n}")),
                           ()))  # no channel: the agency's chats are reminded as before
    return Contact(100 + n, f"Cán bộ {n}", channels)


def make_registry(seed: int, n: int = 90) -> tuple[list[TaskSnapshot], Bindings]:
    rng = random.Random(seed)
    long_ago = datetime(2022, 1, 1, tzinfo=VN)
    recipients, rid = [], 0
    for agency in AGENCIES:
        for role in ("focal", "manager"):
            rid += 1
            # Some chats linked late: they hear no history, but the new-task notice.
            linked = long_ago if rng.random() < 0.7 else _moment(rng, date(2024, 1, 1) + timedelta(days=rng.randrange(300)))
            recipients.append(Recipient("telegram", f"-100{rid}", agency, role, id=rid, created_at=linked))
    for role, agency in (("oversight", "van-phong-ubnd"), ("leadership", "ubnd-tinh")):
        rid += 1
        recipients.append(Recipient("telegram", f"-100{rid}", agency, role, id=rid, created_at=long_ago))
    # Agencies that ceased: one merged into another, one with nobody after it (its tasks are held).
    ends = {"ubnd-huyen-a": (date(2024, 6, 30), "so-noi-vu"), "so-y-te": (date(2024, 9, 30), None)}
    if seed % 2:
        ends = {}

    tasks = []
    for i in range(n):
        kind = rng.choices(("once", "recurring", "continuous"), weights=(5, 3, 2))[0]
        issued = date(2023, 6, 1) + timedelta(days=rng.randrange(600))
        assigned = _moment(rng, issued + timedelta(days=rng.randrange(40)))
        if kind == "once":
            due = issued + timedelta(days=rng.randrange(-30, 240))
            text = f"trước ngày {due.day}/{due.month}/{due.year}"
        elif kind == "recurring":
            text = rng.choice(RECURRING)
        else:
            text = "Thường xuyên"
        deadline = parse_deadline(text, issued)
        lead = rng.choice(AGENCIES)
        coordinators = tuple(rng.sample([a for a in AGENCIES if a != lead], rng.randrange(3)))
        keys = [deadline.kind] if deadline.kind != "recurring" else \
            [d.isoformat() for d in deadline.occurrences(issued, issued + timedelta(days=500))]
        occurrences = {}
        for key in keys:
            r = rng.random()
            if r < 0.15:
                occurrences[key] = OccurrenceState("done", completed_on=issued + timedelta(days=30))
            elif r < 0.22:
                occurrences[key] = OccurrenceState("pending_confirmation")
            elif r < 0.35:
                occurrences[key] = OccurrenceState(acknowledged_at=assigned + timedelta(days=rng.randrange(1, 60)))
            elif r < 0.45 and key != "continuous":
                base = deadline.due if key == "once" else date.fromisoformat(key)
                occurrences[key] = OccurrenceState(extended_due=(base or issued) + timedelta(days=rng.randrange(5, 90)))
        duties = {}
        if rng.random() < 0.3:  # handed to a person: every period, or one
            key = rng.choice(keys) if rng.random() < 0.5 else "*"
            # An internal deadline is set for one period (storage.delegation: not after the agency's), up to
            # a month before it; a hand-over of every period of a recurring task has none.
            agency_due = deadline.due if key in ("*", "once") else None if key == "continuous" else date.fromisoformat(key)
            internal = None
            if rng.random() < 0.6 and not (key == "*" and deadline.kind == "recurring"):
                internal = (agency_due or issued + timedelta(days=90)) - timedelta(days=rng.randrange(0, 30))
            duty = PersonDuty(i, _contact(rng, i), acknowledged_at=None if rng.random() < 0.7 else assigned,
                              due=internal, heads=(_contact(rng, 1000 + i),), leaders=(_contact(rng, 2000 + i),),
                              failed=frozenset({"zalo:9" + str(i)}) if rng.random() < 0.2 else frozenset())
            duties = {key: duty}
        if coordinators and rng.random() < 0.25:  # a coordinating agency's part with its own deadline
            base = deadline.due or issued + timedelta(days=90)
            duties["parts"] = (CoordinatingPart(500 + i, coordinators[0], base - timedelta(days=rng.randrange(0, 40)),
                                                None, _contact(rng, 3000 + i) if rng.random() < 0.3 else None),)
        until = issued + timedelta(days=rng.randrange(100, 500)) if kind == "recurring" and rng.random() < 0.3 else None
        tasks.append(TaskSnapshot(key=f"T{seed}-{i:03d}", lead=lead, deadline=deadline, assigned_at=assigned,
                                  coordinators=coordinators, occurrences=occurrences, id=i + 1, issued=issued,
                                  until=until, ends=ends, duties=duties))
    # A directive item assigned to a group: its tasks know each other.
    group = tasks[:4]
    siblings = tuple((t.key, t.lead) for t in group)
    tasks[:4] = [replace(t, siblings=siblings) for t in group]
    return tasks, Bindings(recipients)


def moments(rng: random.Random, task: TaskSnapshot) -> list[datetime]:
    """Clock moments around the task's life: before it was assigned, at it, around its deadline, much later."""
    base = task.assigned_at.astimezone(VN).date()
    due = task.deadline.due or base + timedelta(days=45)
    days = (-20, 0, rng.randrange(1, 30), (due - base).days - 8, (due - base).days, (due - base).days + 9,
            rng.randrange(60, 700))
    out = [_moment(rng, base + timedelta(days=d)) for d in days]
    return out + [task.assigned_at, task.assigned_at.astimezone(timezone.utc) - timedelta(microseconds=1)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_next_check_is_the_first_step_the_windows_found(seed, policy_name):
    policy = POLICIES[policy_name]
    tasks, bindings = make_registry(seed)
    rng = random.Random(seed * 1000 + len(policy_name))
    compared = idle = 0
    for t in tasks:
        for after in moments(rng, t):
            got = next_check(t, bindings, policy, CAL, after)
            want = next_check_by_windows(t, bindings, policy, CAL, after)
            assert got == want, f"seed {seed}, {policy_name}: {t.key} ({t.deadline.text!r}) after {after}"
            compared += 1
            idle += want == after + timedelta(days=IDLE_RECHECK_DAYS)
    # The registry exercised both answers: a step ahead, and nothing ahead for a year.
    assert compared == len(tasks) * 9 and 0 < idle < compared


@pytest.mark.parametrize("seed", SEEDS)
def test_a_window_planned_whole_or_in_pieces_gives_the_same_steps(seed):
    """A walk passes over what is past its window; cut the window anywhere and nothing may go missing."""
    rng = random.Random(seed)
    tasks, bindings = make_registry(seed, n=60)
    for policy_name, policy in POLICIES.items():
        for t in tasks:
            start = _moment(rng, t.assigned_at.astimezone(VN).date() - timedelta(days=rng.randrange(0, 60)))
            end = start + timedelta(days=rng.randrange(30, 500))
            cuts = sorted(start + (end - start) * rng.random() for _ in range(3))
            edges = [start, *cuts, end]
            pieces = [s for a, b in zip(edges, edges[1:]) for s in plan_task(t, bindings, policy, CAL, a, b)]
            whole = plan_task(t, bindings, policy, CAL, start, end)
            assert [(s.key, s.due_at, dict(s.payload)) for s in pieces] == \
                   [(s.key, s.due_at, dict(s.payload)) for s in whole], f"seed {seed}, {policy_name}: {t.key}"


def test_a_person_deadline_before_the_agency_s_brings_the_next_check_forward():
    """The pass-over counts from the person's internal deadline, which may be weeks before the agency's."""
    issued = date(2024, 3, 1)
    t = TaskSnapshot(key="P1", lead="so-noi-vu", deadline=parse_deadline("trước ngày 30/6/2024", issued),
                     assigned_at=datetime(2024, 3, 1, 9, tzinfo=VN), id=1)
    person = Contact(7, "Lê Văn Nam", (("zalo", "555"),))
    handed = replace(t, duties={"*": PersonDuty(1, person, due=date(2024, 4, 15))})
    b = Bindings([Recipient("telegram", "-1", "so-noi-vu", "focal", id=1, created_at=datetime(2022, 1, 1, tzinfo=VN))])
    after = datetime(2024, 3, 2, 9, tzinfo=VN)
    # The agency's first reminder: 7 days before its deadline in force (Sunday 30/6 → Monday 1/7).
    assert next_check(t, b, Policy(), CAL, after).astimezone(VN) == datetime(2024, 6, 24, 8, tzinfo=VN)
    # The person's first reminder: 7 days before 15/4 (Mon 8/4).
    assert next_check(handed, b, Policy(), CAL, after).astimezone(VN) == datetime(2024, 4, 8, 8, tzinfo=VN)
    assert next_check(handed, b, Policy(), CAL, after) == next_check_by_windows(handed, b, Policy(), CAL, after)
