"""Buttons under a reminder, end to end: each press acts once, edits the message in place for the whole chat
and is answered briefly; stale, replayed, forged and outsiders' presses change nothing."""

from __future__ import annotations

from sqlmodel import select

from bot import buttons as b
from bot.texts import t
from core.i18n import _
from storage.tables import Occurrence, ProgressUpdate
from tests.bot_harness import (  # noqa: F401 — `bot` is a fixture
    BOB, FINANCE_CHAT, FOCAL_CHAT, LEADERSHIP_CHAT, OVERSIGHT_CHAT, STRANGER_CHAT, bot, button, buttons_of,
    post_message,
)

REMINDER = "⏰ Nhắc hạn: 5099-1 — Rà soát thủ tục hành chính thuộc thẩm quyền\nHạn: 14/06/2018 (còn 13 ngày)"


async def reminder(bot, chat_id=FOCAL_CHAT, key="5099-1", occ="once", lang="vi"):
    """A reminder with buttons as the scheduler sends it (task_buttons with the task's current sequence)."""
    task = bot.task(key)
    return await post_message(bot.tg, chat_id, REMINDER, b.task_buttons(task, occ, lang, bot.settings.secret_for_callbacks()))


def labels(lang="vi", actions=(b.DONE, b.PROGRESS_MENU, b.EXTEND, b.ACK)):
    return [_(b.LABELS[a], lang=lang) for a in actions]


def occurrence(bot, key="5099-1", occ="once"):
    task = bot.task(key)
    with bot.session() as s:
        return s.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()


async def test_done_button_edits_the_message_for_everyone(bot):
    msg = await reminder(bot)
    assert [label for label, _ in buttons_of(msg)] == labels() == ["✅ Hoàn thành", "📈 Tiến độ", "⏳ Xin gia hạn",
                                                                   "👀 Đã nhận"]
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "✅"), user_id=BOB, first_name="Minh")
    assert r.answers == [{"callback_query_id": r.answers[0]["callback_query_id"], "text": t("vi", "cb_done")}]
    now = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert now["text"].startswith(REMINDER)
    assert t("vi", "state_header") + "\n" + t("vi", "state_status", status="Đã hoàn thành – đúng hạn") in now["text"]
    assert not buttons_of(now)  # nothing left to press
    assert occurrence(bot).status == "done"
    entry = bot.audit()[-1]
    assert (entry.action, entry.actor, entry.actor_id, entry.source) == ("task.done", "Minh", str(BOB), "telegram")
    assert r.sent == []  # the edit is the answer; no extra chat noise


async def test_progress_menu_then_percent(bot):
    msg = await reminder(bot)
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "📈"))
    assert r.answers[0]["text"] == t("vi", "cb_pick_percent") == "Chọn mức tiến độ"
    menu = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert [label for label, _ in buttons_of(menu)] == ["25 %", "50 %", "75 %", _(b.LABELS[b.BACK], lang="vi")]
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(menu, "«"))
    back = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert [label for label, _ in buttons_of(back)][0] == "✅ Hoàn thành"
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(menu, "50 %"), first_name="Lan")
    assert r.answers[0]["text"] == t("vi", "cb_progress", percent=50) == "Đã ghi nhận 50 %"
    now = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert "📈 Tiến độ: 50 % (Lan, 09:00 01/06/2018)" in now["text"]
    assert [label for label, _ in buttons_of(now)][0] == "✅ Hoàn thành"  # still open: fresh buttons
    with bot.session() as s:
        assert s.exec(select(ProgressUpdate)).one().percent == 50
    # the fresh buttons work; the state block is replaced, not stacked
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(now, "📈"))
    menu = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    await bot.press(FOCAL_CHAT, msg["message_id"], button(menu, "75 %"), first_name="Lan")
    now = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert now["text"].count("— Cập nhật —") == 1 and "75 %" in now["text"] and "50 %" not in now["text"]


async def test_acknowledge_in_english(bot):
    msg = await reminder(bot, lang="en")
    assert [label for label, _ in buttons_of(msg)] == labels("en") == ["✅ Done", "📈 Progress", "⏳ Ask for more time",
                                                                       "👀 Got it"]
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "👀"), first_name="Anna", language_code="en")
    assert r.answers[0]["text"] == t("en", "cb_ack") == "Noted: you have seen it 👀"
    now = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert "— Update —\nStatus: Open – on track" in now["text"] and "👀 Acknowledged by Anna at 09:00 01/06/2018" in now["text"]
    assert occurrence(bot).acknowledged_by == "Anna"


async def test_stale_button_is_refreshed_not_acted_on(bot):
    first = await reminder(bot)
    second = await reminder(bot)
    await bot.press(FOCAL_CHAT, first["message_id"], button(first, "👀"))
    # the older message's buttons carry the old sequence: pressing ✅ there must not act
    r = await bot.press(FOCAL_CHAT, second["message_id"], button(second, "✅"))
    assert r.answers[0]["show_alert"] and r.answers[0]["text"] == t("vi", "cb_stale")
    assert occurrence(bot).status == "open"
    refreshed = bot.tg.message(FOCAL_CHAT, second["message_id"])
    assert "👀 Đã nhận: Người dùng" in refreshed["text"]
    # the refreshed message's buttons are current and work
    r = await bot.press(FOCAL_CHAT, second["message_id"], button(refreshed, "✅"))
    assert r.answers[0]["text"] == "Đã ghi nhận hoàn thành ✅" and occurrence(bot).status == "done"


