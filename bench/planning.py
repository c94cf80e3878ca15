"""Planning: what dondoc's scheduler costs as the registry grows — and the usual approach on the same data.

For each database (SQLite; PostgreSQL from TEST_DATABASE_URL or a throw-away server started the way the
tests start one) and each size (1k, 10k, 100k tasks; `--quick`: 1k and 10k), on a registry from
`bench.data` imported a month before `bench.data.NOW`:

- **first plan** — `replan_all()` + `plan(now)` on an empty outbox: every task planned, a month of steps
  recorded (the latest per task and chat pending, the rest superseded);
- **full plan on start** — the same once the outbox holds that history (what every `dondoc run` start
  does, as every message due so far was sent: they are marked sent first);
- **restart to first tick** — a new process: the scheduler made, the start's decision and one tick, before
  (every task re-planned, as every start did) and after (re-planning only when the planning fingerprint —
  policy, holidays, agencies — changed; unchanged here);
- **tick with nothing due** — `Scheduler.tick()` (plan + dispatch) when no task's next check has come;
- **one-task re-plan** — a person acts on one task (progress, an approved extension, done, acknowledged),
  then `plan(now)`: the tick that follows plans that task alone;
- **the usual approach** (`bench.baseline`): one APScheduler job per reminder in an SQLAlchemyJobStore on
  the same database: start-up (every job added + the scheduler started) and a reschedule after one task
  changes (its jobs removed, the new ones added).

On PostgreSQL the tables a bulk step rewrote are vacuumed and analysed afterwards, outside the timings, as
autovacuum does within a minute; ticks right after a start, before that, are reported too.

Each step runs in a fresh process, so peak RSS (the kernel's high-water mark, reset before each step) is not
flattered by memory an earlier step freed; timings of the small steps are medians of several samples, and
their Python allocations are traced (tracemalloc) in one extra sample, never in the timed ones.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import in_child, measure, summary_ms, traced_peak_mib
from bench.data import NOW, VN, load_registry, make_registry

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
TICK_SAMPLES = 20
# One-task changes per size, by kind of deadline (as in a registry: mostly once).
REPLAN_PICKS = (("once", 6), ("recurring", 4), ("continuous", 2))

GOAL_TICK_MS = 20.0
GOAL_REPLAN_MS = 10.0
GOAL_MEMORY_RATIO = 0.2
GOAL_AT = 100_000
GOAL_RESTART_S = 1.5  # "a restart of an unchanged 100k-task registry reaches its first tick in about a second"

BENCH = "planning"
BASELINE = "baseline: APScheduler job per reminder"
RATIO = "dondoc / baseline"


def _settings(url: str):
    from dondoc.settings import load_settings

    return load_settings(environ={}, dotenv_path=None, database_url=url)


class _NoSend:
    """A channel for ticks that must find nothing to send: counts what it was asked anyway."""

    platform = "telegram"

    def __init__(self):
        self.calls = 0

    async def send(self, chat_id, text, buttons=None):
        self.calls += 1
        return f"bench-{self.calls}"


# -- steps, each run in its own process --------------------------------------------------------------------

def prepare(url: str, n: int) -> dict:
    """Make the registry of `n` tasks and load it into the (migrated, empty) database at `url`."""
    from storage.db import make_engine

    t0 = time.perf_counter()
    reg = make_registry(n)
    made = time.perf_counter() - t0
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        load_registry(engine, reg)
        loaded = time.perf_counter() - t0
    finally:
        engine.dispose()
    return {"kinds": reg.kinds, "agencies": len(reg.agencies), "chats": len(reg.chats),
            "bindings": len(reg.bindings), "occurrence_rows": len(reg.occurrences),
            "generate_seconds": round(made, 2), "load_seconds": round(loaded, 2)}


def pick_tasks(engine, picks=REPLAN_PICKS) -> list[int]:
    """Ids of tasks to change, spread evenly over each kind of deadline (deterministic)."""
    import sqlalchemy as sa

    from storage.tables import Task

    out: list[int] = []
    with engine.connect() as conn:
        for kind, k in picks:
            ids = [r[0] for r in conn.execute(sa.select(Task.id).where(Task.deadline_kind == kind).order_by(Task.id))]
            if ids:
                step = max(1, len(ids) // k)
                out.extend(ids[step // 2::step][:k])
    return out


def change_task(session, task, i: int, now) -> str:
    """One thing a person does to `task` (cycling: progress, extension approved, done, acknowledged);
    falls back to a progress note when that action does not apply. Returns what was done."""
    from core.deadline import Deadline
    from storage.actions import (
        ActionError, Actor, acknowledge, decide_extension, mark_done, record_progress, request_extension,
    )

    actor = Actor("Bench", "1", "telegram")
    today = now.astimezone(VN).date()
    if task.deadline_kind == "recurring":
        key = Deadline.from_dict(task.deadline).next_dues(today, 1)[0].isoformat()
    else:
        key = task.deadline_kind
    what = ("progress", "extension", "done", "acknowledged")[i % 4]
    try:
        if what == "progress":
            record_progress(session, task, key, 50, "Đang triển khai", actor, now)
        elif what == "extension":
            due = task.due or today
            ext = request_extension(session, task, key, max(due, today) + timedelta(days=30), "Chờ số liệu", actor, now)
            decide_extension(session, ext, True, Actor("Sở Nội vụ", "2", "telegram"), now)
        elif what == "done":
            mark_done(session, task, key, actor, now)
        else:
            acknowledge(session, task, key, actor, now)
        return what
    except ActionError:
        try:
            record_progress(session, task, key, None, "Đã rà soát lại", actor, now)
            return "progress"
        except ActionError:
            task.next_check_at = now  # what every action does
            session.add(task)
            return "touched"


def _scheduler(url: str, channel=None):
    from core.clock import FixedClock
    from dondoc.wiring import make_scheduler as Scheduler
    from storage.db import make_engine

    engine = make_engine(url)
    sched = Scheduler(engine, _settings(url), FixedClock(NOW), {"telegram": channel or _NoSend()})
    # Warm-up any long-running process has done once: the holiday tables of the years involved.
    for y in range(NOW.year - 3, NOW.year + 3):
        sched.calendar.is_day_off(NOW.date().replace(year=y))
    return engine, sched


def _analyze(engine, *tables: str) -> None:
    """PostgreSQL: after a bulk change, what autovacuum does within a minute — VACUUM ANALYZE (not timed).
    Without fresh statistics the planner misjudges a table rewritten a moment ago: the job store's "due jobs"
    query took 50–500 ms, dondoc's "due tasks" query 40 ms."""
    if engine.dialect.name == "postgresql":
        import sqlalchemy as sa

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for t in tables:
                conn.execute(sa.text(f'VACUUM ANALYZE "{t}"'))


