"""Remind now (issue 24): `dondoc remind KEY` and /nhac send one reminder at once — to the person the task was
handed to, else to the agency's focal chats — once a day, within the chat's daily budget, audited; only the
oversight body and the lead agency's leader may."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.handlers.common import Deps
from bot.zalo_commands import Incoming, ZaloConversation
from core.clock import FixedClock
from core.i18n import _
from core.workdays import WorkCalendar
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from jobs.plan_model import PlannedStep
from jobs.policy import Policy
from jobs import outbox
from jobs.remind_now import RemindRefused, refusal, remind_now
from storage import delegation
from storage.db import session_scope
from storage.people import Changes, add_person
from storage.tables import AuditEntry, Notification, Task
from tests.conftest import VN, cli_runner
from tests.factories import make_binding, make_task
from tests.test_dispatcher import ScriptedChannel

NOW = datetime(2018, 6, 5, 9, 0, tzinfo=VN)  # a Tuesday, inside working hours
AN_ZALO = "a1b2c3d4e5f6a7b8c9d0"
OVERSIGHT_ZALO = "0f0e0d0c0b0a09080706"
FOCAL_ZALO = "f0f0f0f0f0f0f0f0f0f0"


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        t1 = make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=NOW - timedelta(days=10))
        make_task(s, key="T2", deadline_text="trước ngày 20/6/2018", now=NOW - timedelta(days=10))
        make_task(s, key="T3", deadline_text="trước ngày 20/6/2018", now=NOW - timedelta(days=10), lead="so-tu-phap")
        an = add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(zalo=AN_ZALO), actor="t", source="cli", now=NOW)
        delegation.assign(s, t1, delegation.Target("so-noi-vu", person=an), occurrence=None, due=date(2018, 6, 8),
                          agency_due=date(2018, 6, 14), role="chu-tri", actor="t", source="cli", now=NOW)
        for chat, agency, role in ((FOCAL_ZALO, "so-noi-vu", "focal"), (OVERSIGHT_ZALO, "van-phong-ubnd-tinh",
                                                                           "oversight")):
            make_binding(s, chat_id=chat, agency=agency, role=role, platform="zalo", now=NOW - timedelta(days=20))


def nudges(engine):
    with Session(engine) as s:
        return [(n.task_key, n.chat, n.step, n.status) for n in s.exec(
            select(Notification).where(Notification.step.startswith("nudge:")).order_by(Notification.id))]


async def test_remind_now_from_the_cli_reaches_the_person_once_a_day(engine, db_url, monkeypatch, world):
    zalo = ScriptedChannel()
    zalo.platform = "zalo"
    clock = FixedClock(NOW)
    sch = make_scheduler(engine, load_settings(environ={}, dotenv_path=None, database_url=db_url), clock,
                         {"zalo": zalo, "telegram": ScriptedChannel(), "email": ScriptedChannel()})
    await sch.tick()  # what the plan owes this morning went out
    before_an, before_focal = len(zalo.texts_to(AN_ZALO)), len(zalo.texts_to(FOCAL_ZALO))

    cli = cli_runner(monkeypatch, db_url, (NOW + timedelta(hours=1)).isoformat())
    r = cli("remind", "T1")
    assert r.exit_code == 0, r.output
    assert "Nguyễn Văn An" in r.stdout
    assert nudges(engine) == [("T1", f"zalo:{AN_ZALO}", "nudge:2018-06-05", "pending")]
    r = cli("remind", "T1")  # once a day
    assert r.exit_code == 2 and _("{key} was already reminded today.", "vi", key="T1") in r.stderr
    r = cli("remind", "T2")  # nobody was handed T2: its agency's focal chat
    assert r.exit_code == 0 and nudges(engine)[-1][1] == f"zalo:{FOCAL_ZALO}"
    with Session(engine) as s:
        assert [a.source for a in s.exec(select(AuditEntry).where(AuditEntry.action == "task.reminded"))] == [
            "cli", "cli"]

    clock.set(NOW + timedelta(hours=1, minutes=1))
    await sch.tick()  # the same tick that sends every reminder sends it
    [text] = zalo.texts_to(AN_ZALO)[before_an:]
    assert "T1" in text and "Nguyễn Văn An" in text and "08/06/2018" in text
    [text] = zalo.texts_to(FOCAL_ZALO)[before_focal:]
    assert "T2" in text
    assert {st for *_x, st in nudges(engine)} == {"sent"}


def test_only_the_oversight_body_and_the_leads_leader(engine, world):
    with Session(engine) as s:
        t1 = s.exec(select(Task).where(Task.key == "T1")).one()
    assert refusal(t1, {("van-phong-ubnd-tinh", "oversight")}) is None
    assert refusal(t1, {("so-noi-vu", "manager")}) is None
    assert refusal(t1, {("so-noi-vu", "focal")}) == "not_allowed"
    assert refusal(t1, {("so-tu-phap", "manager")}) == "not_allowed"  # another agency's leader
    assert refusal(t1, None) is None  # the administrator


def test_counted_in_the_daily_budget(engine, world):
    policy = Policy(budget={"focal": 2, "manager": "brief", "oversight": "brief", "leadership": "brief"})
    with session_scope(engine) as s:
        t2 = s.exec(select(Task).where(Task.key == "T2")).one()
        rows = [outbox.row_for(PlannedStep(NOW, "T2", "once", f"remind:{i}:2018-06-20", f"zalo:{FOCAL_ZALO}",
                                           "reminder", t2.id, None, {"role": "focal"}), "sent", NOW) for i in (1, 2)]
        outbox.insert_rows(s.connection(), rows)
    with session_scope(engine) as s:
        t2 = s.exec(select(Task).where(Task.key == "T2")).one()
        with pytest.raises(RemindRefused) as e:
            remind_now(s, t2, "once", policy=policy, calendar=WorkCalendar(), actor="x", actor_id=None,
                       source="cli", now=NOW)
        assert e.value.code == "budget"
    with session_scope(engine) as s:  # within the budget the next day
        t2 = s.exec(select(Task).where(Task.key == "T2")).one()
        done = remind_now(s, t2, "once", policy=policy, calendar=WorkCalendar(), actor="x", actor_id=None,
                          source="cli", now=NOW + timedelta(days=1))
        assert done.chats == (f"zalo:{FOCAL_ZALO}",)


def test_nhac_in_chat(engine, db_url, world):
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    conv = ZaloConversation(Deps(settings=settings, engine=engine, clock=FixedClock(NOW), calendar=WorkCalendar()))
    [reply] = conv.handle_text(Incoming(OVERSIGHT_ZALO, "u1", "Văn phòng", "/nhac T1"))
    assert "Nguyễn Văn An" in reply.text
    [reply] = conv.handle_text(Incoming(FOCAL_ZALO, "u2", "Đầu mối", "/nhac T2"))  # a focal point may not
    assert reply.text == _("Only the oversight body and the lead agency's leader send a reminder now.", "vi")
    [reply] = conv.handle_text(Incoming(FOCAL_ZALO, "u2", "Đầu mối", "/nhac T3"))  # nor see another agency's
    assert "T3" not in [n[0] for n in nudges(engine)]
    assert [n[0] for n in nudges(engine)] == ["T1"]
    with Session(engine) as s:
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.action == "task.reminded")).all()
        assert (entry.source, entry.actor) == ("zalo", "Văn phòng")
