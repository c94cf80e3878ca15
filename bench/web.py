"""The web console: how long its pages take over HTTP on a province-sized registry (1,000 and 10,000 tasks,
`bench.data`; other sizes with BENCH_WEB_SIZES, e.g. 100000), signed in as an administrator (every agency) and as one agency's focal point — next to the
read model they are built on, `storage.views.task_items` over every task (what `dondoc tasks` lists), timed in
the same run as the baseline.

Each page is fetched once to warm up, then `repeat` times; the median is reported. "GET /web/ after a change" is
the first dashboard after a completion is recorded (one more of the focal point's agency's tasks each time, the
way an oversight officer confirms one and goes back): what used to recompute the quarter's four groups from every
task (issue 23). `python -m bench --only web --against COMMIT --here-cases` measures an older tree with these
cases (bench/against.py), as its own bench code has no such row.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ADMIN = 4242
FOCAL = 5151  # a focal point of the registry's first agency, through their private chat


def _baseline(engine, settings, today, repeat: int) -> float:
    from sqlmodel import Session

    from core.workdays import WorkCalendar
    from storage.views import task_items

    calendar = WorkCalendar.from_file(None)
    times = []
    for _ in range(repeat + 1):
        with Session(engine) as s:
            t0 = time.perf_counter()
            task_items(s, settings=settings, calendar=calendar, today=today)
            times.append(time.perf_counter() - t0)
    return statistics.median(times[1:])


AFTER_A_CHANGE = "/web/ after a change"


def _in_this_tree(path: str) -> bool:
    """Whether the tree this bench runs from has `path` — an older one (`--against`) may not, and an import would
    then find the installed checkout's module instead (its editable install stays on the path)."""
    return (Path(__file__).resolve().parent.parent / path).is_file()


