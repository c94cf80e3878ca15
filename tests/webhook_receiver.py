"""A webhook receiver on 127.0.0.1 for tests: checks each delivery as docs/integration.md tells a receiver to
(jobs.webhooks.verify), records what arrived, and answers a chosen status. Serves from its own thread, so a
subprocess (`dondoc run`) and in-process code can both post to it."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiohttp import web


@dataclass
class Received:
    delivery: str
    event: str
    timestamp: str
    signature: str
    body: bytes
    verdict: str  # "ok" or the SignatureError code


@dataclass
class Receiver:
    secret: str
    statuses: list[int] = field(default_factory=list)  # answers to give first (then 200)
    delay: float = 0.0  # seconds between reading a delivery and answering (widens a crash window)
    now: callable = None  # the receiver's clock; default: the wall clock

    def __post_init__(self):
        self.received: list[Received] = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        from jobs.webhooks import SignatureError, verify

        body = await request.read()
        h = request.headers
        now = self.now() if self.now else datetime.now(timezone.utc)
        try:
            verify(self.secret, h.get("X-Dondoc-Timestamp"), body, h.get("X-Dondoc-Signature"), now)
            verdict = "ok"
        except SignatureError as e:
            verdict = e.code
        self.received.append(Received(h.get("X-Dondoc-Delivery", ""), h.get("X-Dondoc-Event", ""),
                                      h.get("X-Dondoc-Timestamp", ""), h.get("X-Dondoc-Signature", ""), body,
                                      verdict))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status if verdict == "ok" else 401, text="ok")

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    def __enter__(self) -> "Receiver":
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, n: int, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < end:
            time.sleep(0.02)
        assert len(self.received) >= n, f"{len(self.received)} of {n} deliveries arrived"
