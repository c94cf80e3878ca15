"""People and departments (issue 24): `dondoc people` and `dondoc departments` through the real command line,
audited; bad input exits 2 and changes nothing; a deactivated person has no channel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from core.i18n import _
from storage.people import Department, Person, channels_of
from storage.tables import AuditEntry
from tests.conftest import cli_runner
from tests.smtp_server import SmtpServer

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 8, 3, 9, 0, tzinfo=VN)
CCHC = "Phòng Cải cách hành chính"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def cli(engine, db_url, monkeypatch, smtp):
    for k, v in dict(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), SMTP_SECURITY="none",
                     MAIL_FROM="dondoc@snv.example.gov.vn", FEED_BASE_URL="https://dondoc.example.gov.vn").items():
        monkeypatch.setenv(k, v)
    return cli_runner(monkeypatch, db_url, NOW.isoformat())


def audit(engine):
    with Session(engine) as s:
        return [(a.action, a.source) for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]


def person(engine, name="Nguyễn Văn An") -> Person:
    with Session(engine) as s:
        return s.exec(select(Person).where(Person.name == name)).one()


def test_add_list_edit_deactivate_as_the_issue_shows(cli, engine):
    assert cli("departments", "add", "Sở Nội vụ", CCHC).exit_code == 0
    r = cli("people", "add", "Nguyễn Văn An", "--agency", "Sở Nội vụ", "--department", CCHC,
            "--position", "Chuyên viên", "--zalo", "1234567", "--email", "an@example.gov.vn")
    assert r.exit_code == 0, r.output
    r = cli("people", "add", "Trần Thị Bình", "--agency", "Sở Nội vụ", "--department", "phong cai cach hanh chinh",
            "--position", "Trưởng phòng", "--telegram", "777", "--head")
    assert r.exit_code == 0, r.output
    an, binh = person(engine), person(engine, "Trần Thị Bình")
    assert (an.agency, an.position, an.zalo_user, an.email, an.is_head) == (
        "so-noi-vu", "Chuyên viên", "1234567", "an@example.gov.vn", False)
    assert binh.is_head and binh.department_id == an.department_id  # matched without diacritics
    # the address is used once its owner confirmed it; Zalo at once
    assert channels_of(an) == [("zalo", "1234567")]
    r = cli("people", "list", "--agency", "Sở Nội vụ")
    assert "Nguyễn Văn An" in r.stdout and "zalo:1234567" in r.stdout and "telegram:777" in r.stdout
    assert _("email:{address} (awaiting confirmation)", "vi", address="an@example.gov.vn") in r.stdout

    r = cli("people", "edit", "nguyen van an", "--phone", "0912 345 678", "--order", "email,zalo")
    assert r.exit_code == 0, r.output
    assert person(engine).phone == "0912 345 678" and person(engine).channel_order == ["email", "zalo"]
    assert cli("people", "deactivate", f"#{an.id}", "--reason", "nghỉ hưu").exit_code == 0
    assert channels_of(person(engine)) == []  # a deactivated person gets nothing
    assert "Nguyễn Văn An" not in cli("people", "list").stdout
    assert "Nguyễn Văn An" in cli("people", "list", "--all").stdout
    assert cli("people", "edit", f"#{an.id}", "--zalo", "1").exit_code == 2
    assert audit(engine) == [("department.added", "cli"), ("person.added", "cli"), ("person.added", "cli"),
                             ("person.edited", "cli"), ("person.deactivated", "cli")]


@pytest.mark.parametrize("args, says", [
    (["--department", "Phòng Không Có"], "Phòng Không Có"),
    (["--zalo", "12 34"], "--zalo"),
    (["--email", "not-an-address"], "--email"),
    (["--head"], "--head"),
    (["--order", "zalo,sms"], "sms"),
])
def test_bad_input_says_what_and_where_and_writes_nothing(cli, engine, args, says):
    r = cli("people", "add", "Lê Văn C", "--agency", "Sở Nội vụ", *args)
    assert r.exit_code == 2 and says in r.stderr, r.output
    with Session(engine) as s:
        assert s.exec(select(Person)).first() is None
    assert audit(engine) == []


def test_a_zalo_user_belongs_to_one_person(cli, engine):
    assert cli("people", "add", "A", "--agency", "Sở Nội vụ", "--zalo", "42").exit_code == 0
    r = cli("people", "add", "B", "--agency", "Sở Tư pháp", "--zalo", "42")
    assert r.exit_code == 2 and "A" in r.stderr


def test_departments_from_a_file_all_or_nothing(cli, engine, tmp_path):
    f = tmp_path / "phong.txt"
    f.write_text("# cơ quan; phòng\nSở Nội vụ; Phòng Cải cách hành chính\nSở Tư pháp; Phòng Văn bản\n",
                 encoding="utf-8")
    r = cli("departments", "import", str(f))
    assert r.exit_code == 0, r.output
    with Session(engine) as s:
        assert {(d.agency, d.name) for d in s.exec(select(Department))} == {
            ("so-noi-vu", CCHC), ("so-tu-phap", "Phòng Văn bản")}
    bad = tmp_path / "bad.txt"
    bad.write_text("Sở Nội vụ; Phòng Tổ chức\nkhông có dấu chấm phẩy\n", encoding="utf-8")
    r = cli("departments", "import", str(bad))
    assert r.exit_code == 2 and "2" in r.stderr
    with Session(engine) as s:
        assert len(s.exec(select(Department)).all()) == 2  # the good first line was not kept either
    assert "Sở Nội vụ" not in cli("departments", "list", "--agency", "so-tu-phap").stdout


async def test_a_persons_address_is_confirmed_by_its_owner(cli, engine, db_url, smtp):
    """Double opt-in, as for a bound address: a mail with a link; the page's button confirms; a link sent to an
    address that was changed since confirms nothing."""
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from core.clock import FixedClock
    from dondoc.settings import load_settings
    from web.feeds import make_app

    r = await asyncio.to_thread(cli, "people", "add", "Nguyễn Văn An", "--agency", "Sở Nội vụ", "--email",
                                "an@example.gov.vn")
    assert r.exit_code == 0, r.output
    assert smtp.wait_for(1)
    body = smtp.to("an@example.gov.vn")[0].get_body(("plain",)).get_content()
    url = next(w for w in body.split() if "/person/confirm?t=" in w).replace("https://dondoc.example.gov.vn", "")
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url,
                             feed_base_url="https://dondoc.example.gov.vn")
    client = TestClient(TestServer(make_app(settings, engine, FixedClock(NOW))))
    await client.start_server()
    try:
        assert (await client.get(url)).status == 200  # a scanner opening the link confirms nothing
        assert person(engine).email_confirmed_at is None
        assert (await client.post("/person/confirm", data={"t": url.split("t=")[1]})).status == 200
        assert channels_of(person(engine)) == [("email", "an@example.gov.vn")]
        assert "person.email_confirmed" in [a for a, _s in audit(engine)]
        # a new address waits for its own confirmation; the old link does not confirm it
        r = await asyncio.to_thread(cli, "people", "edit", "Nguyễn Văn An", "--email", "an2@example.gov.vn")
        assert r.exit_code == 0, r.output
        assert channels_of(person(engine)) == []
        assert (await client.post("/person/confirm", data={"t": url.split("t=")[1]})).status == 404
        assert person(engine).email_confirmed_at is None
    finally:
        await client.close()


def test_an_address_needs_a_mail_server(engine, db_url, monkeypatch):
    run = cli_runner(monkeypatch, db_url, NOW.isoformat())
    r = run("people", "add", "Lê Văn C", "--agency", "Sở Nội vụ", "--email", "c@example.gov.vn")
    assert r.exit_code == 2 and "SMTP_HOST" in r.stderr
    with Session(engine) as s:
        assert s.exec(select(Person)).first() is None  # nothing written


def test_a_person_links_their_own_zalo_chat_with_an_invite_code(cli, engine, db_url):
    from bot.handlers.common import Deps
    from bot.zalo_commands import Incoming, ZaloConversation
    from core.clock import FixedClock
    from core.workdays import WorkCalendar
    from dondoc.settings import load_settings

    assert cli("people", "add", "Nguyễn Văn An", "--agency", "Sở Nội vụ").exit_code == 0
    r = cli("people", "invite", "Nguyễn Văn An", "--expires", "2d")
    assert r.exit_code == 0, r.output
    code = r.stdout.split(": ", 1)[1].split()[0]
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    conv = ZaloConversation(Deps(settings=settings, engine=engine, clock=FixedClock(NOW), calendar=WorkCalendar()))
    [reply] = conv.handle_text(Incoming("g:nhom-phong", "u9", "Nhóm phòng", code))  # a group is not a person
    assert reply.text == _("This code links a person's own chat: send it to me in a private chat.", "vi")
    assert person(engine).zalo_user is None
    [reply] = conv.handle_text(Incoming("a1b2c3d4e5f6a7b8c9d0", "u1", "An", code))
    assert "Nguyễn Văn An" in reply.text
    assert person(engine).zalo_user == "a1b2c3d4e5f6a7b8c9d0"
    [reply] = conv.handle_text(Incoming("ffffffffffffffffffff", "u2", "Khác", code))  # once
    assert reply.text.startswith(_("This invite code has already been used. Each code works once; ask the "
                                   "administrator for a new one.", "vi")[:20])
    assert person(engine).zalo_user == "a1b2c3d4e5f6a7b8c9d0"
    assert ("person.linked", "zalo") in audit(engine)
    assert cli("people", "invite", "Nguyễn Văn An", "--expires", "soon").exit_code == 2
