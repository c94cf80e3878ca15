"""E-mail end to end against a real SMTP server (aiosmtpd) on 127.0.0.1: what a recipient receives, the
idempotent Message-ID, the task's .ics, a bounce, a server that is down, and the double opt-in."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import icalendar
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.channels import ChatGone, TransientDeliveryError
from bot.email import AWAITING, EmailChannel, confirm_url, read_token, stop_url
from dondoc.cli import app as cli_app
from dondoc.clock import FixedClock
from dondoc.i18n import _
from dondoc.settings import load_settings
from feeds.server import make_app
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
    sch = Scheduler(engine, settings, FixedClock(ASSIGNED), {"telegram": telegram, "email": channel})
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
    sch = Scheduler(engine, settings, clock, {"email": channel, "telegram": _Null()})
    await sch.tick()
    with Session(engine) as s:
        row = s.exec(select(Notification).where(Notification.chat == "email:focal@snv.example.gov.vn")).one()
        assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at is not None
    with SmtpServer(port) as smtp:  # the server is back: the retry delivers, once
        clock.advance(timedelta(hours=1))
        await sch.tick()
        assert smtp.wait_for(1)
        await sch.tick()
        assert len(smtp.envelopes) == 1
    with Session(engine) as s:
        assert s.exec(select(Notification).where(Notification.chat == "email:focal@snv.example.gov.vn")).one().status == "sent"


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
