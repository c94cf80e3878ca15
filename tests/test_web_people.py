"""The console's people page (issue 24): administrators see every agency's people and their channels; a focal
point sees their own agency's only; anyone else gets 404."""

from __future__ import annotations

from sqlmodel import Session

from core.clock import FixedClock
from dondoc.settings import load_settings
from storage.people import Changes, add_department, add_person
from tests.web_harness import ADMIN, FOCAL, LEADER, NOW, console, seed


def people(engine):
    with Session(engine) as s:
        d = add_department(s, "so-noi-vu", "Phòng Cải cách hành chính", actor="t", source="cli", now=NOW)
        add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(department=d.name, zalo="1234567",
                                                            email="an@example.gov.vn"), actor="t", source="cli",
                   now=NOW)
        add_person(s, "Đỗ Thị Y", "so-y-te", Changes(telegram="4242"), actor="t", source="cli", now=NOW)
        s.commit()


async def test_people_page_by_role(engine, db_url):
    seed(engine)
    people(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                             telegram_bot_token="123456:TEST-token", telegram_bot_username="dondoc_test_bot")
    async with console(engine, settings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        page = await (await c.client.get("/web/people")).text()
        assert "Nguyễn Văn An" in page and "zalo: 1234567" in page and "Đỗ Thị Y" in page
        assert "an@example.gov.vn (chờ xác nhận)" in page and "Phòng Cải cách hành chính" in page
    async with console(engine, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)  # Sở Nội vụ's focal point: their agency's people only
        r = await c.client.get("/web/people")
        page = await r.text()
        assert r.status == 200 and "Nguyễn Văn An" in page and "Đỗ Thị Y" not in page and "4242" not in page
    async with console(engine, settings, FixedClock(NOW)) as c:
        await c.sign_in(LEADER)  # the province's leadership reads tasks, not the agencies' people
        assert (await c.client.get("/web/people")).status == 404
