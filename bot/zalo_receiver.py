"""Receiving from Zalo: long polling (`getUpdates`) and handing each text message to the commands.

Zalo's polling and webhook exclude each other: the receiver removes a webhook left set before it polls.
One update per answer, an empty wait answered 408 (see `ZaloClient.get_updates`). A message seen twice
(the platform may repeat one after a network error) is handled once. Group chats are ignored unless
ZALO_GROUPS_ENABLED (Zalo announced groups but has not opened them).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from bot.zalo import PLATFORM, ZaloChannel, ZaloError
from bot.zalo_commands import Incoming, ZaloConversation

log = logging.getLogger(__name__)


class ZaloReceiver:
    def __init__(self, deps, channel: ZaloChannel, channels: dict | None = None, *, poll_timeout: int = 30):
        self.d = deps
        self.channel = channel
        self.channels = channels or {PLATFORM: channel}
        self.conversation = ZaloConversation(deps)
        self.poll_timeout = poll_timeout
        self._task: asyncio.Task | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()

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
                    await self.handle_update(update)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - one bad update must not stop the receiver
                    log.exception("Zalo: could not handle an update")

    async def handle_update(self, update: dict) -> None:
        message = update.get("message") or {}
        text = message.get("text")
        if not isinstance(text, str) or update.get("event_name", "message.text.received") != "message.text.received":
            return
        message_id = str(message.get("message_id") or "")
        if message_id:
            if message_id in self._seen:
                return
            self._seen[message_id] = None
            if len(self._seen) > 5000:
                self._seen.popitem(last=False)
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        chat_id = str(chat.get("id") or "")
        if not chat_id:
            return
        if str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP":
            if not self.d.settings.zalo_groups_enabled:
                log.info("Zalo: ignored a message from group %s (ZALO_GROUPS_ENABLED=false)", chat_id)
                return
            chat_id = "g:" + chat_id
        incoming = Incoming(chat_id=chat_id, user_id=str(sender.get("id") or chat_id),
                            name=str(sender.get("display_name") or sender.get("first_name") or sender.get("name") or ""),
                            text=text[:4000])
        replies = await asyncio.to_thread(self.conversation.handle_text, incoming)
        for reply in replies:
            await self._deliver(chat_id, reply.text)
            if reply.photo is not None:
                await self._deliver_photo(chat_id, *reply.photo)
            for target, notice, rows in reply.notify:
                await self._notify(target, notice, rows)

    async def _deliver(self, chat_id: str, text: str) -> None:
        try:
            await self.channel.send(chat_id, text)
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
        platform, qualified, rest = target.partition(":")
        if qualified and platform in self.channels:
            channel, chat_id = self.channels[platform], rest
        else:
            channel, chat_id = self.channels.get("telegram"), target
        if channel is None:
            log.warning("no channel to tell %s after a Zalo action", target)
            return
        try:
            await channel.send(chat_id, text, rows)
        except Exception:  # noqa: BLE001
            log.exception("could not tell %s after a Zalo action", target)
