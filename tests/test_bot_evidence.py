"""Completion evidence sent to the chat, and the ↩️ button that asks for a reason (issue 22), through the real
python-telegram-bot application against the fake Bot API on 127.0.0.1 — the file goes through getFile and the
file download URL as it does on api.telegram.org.

- a document with the caption "/done KEY …" (or sent as a reply to the task's reminder) is kept in the evidence
  store on the completion: same bytes, listed in `dondoc history`;
- a file of a type not accepted, or larger than EVIDENCE_MAX_MB, is refused naming the limit and nothing is
  recorded; another agency's focal point is refused before anything is fetched;
- ↩️ under a completion awaiting review asks why; the next message of that person is the reason; /cancel or a
  lapsed question leaves the completion as it is.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot import buttons as btn
from bot.texts import t
from core.i18n import _ as tr
from storage.record_tables import Completion, Evidence
from storage.tables import AuditEntry, Notification, Occurrence, Task
from tests.bot_harness import (
    ALICE, CAROL, FINANCE_CHAT, FOCAL_CHAT, OVERSIGHT_CHAT, button, buttons_of, post_message, seed, start, stop,
)
from tests.conftest import cli_runner

PDF = b"%PDF-1.4\n% Bao cao ket qua ra soat thu tuc\n" + bytes(range(256)) * 40
MB = 1024 * 1024


def occurrence(bot, key: str, occ: str = "once") -> Occurrence | None:
    with bot.session() as s:
        task = s.exec(select(Task).where(Task.key == key)).one()
        return s.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()


@pytest.fixture
async def fbot(db_url, engine, tmp_path):
    with Session(engine) as s:
        seed(s)
    running = await start(db_url, engine, evidence_dir=tmp_path / "kho", evidence_max_mb=1)
    try:
        yield running
    finally:
        await stop(running)


async def send_file(bot, chat_id, filename, content, user_id=ALICE, **kwargs):
    return await bot._run(bot.tg.push_document(chat_id, user_id, filename, content, **kwargs))


async def test_a_document_with_done_in_its_caption_is_the_completions_evidence(fbot, db_url, monkeypatch, tmp_path):
    r = await send_file(fbot, FOCAL_CHAT, "bao-cao-ra-soat.pdf", PDF,
                        caption="/done 5099-1 báo cáo số 45/BC-SNV ngày 31/05/2018", mime_type="application/pdf")
    assert r.text.startswith(t("vi", "done_ok", key="5099-1", period="", status="", name="").split(" — ")[0])
    assert tr("📎 Evidence kept: {name}", lang="vi", name="bao-cao-ra-soat.pdf") in r.text
    assert [m for m, _p in fbot.tg.requests if m in ("getFile", "download")] == ["getFile", "download"]
    assert occurrence(fbot, "5099-1").status == "done"
    with fbot.session() as s:
        c = s.exec(select(Completion)).one()
        assert (c.document_number, c.source, c.reported_by_id) == ("45/BC-SNV", "telegram", str(ALICE))
        e = s.exec(select(Evidence)).one()
        assert (e.completion_id, e.filename, e.size) == (c.id, "bao-cao-ra-soat.pdf", len(PDF))
    assert (tmp_path / "kho" / e.stored).read_bytes() == PDF  # the very bytes sent

    run = cli_runner(monkeypatch, db_url, "2018-06-01T09:00:00+07:00")
    h = run("history", "5099-1", "--json", EVIDENCE_DIR=str(tmp_path / "kho"))
    assert h.exit_code == 0, h.output
    assert "bao-cao-ra-soat.pdf" in h.stdout and "45/BC-SNV" in h.stdout


async def test_a_file_answering_the_tasks_reminder_reports_it_done(fbot, tmp_path):
    with fbot.session() as s:
        task = s.exec(select(Task).where(Task.key == "5099-1")).one()
    reminder = await post_message(fbot.tg, FOCAL_CHAT, "⏰ Nhắc việc 5099-1",
                                  btn.task_buttons(task, "once", "vi", fbot.settings.secret_for_callbacks()))
    r = await send_file(fbot, FOCAL_CHAT, "ket-qua.docx", b"PK\x03\x04 docx" * 50,
                        caption="xong ngày 30/05/2018", reply_to_message_id=reminder["message_id"])
    assert tr("📎 Evidence kept: {name}", lang="vi", name="ket-qua.docx") in r.text
    occ = occurrence(fbot, "5099-1")
    assert (occ.status, occ.completed_on.isoformat()) == ("done", "2018-05-30")
    with fbot.session() as s:
        assert s.exec(select(Evidence)).one().filename == "ket-qua.docx"
    # A photo answering the reminder of another task is that task's evidence (Telegram sends photos as JPEG).
    with fbot.session() as s:
        task3 = s.exec(select(Task).where(Task.key == "5099-3")).one()
    reminder = await post_message(fbot.tg, FOCAL_CHAT, "⏰ Nhắc việc 5099-3",
                                  btn.task_buttons(task3, "continuous", "vi", fbot.settings.secret_for_callbacks()))
    jpeg = b"\xff\xd8\xff\xe0 bien ban" * 30
    r = await fbot._run(fbot.tg.push_photo(FOCAL_CHAT, ALICE, jpeg, reply_to_message_id=reminder["message_id"]))
    assert occurrence(fbot, "5099-3", "continuous").status == "done"
    with fbot.session() as s:
        photo = s.exec(select(Evidence).where(Evidence.task_id == task3.id)).one()
    assert photo.filename.endswith(".jpg") and (tmp_path / "kho" / photo.stored).read_bytes() == jpeg
    # A file with no "/done" that answers no reminder is a file shared in the group: no answer, nothing recorded.
    r = await send_file(fbot, FOCAL_CHAT, "anh-hop.pdf", PDF, caption="ảnh buổi họp")
    assert r.sent == []
    with fbot.session() as s:
        assert len(s.exec(select(Evidence)).all()) == 2


async def test_a_wrong_type_or_too_large_file_is_refused_and_nothing_is_recorded(fbot, tmp_path):
    r = await send_file(fbot, FOCAL_CHAT, "cai-dat.exe", b"MZ" * 100, caption="/done 5099-1")
    assert "cai-dat.exe" in r.text and ".pdf" in r.text and "5099-1" in r.text
    assert tr("Nothing was recorded: task {key} is not reported done. Send an accepted file again, or /done {key} "
              "without a file.", lang="vi", key="5099-1") in r.text
    assert not [m for m, _p in fbot.tg.requests if m in ("getFile", "download")]  # refused before fetching

    big = b"%PDF-1.4\n" + b"0" * (MB + 10)  # EVIDENCE_MAX_MB=1
    r = await send_file(fbot, FOCAL_CHAT, "bao-cao.pdf", big, caption="/done 5099-1")
    assert tr("{name}: the file is larger than {mb} MB", lang="vi", name="bao-cao.pdf", mb=1) in r.text
    # Telegram understated the size: the real bytes are checked again, and still nothing is half-written.
    r = await send_file(fbot, FOCAL_CHAT, "bao-cao.pdf", big, caption="/done 5099-1", file_size=1000)
    assert tr("{name}: the file is larger than {mb} MB", lang="vi", name="bao-cao.pdf", mb=1) in r.text
    assert tr("Nothing was recorded.", lang="vi") in r.text
    assert occurrence(fbot, "5099-1") is None
    with fbot.session() as s:
        assert not s.exec(select(Completion)).all() and not s.exec(select(Evidence)).all()
    assert not list((tmp_path / "kho").glob("*.pdf"))  # no file left in the store either


async def test_an_english_chat_hears_the_refusal_in_english(db_url, engine, tmp_path):
    with Session(engine) as s:
        seed(s)
    bot = await start(db_url, engine, evidence_dir=tmp_path / "kho", evidence_max_mb=1, language="en")
    try:
        r = await send_file(bot, FOCAL_CHAT, "notes.txt", b"hello", caption="/done 5099-1", language_code="en")
        assert tr("{name}: this type of file is not accepted (accepted: {types})", lang="en", name="notes.txt",
                  types=", ".join(bot.settings.evidence_types)) in r.text
        assert "Nothing was recorded" in r.text
    finally:
        await stop(bot)


async def test_another_agencys_focal_point_cannot_attach_evidence(fbot):
    r = await send_file(fbot, FINANCE_CHAT, "bao-cao.pdf", PDF, caption="/done 5099-4")  # Sở Y tế's task
    assert r.text == t("vi", "not_in_scope", key="5099-4", scope="Sở Tài chính")
    # Sở Tài chính coordinates 5099-1 but does not lead it: it may not report the lead's completion.
    r = await send_file(fbot, FINANCE_CHAT, "bao-cao.pdf", PDF, caption="/done 5099-1")
    assert "Sở Nội vụ" in r.text and "5099-1" in r.text
    assert not [m for m, _p in fbot.tg.requests if m in ("getFile", "download")]
    with fbot.session() as s:
        assert not s.exec(select(Completion)).all() and not s.exec(select(Evidence)).all()


async def _awaiting_review(db_url, engine, tmp_path):
    with Session(engine) as s:
        seed(s)
    bot = await start(db_url, engine, evidence_dir=tmp_path / "kho", confirm_completion=True)
    r = await bot.say(FOCAL_CHAT, "/done 5099-1 báo cáo số 12")
    (notice,) = r.to(OVERSIGHT_CHAT)
    assert occurrence(bot, "5099-1").status == "pending_confirmation"
    return bot, notice


async def test_the_return_button_asks_why_and_returns_with_that_reason(db_url, engine, tmp_path):
    bot, notice = await _awaiting_review(db_url, engine, tmp_path)
    try:
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), user_id=CAROL,
                            first_name="Hùng")
        (question,) = r.to(OVERSIGHT_CHAT)
        assert question["sent_reply_markup"]["force_reply"] is True and "5099-1" in question["text"]
        assert occurrence(bot, "5099-1").status == "pending_confirmation"  # nothing returned yet
        # Another member's message is not the reason; Hùng's next message is.
        await bot.say(OVERSIGHT_CHAT, "Để tôi xem lại", user_id=ALICE)
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
        r = await bot.say(OVERSIGHT_CHAT, "Thiếu số liệu của các huyện", user_id=CAROL, first_name="Hùng",
                          reply_to_message_id=question["message_id"])
        assert r.text == t("vi", "return_ok", key="5099-1")
        assert occurrence(bot, "5099-1").status == "open"
        with bot.session() as s:
            c = s.exec(select(Completion)).one()
            assert (c.decision, c.decided_by, c.decision_reason) == ("returned", "Hùng", "Thiếu số liệu của các huyện")
            n = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).one()
            assert n.chat == f"telegram:{FOCAL_CHAT}" and n.payload["reason"] == "Thiếu số liệu của các huyện"
            assert s.exec(select(AuditEntry).where(AuditEntry.action == "task.returned")).one().actor_id == str(CAROL)
        edited = bot.tg.message(OVERSIGHT_CHAT, notice["message_id"])
        assert "Thiếu số liệu của các huyện" in edited["text"] and not buttons_of(edited)
        # The question is answered: a later message is only a message.
        await bot.say(OVERSIGHT_CHAT, "cảm ơn", user_id=CAROL)
        with bot.session() as s:
            assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "task.returned")).all()) == 1
    finally:
        await stop(bot)


async def test_cancel_or_no_answer_leaves_the_completion_unreturned(db_url, engine, tmp_path):
    bot, notice = await _awaiting_review(db_url, engine, tmp_path)
    try:
        await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), user_id=CAROL)
        r = await bot.say(OVERSIGHT_CHAT, "/cancel", user_id=CAROL)
        assert r.text == tr("Cancelled: the completion was not returned.", lang="vi")
        await bot.say(OVERSIGHT_CHAT, "Thiếu số liệu", user_id=CAROL)
        assert occurrence(bot, "5099-1").status == "pending_confirmation"

        await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), user_id=CAROL)
        bot.clock.advance(timedelta(minutes=31))
        r = await bot.say(OVERSIGHT_CHAT, "Thiếu số liệu", user_id=CAROL)
        assert r.text == tr("The question was asked more than {minutes} minutes ago: nothing was returned. Press ↩️ "
                            "again to return the completion.", lang="vi", minutes=30)
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
        with bot.session() as s:
            assert s.exec(select(Completion)).one().decision == "reported"

        # Confirmed by another administrator while the question waits: the answer returns nothing.
        await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), user_id=CAROL)
        await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "✔️"), user_id=ALICE)
        assert occurrence(bot, "5099-1").status == "done"
        r = await bot.say(OVERSIGHT_CHAT, "Thiếu số liệu", user_id=CAROL)
        assert r.text == tr("Task {key} was decided meanwhile: nothing was returned.", lang="vi", key="5099-1")
        assert occurrence(bot, "5099-1").status == "done"
    finally:
        await stop(bot)


async def test_only_the_oversight_body_is_asked(db_url, engine, tmp_path):
    bot, notice = await _awaiting_review(db_url, engine, tmp_path)
    try:
        # A plain member of the oversight group (not its administrator) is refused before any question.
        r = await bot.press(OVERSIGHT_CHAT, notice["message_id"], button(notice, "↩️"), user_id=777)
        assert r.answers[0]["show_alert"] and not r.sent
        await bot.say(OVERSIGHT_CHAT, "Thiếu số liệu", user_id=777)
        assert occurrence(bot, "5099-1").status == "pending_confirmation"
    finally:
        await stop(bot)