def _completer(engine, agency: str, now):
    """A function that records one more completion of an open one-off task of `agency` each time it is called."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from storage import actions
    from storage.tables import Occurrence, Task

    with Session(engine) as s:
        closed = sa.select(Occurrence.task_id).where(Occurrence.status != "open")
        # the agency's first (the focal point sees the change too), then others' on a registry too small for it
        ids = list(s.exec(sa.select(Task.id).where(Task.deadline_kind == "once", Task.removed_at.is_(None),
                                                   Task.id.not_in(closed))
                          .order_by((Task.lead_agency != agency), Task.id)).scalars())
    left = iter(ids)

    def change() -> None:
        with Session(engine) as s:
            task = s.get(Task, next(left))
            actions.mark_done(s, task, "once", actions.Actor("Bench", "1", "web"), now)
            s.commit()

    return change


async def _pages(engine, settings, clock, user_id: int, paths: list[str], repeat: int,
                 change=None) -> dict[str, float]:
    import aiohttp
    from sqlmodel import Session

    from web.feeds import start_feed_server
    from web.app import mount
    from storage.signin import create_signin_link

    with Session(engine) as s:
        token, _ = create_signin_link(s, str(user_id), name="bench", created_by="bench", source="cli",
                                      now=clock.now(), minutes=15)
        s.commit()
    runner = await start_feed_server(replace(settings, feed_bind="127.0.0.1:0"), engine, clock, (mount,))
    port = runner.addresses[0][1]
    out = {}
    try:
        # unsafe=True: keep cookies from an IP address (127.0.0.1), as a browser does
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"/web/signin/{token}") as r:
                nonce = re.search(r'name="nonce" value="([^"]+)"', await r.text()).group(1)
            async with http.post(f"/web/signin/{token}", data={"nonce": nonce}) as r:
                assert r.status == 200, r.status
            for path in paths:
                times = []
                for _ in range(repeat + 1):
                    t0 = time.perf_counter()
                    async with http.get(path) as r:
                        assert r.status == 200, (path, r.status)
                        await r.read()
                    times.append(time.perf_counter() - t0)
                out[path] = statistics.median(times[1:])
            if change is not None:  # the first dashboard after each change (issue 23)
                times = []
                for _ in range(repeat + 1):
                    change()
                    t0 = time.perf_counter()
                    async with http.get("/web/") as r:
                        assert r.status == 200, (AFTER_A_CHANGE, r.status)
                        await r.read()
                    times.append(time.perf_counter() - t0)
                out[AFTER_A_CHANGE] = statistics.median(times[1:])
    finally:
        await runner.cleanup()
    return out


def run(quick: bool, sizes: tuple[int, ...] | None = None, repeat: int | None = None) -> list[dict]:
    from sqlmodel import Session

    from bench import data
    from core.clock import FixedClock
    from dondoc.settings import load_settings
    from storage.db import make_engine, upgrade
    from tests.factories import make_binding

    # BENCH_WEB_SIZES=100000 (comma-separated) measures other sizes, e.g. a national registry's 100k tasks
    # (docs/benchmarks.md); the goal there is the dashboard and the task list under 300 ms each.
    import os

    env_sizes = tuple(int(x) for x in os.environ.get("BENCH_WEB_SIZES", "").replace("_", "").split(",") if x.strip())
    sizes = sizes or env_sizes or ((1_000,) if quick else (1_000, 10_000))
    repeat = repeat or (3 if quick else 5)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-web-") as tmp:
        for n in sizes:
            url = f"sqlite:///{Path(tmp) / f'web-{n}.sqlite3'}"
            upgrade(url)
            engine = make_engine(url)
            try:
                reg = data.make_registry(n)
                data.load_registry(engine, reg)
                agency = reg.agencies[0]["code"]
                focal_user = FOCAL
                with Session(engine) as s:
                    make_binding(s, chat_id=focal_user, agency=agency, role="focal", now=data.NOW)
                    s.commit()
                settings = load_settings(environ={}, dotenv_path=None, database_url=url, admin_user_ids=(ADMIN,))
                clock = FixedClock(data.NOW)
                today = data.NOW.astimezone(settings.timezone).date()
                baseline = _baseline(engine, settings, today, repeat)
                if _in_this_tree("storage/listing.py"):  # the occurrence listing (issue 23), built before the pages
                    from storage import listing

                    from core.workdays import WorkCalendar

                    t0 = time.perf_counter()
                    with Session(engine) as s:
                        listing.refresh(s, settings=settings, calendar=WorkCalendar.from_file(None), today=today)
                        s.commit()
                    rows.append({"bench": "web: the occurrence listing's first build (seconds, once)", "tasks": n,
                                 "case": "every task", "seconds": round(time.perf_counter() - t0, 2), "n": 1})
                if _in_this_tree("reports/kept_groups.py"):  # the dashboard's kept four groups, built likewise
                    from core.workdays import WorkCalendar
                    from reports import kept_groups

                    t0 = time.perf_counter()
                    with Session(engine) as s:
                        kept_groups.refresh(s, settings=settings, calendar=WorkCalendar.from_file(None), today=today)
                        s.commit()
                    rows.append({"bench": "web: the kept four groups' first build (seconds, once)", "tasks": n,
                                 "case": "every task", "seconds": round(time.perf_counter() - t0, 2), "n": 1})
                change = _completer(engine, agency, data.NOW)
                for who, user in (("administrator", ADMIN), ("focal point", focal_user)):
                    timings = asyncio.run(_pages(engine, settings, clock, user,
                                                 ["/web/", "/web/tasks", "/web/reports"], repeat, change))
                    for path, seconds in timings.items():
                        rows.append({"bench": f"web: GET {path} (median ms; baseline: task_items of all)",
                                     "tasks": n, "case": who, "dondoc": round(1000 * seconds, 1),
                                     "baseline": round(1000 * baseline, 1), "ratio": round(seconds / baseline, 2),
                                     "n": repeat})
            finally:
                engine.dispose()
    return rows


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
