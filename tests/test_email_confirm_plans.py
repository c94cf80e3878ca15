"""Confirming an e-mail address plans its messages at once (issue 24, item 5): the address receives the
reminder it is owed on the next tick, as a Telegram chat linked by invite does — no restart needed."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from bot.email import AWAITING, EmailChannel, confirm_url
from core.clock import FixedClock
from web.feeds import make_app
from dondoc.wiring import make_scheduler
from storage.db import session_scope
from storage.tables import Notification, Task
from tests.factories import make_binding
from tests.smtp_server import SmtpServer
from tests.test_email import ASSIGNED, _Null, mail_settings, world  # noqa: F401  (world is a fixture)

NEW = "truong.phong@snv.example.gov.vn"


async def test_a_confirmed_address_receives_its_first_reminder_without_a_restart(db_url, engine, world):
    with SmtpServer() as smtp:
        settings = mail_settings(db_url, smtp.port)
        clock = FixedClock(ASSIGNED)
        channel = EmailChannel(settings, engine=engine, clock=clock)
        sch = make_scheduler(engine, settings, clock, {"email": channel, "telegram": _Null()})
        with session_scope(engine) as s:  # linked with `dondoc link … --platform email`: waits for its owner
            b = make_binding(s, chat_id=NEW, agency="so-noi-vu", role="focal", platform="email",
                             now=ASSIGNED - timedelta(hours=1))
            b.active, b.disabled_reason = False, AWAITING
            binding_id = b.id
        await sch.tick()  # the task's first message goes to the addresses already confirmed
        assert smtp.wait_for(1) and smtp.to(NEW) == []
        with Session(engine) as s:
            planned_until = s.exec(select(Task)).one().next_check_at
        assert planned_until is not None and planned_until > ASSIGNED + timedelta(days=1)

        clock.advance(timedelta(hours=2))
        client = TestClient(TestServer(make_app(settings, engine, clock)))
        await client.start_server()
        try:
            token = confirm_url(settings, binding_id, now=clock.now().timestamp()).split("t=")[1]
            assert (await client.post("/email/confirm", data={"t": token})).status == 200
        finally:
            await client.close()

        clock.advance(timedelta(minutes=1))
        await sch.tick()  # the same scheduler, no restart: the new address gets the message it is owed
        assert smtp.wait_for(2)
        [mail] = smtp.to(NEW)
        assert "Chỉ số PAR INDEX" in mail.get_body(("plain",)).get_content()
        with Session(engine) as s:
            row = s.exec(select(Notification).where(Notification.chat == f"email:{NEW}")).one()
            assert row.status == "sent" and row.task_key == "T1"
