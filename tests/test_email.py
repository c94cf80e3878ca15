"""E-mail end to end against a real SMTP server (aiosmtpd) on 127.0.0.1: what a recipient receives, the
idempotent Message-ID, the task's .ics, a bounce, a server that is down, the double opt-in, and TLS
(STARTTLS and implicit TLS with a login, a certificate from a CA made in the test by trustme, an untrusted
certificate refused)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime, timedelta

import icalendar
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select
from typer.testing import CliRunner

from jobs.ports import ChatGone, TransientDeliveryError
from bot.email import AWAITING, EmailChannel, confirm_url, read_token, stop_url
from dondoc.cli import app as cli_app
from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from web.feeds import make_app
from dondoc.wiring import make_scheduler
from jobs.scheduler import Scheduler
from storage.db import session_scope
from storage.tables import AuditEntry, ChatBinding, Notification
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.smtp_server import SmtpServer, free_port

ASSIGNED = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
LEADER = "lanh.dao@snv.example.gov.vn"
OVERSIGHT = "vanphong@ubnd.example.gov.vn"


def mail_settings(db_url, port, **kw):
    values = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                  mail_from="dondoc <dondoc@snv.example.gov.vn>", mail_reply_to="vanphong@ubnd.example.gov.vn",
                  feed_base_url="https://dondoc.example.gov.vn")
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, **{**values, **kw})


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def world(engine):
    """T1 of Sở Nội vụ due 14/6/2018; a focal point on e-mail, the oversight body on Telegram."""
    with session_scope(engine) as s:
        d = make_directive(s, now=ASSIGNED)
        make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=ASSIGNED, directive=d,
                  content="Gửi kế hoạch triển khai Chỉ số PAR INDEX về UBND tỉnh")
        make_binding(s, chat_id="focal@snv.example.gov.vn", agency="so-noi-vu", role="focal", platform="email",
                     now=ASSIGNED - timedelta(days=1))
        make_binding(s, chat_id=-1003, agency="van-phong-ubnd-tinh", role="oversight", now=ASSIGNED - timedelta(days=1))


async def test_a_message_as_the_recipient_receives_it(smtp, db_url, engine, world):
    settings = mail_settings(db_url, smtp.port)
    channel = EmailChannel(settings, engine=engine, clock=FixedClock(ASSIGNED))
    text = "📌 Nhiệm vụ mới: T1\nGửi kế hoạch triển khai Chỉ số PAR INDEX về UBND tỉnh\nHạn: 14/06/2018"
    mid = await channel.send("focal@snv.example.gov.vn", text, key="T1|once|new:2018-05-23|email:focal@snv.example.gov.vn",
                             task_key="T1", binding_id=1)
    assert smtp.wait_for(1)
    msg = smtp.messages[0]
    assert msg["Subject"] == "📌 Nhiệm vụ mới: T1"
    assert msg["From"] == "dondoc <dondoc@snv.example.gov.vn>" and msg["Reply-To"] == "vanphong@ubnd.example.gov.vn"
    assert msg["To"] == "focal@snv.example.gov.vn" and msg["Message-ID"] == mid
    assert mid.endswith("@snv.example.gov.vn>")
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://dondoc.example.gov.vn/email/stop?t=")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in ("Gửi kế hoạch triển khai Chỉ số PAR INDEX", "14/06/2018"):
        assert part in plain and part in html
    assert unsubscribe in plain and unsubscribe.replace("&", "&amp;") in html
    ics = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(ics) == 1 and ics[0].get_filename() == "T1.ics"
    cal = icalendar.Calendar.from_ical(ics[0].get_content())
    events = [e for e in cal.walk("VEVENT")]
    assert len(events) == 1 and "Gửi kế hoạch triển khai" in str(events[0]["SUMMARY"])
    assert str(events[0]["DTSTART"].dt) == "2018-06-14"
    # the same outbox row sent again carries the same Message-ID: a resend is recognisable
    again = await channel.send("focal@snv.example.gov.vn", text, key="T1|once|new:2018-05-23|email:focal@snv.example.gov.vn")
    assert again == mid


async def test_a_bounce_disables_the_binding_and_tells_the_oversight_chat(smtp, db_url, engine, world):
    smtp.reject("focal@snv.example.gov.vn")
    settings = mail_settings(db_url, smtp.port)
    channel = EmailChannel(settings, engine=engine, clock=FixedClock(ASSIGNED))
    with pytest.raises(ChatGone):
        await channel.send("focal@snv.example.gov.vn", "x", key="k")

    from tests.test_dispatcher import ScriptedChannel

    telegram = ScriptedChannel()
    sch = make_scheduler(engine, settings, FixedClock(ASSIGNED), {"telegram": telegram, "email": channel})
    await sch.tick()
    with Session(engine) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.platform == "email")).one()
        assert not b.active and "bounced" in b.disabled_reason
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "binding.disabled")).first() is not None
    assert any("focal@snv.example.gov.vn" in t for t in telegram.texts_to(-1003))


async def test_a_server_that_is_down_loses_nothing(db_url, engine, world):
    port = free_port()
    settings = mail_settings(db_url, port)
    channel = EmailChannel(settings, engine=engine, clock=FixedClock(ASSIGNED))
    with pytest.raises(TransientDeliveryError):
        await channel.send("focal@snv.example.gov.vn", "x", key="k")
    clock = FixedClock(ASSIGNED)
    sch = await _one_tick_leaves_the_row_waiting(engine, settings, clock, channel)
    with SmtpServer(port) as smtp:  # the server is back: the retry delivers, once
        clock.advance(timedelta(hours=1))
        await sch.tick()
        assert smtp.wait_for(1)
        await sch.tick()
        assert len(smtp.envelopes) == 1
    assert focal_row(engine).status == "sent"


def focal_row(engine) -> Notification | None:
    with Session(engine, expire_on_commit=False) as s:
        return s.exec(select(Notification).where(Notification.chat == "email:focal@snv.example.gov.vn")).first()


async def _one_tick_leaves_the_row_waiting(engine, settings, clock, channel) -> Scheduler:
    """A tick of a Scheduler whose mail server fails: the focal point's row stays pending, tried once, retried
    later."""
    sch = make_scheduler(engine, settings, clock, {"email": channel, "telegram": _Null()})
    await sch.tick()
    row = focal_row(engine)
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at is not None
    return sch


class _Null(EmailChannel.__mro__[1]):  # a Telegram channel that accepts everything
    platform = "telegram"

    def __init__(self):
        pass

    async def send(self, chat_id, text, buttons=None):
        return "1"


# -- double opt-in -------------------------------------------------------------------------------------------

def test_signed_links_expire_and_cannot_be_forged(db_url):
    settings = mail_settings(db_url, 25)
    url = confirm_url(settings, 7, now=1_000_000)
    token = url.split("t=")[1]
    assert read_token(settings, token, "confirm", now=1_000_000) == 7
    assert read_token(settings, token, "confirm", now=1_000_000 + 8 * 86400) is None  # 7 days
    assert read_token(settings, token, "stop", now=1_000_000) is None  # a confirm link does not stop
    forged = token.replace(".7.", ".8.")
    assert read_token(settings, forged, "confirm", now=1_000_000) is None
    assert read_token(load_settings(environ={}, dotenv_path=None, callback_secret="other"), token, "confirm",
                      now=1_000_000) is None


async def test_link_an_address_confirm_it_and_stop(smtp, db_url, engine, world, monkeypatch):
    for k, v in dict(DATABASE_URL=db_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), SMTP_SECURITY="none",
                     MAIL_FROM="dondoc@snv.example.gov.vn", FEED_BASE_URL="https://dondoc.example.gov.vn",
                     CLOCK_START="2018-05-23T09:00:00+07:00").items():
        monkeypatch.setenv(k, v)
    r = await asyncio.to_thread(  # the CLI runs its own event loop
        CliRunner().invoke, cli_app, ["link", "Sở Nội vụ", LEADER, "--platform", "email", "--role", "manager"],
        catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert smtp.wait_for(1)
    mail = smtp.to(LEADER)[0]
    url = next(w for w in mail.get_body(("plain",)).get_content().split() if "/email/confirm?t=" in w)
    with Session(engine) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.chat_id == LEADER)).one()
        assert (b.platform, b.active, b.disabled_reason) == ("email", False, AWAITING)
    r = CliRunner().invoke(cli_app, ["bindings"], catch_exceptions=False)
    assert f"email:{LEADER}" in r.output  # shown while it waits, with its state

    settings = mail_settings(db_url, smtp.port)
    client = TestClient(TestServer(make_app(settings, engine, FixedClock(ASSIGNED))))
    await client.start_server()
    try:
        path = url.replace("https://dondoc.example.gov.vn", "")
        page = await client.get(path)  # a scanner that opens the link confirms nothing
        assert page.status == 200 and _("Confirm", lang="vi") in await page.text()
        with Session(engine) as s:
            assert not s.exec(select(ChatBinding).where(ChatBinding.chat_id == LEADER)).one().active
        token = path.split("t=")[1]
        done = await client.post("/email/confirm", data={"t": token})
        assert done.status == 200
        with Session(engine) as s:
            b = s.exec(select(ChatBinding).where(ChatBinding.chat_id == LEADER)).one()
            assert b.active and b.disabled_reason is None
            assert s.exec(select(AuditEntry).where(AuditEntry.action == "binding.confirmed")).first() is not None
        # stop: a page, then the button (or a mail provider's one-click POST)
        stop = stop_url(settings, b.id).replace("https://dondoc.example.gov.vn", "")
        assert (await client.get(stop)).status == 200
        with Session(engine) as s:
            assert s.get(ChatBinding, b.id).active
        assert (await client.post(stop, data={"List-Unsubscribe": "One-Click"})).status == 200
        with Session(engine) as s:
            assert s.get(ChatBinding, b.id).disabled_reason == "unsubscribed"
        # the old confirmation link does not bring a stopped address back
        assert (await client.post("/email/confirm", data={"t": token})).status == 404
        with Session(engine) as s:
            assert not s.get(ChatBinding, b.id).active
        assert (await client.get("/email/confirm?t=garbage")).status == 404
    finally:
        await client.close()


async def test_a_quarterly_summary_mail_carries_its_chart(smtp, db_url, engine, world):
    channel = EmailChannel(mail_settings(db_url, smtp.port), engine=engine, clock=FixedClock(ASSIGNED))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    await channel.send(OVERSIGHT, "📊 Tổng hợp quý II/2018", key="|2018-Q2|summary:quarterly|email:x", chart=png)
    assert smtp.wait_for(1)
    [image] = [p for p in smtp.messages[0].iter_attachments() if p.get_content_type() == "image/png"]
    assert image.get_content() == png


# -- TLS: STARTTLS and implicit TLS with a login, a certificate that is not trusted ------------------------

PASSWORD = "Mật-khẩu-SMTP-7f3a9c"  # what must never reach a log


@pytest.fixture(scope="module")
def ca():
    import trustme

    return trustme.CA()  # a certificate authority made for these tests, trusted by nobody else


def _server_context(ca):
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


def tls_settings(db_url, port, security, ca_file=None):
    env = {"DATABASE_URL": db_url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": security,
           "SMTP_USER": "dondoc", "SMTP_PASSWORD": PASSWORD, "MAIL_FROM": "dondoc <dondoc@snv.example.gov.vn>",
           "FEED_BASE_URL": "https://dondoc.example.gov.vn"}
    if ca_file is not None:
        env["SMTP_CA_FILE"] = str(ca_file)  # through the settings' own validation
    return load_settings(environ=env, dotenv_path=None)


def _secret_forms(user: str, password: str) -> list[str]:
    """The password as it could leak: plain, and base64 as AUTH PLAIN and AUTH LOGIN send it."""
    import base64

    return [password, base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
            base64.b64encode(password.encode()).decode()]


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG (aiosmtplib's and aiosmtpd's too), through dondoc's redaction."""
    from dondoc import redact

    caplog.set_level(logging.DEBUG)
    yield caplog
    redact.uninstall()


