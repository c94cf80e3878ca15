"""The fake Bot API server speaks enough Telegram for the real python-telegram-bot stack."""

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

from tests.fake_telegram import FakeTelegram


def _seconds(value) -> float:
    """RetryAfter.retry_after is an int today and a timedelta in a future python-telegram-bot."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


async def test_a_real_application_receives_commands_and_button_presses():
    async with FakeTelegram() as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()

        async def hello(update, context):
            await update.effective_chat.send_message(
                f"Xin chào {update.effective_user.first_name}",
                reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]]))

        async def pressed(update, context):
            await update.callback_query.answer("Đã nhận")
            await update.callback_query.edit_message_text("Đã bấm")

        app.add_handler(CommandHandler("hello", hello))
        app.add_handler(CallbackQueryHandler(pressed))
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            tg.push_message(-100, 7, "/hello", first_name="Lan")
            await tg.wait_for(lambda: tg.messages_to(-100))
            sent = tg.messages_to(-100)[0]
            assert sent["text"] == "Xin chào Lan"
            assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok"

            tg.press_button(-100, 7, sent["message_id"], "ok")
            await tg.wait_for(lambda: tg.edits)
            assert tg.callback_answers[0]["text"] == "Đã nhận"
            assert tg.message(-100, sent["message_id"])["text"] == "Đã bấm"
            await app.updater.stop()
            await app.stop()


async def test_injected_failures_surface_as_telegram_errors():
    async with FakeTelegram() as tg:
        bot = Bot(tg.token, base_url=tg.base_url)
        async with bot:
            tg.fail_next("sendMessage", 429, retry_after=3)
            with pytest.raises(RetryAfter) as err:
                await bot.send_message(1, "x")
            assert _seconds(err.value.retry_after) == 3
            tg.fail_next("sendMessage", 403, chat_id=-5)
            await bot.send_message(-6, "another chat is fine")
            with pytest.raises(Forbidden):
                await bot.send_message(-5, "kicked")
            assert tg.too_many_requests == 1
            assert [m["chat"]["id"] for m in tg.sent] == [-6]


async def test_flood_limits_answer_429_when_a_private_chat_gets_two_messages_in_a_second():
    async with FakeTelegram(enforce_limits=True) as tg:
        bot = Bot(tg.token, base_url=tg.base_url)
        async with bot:
            await bot.send_message(42, "one")
            with pytest.raises(RetryAfter):
                await bot.send_message(42, "two")
            await bot.send_message(43, "another private chat is fine")
            assert tg.too_many_requests == 1


async def test_group_limit_is_twenty_per_minute():
    async with FakeTelegram(enforce_limits=True) as tg:
        bot = Bot(tg.token, base_url=tg.base_url)
        async with bot:
            for i in range(20):
                await bot.send_message(-1001, f"m{i}")
            with pytest.raises(RetryAfter) as err:
                await bot.send_message(-1001, "one too many")
            assert _seconds(err.value.retry_after) >= 1


def test_runs_in_a_thread_for_subprocess_tests():
    import httpx

    with FakeTelegram.in_thread() as tg:
        r = httpx.post(f"{tg.base_url}{tg.token}/sendMessage", data={"chat_id": "5", "text": "hi"})
        assert r.json()["ok"] is True
        tg.wait_until(lambda: tg.sent)
        assert tg.texts_to(5) == ["hi"]
        r = httpx.post(f"{tg.base_url}wrong/getMe")
        assert r.status_code == 401