def measure_first_plan(url: str, n: int) -> dict:
    """The first plan on an empty outbox; then everything due is marked sent (the dispatcher's work)."""
    import sqlalchemy as sa

    from storage.tables import Notification

    engine, sched = _scheduler(url)
    try:
        with measure() as m:
            sched.replan_all()
            st = sched.plan(NOW)
        N = Notification.__table__
        with engine.begin() as conn:
            conn.execute(sa.update(N).where(N.c.status == "pending", N.c.due_at <= NOW)
                         .values(status="sent", sent_at=N.c.due_at, message_id="bench", attempts=1))
        _analyze(engine, "notification", "task", "occurrence")
    finally:
        engine.dispose()
    return {**m.as_dict(), "tasks": st.tasks, "pending": st.pending, "superseded": st.superseded,
            "briefed": st.briefed, "briefs": st.briefs, "agendas": st.digests}


def measure_restart(url: str, n: int, unchanged: bool) -> dict:
    """A restart of `dondoc run` on a planned registry (what is due was sent), to its first tick: the
    scheduler made, the start's planning decision, one tick. Before issue 11 every start re-planned every
    task (`replan_all`); now `prepare_start` re-plans only when the planning fingerprint changed."""
    from jobs.scheduler import FINGERPRINT_STATE, _set_state, agency_ends, plan_fingerprint
    from storage.db import session_scope

    if unchanged:  # the last run's fingerprint, as a start with these settings left it (not timed)
        engine, sched = _scheduler(url)
        with session_scope(engine) as s:
            _set_state(s.connection(), FINGERPRINT_STATE,
                       plan_fingerprint(sched.settings, sched.policy, agency_ends(s)), NOW)
        engine.dispose()
    loop = asyncio.new_event_loop()
    try:
        with measure() as m:
            engine, sched = _scheduler(url)
            marked = sched.prepare_start() if unchanged else sched.replan_all()
            p, _d = loop.run_until_complete(sched.tick())
        engine.dispose()
    finally:
        loop.close()
    return {**m.as_dict(), "replanned": marked, "planned_at_first_tick": p.tasks if p else None}


