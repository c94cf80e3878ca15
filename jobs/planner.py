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

What it plans with lives beside it and is re-exported here, where callers import it from: the policy and
its periods in jobs.policy; the task snapshot, recipients and planned steps in jobs.plan_model; the per-chat
digests and summaries in jobs.digests. `timeline` (every step of a window as if nobody acted) is at the end.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Sequence

from core.deadline import Deadline
# Digests and summaries are planned per chat in jobs.digests; their names are importable from here too.
from jobs.digests import (  # noqa: F401
    current_digest, current_summary, digest_steps, digest_time, previous_quarter, summary_steps, summary_time,
)
from jobs.plan_model import (  # noqa: F401
    BRIEF, CHECKIN, DIGEST, ESCALATION, GLOBAL_ROLES, NEW, NOTICE, REMINDER, SUMMARY, TASK_KINDS, Bindings,
    OccurrenceState, PlannedStep, Recipient, TaskSnapshot, _unique_chats,
)
from jobs.policy import (  # noqa: F401
    DEFAULT_BUDGET, PLANNER_VERSION, VN, Policy, Rung, iso_week, period_bounds, period_label,
)
from core.workdays import WorkCalendar
from jobs.person_plan import part_occurrence, part_steps, person_steps

# How far back the tick looks for steps that should exist but are missing (downtime, policy change), and
# how long an open occurrence of a recurring task keeps its escalation repeats: a monthly report missed
# for years must not repeat every week forever. Same horizon as the read models (storage.views).
LOOKBACK_DAYS = 366
RECURRING_REPEAT_DAYS = 365
# A task with nothing ahead is looked at again after this long anyway (cheap, and survives policy edits).
IDLE_RECHECK_DAYS = 366
_DONE_STATES = ("done", "pending_confirmation")


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
    out: list[PlannedStep] = []
    _walk(task, bindings, policy, calendar, since, until, assigned_at, honour_binding_dates, out, None)
    out.sort(key=lambda s: s.sort_key)
    return out


class _First:
    """What `next_check` keeps of a walk: only the earliest time a step would go out."""

    __slots__ = ("at",)

    def __init__(self, at: datetime):
        self.at = at  # the bound: a step at or after it cannot be the first


