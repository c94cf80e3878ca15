"""`dondoc link | unlink | bindings | preview`, as an administrator types them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from dondoc.cli import app
from core.i18n import _, ngettext
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

    def invoke(*args, lang: str = "vi"):
        return runner.invoke(app, list(args), catch_exceptions=False, env={"LANGUAGE": lang})

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
    assert r.output.strip() == (
        _("Linked {chat} to {agency} ({code}) as {role} ({role_label}).", lang="vi", chat="telegram:-1001234567890",
          agency="Sở Nội vụ", code="so-noi-vu", role="focal", role_label="cán bộ đầu mối") + " "
        + ngettext("{n} task will be re-planned on the next tick.", "{n} tasks will be re-planned on the next tick.", 1,
                   lang="vi"))
    assert r.output.startswith("Đã liên kết telegram:-1001234567890 với Sở Nội vụ (so-noi-vu), vai trò focal")
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
    assert again.exit_code == 0 and again.output.strip() == _(
        "{chat} is already linked to {agency} as {role}.", lang="vi", chat="telegram:-1001234567890", agency="so-noi-vu",
        role="focal")
    again = cli("link", "Sở Nội vụ", "-1001234567890", "--role", "focal", lang="en")
    assert again.output.strip() == "telegram:-1001234567890 is already linked to so-noi-vu as focal."
    assert len(bindings(engine)) == 1


def test_link_oversight_replans_every_task(cli, engine, tasks):
    assert cli("link", "Văn phòng UBND tỉnh", "-100777", "--role", "oversight").exit_code == 0
    with Session(engine) as s:
        assert all(t.next_check_at is None for t in s.exec(select(Task)).all())


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("args, msgid, values", [
    (("Sở Nội vụ", "-100", "--role", "boss"), "--role {role!r}: accepted: {accepted}.",
     dict(role="boss", accepted="focal | manager | oversight | leadership")),
    (("Sở Nội vụ", "nhom-abc", "--role", "focal"), "CHAT_ID {value!r} is not a Telegram chat id: a number (groups are "
     "negative, e.g. -1001234567890) or a channel's @username.", dict(value="nhom-abc")),
    (("Sở Nội vụ", "-100", "--role", "focal", "--platform", "viber"), "--platform {value!r}: accepted: {accepted}.",
     dict(value="viber", accepted="telegram | zalo | email")),
    (("Sở Nội vụ", "a b", "--role", "focal", "--platform", "zalo"),
     "CHAT_ID '{chat}' is not a Zalo chat id: the id the bot shows a person who writes to it (letters and digits), "
     "\"g:<id>\" for a group.", dict(chat="a b")),
    (("Sở Nội vụ", "not-an-address", "--role", "manager", "--platform", "email"),
     "ADDRESS '{address}' is not an e-mail address (e.g. someone@snv.example.gov.vn).", dict(address="not-an-address")),
    (("Sở Nội vụ", "-100", "--role", "focal", "--language", "fr"), "--language {value!r}: accepted: {accepted}.",
     dict(value="fr", accepted="vi | en")),
    (("Sở Nội vu xyz", "-100", "--role", "focal"), "Unknown agency {text!r}.", dict(text="Sở Nội vu xyz")),
    (("Các sở, ban, ngành", "-100", "--role", "focal"), "a chat is linked to one agency at a time", {}),
])
def test_link_bad_input_says_what_and_changes_nothing(cli, engine, args, msgid, values, lang):
    message = _(msgid, lang=lang, **values)
    r = cli("link", *args, lang=lang)
    assert r.exit_code == 2
    assert message in r.output
    assert bindings(engine) == []


def test_unknown_agency_suggests_the_closest(cli):
    r = cli("link", "So Noi Vuu", "-100", "--role", "focal")
    assert r.exit_code == 2 and _("Did you mean: {names}?", lang="vi", names="Sở Nội vụ, Sở Ngoại vụ") in r.output


def test_unlink_and_bindings(cli, engine, tasks):
    cli("link", "Sở Nội vụ", "-1001", "--role", "focal")
    cli("link", "Sở Nội vụ", "-1001", "--role", "manager")
    cli("link", "Sở Tư pháp", "42", "--role", "focal", "--language", "en")
    listing = cli("bindings")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    header = [_(h, lang="vi") for h in ("CHAT", "AGENCY", "ROLE", "SINCE", "STATE", "TITLE")]
    assert [c.strip() for c in lines[0].split("  ") if c.strip()] == header and header[0] == "NHÓM"
    header_en = cli("bindings", lang="en").output.splitlines()[0]
    assert header_en.split() == ["CHAT", "AGENCY", "ROLE", "SINCE", "STATE", "TITLE"]
    assert any("telegram:42" in l and "Sở Tư pháp (so-tu-phap)" in l and "focal (cán bộ đầu mối)" in l and
               "23/05/2018" in l and _("active", lang="vi") in l for l in lines)
    r = cli("unlink", "Sở Nội vụ", "-1001", "--role", "manager")
    assert r.exit_code == 0 and r.output.strip() == _("Unlinked {chat} from {agency} ({roles}).", lang="vi",
                                                      chat="telegram:-1001", agency="so-noi-vu", roles="manager")
    assert [(b.role, b.active) for b in bindings(engine) if b.chat_id == "-1001"] == [("focal", True), ("manager", False)]
    assert "manager" not in cli("bindings").output
    assert _("disabled: {reason}", lang="en", reason="unlinked by") in cli("bindings", "--all", lang="en").output
    assert _("disabled: {reason}", lang="vi", reason="unlinked by") in cli("bindings", "--all").output
    again = cli("unlink", "Sở Nội vụ", "-1001", "--role", "manager")
    assert again.exit_code == 2 and _("{chat} is not linked to {agency} as {role}", lang="vi", chat="telegram:-1001",
                                      agency="so-noi-vu", role="manager") in again.output
    with Session(engine) as s:
        assert [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()] == [
            "binding.linked", "binding.linked", "binding.linked", "binding.unlinked"]
    # Linking again starts afresh from now.
    assert cli("link", "Sở Nội vụ", "-1001", "--role", "manager").exit_code == 0
    assert all(b.active for b in bindings(engine))


def test_bindings_when_none(cli):
    r = cli("bindings")
    assert r.exit_code == 0 and r.output.strip() == _(
        "No chat is linked yet: `dondoc link AGENCY CHAT_ID --role focal` or a `dondoc invite` code.", lang="vi")
    assert cli("bindings", lang="en").output.startswith("No chat is linked yet")


def test_preview_shows_every_message_with_chat_step_and_text_and_sends_nothing(cli, engine, tasks):
    with session_scope(engine) as s:
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=tasks, title="Đầu mối SNV")
    r = cli("preview", "--from", "01/06/2018", "--to", "2018-06-20")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.splitlines()[0].startswith("Xem trước 01/06/2018 – 20/06/2018:")
    assert "07/06/2018 08:00  telegram:-1001 (Đầu mối SNV — Sở Nội vụ · cán bộ đầu mối)  remind:7:2018-06-14  [T1]" in out
    assert "    ⏰ Nhắc hạn: còn 7 ngày" in out and "    Gửi kế hoạch triển khai Chỉ số PAR INDEX" in out
    assert "[✅ Hoàn thành]" in out
    # Chats nobody linked yet still show who would hear it.
    unlinked = _("(no chat linked)", lang="vi")
    # Leaders' chats hear it in their brief of the day (DAILY_BUDGET), one message however many tasks.
    assert f"15/06/2018 08:00  {unlinked} Sở Nội vụ · lãnh đạo đơn vị  brief:daily  [2018-06-15]" in out
    assert "    📋 Bản tin đôn đốc ngày 15/06 (thứ Sáu) — lãnh đạo đơn vị, Sở Nội vụ" in out
    assert f"{unlinked} Sở Tư pháp · cán bộ đầu mối  remind:7:2018-06-14  [T1]" in out
    assert f"19/06/2018 08:00  {unlinked} mọi cơ quan · cơ quan thường trực  brief:daily  [2018-06-19]" in out
    assert "escalate:" not in out
    assert not any("[T2]" in line for line in out.splitlines())  # due in November: nothing in this window
    with Session(engine) as s:
        assert s.exec(select(Notification)).all() == []  # nothing planned into the outbox, nothing sent


def test_preview_short_and_for_one_agency(cli, engine, tasks):
    r = cli("preview", "--from", "01/11/2018", "--to", "20/11/2018", "--agency", "Sở Tài chính", "--short", lang="en")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    # focal: 4 reminders and 2 weekly agendas (the agenda of Monday 12/11 would only repeat T2's reminder of that
    # 08:00, so it is not sent: issue 27); the manager: a brief and agendas; oversight: a brief naming T2
    assert lines[0] == "Preview 01/11/2018 – 20/11/2018, Sở Tài chính: 9 messages to 3 chats; nothing is sent."
    vi = cli("preview", "--from", "01/11/2018", "--to", "20/11/2018", "--agency", "Sở Tài chính", "--short").output
    assert vi.splitlines()[0] == ngettext("Preview {window}: {n} message to {chats}; nothing is sent.",
                                          "Preview {window}: {n} messages to {chats}; nothing is sent.", 9, lang="vi",
                                          window="01/11/2018 – 20/11/2018, Sở Tài chính",
                                          chats=ngettext("{n} chat", "{n} chats", 3, lang="vi"))
    assert [l.split("  ")[2] for l in lines[1:] if "[T2]" in l] == [
        "remind:7:2018-11-15", "remind:3:2018-11-15", "remind:1:2018-11-15", "remind:0:2018-11-15"]
    assert [(l[:10], l.split("  ")[2]) for l in lines[1:] if "brief:" in l] == [
        ("16/11/2018", "brief:daily"), ("20/11/2018", "brief:daily")]
    assert not any("[T1]" in l for l in lines)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("args, msgid, values", [
    (("--from", "31/02/2018"), "{option} {value!r}: accepted: a date written dd/mm/yyyy (e.g. 23/05/2018) or "
     "YYYY-MM-DD, in the years {first}-{last}.", dict(option="--from", value="31/02/2018", first=1900, last=2199)),
    (("--from", "2018-06-10", "--to", "01/06/2018"), "--to {to} is before --from {first}.",
     dict(to="01/06/2018", first="2018-06-10")),
    (("--agency", "Sở Không Có"), "Unknown agency {text!r}.", dict(text="Sở Không Có")),
])
def test_preview_bad_input(cli, args, msgid, values, lang):
    message = _(msgid, lang=lang, **values)
    r = cli("preview", *args, lang=lang)
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
    from core.i18n import _

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
