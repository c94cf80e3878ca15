"""Benchmarks (`python -m bench`, see docs/benchmarks.md), and the measuring helpers they share: wall time,
CPU time, peak RSS, peak traced memory.

Peak RSS is read from the kernel's high-water mark (VmHWM), which Linux lets a process reset (writing "5"
to /proc/self/clear_refs): `Measured.peak_rss_mib` is how far the resident memory rose above where it was
when the measurement began. Elsewhere it is None. The benchmarks run each heavy measurement in a fresh
process (`in_child`), so memory freed by an earlier step cannot be reused unseen.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mib() -> float | None:
    kib = _status_kib("VmRSS")
    return None if kib is None else kib / 1024


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Measured:
    seconds: float = 0.0
    # The process's CPU time in the block: on a machine shared with others (issue 27's was, 2 cores for five
    # people) the wall time says as much about their load as about the code; this says less about it.
    cpu_seconds: float | None = None
    peak_rss_mib: float | None = None  # rise of the resident set above its level at the start
    held_rss_mib: float | None = None  # still resident at the end, above the start
    peak_traced_mib: float | None = None  # tracemalloc's peak (Python allocations), when traced

    def as_dict(self, prefix: str = "") -> dict:
        out = {f"{prefix}seconds": round(self.seconds, 4)}
        if self.cpu_seconds is not None:
            out[f"{prefix}cpu_seconds"] = round(self.cpu_seconds, 3)
        if self.peak_rss_mib is not None:
            out[f"{prefix}peak_rss_mib"] = round(self.peak_rss_mib, 1)
        if self.held_rss_mib is not None:
            out[f"{prefix}held_rss_mib"] = round(self.held_rss_mib, 1)
        if self.peak_traced_mib is not None:
            out[f"{prefix}peak_traced_mib"] = round(self.peak_traced_mib, 2)
        return out


@contextmanager
def measure(*, trace: bool = False):
    """Time the block, with the rise of peak RSS (and tracemalloc's peak when `trace`)."""
    m = Measured()
    gc.collect()
    can_peak = _reset_peak()
    before = rss_mib()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield m
    finally:
        m.seconds = time.perf_counter() - t0
        m.cpu_seconds = time.process_time() - c0
        if trace:
            m.peak_traced_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        after = rss_mib()
        if can_peak and before is not None:
            hwm = _status_kib("VmHWM")
            m.peak_rss_mib = max(0.0, hwm / 1024 - before) if hwm is not None else None
        if before is not None and after is not None:
            m.held_rss_mib = after - before


def traced_peak_mib(fn, *args, **kwargs) -> tuple[float, object]:
    """Run fn once under tracemalloc; (peak MiB of Python allocations, its result)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1] / 2**20, result
    finally:
        tracemalloc.stop()


def summary_ms(samples: list[float]) -> dict:
    """Median, max and count of timings given in seconds, in milliseconds."""
    if not samples:
        return {"median_ms": None, "max_ms": None, "n": 0}
    return {"median_ms": round(1000 * statistics.median(samples), 2), "max_ms": round(1000 * max(samples), 2),
            "n": len(samples)}


def in_child(fn, *args, **kwargs):
    """Run fn(*args, **kwargs) in a fresh interpreter (spawn) and return its result; exceptions propagate."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