def measure_dondoc(url: str, n: int) -> dict:
    """In a fresh process: the full plan a start does, ticks with nothing due, one-task re-plans."""
    from jobs import outbox
    from storage.db import session_scope
    from storage.tables import Task

    channel = _NoSend()
    engine, sched = _scheduler(url, channel)
    out: dict = {}
    try:
        with measure() as m:
            sched.replan_all()
            st = sched.plan(NOW)
        out["full_plan"] = {**m.as_dict(), "tasks": st.tasks, "pending": st.pending, "superseded": st.superseded}
        out["outbox"] = outbox.counts(engine)

        loop = asyncio.new_event_loop()
        try:
            def tick():
                return loop.run_until_complete(sched.tick())

            tick()  # warm statement caches
            early = []  # right after the start, before PostgreSQL's autovacuum has seen the rewritten tasks
            for _ in range(5):
                t0 = time.perf_counter()
                tick()
                early.append(time.perf_counter() - t0)
            _analyze(engine, "task")  # every task was rewritten: the steady state a minute after a start
            ticks, plans = [], []
            for _ in range(TICK_SAMPLES):
                t0 = time.perf_counter()
                p, d = tick()
                ticks.append(time.perf_counter() - t0)
                if p is None or p.tasks != 0 or (d is not None and d.sent):
                    raise AssertionError(f"a tick with nothing due planned or sent something: {p} {d}")
                t0 = time.perf_counter()
                sched.plan(NOW)
                plans.append(time.perf_counter() - t0)
            traced, _ = traced_peak_mib(tick)
        finally:
            loop.close()
        out["tick"] = {**summary_ms(ticks), "plan_only_median_ms": summary_ms(plans)["median_ms"],
                       "peak_traced_mib": round(traced, 2), "right_after_start_median_ms": summary_ms(early)["median_ms"]}
        if channel.calls:
            raise AssertionError(f"{channel.calls} message(s) sent by ticks that had nothing due")

        samples: dict[str, list[float]] = {}
        ids = pick_tasks(engine)
        traced = None
        for i, task_id in enumerate(ids + ids[:1]):
            with session_scope(engine) as s:
                task = s.get(Task, task_id)
                kind = task.deadline_kind
                if i == len(ids):  # the extra sample, traced, on a task changed once already
                    task.next_check_at = NOW
                    s.add(task)
                else:
                    change_task(s, task, i, NOW)
            if i == len(ids):
                traced, st = traced_peak_mib(sched.plan, NOW)
            else:
                t0 = time.perf_counter()
                st = sched.plan(NOW)
                samples.setdefault(kind, []).append(time.perf_counter() - t0)
            if st.tasks != 1:
                raise AssertionError(f"a re-plan after one change planned {st.tasks} task(s)")
        every = [x for xs in samples.values() for x in xs]
        out["replan"] = {**summary_ms(every), "peak_traced_mib": round(traced or 0, 2),
                         "by_kind_median_ms": {k: summary_ms(v)["median_ms"] for k, v in samples.items()}}
        out["task_ids"] = ids
    finally:
        engine.dispose()
    return out


def measure_memory_store(url: str, n: int) -> dict:
    """For reference: the same jobs in APScheduler's default MemoryJobStore (every job held in memory)."""
    from bench.baseline import Baseline
    from storage.db import make_engine

    engine = make_engine(url)
    b = Baseline(engine, _settings(url), NOW, in_memory=True)
    try:
        with measure() as m:
            jobs = b.start_up()
        return {**m.as_dict(), "jobs": jobs}
    finally:
        b.shutdown()
        engine.dispose()


def measure_baseline(url: str, n: int, task_ids: list[int]) -> dict:
    from bench.baseline import Baseline
    from storage.db import make_engine

    engine = make_engine(url)
    b = Baseline(engine, _settings(url), NOW)
    out: dict = {}
    try:
        with measure() as m:
            jobs = b.start_up()
        out["start_up"] = {**m.as_dict(), "jobs": jobs, "stored_jobs": b.stored_jobs()}
        _analyze(engine, b.store.jobs_t.name)
        samples = []
        for task_id in task_ids:
            old = b.job_ids(task_id)
            t0 = time.perf_counter()
            b.reschedule(task_id, old)
            samples.append(time.perf_counter() - t0)
        traced = 0.0
        if task_ids:
            old = b.job_ids(task_ids[0])
            traced, _ = traced_peak_mib(b.reschedule, task_ids[0], old)
        out["reschedule"] = {**summary_ms(samples), "peak_traced_mib": round(traced, 2)}
    finally:
        b.shutdown()
        engine.dispose()
    return out


