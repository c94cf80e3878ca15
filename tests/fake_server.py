"""What the fake platform APIs (tests/fake_telegram.py, tests/fake_zalo.py) share: `async with` around their
`start()`/`stop()`, and running one on its own event loop in a background thread, for tests whose code under
test runs in another process (`dondoc run` as a subprocess)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Iterator, TypeVar

F = TypeVar("F", bound="ServedFake")


class ServedFake:
    """Mixed into a fake whose `start()` serves it on 127.0.0.1 (returning self) and `stop()` ends that."""

    name = "fake API"

    async def start(self: F) -> F:  # pragma: no cover - every fake defines it
        raise NotImplementedError

    async def stop(self) -> None:  # pragma: no cover - every fake defines it
        raise NotImplementedError

    async def __aenter__(self: F) -> F:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    @contextlib.contextmanager
    def in_thread(cls: type[F], **kwargs: Any) -> Iterator[F]:
        """Serve on its own event loop in a background thread until the block ends."""
        fake = cls(**kwargs)
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(fake.start())
            started.set()
            loop.run_forever()
            loop.run_until_complete(fake.stop())
            loop.close()

        thread = threading.Thread(target=serve, name=cls.name, daemon=True)
        thread.start()
        if not started.wait(10):
            raise RuntimeError(f"{cls.name} did not start")
        try:
            yield fake
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
