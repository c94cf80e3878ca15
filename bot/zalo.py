"""Zalo (Zalo Bot Platform): the HTTP client, the channel the dispatcher sends through, and text helpers.

Zalo's Bot API is modelled on Telegram's (`<ZALO_BASE_URL><TOKEN>/<method>`, JSON in, `{"ok", "result"}`
or `{"ok": false, "error_code", "description"}` out) but is mostly plain text: no inline buttons, 2,000
characters a message, pictures only by URL (`sendPhoto`: Zalo fetches the picture; no upload, no
documents, so no XLSX), private chats today (groups announced: gated by ZALO_GROUPS_ENABLED).

We talk to it with httpx rather than the `python-zalo-bot` package: that package is a renamed fork of
python-telegram-bot (a second copy of PTB's machinery for six HTTP calls) whose long-polling helper reads
one update per call; six documented POSTs are easier to keep correct, and the tests drive this very
client against a fake of the documented API.

Errors map onto the dispatcher's `DeliveryError`s like Telegram's: 429 "Quota exceeded" → RetryLater,
5xx/timeouts → TransientDeliveryError, 403/404 (blocked, unknown user) → ChatGone, 401 (bad token) →
TransientDeliveryError (a configuration problem, retried with backoff and logged), other 4xx →
PermanentDeliveryError.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from typing import Any

import httpx

from jobs.ports import LINK, Channel, ChatGone, PermanentDeliveryError, RetryLater, TransientDeliveryError

log = logging.getLogger(__name__)

PLATFORM = "zalo"
TEXT_LIMIT = 2000


class ZaloError(Exception):
    def __init__(self, code: int, description: str):
        self.code = int(code)
        self.description = description
        super().__init__(f"Zalo error {code}: {description}")


class ZaloClient:
    """The documented Bot API calls, each a POST with a JSON body."""

    def __init__(self, token: str, base_url: str = "https://bot-api.zaloplatforms.com/bot", *,
                 timeout: float = 15.0, client: httpx.AsyncClient | None = None):
        self.token = token
        self.base_url = base_url
        self._client = client
        self._own = client is None
        self._timeout = timeout

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        if self._own and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        url = f"{self.base_url}{self.token}/{method}"
        try:
            response = await self.client.post(url, json=params or {},
                                              timeout=timeout if timeout is not None else self._timeout)
        except httpx.TimeoutException as e:
            raise ZaloError(504, f"timeout: {type(e).__name__}") from e
        except httpx.HTTPError as e:
            raise ZaloError(503, f"network: {type(e).__name__}") from e
        try:
            body = response.json()
        except ValueError:
            raise ZaloError(response.status_code if response.status_code >= 400 else 502,
                            "answer is not JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            code = body.get("error_code") if isinstance(body, dict) else None
            desc = body.get("description") if isinstance(body, dict) else None
            raise ZaloError(int(code or response.status_code or 500), str(desc or "error"))
        return body.get("result")

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:
        """Long polling: the updates that arrived (none when the wait ended empty)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloError as e:
            if e.code == 408:  # the documented answer of a wait that ended with nothing new
                return []
            raise
        if not result:
            return []
        return list(result) if isinstance(result, list) else [result]

    async def send_message(self, chat_id: str, text: str) -> str:
        result = await self.call("sendMessage", {"chat_id": str(chat_id), "text": text})
        return str((result or {}).get("message_id", ""))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> str:
        """A picture by URL: Zalo's servers fetch it (the Bot API takes no upload and has no documents)."""
        params = {"chat_id": str(chat_id), "photo": photo_url}
        if caption:
            params["caption"] = caption[:TEXT_LIMIT]
        result = await self.call("sendPhoto", params)
        return str((result or {}).get("message_id", ""))

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict[str, Any]:
        return await self.call("deleteWebhook")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut `text` at line boundaries into pieces of at most `limit` characters (a line longer than the
    limit is cut at a space, else hard). No piece is empty."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            head, line = line[:cut].rstrip(), line[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = line if not current else current + "\n" + line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [text[:limit] or " "]


def is_group_chat(chat_id: str) -> bool:
    """Zalo chat ids do not say what they are; dondoc stores group bindings with a "g:" prefix."""
    return str(chat_id).startswith("g:")


LINKED, STRANGER = 0, 1  # send priorities: a member's message goes before any refusal to an unlinked chat


