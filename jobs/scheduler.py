"""The scheduler tick (nhịp lập lịch): plan what is due into the outbox, then dispatch it.

One APScheduler job calls `Scheduler.tick()` every SCHEDULER_TICK_SECONDS — no job per reminder. A tick:

1. plans only the tasks whose `next_check_at` has come (NULL = "plan me now"): the steps due in the last
   year up to now that are not in the outbox yet are inserted — the latest per (task, occurrence, chat)
   pending, the ones it skipped superseded (catch-up) — and `next_check_at` moves to the task's next step;
2. plans the weekly digest and the quarterly summary from `SchedulerState` (per chat, not per task);
3. dispatches what is due (jobs.dispatcher).

On start `prepare_start()` compares what the stored plan depended on (the policy, the holiday and agency files:
`plan_fingerprint`) with now: unchanged, only the tasks whose next check has come are planned (a restart of a
100k-task registry reaches its first tick at once); changed, `replan_all()` sets every task's next_check_at
to NULL. Per task, the change marker is next_check_at itself: anything that changes a task or its bindings
sets it to now/NULL (`invalidate_for_binding` for a chat linked or unlinked). Anything that
changes a task or its bindings sets it to now/NULL (`invalidate_for_binding` for a chat linked or unlinked).
Planning is safe in several processes at once: inserts are idempotent; a batch is leased (next_check_at set
to a value only that planner writes) before it is planned, and next_check_at is moved on with a
compare-and-set against the lease, so an action that lands while a task is being planned — even one that
writes the NULL the planner read — is planned again on the next tick.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobs import outbox
from jobs.briefing import BRIEFED, BRIEF_STEP, DayState, digest_plan, plan_window
from core.deadline import DeadlineError
from jobs.dispatcher import Dispatcher, DispatchStats
from jobs.person_duties import load_duties
from jobs.plan_model import read_deadline
from jobs.ports import Composer
from jobs.planner import (
    IDLE_RECHECK_DAYS, LOOKBACK_DAYS, TASK_KINDS, Bindings, Policy, Recipient, TaskSnapshot, current_digest,
    current_summary, iso_week, next_check, previous_quarter,
)
from core.workdays import WorkCalendar
from storage import responsibility
from storage.db import session_scope
from storage.tables import Agency, ChatBinding, Occurrence, SchedulerState, Task, UTCDateTime

log = logging.getLogger(__name__)

DIGEST_STATE = "digest:weekly"
FINGERPRINT_STATE = "plan:fingerprint"
# How long a batch being planned stays leased to the process planning it (clock seconds). Planning a batch
# takes well under a second; a planner that died leaves tasks to be planned again after this.
PLAN_LEASE_SECONDS = 300
SUMMARY_STATE = "summary:quarterly"
# The due tasks, on SQLite. Its planner prefers walking the primary key for ORDER BY id and then reads every
# task — 20 ms a tick at 100k tasks with none due (bench/planning.py); INDEXED BY reads only the due ones.
# The two halves apart, each in id order with its own LIMIT: "NULL" reads the index in id order and stops at
# the batch; one OR made SQLite read and sort every task still to plan for each batch (4.8 s of CPU in a
# full plan of 100k tasks, growing with the square of the registry; issue 27).
_SQLITE_DUE = sa.text(
    "SELECT id FROM (SELECT id FROM task INDEXED BY ix_task_next_check_at WHERE removed_at IS NULL "
    "AND next_check_at IS NULL AND id > :last ORDER BY id LIMIT :n) "
    "UNION ALL SELECT id FROM (SELECT id FROM task INDEXED BY ix_task_next_check_at WHERE removed_at IS NULL "
    "AND next_check_at <= :now AND id > :last ORDER BY id LIMIT :n) ORDER BY id LIMIT :n"
).bindparams(sa.bindparam("now", type_=UTCDateTime()))


# What planning reads of a task (TaskSnapshot.from_rows, siblings_of, the compare-and-set) and of its
# occurrences.
# The deadline as its stored text: 100k tasks share about a thousand deadlines (bench.data: 1,089), each read
# once per plan (_Deadlines) instead of decoded and checked for every task.
_PLAN_COLUMNS = (Task.id, Task.key, Task.lead_agency, sa.cast(Task.deadline, sa.Text).label("stored_deadline"),
                 Task.assigned_at, Task.coordinators, Task.removed_at, Task.next_check_at, Task.assignee_text,
                 Task.directive_id, Task.content, Task.deadline_text)
_OCCURRENCE_COLUMNS = (Occurrence.task_id, Occurrence.key, Occurrence.status, Occurrence.extended_due,
                       Occurrence.acknowledged_at, Occurrence.completed_on)


class _Deadlines:
    """The stored deadlines read so far in one plan, by their stored text."""

    LIMIT = 50_000  # a registry of all-different deadlines reads each once anyway

    def __init__(self):
        self._read: dict[str | None, tuple] = {}

    def read(self, stored: str | None) -> tuple:
        got = self._read.get(stored)
        if got is None:  # a malformed one raises DeadlineError each time, as it did
            got = read_deadline(json.loads(stored) if stored is not None else None)
            if len(self._read) < self.LIMIT:
                self._read[stored] = got
        return got


@dataclass
class PlanStats:
    tasks: int = 0
    pending: int = 0
    superseded: int = 0
    briefed: int = 0
    briefs: int = 0
    handed_over: int = 0
    digests: int = 0
    summaries: int = 0
    skipped_tasks: list[str] = field(default_factory=list)  # stored deadline unreadable


def active_bindings(session: Session) -> Bindings:
    rows = session.exec(select(ChatBinding).where(ChatBinding.active == sa.true()).order_by(ChatBinding.id)).all()
    return Bindings(Recipient.from_row(b) for b in rows)


def bindings_mark(session: Session) -> tuple:
    """A cheap fingerprint of the chat bindings (how many, the newest id, the latest change): every link,
    unlink, invite or disabled chat changes it."""
    t = ChatBinding.__table__
    return tuple(session.execute(sa.select(sa.func.count(), sa.func.max(t.c.id), sa.func.max(t.c.updated_at))).one())


def invalidate_for_binding(session: Session, agency: str, role: str) -> int:
    """A chat was linked or unlinked: the tasks it concerns are planned again on the next tick (one UPDATE).

    focal → tasks the agency leads or coordinates; manager → tasks it leads; oversight and leadership
    chats watch every task → all tasks."""
    q = sa.update(Task).where(Task.removed_at.is_(None))
    if role == "focal":
        q = q.where(sa.or_(Task.lead_agency == agency, sa.cast(Task.coordinators, sa.String).like(f'%"{agency}"%')))
    elif role not in ("oversight", "leadership"):
        q = q.where(Task.lead_agency == agency)
    return session.execute(q.values(next_check_at=None)).rowcount or 0


def _set_state(conn, name: str, value: str, now: datetime) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    t = SchedulerState.__table__
    stmt = insert(t).values(name=name, value=value, updated_at=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": now}))


def agency_ends(session: Session) -> dict[str, tuple]:
    """Agencies that cease to exist: code → (valid_to, successor or None)."""
    return {a.code: (a.valid_to, a.successor) for a in session.exec(select(Agency).where(Agency.valid_to.is_not(None)))}


def siblings_of(session: Session, tasks: list[Task]) -> dict[int, tuple[tuple[str, str], ...]]:
    """For tasks of a directive item assigned to a group: (key, lead) of every task of that item."""
    grouped = [t for t in tasks if t.assignee_text and t.directive_id is not None]
    if not grouped:
        return {}
    dirs = sorted({t.directive_id for t in grouped})
    texts = sorted({t.assignee_text for t in grouped})
    items: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for key, lead, d, a, content, dl in session.execute(
            select(Task.key, Task.lead_agency, Task.directive_id, Task.assignee_text, Task.content, Task.deadline_text)
            .where(Task.directive_id.in_(dirs), Task.assignee_text.in_(texts), Task.removed_at.is_(None))):
        items[(d, a, content, dl)].append((key, lead))
    out = {}
    for t in grouped:
        sib = items.get((t.directive_id, t.assignee_text, t.content, t.deadline_text), [])
        if len(sib) > 1:
            out[t.id] = tuple(sorted(sib))
    return out


def file_digest(path) -> str:
    import hashlib

    if not path:
        return "-"
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:16]
    except OSError:
        return "unreadable"


def plan_fingerprint(settings, policy: Policy, ends: dict | None = None) -> str:
    """What every stored plan depended on beyond its task: the policy, the holidays and the agencies (the
    directory file, and which agencies end when and who succeeds them)."""
    import hashlib

    gone = hashlib.sha256(repr(sorted((k, str(v[0]), v[1]) for k, v in (ends or {}).items())).encode()).hexdigest()[:16]
    return (f"{policy.fingerprint()}:{file_digest(settings.holidays_file)}:{file_digest(settings.agencies_file)}"
            f":{gone}")


def day_state(conn, pairs: set[tuple[str, object]], policy: Policy) -> dict:
    """What the outbox holds for these (chat, local day) pairs: the day's brief, and its task messages."""
    from datetime import time as dtime, timezone as tz

    if not pairs:
        return {}
    c = outbox.c
    out: dict = {}
    chats = sorted({p[0] for p in pairs})
    days = sorted({p[1] for p in pairs})
    lo = datetime.combine(days[0], dtime(0), tzinfo=policy.timezone).astimezone(tz.utc)
    hi = datetime.combine(days[-1], dtime(0), tzinfo=policy.timezone).astimezone(tz.utc) + timedelta(days=1)
    for i in range(0, len(chats), 500):
        part = chats[i:i + 500]
        for chat, occ, status, payload in conn.execute(
                sa.select(c.chat, c.occurrence, c.status, c.payload).where(
                    c.task_key == "", c.step == BRIEF_STEP, c.chat.in_(part), c.occurrence.in_([d.isoformat() for d in days]))):
            st = out.setdefault((chat, datetime.fromisoformat(occ).date()), DayState())
            st.brief_status, st.brief_entries = status, tuple((payload or {}).get("entries") or ())
        if not any(isinstance(v, int) for v in policy.budget.values()):
            continue  # only a numbered budget (N a day) counts the day's messages already planned
        for chat, due_at in conn.execute(
                sa.select(c.chat, c.due_at).where(c.chat.in_(part), c.kind.in_(TASK_KINDS), c.due_at >= lo, c.due_at < hi,
                                                  c.status.in_([outbox.PENDING, outbox.CLAIMED, outbox.SENT]))):
            day = policy.local_date(due_at)
            out.setdefault((chat, day), DayState()).singles += 1
    return {k: v for k, v in out.items() if k in pairs}


