"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and benchmarks.

The real python-telegram-bot stack talks to it over HTTP (set the bot's base URL to `fake.base_url`). It
records what the bot did (messages sent, edited, callback answers, commands, webhook), queues updates the
tests make up (a user's message, a button press) for `getUpdates`, injects failures (429 with retry_after,
5xx, 403) and can enforce Telegram's flood limits (30 messages/s overall, 20/min per group, 1/s per private
chat), answering 429 like Telegram does when a sender goes faster.

Use it in an async test:

    async with FakeTelegram() as tg:
        app = build_application(settings(telegram_base_url=tg.base_url, ...))
        tg.push_message(chat_id=-100, user_id=7, text="/help")
        await tg.wait_for(lambda: tg.messages_to(-100))

or, for a `dondoc run` subprocess, in a background thread:

    with FakeTelegram.in_thread(enforce_limits=True) as tg:
        ...  # start the process with TELEGRAM_BASE_URL=tg.base_url
        tg.wait_until(lambda: len(tg.sent) >= 10, timeout=30)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from tests.fake_server import ServedFake

# Parameters whose value is a plain string; every other value was JSON-encoded by python-telegram-bot.
_STRING_FIELDS = {
    "text", "caption", "callback_query_id", "url", "secret_token", "language_code", "parse_mode",
    "description", "short_description", "ip_address", "name", "filename", "inline_message_id", "file_id",
}

SENDING_METHODS = {"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"}


@dataclass
class _Failure:
    method: str
    status: int
    retry_after: int | None
    description: str | None
    remaining: int
    chat_id: int | str | None


