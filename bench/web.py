"""The web console: how long its pages take over HTTP on a province-sized registry (1,000 and 10,000 tasks,
`bench.data`; other sizes with BENCH_WEB_SIZES, e.g. 100000), signed in as an administrator (every agency) and as one agency's focal point — next to the
read model they are built on, `storage.views.task_items` over every task (what `dondoc tasks` lists), timed in
the same run as the baseline.

Each page is fetched once to warm up, then `repeat` times; the median is reported.
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


async def _pages(engine, settings, clock, user_id: int, paths: list[str], repeat: int) -> dict[str, float]:
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
                try:  # the console's occurrence listing (issue 23), built once before the pages read it
                    from storage import listing
                except ImportError:  # a tree before it (python -m bench --against)
                    listing = None
                if listing is not None:
                    from core.workdays import WorkCalendar

                    t0 = time.perf_counter()
                    with Session(engine) as s:
                        listing.refresh(s, settings=settings, calendar=WorkCalendar.from_file(None), today=today)
                        s.commit()
                    rows.append({"bench": "web: the occurrence listing's first build (seconds, once)", "tasks": n,
                                 "case": "every task", "seconds": round(time.perf_counter() - t0, 2), "n": 1})
                for who, user in (("administrator", ADMIN), ("focal point", focal_user)):
                    timings = asyncio.run(_pages(engine, settings, clock, user,
                                                 ["/web/", "/web/tasks", "/web/reports"], repeat))
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
