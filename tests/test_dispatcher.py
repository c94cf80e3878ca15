"""The dispatcher in process, through a scripted channel: what is sent, cancelled, retried, given up."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from jobs.ports import (
    UPLOAD, Channel, ChatGone, ChatMoved, PermanentDeliveryError, RetryLater, TransientDeliveryError,
)
from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from jobs import outbox
from jobs.dispatcher import backoff_seconds
from dondoc.wiring import make_scheduler
from storage import actions
from storage.db import session_scope
from storage.tables import AuditEntry, ChatBinding, Notification, Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task

ADMIN = actions.Actor("Chị Lan", "77", "telegram")


class ScriptedChannel(Channel):
    """Records what it is asked to send; raises the errors queued for a chat; can be slow."""

    platform = "telegram"

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.sent: list[tuple[str, str, list]] = []
        self.errors: dict[str, list[Exception]] = {}
        self.attempts: list[tuple[str, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def fail(self, chat_id, *errors: Exception) -> None:
        self.errors.setdefault(str(chat_id), []).extend(errors)

    def texts_to(self, chat_id) -> list[str]:
        return [t for c, t, _ in self.sent if c == str(chat_id)]

    async def send(self, chat_id: str, text: str, buttons=None) -> str:
        self.attempts.append((chat_id, time.monotonic()))
        queued = self.errors.get(chat_id)
        if queued:
            raise queued.pop(0)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        self.sent.append((chat_id, text, buttons or []))
        return str(len(self.sent))


@pytest.fixture
def world(engine, db_url):
    """Sở Nội vụ leads T1 (due 14/6/2018) with Sở Tư pháp; Sở Tài chính leads a quarterly report T2."""
    assigned = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
    with session_scope(engine) as s:
        d = make_directive(s, now=assigned)
        make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=assigned, directive=d, coordinators=["so-tu-phap"],
                  content="Gửi kế hoạch triển khai Chỉ số PAR INDEX về UBND tỉnh")
        make_task(s, key="T2", deadline_text="định kỳ hàng quý", now=assigned, directive=d, lead="so-tai-chinh")
        for chat, agency, role in [(-1001, "so-noi-vu", "focal"), (-1002, "so-noi-vu", "manager"),
                                   (-1005, "so-tu-phap", "focal"), (-1006, "so-tai-chinh", "focal"),
                                   (-1003, "van-phong-ubnd-tinh", "oversight"), (-1004, "ubnd-tinh", "leadership")]:
            make_binding(s, chat_id=chat, agency=agency, role=role, now=assigned - timedelta(days=1))
    return assigned


def make(engine, db_url, when, delay=0.0, **overrides):
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, **overrides)
    clock = FixedClock(when)
    ch = ScriptedChannel(delay)
    sch = make_scheduler(engine, settings, clock, {"telegram": ch})
    return sch, clock, ch


def rows(engine, **where):
    with Session(engine) as s:
        q = select(Notification).order_by(Notification.id)
        for k, v in where.items():
            q = q.where(getattr(Notification, k) == v)
        return s.exec(q).all()


def task(s, key) -> Task:
    return s.exec(select(Task).where(Task.key == key)).one()


async def test_sends_due_messages_with_buttons_and_records_message_ids(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    await sch.tick()
    assert sorted(c for c, _, _ in ch.sent) == ["-1001", "-1005", "-1006"]
    text = ch.texts_to(-1001)[0]
    assert "Nhiệm vụ mới" in text and "Gửi kế hoạch triển khai Chỉ số PAR INDEX" in text
    assert "14/06/2018" in text and "trước ngày 14/6/2018" in text and "còn 22 ngày" in text and "Mã: T1" in text
    assert "phối hợp" in ch.texts_to(-1005)[0]
    buttons = [b.label for row in ch.sent[0][2] for b in row]
    assert buttons == ["✅ Hoàn thành", "📈 Tiến độ", "⏳ Xin gia hạn", "👀 Đã nhận"]
    sent = rows(engine, status="sent")
    assert len(sent) == 3 and all(r.message_id and r.sent_at and r.attempts == 1 for r in sent)
    await sch.tick()  # nothing twice
    assert len(ch.sent) == 3


async def test_english_for_a_chat_that_asked_for_it(engine, db_url, world):
    with session_scope(engine) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-1005")).one()
        b.language = "en"
    sch, clock, ch = make(engine, db_url, world)
    await sch.tick()
    assert ch.texts_to(-1005)[0].startswith("📌 New task (your agency coordinates)")
    assert [b.label for row in [r for c, _, rs in ch.sent if c == "-1005" for r in rs] for b in row][0] == "✅ Done"


async def test_reminders_and_escalation_in_order_over_time(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    for day in (datetime(2018, 5, 23, 9, 1), datetime(2018, 6, 7, 8, 0), datetime(2018, 6, 14, 8, 0),
                datetime(2018, 6, 15, 8, 0), datetime(2018, 6, 19, 8, 0)):
        clock.set(day.replace(tzinfo=VN))
        await sch.tick()
    assert [t.splitlines()[0] for t in ch.texts_to(-1001) if not t.startswith("📋")] == [
        "📌 Nhiệm vụ mới (đơn vị chủ trì)", "⏰ Nhắc hạn: còn 7 ngày", "⏰ Nhắc hạn: " + _("due today", lang="vi")]
    assert _("due today", lang="vi") == "hôm nay là hạn cuối"  # as it reads naturally, not "hạn là hôm nay"
    # Leaders' chats hear it in their daily brief (DAILY_BUDGET), beside their weekly agenda.
    briefs = [t for t in ch.texts_to(-1002) if t.startswith("📋 Bản tin")]
    assert [t.splitlines()[0] for t in briefs] == ["📋 Bản tin đôn đốc ngày 15/06 (thứ Sáu) — lãnh đạo đơn vị, Sở Nội vụ"]
    assert "quá hạn 1 ngày làm việc" in briefs[0] and "[T1]" in briefs[0]
    oversight = [t for t in ch.texts_to(-1003) if t.startswith("📋 Bản tin")]
    assert oversight[0].splitlines()[0] == "📋 Bản tin đôn đốc ngày 19/06 (thứ Ba) — cơ quan thường trực, mọi cơ quan"
    assert "quá hạn 3 ngày làm việc" in oversight[0] and "[T1]" in oversight[0]
    # the reminders of 11/6 and 13/6 were never due at a tick here: they are recorded as superseded
    assert {r.step for r in rows(engine, status="superseded", chat="telegram:-1001")} == {
        "remind:3:2018-06-14", "remind:1:2018-06-14"}


async def test_done_before_sending_cancels_the_rows(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 7, 8, 0, tzinfo=VN))
    sch.plan()
    with session_scope(engine) as s:
        actions.mark_done(s, task(s, "T1"), "once", ADMIN, clock.now())
    await sch.dispatcher.dispatch_due()
    assert not any("T1" in t for _, t, _ in ch.sent)
    cancelled = rows(engine, task_key="T1", status="cancelled")
    assert cancelled and {r.last_error for r in cancelled} == {"done"}


async def test_acknowledged_stops_reminders_not_escalation(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 13, 8, 0, tzinfo=VN))
    sch.plan()
    with session_scope(engine) as s:
        actions.acknowledge(s, task(s, "T1"), "once", ADMIN, clock.now())
    await sch.dispatcher.dispatch_due()
    assert {r.last_error for r in rows(engine, task_key="T1", status="cancelled") if r.step.startswith("remind:1")} == {"acknowledged"}
    clock.set(datetime(2018, 6, 14, 8, 0, tzinfo=VN))
    await sch.tick()
    assert not [t for c, t, _ in ch.sent if "Mã: T1" in t and "Nhắc hạn" in t]
    clock.set(datetime(2018, 6, 15, 8, 0, tzinfo=VN))
    await sch.tick()
    briefs = [t for t in ch.texts_to(-1002) if t.startswith("📋 Bản tin")]
    assert briefs and "quá hạn 1 ngày làm việc" in briefs[0] and "[T1]" in briefs[0]


async def test_approved_extension_cancels_old_rows_and_plans_fresh_ones(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 11, 8, 0, tzinfo=VN))
    sch.plan()
    with session_scope(engine) as s:
        ext = actions.request_extension(s, task(s, "T1"), "once", date(2018, 6, 29), "chờ số liệu", ADMIN, clock.now())
        actions.decide_extension(s, ext, True, ADMIN, clock.now())
    await sch.tick()
    assert {r.last_error for r in rows(engine, task_key="T1", status="cancelled")} == {"deadline extended"}
    clock.set(datetime(2018, 6, 22, 8, 0, tzinfo=VN))
    await sch.tick()
    [text] = [t for t in ch.texts_to(-1001) if "Nhắc hạn" in t]
    assert "còn 7 ngày" in text and "29/06/2018" in text and "đã gia hạn" in text


async def test_a_later_message_supersedes_an_unsent_earlier_one(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 11, 8, 0, tzinfo=VN))
    sch.plan()  # remind:3 pending, never dispatched
    clock.set(datetime(2018, 6, 13, 8, 0, tzinfo=VN))
    await sch.tick()
    assert [t.splitlines()[0] for t in ch.texts_to(-1001) if not t.startswith("📋")] == ["⏰ Nhắc hạn: hạn là ngày mai"]
    [old] = rows(engine, step="remind:3:2018-06-14", chat="telegram:-1001")
    assert old.status == "superseded"


async def test_429_waits_as_asked_and_loses_nothing(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    ch.fail(-1001, RetryLater(0.4))
    first = await sch.tick()
    assert first[1].retried == 1
    assert sorted(c for c, _, _ in ch.sent) == ["-1005", "-1006"]  # other chats do not wait
    [row] = rows(engine, chat="telegram:-1001")
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at == clock.now() + timedelta(seconds=0.4)
    clock.advance(seconds=1)
    await sch.tick()  # the clock says go, but Telegram's wait is real time: not yet
    assert ch.texts_to(-1001) == []
    await asyncio.sleep(0.45)
    await sch.tick()
    assert len(ch.texts_to(-1001)) == 1
    retry_gap = ch.attempts[-1][1] - [t for c, t in ch.attempts if c == "-1001"][0]
    assert retry_gap >= 0.4


async def test_transient_errors_back_off_then_fail_and_oversight_is_told(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world, delivery_max_attempts=3)
    ch.fail(-1006, *[TransientDeliveryError("Bad Gateway (502)")] * 3)
    await sch.tick()
    [row] = rows(engine, chat="telegram:-1006")
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=backoff_seconds(1))
    clock.advance(seconds=backoff_seconds(1))
    await sch.tick()
    [row] = rows(engine, chat="telegram:-1006")
    assert (row.status, row.attempts) == ("pending", 2)
    clock.advance(seconds=backoff_seconds(2))
    await sch.tick()
    [row] = rows(engine, chat="telegram:-1006", kind="new")
    assert (row.status, row.attempts) == ("failed", 3) and "502" in row.last_error
    await sch.tick()
    [notice] = ch.texts_to(-1003)
    assert "Không gửi được tin nhắn sau 3 lần thử" in notice and "telegram:-1006" in notice and "Bad Gateway" in notice
    [n] = rows(engine, kind="notice")
    assert n.step == f"notice:failed:{row.id}" and n.status == "sent"


async def test_transient_error_then_success(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    ch.fail(-1006, TransientDeliveryError("Internal Server Error (500)"))
    await sch.tick()
    clock.advance(seconds=backoff_seconds(1))
    await sch.tick()
    assert len(ch.texts_to(-1006)) == 1
    [row] = rows(engine, chat="telegram:-1006")
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


async def test_chat_gone_disables_the_binding_and_tells_oversight(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    ch.fail(-1005, ChatGone("Forbidden: bot was kicked from the group chat"))
    await sch.tick()
    with Session(engine) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-1005")).one()
        assert not b.active and "kicked" in b.disabled_reason
        audit_rows = s.exec(select(AuditEntry).where(AuditEntry.action == "binding.disabled")).all()
    assert [(a.entity_key, a.source, a.detail["reason"]) for a in audit_rows] == [
        ("telegram:-1005:so-tu-phap:focal", "scheduler", "Forbidden: bot was kicked from the group chat")]
    await sch.tick()
    [notice] = ch.texts_to(-1003)
    assert "Không còn gửi được tin vào một nhóm" in notice and "telegram:-1005" in notice and "đầu mối" in notice
    # Nothing more is planned for the chat that is gone.
    clock.set(datetime(2018, 6, 7, 8, 0, tzinfo=VN))
    await sch.tick()
    assert ch.texts_to(-1005) == [] and ch.texts_to(-1001)


async def test_permanent_error_fails_at_once(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    ch.fail(-1006, PermanentDeliveryError("Bad Request: message is too long"))
    await sch.tick()
    [row] = rows(engine, chat="telegram:-1006")
    assert row.status == "failed" and "too long" in row.last_error
    assert rows(engine, kind="notice")


async def test_group_upgraded_to_supergroup_moves_bindings_and_rows(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world)
    ch.fail(-1001, ChatMoved("-1009999"))
    await sch.tick()
    await sch.tick()
    assert len(ch.texts_to(-1009999)) == 1 and ch.texts_to(-1001) == []
    with Session(engine) as s:
        assert s.exec(select(ChatBinding).where(ChatBinding.chat_id == "-1009999")).one().agency == "so-noi-vu"
    assert rows(engine, chat="telegram:-1001") == []
    clock.set(datetime(2018, 6, 7, 8, 0, tzinfo=VN))
    await sch.tick()  # history moved with the chat: only the new reminder, no replay
    assert len(ch.texts_to(-1009999)) == 2


async def test_many_chats_at_once_each_in_order(engine, db_url, world):
    with session_scope(engine) as s:
        for i in range(12):
            make_binding(s, chat_id=2000 + i, agency="so-noi-vu", role="focal", now=world - timedelta(days=1))
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 15, 9, 0, tzinfo=VN), delay=0.05)
    # three messages per chat (three tasks), due one after the other
    with session_scope(engine) as s:
        for k in ("T3", "T4"):
            make_task(s, key=k, deadline_text="trước ngày 14/6/2018", now=datetime(2018, 6, 15, 8, 30, tzinfo=VN))
    sch.plan()
    await sch.dispatcher.dispatch_due()
    assert ch.max_in_flight > 4  # chats are served concurrently
    for i in range(12):
        keys = [t.split("Mã: ")[1] for t in ch.texts_to(2000 + i) if "Mã: " in t]
        assert sorted(keys) == ["T1", "T3", "T4"]  # T1: its last reminder, caught up
    per_chat = {}
    for r in rows(engine, status="sent"):
        per_chat.setdefault(r.chat, []).append((r.sent_at, r.due_at, r.id))
    for chat, sent in per_chat.items():
        assert [x[2] for x in sorted(sent)] == [x[2] for x in sorted(sent, key=lambda x: (x[1], x[2]))]


async def test_stop_finishes_sends_in_flight_and_releases_the_rest(engine, db_url, world):
    with session_scope(engine) as s:
        for k in ("T3", "T4", "T5"):
            make_task(s, key=k, deadline_text="trước ngày 14/6/2018", now=datetime(2018, 6, 15, 8, 30, tzinfo=VN))
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 15, 9, 0, tzinfo=VN), delay=0.3)
    sch.plan()
    run = asyncio.create_task(sch.dispatcher.dispatch_due())
    await asyncio.sleep(0.15)
    sch.request_stop()
    stats = await run
    assert len(ch.sent) == ch.in_flight + len(ch.sent) == stats.sent > 0  # the ones in flight finished
    assert rows(engine, status="claimed") == []
    assert stats.released > 0 and len(rows(engine, status="pending")) >= stats.released
    assert await sch.dispatcher.dispatch_due() == type(stats)()  # a stopped dispatcher claims nothing


async def test_claims_of_a_crashed_process_are_sent_after_the_timeout(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, world, claim_timeout_seconds=60)
    sch.plan()
    dead = outbox.claim(engine, "crashed-process", clock.now())
    assert len(dead) == 3
    await sch.dispatcher.dispatch_due()
    assert ch.sent == []  # still within the timeout: maybe that process is alive
    clock.advance(seconds=61)
    stats = await sch.dispatcher.dispatch_due()
    assert stats.requeued == 3 and len(ch.sent) == 3


async def test_digest_and_summary_texts(engine, db_url, world):
    sch, clock, ch = make(engine, db_url, datetime(2018, 6, 11, 8, 0, tzinfo=VN))
    await sch.tick()
    digest = [t for t in ch.texts_to(-1002) if t.startswith("📋")]  # the leaders of Sở Nội vụ
    assert digest and "Lịch việc tuần 11/06 – 17/06/2018" in digest[0] and "[T1]" in digest[0]
    # The focal chat hears T1's own reminder (3 working days ahead) this same 08:00, so its agenda, which would
    # list only T1, is not sent: a chat is told of a task once a day (issue 27).
    assert [t for t in ch.texts_to(-1001) if "Mã: T1" in t]
    assert not [t for t in ch.texts_to(-1001) if t.startswith("📋")]
    assert not [t for t in ch.texts_to(-1006) if t.startswith("📋")]  # nothing due this week: no message
    assert {r.last_error for r in rows(engine, step="digest:weekly", chat="telegram:-1006")} == {"nothing to report"}
    clock.set(datetime(2018, 7, 2, 8, 0, tzinfo=VN))
    await sch.tick()
    [summary] = [t for t in ch.texts_to(-1003) if t.startswith("📊")]
    # the quarter's figures (T1 due 14/6, open; T2's Q2 report due 30/6, a Saturday: in term), then T1 as overdue
    assert "Quý II/2018 (từ ngày 01/04/2018 đến ngày 30/06/2018)" in summary.splitlines()[0]
    assert ("Tổng cộng: 2 nhiệm vụ — đã hoàn thành đúng hạn 0, đã hoàn thành quá hạn 0, chưa hoàn thành trong hạn 1, "
            "chưa hoàn thành quá hạn 1; tỷ lệ đúng hạn 0,0%") in summary.splitlines()
    assert summary.splitlines()[-1].endswith("[T1]") and "quá hạn 11 ngày làm việc" in summary.splitlines()[-1]
    assert [t for t in ch.texts_to(-1004) if t.startswith("📊")]  # leadership too


class PhotoChannel(ScriptedChannel):
    """A channel that can also send pictures (as Telegram's does)."""

    pictures = UPLOAD

    def __init__(self):
        super().__init__()
        self.photos: list[tuple[str, bytes, str]] = []

    async def send_photo(self, chat_id: str, png: bytes, filename: str = "chart.png") -> str:
        self.photos.append((chat_id, png, filename))
        return f"p{len(self.photos)}"

    def photos_of(self, chat_id: str) -> list[tuple[str, bytes]]:
        return [(name, png) for c, png, name in self.photos if c == str(chat_id)]


async def test_the_quarterly_summary_carries_its_chart(engine, db_url, world):
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    clock = FixedClock(datetime(2018, 7, 2, 8, 0, tzinfo=VN))
    ch = PhotoChannel()
    sch = make_scheduler(engine, settings, clock, {"telegram": ch})
    await sch.tick()
    summaries = [(c, t) for c, t, _ in ch.sent if t.startswith("📊")]
    assert {c for c, _ in summaries} == {"-1003", "-1004"}
    # after each summary's text, its chart: a PNG of the quarter, once per chat
    assert sorted(c for c, _, _ in ch.photos) == ["-1003", "-1004"]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and name == "2018-Q2.png" for _, png, name in ch.photos)
    await sch.tick()
    assert len(ch.photos) == 2  # not again
    # a channel without pictures gets the text alone
    assert not hasattr(ScriptedChannel(), "send_photo")


