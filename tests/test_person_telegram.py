"""A person handed a task, on Telegram (issue 24): the 👀 Đã nhận button under their reminder, pressed in their
own private chat, acknowledges their hand-over (stopping the fallback to their next channel); someone else's
private chat cannot."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot import buttons as b
from bot.texts import t
from storage import delegation
from storage.people import Changes, add_person
from tests.bot_harness import bot, button, post_message  # noqa: F401 — `bot` is a fixture

AN = 777  # a private chat's id is its user's id
STRANGER = 778


def hand_over(bot):
    with bot.session() as s:
        task = s.exec(select(delegation.Task).where(delegation.Task.key == "5099-1")).one()
        an = add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(telegram=str(AN)), actor="t", source="cli",
                        now=bot.clock.now())
        delegation.assign(s, task, delegation.Target("so-noi-vu", person=an), occurrence=None, due=date(2018, 6, 8),
                          agency_due=date(2018, 6, 14), role="chu-tri", actor="t", source="cli", now=bot.clock.now())
        s.commit()
        return task


def assignment(bot):
    with bot.session() as s:
        return s.exec(select(delegation.Assignment)).one()


async def test_the_person_acknowledges_from_their_own_chat(bot):
    task = hand_over(bot)
    buttons = [[b._button(b.ACK, task, "once", "vi", bot.settings.secret_for_callbacks())]]
    mine = await post_message(bot.tg, AN, "👤 Nguyễn Văn An …", buttons)
    theirs = await post_message(bot.tg, STRANGER, "👤 …", buttons)

    r = await bot.press(STRANGER, theirs["message_id"], button(theirs, "👀"), user_id=STRANGER)
    assert r.answers[0]["show_alert"] and assignment(bot).acknowledged_at is None

    r = await bot.press(AN, mine["message_id"], button(mine, "👀"), user_id=AN, first_name="An")
    assert r.answers[0]["text"] == t("vi", "cb_ack")
    assert assignment(bot).acknowledged_at == bot.clock.now()
    assert [a.action for a in bot.audit()][-2:] == ["assignment.acknowledged", "task.acknowledged"]


async def test_nhac_and_danhan_typed_on_telegram(bot):
    from core.i18n import _
    from tests.bot_harness import FOCAL_CHAT, OVERSIGHT_CHAT

    hand_over(bot)
    r = await bot.say(FOCAL_CHAT, "/nhac 5099-1")  # a focal point may not remind now
    assert r.text == _("Only the oversight body and the lead agency's leader send a reminder now.", "vi")
    r = await bot.say(OVERSIGHT_CHAT, "/nhac 5099-1")
    assert "Nguyễn Văn An" in r.text
    with bot.session() as s:
        from storage.tables import Notification

        [row] = s.exec(select(Notification).where(Notification.step.startswith("nudge:"))).all()
        assert row.chat == f"telegram:{AN}"
    r = await bot.say(AN, "/danhan", user_id=AN)  # their one task: the key may be left out
    assert assignment(bot).acknowledged_at == bot.clock.now()


async def test_giao_hands_a_task_on_from_the_agencys_chat_only(bot):
    from core.i18n import _
    from tests.bot_harness import FINANCE_CHAT, FOCAL_CHAT

    hand_over(bot)  # An exists (and was handed 5099-1 by the administrator)
    r = await bot.say(FINANCE_CHAT, "/giao 5099-1 Nguyễn Văn An 07/06/2018")  # another agency's focal point
    assert r.text == _("Only the lead agency's focal point or leader hands this task on; a coordinating agency hands "
                       "on only its own part.", "vi")
    r = await bot.say(FOCAL_CHAT, "/giao 5099-1 Nguyễn Văn An 20/06/2018")  # after the agency's 14/06
    assert "14/06/2018" in r.text
    r = await bot.say(FOCAL_CHAT, "/giao 5099-1 nguyen van an 07/06/2018")
    assert "Nguyễn Văn An" in r.text and "07/06/2018" in r.text
    with bot.session() as s:
        rows = s.exec(select(delegation.Assignment).where(delegation.Assignment.removed_at.is_(None))).all()
        assert [a.due for a in rows] == [date(2018, 6, 7)]  # the new hand-over replaced the administrator's
    assert [a.source for a in bot.audit() if a.action == "task.assigned"][-1] == "telegram"


async def test_a_coordinating_agency_reports_its_part_done_to_the_lead(bot):
    from tests.bot_harness import FINANCE_CHAT, FOCAL_CHAT

    with bot.session() as s:
        task = s.exec(select(delegation.Task).where(delegation.Task.key == "5099-1")).one()
        delegation.assign(s, task, delegation.Target("so-tai-chinh"), occurrence=None, due=date(2018, 6, 8),
                          agency_due=None, role="phoi-hop", actor="t", source="cli", now=bot.clock.now())
        s.commit()
    r = await bot.say(FINANCE_CHAT, "/done 5099-1")  # Sở Tài chính coordinates 5099-1: its part, not the task
    assert "5099-1" in r.text
    await bot.tg.wait_for(lambda: any("🧩" in (m.get("text") or "") for m in bot.tg.sent
                                      if m["chat"]["id"] == FOCAL_CHAT), timeout=5)
    with bot.session() as s:
        task = s.exec(select(delegation.Task).where(delegation.Task.key == "5099-1")).one()
        assert [p.state for p in delegation.parts_of(s, task, bot.clock.now().date())] == ["done"]
        from storage.tables import Occurrence

        assert s.exec(select(Occurrence).where(Occurrence.task_id == task.id)).first() is None  # the lead's own
    r = await bot.say(FINANCE_CHAT, "/done 5099-1")  # nothing left of its part: the usual refusal
    assert r.text and len([m for m in bot.tg.sent if m["chat"]["id"] == FOCAL_CHAT and "🧩" in (m.get("text") or "")]) == 1
