"""The usual approach, for comparison: one APScheduler job per reminder in an SQLAlchemyJobStore.

This is how most reminder bots schedule (matrix-reminder-bot, Discord reminder bots, python-telegram-bot's
JobQueue): every future message is a job with its own trigger, pickled into the job store's table, and a
change to a task means removing its jobs and adding new ones. It is given its best case here:

- the same reminders as dondoc: the jobs are computed with dondoc's own planner from the same database,
  one job per reminder (task × occurrence × step, the chats in its arguments) — the DateTrigger of each
  reminder and escalation rung still ahead, one IntervalTrigger for the weekly repeats at the top rung,
  the next check-in of a continuous task; a recurring task's next occurrence only (a bot re-arms the next
  one when it fires; re-arming is not counted); a CronTrigger per chat for the weekly agenda and one per
  oversight/leadership chat for the quarterly summary;
- the job store on the same database and the same engine as dondoc (SQLite in WAL mode, synchronous=NORMAL);
- the scheduler started paused while the jobs are added (no wake-up per job), resumed at the end;
- deterministic job ids, so a reschedule removes exactly the task's jobs by id (no scan of the store).

APScheduler runs on the wall clock, so every run date is moved by a whole number of days from the benchmark's
`now` to just after the real now — the same future, relative to the start.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

log = logging.getLogger(__name__)
HORIZON_DAYS = 400  # a once task due 14 months ahead still has its escalation ladder inside


def send_reminder(task_key: str, occurrence: str, step: str, chats: list[str]) -> None:
    """The job's target (a bot would send here); referenced by name, as a pickled job must be."""
    log.info("reminder %s %s %s → %s", task_key, occurrence, step, chats)


def send_digest(chat: str, what: str) -> None:
    log.info("%s → %s", what, chat)


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str  # "date" | "interval"
    when: datetime  # run date, or the interval's first run
    args: tuple


def reminder_jobs(task, bindings, policy, calendar, now: datetime) -> list[JobSpec]:
    """The jobs a reminder bot would hold for `task` (a jobs.planner.TaskSnapshot) at `now`: one per reminder
    still ahead, whatever its trigger —

    - a once task: each reminder and escalation rung ahead (DateTrigger);
    - a recurring task: each kind of reminder and rung ("remind:7", "escalate:2" …) once, as one recurring
      trigger would be (scheduled here at its next run);
    - the weekly repeats at the top rung: one IntervalTrigger per occurrence still repeating;
    - a continuous task: its check-in, once (one recurring trigger).
    """
    from jobs.planner import plan_task

    steps = plan_task(task, bindings, policy, calendar, now, now + timedelta(days=HORIZON_DAYS))
    groups: dict[str, list] = {}
    for s in steps:  # sorted by time: the first of a group is its next run
        parts = s.step.split(":")
        if parts[0] == "repeat":
            group = f"{s.occurrence}|repeat"
        elif parts[0] == "checkin":
            group = "checkin"
        elif task.deadline.kind == "recurring":
            group = ":".join(parts[:2])
        else:
            group = f"{s.occurrence}|{s.step}"
        groups.setdefault(group, []).append(s)
    jobs = []
    for group, ss in groups.items():
        first = ss[0]
        same = [s for s in ss if s.step == first.step and s.occurrence == first.occurrence]
        jobs.append(JobSpec(f"{task.key}|{group}", "interval" if group.endswith("|repeat") else "date", first.due_at,
                            (task.key, first.occurrence, first.step, sorted({s.chat for s in same}))))
    return jobs


def wall_shift(now: datetime, wall_now: datetime) -> timedelta:
    """Whole days that move `now` to just after `wall_now` (local times of day are kept)."""
    return timedelta(days=max(0, math.ceil((wall_now - now).total_seconds() / 86400)) + 1)