async def test_replayed_press_changes_nothing(bot):
    msg = await reminder(bot)
    data = button(msg, "👀")
    await bot.press(FOCAL_CHAT, msg["message_id"], data)
    audit_before = len(bot.audit())
    r = await bot.press(FOCAL_CHAT, msg["message_id"], data)  # the same callback data again
    assert r.answers[0]["show_alert"] and len(bot.audit()) == audit_before


async def test_forged_and_garbled_payloads_are_refused(bot):
    msg = await reminder(bot)
    data = button(msg, "✅")
    action, tid, occ, seq, arg, sig = data.split(".")
    forged_task = ".".join((action, b._b36(bot.task("5099-4").id), occ, seq, arg, sig))
    other_secret = b.task_buttons(bot.task("5099-1"), "once", "vi", b"not the bot's secret")[0][0].data
    for bad in (forged_task, other_secret, "d.1.o.0..", "hello", "x" * 64):
        r = await bot.press(FOCAL_CHAT, msg["message_id"], bad, language_code="en")
        assert r.answers[0]["show_alert"] and r.answers[0]["text"] == t("en", "cb_invalid")
        assert r.edits == [] and r.sent == []
    assert occurrence(bot) is None and occurrence(bot, "5099-4") is None


async def test_press_outside_the_lead_agency_is_refused(bot):
    # a genuine button, pressed in the coordinating agency's chat, the oversight chat and an unlinked chat
    msg = await reminder(bot, chat_id=FINANCE_CHAT)
    r = await bot.press(FINANCE_CHAT, msg["message_id"], button(msg, "✅"))
    assert r.answers[0]["show_alert"] and "Chỉ cơ quan chủ trì (Sở Nội vụ)" in r.answers[0]["text"]
    assert len(r.answers[0]["text"]) <= 200
    msg = await reminder(bot, chat_id=OVERSIGHT_CHAT)
    r = await bot.press(OVERSIGHT_CHAT, msg["message_id"], button(msg, "📈"))
    assert r.answers[0]["show_alert"] and "không cập nhật tiến độ" in r.answers[0]["text"]
    msg = await reminder(bot, chat_id=STRANGER_CHAT)
    r = await bot.press(STRANGER_CHAT, msg["message_id"], button(msg, "👀"))
    assert r.answers[0]["show_alert"] and "chưa được liên kết" in r.answers[0]["text"]
    msg = await reminder(bot, chat_id=LEADERSHIP_CHAT)
    r = await bot.press(LEADERSHIP_CHAT, msg["message_id"], button(msg, "⏳"))
    assert r.answers[0]["show_alert"] and r.sent == []
    assert occurrence(bot) is None and bot.audit() == []


async def test_extension_button_asks_for_date_and_reason(bot):
    msg = await reminder(bot)
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "⏳"), first_name="Lan")
    assert r.answers[0]["text"] == t("vi", "cb_extend")
    (prompt,) = r.sent
    assert "Xin gia hạn nhiệm vụ 5099-1 (hạn hiện tại 14/06/2018)" in prompt["text"]
    assert prompt["sent_reply_markup"]["force_reply"] and prompt["sent_reply_markup"]["selective"]
    r = await bot.say(FOCAL_CHAT, "2/7/2018 chờ ý kiến Bộ Nội vụ", reply_to_message_id=prompt["message_id"])
    assert "Đã gửi đề nghị gia hạn nhiệm vụ 5099-1 đến 02/07/2018" in r.texts(FOCAL_CHAT)[0]
    (request,) = r.to(OVERSIGHT_CHAT)
    assert "Lý do: chờ ý kiến Bộ Nội vụ" in request["text"]
    # the reminder's ⏳ now says a request is waiting rather than asking again
    msg = await reminder(bot)
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "⏳"))
    assert r.answers[0]["show_alert"] and "02/07/2018" in r.answers[0]["text"] and r.sent == []


async def test_recurring_occurrence_buttons_act_on_their_period(bot):
    msg = await reminder(bot, key="5099-2", occ="2018-06-30")
    await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "✅"))
    assert occurrence(bot, "5099-2", "2018-06-30").status == "done"
    assert occurrence(bot, "5099-2", "2018-09-30") is None
    now = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert "Trạng thái: Đã hoàn thành – đúng hạn (kỳ 30/06/2018)" in now["text"]


async def test_a_continuous_task_has_no_extension_button(bot):
    """"Thường xuyên" has no deadline to extend: no ⏳ under its check-ins, nor after « Back."""
    msg = await reminder(bot, key="5099-3", occ="continuous")
    assert [label for label, _ in buttons_of(msg)] == labels(actions=(b.DONE, b.PROGRESS_MENU, b.ACK))
    await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "📈"))
    menu = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    await bot.press(FOCAL_CHAT, msg["message_id"], button(menu, "«"))
    back = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert "⏳" not in " ".join(label for label, _ in buttons_of(back))
    await bot.press(FOCAL_CHAT, msg["message_id"], button(back, "👀"))
    now = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert [label for label, _ in buttons_of(now)] == labels(actions=(b.DONE, b.PROGRESS_MENU, b.ACK))
