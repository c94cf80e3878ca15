"""The noise budget (hạn mức tin nhắn): which planned messages a chat receives as they are, and which are
folded into its one brief of the day (bản tin tổng hợp). Pure — the scheduler tick and `dondoc preview`
both call `fold`, so the preview shows what the tick will do.

DAILY_BUDGET says, per role, what a chat hears in a day:

- `task` — a message per task, at most one per task a day: two steps of one task landing on one day for
  one chat (a reminder and a new-task notice) make one message, the later step;
- `brief` — one brief per working day: every task message of that day becomes an entry of the brief;
- `N` — up to N messages a day: while a day's messages fit in N they go as they are; when they would not,
  the rest of the day's go as one brief (so never more than N).

A per-task row folded into a brief is still recorded in the outbox (status `briefed`, the brief named in its
payload): the outbox key stays the idempotency key, so a re-plan never folds it again. A message that
reaches a chat after that day's brief went out goes into the next working day's brief.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping

from jobs.planner import (
    BRIEF, LOOKBACK_DAYS, TASK_KINDS, Bindings, PlannedStep, Policy, TaskSnapshot, catch_up, current_digest,
    current_summary, digest_steps, iso_week, period_bounds, plan_task, previous_quarter, summary_steps,
)
from core.workdays import WorkCalendar

PENDING, SUPERSEDED, BRIEFED = "pending", "superseded", "briefed"
BRIEF_STEP = "brief:daily"
DIGEST_STEP, SUMMARY_STEP = "digest:weekly", "summary:quarterly"
_ROLE_RANK = {"focal": 0, "manager": 1, "oversight": 2, "leadership": 3}


@dataclass
class DayState:
    """What the outbox already holds for one chat on one day."""

    brief_status: str | None = None  # the day's brief row: None = none yet
    brief_entries: tuple = ()
    singles: int = 0  # task messages (not briefed) already planned for that day


@dataclass
class BriefPlan:
    """A brief to insert, or (when the day's brief is still pending) entries to add to it."""

    step: PlannedStep
    entries: list[dict] = field(default_factory=list)
    exists: bool = False  # the row exists and is pending: merge `entries` into it


def brief_key(chat: str, day: date) -> tuple[str, str, str, str]:
    return ("", day.isoformat(), BRIEF_STEP, chat)


def budget_of(policy: Policy, role: str | None):
    return policy.budget.get(role or "focal", "task")


def entry_of(s: PlannedStep) -> dict:
    """What a brief keeps of one folded step (the composer reads the rest from storage when it is sent)."""
    p = s.payload or {}
    e = {"task": s.task_key, "task_id": s.task_id, "occurrence": s.occurrence, "step": s.step, "kind": s.kind,
         "agency": p.get("agency"), "role": p.get("role")}
    for k in ("level", "repeat", "effective_due", "offset"):
        if p.get(k) is not None:
            e[k] = p[k]
    return e


def fold(rows: Iterable[tuple[PlannedStep, str]], policy: Policy, calendar: WorkCalendar,
         state: Mapping[tuple[str, date], DayState] | None = None
         ) -> tuple[list[tuple[PlannedStep, str]], list[BriefPlan]]:
    """Apply the noise budget to planned rows (step, pending|superseded), each due at its delivery time.

    Returns the per-task rows with their status (pending, superseded, or briefed) and the briefs to insert
    or extend. `state`: what the outbox already holds per (chat, local day) (empty for a preview from
    scratch)."""
    state = dict(state or {})
    out: list[tuple[PlannedStep, str]] = []
    pending: dict[tuple[str, date], list[PlannedStep]] = defaultdict(list)
    for step, status in rows:
        if status != PENDING or step.kind not in TASK_KINDS:
            out.append((step, status))
            continue
        pending[(step.chat, policy.local_date(step.due_at))].append(step)

    briefs: dict[tuple[str, date], BriefPlan] = {}

    def to_brief(chat: str, day: date, steps: list[PlannedStep]) -> None:
        # The day's brief went out already: the next working day's.
        d = day
        while (state.get((chat, d)) or DayState()).brief_status not in (None, PENDING):
            d = d + timedelta(days=1)
            d = calendar.next_workday(d) if policy.workdays_only else d
        key = (chat, d)
        plan = briefs.get(key)
        if plan is None:
            st = state.get(key) or DayState()
            when = policy.deliver_at(policy.at(d), calendar) if d != day else min(s.due_at for s in steps)
            first = steps[0]
            plan = BriefPlan(PlannedStep(when, "", d.isoformat(), BRIEF_STEP, chat, BRIEF, None, first.binding_id,
                                         {"role": None, "agency": None, "items": [], "entries": []}),
                             exists=st.brief_status == PENDING)
            briefs[key] = plan
        else:
            when = min([plan.step.due_at] + [s.due_at for s in steps]) if d == day else plan.step.due_at
            plan.step = replace(plan.step, due_at=when)
        for s in steps:
            plan.entries.append(entry_of(s))
            out.append((replace(s, payload={**s.payload, "brief": f"{d.isoformat()}"}), BRIEFED))

    for (chat, day), steps in sorted(pending.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        steps.sort(key=lambda s: s.sort_key)
        # At most one message per task a day: the later step of that day speaks for both.
        last: dict[str, PlannedStep] = {}
        for s in steps:
            last[s.task_key] = s
        keep = [s for s in steps if last[s.task_key] is s]
        for s in steps:
            if last[s.task_key] is not s:
                out.append((s, SUPERSEDED))
        st = state.get((chat, day)) or DayState()
        single, folded = [], []
        for s in keep:
            b = budget_of(policy, (s.payload or {}).get("role"))
            (folded if b == "brief" else single).append(s)
        # Numbered budgets: the day's messages go as they are while they fit, else as (part of) one brief.
        numbered = [s for s in single if budget_of(policy, s.payload.get("role")) != "task"]
        if numbered:
            cap = min(int(budget_of(policy, s.payload.get("role"))) for s in numbered)
            has_brief = st.brief_status is not None or bool(folded)
            if has_brief or st.singles + len(numbered) > cap:
                folded += numbered
                single = [s for s in single if s not in numbered]
        out.extend((s, PENDING) for s in single)
        if folded:
            to_brief(chat, day, folded)

    for plan in briefs.values():
        entries = plan.entries
        role = max((e.get("role") or "focal" for e in entries), key=lambda r: _ROLE_RANK.get(r, 0))
        agencies = sorted({e["agency"] for e in entries if e.get("agency")})
        plan.step = replace(plan.step, payload={
            "role": role, "agencies": agencies,
            "items": sorted({e["task"] for e in entries}), "entries": entries})
    out.sort(key=lambda x: x[0].sort_key)
    return out, sorted(briefs.values(), key=lambda b: b.step.sort_key)


# -- the one planning path: the scheduler tick and `dondoc preview` ---------------------------------------------

def catch_up_time(step: PlannedStep, now: datetime, policy: Policy, calendar: WorkCalendar) -> PlannedStep:
    """A step found late (downtime, a first start) goes at the next delivery time from `now`, in that day's
    brief; a step of today keeps its time."""
    first = policy.deliver_at(now, calendar)
    if step.due_at < first and policy.local_date(step.due_at) < policy.local_date(first):
        return replace(step, due_at=first, payload={**step.payload, "planned_at": step.due_at.isoformat()})
    return step


def plan_window(tasks: Iterable[TaskSnapshot], bindings, policy: Policy, calendar: WorkCalendar, now: datetime,
                until: datetime, *, since: datetime | None = None, existing: Mapping | set = frozenset(),
                state: Mapping[tuple[str, date], DayState] | None = None, load_state=None
                ) -> tuple[list[tuple[PlannedStep, str]], list[BriefPlan]]:
    """What the scheduler does from `now` to `until` for `tasks`, as if it ticked all along: at `now` the
    steps due since `since` (a year back by default) and missing from `existing` (the outbox keys) are
    caught up — the latest per task, occurrence and chat pending, the rest superseded, the late ones moved
    to the next delivery time — then every step in (now, until] at its time; the noise budget folds them
    (`fold`). A tick is `until == now`; `dondoc preview` asks for its window."""
    b = Bindings.of(bindings)
    since = since if since is not None else now - timedelta(days=LOOKBACK_DAYS)
    rows: list[tuple[PlannedStep, str]] = []
    for t in tasks:
        due = plan_task(t, b, policy, calendar, since, now)
        mine = []
        for s, status in catch_up(due, existing):
            if status == PENDING:
                s = catch_up_time(s, now, policy, calendar)
                end = t.ends.get(s.payload.get("agency"))
                if end is not None and end[0] is not None and policy.local_date(s.due_at) > end[0]:
                    status = SUPERSEDED  # late past its agency's end: it no longer exists to hear it
            mine.append((s, status))
        if until > now:
            mine.extend((s, PENDING) for s in plan_task(t, b, policy, calendar, now, until))
        rows.extend(_spoken_for_later_today(mine, t, b, policy, calendar, until))
    if load_state is not None:  # what the outbox holds for the chats and days a budget applies to
        state = load_state({(s.chat, policy.local_date(s.due_at)) for s, st in rows
                            if st == PENDING and s.kind in TASK_KINDS and budget_of(policy, s.payload.get("role")) != "task"})
    return fold(rows, policy, calendar, state)


def _spoken_for_later_today(rows: list[tuple[PlannedStep, str]], task: TaskSnapshot, b: Bindings, policy: Policy,
                            calendar: WorkCalendar, until: datetime) -> list[tuple[PlannedStep, str]]:
    """At most one message per task a day, across ticks too: a pending step that a later step of the same task,
    occurrence and chat follows on the same local day — beyond `until`, where `fold` cannot see it — is
    superseded now, as the preview's one window supersedes it. Without this a tick sent a first start's
    catch-up at 07:30 and the day's reminder at 08:00: a focal chat told of the same task twice a day
    (issue 27; the preview listed one)."""
    pending = [s for s, st in rows if st == PENDING and s.kind in TASK_KINDS]
    if not pending:
        return rows
    last_day = max(policy.local_date(s.due_at) for s in pending)
    day_end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=policy.timezone).astimezone(timezone.utc)
    if day_end <= until:
        return rows
    later: dict[tuple[str, str, str, date], datetime] = {}
    for s in plan_task(task, b, policy, calendar, until, day_end):
        if s.kind in TASK_KINDS:
            k = (s.task_key, s.occurrence, s.chat, policy.local_date(s.due_at))
            later[k] = max(later.get(k, s.due_at), s.due_at)
    if not later:
        return rows
    out = []
    for s, st in rows:
        if st == PENDING and s.kind in TASK_KINDS and \
                later.get((s.task_key, s.occurrence, s.chat, policy.local_date(s.due_at)), s.due_at) > s.due_at:
            st = SUPERSEDED
        out.append((s, st))
    return out


def digest_plan(bindings, policy: Policy, calendar: WorkCalendar, now: datetime, until: datetime, *,
                made: Mapping[str, str] | None = None,
                ends: Mapping[str, tuple[date, str | None]] | None = None) -> list[PlannedStep]:
    """The weekly agendas and quarterly summaries from `now` to `until`: this week's and this quarter's if
    their time has come by `now` and they are not `made` yet (labels by kind, from SchedulerState) — once,
    to the chats linked before their time, at the next delivery time — then each one in (now, until]."""
    b = Bindings.of(bindings)
    made = made or {}
    out: list[PlannedStep] = []
    first = policy.local_date(policy.deliver_at(now, calendar))
    cur = current_digest(now, policy, calendar)
    # Missed (downtime): sent once when dondoc comes back — within its week; a week's agenda is not news the next.
    if cur is not None and made.get(DIGEST_STEP, "") < iso_week(cur[0]) and first <= cur[0] + timedelta(days=6):
        linked = Bindings(r for r in b.all if r.created_at is None or r.created_at <= cur[1])
        out += [catch_up_time(s, now, policy, calendar) for s in digest_steps(linked, cur[0], policy, calendar, ends)]
    cur = current_summary(now, policy, calendar)
    if (cur is not None and made.get(SUMMARY_STEP, "") < previous_quarter(cur[0])[0]
            and first <= period_bounds("quarter", cur[0])[1]):
        linked = Bindings(r for r in b.all if r.created_at is None or r.created_at <= cur[1])
        out += [catch_up_time(s, now, policy, calendar) for s in summary_steps(linked, cur[0], policy, calendar)]
    if until > now:
        d0, d1 = policy.local_date(now), policy.local_date(until)
        monday = d0 - timedelta(days=d0.weekday())
        while monday <= d1:
            out += [s for s in digest_steps(b, monday, policy, calendar, ends) if now < s.due_at <= until]
            monday += timedelta(days=7)
        q, _ = period_bounds("quarter", d0)
        while q <= d1:
            out += [s for s in summary_steps(b, q, policy, calendar) if now < s.due_at <= until]
            q = period_bounds("quarter", q)[1] + timedelta(days=1)
    return sorted(out, key=lambda s: s.sort_key)
