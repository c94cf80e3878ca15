"""A fake Zalo Bot API server on 127.0.0.1, following the documented requests and answers.

Zalo's Bot Platform (`https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>`, every method a POST with a
JSON body) answers `{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": "..."}`.
This fake implements getMe, getUpdates (long polling: one update per answer, `result` an object, or
`{"ok": false, "error_code": 408}` when the wait ends empty), setWebhook / deleteWebhook / getWebhookInfo
(polling and webhook exclude each other), sendMessage (1-2,000 characters), sendPhoto, sendChatAction; a
wrong token gets 401 "Unauthorized"; `fail_next` injects any error, e.g. 429 "Quota exceeded".
`post_webhook` plays Zalo's side of webhook mode: it POSTs an update to the path of the URL given to
setWebhook, with the secret given there in X-Bot-Api-Secret-Token.

    async with FakeZalo() as zalo:           # or: with FakeZalo.in_thread() as zalo:
        settings = ... ZALO_BASE_URL=zalo.base_url, ZALO_BOT_TOKEN=zalo.token
        zalo.push_text(chat_id="u1", text="/tasks", name="Nguyễn Văn A")
        await zalo.wait_for(lambda: zalo.texts_to("u1"))
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from tests.fake_server import ServedFake

TEXT_LIMIT = 2000


@dataclass
class _Failure:
    method: str
    code: int
    description: str
    remaining: int


class FakeZalo(ServedFake):
    name = "fake Zalo Bot API"

    def __init__(self, token: str = "1459232241454765289:fake-zalo-token", *, can_join_groups: bool = False,
                 quota_per_second: float | None = None):
        """`quota_per_second`: answer sendMessage with 429 "Quota exceeded" when messages come faster (a
        token bucket holding one second's worth), as a platform quota would."""
        self.token = token
        self.quota_per_second = quota_per_second
        self.quota_exceeded = 0
        self._bucket = (quota_per_second or 0.0, time.monotonic())
        self.can_join_groups = can_join_groups
        self.host = "127.0.0.1"
        self.port = 0
        self.sent: list[dict[str, Any]] = []
        self.calls_log: list[tuple[str, dict[str, Any]]] = []
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}
        self._updates: asyncio.Queue | None = None
        self._pending: list[dict[str, Any]] = []
        self._polling = 0  # getUpdates calls waiting
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- what the tests look at --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    def messages_to(self, chat_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat_id"] == str(chat_id)]

    def texts_to(self, chat_id: str) -> list[str]:
        return [m["text"] for m in self.messages_to(chat_id)]

    def photos_to(self, chat_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages_to(chat_id) if "photo" in m]

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.calls_log if m == method]

    def fail_next(self, method: str, code: int, description: str = "", *, times: int = 1) -> None:
        self._failures.append(_Failure(method, code, description or _DESCRIPTIONS.get(code, "Error"), times))

    def text_update(self, chat_id: str, text: str, *, user_id: str | None = None, name: str = "Người dùng",
                    chat_type: str = "PRIVATE") -> dict[str, Any]:
        """The update Zalo makes when a person writes `text` to the bot (a private chat unless GROUP)."""
        return {
            "event_name": "message.text.received",
            "message": {
                "chat": {"id": str(chat_id), "chat_type": chat_type},
                "text": text,
                "message_id": f"in{next(self._ids):018d}",
                "date": int(time.time() * 1000),
                "from": {"id": str(user_id or chat_id), "display_name": name, "is_bot": False},
            },
        }

    def push_text(self, chat_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
        """A person writes `text` to the bot: the update waits for `getUpdates` (polling)."""
        update = self.text_update(chat_id, text, **kwargs)
        if self._loop is not None and self._updates is not None:
            self._loop.call_soon_threadsafe(self._updates.put_nowait, update)
        else:
            self._pending.append(update)
        return update

    async def post_webhook(self, update: dict[str, Any], local_base: str, *, secret: str | None = "registered",
                           wrap: bool = False) -> int:
        """Zalo delivers `update` to the webhook set with setWebhook: a POST to the path of its URL, sent to
        `local_base` (the dondoc HTTP server on 127.0.0.1 standing in for the public host), with the registered
        secret in X-Bot-Api-Secret-Token (`secret`: another value, or None for no header). The HTTP status."""
        from urllib.parse import urlsplit

        import aiohttp

        url = self.webhook["url"]
        assert url, "no webhook set"
        headers = {}
        token = self.webhook["secret_token"] if secret == "registered" else secret
        if token is not None:
            headers["X-Bot-Api-Secret-Token"] = token
        body = {"ok": True, "result": update} if wrap else update
        async with aiohttp.ClientSession() as session:
            async with session.post(local_base.rstrip("/") + urlsplit(url).path, json=body, headers=headers) as r:
                return r.status

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            await asyncio.sleep(interval)

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(interval)

    # -- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> "FakeZalo":
        self._loop = asyncio.get_running_loop()
        self._updates = asyncio.Queue()
        for u in self._pending:
            self._updates.put_nowait(u)
        self._pending.clear()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            # long polls still waiting end now (408), so that shutting down does not wait out their 30 s
            for _ in range(self._polling):
                self._updates.put_nowait(None)
            await self._runner.cleanup()
            self._runner = None

    # -- the API ----------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(400, "Bad Request: body is not JSON")
        params = params or {}
        self.calls_log.append((method, params))
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        failure = self._take_failure(method)
        if failure is not None:
            return _error(failure.code, failure.description)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method}")
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str) -> _Failure | None:
        for f in self._failures:
            if f.method == method and f.remaining > 0:
                f.remaining -= 1
                if f.remaining == 0:
                    self._failures.remove(f)
                return f
        return None

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.token.split(":")[0], "account_name": "bot.dondoc", "account_type": "BASIC",
                "can_join_groups": self.can_join_groups}

    async def _api_getUpdates(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        if self.webhook["url"]:
            return _error(409, "Conflict: webhook is active, use deleteWebhook first")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            return _error(400, "Bad Request: timeout")
        assert self._updates is not None
        self._polling += 1
        try:
            update = await asyncio.wait_for(self._updates.get(), timeout=min(timeout, 30))
        except asyncio.TimeoutError:
            update = None
        finally:
            self._polling -= 1
        return update if update is not None else _error(408, "Request timeout")

    def _api_setWebhook(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        url, secret = str(params.get("url") or ""), params.get("secret_token")
        if not url.startswith("https://"):
            return _error(400, "Bad Request: url must be HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return _error(400, "Bad Request: secret_token must have 8 to 256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        return {"url": url, "updated_at": int(time.time() * 1000)}

    def _api_deleteWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        self.webhook = {"url": "", "secret_token": None}
        return {"url": "", "updated_at": int(time.time() * 1000)}

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook["url"], "updated_at": int(time.time() * 1000)}

    def _send(self, params: dict[str, Any], **extra: Any) -> dict[str, Any] | web.Response:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(400, "Bad Request: chat_id is required")
        message_id = f"{next(self._ids):020x}"
        record = {"chat_id": chat_id, "message_id": message_id, **extra}
        self.sent.append(record)
        return {"message_id": message_id, "date": int(time.time() * 1000)}

    def _over_quota(self) -> bool:
        if not self.quota_per_second:
            return False
        tokens, last = self._bucket
        now = time.monotonic()
        tokens = min(self.quota_per_second, tokens + (now - last) * self.quota_per_second)
        if tokens < 1.0:
            self._bucket = (tokens, now)
            self.quota_exceeded += 1
            return True
        self._bucket = (tokens - 1.0, now)
        return False

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        if self._over_quota():
            return _error(429, "Quota exceeded")
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= TEXT_LIMIT:
            return _error(400, f"Bad Request: text must have 1 to {TEXT_LIMIT} characters")
        return self._send(params, text=text)

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        # Documented: chat_id, photo (a URL Zalo fetches the picture from), caption of 1-2,000 characters.
        if self._over_quota():
            return _error(429, "Quota exceeded")
        photo, caption = params.get("photo"), params.get("caption")
        if not isinstance(photo, str) or not photo:
            return _error(400, "Bad Request: photo is required")
        if caption is not None and (not isinstance(caption, str) or not 1 <= len(caption) <= TEXT_LIMIT):
            return _error(400, f"Bad Request: caption must have 1 to {TEXT_LIMIT} characters")
        return self._send(params, photo=photo, caption=caption, text=caption or "")

    def _api_sendChatAction(self, params: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True})


_DESCRIPTIONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                 429: "Quota exceeded", 500: "Internal Server Error", 502: "Bad Gateway"}


def _error(code: int, description: str) -> web.Response:
    # Zalo answers errors in the body with the HTTP status matching error_code.
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
