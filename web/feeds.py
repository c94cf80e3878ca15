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
at a time and streamed as it comes (chunked), its gzip stream kept for the next request. HEAD answers with the
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
SETTINGS_KEY = web.AppKey("settings", object)
CLOCK_KEY = web.AppKey("clock", object)
CACHE_KEY = web.AppKey("render_cache", OrderedDict)
STATES_KEY = web.AppKey("feed_states", dict)
POOL_KEY = web.AppKey("render_pool", object)  # feeds.pool.RenderPool, or None
POOL_WARM_KEY = web.AppKey("render_pool_warm", object)  # a future: done when the render processes are up


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


RENDER_THREADS = 2  # feeds rendered at once; more wait their turn
WRITE_TIMEOUT = 60.0  # seconds a client may take to accept one piece of a streamed feed


@functools.lru_cache(maxsize=1)
def _render_pool() -> ThreadPoolExecutor:
    # Feeds render in their own threads: a slow client holds its rendering at the queue (backpressure), and a
    # few of them must never take the default executor's threads, which the bot and the dispatcher use too.
    return ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="feed-render")


class _Rendering:
    """Renders a feed in a worker thread, batch by batch, handing each piece (plain, gzipped) to the event loop
    through a small queue: the body goes out while it is rendered, and memory holds a few batches, never the
    whole calendar. The gzip stream is kept for the cache."""

    QUEUE = 4

    def __init__(self, engine, scope, todo: bool, settings, now: datetime, pool=None):
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=self.QUEUE)
        self.gz: list[bytes] = []
        self.plain_len = 0
        self.gz_len = 0
        self.cancelled = False
        self._args = (engine, scope, todo, settings, now, pool)
        self.task = self.loop.run_in_executor(_render_pool(), self._produce)

    def _put(self, item) -> None:
        asyncio.run_coroutine_threadsafe(self.queue.put(item), self.loop).result()

    def _produce(self) -> None:
        engine, scope, todo, settings, now, pool = self._args
        z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip stream; its header has no time
        try:
            with Session(engine) as session:
                for chunk in service.iter_scope(session, scope, settings, now, todo=todo, pool=pool):
                    if self.cancelled:
                        return
                    packed = z.compress(chunk)
                    self._put((chunk, packed))
            self._put((b"", z.flush()))
            self._put(None)
        except BaseException as e:  # noqa: BLE001 - handed to the request, which logs it
            self._put(e)

    async def pieces(self):
        """(plain, gzipped) pieces as they come; the totals and the gzip stream are complete at the end."""
        while True:
            item = await self.queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            plain, packed = item
            self.plain_len += len(plain)
            self.gz_len += len(packed)
            if packed:
                self.gz.append(packed)
            yield plain, packed

    async def cancel(self) -> None:
        self.cancelled = True
        while not self.task.done():  # let the worker see the flag (it may be waiting on a full queue)
            try:
                self.queue.get_nowait()
            except asyncio.QueueEmpty:
                await asyncio.sleep(0.01)
        await asyncio.gather(self.task, return_exceptions=True)


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

    rendering = _Rendering(engine, scope, todo, settings, now, app[POOL_KEY])
    if request.method == "HEAD":  # the length is known only once rendered: render, keep, answer
        async for _piece in rendering.pieces():
            pass
        entry = _Cached(state.etag, rendering.gz, rendering.plain_len, rendering.gz_len)
        _store(cache, key, entry)
        return await _send_cached(request, headers, entry, gz)

    if gz:
        headers["Content-Encoding"] = "gzip"
    resp = web.StreamResponse(status=200, headers=headers)
    try:
        async for plain, packed in rendering.pieces():
            if not resp.prepared:
                await resp.prepare(request)
            if gz:
                if packed:
                    await asyncio.wait_for(resp.write(packed), WRITE_TIMEOUT)
            elif plain:
                await asyncio.wait_for(resp.write(plain), WRITE_TIMEOUT)
    except (ConnectionResetError, asyncio.CancelledError):
        await rendering.cancel()  # the client is gone: its rendering must not hold a render thread
        raise
    except asyncio.TimeoutError:
        await rendering.cancel()  # the client stopped reading: the same, and the connection is closed
        log.info("a calendar client stopped reading a feed for %s s; connection closed", WRITE_TIMEOUT)
        if request.transport is not None:
            request.transport.close()
        return resp
    except Exception:
        await rendering.cancel()
        log.exception("rendering a calendar feed failed")
        if not resp.prepared:
            return web.Response(status=500, text="Internal error\n", headers={"Cache-Control": "no-store"})
        raise
    if not resp.prepared:
        await resp.prepare(request)
    await resp.write_eof()
    _store(cache, key, _Cached(state.etag, rendering.gz, rendering.plain_len, rendering.gz_len))
    return resp


async def healthz(request: web.Request) -> web.Response:
    """200 "ok" when the database answers, 503 otherwise (for monitoring)."""
    engine = request.app[ENGINE_KEY]

    def ping() -> None:
        import sqlalchemy as sa

        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except Exception as e:  # noqa: BLE001 - any failure means "not healthy"
        log.warning("health check: database unreachable: %s", e)
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def make_app(settings, engine, clock, extend=()) -> web.Application:
    """The feeds' application; each of `extend` (e.g. web.app.mount, the console) adds its routes to it."""
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[ENGINE_KEY] = engine
    app[CLOCK_KEY] = clock
    app[CACHE_KEY] = OrderedDict()
    app[STATES_KEY] = {}
    processes = auto_processes() if settings.feed_render_processes is None else settings.feed_render_processes
    app[POOL_KEY] = RenderPool(processes, (settings.agencies_file, settings.holidays_file)) if processes else None
    app.on_startup.append(_start_pool)
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