# -- databases ---------------------------------------------------------------------------------------------

class _Databases:
    """Fresh migrated databases: SQLite files in a temporary folder; PostgreSQL databases cloned from a
    migrated template on a server from tests/postgres.py (TEST_DATABASE_URL, or one started here)."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="dondoc-bench-"))
        self.pg = None
        self.pg_error: str | None = None
        self._pg_tried = False

    def postgres(self):
        if not self._pg_tried:
            self._pg_tried = True
            try:
                from tests.postgres import connect_server

                self.pg = connect_server()
            except Exception as e:  # PostgresUnavailable, or the test helpers not installed
                self.pg_error = f"{type(e).__name__}: {e}"
        return self.pg

    def create(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            from storage.db import upgrade

            url = f"sqlite:///{self.tmp / (name + '.sqlite3')}"
            upgrade(url)
            return url
        server = self.postgres()
        if server is None:
            raise RuntimeError(self.pg_error)
        return server.create_database(template=server.migrated_template())

    def drop(self, backend: str, url: str) -> None:
        if backend == "sqlite":
            path = Path(url.split("///", 1)[1])
            for p in path.parent.glob(path.name + "*"):
                p.unlink(missing_ok=True)
        elif self.pg is not None:
            self.pg.drop_database(url)

    def server_description(self) -> str | None:
        if self.pg is None:
            return None
        return "TEST_DATABASE_URL" if self.pg.local is None else "throw-away local server (tests/postgres.py)"

    def close(self) -> None:
        if self.pg is not None:
            self.pg.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- rows --------------------------------------------------------------------------------------------------

def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def _rows(backend: str, n: int, prep: dict, d: dict, b: dict | None) -> list[dict]:
    base = {"backend": backend, "tasks": n}
    rows = [
        {"bench": BENCH, **base, "case": "first plan (empty outbox, a month of catch-up)", **d["first_plan"],
         "registry": prep},
        {"bench": BENCH, **base, "case": "full plan on start (replan_all + plan)", **d["full_plan"],
         "outbox": d["outbox"]},
        {"bench": BENCH, **base, "case": "restart to first tick, before (every task re-planned)",
         **d["restart"]["before"]},
        {"bench": BENCH, **base, "case": "restart to first tick, after (settings unchanged: due tasks only)",
         **d["restart"]["after"]},
        {"bench": RATIO, **base, "case": "restart to first tick: after / before",
         "dondoc": d["restart"]["after"]["seconds"], "baseline": d["restart"]["before"]["seconds"],
         "ratio": _ratio(d["restart"]["after"]["seconds"], d["restart"]["before"]["seconds"])},
        {"bench": BENCH, **base, "case": "tick with nothing due", **d["tick"]},
        {"bench": BENCH, **base, "case": "one-task re-plan", **d["replan"]},
    ]
    if n >= GOAL_AT:
        rows[5].update(goal=f"< {GOAL_TICK_MS:g} ms at {GOAL_AT:,} tasks", met=d["tick"]["median_ms"] < GOAL_TICK_MS)
    rows[6].update(goal=f"< {GOAL_REPLAN_MS:g} ms (median)", met=d["replan"]["median_ms"] < GOAL_REPLAN_MS)
    if n >= GOAL_AT:
        rows[3].update(goal=f"< {GOAL_RESTART_S:g} s at {GOAL_AT:,} tasks",
                       met=d["restart"]["after"]["seconds"] < GOAL_RESTART_S)
    if b is None:
        return rows
    rows += [
        {"bench": BASELINE, **base, "case": "start-up (add every job + start)", **b["start_up"]},
        {"bench": BASELINE, **base, "case": "reschedule one task", **b["reschedule"]},
    ]
    if "memory_store" in b:
        rows.append({"bench": BASELINE, **base, "case": "for reference: same jobs in the default MemoryJobStore",
                     **b["memory_store"]})
    full, start = d["full_plan"], b["start_up"]
    mem = {"bench": RATIO, **base, "case": "peak memory (RSS rise): full plan / start-up",
           "dondoc": full.get("peak_rss_mib"), "baseline": start.get("peak_rss_mib"),
           "ratio": _ratio(full.get("peak_rss_mib"), start.get("peak_rss_mib"))}
    if n >= GOAL_AT and mem["ratio"] is not None:
        mem.update(goal=f"< {GOAL_MEMORY_RATIO:g} at {GOAL_AT:,} tasks", met=mem["ratio"] < GOAL_MEMORY_RATIO)
    rows += [
        {"bench": RATIO, **base, "case": "start-up time: full plan / add every job + start",
         "dondoc": full["seconds"], "baseline": start["seconds"], "ratio": _ratio(full["seconds"], start["seconds"])},
        mem,
        {"bench": RATIO, **base, "case": "one task changed: re-plan / reschedule (median)",
         "dondoc": d["replan"]["median_ms"], "baseline": b["reschedule"]["median_ms"],
         "ratio": _ratio(d["replan"]["median_ms"], b["reschedule"]["median_ms"])},
        {"bench": RATIO, **base, "case": "rows kept: outbox rows / stored jobs",
         "dondoc": sum(d["outbox"].values()), "baseline": start["stored_jobs"],
         "ratio": _ratio(sum(d["outbox"].values()), start["stored_jobs"])},
    ]
    return rows


def _env(name: str, kind) -> tuple:
    """BENCH_PLANNING_SIZES=100000 / BENCH_PLANNING_BACKENDS=sqlite (comma-separated): some sizes or databases
    only, e.g. the 100k full plan against the previous commit without an hour of the rest. The rows of the
    others stay in results.json from their last run (bench.__main__ keeps them, with the date they ran)."""
    import os

    return tuple(kind(x.strip().replace("_", "")) for x in os.environ.get(name, "").split(",") if x.strip())


def run(quick: bool, *, sizes=None, backends=None, baseline: bool = True,
        fresh_process: bool = True, previous: bool = True, log=print) -> list[dict]:
    """`previous`: measure the first and full plan of bench.planning_previous.PREVIOUS (the commit before
    issue 27's work) too, on SQLite, in the same run, and give today's / its ratio."""
    from bench import planning_previous

    sizes = tuple(sizes or _env("BENCH_PLANNING_SIZES", int) or (QUICK_SIZES if quick else SIZES))
    backends = tuple(backends or _env("BENCH_PLANNING_BACKENDS", str) or ("sqlite", "postgresql"))
    call = in_child if fresh_process else (lambda fn, *a, **k: fn(*a, **k))
    dbs = _Databases()
    rows: list[dict] = []
    old_tree = planning_previous.unpack(dbs.tmp) if previous and "sqlite" in backends else None
    try:
        for backend in backends:
            if backend == "postgresql" and dbs.postgres() is None:
                rows.append({"bench": BENCH, "backend": backend, "case": "not run: no PostgreSQL server",
                             "reason": dbs.pg_error})
                log(f"planning: PostgreSQL not run — {dbs.pg_error}")
                continue
            for n in sizes:
                url = dbs.create(backend, f"plan-{n}")
                try:
                    t0 = time.perf_counter()
                    prep = call(prepare, url, n)
                    first = call(measure_first_plan, url, n)
                    restart = {"before": call(measure_restart, url, n, False),
                               "after": call(measure_restart, url, n, True)}
                    d = call(measure_dondoc, url, n)
                    d["first_plan"] = first
                    d["restart"] = restart
                    b = call(measure_baseline, url, n, d["task_ids"]) if baseline else None
                    if b is not None and backend == "sqlite":  # the store is in memory: once is enough
                        b["memory_store"] = call(measure_memory_store, url, n)
                    new = _rows(backend, n, prep, d, b)
                    if previous and backend == "sqlite":  # the commit before, after today's code, same machine
                        then = planning_previous.measure_previous(old_tree, n) if old_tree is not None else None
                        new += planning_previous.rows(n, d, then)
                    if backend == "postgresql":
                        for r in new:
                            r["server"] = dbs.server_description()
                    rows += new
                    log(f"planning: {backend} {n:,} tasks done in {time.perf_counter() - t0:.0f}s")
                finally:
                    dbs.drop(backend, url)
    finally:
        dbs.close()
    return rows


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
