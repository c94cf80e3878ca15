"""Channels: the console one prints, the Telegram one speaks the Bot API (a fake server on 127.0.0.1) and
maps its errors to what the dispatcher does about them."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import datetime

import pytest

from bot.buttons import Button
from jobs.ports import ChatGone, ChatMoved, PermanentDeliveryError, RetryLater, TransientDeliveryError
from bot.channels import ConsoleChannel, PerChatLimiter, TelegramChannel, is_private_chat
from core.clock import FixedClock
from dondoc.settings import load_settings
from tests.conftest import VN
from tests.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-TOKEN"
BUTTONS = [[Button("✅ Hoàn thành", "d.1.o.1..sig"), Button("👀 Đã nhận", "a.1.o.1..sig")]]


async def test_console_channel_prints_chat_text_and_buttons():
    out = io.StringIO()
    ch = ConsoleChannel(out, describe=lambda cid: "Sở Nội vụ · cán bộ đầu mối",
                        clock=FixedClock(datetime(2018, 6, 7, 8, 0, tzinfo=VN)), tz=VN)
    mid = await ch.send("-1001", "⏰ Nhắc hạn: còn 7 ngày\nMã: T1", BUTTONS)
    assert mid == "console-1"
    printed = out.getvalue()
    assert "07/06/2018 08:00 → telegram:-1001 (Sở Nội vụ · cán bộ đầu mối)" in printed
    assert "⏰ Nhắc hạn: còn 7 ngày\nMã: T1" in printed
    assert "[✅ Hoàn thành]  [👀 Đã nhận]" in printed
    assert await ch.send("-1001", "again") == "console-2"


@pytest.fixture
async def tg():
    async with FakeTelegram(TOKEN) as fake:
        yield fake


@pytest.fixture
async def channel(tg):
    settings = load_settings(environ={}, dotenv_path=None, telegram_bot_token=TOKEN, telegram_base_url=tg.base_url)
    ch = TelegramChannel(settings)
    await ch.start()
    yield ch
    await ch.stop()


async def test_telegram_sends_text_and_inline_buttons(tg, channel):
    mid = await channel.send("-1001", "⏰ Nhắc hạn: còn 7 ngày", BUTTONS)
    [m] = tg.messages_to(-1001)
    assert mid == str(m["message_id"]) and m["text"] == "⏰ Nhắc hạn: còn 7 ngày"
    keyboard = m["reply_markup"]["inline_keyboard"]
    assert [[(b["text"], b["callback_data"]) for b in row] for row in keyboard] == [
        [("✅ Hoàn thành", "d.1.o.1..sig"), ("👀 Đã nhận", "a.1.o.1..sig")]]


async def test_telegram_sends_a_chart_as_a_photo(tg, channel):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    mid = await channel.send_photo("-1003", png, filename="2018-Q2.png")
    [photo] = tg.photos
    assert photo["chat_id"] == -1003 and mid == str(photo["message"]["message_id"])
    assert photo["content"] == png


@pytest.mark.parametrize("status, description, error", [
    (429, None, RetryLater),
    (500, None, TransientDeliveryError),
    (502, None, TransientDeliveryError),
    (403, "Forbidden: bot was kicked from the group chat", ChatGone),
    (403, "Forbidden: bot was blocked by the user", ChatGone),
    (400, "Bad Request: chat not found", ChatGone),
    (400, "Bad Request: message is too long", PermanentDeliveryError),
])
async def test_telegram_errors_map_to_what_the_dispatcher_does(tg, channel, status, description, error):
    tg.fail_next("sendMessage", status, retry_after=7 if status == 429 else None, description=description,
                 chat_id=-1001)
    with pytest.raises(error) as e:
        await channel.send("-1001", "xin chào")
    if status == 429:
        assert e.value.seconds == 7
    assert tg.sent == []
    assert await channel.send("-1001", "xin chào") == str(tg.sent[0]["message_id"])  # the next one goes


async def test_group_migrated_to_supergroup():
    from telegram.error import ChatMigrated

    class Migrated:  # what python-telegram-bot raises when Telegram answers with migrate_to_chat_id
        async def send_message(self, **kwargs):
            raise ChatMigrated(-1009999)

    settings = load_settings(environ={}, dotenv_path=None, telegram_bot_token=TOKEN)
    with pytest.raises(ChatMoved) as e:
        await TelegramChannel(settings, bot=Migrated()).send("-1001", "x")
    assert e.value.new_chat_id == "-1009999"


async def test_network_failure_is_transient():
    settings = load_settings(environ={}, dotenv_path=None, telegram_bot_token=TOKEN,
                             telegram_base_url="http://127.0.0.1:9/bot")  # nothing listens on port 9
    ch = TelegramChannel(settings)
    with pytest.raises(TransientDeliveryError):
        await ch.send("-1001", "x")


async def test_private_chats_get_at_most_one_message_a_second():
    async with FakeTelegram(TOKEN, enforce_limits=True) as tg:
        settings = load_settings(environ={}, dotenv_path=None, telegram_bot_token=TOKEN, telegram_base_url=tg.base_url)
        ch = TelegramChannel(settings)
        await ch.start()
        try:
            t0 = time.monotonic()
            for i in range(3):
                await ch.send("4242", f"tin {i}")
            elapsed = time.monotonic() - t0
        finally:
            await ch.stop()
        assert len(tg.messages_to(4242)) == 3 and tg.too_many_requests == 0
        assert elapsed >= 2.0  # spaced by the limiter, not refused by Telegram


def test_private_chat_ids():
    assert is_private_chat("4242") and not is_private_chat("-1001") and not is_private_chat("@kenh")


async def test_a_fresh_limiter_waits_one_interval_for_what_a_killed_predecessor_may_have_sent():
    lim = PerChatLimiter(per_second=5, margin=0)
    t0 = time.monotonic()
    await lim.wait("1")
    assert time.monotonic() - t0 >= 0.19  # the process before it may have sent to this chat just now


async def test_per_chat_limiter_only_delays_the_same_chat():
    lim = PerChatLimiter(per_second=5, margin=0)
    await asyncio.sleep(0.2)  # past the start-up interval (previous test)
    t0 = time.monotonic()
    await lim.wait("1")
    await asyncio.sleep(0.1)  # a slow send: the interval counts again from its end
    lim.finished("1")
    await lim.wait("2")
    assert time.monotonic() - t0 < 0.15
    await lim.wait("1")
    assert time.monotonic() - t0 >= 0.29
