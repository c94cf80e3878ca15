"""The registry page's uploads are read, checked and imported in a process of their own, one at a time.

Reading a spreadsheet and expanding its rows into tasks is seconds of pure Python and, for a hostile file,
hundreds of megabytes: on the server's event loop it would stall the bot, the scheduler, the feeds and the
Zalo webhook, which share it (issue 27: an XLSX of 2 million empty rows stalled the health check for 40 s).
So each check (and each confirmed import) runs in a fresh worker process:

- with its own memory bound (IMPORT_WORKER_MEMORY_MB, as the process's address space): a file that needs more
  is refused with a message; the server is untouched;
- one at a time, the others queued (at most IMPORT_CHECKS_WAITING wait; more are asked to try again later);
- and the process ends after each job, so the memory a large file took is given back to the system.

The dry run only reads the database (intake.preview_import writes nothing), so it never holds SQLite's write
lock; the import writes, and is tried again when the database stays locked past its busy timeout.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from core.i18n import _

log = logging.getLogger(__name__)

CHECKS = web.AppKey("upload_checks", object)  # the console's UploadChecks
LOCKED_TRIES = 3  # an import that finds the database locked past its busy timeout is tried this many times


class Busy(Exception):
    """Too many uploads are waiting for the check process: the person is asked to try again shortly."""


@dataclass
class Job:
    """What the worker process needs: plain values only (it opens its own engine, reads its own files)."""

    apply: bool  # False: the dry run; True: the import
    database_url: str
    path: Path
    options: Any  # web.registry_adapter.Options
    now: datetime
    actor: str
    lang: str
    settings: Any  # core.settings.Settings (the directory is built in the worker: registry_adapter._run)
    calendar: Any  # core.workdays.WorkCalendar
    limits: Any  # intake.limits.Limits


@dataclass
class Result:
    outcome: Any  # web.registry_adapter.Outcome
    table: list[tuple[int, list[str]]] | None = None  # the file as the person sees it, for the problems' marks
    pid: int = 0  # the worker process that did it


def _limit_memory(megabytes: int) -> None:
    """Run in the worker at its start: its address space is bounded, so a file that needs more memory raises
    MemoryError there (answered with a message) instead of growing the machine's swap."""
    import resource

    limit = megabytes * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # a lower hard limit already set by the administrator: that one holds
        log.warning("could not bound the upload worker's memory to %d MiB", megabytes)


def _problem(job: Job, message: str):
    from intake.model import Problem

    return Problem(job.path.name, 0, "", message)


def run_job(job: Job) -> Result:
    """In the worker process: check (or import) the file and read its table for the page."""
    from core.i18n import use_language
    from web import registry_adapter

    with use_language(job.lang):
        try:
            result = _run(job, registry_adapter)
        except MemoryError:
            result = Result(registry_adapter.Outcome(problems=[_problem(job, _(
                "the file needs more memory than the server allows for checking one file "
                "(IMPORT_WORKER_MEMORY_MB); split it into smaller files"))]))
    result.pid = os.getpid()
    return result


def _run(job: Job, registry_adapter) -> Result:
    from sqlalchemy.exc import OperationalError

    from storage.db import make_engine

    engine = make_engine(job.database_url)
    try:
        kwargs = dict(settings=job.settings, calendar=job.calendar, now=job.now,
                      actor=job.actor, options=job.options, limits=job.limits)
        fn = registry_adapter.apply if job.apply else registry_adapter.dry_run
        for attempt in range(1, LOCKED_TRIES + 1):
            try:
                outcome = fn(engine, job.path, **kwargs)
                break
            except OperationalError as e:
                if "locked" not in str(e) or attempt == LOCKED_TRIES:
                    if "locked" in str(e):
                        return Result(registry_adapter.Outcome(problems=[_problem(job, _(
                            "the database stayed busy with other work; nothing was imported. Try again in a "
                            "minute"))]))
                    raise
                log.warning("registry upload: the database is locked; trying again (%d)", attempt)
        table = None if job.apply and outcome.ok else registry_adapter.read_table(job.path, job.limits)
        return Result(outcome, table)
    finally:
        engine.dispose()


class UploadChecks:
    """One upload checked at a time, each in a fresh worker process; a few more may wait their turn."""

    def __init__(self, settings):
        self.memory_mb = settings.import_worker_memory_mb
        self.waiting_max = settings.import_checks_waiting
        self._turn = asyncio.Semaphore(1)
        self._waiting = 0
        self._executor: ProcessPoolExecutor | None = None
        self.jobs_done = 0
        self.worker_pids: list[int] = []  # of the jobs done, in order (tests: one process per job)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: a clean process, not a copy of the server with its threads and connections; one job
            # per process, so the memory a large file took goes back to the system when the job ends.
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                                 max_tasks_per_child=1, initializer=_limit_memory,
                                                 initargs=(self.memory_mb,))
        return self._executor

    async def run(self, job: Job) -> Result:
        """The job's result; Busy when more than IMPORT_CHECKS_WAITING uploads already wait."""
        if self._turn.locked() and self._waiting >= self.waiting_max:
            raise Busy()
        self._waiting += 1
        try:
            await self._turn.acquire()
        finally:
            self._waiting -= 1
        try:
            # submit starts the worker process (and, the first time, the forkserver): in a thread, so the event
            # loop does not wait for a process to start on a busy machine
            future = await asyncio.to_thread(self._pool().submit, run_job, job)
            result = await asyncio.wrap_future(future)
            self.worker_pids.append(result.pid)
            return result
        except BrokenProcessPool:
            # The worker died (the kernel's OOM killer, a crash in a file parser): the server is fine; the next
            # upload gets a new worker.
            self._executor = None
            log.warning("registry upload: the check process stopped (%s)", job.path.name)
            from web import registry_adapter

            return Result(registry_adapter.Outcome(problems=[_problem(job, _(
                "checking the file stopped: it needs more memory or time than the server allows for one file; "
                "split it into smaller files"))]))
        except Exception:  # noqa: BLE001 - a check that failed unexpectedly is a message, never a 500
            log.exception("registry upload: checking %s failed", job.path.name)
            from web import registry_adapter

            return Result(registry_adapter.Outcome(problems=[_problem(job, _(
                "the file could not be checked because of an error on the server (it is in the log); nothing was "
                "imported"))]))
        finally:
            self.jobs_done += 1
            self._turn.release()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