async def test_starttls_with_login_delivers_and_the_password_stays_out_of_logs(ca, tmp_path, db_url, engine, world,
                                                                               all_logs):
    from dondoc import redact

    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with SmtpServer(tls=_server_context(ca), require_starttls=True, users={"dondoc": PASSWORD}) as smtp:
        settings = tls_settings(db_url, smtp.port, "starttls", ca_file)
        redact.install(settings)
        assert settings.smtp_ca_file == ca_file
        channel = EmailChannel(settings, engine=engine, clock=FixedClock(ASSIGNED))
        await channel.send("focal@snv.example.gov.vn", "📌 Nhiệm vụ mới: T1", key="tls-1")
        assert smtp.wait_for(1) and smtp.encrypted == [True] and smtp.logins == [("dondoc", True)]
        assert smtp.messages[0]["Subject"] == "📌 Nhiệm vụ mới: T1"
        # a wrong password is refused by the server: retried (our configuration), its text not logged either
        wrong = EmailChannel(dataclasses.replace(settings, smtp_password=PASSWORD + "x"))
        redact.install(wrong.settings)
        with pytest.raises(TransientDeliveryError) as e:
            await wrong.send("focal@snv.example.gov.vn", "x", key="tls-2")
        assert "535" in str(e.value) and PASSWORD not in str(e.value)
        assert smtp.logins[-1] == ("dondoc", False) and len(smtp.envelopes) == 1
    logged = all_logs.text
    assert "AUTH PLAIN" in logged  # the login exchange itself was logged (aiosmtpd at DEBUG): never its secret
    for form in _secret_forms("dondoc", PASSWORD) + _secret_forms("dondoc", PASSWORD + "x"):
        assert form not in logged


