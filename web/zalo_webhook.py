"""Zalo webhook mode: Zalo POSTs each update to ZALO_WEBHOOK_URL, served by dondoc's HTTP server.

    hook = webhook_route(updates, settings)      # a make_app `extend` hook: POST <path of the URL>
    keeper = WebhookKeeper(channel.client, settings); keeper.start() ... await keeper.stop()

Zalo's Bot Platform, like Telegram's, takes `setWebhook(url, secret_token)` (an https URL; a secret of 8 to
256 characters) and sends that secret in the `X-Bot-Api-Secret-Token` header of every POST; polling
(`getUpdates`) stops working while a webhook is set. The body is the update `getUpdates` returns
(`{"event_name", "message": {...}}`), some senders wrap it as `{"ok": true, "result": {...}}`: both are read.

A request without the right secret (compared in constant time) gets 403 and nothing is read; a body that is
not JSON, or JSON nested deeper than an update can be, gets 400. Otherwise Zalo gets 200 at once and the update is queued in `ZaloUpdates` — the poller's
own handling: the same repeat check, and each chat's messages answered in order, one at a time.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.zalo import ZaloClient, ZaloError
from bot.zalo_receiver import ZaloUpdates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # a text message is a few kilobytes


MAX_JSON_DEPTH = 32  # an update nests four levels; anything deeper is not from Zalo


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH):
    """The JSON in `raw`, or ValueError — also for nesting deeper than `max_depth`. The standard parser
    stops at the interpreter's recursion limit with RecursionError (which would be a 500): that is a 400
    too, and what it parsed is then walked, without recursion, to hold it to `max_depth`."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ValueError(f"JSON nested deeper than {max_depth} levels")
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return body


def webhook_path(url: str) -> str:
    """The route of the HTTP server that receives the webhook: the path of ZALO_WEBHOOK_URL."""
    return "/" + urlsplit(url).path.strip("/")


def updates_of(body: object) -> list[dict]:
    """The updates in a posted body: one update, one wrapped in {"ok", "result"}, or a list of them."""
    if isinstance(body, dict) and "result" in body and "message" not in body:
        body = body["result"]
    items = body if isinstance(body, list) else [body]
    return [u for u in items if isinstance(u, dict)]


def webhook_route(updates: ZaloUpdates, settings):
    """A `web.feeds.make_app` hook adding POST <path of ZALO_WEBHOOK_URL>."""
    expected = (settings.zalo_webhook_secret or "").encode()
    path = webhook_path(settings.zalo_webhook_url)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return web.Response(status=413)
        try:
            body = parse_json(await request.read())
        except ValueError:
            return web.Response(status=400)
        for update in updates_of(body):
            updates.submit(update)
        return web.json_response({"ok": True})

    def hook(app: web.Application) -> None:
        app.router.add_post(path, receive)

    return hook


class WebhookKeeper:
    """Sets the webhook at start, trying again with backoff while Zalo cannot be reached (the HTTP server
    keeps serving meanwhile: the feeds must not wait for Zalo)."""

    def __init__(self, client: ZaloClient, settings, *, first_backoff: float = 1.0):
        self.client = client
        self.first_backoff = first_backoff
        self.url = settings.zalo_webhook_url
        self.secret = settings.zalo_webhook_secret
        self._task: asyncio.Task | None = None
        self.done = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._set(), name="zalo setWebhook")

    async def _set(self) -> None:
        backoff = self.first_backoff
        while True:
            try:
                await self.client.set_webhook(self.url, self.secret)
            except ZaloError as e:
                log.error("Zalo setWebhook(%s) failed (%s); trying again in %.0fs", self.url, e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 300.0)
                continue
            log.info("Zalo: receiving messages by webhook at %s", self.url)
            self.done.set()
            return

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping
                pass