class _Spacing:
    """At most `per_second` messages per second overall (Zalo publishes no figure; we stay conservative).

    Each free slot goes to the waiter of the best priority (then the earliest): a queue of refusals to
    strangers never delays a linked chat's reply or a reminder by more than the one message already going."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._waiting: list[list] = []  # heap of [priority, order, future]
        self._order = itertools.count()
        self._pump: asyncio.Task | None = None

    async def wait(self, priority: int = LINKED) -> None:
        entry = [priority, next(self._order), asyncio.get_running_loop().create_future()]
        heapq.heappush(self._waiting, entry)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run(), name="zalo send spacing")
        await entry[2]

    def waiting(self, priority: int) -> int:
        return sum(1 for e in self._waiting if e[0] == priority and not e[2].done())

    async def _run(self) -> None:
        while self._waiting:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            while self._waiting:
                _priority, _order, fut = heapq.heappop(self._waiting)
                if not fut.done():  # a cancelled waiter gives its turn on
                    fut.set_result(None)
                    self._next = max(time.monotonic(), self._next) + self.interval
                    break


class ZaloChannel(Channel):
    """Sends outbox messages to Zalo chats. Buttons become one-line text commands at the end of the message
    (Zalo has no inline buttons); a text over 2,000 characters goes as several messages, split at lines."""

    platform = PLATFORM
    accepts_meta = True  # the dispatcher passes the outbox key, task and binding
    pictures = LINK  # sendPhoto takes a URL Zalo fetches (no upload): the chart goes as a signed console link

    def __init__(self, settings, client: ZaloClient | None = None, *, task_key_of=None, lang_of=None):
        self.settings = settings
        self.client = client or ZaloClient(settings.zalo_bot_token, settings.zalo_base_url)
        self._spacing = _Spacing(settings.zalo_rate_per_second)
        # task id → key (the buttons' payloads carry the id; the commands need the key), chat → language
        self.task_key_of = task_key_of
        self.lang_of = lang_of

    async def stop(self) -> None:
        await self.client.aclose()

    async def send(self, chat_id: str, text: str, buttons=None, *, priority: int = LINKED, **meta) -> str:
        """`priority` STRANGER: an answer to an unlinked chat, sent only when no linked chat's message waits."""
        if is_group_chat(chat_id) and not self.settings.zalo_groups_enabled:
            raise PermanentDeliveryError("Zalo group chats are disabled (ZALO_GROUPS_ENABLED=false)")
        from bot.zalo_commands import commands_footer

        key = None
        if buttons and self.task_key_of is not None:
            key = self.task_key_of(_task_id_of(buttons))
        lang = self.lang_of(chat_id) if self.lang_of is not None else None
        footer = commands_footer(buttons, lang, key)
        body = text + ("\n\n" + footer if footer else "")
        ids: list[str] = []
        for piece in split_text(body):
            await self._spacing.wait(priority)
            try:
                ids.append(await self.client.send_message(_platform_id(chat_id), piece))
            except ZaloError as e:
                if ids:  # part of the message is out: count it delivered rather than repeat the first part
                    log.warning("Zalo %s: message sent in part (%d pieces) before %s", chat_id, len(ids), e)
                    break
                raise _delivery_error(e) from e
        return ids[0] if ids else ""

    async def send_photo_url(self, chat_id: str, url: str, caption: str | None = None) -> str:
        """A picture Zalo fetches from `url` (public: Zalo's servers must reach it), errors mapped as for text."""
        if is_group_chat(chat_id) and not self.settings.zalo_groups_enabled:
            raise PermanentDeliveryError("Zalo group chats are disabled (ZALO_GROUPS_ENABLED=false)")
        await self._spacing.wait()
        try:
            return await self.client.send_photo(_platform_id(chat_id), url, caption)
        except ZaloError as e:
            raise _delivery_error(e) from e


def _task_id_of(buttons) -> int | None:
    from bot.buttons import _from_b36

    for row in buttons:
        for b in row:
            parts = (b.data or "").split(".")
            if len(parts) >= 2 and parts[1]:
                try:
                    return _from_b36(parts[1])
                except ValueError:
                    continue
    return None


def _platform_id(chat_id: str) -> str:
    return chat_id[2:] if is_group_chat(chat_id) else chat_id


def _delivery_error(e: ZaloError) -> Exception:
    if e.code == 429:
        return RetryLater(60.0, e.description)
    if e.code >= 500 or e.code in (401, 408):
        return TransientDeliveryError(str(e))
    if e.code in (403, 404):
        return ChatGone(str(e))
    return PermanentDeliveryError(str(e))
