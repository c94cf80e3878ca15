"""A chat is told of a task once a day (issue 27, found in the Lạng Sơn half-year: `62-kh-ubnd-1-1` twice on
03/09/2013). "Trong tháng 8/2013" is due on Saturday 31/08, moved past the National Day (Monday 02/09) to
Tuesday 03/09 — the day the week's agenda goes out too, moved off the same holiday. Both at 08:00: the focal
chat heard the task in the agenda and in its due-day reminder. The reminder (the one with buttons) stays; the
agenda leaves the task out and says so, in `run` and in the preview alike."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta

import pytest

from storage.db import session_scope
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.fake_telegram import FakeTelegram
from tests.test_preview_equals_run import env_for, run_week
from tests.test_scheduler_e2e import TOKEN, rows

pytestmark = pytest.mark.slow

START = "2013-08-29T20:00:00+07:00"  # a Thursday evening before the holiday week
END = datetime(2013, 9, 7, 0, 0, tzinfo=VN)
TICK = timedelta(minutes=15)
FOCAL = -1001


def registry(engine) -> None:
    issued = datetime(2013, 7, 11, 9, 0, tzinfo=VN)
    with session_scope(engine) as s:
        d = make_directive(s, now=issued)
        make_task(s, key="62-kh-ubnd-1-1", deadline_text="Trong tháng 8/2013", now=issued, directive=d, position=1,
                  content="Tổ chức hội nghị phổ biến, quán triệt Chương trình tổng thể cải cách hành chính")
        make_task(s, key="62-kh-ubnd-3-2", deadline_text="trước ngày 05/9/2013", now=issued, directive=d, position=2,
                  content="Xây dựng kế hoạch kiểm tra cải cách hành chính")
        make_binding(s, chat_id=FOCAL, agency="so-noi-vu", role="focal", now=issued - timedelta(days=1))


def _told(day_messages: list[tuple[str, str]]) -> Counter:
    """(day, task key) → how many messages of that day name the task (by its key line)."""
    return Counter((day, key) for day, text in day_messages
                   for key in ("62-kh-ubnd-1-1", "62-kh-ubnd-3-2") if key in text)


def test_the_agenda_leaves_out_a_task_told_in_its_own_message_the_same_day(tmp_path, engine, db_url):
    registry(engine)
    with FakeTelegram.in_thread(token=TOKEN) as fake:
        env = env_for(db_url, fake)
        env["CLOCK_START"] = START
        preview = subprocess.run([sys.executable, "-c", "from dondoc.cli import main; main()", "preview",
                                  "--from", "29/08/2013", "--to", "06/09/2013", "--json"],
                                 cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert preview.returncode == 0, preview.stderr
        listed = [json.loads(line) for line in preview.stdout.splitlines()]
        asyncio.run(run_week(db_url, engine, fake, START, END, TICK))

    # The preview: on 03/09 the due-day reminder, and an agenda that no longer lists that task.
    on_3rd = [m for m in listed if m["at"].startswith("2013-09-03")]
    reminder = [m for m in on_3rd if m["task"] == "62-kh-ubnd-1-1"]
    agenda = [m for m in on_3rd if m["step"] == "digest:weekly"]
    assert [m["step"] for m in reminder] == ["remind:0:2013-09-03"]
    assert agenda and "62-kh-ubnd-1-1" not in agenda[0]["items"]
    assert "62-kh-ubnd-1-1" not in agenda[0]["text"] and "trong tin nhắn riêng hôm nay" in agenda[0]["text"]
    assert max(_told([(m["at"][:10], m["text"]) for m in listed]).values()) == 1

    # `run`: the same messages, each task named once a day in the chat.
    by_id = {m["message_id"]: m["text"] for m in fake.sent}
    sent = [(r.sent_at.astimezone(VN).date().isoformat(), by_id[int(r.message_id)])
            for r in rows(engine, status="sent") if r.sent_at.astimezone(VN) < END]
    assert len(sent) == len(fake.sent)
    assert sorted(sent) == sorted((m["at"][:10], m["text"]) for m in listed)
    told = _told(sent)
    assert told[("2013-09-03", "62-kh-ubnd-1-1")] == 1 and max(told.values()) == 1, told
