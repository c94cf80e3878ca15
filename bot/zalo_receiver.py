"""Receiving from Zalo: the per-update handling (`ZaloUpdates`) and long polling (`ZaloReceiver`).

Zalo's polling and webhook exclude each other: the receiver removes a webhook left set before it polls;
with ZALO_WEBHOOK_URL the HTTP server's route (web.zalo_webhook) submits each posted update to the same
`ZaloUpdates` instead. One update per answer, an empty wait answered 408 (see `ZaloClient.get_updates`). A
message seen twice (the platform may repeat one after a network error) is handled once. Group chats are
ignored unless ZALO_GROUPS_ENABLED (Zalo announced groups but has not opened them). One chat's messages are
handled in the order they came, one at a time: a reply must follow the message it answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from bot.notices import tell
from bot.zalo import LINKED, PLATFORM, STRANGER, ZaloChannel, ZaloError
from bot.zalo_commands import Incoming, ZaloConversation

log = logging.getLogger(__name__)

SEEN_MESSAGES = 5000  # message ids remembered to drop a repeated update
MAX_CONCURRENT_UPDATES = 64  # webhook updates handled at once over all chats (each chat's one at a time)


class ZaloUpdates:
    """What to do with one update, the same for the poller and the webhook: read it (repeats, groups and
    non-text events dropped), answer it through the commands, deliver the replies and notices."""

    def __init__(self, deps, channel: ZaloChannel, channels: dict | None = None):
        self.d = deps
        self.channel = channel
        self.channels = channels or {PLATFORM: channel}
        self.conversation = ZaloConversation(deps)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tails: dict[str, asyncio.Task] = {}  # chat → its last queued update (the next one waits for it)
        self._running: set[asyncio.Task] = set()
        self._limit = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)

    def read(self, update: dict) -> Incoming | None:
        """The message to answer, or None (not a text message, a repeat, no chat, a group while disabled).
        No I/O: the webhook calls it before answering Zalo."""
        if not isinstance(update, dict):
            return None
        message = update.get("message") or {}
        if not isinstance(message, dict):
            return None
        text = message.get("text")
        if not isinstance(text, str) or update.get("event_name", "message.text.received") != "message.text.received":
            return None
        message_id = str(message.get("message_id") or "")
        if message_id:
            if message_id in self._seen:
                return None
            self._seen[message_id] = None
            if len(self._seen) > SEEN_MESSAGES:
                self._seen.popitem(last=False)
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if not isinstance(chat, dict) or not isinstance(sender, dict):
            return None
        chat_id = str(chat.get("id") or "")
        if not chat_id:
            return None
        if str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP":
            if not self.d.settings.zalo_groups_enabled:
                log.info("Zalo: ignored a message from group %s (ZALO_GROUPS_ENABLED=false)", chat_id)
                return None
            chat_id = "g:" + chat_id
        return Incoming(chat_id=chat_id, user_id=str(sender.get("id") or chat_id),
                        name=str(sender.get("display_name") or sender.get("first_name") or sender.get("name") or ""),
                        text=text[:4000])

    async def handle_update(self, update: dict) -> None:
        """Read and answer one update now (the poller: one after another)."""
        incoming = self.read(update)
        if incoming is not None:
            await self.answer(incoming)

    def submit(self, update: dict) -> bool:
        """Queue one update to be answered after the earlier ones of its chat (the webhook: Zalo gets its 200
        at once). False when there is nothing to answer."""
        incoming = self.read(update)
        if incoming is None:
            return False
        previous = self._tails.get(incoming.chat_id)
        task = asyncio.create_task(self._after(previous, incoming), name=f"zalo update {incoming.chat_id}")
        self._tails[incoming.chat_id] = task
        self._running.add(task)
        task.add_done_callback(lambda t, chat=incoming.chat_id: self._done(chat, t))
        return True

    async def _after(self, previous: asyncio.Task | None, incoming: Incoming) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own: logged there
        async with self._limit:
            try:
                await self.answer(incoming)
            except Exception:  # noqa: BLE001 - one bad update must not stop the chat's next ones
                log.exception("Zalo: could not handle an update")

    def _done(self, chat_id: str, task: asyncio.Task) -> None:
        self._running.discard(task)
        if self._tails.get(chat_id) is task:  # the chat's last one: forget the chat
            del self._tails[chat_id]

    async def drain(self, grace: float = 30.0) -> None:
        """Let queued updates finish (up to `grace` seconds), then cancel the rest."""
        pending = set(self._running)
        if not pending:
            return
        done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("Zalo: %d message(s) not answered before stopping", len(late))
            await asyncio.wait(late)

    async def answer(self, incoming: Incoming) -> None:
        replies = await asyncio.to_thread(self.conversation.handle_text, incoming)
        chat_id = incoming.chat_id
        for reply in replies:
            await self._deliver(chat_id, reply.text, STRANGER if reply.stranger else LINKED)
            if reply.photo is not None:
                await self._deliver_photo(chat_id, *reply.photo)
            for target, notice, rows in reply.notify:
                await self._notify(target, notice, rows)

    async def _deliver(self, chat_id: str, text: str, priority: int = LINKED) -> None:
        try:
            await self.channel.send(chat_id, text, priority=priority)
        except Exception:  # noqa: BLE001 - a reply that cannot go out is logged, not retried
            log.exception("Zalo: could not answer chat %s", chat_id)

    async def _deliver_photo(self, chat_id: str, url: str, caption: str) -> None:
        """A picture after a reply's text (the /report chart): best effort, the text already carries the figures."""
        try:
            await self.channel.send_photo_url(chat_id, url, caption)
        except Exception as e:  # noqa: BLE001
            log.warning("Zalo: the picture for chat %s was not sent (%s); the text was", chat_id, e)

    async def _notify(self, target: str, text: str, rows) -> None:
        """Notices after an action: plain ids are Telegram chats (flows lists those), "zalo:…" our own."""
        await tell(self.channels, target, text, rows, after="a Zalo action")


class ZaloReceiver:
    """Long polling: `getUpdates` in a loop, each update handled before the next is asked for."""

    def __init__(self, deps, channel: ZaloChannel, channels: dict | None = None, *, poll_timeout: int = 30,
                 updates: ZaloUpdates | None = None):
        self.channel = channel
        self.updates = updates or ZaloUpdates(deps, channel, channels)
        self.poll_timeout = poll_timeout
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        try:
            info = await self.channel.client.call("getWebhookInfo")
            if (info or {}).get("url"):
                log.warning("Zalo: a webhook was set (%s); removing it to receive by polling", info.get("url"))
                await self.channel.client.delete_webhook()
        except ZaloError as e:
            log.warning("Zalo: could not check the webhook (%s); polling anyway", e)
        self._task = asyncio.create_task(self._poll(), name="zalo receiver")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping
                pass

    async def handle_update(self, update: dict) -> None:
        await self.updates.handle_update(update)

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                updates = await self.channel.client.get_updates(self.poll_timeout)
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except ZaloError as e:
                level = logging.ERROR if e.code == 401 else logging.WARNING
                log.log(level, "Zalo getUpdates failed (%s); trying again in %.0fs", e, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            for update in updates:
                try:
                    await self.updates.handle_update(update)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - one bad update must not stop the receiver
                    log.exception("Zalo: could not handle an update")
