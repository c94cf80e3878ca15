"""Issue 18, item 2: one group never stalls the bot for everyone (end to end, real python-telegram-bot
against the fake Bot API).

Before: updates were handled one at a time, so after 30 /help from one group a focal chat's /tasks was
answered 30 s later (the replies to the group waited for its 20-a-minute limit). Now chats are handled
concurrently, each chat's updates in order, and an unlinked chat hears "not linked" once per 5 minutes."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session

import tests.bot_harness as harness
from bot.texts import t
from bot.updates import PerChatUpdateProcessor, chat_key
from tests.bot_harness import FOCAL_CHAT, MANAGER_CHAT, STRANGER_CHAT, seed
from tests.fake_telegram import FakeTelegram


class GatedTelegram(FakeTelegram):
    """sendMessage to the gated chats waits until the gate opens: a chat whose replies Telegram holds
    back (its flood limit) or whose handler is slow."""

    gated: set[int] = set()
    gate: asyncio.Event | None = None

    async def _api_sendMessage(self, params):
        chat = int(params.get("chat_id"))
        if chat in self.gated and self.gate is not None:
            await self.gate.wait()
        return super()._api_sendMessage(params)


@pytest.fixture
async def gated_bot(db_url, engine, monkeypatch):
    with Session(engine) as s:
        seed(s)
    monkeypatch.setattr(harness, "FakeTelegram", GatedTelegram)
    GatedTelegram.gated, GatedTelegram.gate = {MANAGER_CHAT}, asyncio.Event()
    running = await harness.start(db_url, engine)
    try:
        yield running
    finally:
        GatedTelegram.gate.set()
        await harness.stop(running)


async def test_a_flood_from_one_group_and_a_prompt_answer_in_another(gated_bot):
    bot = gated_bot
    # 12: more than the 10 a group may get at once, so the last two wait for the limiter's spread share (20 a
    # minute: one every 6 s) — answered, not lost
    flood = [bot.tg.push_message(MANAGER_CHAT, harness.BOB, "/help") for _ in range(12)]
    r = await bot.say(FOCAL_CHAT, "/tasks")  # sequential handling would wait for all 30
    assert "Sở Nội vụ" in r.text and "5099-1" in r.text
    assert bot.tg.texts_to(MANAGER_CHAT) == []  # the group is still waiting: it did not hold the others
    GatedTelegram.gate.set()
    await bot.tg.wait_for(lambda: all(u["update_id"] in bot.processed for u in flood), timeout=60)
    replies = bot.tg.messages_to(MANAGER_CHAT)
    assert len(replies) == 12  # each answered, none lost


async def test_a_flood_from_an_unlinked_group_costs_one_reply(db_url, engine):
    with Session(engine) as s:
        seed(s)
    bot = await harness.start(db_url, engine)  # the real AIORateLimiter (20 a minute per group)
    try:
        flood = [bot.tg.push_message(STRANGER_CHAT, harness.MALLORY, "/help") for _ in range(30)]
        r = await bot.say(FOCAL_CHAT, "/overdue")
        assert r.to(FOCAL_CHAT)
        await bot.tg.wait_for(lambda: all(u["update_id"] in bot.processed for u in flood), timeout=10)
        assert bot.tg.texts_to(STRANGER_CHAT) == [t("vi", "unlinked")]
        bot.clock.advance(minutes=5)
        r = await bot.say(STRANGER_CHAT, "/help")
        assert r.texts() == [t("vi", "unlinked")]  # five minutes later: told again, once
    finally:
        await harness.stop(bot)


async def test_updates_of_one_chat_keep_their_order():
    proc = PerChatUpdateProcessor(16)
    order: list[tuple[str, int]] = []

    class U:  # chat_key() only needs effective_chat / effective_user on a telegram Update
        pass

    async def handle(chat: str, n: int, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append((chat, n))

    from telegram import Chat, Message, Update

    def update(uid: int, chat_id: int) -> Update:
        from datetime import datetime, timezone

        return Update(uid, message=Message(uid, datetime.now(timezone.utc), Chat(chat_id, "group")))

    jobs = []
    for n in range(5):  # chat A's first update is the slowest: the later ones must still come after it
        jobs.append(proc.process_update(update(n, -1), handle("A", n, 0.05 if n == 0 else 0)))
        jobs.append(proc.process_update(update(100 + n, -2), handle("B", n, 0)))
    await asyncio.gather(*jobs)
    assert [n for c, n in order if c == "A"] == list(range(5))
    assert [n for c, n in order if c == "B"] == list(range(5))
    assert order.index(("B", 4)) < order.index(("A", 0))  # B did not wait for A's slow one
    assert chat_key(object()) is None and proc._locks == {}