class Scheduler:
    """Planning and dispatch for one process. `channels` maps a platform ("telegram") to its Channel."""

    def __init__(self, engine: Engine, settings, clock, channels, *, calendar: WorkCalendar | None = None,
                 worker_id: str | None = None, batch: int = 500, dispatcher: Dispatcher | None = None,
                 composer: Composer | None = None):
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.calendar = calendar or WorkCalendar.from_file(settings.holidays_file)
        self.policy = Policy.from_settings(settings)
        self.batch = batch
        self.dispatcher = dispatcher or Dispatcher(engine, settings, clock, channels, calendar=self.calendar,
                                                   worker_id=worker_id, composer=composer)
        self._stopping = False
        self.ticks = 0
        from jobs.webhooks import Webhooks

        self.webhooks = Webhooks(engine, settings, clock, self.calendar)  # events for other systems (API)

    # -- planning (synchronous; `tick` runs it in a worker thread)
    def prepare_start(self) -> int:
        """On start: re-plan every task only if what the stored plan depended on changed (the policy, the
        holidays, the agencies, the planner itself); else only the tasks due are planned. Returns how many
        tasks were marked for re-planning."""
        with session_scope(self.engine) as s:
            fp = plan_fingerprint(self.settings, self.policy, agency_ends(s))
            state = s.get(SchedulerState, FINGERPRINT_STATE)
            same = state is not None and state.value == fp
        if same:
            log.info("planning settings unchanged since the last run: only the tasks due are planned")
            return 0
        n = self.replan_all()
        with session_scope(self.engine) as s:
            _set_state(s.connection(), FINGERPRINT_STATE, fp, self.clock.now())
        return n

    def replan_all(self) -> int:
        """Every task is planned again on the next tick (the policy may have changed since the last run)."""
        with session_scope(self.engine) as s:
            n = s.execute(sa.update(Task).where(Task.removed_at.is_(None)).values(next_check_at=None)).rowcount or 0
        log.info("re-planning %d task(s) on start", n)
        return n

    def plan(self, now: datetime | None = None) -> PlanStats:
        now = now or self.clock.now()
        stats = PlanStats()
        since = now - timedelta(days=LOOKBACK_DAYS)
        bindings = None  # loaded when there is a task to plan, again only if the bindings changed meanwhile
        bindings_mark_loaded = None
        ends = None  # the agency directory's ended agencies, loaded with the first batch
        deadlines = _Deadlines()
        last_id = 0
        is_due = sa.or_(Task.next_check_at.is_(None), Task.next_check_at <= now)
        more = True
        while more and not self._stopping:
            # Lease the batch first, in its own transaction: next_check_at = a value only this planner
            # writes. A change that lands while we plan (an action, a chat linked, a re-import) overwrites
            # the lease — even with the NULL we read — so the compare-and-set below leaves it in place and
            # the task is planned again on the next tick. Another process sees the lease as not due and
            # plans other tasks; if this one dies, the lease runs out and someone plans the task.
            lease = now + timedelta(seconds=PLAN_LEASE_SECONDS, microseconds=random.randrange(1, 1_000_000))
            with session_scope(self.engine) as s:
                if s.bind.dialect.name == "sqlite":
                    ids = list(s.execute(_SQLITE_DUE, {"now": now, "last": last_id, "n": self.batch}).scalars())
                else:
                    # Two index scans, not one OR: with statistics a little stale (right after a full plan)
                    # PostgreSQL walks the primary key through all 100k tasks for the OR (~40 ms).
                    rest = (Task.removed_at.is_(None), Task.id > last_id)
                    due = sa.union_all(select(Task.id).where(Task.next_check_at.is_(None), *rest),
                                       select(Task.id).where(Task.next_check_at <= now, *rest)).subquery()
                    ids = list(s.execute(sa.select(due.c.id).order_by(due.c.id).limit(self.batch)).scalars())
                if not ids:
                    break
                more = len(ids) == self.batch  # a short batch was the last: no second query to learn it
                last_id = ids[-1]
                leased = s.execute(sa.update(Task).where(Task.id.in_(ids), is_due).values(next_check_at=lease)
                                   .returning(Task.id)).scalars().all()
            if not leased:
                continue
            with Session(self.engine) as s:
                # After the lease: a chat linked before it is in what we load; one linked after it
                # invalidates the task (next_check_at = NULL over our lease) and the CAS below keeps that.
                mark = bindings_mark(s)
                if bindings is None or mark != bindings_mark_loaded:
                    bindings, bindings_mark_loaded = active_bindings(s), mark
            with session_scope(self.engine) as s:
                # Plain rows, not ORM objects: the planner reads a few columns of each task once (a third of
                # the database side of a full plan was the ORM building objects). A task handed over below
                # is loaded whole.
                tasks = s.execute(sa.select(*_PLAN_COLUMNS).where(Task.id.in_(leased), Task.next_check_at == lease)
                                  .order_by(Task.id)).all()
                if ends is None:
                    ends = agency_ends(s)
                handed = self._hand_over(s, tasks, ends, now)
                stats.handed_over += len(handed)
                tasks = [handed.get(t.id, t) for t in tasks]
                ids = [t.id for t in tasks]
                occs: dict[int, list] = defaultdict(list)
                for o in s.execute(sa.select(*_OCCURRENCE_COLUMNS).where(Occurrence.task_id.in_(ids))).all():
                    occs[o.task_id].append(o)
                sibs = siblings_of(s, tasks)
                duties = load_duties(s, ids)  # handed to people (issue 24)
                conn = s.connection()
                existing = outbox.existing_keys(conn, ids, since - timedelta(days=2))
                snaps, updates = [], []
                for t in tasks:
                    stats.tasks += 1
                    try:
                        read = None if isinstance(t, Task) else deadlines.read(t.stored_deadline)  # handed over: whole
                        snap = TaskSnapshot.from_rows(t, occs.get(t.id, ()), ends=ends, siblings=sibs.get(t.id, ()),
                                                      duties=duties.get(t.id), read=read)
                    except DeadlineError as e:
                        log.error("task %s: stored deadline unreadable (%s); not planned", t.key, e)
                        stats.skipped_tasks.append(t.key)
                        updates.append({"b_id": t.id, "b_old": t.next_check_at,
                                        "b_new": now + timedelta(days=IDLE_RECHECK_DAYS)})
                        continue
                    snaps.append(snap)
                    updates.append({"b_id": t.id, "b_old": t.next_check_at,
                                    "b_new": next_check(snap, bindings, self.policy, self.calendar, now)})
                planned, briefs = plan_window(snaps, bindings, self.policy, self.calendar, now, now, since=since,
                                              existing=existing, load_state=lambda pairs: day_state(conn, pairs, self.policy))
                rows = []
                for step, status in planned:
                    rows.append(outbox.row_for(step, status, now))
                    if status == "pending":
                        stats.pending += 1
                    elif status == BRIEFED:
                        stats.briefed += 1
                    else:
                        stats.superseded += 1
                outbox.insert_rows(conn, rows)
                for plan in briefs:
                    stats.briefs += outbox.put_brief(conn, plan.step, plan.entries, now)
                if not updates:
                    continue
                # Compare-and-set: if someone acted on the task meanwhile (next_check_at changed), leave theirs.
                conn.execute(sa.update(Task).where(Task.id == sa.bindparam("b_id"),
                                                   Task.next_check_at.is_not_distinct_from(sa.bindparam("b_old")))
                             .values(next_check_at=sa.bindparam("b_new")), updates)
        stats.digests, stats.summaries = self.plan_digests(now, bindings)
        if stats.pending or stats.superseded or stats.briefed:
            log.info("planned %d task(s): %d message(s) due, %d in %d brief(s), %d superseded by catch-up",
                     stats.tasks, stats.pending, stats.briefed, stats.briefs, stats.superseded)
        return stats

    def plan_digests(self, now: datetime, bindings: Bindings | None = None) -> tuple[int, int]:
        """This week's agenda and this quarter's summary, once each, to the chats linked before their time
        (`digest_plan`, as the preview). `bindings`: the active bindings if the caller has them."""
        made = [0, 0]
        cur_d = current_digest(now, self.policy, self.calendar)
        cur_s = current_summary(now, self.policy, self.calendar)
        with session_scope(self.engine) as s:
            done = {n: (st.value if (st := s.get(SchedulerState, n)) is not None else "")
                    for n in (DIGEST_STATE, SUMMARY_STATE)}
            labels = {DIGEST_STATE: iso_week(cur_d[0]) if cur_d else "",
                      SUMMARY_STATE: previous_quarter(cur_s[0])[0] if cur_s else ""}
            if all(labels[n] <= done[n] for n in labels):
                return 0, 0  # already made: most ticks stop here
            if bindings is None:
                bindings = active_bindings(s)
            steps = digest_plan(bindings, self.policy, self.calendar, now, now, made=done, ends=agency_ends(s))
            conn = s.connection()
            for i, name in enumerate((DIGEST_STATE, SUMMARY_STATE)):
                mine = [st for st in steps if st.step == name]
                if labels[name] > done[name]:
                    made[i] = outbox.insert_rows(conn, [outbox.row_for(st, "pending", now) for st in mine])
                    _set_state(conn, name, labels[name], now)
                    log.info("%s %s: %d chat(s)", name, labels[name], len(mine))
        return made[0], made[1]

    def _hand_over(self, s: Session, tasks, ends: dict, now: datetime) -> dict[int, Task]:
        """A lead agency that ceased to exist hands its open tasks to its successor (with an entry in the
        task's history); one without a successor keeps them, held (the oversight chats are told once).
        `tasks`: rows with the task's id, key and lead; returns the tasks handed over, by id, as they are now."""
        today = self.policy.local_date(now)
        out: dict[int, Task] = {}
        for row in tasks:
            end = ends.get(row.lead_agency)
            if end is None or today <= end[0] or not end[1]:
                continue
            new = TaskSnapshot(key=row.key, lead=row.lead_agency, deadline=None, assigned_at=now,
                               ends=ends).lead_on(today)
            if new is None or new == row.lead_agency:
                continue
            t = s.get(Task, row.id)
            old = t.lead_agency
            # A history entry from the day after the end: what the import wrote stays as written, and reports of
            # periods before the hand-over keep naming who was responsible then.
            responsibility.hand_over(s, t, new, since=end[0] + timedelta(days=1), today=today, now=now,
                                     reason=f"{old} ceased to exist on {end[0]}")
            log.info("task %s: %s ceased to exist on %s; handed over to %s", t.key, old, end[0], new)
            out[t.id] = t
        return out

    # -- the tick
    async def tick(self) -> tuple[PlanStats | None, DispatchStats | None]:
        if self._stopping:
            return None, None
        self.ticks += 1
        plan_stats = dispatch_stats = None
        try:
            plan_stats = await asyncio.to_thread(self.plan, self.clock.now())
        except Exception:  # e.g. the database is busy: the next tick tries again
            log.exception("planning failed; trying again next tick")
        try:
            dispatch_stats = await self.dispatcher.dispatch_due()
        except Exception:
            log.exception("dispatch failed; trying again next tick")
        try:
            await self.webhooks.tick()
        except Exception:
            log.exception("webhook delivery failed; trying again next tick")
        try:  # keep the console's occurrence listing warm (storage/listing.py), a share of it a tick
            await asyncio.to_thread(self.refresh_listing, self.clock.now())
        except Exception:
            log.exception("the console's listing could not be refreshed; the pages do it when read")
        if self.settings.edxml_watch_dir is not None or self.settings.edxml_outbox_dir is not None:
            try:  # edXML packages in from the watched folder, status receipts out (intake/edxml/outbox.py)
                from intake.edxml.outbox import tick as edxml_tick

                await asyncio.to_thread(edxml_tick, self.engine, self.settings, self.clock.now())
            except Exception:
                log.exception("edXML folder work failed; trying again next tick")
        if self.ticks == 1:
            try:
                log.info("%s", await asyncio.to_thread(self.whats_next, self.clock.now()))
            except Exception:  # only a courtesy to the administrator
                log.debug("could not tell what comes next", exc_info=True)
        return plan_stats, dispatch_stats

    def refresh_listing(self, now: datetime) -> int:
        """A share of the console's listing and of the dashboard's kept four groups (reports/kept_groups.py)."""
        from reports import kept_groups
        from storage import listing

        today = now.astimezone(self.settings.timezone).date()
        with Session(self.engine) as s:
            n = listing.refresh(s, settings=self.settings, calendar=self.calendar, today=today,
                                limit=listing.LISTING_TICK_SHARE, thorough=True)
            s.commit()
        with Session(self.engine) as s:
            kept_groups.refresh(s, settings=self.settings, calendar=self.calendar, today=today,
                                limit=kept_groups.GROUPS_TICK_SHARE, thorough=True)
            s.commit()
        return n

    def whats_next(self, now: datetime) -> str:
        """One line for the log after the first tick: when the scheduler looks again, and on a day off why it
        is quiet — an administrator starting dondoc on a Saturday otherwise sees nothing and wonders."""
        from storage.tables import PENDING, Notification

        with session_scope(self.engine) as s:
            check = s.execute(select(sa.func.min(Task.next_check_at)).where(Task.removed_at.is_(None))).scalar()
            pending = s.execute(select(sa.func.min(Notification.due_at))
                                .where(Notification.status == PENDING)).scalar()
        times = [t for t in (check, pending) if t is not None]
        if not times:
            return "nothing to plan: import a registry (dondoc import) and link chats (dondoc link / dondoc invite)"
        tz = self.settings.timezone
        when = max(min(times), now).astimezone(tz)
        line = f"next planned check: {when:%d/%m/%Y %H:%M}"
        today = now.astimezone(tz).date()
        if not self.policy.in_window(now, self.calendar):
            # Say what the dispatcher will do: it sends nothing outside working hours (Dispatcher.dispatch_due).
            first = self.policy.deliver_at(now, self.calendar).astimezone(tz)
            w0, w1 = self.policy.window
            why = (f"today is a day off ({self.calendar.day_off_name(today)})"
                   if self.policy.workdays_only and self.calendar.is_day_off(today)
                   else f"outside working hours ({w0:%H:%M}–{w1:%H:%M})")
            line += (f" — {why}: nothing is sent until the next working day's window, {first:%d/%m/%Y %H:%M} "
                     f"(DELIVERY_WINDOW, REMINDER_WORKDAYS_ONLY)")
        return line

    def request_stop(self) -> None:
        self._stopping = True
        self.webhooks.stopping = True
        self.dispatcher.request_stop()
