"""Issue 18, item 8: a group upgraded to a supergroup, through the bot's handler (end to end).

Before: the handler moved the bindings but not the outbox history, so the same messages were sent again
to the supergroup; and it failed with an internal error when the supergroup already had the same binding.
Now bindings and history move together and merge with what the new id already has."""

from __future__ import annotations

import time
from collections import Counter

from sqlmodel import select

from bot.texts import t
from dondoc.wiring import make_scheduler
from jobs.scheduler import invalidate_for_binding
from storage.tables import ChatBinding, Notification
from tests.bot_harness import ALICE, FOCAL_CHAT, bot  # noqa: F401 - the fixture
from tests.factories import make_binding
from tests.test_dispatcher import ScriptedChannel

SUPERGROUP = -100777


async def migrate(bot, old: int, new: int, *, from_new_side: bool = False) -> dict:
    chat, field, value = (new, "migrate_from_chat_id", old) if from_new_side else (old, "migrate_to_chat_id", new)
    update = bot.tg._push({"message": {
        "message_id": 9000, "date": int(time.time()), "chat": {"id": chat, "type": "supergroup" if from_new_side
                                                                else "group", "title": "Đầu mối"},
        "from": {"id": ALICE, "is_bot": False, "first_name": "Lan"}, field: value}})
    await bot.tg.wait_for(lambda: update["update_id"] in bot.processed)
    return update


def outbox(bot, chat: int) -> list[Notification]:
    with bot.session() as s:
        return list(s.exec(select(Notification).where(Notification.chat == f"telegram:{chat}")))


def bindings(bot, chat: int) -> list[tuple[str, str, bool]]:
    with bot.session() as s:
        return sorted((b.agency, b.role, b.active) for b in s.exec(select(ChatBinding).where(
            ChatBinding.chat_id == str(chat))))


async def test_migration_moves_history_and_nothing_is_sent_twice(bot):
    channel = ScriptedChannel()
    scheduler = make_scheduler(bot.engine, bot.settings, bot.clock, {"telegram": channel})
    await scheduler.tick()
    before = channel.texts_to(FOCAL_CHAT)
    assert before  # the group had its messages
    sent_keys = {(r.task_key, r.occurrence, r.step) for r in outbox(bot, FOCAL_CHAT) if r.status == "sent"}
    await migrate(bot, FOCAL_CHAT, SUPERGROUP)
    assert bindings(bot, FOCAL_CHAT) == [] and bindings(bot, SUPERGROUP) == [("so-noi-vu", "focal", True)]
    assert outbox(bot, FOCAL_CHAT) == []
    assert {(r.task_key, r.occurrence, r.step) for r in outbox(bot, SUPERGROUP) if r.status == "sent"} == sent_keys
    bot.clock.advance(minutes=1)
    await scheduler.tick()
    assert channel.texts_to(SUPERGROUP) == []  # the supergroup is the same people: nothing again
    await migrate(bot, FOCAL_CHAT, SUPERGROUP, from_new_side=True)  # Telegram's second service message
    assert bindings(bot, SUPERGROUP) == [("so-noi-vu", "focal", True)]


async def test_migration_onto_a_chat_that_already_has_the_binding_merges(bot):
    channel = ScriptedChannel()
    scheduler = make_scheduler(bot.engine, bot.settings, bot.clock, {"telegram": channel})
    await scheduler.tick()
    with bot.session() as s:  # the supergroup was linked too (an invite redeemed there), with its own rows
        make_binding(s, chat_id=SUPERGROUP, agency="so-noi-vu", role="focal", now=bot.clock.now(), language="en")
        invalidate_for_binding(s, "so-noi-vu", "focal")
        s.commit()
    scheduler.plan(bot.clock.now())  # the supergroup's own copies of the same messages: pending
    assert [r.status for r in outbox(bot, SUPERGROUP)] and all(r.status == "pending" for r in outbox(bot, SUPERGROUP))
    oops = t("vi", "internal_error")
    sent_before = len(bot.tg.sent)
    await migrate(bot, FOCAL_CHAT, SUPERGROUP)
    assert oops not in [m.get("text") for m in bot.tg.sent[sent_before:]]
    assert bindings(bot, FOCAL_CHAT) == [] and bindings(bot, SUPERGROUP) == [("so-noi-vu", "focal", True)]
    with bot.session() as s:
        (b,) = s.exec(select(ChatBinding).where(ChatBinding.chat_id == str(SUPERGROUP))).all()
        assert b.language == "en"  # the target's own settings stay
    rows = outbox(bot, SUPERGROUP)
    keys = Counter((r.task_key, r.occurrence, r.step) for r in rows)
    assert max(keys.values()) == 1  # no duplicates
    assert all(r.status == "sent" for r in rows)  # the group's sent history won over the pending copies
    bot.clock.advance(minutes=1)
    await scheduler.tick()
    assert channel.texts_to(SUPERGROUP) == []
