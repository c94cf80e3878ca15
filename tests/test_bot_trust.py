"""Issue 18, item 11: per action, whether the chat or the person is the unit of trust (end to end).

- Reports (done, progress, asking for more time, acknowledging): the chat — any member of an agency's
  linked chat reports for that agency (unchanged; tested in test_bot_commands).
- Decisions (confirming a completion, approving or rejecting an extension): the person — in an oversight
  group only its Telegram administrators (getChatMember) and the people in OVERSIGHT_USER_IDS or
  ADMIN_USER_IDS decide.
- Oversight invites link groups only, never a private chat.
- An administrator sees every agency only in a private chat with the bot: in an unlinked group /tasks posts
  nothing of any agency.
"""

from __future__ import annotations

from sqlmodel import Session, select

import tests.bot_harness as harness
from bot import invites
from core.i18n import _
from storage.actions import Actor
from storage.tables import ChatBinding, Extension, InviteCode
from tests.bot_harness import (  # noqa: F401 — `bot` is a fixture
    ADMIN, BOB, CAROL, FOCAL_CHAT, MALLORY, OVERSIGHT_CHAT, STRANGER_CHAT, bot, button, seed,
)

REFUSED = "Only this group's administrators (or the people listed in OVERSIGHT_USER_IDS) can confirm completions " \
          "and decide extensions."


async def ask_for_time(bot) -> dict:
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 30/06/2018 chờ ý kiến của Sở Tài chính", user_id=BOB)
    (request,) = r.to(OVERSIGHT_CHAT)
    return request


def decision(bot) -> str:
    with bot.session() as s:
        return s.exec(select(Extension)).one().decision


async def test_only_a_group_administrator_decides_in_the_oversight_group(bot):
    request = await ask_for_time(bot)
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✔️"), user_id=BOB)
    assert r.answers[0]["show_alert"] and r.answers[0]["text"] == _(REFUSED, lang="vi")[:200]
    assert "quản trị viên của nhóm" in r.answers[0]["text"]
    assert decision(bot) == "pending" and r.to(FOCAL_CHAT) == []  # nothing decided, nobody told
    assert bot.tg.calls("getChatMember")[-1]["user_id"] in (BOB, str(BOB))
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✔️"), user_id=CAROL)
    assert decision(bot) == "approved" and r.to(FOCAL_CHAT)  # CAROL administers the group


async def test_a_listed_person_decides_without_being_a_group_administrator(db_url, engine):
    with Session(engine) as s:
        seed(s)
    running = await harness.start(db_url, engine, oversight_user_ids=(MALLORY,))
    try:
        request = await ask_for_time(running)
        r = await running.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✖️"), user_id=MALLORY,
                                language_code="en")
        assert decision(running) == "rejected", r.answers
    finally:
        await harness.stop(running)


async def test_an_oversight_invite_links_a_group_only(bot):
    with bot.session() as s:
        code, _row = invites.create_invite(s, "van-phong-ubnd-tinh", "oversight", Actor("admin", None, "cli"),
                                           bot.clock.now())
        s.commit()
    r = await bot.say(4242, f"/start {code}", user_id=4242, chat_type="private")
    assert r.text == _("This invite is for the oversight body's group: add me to that group and send /link CODE "
                       "there. The code is still valid.", lang="vi")
    with bot.session() as s:
        assert s.exec(select(ChatBinding).where(ChatBinding.chat_id == "4242")).all() == []
        assert s.exec(select(InviteCode)).one().used_at is None  # not spent
    r = await bot.say(STRANGER_CHAT, f"/link {code}")
    with bot.session() as s:
        assert [b.role for b in s.exec(select(ChatBinding).where(ChatBinding.chat_id == str(STRANGER_CHAT)))] == \
            ["oversight"]


async def test_an_administrator_in_an_unlinked_group_gets_no_agency_data(bot):
    r = await bot.say(STRANGER_CHAT, "/tasks", user_id=ADMIN)
    assert r.text == _("This group is not linked to any agency, so nothing about tasks is shown here. Ask me in a "
                       "private chat, or link this group first (/link CODE).", lang="vi")
    assert "5099" not in r.text
    for command in ("/overdue", "/task 5099-4", "/summary", "/ics"):
        r = await bot.say(STRANGER_CHAT, command, user_id=ADMIN)
        assert "5099" not in r.text and "Rà soát" not in r.text and not any(m.get("document") for m in r.sent)
    # in a private chat with the bot the administrator sees every agency
    r = await bot.say(ADMIN, "/tasks", user_id=ADMIN, chat_type="private")
    assert "5099-1" in r.text and "5099-4" in r.text
    # in a linked agency group an administrator sees what that group sees, not other agencies' tasks
    r = await bot.say(FOCAL_CHAT, "/task 5099-4", user_id=ADMIN)
    assert "Kiểm tra an toàn thực phẩm" not in r.text
