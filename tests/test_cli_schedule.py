"""`dondoc link | unlink | bindings | preview`, as an administrator types them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dondoc.i18n import _
from sqlmodel import Session, select
from typer.testing import CliRunner

from dondoc.cli import app
from storage.db import session_scope
from storage.tables import AuditEntry, ChatBinding, Notification, Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def cli(monkeypatch, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CLOCK_START", "2018-05-23T09:00:00+07:00")
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def tasks(engine):
    now = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
    with session_scope(engine) as s:
        d = make_directive(s, now=now)
        make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=now, directive=d, coordinators=["so-tu-phap"],
                  content="Gửi kế hoạch triển khai Chỉ số PAR INDEX")
        make_task(s, key="T2", deadline_text="trước ngày 15/11/2018", now=now, directive=d, lead="so-tai-chinh")
    with session_scope(engine) as s:  # as if planned already
        for t in s.exec(select(Task)).all():
            t.next_check_at = now + timedelta(days=10)
    return now


def bindings(engine):
    with Session(engine) as s:
        return s.exec(select(ChatBinding).order_by(ChatBinding.id)).all()


def test_link_by_name_with_a_negative_chat_id(cli, engine, tasks):
    r = cli("link", "Sở Nội vụ", "-1001234567890", "--role", "focal", "--title", "Nhóm đầu mối SNV")
    assert r.exit_code == 0, r.output
    assert "Linked telegram:-1001234567890 to Sở Nội vụ (so-noi-vu) as focal (cán bộ đầu mối)" in r.output
    [b] = bindings(engine)
    assert (b.platform, b.chat_id, b.agency, b.role, b.active, b.title) == (
        "telegram", "-1001234567890", "so-noi-vu", "focal", True, "Nhóm đầu mối SNV")
    assert abs(b.created_at - datetime(2018, 5, 23, 9, 0, tzinfo=VN)) < timedelta(minutes=1)  # CLOCK_START
    with Session(engine) as s:
        [a] = s.exec(select(AuditEntry).where(AuditEntry.action == "binding.linked")).all()
        assert a.entity_key == "telegram:-1001234567890:so-noi-vu:focal" and a.source == "cli"
        planned_again = {t.key for t in s.exec(select(Task).where(Task.next_check_at.is_(None))).all()}
    assert planned_again == {"T1"}
    again = cli("link", "so-noi-vu", "-1001234567890", "--role", "focal")
    assert again.exit_code == 0 and "already linked" in again.output
    assert len(bindings(engine)) == 1


def test_link_oversight_replans_every_task(cli, engine, tasks):
    assert cli("link", "Văn phòng UBND tỉnh", "-100777", "--role", "oversight").exit_code == 0
    with Session(engine) as s:
        assert all(t.next_check_at is None for t in s.exec(select(Task)).all())


@pytest.mark.parametrize("args, message", [
    (("Sở Nội vụ", "-100", "--role", "boss"), "--role 'boss': accepted: focal | manager | oversight | leadership"),
    (("Sở Nội vụ", "nhom-abc", "--role", "focal"), "is not a Telegram chat id"),
    (("Sở Nội vụ", "-100", "--role", "focal", "--platform", "viber"), "--platform 'viber': accepted: telegram | zalo | email"),
    (("Sở Nội vụ", "a b", "--role", "focal", "--platform", "zalo"),
     _("CHAT_ID '{chat}' is not a Zalo chat id: the id the bot shows a person who writes to it (letters and digits), "
       "\"g:<id>\" for a group.", lang="vi", chat="a b")),
    (("Sở Nội vụ", "not-an-address", "--role", "manager", "--platform", "email"),
     _("ADDRESS '{address}' is not an e-mail address (e.g. someone@snv.example.gov.vn).", lang="vi",
       address="not-an-address")),
    (("Sở Nội vụ", "-100", "--role", "focal", "--language", "fr"), "--language 'fr': accepted: vi | en"),
    (("Sở Nội vu xyz", "-100", "--role", "focal"), "Unknown agency"),
    (("Các sở, ban, ngành", "-100", "--role", "focal"), "a chat is linked to one agency at a time"),
])
def test_link_bad_input_says_what_and_changes_nothing(cli, engine, args, message):
    r = cli("link", *args)
    assert r.exit_code == 2
    assert message in r.output
    assert bindings(engine) == []


def test_unknown_agency_suggests_the_closest(cli):
    r = cli("link", "So Noi Vuu", "-100", "--role", "focal")
    assert r.exit_code == 2 and "Did you mean" in r.output and "Sở Nội vụ" in r.output


def test_unlink_and_bindings(cli, engine, tasks):
    cli("link", "Sở Nội vụ", "-1001", "--role", "focal")
    cli("link", "Sở Nội vụ", "-1001", "--role", "manager")
    cli("link", "Sở Tư pháp", "42", "--role", "focal", "--language", "en")
    listing = cli("bindings")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["CHAT", "AGENCY", "ROLE", "SINCE", "STATE", "TITLE"]
    assert any("telegram:42" in l and "Sở Tư pháp (so-tu-phap)" in l and "focal (cán bộ đầu mối)" in l and
               "23/05/2018" in l and "active" in l for l in lines)
    r = cli("unlink", "Sở Nội vụ", "-1001", "--role", "manager")
    assert r.exit_code == 0 and "Unlinked telegram:-1001 from so-noi-vu (manager)" in r.output
    assert [(b.role, b.active) for b in bindings(engine) if b.chat_id == "-1001"] == [("focal", True), ("manager", False)]
    assert "manager" not in cli("bindings").output
    assert "disabled: unlinked by" in cli("bindings", "--all").output
    again = cli("unlink", "Sở Nội vụ", "-1001", "--role", "manager")
    assert again.exit_code == 2 and "is not linked to so-noi-vu as manager" in again.output
    with Session(engine) as s:
        assert [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()] == [
            "binding.linked", "binding.linked", "binding.linked", "binding.unlinked"]
    # Linking again starts afresh from now.
    assert cli("link", "Sở Nội vụ", "-1001", "--role", "manager").exit_code == 0
    assert all(b.active for b in bindings(engine))


def test_bindings_when_none(cli):
    r = cli("bindings")
    assert r.exit_code == 0 and "No chat is linked yet" in r.output


def test_preview_shows_every_message_with_chat_step_and_text_and_sends_nothing(cli, engine, tasks):
    with session_scope(engine) as s:
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=tasks, title="Đầu mối SNV")
    r = cli("preview", "--from", "01/06/2018", "--to", "2018-06-20")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.splitlines()[0].startswith("Preview 01/06/2018 – 20/06/2018:")
    assert "07/06/2018 08:00  telegram:-1001 (Đầu mối SNV — Sở Nội vụ · cán bộ đầu mối)  remind:7:2018-06-14  [T1]" in out
    assert "    ⏰ Nhắc hạn: còn 7 ngày" in out and "    Gửi kế hoạch triển khai Chỉ số PAR INDEX" in out
    assert "[✅ Hoàn thành]" in out
    # Chats nobody linked yet still show who would hear it.
    # Leaders' chats hear it in their brief of the day (DAILY_BUDGET), one message however many tasks.
    assert "15/06/2018 08:00  (no chat linked) Sở Nội vụ · lãnh đạo đơn vị  brief:daily  [2018-06-15]" in out
    assert "    📋 Bản tin đôn đốc ngày 15/06 (thứ Sáu) — lãnh đạo đơn vị, Sở Nội vụ" in out
    assert "(no chat linked) Sở Tư pháp · cán bộ đầu mối  remind:7:2018-06-14  [T1]" in out
    assert "19/06/2018 08:00  (no chat linked) mọi cơ quan · cơ quan thường trực  brief:daily  [2018-06-19]" in out
    assert "escalate:" not in out
    assert not any("[T2]" in line for line in out.splitlines())  # due in November: nothing in this window
    with Session(engine) as s:
        assert s.exec(select(Notification)).all() == []  # nothing planned into the outbox, nothing sent


def test_preview_short_and_for_one_agency(cli, engine, tasks):
    r = cli("preview", "--from", "01/11/2018", "--to", "20/11/2018", "--agency", "Sở Tài chính", "--short")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    # focal: 4 reminders and 3 weekly agendas; the manager: a brief and an agenda; oversight: a brief naming T2
    assert lines[0] == "Preview 01/11/2018 – 20/11/2018, Sở Tài chính: 10 message(s) to 3 chat(s); nothing is sent."
    assert [l.split("  ")[2] for l in lines[1:] if "[T2]" in l] == [
        "remind:7:2018-11-15", "remind:3:2018-11-15", "remind:1:2018-11-15", "remind:0:2018-11-15"]
    assert [(l[:10], l.split("  ")[2]) for l in lines[1:] if "brief:" in l] == [
        ("16/11/2018", "brief:daily"), ("20/11/2018", "brief:daily")]
    assert not any("[T1]" in l for l in lines)


@pytest.mark.parametrize("args, message", [
    (("--from", "31/02/2018"), "--from '31/02/2018': accepted: a date written dd/mm/yyyy"),
    (("--from", "2018-06-10", "--to", "01/06/2018"), "--to 01/06/2018 is before --from 2018-06-10"),
    (("--agency", "Sở Không Có"), "Unknown agency"),
])
def test_preview_bad_input(cli, args, message):
    r = cli("preview", *args)
    assert r.exit_code == 2 and message in r.output


def test_preview_of_the_sample_registry(cli, monkeypatch):
    """The README's example: 5099/UBND-HCC from 23/5/2018 to 31/12/2018."""
    monkeypatch.setenv("AGENCIES_FILE", str(EXAMPLES / "agencies-dong-nai.yaml"))
    imported = cli("import", str(EXAMPLES / "5099-UBND-HCC.yaml"))
    assert imported.exit_code == 0, imported.output
    r = cli("preview", "--from", "23/5/2018", "--to", "31/12/2018", "--agency", "Sở Nội vụ", "--short")
    assert r.exit_code == 0, r.output
    steps = [l.split("  ")[2] for l in r.output.splitlines()[1:]]
    assert steps[:2] == ["new:2018-05-23", "new:2018-05-23"]
    for s in ("remind:7:2018-06-14", "remind:0:2018-06-14", "brief:daily", "remind:7:2018-11-15", "digest:weekly"):
        assert s in steps
    assert not any(s.startswith(("escalate:", "repeat:")) for s in steps)  # leaders hear them in briefs


