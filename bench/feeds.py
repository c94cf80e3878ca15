"""Calendar feeds: how long an agency's calendar takes to build (load + render) with 100, 1,000 and 10,000
events — from cold, and again after one task changed — and how long a 304 answer takes over HTTP (validators
from the aggregate queries, nothing rendered).

A temporary SQLite database is filled with one agency's once-deadline tasks, a tenth of them done and a tenth
with a progress report, so the loading joins have rows to join.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 1, 9, 0, tzinfo=VN)


def _fill(engine, n: int) -> None:
    from sqlmodel import Session

    from jobs.deadline import parse_deadline
    from storage.tables import Occurrence, ProgressUpdate, Task

    issued = date(2018, 5, 23)
    t0 = NOW.astimezone(timezone.utc) - timedelta(days=9)
    with Session(engine) as s:
        tasks = []
        for i in range(n):
            due = date(2018, 6, 1) + timedelta(days=i % 180)
            text = f"trước ngày {due.day}/{due.month}/{due.year}"
            dl = parse_deadline(text, issued)
            tasks.append(Task(key=f"B/{i}", position=i, content=f"Nhiệm vụ cải cách hành chính số {i}: rà soát, "
                              "đánh giá và báo cáo kết quả thực hiện về UBND tỉnh (qua Sở Nội vụ)",
                              lead_agency="so-noi-vu", coordinators=["so-tai-chinh"] if i % 3 == 0 else [],
                              deadline_text=text, deadline=dl.to_dict(), deadline_kind=dl.kind, due=dl.due,
                              assigned_at=t0, created_at=t0, updated_at=t0 + timedelta(seconds=i), sequence=i % 4))
        s.add_all(tasks)
        s.flush()
        for i, t in enumerate(tasks):
            if i % 10 == 0:
                s.add(Occurrence(task_id=t.id, key="once", due=t.due, status="done", completed_on=date(2018, 5, 30),
                                 updated_at=t0 + timedelta(days=7), sequence=1))
            elif i % 10 == 5:
                s.add(ProgressUpdate(task_id=t.id, occurrence_key="once", percent=50, note="Đang tổng hợp",
                                     actor="Nguyễn Thị A", source="telegram", created_at=t0 + timedelta(days=8)))
        s.commit()


def _render_rows(engine, settings, n: int) -> list[dict]:
    """Cold: nothing memoised. After one change: one task's progress recorded, the feed rendered again (what
    the feed server does after an edit; the other tasks' components come from the renderer's memo)."""
    from sqlmodel import Session, select

    from feeds.ics import _task_chunks
    from feeds.service import calendar_for_agency
    from storage.actions import Actor, record_progress
    from storage.tables import Task

    rows = []
    with Session(engine) as s:
        calendar_for_agency(s, "so-tu-phap", settings, NOW)  # warm-up: directory, holidays (an empty calendar)
        _task_chunks.cache_clear()
        t0 = time.perf_counter()
        data = calendar_for_agency(s, "so-noi-vu", settings, NOW)
        cold = time.perf_counter() - t0
        task = s.exec(select(Task).where(Task.key == "B/1")).one()
        record_progress(s, task, "once", 30, "Đã giao chuyên viên", Actor("bench"), NOW)
        s.commit()
        t0 = time.perf_counter()
        again = calendar_for_agency(s, "so-noi-vu", settings, NOW)
        warm = time.perf_counter() - t0
    assert again != data
    events = data.count(b"BEGIN:VEVENT")
    for case, seconds in (("cold", cold), ("after one change", warm)):
        rows.append({"bench": f"feeds: render an agency calendar ({case})", "events": events,
                     "seconds": round(seconds, 3), "events_per_s": round(events / seconds),
                     "kbytes": round(len(data) / 1024)})
    return rows


async def _not_modified_row(engine, settings, n: int, requests: int) -> dict:
    import aiohttp
    from sqlmodel import Session

    from dondoc.clock import FixedClock
    from feeds import tokens
    from feeds.server import start_feed_server
    from storage.actions import Actor

    with Session(engine) as s:
        token = tokens.issue_token(s, "agency", agency="so-noi-vu", actor=Actor("bench"), now=NOW)
        s.commit()
    runner = await start_feed_server(replace(settings, feed_bind="127.0.0.1:0"), engine, FixedClock(NOW))
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession(f"http://{host}:{port}") as http:
            url = f"/feeds/{token}.ics"
            async with http.get(url) as r:
                assert r.status == 200
                etag = r.headers["ETag"]
                await r.read()
            t0 = time.perf_counter()
            for _ in range(requests):
                async with http.get(url, headers={"If-None-Match": etag}) as r:
                    assert r.status == 304, r.status
            seconds = time.perf_counter() - t0
    finally:
        await runner.cleanup()
    return {"bench": "feeds: 304 answer over HTTP", "events": n, "requests": requests,
            "seconds": round(seconds, 3), "ms_per_request": round(1000 * seconds / requests, 2)}


def run(quick: bool) -> list[dict]:
    from dondoc.settings import load_settings
    from storage.db import make_engine, upgrade

    sizes = (100, 1_000) if quick else (100, 1_000, 10_000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-feeds-") as tmp:
        for n in sizes:
            url = f"sqlite:///{Path(tmp) / f'feeds-{n}.sqlite3'}"
            upgrade(url)
            engine = make_engine(url)
            try:
                settings = load_settings(environ={}, dotenv_path=None, database_url=url)
                _fill(engine, n)
                rows.extend(_render_rows(engine, settings, n))
                if n == sizes[-1]:
                    rows.append(asyncio.run(_not_modified_row(engine, settings, n, 50 if quick else 200)))
            finally:
                engine.dispose()
    return rows


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
