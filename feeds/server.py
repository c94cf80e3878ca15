"""The calendar feed server: `GET/HEAD /feeds/<token>.ics`, `/feeds/<token>.todo.ics` and `/healthz`.

Runs inside `dondoc run`'s asyncio loop (`start_feed_server`, on FEED_BIND). Database work is synchronous
SQLAlchemy on the shared engine, so it runs in a worker thread (`asyncio.to_thread`) and never blocks the
bot or the scheduler tick.

Per request: the token is checked for shape, then looked up by its hash (feeds.tokens); unknown, revoked
and malformed tokens — and chats no longer linked — all get the same bare 404. Then the feed's ETag and
Last-Modified come from an aggregate query (feeds.service.feed_state) without rendering; a matching
If-None-Match (or, without one, an If-Modified-Since not older than Last-Modified) gets 304. HEAD answers
with the headers only. A GET renders (or takes the last rendering of the same ETag from a small cache) and
is gzipped when the client accepts it.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
from collections import OrderedDict
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web
from sqlmodel import Session

from feeds import service, tokens

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"
NAME_RE = re.compile(r"(?P<token>[A-Za-z0-9_-]+)(?P<todo>\.todo)?\.ics")
RENDER_CACHE_BYTES = 64 * 1024 * 1024  # the last renderings, for clients that re-fetch without validators

ENGINE_KEY = web.AppKey("engine", object)
SETTINGS_KEY = web.AppKey("settings", object)
CLOCK_KEY = web.AppKey("clock", object)
CACHE_KEY = web.AppKey("render_cache", OrderedDict)


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


def _resolve(engine, token: str, todo: bool, settings, now: datetime):
    """(scope, state) for a token, or None. Runs in a worker thread."""
    with Session(engine) as session:
        row = tokens.lookup(session, token)
        if row is None:
            return None
        try:
            scope = service.scope_for_token(session, row)
        except service.FeedNotFound:
            return None
        return scope, service.feed_state(session, scope, settings, now, todo=todo)


def _render(engine, scope, todo: bool, settings, now: datetime) -> bytes:
    with Session(engine) as session:
        return service.render_scope(session, scope, settings, now, todo=todo)


async def feed(request: web.Request) -> web.StreamResponse:
    app = request.app
    m = NAME_RE.fullmatch(request.match_info["name"])
    if m is None or not tokens.looks_like_token(m["token"]):
        return _not_found()
    todo = bool(m["todo"])
    settings, engine = app[SETTINGS_KEY], app[ENGINE_KEY]
    now = app[CLOCK_KEY].now()
    found = await asyncio.to_thread(_resolve, engine, m["token"], todo, settings, now)
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
    if request.method == "HEAD":
        return web.Response(status=200, headers=headers)

    cache: OrderedDict = app[CACHE_KEY]  # (scope, todo) → (etag, body): the latest rendering of each feed
    key = (scope.key, todo)
    hit = cache.get(key)
    if hit is not None and hit[0] == state.etag:
        body_plain = hit[1]
        cache.move_to_end(key)
    else:
        body_plain = await asyncio.to_thread(_render, engine, scope, todo, settings, now)
        cache[key] = (state.etag, body_plain)
        cache.move_to_end(key)
        while len(cache) > 1 and sum(len(b) for _, b in cache.values()) > RENDER_CACHE_BYTES:
            cache.popitem(last=False)
    body = body_plain
    if _accepts_gzip(request):
        body = gzip.compress(body_plain, compresslevel=6, mtime=0)  # mtime=0: same bytes for the same feed
        headers["Content-Encoding"] = "gzip"
    return web.Response(status=200, body=body, headers=headers)


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


def make_app(settings, engine, clock) -> web.Application:
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[ENGINE_KEY] = engine
    app[CLOCK_KEY] = clock
    app[CACHE_KEY] = OrderedDict()
    app.router.add_get("/feeds/{name}", feed)  # add_get also answers HEAD
    app.router.add_get("/healthz", healthz)
    from bot.email_pages import add_routes as add_email_pages

    add_email_pages(app, settings, engine, clock)  # confirm / stop links of e-mail bindings
    return app


def _host_port(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


async def start_feed_server(settings, engine, clock) -> web.AppRunner:
    """Serve the feeds on FEED_BIND in the running loop; the caller stops it with `await runner.cleanup()`.

    Port 0 picks a free port (tests); the bound address is in `runner.addresses`."""
    runner = web.AppRunner(make_app(settings, engine, clock), access_log=None)
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
