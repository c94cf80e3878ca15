"""Reports are computed in threads of their own, a few at a time per person and over everyone.

A report reads every task of its scope and counts every occurrence in its period: seconds at a province's size,
more for a long period (bounded by REPORT_MAX_YEARS and REPORT_MAX_OCCURRENCES, reports.load). Computed with
`asyncio.to_thread` they took the threads the rest of the server shares (issue 27: six long reports from one
focal point, and another person's task page waited 600 s). So the console computes them in this gate's own
threads — REPORT_HEAVY_AT_ONCE of them — and one person may have REPORT_HEAVY_PER_PERSON at a time; past
either, the answer is at once a polite "busy, try again shortly" (503 with Retry-After), never a queue that
grows behind a few heavy ones.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from aiohttp import web
from sqlmodel import Session

GATE = web.AppKey("report_gate", object)
RETRY_AFTER = 30  # seconds, in the busy answer


class Busy(Exception):
    """Too many reports at once (for this person, or over everyone)."""


class ReportGate:
    def __init__(self, engine, *, per_person: int, at_once: int):
        self.engine = engine
        self.per_person = per_person
        self.at_once = at_once
        self._executor = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="report")
        self._running: Counter[str] = Counter()
        self.refused = 0

    @property
    def running(self) -> int:
        return sum(self._running.values())

    async def run(self, who: str, fn: Callable[[Session], Any]) -> Any:
        """`fn(session)` in one of the gate's threads (the request's language and context go with it);
        Busy at once when `who` or everyone has as many running as allowed."""
        if self._running[who] >= self.per_person or self.running >= self.at_once:
            self.refused += 1
            raise Busy()
        self._running[who] += 1
        try:
            def work():
                with Session(self.engine, expire_on_commit=False) as s:
                    return fn(s)

            context = contextvars.copy_context()
            return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, work)
        finally:
            self._running[who] -= 1
            if not self._running[who]:
                del self._running[who]

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def install(app: web.Application, settings, engine) -> None:
    app[GATE] = ReportGate(engine, per_person=settings.report_heavy_per_person, at_once=settings.report_heavy_at_once)

    async def stop(app: web.Application) -> None:
        app[GATE].close()

    app.on_cleanup.append(stop)
