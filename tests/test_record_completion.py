"""Completion as clerks record it and its review (issue 22), through the real command line: `done --on`
(a 2013 task done in 2013 counts on time), the report document and files (kept in the store, in the XLSX
detail), `return` (open again, counted not done, its agency told why), the current period by default, and
the history in words in both languages."""

from __future__ import annotations

import json
from datetime import date, datetime

import openpyxl
import pytest
from sqlmodel import Session, select

from core.i18n import _
from storage.record_tables import Completion, Evidence
from storage.tables import AuditEntry, Notification, Occurrence, Task
from tests.conftest import VN, cli_runner
from tests.factories import make_binding, make_directive, make_task

NOW = "2026-08-03T09:00:00+07:00"  # a Monday
PDF = b"%PDF-1.4\n% bao cao\n" + b"x" * 2000


@pytest.fixture
def cli(engine, db_url, monkeypatch, tmp_path):
    with Session(engine) as s:
        d2013 = make_directive(s, number="62/KH-UBND", issued=date(2013, 3, 1))
        make_task(s, key="KH-2013", deadline_text="trước ngày 31/12/2013", now=datetime(2026, 1, 5, 9, 0, tzinfo=VN),
                  directive=d2013, lead="so-noi-vu")
        make_task(s, key="Q", deadline_text="định kỳ hàng quý", now=datetime(2026, 1, 5, 9, 0, tzinfo=VN),
                  issued=date(2026, 1, 1), lead="so-noi-vu")
        make_binding(s, chat_id=-5001, agency="so-noi-vu", role="focal", now=datetime(2026, 1, 5, tzinfo=VN))
        s.commit()
    (tmp_path / "bc.pdf").write_bytes(PDF)
    return cli_runner(monkeypatch, db_url, NOW)


def occ(engine, key, occurrence="once") -> Occurrence | None:
    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == key)).one()
        return s.exec(select(Occurrence).where(Occurrence.task_id == t.id, Occurrence.key == occurrence)).first()