# -- the quarterly summary's chart on Zalo: a signed link the console answers (Zalo fetches pictures by URL) --

ZALO_VI, ZALO_EN = "77aa88bb99cc00dd11ee", "0f1e2d3c4b5a69788796"  # an oversight chat, a leadership chat (English)
SUMMARY_DAY = datetime(2018, 7, 2, 8, 0, tzinfo=VN)  # the first working day of Q3: Q2's summary goes out


@pytest.fixture
async def zalo_world(engine, db_url, world, monkeypatch):
    """`world` plus two Zalo chats that receive the quarterly summary, the fake Zalo Bot API, and a scheduler
    sending to Telegram (scripted, uploads pictures) and to Zalo (our real channel). `drawn` records every
    chart the dispatcher draws itself."""
    from bot.zalo import ZaloChannel
    from reports import summary
    from tests.fake_zalo import FakeZalo

    with session_scope(engine) as s:
        make_binding(s, chat_id=ZALO_VI, agency="van-phong-ubnd-tinh", role="oversight", platform="zalo",
                     now=world - timedelta(days=1))
        make_binding(s, chat_id=ZALO_EN, agency="ubnd-tinh", role="leadership", platform="zalo", language="en",
                     now=world - timedelta(days=1))
    drawn: list[dict] = []
    draw = summary.summary_chart

    def drawing(*args, **kw):
        drawn.append(kw)
        return draw(*args, **kw)

    monkeypatch.setattr(summary, "summary_chart", drawing)
    async with FakeZalo() as fake:
        settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, zalo_bot_token=fake.token,
                                 zalo_base_url=fake.base_url, zalo_rate_per_second=100.0)
        telegram, zalo = PhotoChannel(), ZaloChannel(settings)
        sch = make_scheduler(engine, settings, FixedClock(SUMMARY_DAY), {"telegram": telegram, "zalo": zalo})
        try:
            yield sch, fake, telegram, drawn, draw
        finally:
            await zalo.stop()


