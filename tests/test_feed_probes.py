"""Slow readers (issue 27) as tests: a feed is rendered into its request's own buffer and the render thread is
free as soon as the feed is written — two clients that read nothing hold their buffers, never the render
threads, so another agency's changed feed is served at once; renders in progress are capped per client address
and in all (503 with Retry-After). The health check answers within 1 s throughout."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import Session

from storage import feed_tokens as tokens
from storage.actions import Actor
from tests.factories import make_task
from tests.health_probe import HealthProbe
from web import feeds as feed_server

ADMIN = Actor("admin", None, "cli")
PLAIN = {"Accept-Encoding": "identity"}
GUARD = 30  # seconds: only a failing test waits this long


@pytest.fixture
def feeds(engine, clock):
    """Two agencies' feeds: Sở Nội vụ's large (300 tasks, ~270 KB of calendar), Sở Tài chính's small."""
    with Session(engine) as s:
        for i in range(300):
            make_task(s, key=f"S/{i}", deadline_text=f"trước ngày {1 + i % 28}/7/2018", now=clock.now(), position=i)
        make_task(s, key="TC/1", deadline_text="trước ngày 14/6/2018", now=clock.now(), lead="so-tai-chinh",
                  content="Quyết toán ngân sách")
        large = tokens.issue_token(s, "agency", agency="so-noi-vu", actor=ADMIN, now=clock.now())
        small = tokens.issue_token(s, "agency", agency="so-tai-chinh", actor=ADMIN, now=clock.now())
        s.commit()
    return large, small


async def serve(settings, engine, clock, **kw):
    """The feed server on 127.0.0.1 with small kernel buffers, so a client that does not read is felt at once."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # accepted connections inherit it
    listener.bind(("127.0.0.1", 0))
    app = feed_server.make_app(replace(settings, feed_render_processes=0, **kw), engine, clock)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, listener).start()
    return runner, app, listener.getsockname()[1]


async def stalled_reader(port: int, path: str):
    """A client that asks for a feed and reads nothing (its receive buffer is 4 KB)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n".encode())
    await writer.drain()
    return writer


def watch_slots(app, monkeypatch, count: int) -> asyncio.Event:
    """An event set once `count` renders are in progress at the same time."""
    slots = app[feed_server.SLOTS_KEY]
    reached = asyncio.Event()
    take = slots.take

    def counting_take(client):
        ok = take(client)
        if slots.in_use >= count:
            reached.set()
        return ok

    monkeypatch.setattr(slots, "take", counting_take)
    return reached


async def render_threads_free() -> None:
    """Returns once both render threads have taken a no-op: every rendering queued before it is finished."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(feed_server._render_pool(), lambda: None)
                           for _ in range(feed_server.RENDER_THREADS)))


async def test_slow_readers_hold_their_buffers_not_the_render_threads(engine, settings, clock, feeds, monkeypatch):
    monkeypatch.setattr(feed_server.service, "BATCH", 10)  # 30 batches: a rendering many pieces long
    large, small = feeds
    runner, app, port = await serve(settings, engine, clock, feed_renders_per_client=4)
    started = watch_slots(app, monkeypatch, 2)
    base = f"http://127.0.0.1:{port}"
    writers = []
    try:
        async with HealthProbe(base) as probe:
            writers = [await stalled_reader(port, f"/feeds/{large}.ics") for _ in range(2)]
            await asyncio.wait_for(started.wait(), GUARD)  # both renderings are under way
            # both renderings finish while their readers read nothing (today's main: the threads wait for them)
            await asyncio.wait_for(render_threads_free(), GUARD)
            async with aiohttp.ClientSession() as http:  # another agency's feed: served whole, at once
                r = await asyncio.wait_for(http.get(f"{base}/feeds/{small}.ics", headers=PLAIN), GUARD)
                body = await r.read()
            assert r.status == 200 and b"Quy\xe1\xba\xbft to\xc3\xa1n ng\xc3\xa2n s\xc3\xa1ch" in body
            assert body.endswith(b"END:VCALENDAR\r\n")
            assert all(not w.is_closing() for w in writers)  # the slow readers are still being served
            assert app[feed_server.SLOTS_KEY].in_use == 0  # and hold no render slot
        probe.assert_responsive()
    finally:
        for w in writers:
            w.close()
        await runner.cleanup()


async def test_renders_are_capped_per_client_and_in_all(engine, settings, clock, feeds, monkeypatch):
    large, small = feeds
    release = threading.Event()
    original = feed_server.service.iter_scope

    def held(*args, **kwargs):  # a rendering that takes as long as the test says
        for n, chunk in enumerate(original(*args, **kwargs)):
            if n == 0:
                release.wait(GUARD)
            yield chunk

    monkeypatch.setattr(feed_server.service, "iter_scope", held)
    runner, app, port = await serve(settings, engine, clock, feed_renders_per_client=2, feed_renders_at_once=3)
    slots = app[feed_server.SLOTS_KEY]
    base = f"http://127.0.0.1:{port}"
    taken = watch_slots(app, monkeypatch, 3)

    async def get(source: str, token: str):
        connector = aiohttp.TCPConnector(local_addr=(source, 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            async with http.get(f"{base}/feeds/{token}.ics", headers=PLAIN) as r:
                return r.status, r.headers.get("Retry-After"), await r.read()

    try:
        async with HealthProbe(base) as probe:
            first = [asyncio.ensure_future(get("127.0.0.1", t)) for t in (large, small)]
            third = asyncio.ensure_future(get("127.0.0.2", large))
            await asyncio.wait_for(taken.wait(), GUARD)  # three renders in progress (two wait for a thread)
            status, retry, _ = await get("127.0.0.1", large)  # a third from the same address
            assert (status, retry) == (503, str(feed_server.BUSY_RETRY_AFTER))
            status, retry, _ = await get("127.0.0.3", small)  # a fourth over everyone
            assert (status, retry) == (503, str(feed_server.BUSY_RETRY_AFTER))
            release.set()
            answers = await asyncio.wait_for(asyncio.gather(*first, third), GUARD)
        probe.assert_responsive()
        assert [a[0] for a in answers] == [200, 200, 200]
        assert all(a[2].endswith(b"END:VCALENDAR\r\n") for a in answers)
        assert slots.busy == 2 and slots.in_use == 0
    finally:
        release.set()
        await runner.cleanup()


def test_behind_the_reverse_proxy_the_client_is_the_address_the_proxy_saw():
    from aiohttp.test_utils import make_mocked_request

    def client(peer: str, forwarded: str | None) -> str:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        request = make_mocked_request("GET", "/feeds/x.ics", headers=headers)
        return feed_server.client_address(request.clone(remote=peer))

    # nginx on the same host appends the address it saw: the last entry (an earlier one may be forged)
    assert client("127.0.0.1", "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    assert client("::1", "203.0.113.8") == "203.0.113.8"
    assert client("127.0.0.1", None) == "127.0.0.1"
    assert client("198.51.100.4", "203.0.113.7") == "198.51.100.4"  # not through the proxy: the peer itself
