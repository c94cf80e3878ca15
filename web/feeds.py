"""The calendar feed server: `GET/HEAD /feeds/<token>.ics`, `/feeds/<token>.todo.ics` and `/healthz`.

Runs inside `dondoc run`'s asyncio loop (`start_feed_server`, on FEED_BIND). Database work is synchronous
SQLAlchemy on the shared engine, so it runs in a worker thread (`asyncio.to_thread`) and never blocks the
bot or the scheduler tick.

Per request: the token is checked for shape, then looked up by its hash (storage.feed_tokens); unknown, revoked
and malformed tokens — and chats no longer linked — all get the same bare 404. Then the feed's ETag and
Last-Modified come from an aggregate query (feeds.service.feed_state) without rendering; a matching
If-None-Match (or, without one, an If-Modified-Since not older than Last-Modified) gets 304. Otherwise the
feed's last rendering with the same ETag is served from a cache of gzip streams (with Content-Length, gzipped
or inflated on the way out as the client accepts), or the feed is rendered in a worker thread a batch of tasks
at a time into the request's own buffer (its gzip stream, at most FEED_BUFFER_BYTES) and streamed from it as it
comes (chunked), the stream kept for the next request. The thread never waits for the reader: a slow reader
holds its buffer, never a render thread. Renders in progress are capped per client address and in all
(FEED_RENDERS_PER_CLIENT, FEED_RENDERS_AT_ONCE; past them 503 with Retry-After). HEAD answers with the
headers, Content-Length included (rendering first when nothing is cached).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import zlib
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web
from sqlmodel import Session

from feeds import service
from storage import feed_tokens as tokens
from feeds.pool import RenderPool, auto_processes

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"
NAME_RE = re.compile(r"(?P<token>[A-Za-z0-9_-]+)(?P<todo>\.todo)?\.ics")
RENDER_CACHE_BYTES = 64 * 1024 * 1024  # gzipped renderings kept (≈ 10 feeds of 100k events), for clients
# that re-fetch a feed nothing changed in without validators
GZIP_LEVEL = 1  # fast: a feed's text compresses ~8x even so, and level 6 would double the cold render time

ENGINE_KEY = web.AppKey("engine", object)
HEALTH_KEY = web.AppKey("health", object)  # storage.health.DatabaseHealth
SETTINGS_KEY = web.AppKey("settings", object)
CLOCK_KEY = web.AppKey("clock", object)
CACHE_KEY = web.AppKey("render_cache", OrderedDict)
STATES_KEY = web.AppKey("feed_states", dict)
POOL_KEY = web.AppKey("render_pool", object)  # feeds.pool.RenderPool, or None
POOL_WARM_KEY = web.AppKey("render_pool_warm", object)  # a future: done when the render processes are up
SLOTS_KEY = web.AppKey("render_slots", object)  # _RenderSlots: FEED_RENDERS_PER_CLIENT / FEED_RENDERS_AT_ONCE


def _not_found() -> web.Response:
    # The same answer for every kind of "no": nothing tells a guesser whether a token ever existed.
    return web.Response(status=404, text="Not found\n", headers={"Cache-Control": "no-store"})


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored; `*` matches any current feed."""
    want = etag[2:] if etag.startswith("W/") else etag
    for item in header.split(","):
        item = item.strip()
        if item == "*":
            return True
        if (item[2:] if item.startswith("W/") else item) == want:
            return True
    return False


def _not_modified(request: web.Request, state: service.FeedState) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:  # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3)
        return _etag_matches(inm, state.etag)
    ims = request.headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError):
            return False
        if since is None:
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return state.last_modified <= since
    return False


def _accepts_gzip(request: web.Request) -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


STATE_TTL = timedelta(seconds=30)  # a feed's validator is recomputed at least this often


@dataclass
class _State:
    state: service.FeedState
    audit_id: int | None
    at: datetime