def _walk(task: TaskSnapshot, bindings, policy: Policy, calendar: WorkCalendar, since: datetime | None,
          until: datetime, assigned_at: datetime | None, honour_binding_dates: bool,
          out: list[PlannedStep], earliest: _First | None) -> None:
    """The one walk over a task's steps in (since, until]: each into `out`, or — with `earliest` — only the
    earliest one's time into `earliest.at` (next_check), with the same rules, so the two cannot disagree."""
    if task.removed:
        return
    b = Bindings.of(bindings)
    assigned = assigned_at or task.assigned_at
    lo = since or assigned - timedelta(microseconds=1)
    if lo < assigned - timedelta(microseconds=1):
        lo = assigned - timedelta(microseconds=1)
    if until <= lo:
        return
    lo_d, hi_d = policy.local_date(lo), policy.local_date(until)
    assigned_d = policy.local_date(assigned)
    # A step at or after `cap.at` is of no use: past the window, or (next_check) not before the earliest
    # found so far. deliver_at never brings a time forward, so what is due at or after it is passed over.
    cap = earliest if earliest is not None else _First(until + timedelta(microseconds=1))

    def emit(when: datetime, occ_key: str, step: str, kind: str, to: Sequence[Recipient], **payload) -> None:
        if when >= cap.at:
            return
        when = policy.deliver_at(when, calendar)  # working hours: never outside DELIVERY_WINDOW
        if not (lo < when <= until) or when < assigned:
            return
        day = policy.local_date(when)
        for r in to:
            end = task.ends.get(r.agency)
            if end is not None and end[0] is not None and day > end[0]:
                continue  # an agency that ceased to exist hears nothing after its end (its work: held or handed over)
            # A chat linked later hears no history — except the new-task notice: a focal chat linked after
            # the import still learns, once, what its agency owes.
            if honour_binding_dates and kind != NEW and r.created_at is not None and when < r.created_at:
                continue
            if earliest is not None:
                earliest.at = min(earliest.at, when)  # one chat hears it: a step exists at `when`
                return
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

    def focal(lead: str | None, with_coordinators: bool = policy.remind_coordinators) -> Sequence[Recipient]:
        if lead is None:
            return ()
        return b.focal_chats(lead, coordinators, with_coordinators)  # = focal_of the task led by `lead`

    occs = _occurrences(task, policy, calendar, lo_d, hi_d, assigned_d)

    def keep(s: PlannedStep) -> None:
        if lo < s.due_at <= until and s.due_at >= assigned:
            if earliest is not None:
                earliest.at = min(earliest.at, s.due_at)
            else:
                out.append(s)

    parts = _plan_parts(task, policy, calendar, b, emit, keep)

    # The new-task notice, about the first occurrence still open at assignment.
    when = policy.deliver_at(assigned, calendar, remember=False)  # each task's own instant: not worth keeping
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

    # An occurrence whose first step comes at or after `cap.at` is passed over whole.
    skip = _steps_start_at_reminders(policy)
    for occ in occs:
        if occ.state.status in _DONE_STATES:
            continue  # done (or awaiting the oversight body's confirmation) stops everything
        if occ.key == "continuous":
            _plan_checkins(task, occ, policy, calendar, lo_d, hi_d, assigned_d, focal, emit, cap)
            continue
        eff = _in_force(occ, calendar, policy)
        if eff is None:
            continue
        if skip and policy.at(_first_day(eff, task.duty(occ.key), policy, calendar)) >= cap.at:
            continue
        lead = task.lead_on(eff)
        if lead is None:
            continue  # held (see above)
        led = task.as_led_by(lead)
        to_focal = focal(lead)
        e = eff.isoformat()
        common = {"due": occ.due.isoformat() if occ.due else None, "effective_due": e, "lead": lead}
        # Handed to a person (issue 24): their reminders, fallbacks and ladder replace the focal chats'
        # reminders; the agency's escalation after its own deadline stays.
        duty = task.duty(occ.key)
        if duty is not None and duty.person.channels:
            for s in person_steps(task.key, task.id, occ.key, duty, eff, policy, calendar, reminder_days,
                                  fallback_time=policy.person_fallback_time, ladder=policy.person_ladder):
                if lo < s.due_at <= until and s.due_at >= assigned:
                    if earliest is not None:
                        earliest.at = min(earliest.at, s.due_at)
                    else:
                        out.append(s)
        # Reminders before the deadline; an acknowledgement ("đã nhận") stops them.
        elif occ.state.acknowledged_at is None:
            # A coordinating agency with a part of its own deadline hears of its part, not of the lead's date.
            own = parts.get(occ.key, set())
            to_remind = [r for r in to_focal if r.agency == lead or r.agency not in own]
            for offset, day in reminder_days(eff, policy, calendar):
                when = policy.at(day)
                if when >= cap.at:
                    break  # in order of day: the later ones are past the cap too
                emit(when, occ.key, f"remind:{offset}:{e}", REMINDER, to_remind, offset=offset, **common)
        # Escalation after it, whatever was acknowledged.
        if not policy.escalation:
            continue
        for level, rung in enumerate(policy.escalation, 1):
            when = policy.at(calendar.add_workdays(eff, rung.workdays_late))
            if when >= cap.at:
                break  # the rungs in order of lateness: the later ones are past the cap too
            emit(when, occ.key, f"escalate:{level}:{e}", ESCALATION, b.for_rung(led, rung.role),
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
            when = policy.at(day)
            if when >= cap.at and policy.repeat_days > 0:
                break  # later repeats come later still
            emit(when, occ.key, f"repeat:{n}:{e}", ESCALATION, to, level=len(policy.escalation),
                 repeat=n, **common)


def _steps_start_at_reminders(policy: Policy) -> bool:
    """Does no step of an occurrence come before its first reminder's day? True unless a ladder counts
    backwards from the deadline (a negative rung) — then a walk looks at every occurrence."""
    return _ladders_count_forward(policy.escalation, policy.repeat_days, policy.person_ladder)


@functools.lru_cache(maxsize=64)
def _ladders_count_forward(escalation: tuple[Rung, ...], repeat_days: int, person_ladder: tuple) -> bool:
    return (all(r.workdays_late >= 0 for r in escalation) and repeat_days > 0
            and all(w >= 0 for w, _ in person_ladder))


def _first_day(eff: date, duty, policy: Policy, calendar: WorkCalendar) -> date:
    """The day no step of an occurrence in force on `eff` comes before (when `_steps_start_at_reminders`):
    its first reminder's — to its agency, or to the person it was handed to, whose internal deadline may be
    earlier. Escalations and repeats come after the deadline; a person's fallbacks after their reminder."""
    due = eff
    if duty is not None and duty.person.channels and duty.due is not None:
        due = min(duty.due, eff)
    offsets = policy.reminder_offsets  # largest first (Policy sorts them)
    day = due - timedelta(days=offsets[0] if offsets and offsets[0] > 0 else 0)
    return calendar.previous_workday(day) if policy.workdays_only else day


def _plan_parts(task: TaskSnapshot, policy: Policy, calendar: WorkCalendar, b: Bindings, emit, keep) -> dict:
    """The coordinating agencies' parts with their own deadlines (issue 24): reminders before the part's
    deadline to that agency's focal chats (and its person), and, one working day late, its managers and the
    lead's focal chats. Each part is filed under one occurrence (jobs.person_plan.part_occurrence), whatever
    the window, and stops when the part or that occurrence is done. Answers occurrence key → the agencies
    whose own part is planned there (the lead's reminders leave them out: one reminder per part, not two)."""
    planned: dict[str, set[str]] = {}
    for part in task.parts:
        occ_key = part_occurrence(part, task.deadline.kind, lambda d: next(iter(task.deadline.next_dues(d, 1)), None))
        if occ_key is None or task.state(occ_key).status in _DONE_STATES:
            continue
        lead = task.lead_on(part.due) or task.lead
        planned.setdefault(occ_key, set()).add(part.agency)
        reminders, escalations, person_rows = part_steps(task.key, task.id, occ_key, part, lead, policy, calendar,
                                                         reminder_days)
        focal = [] if person_rows else b.of_agency(part.agency, "focal")  # the person replaces the chats
        for when, step, payload in reminders:
            emit(when, occ_key, step, REMINDER, focal, **payload)
        for s in person_rows:
            keep(s)
        told = _unique_chats([*b.of_agency(part.agency, "manager"), *b.of_agency(lead, "focal")])
        for when, step, payload in escalations:
            emit(when, occ_key, step, ESCALATION, told, **payload)
    return planned


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


def reminder_days(eff: date, policy: Policy, calendar: WorkCalendar) -> tuple[tuple[int, date], ...]:
    """(offset, day) of each reminder before `eff`, in order of day; two offsets landing on one day keep the
    nearer one."""
    return policy.remembered(("reminder_days", eff, calendar), lambda: _reminder_days(eff, policy, calendar))


def _reminder_days(eff: date, policy: Policy, calendar: WorkCalendar) -> tuple[tuple[int, date], ...]:
    by_day: dict[date, int] = {}
    for offset in policy.reminder_offsets:  # largest first, so the smaller offset wins a shared day
        day = eff - timedelta(days=offset)
        if policy.workdays_only:
            day = calendar.previous_workday(day)
        by_day[day] = offset
    return tuple(sorted(((o, d) for d, o in by_day.items()), key=lambda x: x[1]))


def _plan_checkins(task, occ, policy, calendar, lo_d, hi_d, assigned_d, focal_for, emit, cap: _First) -> None:
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
        if task.until is not None and p_start > task.until:
            break  # the plan ended
        when = policy.at(day)
        if when >= cap.at:
            break  # the periods come in order: the later ones are past the cap too
        label = period_label(unit, p_start)
        lead_code = task.lead_on(p_end)
        emit(when, occ.key, f"checkin:{label}", CHECKIN, focal_for(lead_code), period=label, lead=lead_code,
             period_start=p_start.isoformat(), period_end=p_end.isoformat())
        cursor = p_end + timedelta(days=1)


def next_check(task: TaskSnapshot, bindings, policy: Policy, calendar: WorkCalendar, after: datetime) -> datetime:
    """The next instant anything could happen for `task` after `after` (its first upcoming step), or a
    re-check IDLE_RECHECK_DAYS later when nothing is ahead."""
    limit = after + timedelta(days=IDLE_RECHECK_DAYS)
    # One walk over the year ahead that keeps only the earliest step (no step built, none sorted), instead
    # of planning ever wider windows until one holds a step: 53 % of a full plan was those re-plans.
    first = _First(limit + timedelta(microseconds=1))
    _walk(task, bindings, policy, calendar, after, limit, None, True, [], first)
    return first.at if first.at <= limit else limit


def still_wanted(step: PlannedStep, task: TaskSnapshot | None, bindings, policy: Policy,
                 calendar: WorkCalendar) -> str | None:
    """Why an outbox row for a task should no longer be sent (None = send it). Checked just before sending:
    the task may have been done, acknowledged, extended, reassigned or removed since the row was made."""
    if task is None:
        return "task no longer exists"
    if task.removed:
        return "task removed"
    if step.step.startswith("nudge:"):  # remind now (issue 24, jobs.remind_now): wanted while still open
        st = task.state(step.occurrence)
        return None if st.status not in _DONE_STATES else ("done" if st.status == "done" else "awaiting confirmation")
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


# -- the preview's timeline -----------------------------------------------------------------------------------

def timeline(
    tasks: Iterable[TaskSnapshot],
    bindings,
    policy: Policy,
    calendar: WorkCalendar,
    start: datetime,
    end: datetime,
    *,
    digests: bool = True,
) -> list[PlannedStep]:
    """Every message the policy would send in [start, end) as if nobody acted: tasks assigned after their
    directive was issued are taken as assigned on the issue date (a registry imported today previews the
    year it was written in), and every chat as if it had always been linked."""
    b = Bindings.of(bindings)
    out: list[PlannedStep] = []
    since = start - timedelta(microseconds=1)
    until = end - timedelta(microseconds=1)
    for t in tasks:
        assumed = t.assigned_at
        if t.issued is not None:
            assumed = min(assumed, policy.at(t.issued))
        out.extend(plan_task(t, b, policy, calendar, since, until, assigned_at=assumed, honour_binding_dates=False))
    if digests:
        d0, d1 = policy.local_date(start), policy.local_date(end)
        monday = d0 - timedelta(days=d0.weekday())
        while monday <= d1:
            out.extend(s for s in digest_steps(b, monday, policy, calendar) if start <= s.due_at < end)
            monday += timedelta(days=7)
        q, _ = period_bounds("quarter", d0)
        while q <= d1:
            out.extend(s for s in summary_steps(b, q, policy, calendar) if start <= s.due_at < end)
            q = period_bounds("quarter", q)[1] + timedelta(days=1)
    out.sort(key=lambda s: s.sort_key)
    return out
