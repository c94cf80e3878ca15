"""What `dondoc run` will send in a window, from the database — the data behind `dondoc preview`.

Two cases, one planning path (jobs.briefing.plan_window and digest_plan, which the scheduler tick calls):

- **from today on** (the window does not start in the past): exactly what `dondoc run`, started now and
  left running, sends — the catch-up of its first tick (what is due and not in the outbox yet, moved to the
  next working hours), new-task notices, every later step at its time, digests not made yet — with the
  chats as linked now, each from the day it was linked, and what the outbox already holds;
- **a window in the past** (a rehearsal of a registry): as if dondoc had run all along from the directive's
  issue date with every chat linked from the start and nobody acting; chats not linked yet are stand-ins,
  "(no chat linked)".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from jobs import outbox
from jobs.briefing import BRIEFED, PENDING, digest_plan, plan_window
from core.deadline import DeadlineError
from jobs.planner import GLOBAL_ROLES, Bindings, PlannedStep, Policy, Recipient, TaskSnapshot, current_digest, \
    current_summary, iso_week, previous_quarter
from core.workdays import WorkCalendar


@dataclass
class PreviewPlan:
    steps: list[PlannedStep]  # the messages, in order (briefs, digests and summaries among them)
    bindings: Bindings  # real chats and stand-ins
    unreadable: list[str]
    live: bool  # from today on (what `run` will do) rather than a rehearsal of the past


def plan_preview(session: Session, settings, calendar: WorkCalendar, now: datetime, first: date, last: date,
                 agency: str | None = None) -> PreviewPlan:
    from jobs.scheduler import DIGEST_STATE, SUMMARY_STATE, agency_ends, day_state, siblings_of
    from storage.tables import ChatBinding, Directive, Occurrence, SchedulerState, Task

    policy = Policy.from_settings(settings)
    tz = policy.timezone
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1)
    live = first >= policy.local_date(now)

    tasks = session.exec(select(Task).where(Task.removed_at.is_(None)).order_by(Task.position, Task.id)).all()
    occs: dict[int, list] = {}
    for o in session.exec(select(Occurrence)).all():
        occs.setdefault(o.task_id, []).append(o)
    issued = {d.id: d.issued for d in session.exec(select(Directive)).all()}
    ends = agency_ends(session)
    sibs = siblings_of(session, list(tasks))
    from jobs.person_duties import load_duties

    duties = load_duties(session, [t.id for t in tasks])  # handed to people (issue 24)
    snaps, unreadable = [], []
    for t in tasks:
        try:
            snap = TaskSnapshot.from_rows(t, occs.get(t.id, ()), issued=issued.get(t.directive_id), ends=ends,
                                          siblings=sibs.get(t.id, ()), duties=duties.get(t.id))
        except DeadlineError:
            unreadable.append(t.key)
            continue
        if not live and snap.issued is not None:  # a rehearsal: assigned on the directive's issue date
            snap = replace(snap, assigned_at=min(snap.assigned_at, policy.at(snap.issued)))
        snaps.append(snap)
    real = [Recipient.from_row(b) for b in session.exec(select(ChatBinding).where(ChatBinding.active == True))]  # noqa: E712
    if not live:
        real = [replace(r, created_at=None) for r in real]
    # Who would hear it if nobody is linked yet: a stand-in per (agency, role) without a chat.
    have = {(r.agency, r.role) for r in real}
    have_roles = {r.role for r in real}
    wanted: set = set()
    for t in snaps:
        wanted |= {(t.lead, "focal"), (t.lead, "manager")} | {(a, "focal") for a in t.coordinators}
    standins = [Recipient("unlinked", f"{a}:{role}", a, role) for a, role in sorted(wanted) if (a, role) not in have]
    standins += [Recipient("unlinked", f"*:{role}", "*", role) for role in GLOBAL_ROLES if role not in have_roles]
    bindings = Bindings(real + standins)

    if live:
        t0 = now
        existing = outbox.existing_keys(session.connection(), [t.id for t in snaps if t.id is not None],
                                        now - timedelta(days=400))
        made = {n: (st.value if (st := session.get(SchedulerState, n)) is not None else "")
                for n in (DIGEST_STATE, SUMMARY_STATE)}
        conn = session.connection()

        def load_state(pairs):
            return day_state(conn, pairs, policy)
        rows, briefs = plan_window(snaps, bindings, policy, calendar, t0, end, existing=existing, load_state=load_state)
    else:
        t0 = start - timedelta(microseconds=1)
        cur_d, cur_s = current_digest(t0, policy, calendar), current_summary(t0, policy, calendar)
        made = {DIGEST_STATE: iso_week(cur_d[0]) if cur_d else "",
                SUMMARY_STATE: previous_quarter(cur_s[0])[0] if cur_s else ""}  # sent before the window
        rows, briefs = plan_window(snaps, bindings, policy, calendar, t0, end, since=t0)
    steps = [s for s, status in rows if status == PENDING] + [b.step for b in briefs if not b.exists]
    if live:  # what the outbox already holds, not sent yet, goes too (a pending brief with what joins it)
        joining = {(b.step.chat, b.step.occurrence): b.entries for b in briefs if b.exists}
        steps += _pending_rows(session, policy, calendar, now, end, joining)
    steps += digest_plan(bindings, policy, calendar, t0, end, made=made, ends=ends)
    steps = [s for s in steps if start <= s.due_at <= end]
    if agency:
        own = {r.chat for r in bindings.all if r.agency == agency}
        theirs = {t.key for t in snaps if agency == t.lead or agency in t.coordinators}
        steps = [s for s in steps if s.chat in own or theirs.intersection(items_of(s))]
    steps.sort(key=lambda s: s.sort_key)
    return PreviewPlan(steps, bindings, unreadable, live)


def _pending_rows(session: Session, policy: Policy, calendar: WorkCalendar, now: datetime, end: datetime,
                  joining: dict) -> list[PlannedStep]:
    c = outbox.c
    out = []
    for r in session.connection().execute(
            select(c.task_key, c.occurrence, c.step, c.chat, c.kind, c.task_id, c.binding_id, c.payload, c.due_at)
            .where(c.status == outbox.PENDING, c.due_at <= end)):
        payload = dict(r.payload or {})
        extra = joining.get((r.chat, r.occurrence)) if r.task_key == "" and r.step == "brief:daily" else None
        if extra:
            payload["entries"] = list(payload.get("entries") or ()) + extra
            payload["items"] = sorted({e["task"] for e in payload["entries"]})
        when = policy.deliver_at(max(r.due_at, now), calendar)
        out.append(PlannedStep(when, r.task_key, r.occurrence, r.step, r.chat, r.kind, r.task_id, r.binding_id, payload))
    return out


def items_of(step: PlannedStep) -> list[str]:
    """The task keys a planned message covers."""
    p = step.payload or {}
    if p.get("items"):
        return list(p["items"])
    return [step.task_key] if step.task_key else []


__all__ = ["PreviewPlan", "plan_preview", "items_of", "BRIEFED"]
