"""Commands end to end: /task, /tasks, /upcoming, /overdue, /summary, /done, /progress, /extend — each with
its refusals and bad input, in Vietnamese and English."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.texts import t
from storage.tables import Extension, Occurrence, ProgressUpdate
from tests.bot_harness import (  # noqa: F401 — `bot` is a fixture
    ADMIN, ALICE, BOB, CAROL, FINANCE_CHAT, FOCAL_CHAT, LEADERSHIP_CHAT, MANAGER_CHAT, OVERSIGHT_CHAT, bot, button,
    buttons_of,
)


def occurrence(bot, key: str, occ: str = "once") -> Occurrence | None:
    task = bot.task(key)
    with bot.session() as s:
        return s.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()


# -- /task ------------------------------------------------------------------------------------------------

async def test_task_shows_everything(bot):
    r = await bot.say(FOCAL_CHAT, "/task 5099-1")
    text = r.text
    for part in ("📌 Nhiệm vụ 5099-1", "Rà soát thủ tục hành chính", "Văn bản: 5099/UBND-HCC ngày 23/05/2018",
                 "Cải cách hành chính năm 2018", "Chủ trì: Sở Nội vụ", "Phối hợp: Sở Tài chính",
                 "Thời hạn (như văn bản): trước ngày 14/6/2018", "hạn 14/06/2018", "Chưa hoàn thành – trong hạn",
                 "Chưa có báo cáo tiến độ"):
        assert part in text, part
    r = await bot.say(FOCAL_CHAT, "/task 5099-1", language_code="en")
    assert "📌 Task 5099-1" in r.text and "Lead: Sở Nội vụ" in r.text and "Open – on track" in r.text


async def test_task_case_insensitive_and_suggestions(bot):
    r = await bot.say(FOCAL_CHAT, "/task 5099-l")
    assert "Không tìm thấy nhiệm vụ có mã «5099-l»" in r.text and "5099-1" in r.text
    r = await bot.say(FOCAL_CHAT, "/task zzz", language_code="en")
    assert r.text == "No task has the key “zzz”."
    r = await bot.say(FOCAL_CHAT, "/task")
    assert "Cách dùng: /task" in r.text


async def test_task_of_another_agency_is_not_shown(bot):
    r = await bot.say(FOCAL_CHAT, "/task 5099-4")
    assert "không thuộc phạm vi" in r.text and "an toàn thực phẩm" not in r.text
    # a coordinating agency sees it; oversight sees everything
    r = await bot.say(FINANCE_CHAT, "/task 5099-1")
    assert "Rà soát" in r.text
    r = await bot.say(OVERSIGHT_CHAT, "/task 5099-4")
    assert "Kiểm tra an toàn thực phẩm" in r.text and "Chưa hoàn thành – quá hạn" in r.text


async def test_task_lists_progress_and_extensions(bot):
    await bot.say(FOCAL_CHAT, "/progress 5099-1 40 đã gửi công văn xin ý kiến")
    await bot.say(FOCAL_CHAT, "/extend 5099-1 30/6/2018 chờ ý kiến các sở")
    r = await bot.say(FOCAL_CHAT, "/task 5099-1")
    assert "09:00 01/06/2018 — Người dùng: 40 % — đã gửi công văn xin ý kiến" in r.text
    assert "xin đến 30/06/2018 (chờ ý kiến các sở): chờ quyết định" in r.text


# -- lists ------------------------------------------------------------------------------------------------

async def test_tasks_lists_own_and_coordinated_soonest_first(bot):
    r = await bot.say(FOCAL_CHAT, "/tasks")
    text = r.text
    assert "📋 Nhiệm vụ đang thực hiện — Sở Nội vụ (3)" in text
    assert text.index("5099-1") < text.index("5099-2") < text.index("5099-3")  # 14/6, 30/6, none
    assert "5099-4" not in text
    assert "Hạn: 14/06/2018 (như văn bản: trước ngày 14/6/2018) · Chưa hoàn thành – trong hạn" in text
    r = await bot.say(FINANCE_CHAT, "/tasks", language_code="en")
    assert "(coordinating: Sở Nội vụ)" in r.text and "Open tasks — Sở Tài chính (1)" in r.text


async def test_overdue_and_upcoming(bot):
    r = await bot.say(OVERSIGHT_CHAT, "/overdue")
    assert "⚠️ Nhiệm vụ quá hạn — tất cả cơ quan (1)" in r.text and "5099-4" in r.text and "Sở Y tế" in r.text
    r = await bot.say(FOCAL_CHAT, "/overdue", language_code="en")
    assert "Nothing is overdue" in r.text
    r = await bot.say(FOCAL_CHAT, "/upcoming")
    assert "Đến hạn trong 14 ngày tới" in r.text and "5099-1" in r.text and "5099-2" not in r.text
    r = await bot.say(FOCAL_CHAT, "/upcoming 31")  # 30/6/2018 is a Saturday: due Monday 2/7
    assert "5099-1" in r.text and "5099-2" in r.text
    r = await bot.say(FOCAL_CHAT, "/upcoming 5")
    assert "Không có nhiệm vụ nào đến hạn trong 5 ngày tới" in r.text
    for bad in ("0", "abc", "400"):
        r = await bot.say(FOCAL_CHAT, f"/upcoming {bad}")
        assert "từ 1 đến 366" in r.text


async def test_long_list_is_paginated_with_buttons(bot):
    from tests.factories import make_task

    with bot.session() as s:
        for n in range(25):
            make_task(s, key=f"X-{n:02d}", deadline_text=f"trước ngày {n + 2}/7/2018", now=bot.clock.now(),
                      content="Nội dung rất dài " * 12, position=10 + n)
        s.commit()
    r = await bot.say(FOCAL_CHAT, "/tasks")
    (msg,) = r.sent
    # 1. 5099-1 (14/6), then 5099-2 and X-00 (both due 2/7), X-01 … X-07; 5099-3 (no deadline) last
    assert len(msg["text"]) <= 4096 and "Trang 1/3" in msg["text"] and "X-07" in msg["text"]
    assert [label for label, _ in buttons_of(msg)] == ["Sau ▶"]
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "Sau"))
    assert r.answers[0]["text"] == "Trang 2"
    page2 = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert "Trang 2/3" in page2["text"] and "11. [X-08]" in page2["text"] and "X-07" not in page2["text"]
    assert [label for label, _ in buttons_of(page2)] == ["◀ Trước", "Sau ▶"]
    # a page button cannot be replayed in a chat that is not linked
    r = await bot.press(-777, msg["message_id"], button(page2, "Sau"))
    assert r.answers[0]["show_alert"] and r.sent == [] and r.edits == []


async def test_summary(bot):
    await bot.say(FOCAL_CHAT, "/done 5099-1 đã xong")
    r = await bot.say(OVERSIGHT_CHAT, "/summary")
    text = r.text
    assert "📊 Tổng hợp tình hình thực hiện nhiệm vụ đến 01/06/2018 — tất cả cơ quan" in text
    assert "• Sở Nội vụ (3): Đã hoàn thành – đúng hạn: 1; Chưa hoàn thành – trong hạn: 1; Không có hạn: 1" in text
    assert "• Sở Y tế (1): Chưa hoàn thành – quá hạn: 1" in text
    assert "Tổng cộng (4)" in text and "Nhiệm vụ quá hạn (1):" in text and "5099-4" in text
    r = await bot.say(MANAGER_CHAT, "/summary", language_code="en")
    assert "Sở Nội vụ (3)" in r.text and "Sở Y tế" not in r.text
    r = await bot.say(LEADERSHIP_CHAT, "/summary")
    assert "Sở Y tế (1)" in r.text
    r = await bot.say(FOCAL_CHAT, "/summary")
    assert "/summary dành cho nhóm lãnh đạo đơn vị" in r.text


# -- updates ----------------------------------------------------------------------------------------------

async def test_done_with_note(bot):
    r = await bot.say(FOCAL_CHAT, "/done 5099-1 https://vanban.example/so/123", first_name="Lan")
    assert r.text == "✅ Đã ghi nhận hoàn thành nhiệm vụ 5099-1 — Đã hoàn thành – đúng hạn. Cảm ơn Lan!"
    occ = occurrence(bot, "5099-1")
    assert (occ.status, occ.completion_note, occ.completed_on) == ("done", "https://vanban.example/so/123",
                                                                    date(2018, 6, 1))
    entry = bot.audit()[-1]
    assert (entry.action, entry.actor, entry.actor_id, entry.source) == ("task.done", "Lan", str(ALICE), "telegram")
    r = await bot.say(FOCAL_CHAT, "/done 5099-1", language_code="en")
    assert r.text == "Task 5099-1 was already marked done; nothing changed."


async def test_done_recurring_marks_the_current_period(bot):
    r = await bot.say(FOCAL_CHAT, "/done 5099-2")
    assert "5099-2 (kỳ 30/06/2018)" in r.text
    assert occurrence(bot, "5099-2", "2018-06-30").status == "done"
    r = await bot.say(FOCAL_CHAT, "/task 5099-2")
    # both quarter ends of 2018 fall on a weekend (Art. 148(5): due the next working day)
    assert "kỳ 30/06/2018: hạn 30/06/2018 (trùng ngày nghỉ, hạn thực tế 02/07/2018) — Đã hoàn thành" in r.text
    assert "kỳ 30/09/2018: hạn 30/09/2018 (trùng ngày nghỉ, hạn thực tế 01/10/2018) — Chưa hoàn thành" in r.text
    r = await bot.say(FOCAL_CHAT, "/done 5099-2", language_code="en")  # the next period, reported early
    assert "5099-2 (period 30/09/2018)" in r.text


async def test_done_with_confirmation_goes_to_oversight(db_url, engine):
    from sqlmodel import Session

    from tests.bot_harness import seed, start, stop

    with Session(engine) as s:
        seed(s)
    bot = await start(db_url, engine, confirm_completion=True)
    try:
        r = await bot.say(FOCAL_CHAT, "/done 5099-1 báo cáo số 12")
        assert "chờ cơ quan thường trực xác nhận" in r.texts(FOCAL_CHAT)[0]
        (notice,) = r.to(OVERSIGHT_CHAT)
        assert "Báo cáo hoàn thành chờ xác nhận" in notice["text"] and "Ghi chú: báo cáo số 12" in notice["text"]
        assert [label for label, _ in buttons_of(notice)] == ["✔️ Xác nhận hoàn thành", "↩️ Chưa đạt, trả lại"]
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
        r = await bot.say(FOCAL_CHAT, "/done 5099-1")
        assert "đang chờ cơ quan thường trực xác nhận" in r.text
        # a focal chat cannot confirm, even with a genuine button
        r = await bot.press(FOCAL_CHAT, notice["message_id"], button(notice, "✔️"))
        assert r.answers[0]["show_alert"] and "Chỉ nhóm của cơ quan thường trực" in r.answers[0]["text"]
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "✔️"), user_id=CAROL,
                            first_name="Hùng")
        assert r.answers[0]["text"] == "Đã xác nhận ✔️"
        edited = bot.tg.message(OVERSIGHT_CHAT, notice["message_id"])
        assert "✔️ Đã xác nhận hoàn thành — Hùng" in edited["text"] and not buttons_of(edited)
        assert "đã xác nhận hoàn thành nhiệm vụ 5099-1 — Đã hoàn thành – đúng hạn" in r.texts(FOCAL_CHAT)[0]
        assert occurrence(bot, "5099-1").status == "done"
        assert bot.audit()[-1].action == "task.completion_confirmed" and bot.audit()[-1].actor_id == str(CAROL)
        # pressing again: the task has changed since → nothing happens twice
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"))
        assert r.answers[0]["show_alert"] and occurrence(bot, "5099-1").status == "done"

        # rejection reopens it and tells the focal chat
        r = await bot.say(FOCAL_CHAT, "/done 5099-3")
        (notice,) = r.to(OVERSIGHT_CHAT)
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), language_code="en")
        assert r.answers[0]["text"] == "Sent back ↩️"
        assert "nhiệm vụ được mở lại" in r.texts(FOCAL_CHAT)[0]
        assert occurrence(bot, "5099-3", "continuous").status == "open"
    finally:
        await stop(bot)


async def test_progress(bot):
    r = await bot.say(FOCAL_CHAT, "/progress 5099-1 60% đã họp với các phòng")
    assert r.text == t("vi", "progress_ok", key="5099-1", period="", percent=60)
    assert r.text == "📈 Đã ghi nhận tiến độ nhiệm vụ 5099-1: 60%."
    with bot.session() as s:
        p = s.exec(select(ProgressUpdate)).one()
        assert (p.percent, p.note, p.actor_id, p.source) == (60, "đã họp với các phòng", str(ALICE), "telegram")
    for bad in ("120", "-5", "nửa", "12.5"):
        r = await bot.say(FOCAL_CHAT, f"/progress 5099-1 {bad}")
        assert r.text == t("vi", "bad_percent", text=bad) and "từ 0 đến 100" in r.text
    r = await bot.say(FOCAL_CHAT, "/progress 5099-1 abc", language_code="en")
    assert r.text == t("en", "bad_percent", text="abc") and "give a whole number from 0 to 100" in r.text
    r = await bot.say(FOCAL_CHAT, "/progress 5099-1 12", language_code="en")
    assert r.text == t("en", "progress_ok", key="5099-1", period="", percent=12) == "📈 Progress recorded for task 5099-1: 12%."
    r = await bot.say(FOCAL_CHAT, "/progress 5099-1")
    assert r.text == t("vi", "progress_usage", example="5099-1") and "Cách dùng: /progress" in r.text
    with bot.session() as s:
        assert len(s.exec(select(ProgressUpdate)).all()) == 2


async def test_refusals_for_who_may_act(bot):
    # a coordinating agency cannot update the lead's task
    r = await bot.say(FINANCE_CHAT, "/done 5099-1")
    assert "Chỉ cơ quan chủ trì (Sở Nội vụ) mới cập nhật được nhiệm vụ 5099-1" in r.text
    r = await bot.say(FINANCE_CHAT, "/progress 5099-1 50", language_code="en")
    assert "Only the lead agency (Sở Nội vụ) can update task 5099-1" in r.text
    # an oversight chat does not report progress for others
    r = await bot.say(OVERSIGHT_CHAT, "/done 5099-4")
    assert r.text == t("vi", "role_cannot_act", role="cơ quan thường trực")
    assert "Nhóm cơ quan thường trực không cập nhật tiến độ" in r.text
    r = await bot.say(OVERSIGHT_CHAT, "/done 5099-4", language_code="en")
    assert r.text == t("en", "role_cannot_act", role="oversight body")

    # another agency's task is outside the chat's scope
    r = await bot.say(FOCAL_CHAT, "/done 5099-4")
    assert "không thuộc phạm vi" in r.text
    assert occurrence(bot, "5099-1") is None and occurrence(bot, "5099-4") is None
    # the manager chat acts for its agency; an administrator may act anywhere
    r = await bot.say(MANAGER_CHAT, "/progress 5099-1 10")
    assert r.text == t("vi", "progress_ok", key="5099-1", period="", percent=10)
    r = await bot.say(OVERSIGHT_CHAT, "/done 5099-4 kiểm tra xong", user_id=ADMIN)
    assert "Đã ghi nhận hoàn thành nhiệm vụ 5099-4 — Đã hoàn thành – quá hạn" in r.text


async def test_extend_in_one_line(bot):
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 30/06/2018 chờ ý kiến của Sở Tài chính", user_id=BOB,
                      first_name="Minh")
    assert "Đã gửi đề nghị gia hạn nhiệm vụ 5099-1 đến 30/06/2018" in r.texts(FOCAL_CHAT)[0]
    (request,) = r.to(OVERSIGHT_CHAT)
    assert "Hạn hiện tại: 14/06/2018 → đề nghị: 30/06/2018" in request["text"]
    assert "Lý do: chờ ý kiến của Sở Tài chính" in request["text"] and "Người đề nghị: Minh" in request["text"]
    with bot.session() as s:
        ext = s.exec(select(Extension)).one()
        assert (ext.requested_by_id, ext.chat_id, ext.decision) == (str(BOB), str(FOCAL_CHAT), "pending")
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 15/7/2018 lại", language_code="en")
    assert "already awaiting a decision" in r.text
    # approve: the asker's chat hears it
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✔️"), user_id=CAROL, first_name="Hùng")
    assert r.answers[0]["text"] == "Đã đồng ý gia hạn ✔️"
    assert r.texts(FOCAL_CHAT) == ["✔️ Cơ quan thường trực đã đồng ý gia hạn nhiệm vụ 5099-1 đến 30/06/2018 (Hùng)."]
    edited = bot.tg.message(OVERSIGHT_CHAT, request["message_id"])
    assert "✔️ Đã đồng ý gia hạn — Hùng" in edited["text"] and not buttons_of(edited)
    assert occurrence(bot, "5099-1").extended_due == date(2018, 6, 30)
    assert [a.action for a in bot.audit()[-2:]] == ["extension.requested", "extension.approved"]
    # a second press (replay) changes nothing
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✖️"))
    assert r.answers[0]["show_alert"] and "đã được quyết định" in r.answers[0]["text"]
    with bot.session() as s:
        assert s.exec(select(Extension)).one().decision == "approved"


async def test_extension_rejected_and_refusals(bot):
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 30/06/2018 cần thêm thời gian", language_code="en")
    (request,) = r.to(OVERSIGHT_CHAT)
    # a focal chat cannot decide on its own request
    r = await bot.press(FOCAL_CHAT, request["message_id"], button(request, "✔️"))
    assert r.answers[0]["show_alert"] and "Chỉ nhóm của cơ quan thường trực" in r.answers[0]["text"]
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✖️"))
    # the chat hears it in the chat's language (LANGUAGE=vi, no /lang), whoever asked
    assert r.texts(FOCAL_CHAT) == [
        "✖️ Cơ quan thường trực không đồng ý gia hạn nhiệm vụ 5099-1; hạn vẫn là 14/06/2018 (Người dùng)."]
    assert occurrence(bot, "5099-1").extended_due is None


async def test_extend_bad_input(bot):
    cases = {
        "/extend 5099-1 31/02/2018 lý do": "Ngày «31/02/2018» không hợp lệ",
        "/extend 5099-1 2018-06-30 lý do": "dd/mm/yyyy",
        "/extend 5099-1 30/06/2018": "Hãy ghi lý do",
        "/extend 5099-1 10/06/2018 sớm hơn": "phải sau hạn đang áp dụng (14/06/2018)",
        "/extend 5099-3 30/06/2018 thường xuyên": "không có hạn để gia hạn",
        "/extend": "Cách dùng: /extend",
    }
    for command, expected in cases.items():
        r = await bot.say(FOCAL_CHAT, command)
        assert expected in r.text, (command, r.text)
        assert r.to(OVERSIGHT_CHAT) == []
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 1/13/2018 x", language_code="en")
    assert "Write it as day/month/year (dd/mm/yyyy)" in r.text
    with bot.session() as s:
        assert s.exec(select(Extension)).all() == []


async def test_extend_without_oversight_chat_says_so(bot):
    with bot.session() as s:
        from storage.tables import ChatBinding

        for b in s.exec(select(ChatBinding).where(ChatBinding.role == "oversight")):
            b.active = False
            s.add(b)
        s.commit()
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 30/06/2018 lý do")
    assert "chưa có nhóm cơ quan thường trực nào được liên kết" in r.text


async def test_extend_by_forcereply_conversation(bot):
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1", first_name="Lan")
    (prompt,) = r.sent
    assert "Xin gia hạn nhiệm vụ 5099-1 (hạn hiện tại 14/06/2018)" in prompt["text"] and "Lan" in prompt["text"]
    assert prompt["sent_reply_markup"]["force_reply"] is True
    r = await bot.say(FOCAL_CHAT, "ngày mai", reply_to_message_id=prompt["message_id"])
    assert "Ngày «ngày» không hợp lệ" in r.text
    r = await bot.say(FOCAL_CHAT, "30/06/2018", reply_to_message_id=prompt["message_id"])
    assert "Thiếu lý do" in r.text
    r = await bot.say(FOCAL_CHAT, "30/06/2018 chờ số liệu", reply_to_message_id=prompt["message_id"])
    assert "Đã gửi đề nghị gia hạn nhiệm vụ 5099-1 đến 30/06/2018" in r.texts(FOCAL_CHAT)[0]
    assert len(r.to(OVERSIGHT_CHAT)) == 1
    # answering the same prompt again does not file a second request
    r = await bot.say(FOCAL_CHAT, "15/07/2018 lần nữa", reply_to_message_id=prompt["message_id"])
    assert "đã hết hiệu lực" in r.text
    with bot.session() as s:
        assert len(s.exec(select(Extension)).all()) == 1
    # replies to other messages are ignored
    r = await bot.say(FOCAL_CHAT, "cảm ơn", reply_to_message_id=r.sent[0]["message_id"])
    assert r.sent == []


async def test_long_answer_is_split_at_telegram_limit(bot):
    from tests.factories import make_task

    with bot.session() as s:
        make_task(s, key="LONG-1", deadline_text="trước ngày 14/6/2018", now=bot.clock.now(),
                  content="Nhiệm vụ có nội dung rất dài, trích nguyên văn phụ lục kèm theo. " * 90)
        s.commit()
    r = await bot.say(FOCAL_CHAT, "/task LONG-1")
    assert len(r.sent) == 2 and all(len(m["text"]) <= 4096 for m in r.sent)
    assert r.sent[0]["text"].startswith("📌 Nhiệm vụ LONG-1") and "Chủ trì: Sở Nội vụ" in r.sent[1]["text"]


async def test_language_setting_and_user_language(db_url, engine):
    from sqlmodel import Session

    from tests.bot_harness import STRANGER_CHAT, seed, start, stop

    with Session(engine) as s:
        seed(s)
    bot = await start(db_url, engine, language="en")
    try:
        # LANGUAGE=en: English for everyone unless the chat chose otherwise
        r = await bot.say(STRANGER_CHAT, "/help", language_code="vi")
        assert "not linked to any agency" in r.text
        r = await bot.say(FOCAL_CHAT, "/tasks", language_code=None)
        assert "Open tasks — Sở Nội vụ (3)" in r.text
        await bot.say(FOCAL_CHAT, "/lang vi")
        r = await bot.say(FOCAL_CHAT, "/tasks", language_code="en")
        assert "Nhiệm vụ đang thực hiện — Sở Nội vụ (3)" in r.text
        import json

        default = bot.tg.commands[(json.dumps({"type": "default"}), "")]
        assert {c["command"]: c["description"] for c in default}["tasks"] == "Open tasks, soonest first"
    finally:
        await stop(bot)
