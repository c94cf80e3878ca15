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
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from aiohttp import web
from sqlmodel import Session

GATE = web.AppKey("report_gate", object)
RETRY_AFTER = 30  # seconds, in the busy answer


class Busy(Exception):
    """Too many reports at once (for this person, or over everyone)."""


class ReportGate:
    def __init__(self, engine, *, per_person: int, at_once: int, slots=None):
        """`slots`: the process's shared reports.slots.ReportSlots (the chats' /report count in them too)."""
        from reports.slots import ReportSlots

        self.engine = engine
        self.slots = slots or ReportSlots(per_person, at_once)
        self._executor = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="report")

    @property
    def refused(self) -> int:
        return self.slots.refused

    async def run(self, who: str, fn: Callable[[Session], Any]) -> Any:
        """`fn(session)` in one of the gate's threads (the request's language and context go with it);
        Busy at once when `who` or everyone has as many running as allowed."""
        if not self.slots.take(who):
            raise Busy()
        try:
            def work():
                with Session(self.engine, expire_on_commit=False) as s:
                    return fn(s)

            context = contextvars.copy_context()
            return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, work)
        finally:
            self.slots.give_back(who)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def install(app: web.Application, settings, engine) -> None:
    from reports.slots import shared

    app[GATE] = ReportGate(engine, per_person=settings.report_heavy_per_person, at_once=settings.report_heavy_at_once,
                           slots=shared(settings))

    async def stop(app: web.Application) -> None:
        app[GATE].close()

    app.on_cleanup.append(stop)