class _Bucket:
    """A token bucket: `capacity` messages at once, refilled at `rate` per second.

    It models "at most N messages per period" on average, as Telegram's flood control does; `slack`
    forgives tiny clock differences between the sender's limiter and this server.
    """

    def __init__(self, capacity: float, rate: float, slack: float = 0.05):
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = time.monotonic()
        self.slack = slack

    def take(self) -> float:
        """Take one token; return 0 if allowed, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1 - self.slack:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FakeTelegram(ServedFake):
    name = "fake Telegram Bot API"

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "dondoc_test_bot",
        enforce_limits: bool = False,
        overall_per_second: int = 30,
        group_per_minute: int = 20,
        private_per_second: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.enforce_limits = enforce_limits
        self._limits = (overall_per_second, group_per_minute, private_per_second)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.reset()

    # -- records ------------------------------------------------------------------------------------
    def reset(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []  # accepted sendMessage / sendDocument calls, as stored messages
        self.edits: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.photos: list[dict[str, Any]] = []  # accepted sendPhoto calls: chat_id, content (bytes), message
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.too_many_requests = 0  # 429s answered because of flood limits or injected
        self.rejected: list[tuple[str, int, dict[str, Any]]] = []  # (method, status, params)
        self.chat_admins: dict[int, set[int]] = {}  # chat id → user ids getChatMember calls "administrator"
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, content), served by getFile + /file/
        self._failures: list[_Failure] = []
        self._updates: list[dict[str, Any]] = []
        self._confirmed = 0
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._overall = _Bucket(self._limits[0], self._limits[0])
        self._per_chat: dict[int, _Bucket] = {}
        self._new_update: asyncio.Event | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        cid = _chat_id(chat_id)
        return [m for m in self.sent if m["chat"]["id"] == cid]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages_to(chat_id)]

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """The message as it stands now (edits applied)."""
        return self._messages.get((_chat_id(chat_id), message_id))

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.requests if m == method]

    # -- failure injection --------------------------------------------------------------------------
    def fail_next(self, method: str, status: int, *, retry_after: int | None = None, description: str | None = None,
                  count: int = 1, chat_id: int | str | None = None) -> None:
        """Answer the next `count` calls of `method` (to `chat_id`, if given) with an error."""
        with self._lock:
            self._failures.append(_Failure(method, status, retry_after, description, count,
                                           None if chat_id is None else _chat_id(chat_id)))

    # -- updates the tests make up -----------------------------------------------------------------
    def push_message(self, chat_id: int | str, user_id: int, text: str, *, chat_type: str | None = None,
                     first_name: str = "Người dùng", last_name: str | None = None, username: str | None = None,
                     language_code: str | None = "vi", chat_title: str | None = None,
                     reply_to_message_id: int | None = None) -> dict[str, Any]:
        cid = _chat_id(chat_id)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(cid, chat_type, chat_title, first_name),
            "from": _user(user_id, first_name, last_name, username, language_code),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to_message_id is not None:
            replied = self._messages.get((cid, reply_to_message_id))
            if replied:
                message["reply_to_message"] = replied
        self._messages[(cid, message["message_id"])] = message
        return self._push({"message": message})

    def push_document(self, chat_id: int | str, user_id: int, filename: str, content: bytes, *,
                      caption: str | None = None, mime_type: str | None = None, file_size: int | None = None,
                      reply_to_message_id: int | None = None, **sender: Any) -> dict[str, Any]:
        """A person sends a file (a Telegram "document"), optionally with a caption and as a reply. The bytes are
        then served by getFile and the file download URL, as Telegram serves them. `file_size`: what Telegram
        says the size is (the real size when omitted)."""
        n = len(self.files) + 1
        file_id = f"BQAC-doc-{n}"
        self.files[file_id] = (f"documents/file_{n}{_ending(filename)}", content)
        document = {"file_id": file_id, "file_unique_id": f"u{n}", "file_name": filename,
                    "mime_type": mime_type or "application/octet-stream",
                    "file_size": len(content) if file_size is None else file_size}
        return self._push_file(chat_id, user_id, {"document": document}, caption, reply_to_message_id, sender)

    def push_photo(self, chat_id: int | str, user_id: int, content: bytes, *, caption: str | None = None,
                   reply_to_message_id: int | None = None, **sender: Any) -> dict[str, Any]:
        """A person sends a picture (Telegram recompresses it to JPEG and sends sizes; this one has one size)."""
        n = len(self.files) + 1
        file_id = f"AgAC-photo-{n}"
        self.files[file_id] = (f"photos/file_{n}.jpg", content)
        sizes = [{"file_id": file_id, "file_unique_id": f"p{n}", "width": 1280, "height": 960,
                  "file_size": len(content)}]
        return self._push_file(chat_id, user_id, {"photo": sizes}, caption, reply_to_message_id, sender)

    def _push_file(self, chat_id, user_id, media: dict[str, Any], caption: str | None,
                   reply_to_message_id: int | None, sender: dict[str, Any]) -> dict[str, Any]:
        cid = _chat_id(chat_id)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(cid, sender.get("chat_type"), sender.get("chat_title"), sender.get("first_name")),
            "from": _user(user_id, sender.get("first_name", "Người dùng"), sender.get("last_name"),
                          sender.get("username"), sender.get("language_code", "vi")),
            **media,
        }
        if caption is not None:
            message["caption"] = caption
            if caption.startswith("/"):
                message["caption_entities"] = [{"type": "bot_command", "offset": 0,
                                                "length": len(caption.split()[0])}]
        if reply_to_message_id is not None:
            replied = self._messages.get((cid, reply_to_message_id))
            if replied:
                message["reply_to_message"] = replied
        self._messages[(cid, message["message_id"])] = message
        return self._push({"message": message})

    def press_button(self, chat_id: int | str, user_id: int, message_id: int, data: str, *,
                     first_name: str = "Người dùng", last_name: str | None = None, username: str | None = None,
                     language_code: str | None = "vi") -> dict[str, Any]:
        cid = _chat_id(chat_id)
        message = self._messages.get((cid, message_id)) or {
            "message_id": message_id, "date": int(time.time()), "chat": _chat(cid, None, None, None), "text": "",
        }
        query = {
            "id": str(next(self._callback_ids)),
            "from": _user(user_id, first_name, last_name, username, language_code),
            "chat_instance": f"ci{cid}",
            "data": data,
            "message": message,
        }
        return self._push({"callback_query": query})

    def _push(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **payload}
        with self._lock:
            self._updates.append(update)
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # -- waiting ------------------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s; last requests: {self.requests[-5:]}")
            await asyncio.sleep(interval)

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> "FakeTelegram":
        self._loop = asyncio.get_running_loop()
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the Bot API --------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _read_params(request)
        with self._lock:
            self.requests.append((method, params))
        failure = self._take_failure(method, params)
        if failure is not None:
            self.rejected.append((method, failure.status, params))
            if failure.status == 429:
                self.too_many_requests += 1
            return _error(failure.status, failure.description or _DEFAULT_DESCRIPTIONS.get(failure.status, "Error"),
                          retry_after=failure.retry_after)
        if self.enforce_limits and method in SENDING_METHODS:
            wait = self._flood_wait(_chat_id(params.get("chat_id")))
            if wait > 0:
                self.too_many_requests += 1
                self.rejected.append((method, 429, params))
                retry = max(1, int(wait + 0.999))
                return _error(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        """GET /file/bot<token>/<file_path>: a file's bytes, as api.telegram.org/file/ serves them."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        with self._lock:
            self.requests.append(("download", {"file_path": request.match_info["path"]}))
        for path, content in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        found = self.files.get(str(params.get("file_id") or ""))
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        path, content = found
        if len(content) > 20 * 1024 * 1024:  # the Bot API's own download limit
            return _error(400, "Bad Request: file is too big")
        return {"file_id": params["file_id"], "file_unique_id": "u" + str(params["file_id"]),
                "file_size": len(content), "file_path": path}

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        with self._lock:
            for f in self._failures:
                if f.method == method and (f.chat_id is None or f.chat_id == _chat_id(params.get("chat_id"))):
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self._failures.remove(f)
                    return f
        return None

    def _flood_wait(self, chat_id: int) -> float:
        overall, group_per_minute, private_per_second = self._limits
        bucket = self._per_chat.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                bucket = _Bucket(group_per_minute, group_per_minute / 60.0)
            else:
                bucket = _Bucket(private_per_second, private_per_second)
            self._per_chat[chat_id] = bucket
        wait_chat = bucket.take()
        if wait_chat > 0:
            return wait_chat
        wait_all = self._overall.take()
        if wait_all > 0:
            bucket.tokens += 1  # the message was not sent: give the chat its token back
        return wait_all

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "dondoc", "username": self.bot_username,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + min(timeout, 2.0)  # short polls keep tests quick to stop
        while True:
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            assert self._new_update is not None
            self._new_update.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(0.0, deadline - time.monotonic()))

    def _store_message(self, params: dict[str, Any], **fields: Any) -> dict[str, Any]:
        cid = _chat_id(params.get("chat_id"))
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(cid, None, None, None),
            "from": self._bot_user(),
            **fields,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif markup is not None:
            # Telegram returns only inline keyboards in the Message; ForceReply & co. are kept for tests to see.
            message["sent_reply_markup"] = markup
        self._messages[(cid, message["message_id"])] = message
        self.sent.append(message)
        return message

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if "text" not in params or not str(params["text"]).strip():
            return _error(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            return _error(400, "Bad Request: message is too long")
        return self._store_message(params, text=params["text"])

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        document = params.get("document")
        fields: dict[str, Any] = {"document": {"file_id": f"doc{len(self.documents) + 1}", "file_unique_id": "u",
                                               "file_name": getattr(document, "filename", None)}}
        if params.get("caption"):
            fields["caption"] = params["caption"]
        message = self._store_message(params, **fields)
        self.documents.append({"chat_id": message["chat"]["id"], "filename": getattr(document, "filename", None),
                               "content": getattr(document, "content", None), "message": message})
        return message

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = params.get("photo")
        n = len(self.photos) + 1
        fields: dict[str, Any] = {"photo": [{"file_id": f"photo{n}", "file_unique_id": f"p{n}", "width": 90,
                                             "height": 90}]}
        if params.get("caption"):
            fields["caption"] = params["caption"]
        message = self._store_message(params, **fields)
        self.photos.append({"chat_id": message["chat"]["id"], "content": getattr(photo, "content", None),
                            "message": message})
        return message

    def _edit(self, params: dict[str, Any], **changes: Any) -> dict[str, Any] | web.Response:
        key = (_chat_id(params.get("chat_id")), int(params.get("message_id") or 0))
        message = self._messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        updated = dict(message, **changes, edit_date=int(time.time()))
        if "reply_markup" in params:
            updated["reply_markup"] = params["reply_markup"]
        elif "reply_markup" in updated and "text" in changes:
            updated.pop("reply_markup")  # Telegram drops the keyboard when an edit does not repeat it
        self._messages[key] = updated
        self.edits.append({"chat_id": key[0], "message_id": key[1], **changes,
                           "reply_markup": params.get("reply_markup")})
        return updated

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        return self._edit(params, text=params.get("text", ""))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        return self._edit(params)

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(params)
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        return _chat(_chat_id(params.get("chat_id")), None, None, None)

    def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = int(params.get("user_id") or 0)
        admin = user_id in self.chat_admins.get(_chat_id(params.get("chat_id")), set())
        return {"status": "administrator" if admin else "member", "user": _user(user_id, "Người dùng", None, None, "vi"),
                **({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                    "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
                    "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                    "can_edit_stories": False, "can_delete_stories": False} if admin else {})}

    def _api_leaveChat(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was kicked from the group chat",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            params.update(await request.json())
        return params
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if hasattr(value, "file"):  # an uploaded file
                params[key] = _Upload(value.filename, value.file.read())
            else:
                params[key] = value
    for key, value in list(params.items()):
        if isinstance(value, str) and key not in _STRING_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    # python-telegram-bot sends `attach://name` for files inside multipart; resolve them.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value[len("attach://"):], value)
    return params


@dataclass
class _Upload:
    filename: str | None
    content: bytes


def _ending(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def _chat_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _chat(chat_id: int, chat_type: str | None, title: str | None, first_name: str | None) -> dict[str, Any]:
    kind = chat_type or ("supergroup" if chat_id < 0 else "private")
    chat: dict[str, Any] = {"id": chat_id, "type": kind}
    if kind == "private":
        chat["first_name"] = first_name or "Người dùng"
    else:
        chat["title"] = title or f"Nhóm {chat_id}"
    return chat


def _user(user_id: int, first_name: str, last_name: str | None, username: str | None,
          language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user
