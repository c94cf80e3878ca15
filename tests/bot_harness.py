"""A running bot for end-to-end tests: the real python-telegram-bot `Application` (polling over HTTP) against
the fake Bot API server on 127.0.0.1, a migrated SQLite database with a small registry, and a fixed clock.

    async def test_x(bot):
        replies = await bot.say(FOCAL_CHAT, "/help")
        assert "Sở Nội vụ" in replies[0]

`say` and `press` wait until the bot has finished handling that very update (a handler in a late group
records it), so a test never races the bot, and return what the bot sent/edited/answered meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application, start_bot, stop_bot
from core.clock import FixedClock
from dondoc.settings import load_settings
from storage.tables import Agency, AuditEntry, Task
from tests.factories import make_binding, make_directive, make_task
from tests.fake_telegram import FakeTelegram

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 1, 9, 0, tzinfo=VN)

# Chats (groups are negative ids, private chats positive) and people.
FOCAL_CHAT = -1001  # Sở Nội vụ, cán bộ đầu mối
FINANCE_CHAT = -1002  # Sở Tài chính, cán bộ đầu mối (coordinates T1)
MANAGER_CHAT = -1003  # Sở Nội vụ, lãnh đạo đơn vị
OVERSIGHT_CHAT = -1004  # cơ quan thường trực (Văn phòng UBND tỉnh)
LEADERSHIP_CHAT = -1005
STRANGER_CHAT = -1009  # not linked
ALICE, BOB, CAROL, ADMIN, MALLORY = 501, 502, 503, 999, 666

AGENCIES = {
    "so-noi-vu": "Sở Nội vụ",
    "so-tai-chinh": "Sở Tài chính",
    "van-phong-ubnd-tinh": "Văn phòng UBND tỉnh",
    "so-y-te": "Sở Y tế",
}


def seed(session: Session, now: datetime = NOW) -> dict[str, Task]:
    """A small registry: three tasks of Sở Nội vụ (one-off, quarterly, continuous), one overdue task of
    Sở Y tế, and the chats linked to them."""
    for code, name in AGENCIES.items():
        session.add(Agency(code=code, name=name))
    directive = make_directive(session, number="5099/UBND-HCC", subject="Cải cách hành chính năm 2018")
    tasks = {
        "T1": make_task(session, key="5099-1", deadline_text="trước ngày 14/6/2018", now=now, directive=directive,
                        content="Rà soát thủ tục hành chính thuộc thẩm quyền", coordinators=["so-tai-chinh"],
                        position=1),
        "T2": make_task(session, key="5099-2", deadline_text="định kỳ hàng quý", now=now, directive=directive,
                        content="Báo cáo kết quả cải cách hành chính hằng quý", position=2),
        "T3": make_task(session, key="5099-3", deadline_text="Thường xuyên", now=now, directive=directive,
                        content="Theo dõi, đôn đốc việc thực hiện", position=3),
        "T4": make_task(session, key="5099-4", deadline_text="trước ngày 20/5/2018", now=now, directive=directive,
                        lead="so-y-te", content="Kiểm tra an toàn thực phẩm", position=4),
    }
    make_binding(session, chat_id=FOCAL_CHAT, agency="so-noi-vu", role="focal", now=now, title="Đầu mối Sở Nội vụ")
    make_binding(session, chat_id=FINANCE_CHAT, agency="so-tai-chinh", role="focal", now=now)
    make_binding(session, chat_id=MANAGER_CHAT, agency="so-noi-vu", role="manager", now=now)
    make_binding(session, chat_id=OVERSIGHT_CHAT, agency="van-phong-ubnd-tinh", role="oversight", now=now)
    make_binding(session, chat_id=LEADERSHIP_CHAT, agency="van-phong-ubnd-tinh", role="leadership", now=now)
    session.commit()
    return tasks


@dataclass
class Bot:
    tg: FakeTelegram
    app: Any
    engine: Any
    clock: FixedClock
    settings: Any
    processed: set[int] = field(default_factory=set)

    async def _run(self, update: dict[str, Any], timeout: float = 10.0) -> "Reaction":
        sent, edits, answers = len(self.tg.sent), len(self.tg.edits), len(self.tg.callback_answers)
        uid = update["update_id"]
        await self.tg.wait_for(lambda: uid in self.processed, timeout=timeout)
        return Reaction(self.tg.sent[sent:], self.tg.edits[edits:], self.tg.callback_answers[answers:])

    async def say(self, chat_id: int, text: str, user_id: int = ALICE, **kwargs) -> "Reaction":
        return await self._run(self.tg.push_message(chat_id, user_id, text, **kwargs))

    async def press(self, chat_id: int, message_id: int, data: str, user_id: int = ALICE, **kwargs) -> "Reaction":
        return await self._run(self.tg.press_button(chat_id, user_id, message_id, data, **kwargs))

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def task(self, key: str) -> Task:
        with self.session() as s:
            return s.exec(select(Task).where(Task.key == key)).one()

    def audit(self) -> list[AuditEntry]:
        with self.session() as s:
            return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)))


@dataclass
class Reaction:
    """What the bot did in answer to one update."""

    sent: list[dict[str, Any]]
    edits: list[dict[str, Any]]
    answers: list[dict[str, Any]]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.sent
                if chat_id is None or m["chat"]["id"] == chat_id]

    @property
    def text(self) -> str:
        """Everything sent, joined (most replies are one message)."""
        return "\n".join(self.texts())

    def to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]


def buttons_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of a message's inline keyboard, row by row."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def button(message: dict[str, Any], label_start: str) -> str:
    for label, data in buttons_of(message):
        if label.startswith(label_start):
            return data
    raise AssertionError(f"no button starting with {label_start!r} in {buttons_of(message)}")


async def post_message(tg: FakeTelegram, chat_id: int, text: str, buttons) -> dict[str, Any]:
    """A message from the bot with buttons, as the scheduler's reminder would be: sent through the fake's
    API so it exists there with a message id the test can press."""
    from aiohttp import ClientSession

    markup = {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row] for row in buttons]}
    async with ClientSession() as http:
        async with http.post(f"{tg.base_url}{tg.token}/sendMessage",
                             json={"chat_id": chat_id, "text": text, "reply_markup": markup}) as r:
            body = await r.json()
    assert body["ok"], body
    return body["result"]


async def start(db_url: str, engine, *, clock: FixedClock | None = None, **overrides) -> Bot:
    tg = FakeTelegram()
    tg.chat_admins[OVERSIGHT_CHAT] = {ALICE, CAROL}  # who decides there (getChatMember: administrator)
    await tg.start()
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, telegram_bot_token=tg.token,
                             telegram_base_url=tg.base_url, admin_user_ids=(ADMIN,), **overrides)
    clock = clock or FixedClock(NOW)
    app = build_application(settings, engine, clock)
    bot = Bot(tg, app, engine, clock, settings)

    async def mark(update: Update, context) -> None:
        bot.processed.add(update.update_id)

    app.add_handler(TypeHandler(Update, mark), group=99)
    await start_bot(app, settings, poll_interval=0.02, timeout=0)
    return bot


async def stop(bot: Bot) -> None:
    await stop_bot(bot.app)
    await bot.tg.stop()


@pytest.fixture
async def bot(db_url, engine):
    """The running bot over a seeded database (see `seed`)."""
    with Session(engine) as s:
        seed(s)
    running = await start(db_url, engine)
    try:
        yield running
    finally:
        await stop(running)
