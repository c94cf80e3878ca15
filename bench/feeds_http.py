"""One feed server measured over HTTP, in its own process: `python bench/feeds_http.py ROOT DB_URL`.

ROOT is the source tree whose feed server is measured — this checkout, or the baseline commit unpacked next to
it by bench/feeds.py — so today's code and the baseline answer the same requests on the same database in one
run. Only APIs both trees share are used (tokens.issue_token, web.feeds.start_feed_server,
storage.actions.record_progress). Prints one JSON object: for each phase (cold, unchanged, 304, after one
change) the seconds to the last byte, the bytes on the wire and as text, and the rise of peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import zlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

NOW = datetime(2018, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _descendants(pid: str = "self") -> list[str]:
    """The processes started under this one (the feed render processes and their forkserver)."""
    out = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for t in tasks:
        try:
            children = (t / "children").read_text().split()
        except OSError:
            continue
        for c in children:
            out += [c, *_descendants(c)]
    return out


def _peak_reset() -> None:
    for pid in ["self", *_descendants()]:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def _workers_kib(field: str) -> int:
    """The sum of `field` (VmRSS, VmHWM) over the render processes and their forkserver, which are not in
    this process's figures. Pages they share are counted in each, so the sum is an upper bound."""
    total = 0
    for pid in _descendants():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def _get(http, url: str, headers: dict) -> dict:
    """One request, the body read as it comes and thrown away (the client keeps nothing)."""
    import gc

    gc.collect()
    _peak_reset()
    before = _kib("VmRSS")
    workers_before = _workers_kib("VmRSS")
    t0 = time.perf_counter()
    wire = 0
    kept = []
    async with http.get(url, headers=headers) as r:
        status = r.status
        gz = r.headers.get("Content-Encoding") == "gzip"
        async for chunk in r.content.iter_chunked(1 << 16):
            wire += len(chunk)
            if gz:
                kept.append(chunk)  # inflated after the clock stops: a client's work, not the server's
    seconds = time.perf_counter() - t0
    hwm = _kib("VmHWM")  # before inflating, so the client's copy of the text does not count
    workers_hwm = _workers_kib("VmHWM")
    text = wire
    if gz:
        inflate = zlib.decompressobj(31)
        text = sum(len(inflate.decompress(c)) for c in kept)
        kept.clear()
    return {"status": status, "seconds": round(seconds, 4), "wire_kib": round(wire / 1024),
            "text_kib": round(text / 1024),
            "peak_rss_mib": round(max(0, hwm - before) / 1024, 1) if hwm is not None and before else None,
            "workers": len(_descendants()), "workers_rss_mib": round(workers_before / 1024, 1),
            "workers_peak_rise_mib": round(max(0, workers_hwm - workers_before) / 1024, 1)}


async def measure(db_url: str) -> dict:
    import aiohttp
    from sqlmodel import Session, select

    from dondoc.settings import load_settings
    from storage.actions import Actor, record_progress
    try:
        from core.clock import FixedClock
        from storage import feed_tokens as tokens
        from web.feeds import start_feed_server
    except ImportError:  # a tree from before the floor plan (the baseline commit): the same things, where they were
        from dondoc.clock import FixedClock
        from feeds import tokens
        from feeds.server import start_feed_server
    from storage.db import make_engine
    from storage.tables import Task

    engine = make_engine(db_url)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    with Session(engine) as s:
        token = tokens.issue_token(s, "oversight", actor=Actor("bench", None, "cli"), now=NOW)
        s.commit()
    started = time.perf_counter()
    runner = await start_feed_server(replace(settings, feed_bind="127.0.0.1:0"), engine, FixedClock(NOW))
    import web.feeds

    warm = getattr(web.feeds, "POOL_WARM_KEY", None)  # the baseline has no render processes
    if warm is not None and warm in runner.app:
        await runner.app[warm]  # "cold" is a first request to a running server, not one racing its start
    ready = round(time.perf_counter() - started, 3)
    host, port = runner.addresses[0][:2]
    out = {}
    gz = {"Accept-Encoding": "gzip"}  # what calendar apps send
    try:
        async with aiohttp.ClientSession(f"http://{host}:{port}", auto_decompress=False,
                                         timeout=aiohttp.ClientTimeout(total=3600)) as http:
            url = f"/feeds/{token}.ics"
            out["cold"] = await _get(http, url, gz)
            out["cold"]["server_ready_s"] = ready  # from start_feed_server to its render processes being up
            out["unchanged"] = await _get(http, url, gz)  # no validators: a client that re-downloads
            out["unchanged, identity"] = await _get(http, url, {"Accept-Encoding": "identity"})
            async with http.head(url, headers=gz) as r:
                etag = r.headers["ETag"]
            out["304"] = await _get(http, url, {**gz, "If-None-Match": etag})
            with Session(engine) as s:
                task = s.exec(select(Task).where(Task.key == "B/1")).one()  # open, no progress yet
                record_progress(s, task, "once", 30, "Đã giao chuyên viên", Actor("bench", None, "cli"), NOW)
                s.commit()
            out["after one change"] = await _get(http, url, gz)
    finally:
        await runner.cleanup()
        engine.dispose()
    return out


if __name__ == "__main__":
    root, db = sys.argv[1], sys.argv[2]
    sys.path.insert(0, root)
    print(json.dumps(asyncio.run(measure(db))))