async def test_implicit_tls_with_login_delivers(ca, tmp_path, db_url, engine, world):
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with SmtpServer(implicit_tls=_server_context(ca), users={"dondoc": PASSWORD}) as smtp:
        channel = EmailChannel(tls_settings(db_url, smtp.port, "tls", ca_file), engine=engine,
                               clock=FixedClock(ASSIGNED))
        await channel.send("focal@snv.example.gov.vn", "📌 Nhiệm vụ mới: T1", key="tls-3")
        assert smtp.wait_for(1) and smtp.encrypted == [True] and smtp.logins == [("dondoc", True)]


async def test_an_untrusted_certificate_is_refused_and_the_row_waits(ca, tmp_path, db_url, engine, world, all_logs):
    """No SMTP_CA_FILE: the system's authorities do not know the test CA. The password is never sent to that
    server, the refusal is logged plainly, the outbox row is retried later, as for a server that is down."""
    from dondoc import redact

    with SmtpServer(tls=_server_context(ca), require_starttls=True, users={"dondoc": PASSWORD}) as smtp:
        settings = tls_settings(db_url, smtp.port, "starttls")
        redact.install(settings)
        channel = EmailChannel(settings, engine=engine, clock=FixedClock(ASSIGNED))
        with pytest.raises(TransientDeliveryError) as e:
            await channel.send("focal@snv.example.gov.vn", "x", key="tls-4")
        assert "untrusted certificate" in str(e.value)
        errors = [r.getMessage() for r in all_logs.records if r.levelno >= logging.ERROR and r.name == "bot.email"]
        assert errors and "not trusted" in errors[0] and "SMTP_CA_FILE" in errors[0], errors
        assert smtp.logins == [] and smtp.envelopes == []  # no login, no message over an unverified link

        clock = FixedClock(ASSIGNED)
        await _one_tick_leaves_the_row_waiting(engine, settings, clock, channel)
        assert "untrusted certificate" in (focal_row(engine).last_error or "")
        assert smtp.envelopes == []

        # the administrator gives the CA: the retry delivers, once
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        fixed = tls_settings(db_url, smtp.port, "starttls", ca_file)
        sch = make_scheduler(engine, fixed, clock, {"email": EmailChannel(fixed, engine=engine, clock=clock),
                                               "telegram": _Null()})
        clock.advance(timedelta(hours=1))
        await sch.tick()
        assert smtp.wait_for(1) and smtp.logins == [("dondoc", True)]
        assert focal_row(engine).status == "sent"
    for form in _secret_forms("dondoc", PASSWORD):
        assert form not in all_logs.text


def test_smtp_ca_file_is_checked(tmp_path, db_url):
    from core.settings import SettingsError

    base = {"DATABASE_URL": db_url, "SMTP_HOST": "127.0.0.1", "MAIL_FROM": "dondoc@snv.example.gov.vn"}
    with pytest.raises(SettingsError) as e:
        load_settings(environ={**base, "SMTP_CA_FILE": str(tmp_path / "missing.pem")}, dotenv_path=None)
    assert "SMTP_CA_FILE" in str(e.value)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(SettingsError) as e:
        load_settings(environ={**base, "SMTP_CA_FILE": str(garbage)}, dotenv_path=None)
    assert "SMTP_CA_FILE" in str(e.value) and "PEM" in str(e.value)
    assert load_settings(environ={**base, "SMTP_CA_FILE": ""}, dotenv_path=None).smtp_ca_file is None
