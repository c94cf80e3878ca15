"""/return KEY REASON in a chat (issue 22): the oversight body returns a completion with the reason; the task is
open again and its agency's focal chats are told why through the outbox; nobody else may return one."""

from __future__ import annotations

from sqlmodel import select

from bot.texts import t
from storage.record_tables import Completion
from storage.tables import Notification
from tests.bot_harness import CAROL, FOCAL_CHAT, OVERSIGHT_CHAT, bot  # noqa: F401  (fixture)
from tests.test_bot_commands import occurrence


async def test_the_oversight_body_returns_a_completion_with_a_reason(bot):  # noqa: F811
    r = await bot.say(FOCAL_CHAT, "/done 5099-1 báo cáo số 12")
    assert occurrence(bot, "5099-1").status == "done"
    r = await bot.say(FOCAL_CHAT, "/return 5099-1 tự trả lại")
    assert occurrence(bot, "5099-1").status == "done"  # a focal chat does not decide
    r = await bot.say(OVERSIGHT_CHAT, "/return 5099-1", user_id=CAROL)
    assert r.text == t("vi", "return_usage")
    r = await bot.say(OVERSIGHT_CHAT, "/return 5099-1 Thiếu số liệu của các huyện", user_id=CAROL, first_name="Hùng")
    assert r.text == t("vi", "return_ok", key="5099-1")
    assert occurrence(bot, "5099-1").status == "open"
    with bot.session() as s:
        c = s.exec(select(Completion)).one()
        assert (c.decision, c.decided_by, c.decision_reason) == ("returned", "Hùng", "Thiếu số liệu của các huyện")
        n = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).one()
        assert n.chat == f"telegram:{FOCAL_CHAT}" and n.payload["reason"] == "Thiếu số liệu của các huyện"
    r = await bot.say(OVERSIGHT_CHAT, "/return 5099-1 lần nữa", user_id=CAROL, language_code="en")
    assert r.text == t("en", "return_nothing", key="5099-1")


async def test_done_in_a_chat_keeps_the_report_number_its_date_and_the_day_done(bot):  # noqa: F811
    r = await bot.say(FOCAL_CHAT, "/done 5099-1 xong ngày 30/05/2018, báo cáo số 123/BC-SNV ngày 31/05/2018")
    occ = occurrence(bot, "5099-1")
    assert (occ.status, occ.completed_on) == ("done", __import__("datetime").date(2018, 5, 30))
    with bot.session() as s:
        c = s.exec(select(Completion)).one()
        assert (c.document_number, c.document_date.isoformat(), c.source) == ("123/BC-SNV", "2018-05-31", "telegram")
    r = await bot.say(FOCAL_CHAT, "/done 5099-3 xong ngày 02/06/2018")  # the chat's clock: 01/06/2018
    assert r.text == t("vi", "err_done_in_future", date="02/06/2018", today="01/06/2018", first="—")
    assert occurrence(bot, "5099-3", "continuous") is None
