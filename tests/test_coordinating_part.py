"""A coordinating agency's part with its own deadline (issue 24, item 3): its chats are reminded before the
part's deadline — not before the lead's — its leaders and the lead are told one working day after it passed,
once; the lead's chats keep their own reminders; `dondoc preview --json` lists exactly what the scheduler
then sends; a part reported done, or handed to a person, changes the plan accordingly."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from core.clock import FixedClock
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from storage import delegation
from storage.db import session_scope
from storage.people import Changes, add_person
from storage.tables import Notification, Task
from tests.conftest import VN, cli_runner
from tests.factories import make_binding, make_directive, make_task
from tests.test_dispatcher import ScriptedChannel

ASSIGNED = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
LEAD_FOCAL, PART_FOCAL, PART_MANAGER = 501, 502, 503
START = datetime(2018, 5, 31, 20, 0, tzinfo=VN)
END = datetime(2018, 6, 20, 0, 0, tzinfo=VN)
PART_DUE = date(2018, 6, 8)  # the part's own deadline; the lead's is 14/6/2018


def populate(engine, *, with_person: bool = False):
    with session_scope(engine) as s:
        d = make_directive(s, now=ASSIGNED)
        task = make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=ASSIGNED, directive=d,
                         content="Rà soát thủ tục hành chính", coordinators=["so-tai-chinh"])
        for chat, agency, role in ((LEAD_FOCAL, "so-noi-vu", "focal"), (PART_FOCAL, "so-tai-chinh", "focal"),
                                   (PART_MANAGER, "so-tai-chinh", "manager")):
            make_binding(s, chat_id=chat, agency=agency, role=role, now=ASSIGNED - timedelta(days=1))
        person = None
        if with_person:
            person = add_person(s, "Lê Thị Cúc", "so-tai-chinh", Changes(zalo="88001"), actor="t", source="cli",
                                now=ASSIGNED)
        delegation.assign(s, task, delegation.Target("so-tai-chinh", person=person), occurrence=None, due=PART_DUE,
                          agency_due=None, role="phoi-hop", actor="đầu mối", source="cli", now=ASSIGNED,
                          roles={("so-noi-vu", "focal")})


def preview(db_url, monkeypatch, first="31/05/2018", last="19/06/2018"):
    cli = cli_runner(monkeypatch, db_url, START.isoformat())
    r = cli("preview", "--from", first, "--to", last, "--json")
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


def _channel(platform):
    c = ScriptedChannel()
    c.platform = platform
    return c


async def run(engine, db_url, until=END):
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    clock = FixedClock(START)
    channels = {p: _channel(p) for p in ("telegram", "zalo", "email")}
    sch = make_scheduler(engine, settings, clock, channels)
    while clock.now() < until:
        await sch.tick()
        clock.advance(timedelta(minutes=30))
    with Session(engine) as s:
        return {(n.due_at.astimezone(VN).isoformat(), n.chat, n.step) for n in s.exec(
            select(Notification).where(Notification.status == "sent", Notification.task_key == "T1"))}, channels


async def test_the_part_is_reminded_on_its_own_deadline_and_preview_equals_run(engine, db_url, monkeypatch):
    populate(engine)
    everything = preview(db_url, monkeypatch)
    msgs = [m for m in everything if m["task"] == "T1"]
    part_chat, lead_chat, manager = (f"telegram:{c}" for c in (PART_FOCAL, LEAD_FOCAL, PART_MANAGER))
    to_part = [m for m in msgs if m["chat"] == part_chat]
    # The coordinating agency hears of its own deadline (8/6), never of the lead's reminders (14/6): once each.
    assert to_part and all(m["step"].startswith("coord:") and m["step"].endswith(":2018-06-08") for m in to_part
                           if m["step"].startswith(("coord", "remind")))
    assert not any(m["step"].startswith("remind:") for m in to_part)
    assert len({m["step"] for m in to_part}) == len([m for m in to_part])
    # The lead keeps its own reminders and is told once when the part is late (Monday 11/6, a working day on);
    # the part agency's leaders read it in their daily brief of that day (manager chats are briefed).
    to_lead = [m["step"] for m in msgs if m["chat"] == lead_chat]
    assert any(s.startswith("remind:") and s.endswith(":2018-06-14") for s in to_lead)
    late = [m for m in msgs if m["step"] == "coordlate:1:2018-06-08"]
    assert [(m["chat"], m["at"][:10]) for m in late] == [(lead_chat, "2018-06-11")]
    briefs = [m for m in everything if m["chat"] == manager and m["step"] == "brief:daily"]
    assert [(m["at"][:10], m["items"]) for m in briefs] == [("2018-06-11", ["T1"])]

    sent, channels = await run(engine, db_url)
    assert sent == {(m["at"], m["chat"], m["step"]) for m in msgs}
    # What they read: the part and its own date; the lead, that the part is late.
    to_part = channels["telegram"].texts_to(PART_FOCAL)
    assert len(to_part) == 4 and all(t.startswith("🤝") and "Sở Tài chính" in t and "08/06/2018" in t
                                     and "14/06/2018" not in t for t in to_part)  # the part's date, not the lead's
    late_text = [t for t in channels["telegram"].texts_to(LEAD_FOCAL) if t.startswith("🔺")]
    assert len(late_text) == 1 and "Sở Tài chính" in late_text[0] and "08/06/2018" in late_text[0]


def test_a_part_done_is_reminded_no_more(engine, db_url, monkeypatch):
    populate(engine)
    with session_scope(engine) as s:
        task = s.exec(select(Task).where(Task.key == "T1")).one()
        delegation.complete_part(s, task, "so-tai-chinh", occurrence=None, actor="tc", source="cli",
                                 now=datetime(2018, 6, 1, 9, 0, tzinfo=VN), roles={("so-tai-chinh", "focal")})
    msgs = preview(db_url, monkeypatch)
    assert not any(m["step"].startswith("coord") for m in msgs)
    # Its agency is a coordinator like any other again: the lead's reminders reach its focal chat.
    assert any(m["chat"] == f"telegram:{PART_FOCAL}" and m["step"].startswith("remind:") for m in msgs)


def test_a_part_handed_to_a_person_reaches_the_person_instead_of_the_chats(engine, db_url, monkeypatch):
    populate(engine, with_person=True)
    msgs = preview(db_url, monkeypatch)
    coord = [m for m in msgs if m["step"].startswith("coord:")]
    assert coord and {m["chat"] for m in coord} == {"zalo:88001"}
    assert all(m.get("person") == "Lê Thị Cúc" and m.get("channel") == "zalo" for m in coord)
