"""The web console for tests: a seeded database (two agencies' tasks, an overdue one, a pending extension),
people with roles through their private chats, and the real aiohttp application of `dondoc run` (the feeds'
app with the console mounted) on 127.0.0.1.

    async with console(engine, settings, clock) as c:
        page = await c.sign_in(FOCAL)          # a one-time link, as the bot's /web makes it
        r = await c.client.get("/web/tasks")
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session

from storage import actions
from storage.tables import Agency
from tests.factories import make_binding, make_directive, make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 20, 9, 0, tzinfo=VN)  # a Wednesday

# People (Telegram user ids = their private chats' ids).
ADMIN, OVERSIGHT, LEADER, FOCAL, HEALTH_FOCAL, STRANGER = 900, 901, 902, 903, 904, 999

AGENCIES = {"so-noi-vu": "Sở Nội vụ", "so-tai-chinh": "Sở Tài chính", "so-y-te": "Sở Y tế",
            "van-phong-ubnd-tinh": "Văn phòng UBND tỉnh"}


def seed(engine, now: datetime = NOW) -> None:
    with Session(engine) as s:
        for code, name in AGENCIES.items():
            s.add(Agency(code=code, name=name))
        d = make_directive(s, number="5099/UBND-HCC", issued=date(2018, 5, 23),
                           subject="Cải cách hành chính năm 2018")
        make_task(s, key="5099-1", deadline_text="trước ngày 14/6/2018", now=now, directive=d,
                  content="Rà soát thủ tục hành chính thuộc thẩm quyền", coordinators=["so-tai-chinh"], position=1)
        make_task(s, key="5099-2", deadline_text="trước ngày 22/6/2018", now=now, directive=d,
                  content="Công bố danh mục thủ tục hành chính", position=2)
        t3 = make_task(s, key="5099-3", deadline_text="trước ngày 30/6/2018", now=now, directive=d,
                       content="Báo cáo kết quả kiểm soát thủ tục", position=3)
        make_task(s, key="5099-4", deadline_text="trước ngày 10/6/2018", now=now, directive=d, lead="so-y-te",
                  content="Kiểm tra an toàn thực phẩm tại các chợ", position=4)
        actions.request_extension(s, t3, "once", date(2018, 7, 15), "Chờ số liệu của các huyện",
                                  actions.Actor("Chị Lan", str(FOCAL), "telegram"), now)
        for user, agency, role in ((OVERSIGHT, "van-phong-ubnd-tinh", "oversight"),
                                   (LEADER, "van-phong-ubnd-tinh", "leadership"),
                                   (FOCAL, "so-noi-vu", "focal"), (HEALTH_FOCAL, "so-y-te", "focal")):
            make_binding(s, chat_id=user, agency=agency, role=role, now=now)
        s.commit()


def make_link(engine, user_id: int, now: datetime, minutes: int = 15, name: str | None = None,
              via_chat: int | None = None) -> str:
    from storage.signin import create_signin_link

    with Session(engine) as s:
        token, _ = create_signin_link(s, str(user_id), name=name or f"User {user_id}", created_by="test",
                                      source="cli", now=now, minutes=minutes,
                                      via_chat=str(via_chat) if via_chat is not None else None)
        s.commit()
    return token


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="nonce" value="([^"]+)"')


async def open_link(client: TestClient, token: str):
    """GET the link's page as a browser does; (response, the nonce of its sign-in button or None)."""
    r = await client.get(f"/web/signin/{token}")
    m = NONCE_RE.search(await r.text())
    return r, (m.group(1) if m else None)


async def press_sign_in(client: TestClient, token: str, nonce: str | None):
    return await client.post(f"/web/signin/{token}", data={"nonce": nonce or ""}, allow_redirects=False)


@dataclass
class Console:
    client: TestClient
    engine: object
    clock: object

    async def sign_in(self, user_id: int) -> str:
        token = make_link(self.engine, user_id, self.clock.now())
        r, nonce = await open_link(self.client, token)
        assert r.status == 200 and nonce, await r.text()
        r = await self.client.post(f"/web/signin/{token}", data={"nonce": nonce})
        assert r.status == 200, await r.text()
        return await r.text()

    async def csrf(self, path: str = "/web/") -> str:
        r = await self.client.get(path)
        m = CSRF_RE.search(await r.text())
        assert m, "no CSRF token on the page"
        return m.group(1)


@asynccontextmanager
async def console(engine, settings, clock):
    from web.feeds import make_app
    from web.app import mount

    app = make_app(settings, engine, clock, [mount])
    async with TestClient(TestServer(app)) as client:
        yield Console(client, engine, clock)
