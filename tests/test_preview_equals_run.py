"""Preview is the truth: `dondoc preview --json` for a week lists, message for message, what `dondoc run`
then sends that week — a first start on a Sunday evening (its catch-up at 07:30 on Monday), new-task
notices, reminders, briefs, the weekly agenda — the scheduler's ticks driven on a clock the test moves, against
the fake Bot API (no wall-clock time: the same week on a busy machine as on an idle one)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from storage.db import session_scope
from storage.tables import Notification
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.fake_telegram import FakeTelegram
from tests.test_scheduler_e2e import ROOT, TOKEN, free_port, rows

pytestmark = pytest.mark.slow

START = "2018-06-10T20:00:00+07:00"  # a Sunday evening: nothing may go out before Monday 07:30
END = datetime(2018, 6, 16, 0, 0, tzinfo=VN)  # the week ends with Friday 15/06 (Saturday is a day off)
TICK = timedelta(minutes=15)  # the scheduler's tick, in the week's time


def registry(engine) -> None:
    assigned = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
    linked = assigned - timedelta(days=1)
    with session_scope(engine) as s:
        d = make_directive(s, now=assigned)
        make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=assigned, directive=d,
                  coordinators=["so-tu-phap"], position=1)
        make_task(s, key="T2", deadline_text="trước ngày 12/6/2018", now=assigned, directive=d, lead="so-tai-chinh",
                  position=2)
        make_task(s, key="T3", deadline_text="trước ngày 31/5/2018", now=assigned, directive=d, position=3)
        make_task(s, key="T4", deadline_text="Thường xuyên", now=assigned, directive=d, lead="so-tu-phap", position=4)
        for i, lead in enumerate(("so-tai-chinh", "so-tu-phap", "so-xay-dung")):
            t = make_task(s, key=f"G{i}", deadline_text="trước ngày 15/6/2018", now=assigned, directive=d, lead=lead,
                          coordinators=["so-noi-vu"], content="Rà soát thủ tục hành chính", position=10 + i)
            t.assignee_text = "Các sở, ban, ngành"
        for chat, agency, role in [(-1001, "so-noi-vu", "focal"), (-1002, "so-noi-vu", "manager"),
                                   (-1005, "so-tu-phap", "focal"), (-1006, "so-tai-chinh", "focal"),
                                   (-1003, "van-phong-ubnd-tinh", "oversight"), (-1004, "ubnd-tinh", "leadership")]:
            make_binding(s, chat_id=chat, agency=agency, role=role, now=linked)


def env_for(db_url: str, fake: FakeTelegram) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CLOCK_"))}
    env.update({"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url,
                "CLOCK_START": START, "SCHEDULER_TICK_SECONDS": "1",
                "FEED_BIND": f"127.0.0.1:{free_port()}", "LOG_LEVEL": "info", "PYTHONPATH": str(ROOT)})
    return env


def test_run_over_a_week_sends_what_preview_listed(tmp_path, engine, db_url):
    registry(engine)
    with FakeTelegram.in_thread(token=TOKEN) as fake:
        env = env_for(db_url, fake)
        preview = subprocess.run([sys.executable, "-c", "from dondoc.cli import main; main()", "preview",
                                  "--from", "10/06/2018", "--to", "15/06/2018", "--json"],
                                 cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert preview.returncode == 0, preview.stderr
        listed = [json.loads(line) for line in preview.stdout.splitlines()]
        assert rows(engine) == []  # the preview planned nothing into the outbox
        asyncio.run(run_week(db_url, engine, fake))

    by_id = {(m["chat"]["id"], m["message_id"]): m["text"] for m in fake.sent}
    sent = []
    for r in rows(engine, status="sent"):
        if r.sent_at.astimezone(VN) >= END:
            continue
        sent.append(_msg(int(r.chat.split(":")[1]), r.step, r.task_key or None,
                         r.sent_at.astimezone(VN).date().isoformat(), by_id[(int(r.chat.split(":")[1]), int(r.message_id))],
                         _items(r)))
    expected = [_msg(int(m["chat"].split(":")[1]), m["step"], m["task"], m["at"][:10], m["text"], m["items"])
                for m in listed]
    assert len(fake.sent) == len(sent)  # nothing was sent that the outbox does not record as sent this week
    only_run, only_preview = sorted(set(sent) - set(expected)), sorted(set(expected) - set(sent))
    assert sorted(sent) == sorted(expected), ([m[:4] for m in only_run], [m[:4] for m in only_preview])
    # at most one message per task, chat and day: the first start's catch-up at 07:30 and Monday's reminder at
    # 08:00 used to both reach the focal chats (T1 twice on 11/06), where the preview listed one
    told = [(m[0], m[2], m[3]) for m in sent if m[2]]
    assert len(told) == len(set(told)), sorted(t for t in told if told.count(t) > 1)
    # the week had what the issue is about: a first start's catch-up at 07:30, briefs, a group item, an agenda
    steps = {m["step"].split(":")[0] for m in listed}
    assert {"new", "remind", "brief", "digest"} <= steps
    assert min(m["at"] for m in listed).startswith("2018-06-11T07:30")
    brief = [m for m in listed if m["step"] == "brief:daily" and m["chat"] == "telegram:-1004"]
    assert brief and brief[0]["items"] == ["T3"]  # 11/06: T3 reaches the leadership, 7 working days late
    assert all(m["role"] and m["at"].endswith("+07:00") for m in listed)


async def run_week(db_url: str, engine, fake: FakeTelegram, start: str = START, end: datetime = END,
                   tick: timedelta = TICK) -> None:
    """What `dondoc run` does each tick (dondoc.service: make_scheduler, prepare_start, then tick), on a
    clock this test moves: a tick every TICK of the week, each awaited before the clock moves on.

    It used to be `dondoc run` in a process of its own on a clock replayed at 10,000× real time, and it failed
    when the machine was busy: a tick held up by one real second landed 2.8 simulated hours later, so which
    ticks fell inside a day's delivery window — and so which reminders a catch-up folded away — depended on
    the machine's load. Driving the ticks from here makes the week the same on every run."""
    from core.clock import FixedClock
    from dondoc.service import build_channels
    from dondoc.settings import load_settings
    from dondoc.wiring import make_scheduler

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, telegram_bot_token=TOKEN,
                             telegram_base_url=fake.base_url, clock_start=start)
    clock = FixedClock(datetime.fromisoformat(start))
    channels = build_channels(settings, engine, clock)
    for ch in channels.values():
        await ch.start()
    try:
        scheduler = make_scheduler(engine, settings, clock, channels)  # as `dondoc run` makes it
        scheduler.prepare_start()
        while clock.now() < end:
            await scheduler.tick()
            clock.advance(tick)
    finally:
        for ch in channels.values():
            await ch.stop()


def _msg(chat, step, task, day, text, items):
    return (chat, step, task or "", day, text, tuple(items) if not step.startswith(("digest", "summary")) else ())


def _items(r: Notification) -> list[str]:
    p = r.payload or {}
    return list(p.get("items") or ([r.task_key] if r.task_key else []))
