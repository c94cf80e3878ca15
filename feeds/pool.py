"""Render processes: a large calendar is written on every core the machine has.

Turning a province's 100,000 tasks into calendar text is pure Python work, and one Python thread uses one
core. So the feed server keeps a few worker processes (FEED_RENDER_PROCESSES; by default one per core, at
most four): its render thread reads batches of rows from the database (feeds.loading), keeps the batches it
has already rendered (the batch memo, feeds.service), and sends the others — plain tuples and the lookups they
need — to the workers, which send back the batch's text. The thread sends the texts on in order as they
come, keeping a few batches in flight, so memory holds those few batches whatever the calendar's size.

Small calendars (one batch) never leave the thread: a process hop would cost more than it saves. A worker
that dies is replaced for the next calendar, and the batch it had is written in the thread instead, so a
request never fails for it.

Workers start with the server, in the background (`warm`), from a `forkserver`: a clean process that imports
the renderer once, not a copy of the server with its threads and database connections. What they run
(feeds.entries, feeds.ics) is pure and needs no database driver, so each stays small.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)

MAX_AUTO = 4  # processes when FEED_RENDER_PROCESSES is "auto": one per core, at most this many


def auto_processes() -> int:
    """FEED_RENDER_PROCESSES=auto: one per core this process may use, at most MAX_AUTO; 0 on one core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, MAX_AUTO)


WATCH_SECONDS = 1.0  # how often a worker checks that the server is still there


def _start_worker(server_pid: int, files: tuple) -> None:
    """Run in each worker at its start: import the renderer, its catalogs, the agency directory and the
    working-day calendar (`files`: AGENCIES_FILE, HOLIDAYS_FILE), so a first calendar does not pay for them
    (about 0.1 s), and watch the server — a worker must not outlive it (SIGKILL, the OOM killer): its
    queue's pipe does not tell it, because it holds an end of the pipe itself."""
    from core.i18n import _
    from feeds import entries, ics
    from core import deadline  # noqa: F401

    for lang in ("vi", "en"):
        ics._t(lang)
    _("Deadline", lang="vi")
    agencies_file, holidays_file = files or (None, None)
    try:
        entries._cached("agencies", agencies_file, entries._load_directory)
        entries._cached("holidays", holidays_file, entries._load_workdays)
    except Exception:  # noqa: BLE001 - a bad file is reported where the server reads it, not here
        log.debug("could not preload the agency or holiday file", exc_info=True)
    threading.Thread(target=_watch, args=(server_pid,), name="watch-server", daemon=True).start()


def _started(pid: int) -> str | None:
    """When process `pid` started (Linux: /proc/PID/stat field 22), to tell the server from a new process
    that got its id; None where there is no /proc."""
    try:
        return open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _watch(server_pid: int) -> None:
    born = _started(server_pid)
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            os.kill(server_pid, 0)
            alive = born is None or _started(server_pid) == born
        except (ProcessLookupError, PermissionError):  # PermissionError: another user's process has the id
            alive = False
        if not alive:
            os._exit(0)  # the server is gone: so is this worker (and then its forkserver)


def _ping() -> int:
    return os.getpid()


class RenderPool:
    """A few worker processes that render batches of a calendar (`submit`), started on demand or by `warm`."""

    def __init__(self, processes: int, files: tuple = ()):
        self.processes = processes
        self.files = tuple(files)  # AGENCIES_FILE, HOLIDAYS_FILE: read by each worker at its start
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["feeds.entries", "core.deadline", "core.workdays"])
                self._executor = ProcessPoolExecutor(max_workers=self.processes, mp_context=ctx,
                                                     initializer=_start_worker, initargs=(os.getpid(), self.files))
            return self._executor

    def warm(self) -> list[int]:
        """Start every worker now (and wait for them); their process ids. The server calls this in the
        background at start."""
        futures = [self._pool().submit(_ping) for _ in range(self.processes)]
        for f in futures:
            f.result()
        return self.worker_pids()

    def submit(self, fn, *args) -> Future | None:
        """`fn(*args)` in a worker; None when the pool cannot take it (broken or shut down): render in the
        thread instead."""
        try:
            return self._pool().submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):
            self.restart()
            return None

    def restart(self) -> None:
        """Forget the pool if it is broken (a worker died): the next batch starts new workers. Every future of a
        broken pool fails, so this is called once per batch in flight: only the first call replaces it."""
        with self._lock:
            old = self._executor
            if old is None or not getattr(old, "_broken", True):  # already replaced, or not broken
                return
            self._executor = None
        log.warning("a feed render process stopped; starting new ones")
        old.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        ex = self._executor
        return sorted(p.pid for p in (getattr(ex, "_processes", None) or {}).values()) if ex is not None else []

    def close(self) -> None:
        with self._lock:
            old, self._executor = self._executor, None
        if old is not None:
            old.shutdown(wait=True, cancel_futures=True)
