"""Commands end to end: /task, /tasks, /upcoming, /overdue, /summary, /done, /progress, /extend — each with
its refusals and bad input, in Vietnamese and English."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.buttons import CONFIRM_DONE, LABELS, REJECT_DONE
from bot.texts import t
from core.i18n import _, ngettext
from core.status import Status, status_label
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
    assert t("vi", "task_title", key="5099-1") in text and t("vi", "task_lead", lead="Sở Nội vụ") in text
    r = await bot.say(FOCAL_CHAT, "/task 5099-1", language_code="en")
    for part in (t("en", "task_title", key="5099-1"), t("en", "task_lead", lead="Sở Nội vụ"),
                 t("en", "task_deadline", text="trước ngày 14/6/2018"), t("en", "task_no_progress"),
                 status_label(Status.IN_TIME, "en")):
        assert part in r.text, part
    assert "📌 Task 5099-1" in r.text and "Open – on track" in r.text


async def test_task_case_insensitive_and_suggestions(bot):
    r = await bot.say(FOCAL_CHAT, "/task 5099-l")
    assert r.text.startswith(t("vi", "unknown_task_suggest", key="5099-l", suggestions="5099-1").split("5099-1")[0])
    assert "5099-1" in r.text and "Không tìm thấy nhiệm vụ có mã «5099-l»" in r.text
    r = await bot.say(FOCAL_CHAT, "/task zzz", language_code="en")
    assert r.text == t("en", "unknown_task", key="zzz") == "No task has the key “zzz”."
    r = await bot.say(FOCAL_CHAT, "/task")
    assert r.text == t("vi", "task_usage", example="5099-1")


async def test_task_of_another_agency_is_not_shown(bot):
    r = await bot.say(FOCAL_CHAT, "/task 5099-4")
    assert r.text == t("vi", "not_in_scope", key="5099-4", scope="Sở Nội vụ") and "an toàn thực phẩm" not in r.text
    # a coordinating agency sees it; oversight sees everything
    r = await bot.say(FINANCE_CHAT, "/task 5099-1")
    assert "Rà soát" in r.text
    r = await bot.say(OVERSIGHT_CHAT, "/task 5099-4")
    assert "Kiểm tra an toàn thực phẩm" in r.text and status_label(Status.OVERDUE, "vi") in r.text


async def test_task_lists_progress_and_extensions(bot):
    await bot.say(FOCAL_CHAT, "/progress 5099-1 40 đã gửi công văn xin ý kiến")
    await bot.say(FOCAL_CHAT, "/extend 5099-1 30/6/2018 chờ ý kiến các sở")
    r = await bot.say(FOCAL_CHAT, "/task 5099-1")
    assert t("vi", "task_progress_line", when="09:00 01/06/2018", who="Người dùng",
             what="40 % — đã gửi công văn xin ý kiến") in r.text
    assert t("vi", "task_extension_line", asked="09:00 01/06/2018", who="Người dùng", requested="30/06/2018",
             reason="chờ ý kiến các sở", decision=t("vi", "decision_pending", who="—")) in r.text
    assert "xin đến 30/06/2018 (chờ ý kiến các sở): chờ quyết định" in r.text


# -- lists ------------------------------------------------------------------------------------------------

async def test_tasks_lists_own_and_coordinated_soonest_first(bot):
    r = await bot.say(FOCAL_CHAT, "/tasks")
    text = r.text
    assert text.startswith(t("vi", "list_tasks", scope="Sở Nội vụ", n=3)) and "📋 Nhiệm vụ đang thực hiện" in text
    assert text.index("5099-1") < text.index("5099-2") < text.index("5099-3")  # 14/6, 30/6, none
    assert "5099-4" not in text
    assert (f"{t('vi', 'due')}: 14/06/2018 ({t('vi', 'due_as_written', text='trước ngày 14/6/2018')}) · "
            f"{status_label(Status.IN_TIME, 'vi')}") in text
    r = await bot.say(FINANCE_CHAT, "/tasks", language_code="en")
    assert f"({t('en', 'coordinating')}: Sở Nội vụ)" in r.text
    assert r.text.startswith(t("en", "list_tasks", scope="Sở Tài chính", n=1)) and "Open tasks" in r.text


async def test_overdue_and_upcoming(bot):
    r = await bot.say(OVERSIGHT_CHAT, "/overdue")
    assert r.text.startswith(t("vi", "list_overdue", scope=t("vi", "all_agencies"), n=1))
    assert "5099-4" in r.text and "Sở Y tế" in r.text
    r = await bot.say(FOCAL_CHAT, "/overdue", language_code="en")
    assert r.text == t("en", "list_overdue", scope="Sở Nội vụ", n=0) + "\n\n" + t("en", "list_empty_overdue")
    r = await bot.say(FOCAL_CHAT, "/upcoming")
    assert r.text.startswith(ngettext("📅 Due in the next {n} day — {scope} ({count})",
                                      "📅 Due in the next {n} days — {scope} ({count})", 14, lang="vi",
                                      scope="Sở Nội vụ", count=1))
    assert "Đến hạn trong 14 ngày tới" in r.text and "5099-1" in r.text and "5099-2" not in r.text
    r = await bot.say(FOCAL_CHAT, "/upcoming 1", language_code="en")
    assert r.text.startswith("📅 Due in the next 1 day — Sở Nội vụ (0)")  # English has a singular
    r = await bot.say(FOCAL_CHAT, "/upcoming 31")  # 30/6/2018 is a Saturday: due Monday 2/7
    assert "5099-1" in r.text and "5099-2" in r.text
    r = await bot.say(FOCAL_CHAT, "/upcoming 5")
    assert r.text.endswith(ngettext("Nothing is due in the next {n} day.", "Nothing is due in the next {n} days.", 5,
                                    lang="vi"))
    assert "Không có nhiệm vụ nào đến hạn trong 5 ngày tới" in r.text
    for bad in ("0", "abc", "400"):
        r = await bot.say(FOCAL_CHAT, f"/upcoming {bad}")
        assert r.text == t("vi", "upcoming_usage") and "từ 1 đến 366" in r.text


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
    assert len(msg["text"]) <= 4096 and t("vi", "page", page=1, pages=3) in msg["text"] and "X-07" in msg["text"]
    assert [label for label, _ in buttons_of(msg)] == [_(LABELS["next"], lang="vi")] == ["Sau ▶"]
    r = await bot.press(FOCAL_CHAT, msg["message_id"], button(msg, "Sau"))
    assert r.answers[0]["text"] == t("vi", "cb_page", page=2) == "Trang 2"
    page2 = bot.tg.message(FOCAL_CHAT, msg["message_id"])
    assert t("vi", "page", page=2, pages=3) in page2["text"] and "11. [X-08]" in page2["text"]
    assert "X-07" not in page2["text"]
    assert [label for label, _ in buttons_of(page2)] == [_(LABELS["prev"], lang="vi"), _(LABELS["next"], lang="vi")]
    # a page button cannot be replayed in a chat that is not linked
    r = await bot.press(-777, msg["message_id"], button(page2, "Sau"))
    assert r.answers[0]["show_alert"] and r.sent == [] and r.edits == []


async def test_summary(bot):
    await bot.say(FOCAL_CHAT, "/done 5099-1 đã xong")
    r = await bot.say(OVERSIGHT_CHAT, "/summary")
    text = r.text
    assert text.startswith(t("vi", "summary_title", today="01/06/2018", scope=t("vi", "all_agencies")))
    label = {s: status_label(s, "vi") for s in Status}
    assert (f"• Sở Nội vụ (3): {label[Status.DONE_ON_TIME]}: 1; {label[Status.IN_TIME]}: 1; "
            f"{label[Status.NO_DEADLINE]}: 1") in text
    assert "• Sở Nội vụ (3): Đã hoàn thành – đúng hạn: 1; Chưa hoàn thành – trong hạn: 1; Không có hạn: 1" in text
    assert f"• Sở Y tế (1): {label[Status.OVERDUE]}: 1" in text
    assert f"{t('vi', 'summary_total')} (4)" in text and t("vi", "summary_overdue", n=1) in text and "5099-4" in text
    r = await bot.say(MANAGER_CHAT, "/summary", language_code="en")
    assert r.text.startswith(t("en", "summary_title", today="01/06/2018", scope="Sở Nội vụ"))
    assert f"• Sở Nội vụ (3): {status_label(Status.DONE_ON_TIME, 'en')}: 1" in r.text and "Sở Y tế" not in r.text
    r = await bot.say(LEADERSHIP_CHAT, "/summary")
    assert "Sở Y tế (1)" in r.text
    r = await bot.say(FOCAL_CHAT, "/summary")
    assert r.text == t("vi", "summary_not_allowed") and "/summary dành cho nhóm lãnh đạo đơn vị" in r.text


# -- updates ----------------------------------------------------------------------------------------------

async def test_done_with_note(bot):
    r = await bot.say(FOCAL_CHAT, "/done 5099-1 https://vanban.example/so/123", first_name="Lan")
    assert r.text == t("vi", "done_ok", key="5099-1", period="", status=status_label(Status.DONE_ON_TIME, "vi"),
                       name="Lan") == "✅ Đã ghi nhận hoàn thành nhiệm vụ 5099-1 — Đã hoàn thành – đúng hạn. Cảm ơn Lan!"
    occ = occurrence(bot, "5099-1")
    assert (occ.status, occ.completion_note, occ.completed_on) == ("done", "https://vanban.example/so/123",
                                                                    date(2018, 6, 1))
    entry = bot.audit()[-1]
    assert (entry.action, entry.actor, entry.actor_id, entry.source) == ("task.done", "Lan", str(ALICE), "telegram")
    r = await bot.say(FOCAL_CHAT, "/done 5099-1", language_code="en")
    assert r.text == t("en", "err_already_done", key="5099-1", period="")
    assert r.text == "Task 5099-1 was already marked done; nothing changed."


async def test_done_recurring_marks_the_current_period(bot):
    r = await bot.say(FOCAL_CHAT, "/done 5099-2")
    assert f"5099-2 ({t('vi', 'period', due='30/06/2018')})" in r.text == t(
        "vi", "done_ok", key="5099-2", period=" (kỳ 30/06/2018)", status=status_label(Status.DONE_ON_TIME, "vi"),
        name="Người dùng")
    assert occurrence(bot, "5099-2", "2018-06-30").status == "done"
    r = await bot.say(FOCAL_CHAT, "/task 5099-2")
    # both quarter ends of 2018 fall on a weekend (Art. 148(5): due the next working day)
    assert t("vi", "task_occurrence", period=t("vi", "period", due="30/06/2018") + ": ", due="30/06/2018",
             effective=t("vi", "task_shifted", date="02/07/2018"), status=status_label(Status.DONE_ON_TIME, "vi")) in r.text
    assert "kỳ 30/06/2018: hạn 30/06/2018 (trùng ngày nghỉ, hạn thực tế 02/07/2018) — Đã hoàn thành" in r.text
    assert "kỳ 30/09/2018: hạn 30/09/2018 (trùng ngày nghỉ, hạn thực tế 01/10/2018) — Chưa hoàn thành" in r.text
    r = await bot.say(FOCAL_CHAT, "/done 5099-2", language_code="en")  # the next period, reported early
    assert f"5099-2 ({t('en', 'period', due='30/09/2018')})" in r.text and "5099-2 (period 30/09/2018)" in r.text


async def test_done_with_confirmation_goes_to_oversight(db_url, engine):
    from sqlmodel import Session

    from tests.bot_harness import seed, start, stop

    with Session(engine) as s:
        seed(s)
    bot = await start(db_url, engine, confirm_completion=True)
    try:
        r = await bot.say(FOCAL_CHAT, "/done 5099-1 báo cáo số 12")
        assert r.texts(FOCAL_CHAT)[0] == t("vi", "done_pending", key="5099-1", period="")
        (notice,) = r.to(OVERSIGHT_CHAT)
        assert notice["text"].startswith(t("vi", "completion_request", key="5099-1", content="", lead="", due="",
                                           completed="", note="", who="").split("\n")[0])
        assert t("vi", "note_line", note="báo cáo số 12") in notice["text"]
        assert [label for label, _ in buttons_of(notice)] == [_(LABELS[CONFIRM_DONE], lang="vi"),
                                                              _(LABELS[REJECT_DONE], lang="vi")]
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
        r = await bot.say(FOCAL_CHAT, "/done 5099-1")
        assert r.text == t("vi", "err_already_pending", key="5099-1", period="")
        # a focal chat cannot confirm, even with a genuine button
        r = await bot.press(FOCAL_CHAT, notice["message_id"], button(notice, "✔️"))
        assert r.answers[0]["show_alert"] and r.answers[0]["text"] == t("vi", "only_oversight")
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "✔️"), user_id=CAROL,
                            first_name="Hùng")
        assert r.answers[0]["text"] == t("vi", "cb_confirmed")
        edited = bot.tg.message(OVERSIGHT_CHAT, notice["message_id"])
        assert edited["text"].endswith(t("vi", "completion_confirmed_note", who="Hùng", when="09:00 01/06/2018"))
        assert not buttons_of(edited)
        assert r.texts(FOCAL_CHAT)[0] == t("vi", "completion_confirmed_tell", key="5099-1",
                                           status=status_label(Status.DONE_ON_TIME, "vi"))
        assert occurrence(bot, "5099-1").status == "done"
        assert bot.audit()[-1].action == "task.completion_confirmed" and bot.audit()[-1].actor_id == str(CAROL)
        # pressing again: the task has changed since → nothing happens twice
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"))
        assert r.answers[0]["show_alert"] and occurrence(bot, "5099-1").status == "done"

        # ↩️ asks why first (tests/test_bot_evidence.py); the answer returns it, the focal chat told by the outbox
        r = await bot.say(FOCAL_CHAT, "/done 5099-3")
        (notice,) = r.to(OVERSIGHT_CHAT)
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), language_code="en")
        assert r.answers[0]["text"] == "Say why in the chat: the question is below."
        assert occurrence(bot, "5099-3", "continuous").status == "pending_confirmation"
        r = await bot.say(OVERSIGHT_CHAT, "Chưa có biên bản", language_code="en")
        assert r.text == t("en", "return_ok", key="5099-3")
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
    assert r.text == t("vi", "only_lead", lead="Sở Nội vụ", key="5099-1", scope="Sở Tài chính")
    r = await bot.say(FINANCE_CHAT, "/progress 5099-1 50", language_code="en")
    assert r.text == t("en", "only_lead", lead="Sở Nội vụ", key="5099-1", scope="Sở Tài chính")
    assert "Only the lead agency (Sở Nội vụ) can update task 5099-1" in r.text
    # an oversight chat does not report progress for others
    r = await bot.say(OVERSIGHT_CHAT, "/done 5099-4")
    assert r.text == t("vi", "role_cannot_act", role="cơ quan thường trực")
    assert "Nhóm cơ quan thường trực không cập nhật tiến độ" in r.text
    r = await bot.say(OVERSIGHT_CHAT, "/done 5099-4", language_code="en")
    assert r.text == t("en", "role_cannot_act", role="oversight body")

    # another agency's task is outside the chat's scope
    r = await bot.say(FOCAL_CHAT, "/done 5099-4")
    assert r.text == t("vi", "not_in_scope", key="5099-4", scope="Sở Nội vụ")
    assert occurrence(bot, "5099-1") is None and occurrence(bot, "5099-4") is None
    # the manager chat acts for its agency; an administrator may act anywhere
    r = await bot.say(MANAGER_CHAT, "/progress 5099-1 10")
    assert r.text == t("vi", "progress_ok", key="5099-1", period="", percent=10)
    r = await bot.say(OVERSIGHT_CHAT, "/done 5099-4 kiểm tra xong", user_id=ADMIN)
    assert r.text.startswith(t("vi", "done_ok", key="5099-4", period="", status=status_label(Status.DONE_LATE, "vi"),
                               name="").rsplit(" ", 1)[0])


async def test_extend_in_one_line(bot):
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 30/06/2018 chờ ý kiến của Sở Tài chính", user_id=BOB,
                      first_name="Minh")
    assert r.texts(FOCAL_CHAT)[0] == t("vi", "extend_asked", key="5099-1", period="", date="30/06/2018")
    (request,) = r.to(OVERSIGHT_CHAT)
    assert request["text"] == t("vi", "extension_request", key="5099-1",
                                content="Rà soát thủ tục hành chính thuộc thẩm quyền", lead="Sở Nội vụ",
                                previous="14/06/2018", requested="30/06/2018", reason="chờ ý kiến của Sở Tài chính",
                                who="Minh")
    assert "Lý do: chờ ý kiến của Sở Tài chính" in request["text"] and "Người đề nghị: Minh" in request["text"]
    with bot.session() as s:
        ext = s.exec(select(Extension)).one()
        assert (ext.requested_by_id, ext.chat_id, ext.decision) == (str(BOB), str(FOCAL_CHAT), "pending")
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 15/7/2018 lại", language_code="en")
    assert r.text == t("en", "err_extension_pending", date="30/06/2018") and "already awaiting a decision" in r.text
    # approve: the asker's chat hears it
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✔️"), user_id=CAROL, first_name="Hùng")
    assert r.answers[0]["text"] == t("vi", "cb_approved")
    assert r.texts(FOCAL_CHAT) == [t("vi", "extension_approved_tell", key="5099-1", date="30/06/2018", who="Hùng")]
    assert r.texts(FOCAL_CHAT) == ["✔️ Cơ quan thường trực đã đồng ý gia hạn nhiệm vụ 5099-1 đến 30/06/2018 (Hùng)."]
    edited = bot.tg.message(OVERSIGHT_CHAT, request["message_id"])
    assert edited["text"].endswith(t("vi", "extension_approved_note", who="Hùng", when="09:00 01/06/2018"))
    assert not buttons_of(edited)
    assert occurrence(bot, "5099-1").extended_due == date(2018, 6, 30)
    assert [a.action for a in bot.audit()[-2:]] == ["extension.requested", "extension.approved"]
    # a second press (replay) changes nothing
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✖️"))
    assert r.answers[0]["show_alert"] and r.answers[0]["text"] == t(
        "vi", "err_already_decided", decision=t("vi", "decision_approved", who="Hùng"), who="Hùng")
    with bot.session() as s:
        assert s.exec(select(Extension)).one().decision == "approved"


async def test_extension_rejected_and_refusals(bot):
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 30/06/2018 cần thêm thời gian", language_code="en")
    (request,) = r.to(OVERSIGHT_CHAT)
    # a focal chat cannot decide on its own request
    r = await bot.press(FOCAL_CHAT, request["message_id"], button(request, "✔️"))
    assert r.answers[0]["show_alert"] and r.answers[0]["text"] == t("vi", "only_oversight")
    r = await bot.press(OVERSIGHT_CHAT, request["message_id"], button(request, "✖️"))
    # the chat hears it in the chat's language (LANGUAGE=vi, no /lang), whoever asked
    assert r.texts(FOCAL_CHAT) == [t("vi", "extension_rejected_tell", key="5099-1", date="14/06/2018", who="Người dùng")]
    assert r.texts(FOCAL_CHAT) == [
        "✖️ Cơ quan thường trực không đồng ý gia hạn nhiệm vụ 5099-1; hạn vẫn là 14/06/2018 (Người dùng)."]
    assert occurrence(bot, "5099-1").extended_due is None


async def test_extend_bad_input(bot):
    cases = {
        "/extend 5099-1 31/02/2018 lý do": t("vi", "bad_date", text="31/02/2018"),
        "/extend 5099-1 2018-06-30 lý do": t("vi", "bad_date", text="2018-06-30"),
        "/extend 5099-1 30/06/2018": t("vi", "err_no_reason") + "\n" + t("vi", "extend_usage", example="5099-1"),
        "/extend 5099-1 10/06/2018 sớm hơn": t("vi", "err_date_not_later", current="14/06/2018"),
        "/extend 5099-3 30/06/2018 thường xuyên": t("vi", "err_no_deadline", key="5099-3"),
        "/extend": t("vi", "extend_usage", example="5099-1"),
    }
    for command, expected in cases.items():
        r = await bot.say(FOCAL_CHAT, command)
        assert r.text == expected, (command, r.text)
        assert r.to(OVERSIGHT_CHAT) == []
    assert "Ngày «31/02/2018» không hợp lệ" in cases["/extend 5099-1 31/02/2018 lý do"]
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1 1/13/2018 x", language_code="en")
    assert r.text == t("en", "bad_date", text="1/13/2018") and "Write it as day/month/year (dd/mm/yyyy)" in r.text
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
    assert r.text == t("vi", "extend_asked", key="5099-1", period="", date="30/06/2018") + "\n" + t(
        "vi", "no_oversight_chat")


async def test_extend_by_forcereply_conversation(bot):
    r = await bot.say(FOCAL_CHAT, "/extend 5099-1", first_name="Lan")
    (prompt,) = r.sent
    assert prompt["text"] == t("vi", "extend_prompt", key="5099-1", period="", due="14/06/2018", name="Lan",
                               example_date="28/06/2018")  # two weeks after the deadline in force
    assert "Xin gia hạn nhiệm vụ 5099-1 (hạn hiện tại 14/06/2018)" in prompt["text"]
    assert prompt["sent_reply_markup"]["force_reply"] is True
    assert prompt["sent_reply_markup"]["input_field_placeholder"] == t("vi", "extend_placeholder")
    r = await bot.say(FOCAL_CHAT, "ngày mai", reply_to_message_id=prompt["message_id"])
    assert r.text == t("vi", "bad_date", text="ngày")
    r = await bot.say(FOCAL_CHAT, "30/06/2018", reply_to_message_id=prompt["message_id"])
    assert r.text == t("vi", "extend_reply_missing_reason")
    r = await bot.say(FOCAL_CHAT, "30/06/2018 chờ số liệu", reply_to_message_id=prompt["message_id"])
    assert r.texts(FOCAL_CHAT)[0] == t("vi", "extend_asked", key="5099-1", period="", date="30/06/2018")
    assert len(r.to(OVERSIGHT_CHAT)) == 1
    # answering the same prompt again does not file a second request
    r = await bot.say(FOCAL_CHAT, "15/07/2018 lần nữa", reply_to_message_id=prompt["message_id"])
    assert r.text == t("vi", "extend_prompt_expired")
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
    assert r.sent[0]["text"].startswith(t("vi", "task_title", key="LONG-1"))
    assert t("vi", "task_lead", lead="Sở Nội vụ") in r.sent[1]["text"]


async def test_language_setting_and_user_language(db_url, engine):
    from sqlmodel import Session

    from tests.bot_harness import STRANGER_CHAT, seed, start, stop

    with Session(engine) as s:
        seed(s)
    bot = await start(db_url, engine, language="en")
    try:
        # LANGUAGE=en: English for everyone unless the chat chose otherwise
        r = await bot.say(STRANGER_CHAT, "/help", language_code="vi")
        assert r.text == t("en", "unlinked")
        r = await bot.say(FOCAL_CHAT, "/tasks", language_code=None)
        assert r.text.startswith(t("en", "list_tasks", scope="Sở Nội vụ", n=3))
        await bot.say(FOCAL_CHAT, "/lang vi")
        r = await bot.say(FOCAL_CHAT, "/tasks", language_code="en")
        assert r.text.startswith(t("vi", "list_tasks", scope="Sở Nội vụ", n=3))
        import json

        default = bot.tg.commands[(json.dumps({"type": "default"}), "")]
        assert {c["command"]: c["description"] for c in default}["tasks"] == "Open tasks, soonest first"
    finally:
        await stop(bot)