def _resolve(engine, token: str, todo: bool, settings, now: datetime, states: dict):
    """(scope, state) for a token, or None. Runs in a worker thread.

    The validator's aggregates scan every task of the feed (tens of milliseconds at 100,000 tasks), so it is
    kept per feed and local day while the audit log's last id is the same — every change (action, import)
    writes an audit entry in its own transaction — and recomputed at least every STATE_TTL anyway, for a
    change made behind the audit log's back."""
    import sqlalchemy as sa

    from storage.tables import AuditEntry

    with Session(engine) as session:
        row = tokens.lookup(session, token)
        if row is None:
            return None
        try:
            scope = service.scope_for_token(session, row)
        except service.FeedNotFound:
            return None
        audit_id = session.execute(sa.select(sa.func.max(AuditEntry.id))).scalar()
        key = (scope.key, todo, now.astimezone(settings.timezone).date())
        hit = states.get(key)
        if hit is not None and hit.audit_id == audit_id and timedelta(0) <= now - hit.at < STATE_TTL:
            return scope, hit.state
        state = service.feed_state(session, scope, settings, now, todo=todo)
        states[key] = _State(state, audit_id, now)
        if len(states) > 1000:  # feeds × days: forget the oldest
            for k in list(states)[:500]:
                states.pop(k, None)
        return scope, state


RENDER_THREADS = 2  # feeds rendered at once; more wait their turn (FEED_RENDERS_AT_ONCE of them in all)
WRITE_TIMEOUT = 60.0  # seconds a client may take to accept one piece of a streamed feed
WRITE_SLICE = 64 * 1024  # bytes of inflated text written at a time to a client that does not take gzip
BUSY_RETRY_AFTER = 60  # seconds, in the 503 past FEED_RENDERS_PER_CLIENT / FEED_RENDERS_AT_ONCE


@functools.lru_cache(maxsize=1)
def _render_pool() -> ThreadPoolExecutor:
    # Feeds render in their own threads, which must never be the default executor's (the bot and the
    # dispatcher use those); and a rendering never waits for its reader, so a slow client never holds one.
    return ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="feed-render")


class FeedTooLarge(Exception):
    """The rendering passed FEED_BUFFER_BYTES (gzipped) before it was complete."""


