"""A person's reminder that cannot be delivered (issue 24): their next channel gets it at the next tick, not at
the fallback time of the next working day."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from core.clock import FixedClock
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from jobs.ports import PermanentDeliveryError
from storage.tables import Notification
from tests.test_dispatcher import ScriptedChannel
from tests.test_person_e2e import AN_MAIL, AN_ZALO, at, populate


def channel(platform):
    c = ScriptedChannel()
    c.platform = platform
    return c


async def test_a_failed_zalo_send_falls_back_to_email_at_once(engine, db_url):
    populate(engine)
    zalo, email = channel("zalo"), channel("email")
    clock = FixedClock(at(6, 1, 8))
    sch = make_scheduler(engine, load_settings(environ={}, dotenv_path=None, database_url=db_url), clock,
                         {"zalo": zalo, "email": email, "telegram": channel("telegram")})
    zalo.fail(AN_ZALO, PermanentDeliveryError("user blocked the bot"))
    await sch.tick()
    assert email.texts_to(AN_MAIL) == []
    clock.advance(timedelta(minutes=1))
    await sch.tick()  # Friday 08:01, not Monday 10:00
    [text] = email.texts_to(AN_MAIL)
    assert "Nguyễn Văn An" in text
    with Session(engine) as s:
        rows = {n.chat: n.status for n in s.exec(select(Notification).where(
            Notification.step.startswith("premind:7:")))}
    assert rows == {f"zalo:{AN_ZALO}": "failed", f"email:{AN_MAIL}": "sent"}