def year_2013(cli) -> dict:
    r = cli("report", "--period", "năm 2013", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["totals"]


def test_a_2013_task_done_in_2013_counts_on_time_with_its_document_and_file(cli, engine, tmp_path):
    r = cli("done", "KH-2013", "--on", "15/12/2013", "--document", "123/BC-SNV", "--document-date", "16/12/2013",
            "--file", str(tmp_path / "bc.pdf"), "--note", "Đã gửi UBND tỉnh", "--as", "Trần Thị Bình",
            LANGUAGE="en")
    assert r.exit_code == 0, r.output
    assert "Marked KH-2013 done on 15/12/2013." in r.stdout and "File kept: bc.pdf" in r.stdout
    assert occ(engine, "KH-2013").completed_on == date(2013, 12, 15)
    totals = year_2013(cli)
    assert (totals["done_on_time"], totals["done_late"]) == (1, 0)
    with Session(engine) as s:
        c = s.exec(select(Completion)).one()
        assert (c.document_number, c.document_date, c.reported_by) == ("123/BC-SNV", date(2013, 12, 16),
                                                                        "Trần Thị Bình")
        e = s.exec(select(Evidence)).one()
        assert (e.filename, e.size, e.completion_id) == ("bc.pdf", len(PDF), c.id)
    stored = tmp_path / "evidence" / e.stored  # beside the database by default
    assert stored.read_bytes() == PDF
    # … and in the XLSX report's detail sheet.
    out = tmp_path / "r.xlsx"
    assert cli("report", "--period", "năm 2013", "-o", str(out), LANGUAGE="en").exit_code == 0
    ws = next(w for w in openpyxl.load_workbook(out).worksheets if "Report document" in [c.value for c in w[4]])
    header = [c.value for c in ws[4]]
    row = [c.value for c in ws[5]]
    assert row[header.index("Report document")] == "123/BC-SNV (16/12/2013)"
    assert row[header.index("Evidence files")] == "bc.pdf"


def test_done_refuses_a_day_after_today_or_before_the_task_was_given_and_writes_nothing(cli, engine, tmp_path):
    for day, words in (("04/08/2026", "cannot be done after today (03/08/2026)"),
                       ("28/02/2013", "before the task was given (01/03/2013)")):
        r = cli("done", "KH-2013", "--on", day, LANGUAGE="en")
        assert r.exit_code == 2 and words in r.stderr, r.output
    r = cli("done", "KH-2013", "--on", "31/2/2013", LANGUAGE="en")
    assert r.exit_code == 2 and "--on" in r.stderr
    (tmp_path / "virus.exe").write_bytes(b"MZ")
    r = cli("done", "KH-2013", "--file", str(tmp_path / "virus.exe"), LANGUAGE="en")
    assert r.exit_code == 2 and "virus.exe: this type of file is not accepted" in r.stderr
    (tmp_path / "big.pdf").write_bytes(b"%PDF" + b"0" * (1024 * 1024 + 1))
    r = cli("done", "KH-2013", "--file", str(tmp_path / "big.pdf"), EVIDENCE_MAX_MB="1", LANGUAGE="en")
    assert r.exit_code == 2 and "big.pdf: the file is larger than 1 MB" in r.stderr
    r = cli("done", "KH-2013", "--on", "15/12/2013", LANGUAGE="vi")
    assert r.exit_code == 0 and _("Marked {key} done on {date}.", "vi", key="KH-2013", date="15/12/2013") in r.stdout
    with Session(engine) as s:
        assert len(s.exec(select(Completion)).all()) == 1 and not s.exec(select(Evidence)).all()
    assert not (tmp_path / "evidence").exists()


def test_a_returned_completion_is_open_again_counted_not_done_and_its_agency_is_told(cli, engine):
    assert cli("done", "KH-2013", "--on", "15/12/2013", "--document", "123/BC-SNV").exit_code == 0
    assert year_2013(cli)["done_on_time"] == 1
    r = cli("return", "KH-2013", "--reason", "Thiếu số liệu quý IV", "--as", "Lê Văn Cường", LANGUAGE="en",
            CLOCK_START="2026-08-05T10:00:00+07:00")
    assert r.exit_code == 0, r.output
    assert "Returned KH-2013: open again" in r.stdout
    o = occ(engine, "KH-2013")
    assert (o.status, o.completed_on) == ("open", None)
    totals = year_2013(cli)
    # (a closed year is judged at its end, 31/12/2013: the task due that day is open, not done)
    assert (totals["done_on_time"], totals["done_late"], totals["open_in_term"]) == (0, 0, 1), totals
    with Session(engine) as s:
        c = s.exec(select(Completion)).one()
        assert (c.decision, c.decided_by, c.decision_reason) == ("returned", "Lê Văn Cường", "Thiếu số liệu quý IV")
        # report → decision, kept (the CLI's clock runs from CLOCK_START: allow its seconds)
        assert abs((c.decided_at - c.reported_at).total_seconds() - (2 * 86400 + 3600)) < 60
        [n] = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).all()
        assert (n.chat, n.payload["reason"], n.status) == ("telegram:-5001", "Thiếu số liệu quý IV", "pending")
        [a] = s.exec(select(AuditEntry).where(AuditEntry.action == "task.returned")).all()
        assert abs(a.detail["waited_seconds"] - (2 * 86400 + 3600)) < 60
    r = cli("return", "KH-2013", "--reason", "x", LANGUAGE="en")
    assert r.exit_code == 2 and "not reported done" in r.stderr
    r = cli("return", "KH-2013", "--reason", " ", LANGUAGE="en")
    assert r.exit_code == 2 and "--reason" in r.stderr
    # Done again, with the right day: counted done again.
    assert cli("done", "KH-2013", "--on", "20/12/2013", CLOCK_START="2026-08-06T09:00:00+07:00").exit_code == 0
    assert year_2013(cli)["done_on_time"] == 1


def test_the_message_of_a_return_in_both_languages(engine, cli):
    from bot.compose import Composer
    from core.workdays import WorkCalendar
    from dondoc.settings import load_settings

    assert cli("done", "KH-2013", "--on", "15/12/2013").exit_code == 0
    assert cli("return", "KH-2013", "--reason", "Thiếu số liệu quý IV", "--as", "Sở Nội vụ").exit_code == 0
    from types import SimpleNamespace

    settings = load_settings(environ={}, dotenv_path=None, database_url=str(engine.url))
    composer = Composer(settings, WorkCalendar.from_file(None))
    with Session(engine) as s:
        row = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).one()
        for lang, words in (("vi", "Trả lại báo cáo hoàn thành"), ("en", "Completion returned")):
            chat = SimpleNamespace(language=lang)
            text = composer.compose(s, row, datetime(2026, 8, 3, 9, 0, tzinfo=VN), chat).text
            assert words in text and "Thiếu số liệu quý IV" in text and "KH-2013" in text, text


def test_the_current_period_by_default(cli, engine):
    # 03/08/2026: Q3's deadline (30/09) is the nearest not yet passed — not Q2 (30/06), open and overdue.
    assert cli("done", "Q").exit_code == 0
    assert occ(engine, "Q", "2026-09-30").status == "done"
    assert occ(engine, "Q", "2026-06-30") is None
    # Q4 reported early too: no open deadline ahead within reach … the next open one (31/12) is still ahead.
    assert cli("done", "Q").exit_code == 0
    assert occ(engine, "Q", "2026-12-31").status == "done"
    # With every deadline ahead of the lookahead done, the latest passed one still open is the current one.
    from storage.actions import current_occurrence

    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == "Q")).one()
        assert current_occurrence(s, t, date(2026, 8, 3)) == "2027-03-31"
        for key in ("2027-03-31", "2027-06-30", "2027-09-30"):
            s.add(Occurrence(task_id=t.id, key=key, due=date.fromisoformat(key), status="done",
                             updated_at=datetime(2026, 8, 3, tzinfo=VN)))
        s.commit()
        t = s.exec(select(Task).where(Task.key == "Q")).one()
        assert current_occurrence(s, t, date(2026, 8, 3)) == "2027-12-31"
    r = cli("done", "--help", LANGUAGE="en")
    assert "nearest not yet passed" in " ".join(r.stdout.split())


