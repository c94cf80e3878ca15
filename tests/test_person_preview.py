"""`dondoc preview --json` lists a person's deliveries with "person" and "channel", and they are what the
scheduler then sends (issue 24): same steps, same chats, same times — the outbox key is the idempotency key."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlmodel import Session, select

from core.clock import FixedClock
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from storage.tables import Notification
from tests.conftest import VN, cli_runner
from tests.test_dispatcher import ScriptedChannel
from tests.test_person_e2e import AN_MAIL, AN_ZALO, populate

START = datetime(2018, 5, 31, 20, 0, tzinfo=VN)
END = datetime(2018, 6, 13, 0, 0, tzinfo=VN)


def _channel(platform):
    c = ScriptedChannel()
    c.platform = platform
    return c


async def test_preview_lists_person_deliveries_and_run_sends_them(engine, db_url, monkeypatch):
    populate(engine)
    cli = cli_runner(monkeypatch, db_url, START.isoformat())
    r = cli("preview", "--from", "31/05/2018", "--to", "12/06/2018", "--json")
    assert r.exit_code == 0, r.output
    msgs = [json.loads(line) for line in r.stdout.splitlines()]
    person = [m for m in msgs if "person" in m]
    assert {(m["person"], m["channel"]) for m in person} == {
        ("Nguyễn Văn An", "zalo"), ("Nguyễn Văn An", "email"), ("Trần Thị Bình", "zalo"),
        ("Phạm Văn Hùng", "email")}
    first = next(m for m in person if m["step"] == "premind:7:2018-06-08")
    assert (first["chat"], first["at"], first["role"]) == (f"zalo:{AN_ZALO}", "2018-06-01T08:00:00+07:00", "person")
    assert any(m["chat"] == f"email:{AN_MAIL}" and m["at"] == "2018-06-04T10:00:00+07:00" for m in person)
    assert all("person" not in m for m in msgs if not m["step"].startswith(("premind", "pescalate")))
    plain = cli("preview", "--from", "31/05/2018", "--to", "12/06/2018")  # the human-readable preview too
    assert plain.exit_code == 0 and f"zalo:{AN_ZALO}" in plain.stdout and "Nguyễn Văn An" in plain.stdout

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    clock = FixedClock(START)
    sch = make_scheduler(engine, settings, clock, {p: _channel(p) for p in ("telegram", "zalo", "email")})
    while clock.now() < END:
        await sch.tick()
        clock.advance(timedelta(minutes=30))
    with Session(engine) as s:
        sent = {(n.due_at.astimezone(VN).isoformat(), n.chat, n.step) for n in s.exec(
            select(Notification).where(Notification.status == "sent", Notification.step.startswith("p")))}
    assert sent == {(m["at"], m["chat"], m["step"]) for m in person}
