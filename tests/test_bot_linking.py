"""Linking a chat with an invite code, /help, /lang, and what an unlinked chat hears (end to end)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot import invites
from bot.i18n import role_label
from bot.texts import COMMANDS, t
from core.i18n import _
from storage.actions import Actor
from storage.tables import ChatBinding, InviteCode, Task
from tests.bot_harness import (  # noqa: F401 — `bot` is a fixture
    ADMIN, ALICE, FOCAL_CHAT, NOW, OVERSIGHT_CHAT, STRANGER_CHAT, bot,
)


def make_code(bot, agency="so-y-te", role="focal", expires=timedelta(days=7)) -> str:
    with bot.session() as s:
        code, _ = invites.create_invite(s, agency, role, Actor("admin", None, "cli"), bot.clock.now(), expires)
        s.commit()
    return code


async def test_unlinked_chat_gets_explanation_and_nothing_else(bot):
    for command in ("/help", "/tasks", "/task 5099-1", "/done 5099-1", "/overdue", "/summary", "/ics", "/feed"):
        bot.clock.advance(minutes=5)  # at most one "not linked" per 5 minutes (UNLINKED_REPLY_EVERY)
        r = await bot.say(STRANGER_CHAT, command)
        assert r.texts() == [t("vi", "unlinked")], (command, r.text)
        assert "5099" not in r.text and "Rà soát" not in r.text
        r = await bot.say(STRANGER_CHAT, command)
        assert r.sent == [], command  # said once: silence until the 5 minutes are over
    bot.clock.advance(minutes=5)
    r = await bot.say(STRANGER_CHAT, "/help", language_code="en")
    assert r.text == t("en", "unlinked") and "not linked to any agency" in r.text


async def test_start_without_code_in_private_chat_welcomes(bot):
    r = await bot.say(4242, "/start", chat_type="private")
    assert r.text == t("vi", "welcome") + "\n\n" + t("vi", "unlinked") and "Xin chào" in r.text


async def test_link_with_invite_code_binds_chat_and_replans(bot):
    code = make_code(bot)
    with bot.session() as s:
        t4 = s.exec(select(Task).where(Task.key == "5099-4")).one()
        t4.next_check_at = NOW + timedelta(days=30)
        s.add(t4)
        s.commit()
    r = await bot.say(STRANGER_CHAT, f"/start@dondoc_test_bot {code}", chat_title="Đầu mối Sở Y tế")
    assert r.text == t("vi", "linked", agency="Sở Y tế", role="cán bộ đầu mối")
    assert "Đã liên kết nhóm này với Sở Y tế — vai trò cán bộ đầu mối" in r.text
    with bot.session() as s:
        (b,) = s.exec(select(ChatBinding).where(ChatBinding.chat_id == str(STRANGER_CHAT))).all()
        assert (b.agency, b.role, b.title) == ("so-y-te", "focal", "Đầu mối Sở Y tế")
        invite = s.exec(select(InviteCode)).one()
        assert invite.used_by_chat == f"telegram:{STRANGER_CHAT}" and invite.code_hash != code
    assert bot.task("5099-4").next_check_at is None  # its reminders now have somewhere to go
    assert bot.task("5099-1").next_check_at is None  # (untouched: factories leave it None)
    entry = bot.audit()[-1]
    assert (entry.action, entry.actor_id, entry.source, entry.detail["agency"]) == (
        "binding.linked", str(ALICE), "telegram", "so-y-te")
    # the chat now sees its agency's tasks
    r = await bot.say(STRANGER_CHAT, "/tasks")
    assert "5099-4" in r.text and "5099-1" not in r.text
    # the code is single-use
    r = await bot.say(-2000, f"/link {code}")
    assert r.text == t("vi", "invite_used")


async def test_bad_codes(bot):
    r = await bot.say(STRANGER_CHAT, "/link")
    assert r.text == t("vi", "link_usage")
    r = await bot.say(STRANGER_CHAT, "/link abc")
    assert r.text == t("vi", "invite_malformed")
    r = await bot.say(STRANGER_CHAT, "/link " + "x" * 20, language_code="en")
    assert r.text == t("en", "invite_unknown") and "not known" in r.text
    expired = make_code(bot, expires=timedelta(hours=1))
    bot.clock.advance(hours=2)
    r = await bot.say(STRANGER_CHAT, f"/link {expired}")
    assert r.text == t("vi", "invite_expired", when="10:00 01/06/2018")
    with bot.session() as s:
        assert s.exec(select(ChatBinding).where(ChatBinding.chat_id == str(STRANGER_CHAT))).all() == []


async def test_relinking_an_already_linked_chat_keeps_the_code(bot):
    code = make_code(bot, agency="so-noi-vu", role="focal")
    r = await bot.say(FOCAL_CHAT, f"/link {code}")
    assert r.text == t("vi", "already_linked", agency="Sở Nội vụ", role="cán bộ đầu mối")
    with bot.session() as s:
        assert s.exec(select(InviteCode)).one().used_at is None


async def test_help_lists_what_the_chat_can_do(bot):
    r = await bot.say(FOCAL_CHAT, "/help")
    assert f"Sở Nội vụ — {role_label('focal', 'vi')}" in r.text and "/done" in r.text and "/summary" not in r.text
    assert "/done — " + _(dict((n, d) for n, d, _r in COMMANDS)["done"], lang="vi") in r.text
    assert t("vi", "help_buttons") in r.text and "✅ Hoàn thành" in r.text
    r = await bot.say(OVERSIGHT_CHAT, "/help", language_code="en")
    assert "Văn phòng UBND tỉnh — oversight body" in r.text and "/summary" in r.text and "/done" not in r.text
    assert "/lang — " + _("Language: /lang {choices}", lang="en", choices="vi | en") in r.text
    r = await bot.say(STRANGER_CHAT, "/help", user_id=ADMIN)
    assert r.text.endswith(t("vi", "help_admin"))


async def test_lang_switches_the_chat(bot):
    r = await bot.say(FOCAL_CHAT, "/lang fr")
    assert r.text == t("vi", "lang_usage", choices="vi | en") == "Cách dùng: /lang vi | en"
    r = await bot.say(FOCAL_CHAT, "/lang en")
    assert r.text == t("en", "lang_set") == "I will now answer this chat in English."
    r = await bot.say(FOCAL_CHAT, "/help")  # a Vietnamese-speaking user: the chat's choice wins
    assert t("en", "help_linked", bindings="", commands="").split("\n")[-2] in r.text  # "What you can do here:"
    r = await bot.say(FOCAL_CHAT, "/lang vi", language_code="en")
    assert r.text == t("vi", "lang_set") and "tiếng Việt" in r.text
    assert bot.audit()[-1].action == "binding.language"
    r = await bot.say(STRANGER_CHAT, "/lang en")
    assert r.text == t("en", "unlinked")


async def test_commands_menu_is_registered_in_both_languages(bot):
    import json

    default = bot.tg.commands[(json.dumps({"type": "default"}), "")]
    en = bot.tg.commands[(json.dumps({"type": "default"}), "en")]
    vi = bot.tg.commands[(json.dumps({"type": "default"}), "vi")]
    names = [c["command"] for c in vi]
    for name in ("help", "tasks", "task", "upcoming", "overdue", "done", "progress", "extend", "ics", "feed",
                 "summary", "lang", "link"):
        assert name in names
    assert default == vi  # LANGUAGE=vi
    done = dict((n, d) for n, d, _r in COMMANDS)["done"]
    assert {c["command"]: c["description"] for c in en}["done"] == _(done, lang="en") == "Report done: /done KEY [note]"
    assert {c["command"]: c["description"] for c in vi}["done"] == _(done, lang="vi")
    assert _(done, lang="vi").startswith("Báo hoàn thành")
    assert bot.tg.webhook is None  # polling: no webhook set


async def test_group_upgraded_to_supergroup_keeps_its_bindings(bot):
    import time

    update = bot.tg._push({"message": {
        "message_id": 9000, "date": int(time.time()), "chat": {"id": FOCAL_CHAT, "type": "group", "title": "Đầu mối"},
        "from": {"id": ALICE, "is_bot": False, "first_name": "Lan"}, "migrate_to_chat_id": -100777}})
    await bot.tg.wait_for(lambda: update["update_id"] in bot.processed)
    with bot.session() as s:
        chats = {b.chat_id for b in s.exec(select(ChatBinding).where(ChatBinding.agency == "so-noi-vu",
                                                                     ChatBinding.role == "focal"))}
    assert chats == {"-100777"}
    assert bot.audit()[-1].action == "binding.migrated"
    r = await bot.say(-100777, "/tasks")
    assert "Sở Nội vụ (3)" in r.text
