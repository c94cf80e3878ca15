"""Channels (kênh gửi tin): the chat platforms the dispatcher sends through, implementing `jobs.ports.Channel`
(what `send` returns and raises is said there).

`ConsoleChannel` prints each message with its chat and buttons (used when TELEGRAM_BOT_TOKEN is unset);
`TelegramChannel` sends through python-telegram-bot with Telegram's flood limits enforced before sending:
`AIORateLimiter` (overall per second, per group per minute) plus a per-private-chat limit it lacks.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import time
from typing import Callable, TextIO

from jobs.ports import (
    UPLOAD, Channel, ChatGone, ChatMoved, PermanentDeliveryError, RetryLater, TransientDeliveryError,
)

log = logging.getLogger(__name__)


# -- console --------------------------------------------------------------------------------------------------

class ConsoleChannel(Channel):
    """Prints each message with its chat (id and what it is linked to) and its buttons.

    `describe(chat_id)` says what a chat is linked to (e.g. "Sở Nội vụ · cán bộ đầu mối"); `clock` gives
    the time printed in the header (dondoc's clock, which may be a replayed one).
    """

    def __init__(self, stream: TextIO | None = None, *, platform: str = "telegram",
                 describe: Callable[[str], str] | None = None, clock=None, tz=None):
        self.stream = stream
        self.platform = platform
        self.describe = describe
        self.clock = clock
        self.tz = tz
        self._ids = itertools.count(1)
        self.sent: list[tuple[str, str, list]] = []  # (chat_id, text, buttons), for tests and demos

    async def send(self, chat_id: str, text: str, buttons=None) -> str:
        stream = self.stream or sys.stdout
        header = f"{self.platform}:{chat_id}"
        if self.describe is not None:
            try:
                what = self.describe(chat_id)
            except Exception:  # describing is a courtesy; it must never lose a message
                what = ""
            if what:
                header += f" ({what})"
        if self.clock is not None:
            now = self.clock.now()
            if self.tz is not None:
                now = now.astimezone(self.tz)
            header = now.strftime("%d/%m/%Y %H:%M") + " → " + header
        lines = [f"── {header} " + "─" * max(3, 60 - len(header)), text]
        for row in buttons or []:
            lines.append("   " + "  ".join(f"[{b.label}]" for b in row))
        stream.write("\n".join(lines) + "\n\n")
        stream.flush()
        self.sent.append((str(chat_id), text, [list(r) for r in buttons or []]))
        return f"console-{next(self._ids)}"


# -- Telegram -------------------------------------------------------------------------------------------------

class PerChatLimiter:
    """At most `per_second` messages per second to one private chat (Telegram's limit that AIORateLimiter
    does not know about). Waits, never refuses; spacing has a small margin for network jitter. `finished`
    counts the interval again from the end of a send: a message held up elsewhere (the overall limit, a
    slow connection) then never reaches Telegram too close to the next one."""

    def __init__(self, per_second: float = 1.0, margin: float = 0.05):
        self.interval = (1.0 / per_second) * (1 + margin)
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # A process that has just started cannot know what the one before it (killed a moment ago) sent:
        # a chat it has not sent to yet counts as sent to at start. Costs one interval, once, after a start.
        self._first_ready = time.monotonic() + self.interval

    async def wait(self, chat_id: str) -> None:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            ready = self._next.get(chat_id, self._first_ready)
            if ready > now:
                await asyncio.sleep(ready - now)
            self._next[chat_id] = max(now, ready) + self.interval
        self._prune()

    def finished(self, chat_id: str) -> None:
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), time.monotonic() + self.interval)

    def _prune(self) -> None:
        if len(self._next) > 10_000:  # forget chats idle long enough to have no effect
            cutoff = time.monotonic()
            for k in [k for k, v in self._next.items() if v < cutoff]:
                self._next.pop(k, None)
                if not self._locks[k].locked():
                    self._locks.pop(k, None)


def is_private_chat(chat_id: str) -> bool:
    """Telegram: users have positive ids, groups and channels negative ones."""
    try:
        return int(chat_id) > 0
    except ValueError:
        return False


class TelegramChannel(Channel):
    platform = "telegram"
    pictures = UPLOAD  # the quarterly summary's chart goes after its text

    def __init__(self, settings, bot=None, limits=None):
        self.settings = settings
        self._bot = bot
        self._own_bot = bot is None
        self._private = PerChatLimiter(settings.rate_private_per_second)
        # jobs.flood.SharedFloodLimits on PostgreSQL: the flood limits shared with the other dispatcher
        # processes (the in-memory limiters above only see this process's messages).
        self._limits = limits

    def _build_bot(self):
        from telegram.ext import AIORateLimiter, ExtBot
        from telegram.request import HTTPXRequest

        from jobs.flood import group_limit

        group = group_limit(self.settings.rate_group_per_minute)

        rate = float(self.settings.rate_overall_per_second)
        burst = max(1.0, min(rate, 5.0))
        limiter = AIORateLimiter(
            # RATE_OVERALL_PER_SECOND in small bursts (5 per 1/6 s for 30/s), not 30 at once: requests queued
            # behind new connections reach Telegram bunched up, and a whole second's burst then looks too fast.
            overall_max_rate=burst, overall_time_period=burst / rate,
            # jobs.flood.group_limit: burst and rate share the rolling minute (never more than RATE_GROUP_PER_MINUTE).
            group_max_rate=group.burst, group_time_period=group.burst * group.interval,
            max_retries=0,  # retries are persisted in the outbox, not slept on here
        )
        # One connection per concurrently served chat; timeouts short enough that a hung request is retried.
        request = HTTPXRequest(connection_pool_size=128, read_timeout=15, write_timeout=15, connect_timeout=10,
                               pool_timeout=30)
        return ExtBot(self.settings.telegram_bot_token, base_url=self.settings.telegram_base_url,
                      request=request, rate_limiter=limiter)

    @property
    def bot(self):
        if self._bot is None:
            self._bot = self._build_bot()
        return self._bot

    async def start(self) -> None:
        if self._own_bot:
            await self.bot.initialize()

    async def stop(self) -> None:
        if self._own_bot and self._bot is not None:
            await self._bot.shutdown()

    async def send(self, chat_id: str, text: str, buttons=None) -> str:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
        from telegram import error as tg

        markup = None
        if buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                           for row in buttons])
        if self._limits is not None:
            await self._limits.wait(chat_id)
        elif is_private_chat(chat_id):
            await self._private.wait(chat_id)
        try:
            message = await self.bot.send_message(chat_id=_as_chat_id(chat_id), text=text, reply_markup=markup,
                                                  link_preview_options=LinkPreviewOptions(is_disabled=True))
            if self._limits is not None:
                await self._limits.after_send(chat_id)
        except tg.RetryAfter as e:
            # `_retry_after` is always a timedelta (the public property's type depends on a PTB setting).
            ra = getattr(e, "_retry_after", None)
            seconds = ra.total_seconds() if ra is not None else float(e.retry_after)
            raise RetryLater(seconds, str(e)) from e
        except tg.ChatMigrated as e:
            raise ChatMoved(str(e.new_chat_id), str(e)) from e
        except tg.Forbidden as e:
            raise ChatGone(str(e)) from e
        except tg.BadRequest as e:
            msg = str(e).lower()
            if any(s in msg for s in ("chat not found", "bot was kicked", "user is deactivated", "group chat was deleted",
                                      "not enough rights to send", "have no rights to send", "need administrator rights")):
                raise ChatGone(str(e)) from e
            raise PermanentDeliveryError(str(e)) from e
        except (tg.TimedOut, tg.NetworkError) as e:  # TimedOut is a NetworkError; 5xx arrive as NetworkError
            raise TransientDeliveryError(str(e) or type(e).__name__) from e
        except tg.TelegramError as e:  # e.g. InvalidToken: a configuration problem, retried with backoff
            raise TransientDeliveryError(f"{type(e).__name__}: {e}") from e
        finally:
            if self._limits is None and is_private_chat(chat_id):
                self._private.finished(chat_id)
        return str(message.message_id)

    async def send_photo(self, chat_id: str, png: bytes, filename: str = "chart.png") -> str:
        """A picture (the quarterly summary's chart), under the same flood limits as a message."""
        from telegram import InputFile

        if self._limits is not None:
            await self._limits.wait(chat_id)
        elif is_private_chat(chat_id):
            await self._private.wait(chat_id)
        message = await self.bot.send_photo(chat_id=_as_chat_id(chat_id), photo=InputFile(png, filename=filename))
        return str(message.message_id)


def _as_chat_id(chat_id: str):
    try:
        return int(chat_id)
    except ValueError:
        return chat_id  # "@channelusername"
