"""The health check measured while a load runs (issue 27's probes as tests): `/healthz` is asked again and
again, one request at a time, and each answer's latency kept, so a test asserts that the server stayed
responsive *throughout* the load — not merely after it.

    async with HealthProbe(base_url) as probe:
        ... run the load, wait for its events ...
    probe.assert_responsive()      # every answer 200 within 1 s, and enough of them to mean something
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

BOUND = 1.0  # seconds: the "answers within 1 s throughout"
CADENCE = 0.1  # seconds between one answer and the next question: a measurement rate, not a wait for an event


class HealthProbe:
    def __init__(self, base: str, *, min_probes: int = 3):
        self.base = base.rstrip("/")
        self.min_probes = min_probes
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "HealthProbe":
        self._task = asyncio.create_task(self._run(), name="health probe")
        return self

    async def __aexit__(self, *exc) -> None:
        self._stop.set()
        await self._task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10 * BOUND)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not self._stop.is_set() or len(self.latencies) + len(self.failures) < self.min_probes:
                started = time.perf_counter()
                try:
                    async with http.get(self.base + "/healthz") as r:
                        await r.read()
                        if r.status != 200:
                            self.failures.append(f"HTTP {r.status}")
                except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                    self.failures.append(type(e).__name__)
                self.latencies.append(time.perf_counter() - started)
                try:
                    await asyncio.wait_for(self._stop.wait(), CADENCE)
                except asyncio.TimeoutError:
                    pass

    def assert_responsive(self, bound: float = BOUND) -> None:
        assert not self.failures, f"health check failed during the load: {self.failures}"
        assert len(self.latencies) >= self.min_probes, f"only {len(self.latencies)} health checks made"
        worst = max(self.latencies)
        assert worst < bound, (f"health check took {worst:.2f} s during the load (bound {bound} s; "
                               f"{len(self.latencies)} checks)")
