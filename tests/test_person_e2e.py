"""Done when (issue 24), end to end on a fake clock: a task handed to an officer with a Zalo user and an
e-mail address — through the real Zalo client against the fake Zalo Bot API and a real SMTP server (aiosmtpd).
The reminder goes to Zalo; unacknowledged, by e-mail the next working day at 10:00; acknowledged on Zalo, the
next one's fallback does not go; the officer's completion reaches the oversight body for review; past the
internal deadline the department head hears of it, then the agency's leader."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from bot.email import EmailChannel
from bot.handlers.common import Deps
from bot.zalo import ZaloChannel
from bot.zalo_receiver import ZaloReceiver
from core.clock import FixedClock
from core.workdays import WorkCalendar
from dondoc.settings import load_settings
from web.feeds import make_app
from dondoc.wiring import make_scheduler
from storage import delegation
from storage.db import session_scope
from storage.people import Changes, Person, add_department, add_person
from storage.tables import Notification, Occurrence, Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.fake_zalo import FakeZalo
from tests.smtp_server import SmtpServer
from tests.test_email import _Null

ASSIGNED = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
AN_ZALO, AN_MAIL = "a1b2c3d4e5f6a7b8c9d0", "an@snv.example.gov.vn"
BINH_ZALO = "b1b2c3d4e5f6a7b8c9d0"  # the department's head
HUNG_MAIL = "hung@snv.example.gov.vn"  # the agency's leader
OVERSIGHT_ZALO = "0f0e0d0c0b0a09080706"


def at(m, d, hh, mm=0):
    return datetime(2018, m, d, hh, mm, tzinfo=VN)


def populate(engine):
    with session_scope(engine) as s:
        d = make_directive(s, now=ASSIGNED)
        task = make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=ASSIGNED, directive=d,
                         content="Rà soát thủ tục hành chính thuộc thẩm quyền giải quyết")
        make_binding(s, chat_id=OVERSIGHT_ZALO, agency="van-phong-ubnd-tinh", role="oversight", platform="zalo",
                     now=ASSIGNED - timedelta(days=1))
        dep = add_department(s, "so-noi-vu", "Phòng Cải cách hành chính", actor="t", source="cli", now=ASSIGNED)
        an = add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(department=dep.name, position="Chuyên viên",
                                                                  zalo=AN_ZALO, email=AN_MAIL), actor="t",
                        source="cli", now=ASSIGNED)
        add_person(s, "Trần Thị Bình", "so-noi-vu", Changes(department=dep.name, zalo=BINH_ZALO, head=True),
                   actor="t", source="cli", now=ASSIGNED)
        hung = add_person(s, "Phạm Văn Hùng", "so-noi-vu", Changes(email=HUNG_MAIL, leader=True), actor="t",
                          source="cli", now=ASSIGNED)
        for p in (an, hung):  # both confirmed their addresses (double opt-in)
            p.email_confirmed_at = ASSIGNED
        delegation.assign(s, task, delegation.Target("so-noi-vu", person=an), occurrence=None,
                          due=date(2018, 6, 8), agency_due=date(2018, 6, 14), role="chu-tri", actor="đầu mối",
                          source="cli", now=ASSIGNED, roles={("so-noi-vu", "focal")})


def sent_steps(engine, chat):
    with Session(engine) as s:
        return [n.step for n in s.exec(select(Notification).where(Notification.chat == chat,
                                                                  Notification.status == "sent")
                                       .order_by(Notification.id))]


async def test_a_task_handed_to_an_officer_on_zalo_and_email(engine, db_url):
    populate(engine)
    async with FakeZalo() as zalo:
        with SmtpServer() as smtp:
            settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, zalo_bot_token=zalo.token,
                                     zalo_base_url=zalo.base_url, zalo_rate_per_second=100.0,
                                     smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                                     mail_from="dondoc <dondoc@snv.example.gov.vn>",
                                     feed_base_url="https://dondoc.example.gov.vn", confirm_completion=True)
            clock = FixedClock(at(6, 1, 8))  # Friday 1/6/2018: seven days before the internal deadline
            channel = ZaloChannel(settings)
            sch = make_scheduler(engine, settings, clock, {"zalo": channel, "telegram": _Null(),
                                                      "email": EmailChannel(settings, engine=engine, clock=clock)})
            receiver = ZaloReceiver(Deps(settings=settings, engine=engine, clock=clock,
                                         calendar=WorkCalendar.from_file(None)), channel, poll_timeout=1)
            await receiver.start()
            try:
                await sch.tick()
                [first] = zalo.texts_to(AN_ZALO)
                assert "Nguyễn Văn An" in first and "08/06/2018" in first and "/danhan T1" in first
                assert smtp.to(AN_MAIL) == []

                clock.set(at(6, 4, 9, 59))  # Monday, before 10:00: nothing yet
                await sch.tick()
                assert smtp.to(AN_MAIL) == []
                clock.set(at(6, 4, 10))  # unacknowledged: by e-mail, the next working day at 10:00
                await sch.tick()
                assert smtp.wait_for(1)
                [mail] = smtp.to(AN_MAIL)
                body = mail.get_body(("plain",)).get_content()
                assert "Rà soát thủ tục hành chính" in body and "/person/ack?t=" in body

                clock.set(at(6, 5, 8))  # the 3-day reminder on Zalo; acknowledged there this time
                await sch.tick()
                assert len(zalo.texts_to(AN_ZALO)) == 2
                clock.set(at(6, 5, 8, 30))
                zalo.push_text(AN_ZALO, "Đã nhận", name="Nguyễn Văn An")
                await zalo.wait_for(lambda: len(zalo.texts_to(AN_ZALO)) == 3, timeout=5)
                with Session(engine) as s:
                    a = s.exec(select(delegation.Assignment)).one()
                    assert a.acknowledged_at == at(6, 5, 8, 30)
                for day in (6, 7):
                    clock.set(at(6, day, 10, 30))
                    await sch.tick()
                assert len(smtp.to(AN_MAIL)) == 1  # no fallback by e-mail once acknowledged
                assert sent_steps(engine, f"zalo:{AN_ZALO}") == ["premind:7:2018-06-08", "premind:3:2018-06-08"]

                clock.set(at(6, 11, 8))  # a working day past the internal deadline: the department's head
                await sch.tick()
                head = "\n".join(zalo.texts_to(BINH_ZALO))
                assert "Nguyễn Văn An" in head and "Phòng Cải cách hành chính" in head
                assert smtp.to(HUNG_MAIL) == []
                clock.set(at(6, 12, 8))  # two: the agency's leader
                await sch.tick()
                assert smtp.wait_for(2) and len(smtp.to(HUNG_MAIL)) == 1

                # the officer reports it done from their own chat: it waits for the oversight body's review
                clock.set(at(6, 12, 9))
                before = len(zalo.texts_to(OVERSIGHT_ZALO))  # (its weekly agenda went out this Monday)
                zalo.push_text(AN_ZALO, "/done T1 đã trình", name="Nguyễn Văn An")
                await zalo.wait_for(lambda: len(zalo.texts_to(OVERSIGHT_ZALO)) > before, timeout=5)
                review = "\n".join(zalo.texts_to(OVERSIGHT_ZALO)[before:])
                assert "T1" in review and "Nguyễn Văn An" in review and "/confirm" in review
                with Session(engine) as s:
                    task = s.exec(select(Task)).one()
                    occ = s.exec(select(Occurrence).where(Occurrence.task_id == task.id)).one()
                    assert occ.status == "pending_confirmation"
            finally:
                await receiver.stop()
                await channel.stop()


async def test_the_email_link_acknowledges_after_a_button_press(engine, db_url):
    populate(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url,
                             feed_base_url="https://dondoc.example.gov.vn")
    clock = FixedClock(at(6, 4, 11))
    from bot.person_messages import ack_url

    with Session(engine) as s:
        a = s.exec(select(delegation.Assignment)).one()
    path = ack_url(settings, a.id, now=clock.now().timestamp()).replace("https://dondoc.example.gov.vn", "")
    client = TestClient(TestServer(make_app(settings, engine, clock)))
    await client.start_server()
    try:
        page = await client.get(path)  # a scanner opening the link acknowledges nothing
        assert page.status == 200 and "Nguyễn Văn An" in await page.text()
        with Session(engine) as s:
            assert s.get(delegation.Assignment, a.id).acknowledged_at is None
        done = await client.post("/person/ack", data={"t": path.split("t=")[1]})
        assert done.status == 200
        with Session(engine) as s:
            assert s.get(delegation.Assignment, a.id).acknowledged_at == clock.now()
            assert s.exec(select(Person).where(Person.name == "Nguyễn Văn An")).one().active
        assert (await client.get("/person/ack?t=pack.1.1.forged")).status == 404
    finally:
        await client.close()
