"""🧑‍💼 Giao việc under a task card, end to end through the fake Bot API (issue 24): the lead agency's chat picks
a person from buttons, then the due date (the agency's by default, another typed with /giao), and the task is
handed on as /giao does; the oversight body's and a coordinating agency's presses are refused with the reason."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot import buttons as b
from bot.compose import Composer
from core.i18n import _
from storage.delegation import Assignment
from storage.people import Changes, add_department, add_person
from storage.tables import AuditEntry
from tests.bot_harness import (  # noqa: F401 — `bot` is a fixture
    FINANCE_CHAT, FOCAL_CHAT, NOW, OVERSIGHT_CHAT, bot, button, buttons_of, post_message,
)

CARD = "⏰ Nhắc hạn: 5099-1 — Rà soát thủ tục hành chính thuộc thẩm quyền\nHạn: 14/06/2018 (còn 13 ngày)"


def people(engine) -> int:
    with Session(engine) as s:
        d = add_department(s, "so-noi-vu", "Phòng Cải cách hành chính", actor="t", source="cli", now=NOW)
        an = add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(department=d.name, position="Chuyên viên",
                                                                  zalo="1234567"), actor="t", source="cli", now=NOW)
        add_person(s, "Đỗ Thị Y", "so-y-te", Changes(zalo="99"), actor="t", source="cli", now=NOW)
        s.commit()
        return an.id


async def card(bot, chat_id):
    task = bot.task("5099-1")
    return await post_message(bot.tg, chat_id, CARD, b.task_buttons(task, "once", "vi",
                                                                     bot.settings.secret_for_callbacks(), hand_on=True))


def assignments(engine) -> list[Assignment]:
    with Session(engine) as s:
        return list(s.exec(select(Assignment)))


async def test_the_lead_agencys_chat_hands_a_task_on_with_buttons(bot):
    an = people(bot.engine)
    msg = await card(bot, FOCAL_CHAT)
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "🧑‍💼"), first_name="Lan")
    assert r.answers[0]["text"] == _("Hand {key} to whom?", lang="vi", key="5099-1")
    menu = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    # The lead agency's people and departments only (Sở Y tế's officer is not offered), then « back.
    assert [label for label, _d in buttons_of(menu)] == [
        "Nguyễn Văn An — Chuyên viên", "🏢 Phòng Cải cách hành chính", _(b.LABELS[b.BACK], lang="vi")]
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(menu, "Nguyễn Văn An"), first_name="Lan")
    dues = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert [label for label, _d in buttons_of(dues)][0] == "📅 14/06/2018"  # the agency's deadline by default
    assert f"/giao 5099-1 #{an} dd/mm/yyyy" in r.texts(FOCAL_CHAT)[0]  # another date: typed
    assert assignments(bot.engine) == []  # nothing handed on before the date is chosen
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(dues, "📅"), first_name="Lan")
    done = _("Assigned {key} to {who}", lang="vi", key="5099-1", who="Nguyễn Văn An")
    assert r.answers[0]["text"].startswith(done)
    after = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert done in after["text"] and [label for label, _d in buttons_of(after)][0] == "✅ Hoàn thành"
    [a] = assignments(bot.engine)
    assert (a.person_id, a.due, a.role, a.agency) == (an, date(2018, 6, 14), "chu-tri", "so-noi-vu")
    with Session(bot.engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "task.assigned")).one()
    assert (entry.actor, entry.source) == ("Lan", "telegram")


async def test_the_oversight_body_and_a_coordinating_agency_cannot_hand_the_task_on(bot):
    people(bot.engine)
    for chat, why in ((OVERSIGHT_CHAT, "The oversight body follows the task; the lead agency hands it on."),
                      (FINANCE_CHAT, "Only the lead agency's focal point or leader hands this task on; a coordinating "
                                     "agency hands on only its own part.")):
        msg = await card(bot, chat)
        r = await bot.press(chat, msg["message_id"], button(msg, "🧑‍💼"))
        assert r.answers[0]["show_alert"] is True and r.answers[0]["text"] == _(why, lang="vi")
        assert buttons_of(bot.tg.message(chat, msg["message_id"])) == buttons_of(msg)  # the card is unchanged
    assert assignments(bot.engine) == []


async def test_a_forged_target_is_refused(bot):
    people(bot.engine)
    task = bot.task("5099-1")
    secret = bot.settings.secret_for_callbacks()
    msg = await card(bot, FOCAL_CHAT)
    other = b._button(b.HAND_DUE, task, "once", "vi", secret, arg=b.target_ref("p", 2) + ":20180614", text="x")
    r = await bot.press(FOCAL_CHAT, msg["message_id"], other.data)
    assert r.answers[0]["show_alert"] is True
    assert assignments(bot.engine) == []


def test_cards_offer_it_in_the_lead_agencys_own_chats_only(engine):
    from tests.bot_harness import seed

    with Session(engine, expire_on_commit=False) as s:
        task = seed(s)["T1"]
    with Session(engine) as s:
        assert not Composer._hands_on(s, task, {"agency": "so-noi-vu", "role": "focal"})  # nobody to hand it to yet
    people(engine)
    with Session(engine) as s:
        assert Composer._hands_on(s, task, {"agency": "so-noi-vu", "role": "focal"})
        assert Composer._hands_on(s, task, {"agency": "so-noi-vu", "role": "manager"})
        assert not Composer._hands_on(s, task, {"agency": "so-tai-chinh", "role": "focal"})
        assert not Composer._hands_on(s, task, {"agency": "van-phong-ubnd-tinh", "role": "oversight"})


def test_on_zalo_the_button_is_the_giao_command_line(engine):
    """Zalo has no inline buttons: a card's buttons end the message as commands to type (bot.zalo)."""
    from types import SimpleNamespace

    from bot.zalo_commands import commands_footer

    task = SimpleNamespace(id=7, sequence=1, deadline_kind="once")
    footer = commands_footer(b.task_buttons(task, "once", "vi", b"k" * 32, hand_on=True), "vi", "5099-1")
    assert "/giao 5099-1 … dd/mm/yyyy" in footer.splitlines()
    assert "/giao" not in commands_footer(b.task_buttons(task, "once", "vi", b"k" * 32), "vi", "5099-1")