def _summaries(texts: list[str]) -> list[str]:
    return [t for t in texts if t.startswith("📊")]


async def test_the_quarterly_summary_reaches_zalo_with_its_chart_by_link(engine, zalo_world):
    from aiohttp.test_utils import TestClient, TestServer

    from web.feeds import make_app
    from core.workdays import WorkCalendar
    from web.app import mount

    sch, fake, telegram, drawn, draw = zalo_world
    await sch.tick()
    for chat in (ZALO_VI, ZALO_EN):
        [text] = _summaries(fake.texts_to(chat))
        messages = fake.messages_to(chat)
        at = [m.get("text") for m in messages].index(text)
        [photo] = fake.photos_to(chat)
        assert messages[at + 1] is photo and photo["caption"] is None  # right after the text; no caption, as on Telegram
    assert "Quý II/2018" in _summaries(fake.texts_to(ZALO_VI))[0]
    assert "Q2 2018" in _summaries(fake.texts_to(ZALO_EN))[0]
    # the dispatcher drew the Telegram chats' charts only: Zalo's is drawn by the console when Zalo fetches it
    assert sorted(c for c, _, _ in telegram.photos) == ["-1003", "-1004"]
    assert len(drawn) == 2 and all(kw["quarter"] == "2018-Q2" and kw["lang"] == "vi" for kw in drawn)

    # What Zalo's servers do with each URL: fetch it, with no session — here the next day, on a console whose clock
    # reads later than the dispatcher's. The picture: the chart of that quarter in the chat's language, as of the
    # day the summary was sent, byte for byte what a Telegram chat gets.
    with Session(engine) as s:
        expected = {lang: draw(s, settings=sch.settings, calendar=WorkCalendar.from_file(None), quarter="2018-Q2",
                               today=SUMMARY_DAY.date(), lang=lang) for lang in ("vi", "en")}
    assert expected["vi"] != expected["en"]
    assert telegram.photos_of("-1003") == [("2018-Q2.png", expected["vi"])]
    base = sch.settings.feed_base_url
    later = FixedClock(SUMMARY_DAY + timedelta(hours=20))
    async with TestClient(TestServer(make_app(sch.settings, engine, later, [mount]))) as client:
        for chat, lang in ((ZALO_VI, "vi"), (ZALO_EN, "en")):
            [photo] = fake.photos_to(chat)
            assert photo["photo"].startswith(f"{base}/web/reports/chart/2018-Q2~{lang}~2018-07-02~")
            r = await client.get(photo["photo"][len(base):], allow_redirects=False)
            assert r.status == 200 and r.headers["Content-Type"] == "image/png"
            assert await r.read() == expected[lang]
    await sch.tick()
    assert len(fake.photos_to(ZALO_VI)) == len(fake.photos_to(ZALO_EN)) == 1  # not again