class Baseline:
    """A BackgroundScheduler with an SQLAlchemyJobStore on `engine`, filled from the registry in it."""

    def __init__(self, engine, settings, now: datetime, *, wall_now: datetime | None = None, batch: int = 1000,
                 in_memory: bool = False):
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        from jobs.planner import Policy
        from core.workdays import WorkCalendar

        self.engine = engine
        self.settings = settings
        self.now = now
        self.shift = wall_shift(now, wall_now or datetime.now(timezone.utc))
        self.batch = batch
        self.policy = Policy.from_settings(settings)
        self.calendar = WorkCalendar.from_file(settings.holidays_file)
        # in_memory: APScheduler's default MemoryJobStore instead (for reference: many bots keep it)
        self.store = MemoryJobStore() if in_memory else SQLAlchemyJobStore(engine=engine)
        self.scheduler = BackgroundScheduler(jobstores={"default": self.store}, timezone=timezone.utc,
                                             job_defaults={"misfire_grace_time": 3600, "coalesce": True})
        self.jobs = 0
        self._bindings = None

    # -- jobs
    def _add(self, spec: JobSpec) -> None:
        from apscheduler.triggers.date import DateTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        when = spec.when + self.shift
        trigger = (DateTrigger(run_date=when) if spec.kind == "date"
                   else IntervalTrigger(days=self.policy.repeat_days, start_date=when))
        self.scheduler.add_job(send_reminder, trigger, id=spec.id, args=list(spec.args), replace_existing=True)

    def _add_digests(self, bindings) -> int:
        from apscheduler.triggers.cron import CronTrigger

        tz = self.policy.timezone
        hour, minute = self.policy.reminder_time.hour, self.policy.reminder_time.minute
        n = 0
        for r in bindings.all:
            if r.role == "focal":
                trigger = CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=tz)
                what = "digest:weekly"
            elif r.role in ("oversight", "leadership"):
                trigger = CronTrigger(month="1,4,7,10", day=1, hour=hour, minute=minute, timezone=tz)
                what = "summary:quarterly"
            else:
                continue
            self.scheduler.add_job(send_digest, trigger, id=f"{what}|{r.chat}|{r.role}", args=[r.chat, what],
                                   replace_existing=True)
            n += 1
        return n

    def _snapshots(self, session, tasks):
        from collections import defaultdict

        from sqlmodel import select

        from jobs.planner import TaskSnapshot
        from storage.tables import Occurrence

        occs: dict[int, list] = defaultdict(list)
        ids = [t.id for t in tasks]
        for o in session.exec(select(Occurrence).where(Occurrence.task_id.in_(ids))).all():
            occs[o.task_id].append(o)
        return [TaskSnapshot.from_rows(t, occs.get(t.id, ())) for t in tasks]

    def bindings(self):
        from sqlmodel import Session

        from jobs.scheduler import active_bindings

        if self._bindings is None:
            with Session(self.engine) as s:
                self._bindings = active_bindings(s)
        return self._bindings

    def start_up(self) -> int:
        """Add every reminder of every task as a job, then start: what the bot does on its first start."""
        from sqlmodel import Session, select

        from storage.tables import Task

        self.scheduler.start(paused=True)
        bindings = self.bindings()
        self.jobs = self._add_digests(bindings)
        last_id = 0
        while True:
            with Session(self.engine) as s:
                tasks = s.exec(select(Task).where(Task.removed_at.is_(None), Task.id > last_id)
                               .order_by(Task.id).limit(self.batch)).all()
                if not tasks:
                    break
                last_id = tasks[-1].id
                snaps = self._snapshots(s, tasks)
            for snap in snaps:
                for spec in reminder_jobs(snap, bindings, self.policy, self.calendar, self.now):
                    self._add(spec)
                    self.jobs += 1
        self.scheduler.resume()
        return self.jobs

    def job_ids(self, task_id: int) -> list[str]:
        """The ids of a task's jobs as they are now (a bot would keep them; not timed)."""
        snap = self._load(task_id)
        return [j.id for j in reminder_jobs(snap, self.bindings(), self.policy, self.calendar, self.now)]

    def _load(self, task_id: int):
        from sqlmodel import Session

        from storage.tables import Task

        with Session(self.engine) as s:
            return self._snapshots(s, [s.get(Task, task_id)])[0]

    def reschedule(self, task_id: int, old_ids: list[str]) -> int:
        """A task changed: remove its jobs, add the ones it needs now. Returns how many jobs it has now."""
        from apscheduler.jobstores.base import JobLookupError

        for job_id in old_ids:
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass
        specs = reminder_jobs(self._load(task_id), self.bindings(), self.policy, self.calendar, self.now)
        for spec in specs:
            self._add(spec)
        return len(specs)

    def stored_jobs(self) -> int:
        if not hasattr(self.store, "jobs_t"):
            return len(self.store.get_all_jobs())
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(self.store.jobs_t)).scalar_one()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