def test_preview_stats_and_json(cli, engine, tasks):
    from dondoc.i18n import _

    with session_scope(engine) as s:
        make_binding(s, chat_id=-1004, agency="ubnd-tinh", role="leadership", now=tasks)
    stats = cli("preview", "--from", "01/06/2018", "--to", "30/06/2018", "--stats")
    assert stats.exit_code == 0, stats.output
    lines = stats.output.splitlines()
    assert lines[1].split()[0] == _("CHAT")
    [lead] = [line for line in lines if line.startswith("telegram:-1004")]
    # June: the agenda of 11/6 (T1 due that week) and the brief of 25/6 (T1 7 working days late); at most
    # one a day (the earliest of the busiest days is named); a median of 0 a working day
    assert lead.split()[-5:] == ["leadership", "2", "11/06/2018", "1", "0"]
    out = cli("preview", "--from", "01/06/2018", "--to", "30/06/2018", "--json").output.splitlines()
    import json

    msgs = [json.loads(line) for line in out]
    brief = [m for m in msgs if m["chat"] == "telegram:-1004" and m["step"] == "brief:daily"]
    assert [(m["at"], m["task"], m["items"]) for m in brief] == [("2018-06-25T08:00:00+07:00", None, ["T1"])]
    assert set(msgs[0]) == {"at", "chat", "role", "agency", "step", "task", "items", "text"}