@pytest.mark.parametrize("code", [502, 429, 400])
async def test_a_chart_zalo_refuses_leaves_the_summary_sent_once(engine, zalo_world, code):
    sch, fake, telegram, drawn, draw = zalo_world
    fake.fail_next("sendPhoto", code, times=2)  # both Zalo chats' pictures
    await sch.tick()
    assert len(fake.calls("sendPhoto")) == 2 and fake.photos_to(ZALO_VI) == fake.photos_to(ZALO_EN) == []
    for chat in (ZALO_VI, ZALO_EN):
        assert len(_summaries(fake.texts_to(chat))) == 1
        [row] = rows(engine, chat=f"zalo:{chat}", step="summary:quarterly")
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    if code == 429:  # Zalo's "slow down" holds the chat back, as it would for a text
        assert sch.dispatcher._blocked(f"zalo:{ZALO_VI}")
    await sch.tick()
    assert len(fake.calls("sendPhoto")) == 2  # a failed chart is not retried, nor its text sent again
    assert all(len(_summaries(fake.texts_to(c))) == 1 for c in (ZALO_VI, ZALO_EN))


async def test_without_the_web_console_zalo_gets_the_summary_text_alone(engine, zalo_world, monkeypatch, caplog):
    import core.links

    sch, fake, telegram, drawn, draw = zalo_world
    monkeypatch.setattr(core.links, "web_console_installed", lambda: False)
    with caplog.at_level("INFO", logger="jobs.dispatcher"):
        await sch.tick()
    assert all(len(_summaries(fake.texts_to(c))) == 1 for c in (ZALO_VI, ZALO_EN))
    assert fake.calls("sendPhoto") == []
    said = [r for r in caplog.records if "web console is not installed" in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "INFO"  # once, however many chats
    assert len(telegram.photos) == 2  # Telegram's charts do not need the console