class _Rendering:
    """Renders a feed in a worker thread, batch by batch, into this request's own buffer: the gzip stream,
    bounded by FEED_BUFFER_BYTES. The thread never waits for the reader — it renders at full speed, hands the
    buffer over and is free for the next feed (issue 27: two readers at 1 KiB/s held both render threads and
    another agency's feed waited 52 s). The reader is sent the buffer's pieces as they come, inflated on the way
    for a client that does not take gzip. The complete stream is what the cache keeps."""

    def __init__(self, engine, scope, todo: bool, settings, now: datetime, pool=None, *,
                 max_bytes: int = 64 * 1024 * 1024, on_done=None):
        self.loop = asyncio.get_running_loop()
        self.gz: list[bytes] = []  # appended by the thread, read by the loop
        self.plain_len = 0
        self.gz_len = 0
        self.max_bytes = max_bytes
        self.finished = False
        self.error: BaseException | None = None
        self.cancelled = False
        self._wake = asyncio.Event()
        self._on_done = on_done  # called on the loop when the thread is done, before the reader hears of it
        self._args = (engine, scope, todo, settings, now, pool)
        self.task = self.loop.run_in_executor(_render_pool(), self._produce)

    def _notify(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop is closed (the server stopped): nobody is waiting
            pass

    def _produce(self) -> None:
        engine, scope, todo, settings, now, pool = self._args
        z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip stream; its header has no time
        try:
            with Session(engine) as session:
                for chunk in service.iter_scope(session, scope, settings, now, todo=todo, pool=pool):
                    if self.cancelled:
                        return
                    packed = z.compress(chunk)
                    self.plain_len += len(chunk)
                    if packed:
                        self.gz_len += len(packed)
                        if self.gz_len > self.max_bytes:
                            raise FeedTooLarge(f"the feed passed FEED_BUFFER_BYTES ({self.max_bytes})")
                        self.gz.append(packed)
                        self._notify()
            tail = z.flush()
            self.gz_len += len(tail)
            self.gz.append(tail)
        except BaseException as e:  # noqa: BLE001 - handed to the request, which logs it
            self.error = e
        finally:
            if self._on_done is not None:
                try:
                    self.loop.call_soon_threadsafe(self._on_done)
                except RuntimeError:  # the loop is closed: nothing to give back to
                    pass
            self.finished = True
            self._notify()

    async def pieces(self):
        """The gzip stream's pieces as they come; the totals and the stream are complete at the end."""
        sent = 0
        while True:
            while sent < len(self.gz):
                sent += 1
                yield self.gz[sent - 1]
            if self.finished and sent == len(self.gz):
                if self.error is not None:
                    raise self.error
                return
            self._wake.clear()
            if sent == len(self.gz) and not self.finished:  # nothing new since the last look: wait for the thread
                await self._wake.wait()

    async def wait(self) -> None:
        """Until the thread is done (the whole stream is in the buffer)."""
        await asyncio.gather(self.task, return_exceptions=True)

    def cancel(self) -> None:
        """The reader is gone: the thread stops at its next batch (it waits for nothing, so it sees it soon)."""
        self.cancelled = True


def client_address(request: web.Request) -> str:
    """Who is asking, for the per-client cap: behind the reverse proxy docs/deploy.md sets up (on the same
    host, so the peer is a loopback address), the address the proxy saw — the last of X-Forwarded-For, which
    the proxy appends and the client cannot forge; otherwise the peer itself."""
    import ipaddress

    peer = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        behind_proxy = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        behind_proxy = False
    if behind_proxy and forwarded.strip():
        return forwarded.split(",")[-1].strip() or peer
    return peer


class _RenderSlots:
    """Renders in progress (rendering, or waiting for a render thread), per client address and in all: past
    FEED_RENDERS_PER_CLIENT or FEED_RENDERS_AT_ONCE a request is answered 503 at once. A slot is given back when
    the thread has finished, not when the reader has: a slow reader holds its buffer, not a slot."""

    def __init__(self, per_client: int, at_once: int):
        self.per_client = per_client
        self.at_once = at_once
        self.by_client: dict[str, int] = {}
        self.busy = 0  # requests answered 503

    @property
    def in_use(self) -> int:
        return sum(self.by_client.values())

    def take(self, client: str) -> bool:
        if self.by_client.get(client, 0) >= self.per_client or self.in_use >= self.at_once:
            self.busy += 1
            return False
        self.by_client[client] = self.by_client.get(client, 0) + 1
        return True

    def give_back(self, client: str) -> None:
        left = self.by_client.get(client, 1) - 1
        if left > 0:
            self.by_client[client] = left
        else:
            self.by_client.pop(client, None)


@dataclass
class _Cached:
    """The last rendering of a feed: its ETag, its gzip stream (a tenth of the size) and both lengths."""

    etag: str
    gz: list[bytes]
    plain_len: int
    gz_len: int


def _store(cache: OrderedDict, key, entry: _Cached) -> None:
    cache[key] = entry
    cache.move_to_end(key)
    while len(cache) > 1 and sum(c.gz_len for c in cache.values()) > RENDER_CACHE_BYTES:
        cache.popitem(last=False)


async def _send_cached(request: web.Request, headers: dict, hit: _Cached, gz: bool) -> web.StreamResponse:
    headers = {**headers, "Content-Length": str(hit.gz_len if gz else hit.plain_len)}
    if gz:
        headers["Content-Encoding"] = "gzip"
    resp = web.StreamResponse(status=200, headers=headers)
    await resp.prepare(request)
    if request.method == "HEAD":
        return resp
    if gz:
        for piece in hit.gz:
            await resp.write(piece)
    else:
        z = zlib.decompressobj(31)
        for piece in hit.gz:
            await resp.write(z.decompress(piece))
        await resp.write(z.flush())
    await resp.write_eof()
    return resp


async def feed(request: web.Request) -> web.StreamResponse:
    app = request.app
    m = NAME_RE.fullmatch(request.match_info["name"])
    if m is None or not tokens.looks_like_token(m["token"]):
        return _not_found()
    todo = bool(m["todo"])
    settings, engine = app[SETTINGS_KEY], app[ENGINE_KEY]
    now = app[CLOCK_KEY].now()
    found = await asyncio.to_thread(_resolve, engine, m["token"], todo, settings, now, app[STATES_KEY])
    if found is None:
        return _not_found()
    scope, state = found
    headers = {
        "ETag": state.etag,
        "Last-Modified": format_datetime(state.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
    }
    if _not_modified(request, state):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = CONTENT_TYPE
    headers["Content-Disposition"] = f'inline; filename="dondoc{"-tasks" if todo else ""}.ics"'
    gz = _accepts_gzip(request)

    cache: OrderedDict = app[CACHE_KEY]  # (scope, todo) → _Cached: the latest rendering of each feed
    key = (scope.key, todo)
    hit = cache.get(key)
    if hit is not None and hit.etag == state.etag:
        cache.move_to_end(key)
        return await _send_cached(request, headers, hit, gz)

    slots: _RenderSlots = app[SLOTS_KEY]
    client = client_address(request)
    if not slots.take(client):
        log.info("feed render refused for %s: FEED_RENDERS_PER_CLIENT / FEED_RENDERS_AT_ONCE reached", client)
        return web.Response(status=503, text="Busy: try again later\n",
                            headers={"Retry-After": str(BUSY_RETRY_AFTER), "Cache-Control": "no-store"})
    rendering = _Rendering(engine, scope, todo, settings, now, app[POOL_KEY], max_bytes=settings.feed_buffer_bytes,
                           on_done=lambda: slots.give_back(client))
    if request.method == "HEAD":  # the length is known only once rendered: render, keep, answer
        async for _piece in rendering.pieces():
            pass
        entry = _Cached(state.etag, rendering.gz, rendering.plain_len, rendering.gz_len)
        _store(cache, key, entry)
        return await _send_cached(request, headers, entry, gz)

    if gz:
        headers["Content-Encoding"] = "gzip"
    inflate = None if gz else zlib.decompressobj(31)
    resp = web.StreamResponse(status=200, headers=headers)
    try:
        async for packed in rendering.pieces():
            if not resp.prepared:
                await resp.prepare(request)
            if gz:
                await asyncio.wait_for(resp.write(packed), WRITE_TIMEOUT)
                continue
            data = inflate.decompress(packed, WRITE_SLICE)
            while data:  # inflated a slice at a time: memory and each write stay small whatever the feed
                await asyncio.wait_for(resp.write(data), WRITE_TIMEOUT)
                data = inflate.decompress(inflate.unconsumed_tail, WRITE_SLICE) if inflate.unconsumed_tail else b""
        if inflate is not None:
            if not resp.prepared:
                await resp.prepare(request)
            data = inflate.flush()
            if data:
                await asyncio.wait_for(resp.write(data), WRITE_TIMEOUT)
        if not resp.prepared:
            await resp.prepare(request)
        await asyncio.wait_for(resp.write_eof(), WRITE_TIMEOUT)  # it waits for the reader too
    except (ConnectionError, asyncio.CancelledError):
        rendering.cancel()  # the client is gone: its rendering stops
        raise
    except asyncio.TimeoutError:
        rendering.cancel()  # the client stopped reading: the same, and the connection is closed
        log.info("a calendar client stopped reading a feed for %s s; connection closed", WRITE_TIMEOUT)
        if request.transport is not None:
            request.transport.abort()  # and what it did not read is dropped now, not kept for it
        return resp
    except Exception as e:
        rendering.cancel()
        if isinstance(e, FeedTooLarge):
            log.error("a calendar feed is larger than FEED_BUFFER_BYTES (%d); raise it or narrow the feed",
                      settings.feed_buffer_bytes)
        else:
            log.exception("rendering a calendar feed failed")
        if not resp.prepared:
            return web.Response(status=500, text="Internal error\n", headers={"Cache-Control": "no-store"})
        if request.transport is not None:  # cut short: the client must not take half a calendar as whole
            request.transport.close()
        return resp
    _store(cache, key, _Cached(state.etag, rendering.gz, rendering.plain_len, rendering.gz_len))
    return resp


async def healthz(request: web.Request) -> web.Response:
    """200 "ok" when the database is the one this process started on, can write, and has not lost every task
    since the start; 503 with the problems otherwise (for monitoring): storage/health.py."""
    report = await asyncio.to_thread(request.app[HEALTH_KEY].check)
    if not report.ok:
        log.warning("health check: %s", "; ".join(report.problems))
    return web.json_response(report.to_json(), status=200 if report.ok else 503,
                             headers={"Cache-Control": "no-store"})


def make_app(settings, engine, clock, extend=()) -> web.Application:
    """The feeds' application; each of `extend` (e.g. web.app.mount, the console) adds its routes to it."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[ENGINE_KEY] = engine
    app[CLOCK_KEY] = clock
    app[CACHE_KEY] = OrderedDict()
    app[STATES_KEY] = {}
    app[SLOTS_KEY] = _RenderSlots(settings.feed_renders_per_client, settings.feed_renders_at_once)
    processes = auto_processes() if settings.feed_render_processes is None else settings.feed_render_processes
    app[POOL_KEY] = RenderPool(processes, (settings.agencies_file, settings.holidays_file)) if processes else None
    app.on_startup.append(_start_pool)
    from storage.health import DatabaseHealth

    app[HEALTH_KEY] = DatabaseHealth(engine)
    app.on_startup.append(_start_health)
    app.on_cleanup.append(_stop_pool)
    app.router.add_get("/feeds/{name}", feed)  # add_get also answers HEAD
    app.router.add_get("/healthz", healthz)
    from web.email_pages import add_routes as add_email_pages

    add_email_pages(app, settings, engine, clock)  # confirm / stop links of e-mail bindings
    from web.person_pages import add_routes as add_person_pages

    add_person_pages(app, settings, engine, clock)  # "Đã nhận" links in a person's e-mails (issue 24)
    for hook in extend:
        hook(app)
    return app


async def _start_health(app: web.Application) -> None:
    await asyncio.to_thread(app[HEALTH_KEY].start)  # the task count at start, for "fell to zero"


async def _start_pool(app: web.Application) -> None:
    # In the background: the server answers at once, and a first large feed finds its workers ready.
    pool = app[POOL_KEY]
    if pool is not None:
        app[POOL_WARM_KEY] = asyncio.get_running_loop().run_in_executor(None, _warm, pool)


def _warm(pool: RenderPool) -> None:
    try:
        pool.warm()
    except Exception:  # noqa: BLE001 - the feeds still render, in the server's thread
        log.warning("could not start the feed render processes; feeds are written by the server alone",
                    exc_info=True)


async def _stop_pool(app: web.Application) -> None:
    pool = app[POOL_KEY]
    if pool is not None:
        await asyncio.to_thread(pool.close)


def _host_port(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


async def start_feed_server(settings, engine, clock, extend=()) -> web.AppRunner:
    """Serve the feeds on FEED_BIND in the running loop; the caller stops it with `await runner.cleanup()`.

    Port 0 picks a free port (tests); the bound address is in `runner.addresses`."""
    runner = web.AppRunner(make_app(settings, engine, clock, extend), access_log=None)
    await runner.setup()
    host, port = _host_port(settings.feed_bind)
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as e:
        await runner.cleanup()
        raise OSError(e.errno, f"cannot serve calendar feeds on FEED_BIND={settings.feed_bind}: {e.strerror}") from e
    log.info("calendar feeds on http://%s:%s (published as %s)", host, runner.addresses[0][1] if runner.addresses
             else port, settings.feed_base_url)
    return runner
