"""Updates from different chats handled concurrently, each chat's in order (xử lý song song theo nhóm).

python-telegram-bot handles one update at a time by default: a reply to a group waits for that group's
flood limit (20 messages a minute), so 30 `/help` from one group held every other chat's answer for half a
minute — anyone who adds the bot to a group could stall it. `PerChatUpdateProcessor` (a
`telegram.ext.BaseUpdateProcessor`, given to `ApplicationBuilder.concurrent_updates`) runs updates of
different chats at the same time and keeps the order within a chat (a reply to a prompt must follow the
prompt; a button pressed twice is handled twice in order).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at once over all chats. Each waits on its own chat's lock or flood limit, not on others'.
MAX_CONCURRENT_UPDATES = 256


def chat_key(update: object) -> object:
    """The chat an update belongs to (its user for updates without a chat; None: no order to keep)."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """One update at a time per chat; chats in parallel (up to `max_concurrent_updates`)."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES):
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # the last one out forgets the chat: no lock per chat ever seen
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