def test_every_action_in_words_in_both_languages(cli, engine):
    assert cli("done", "KH-2013", "--on", "15/12/2013", "--document", "123/BC-SNV", "--as", "Trần Thị Bình").exit_code == 0
    assert cli("return", "KH-2013", "--reason", "Thiếu số liệu", "--as", "Lê Văn Cường").exit_code == 0
    en = cli("history", "KH-2013", LANGUAGE="en").stdout
    vi = cli("history", "KH-2013", LANGUAGE="vi").stdout
    assert "Trần Thị Bình (command line): Reported done on 15/12/2013" in en
    assert "Lê Văn Cường (command line): Completion returned: Thiếu số liệu" in en
    assert "Trần Thị Bình (dòng lệnh): Báo cáo hoàn thành ngày 15/12/2013" in vi
    assert "Lê Văn Cường (dòng lệnh): Trả lại báo cáo hoàn thành: Thiếu số liệu" in vi
    assert "Document 123/BC-SNV" in en and "Văn bản 123/BC-SNV" in vi
    assert "task." not in en and "task." not in vi  # no codes
    assert "root" not in en  # never the Unix login


def test_every_known_action_has_words_in_both_languages():
    from storage.history import describe

    actions = ["task.created", "task.changed", "task.restored", "task.removed", "task.progress", "task.done",
               "task.done_claimed", "task.completion_confirmed", "task.completion_rejected", "task.returned",
               "task.acknowledged", "extension.requested", "extension.approved", "extension.rejected",
               "task.handed_over", "task.reassigned", "task.lead_corrected", "task.evidence"]
    detail = {"occurrence": "2026-09-30", "reason": "r", "note": "n", "from": "a", "to": "b", "since": "2025-03-01",
              "completed_on": "2026-08-03", "percent": 40, "requested_due": "2026-10-15", "previous_due": "2026-09-30",
              "changes": {"content": ["x", "y"]}, "lead": "a", "deadline": "Quý III", "document": "1/BC",
              "files": ["a.pdf"]}
    for a in actions:
        vi, en = describe(a, detail, {"a": "Sở A", "b": "Sở B"}, "vi"), describe(a, detail, {}, "en")
        assert vi != en and "(recorded)" not in en and "đã ghi nhận" not in vi, a


def test_the_evidence_store_keeps_a_file_once_by_its_content_and_never_outside_itself(tmp_path):
    from storage.evidence import EvidenceError, EvidenceStore

    store = EvidenceStore(tmp_path / "ev", max_bytes=10_000, types=(".pdf", ".png"))
    a = store.put("C:\\Users\\lan\\Báo cáo.pdf", PDF[:5000])
    b = store.put("ban-sao.pdf", PDF[:5000])
    assert a.filename == "Báo cáo.pdf" and a.stored == b.stored and store.has(a.stored)
    assert [p.name for p in (tmp_path / "ev").iterdir()] == [a.stored]  # kept once, no temporary file left
    assert store.path(a.stored).read_bytes() == PDF[:5000]
    for bad in ("../x.pdf", ".hidden", "a/b.pdf"):
        with pytest.raises(EvidenceError):
            store.path(bad)
        assert not store.has(bad)
    with pytest.raises(EvidenceError):
        store.put("x.pdf", b"")
    with pytest.raises(EvidenceError):
        store.put("x.PDF", b"0" * 10_001)
    assert store.put("X.PDF", b"%PDF").stored.endswith(".pdf")


def test_evidence_settings_are_read_and_a_bad_list_says_what_is_accepted(tmp_path):
    from core.settings import SettingsError
    from dondoc.settings import load_settings
    from storage.evidence import EvidenceStore

    s = load_settings(environ={"EVIDENCE_TYPES": "pdf, .DOCX;png", "EVIDENCE_MAX_MB": "5",
                               "DONDOC_ACTOR": " Nguyễn Văn An "}, dotenv_path=None,
                      database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert s.evidence_types == (".docx", ".pdf", ".png") and s.actor == "Nguyễn Văn An"
    store = EvidenceStore.from_settings(s)
    assert store.root == tmp_path / "evidence" and store.max_bytes == 5 * 1024 * 1024
    with pytest.raises(SettingsError) as e:
        load_settings(environ={"EVIDENCE_TYPES": "pdf, ../x"}, dotenv_path=None)
    assert "EVIDENCE_TYPES" in str(e.value)
