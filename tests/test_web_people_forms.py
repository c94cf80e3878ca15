"""The console's forms of issue 24 over plain HTTP: adding and editing a person, handing a task on, "Nhắc
ngay" — allowed only as core/authority.py allows, refused politely with the reason, another agency's people
not shown at all, every change audited with source "web"."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from storage.delegation import Assignment
from storage.people import Changes, Person, add_department, add_person
from storage.tables import AuditEntry, Notification
from tests.factories import make_binding
from tests.web_harness import ADMIN, FOCAL, HEALTH_FOCAL, LEADER, NOW, OVERSIGHT, console, seed

MANAGER = 905  # Sở Nội vụ's leader (a manager binding of their private chat)
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def vi(msgid: str, **values) -> str:
    return _(msgid, lang="vi", **values)


async def text_of(r) -> str:
    """The page's text as read (entities decoded), to find a sentence in it."""
    return html.unescape(await r.text())


@pytest.fixture
def world(engine):
    seed(engine)
    with Session(engine) as s:
        make_binding(s, chat_id=MANAGER, agency="so-noi-vu", role="manager", now=NOW)
        d = add_department(s, "so-noi-vu", "Phòng Cải cách hành chính", actor="t", source="cli", now=NOW)
        add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(department=d.name, zalo="1234567"), actor="t",
                   source="cli", now=NOW)
        add_person(s, "Đỗ Thị Y", "so-y-te", Changes(telegram="4242"), actor="t", source="cli", now=NOW)
        s.commit()
    return engine


@pytest.fixture
def settings(db_url):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                         telegram_bot_token="123456:TEST-token", telegram_bot_username="dondoc_test_bot")


def person_id(engine, name: str) -> int:
    with Session(engine) as s:
        return s.exec(select(Person).where(Person.name == name)).one().id


async def post(c, path: str, data: dict, page: str = "/web/people"):
    csrf = CSRF_RE.search(await (await c.client.get(page)).text()).group(1)
    return await c.client.post(path, data={"csrf": csrf, **data}, allow_redirects=False)


async def test_a_focal_point_adds_and_edits_their_own_agencys_people(world, settings):
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        form = await (await c.client.get("/web/people/new")).text()
        assert 'value="so-noi-vu"' in form and 'value="so-y-te"' not in form  # only their agency offered
        r = await post(c, "/web/people/new", {"name": "Trần Thị Bình", "agency": "so-noi-vu",
                                               "department": "Phong Cai cach hanh chinh", "position": "Chuyên viên",
                                               "zalo": "7777", "action": "save"})
        assert r.status == 303, await r.text()
        pid = person_id(world, "Trần Thị Bình")
        r = await post(c, f"/web/people/{pid}", {"name": "Trần Thị Bình", "department": "Phòng Cải cách hành chính",
                                                 "position": "Chuyên viên", "zalo": "7777", "telegram": "",
                                                 "head": "on", "action": "save"})
        assert r.status == 303
        r = await post(c, f"/web/people/{pid}", {"action": "invite"})
        invite = await text_of(r)
        assert r.status == 200 and re.search(r"Mã mời cho Trần Thị Bình .*: [A-Za-z0-9_-]{20}", invite)
    with Session(world) as s:
        p = s.get(Person, pid)
        assert p.is_head and p.position == "Chuyên viên" and p.zalo_user == "7777"
        audit = [(a.action, a.source, a.actor) for a in s.exec(select(AuditEntry).where(
            AuditEntry.entity == "person", AuditEntry.entity_key == str(pid)).order_by(AuditEntry.id))]
    assert [a for a, _s, _w in audit] == ["person.added", "person.edited", "person.invite_created"]
    assert all(src == "web" and str(FOCAL) in who for _a, src, who in audit)


async def test_another_agencys_people_are_not_shown_nor_changed(world, settings):
    other = person_id(world, "Đỗ Thị Y")
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        assert (await c.client.get(f"/web/people/{other}")).status == 404
        r = await post(c, f"/web/people/{other}", {"name": "X", "action": "save"})
        assert r.status == 404
        r = await post(c, "/web/people/new", {"name": "Kẻ Lạ", "agency": "so-y-te", "action": "save"})
        assert r.status == 403
        assert vi("You keep the people of your own agency only; {agency} is not yours.", agency="so-y-te") in \
            await r.text()
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(LEADER)  # the province's leadership reads tasks, it does not keep agencies' people
        assert (await c.client.get("/web/people/new")).status == 404
    with Session(world) as s:
        assert s.exec(select(Person).where(Person.name.in_(["X", "Kẻ Lạ"]))).first() is None
        assert s.get(Person, other).name == "Đỗ Thị Y"


async def test_a_bad_value_changes_nothing_and_says_which(world, settings):
    pid = person_id(world, "Nguyễn Văn An")
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        r = await post(c, f"/web/people/{pid}", {"name": "Nguyễn Văn An", "telegram": "abc", "zalo": "1234567",
                                                 "department": "Phòng Cải cách hành chính", "action": "save"})
        assert r.status == 400
        assert vi("{field}: {value!r} is not a valid value.", field=_("Telegram user id", lang="vi"),
                  value="abc") in await text_of(r)
    with Session(world) as s:
        assert s.get(Person, pid).telegram_user is None


async def test_handing_on_refused_to_the_oversight_body_and_invisible_to_another_agency(world, settings):
    an = person_id(world, "Nguyễn Văn An")
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(OVERSIGHT)
        page = await (await c.client.get("/web/tasks/5099-2")).text()
        assert 'id="delegate"' not in page  # not offered
        r = await post(c, "/web/delegate/5099-2", {"to": f"p:{an}", "due": "21/06/2018"}, "/web/tasks/5099-2")
        assert r.status == 403
        assert vi("The oversight body follows the task; the lead agency hands it on.") in await text_of(r)
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(HEALTH_FOCAL)  # Sở Y tế's focal point: 5099-2 is Sở Nội vụ's alone
        r = await post(c, "/web/delegate/5099-2", {"to": f"p:{an}"}, "/web/tasks/5099-4")
        assert r.status == 404
    with Session(world) as s:
        assert s.exec(select(Assignment)).first() is None


async def test_the_internal_deadline_stays_on_or_before_the_agencys(world, settings):
    an = person_id(world, "Nguyễn Văn An")
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/tasks/5099-2")).text()
        assert 'value="22/06/2018"' in page  # the agency's deadline is the default
        r = await post(c, "/web/delegate/5099-2", {"to": f"p:{an}", "due": "23/06/2018", "role": "chu-tri"},
                       "/web/tasks/5099-2")
        assert r.status == 400
        assert vi("The internal deadline {due} is after the agency's deadline {agency_due}; give a date on or "
                  "before it.", due="23/06/2018", agency_due="22/06/2018") in await text_of(r)
        r = await post(c, "/web/delegate/5099-2", {"to": f"p:{an}", "due": "21/06/2018", "role": "chu-tri",
                                                   "reason": "Phụ trách lĩnh vực"}, "/web/tasks/5099-2")
        assert r.status == 303
        page = await text_of(await c.client.get(r.headers["Location"]))
        assert "Nguyễn Văn An" in page and vi("internal deadline {date}", date="21/06/2018") in page
    with Session(world) as s:
        a = s.exec(select(Assignment)).one()
        assert (a.person_id, a.due.isoformat(), a.role) == (an, "2018-06-21", "chu-tri")
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "task.assigned")).one()
        assert entry.source == "web" and entry.detail["reason"] == "Phụ trách lĩnh vực"


async def test_remind_now_only_for_the_oversight_body_and_the_agencys_leader(world, settings):
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/tasks/5099-2")).text()
        assert 'id="remind-now"' not in page
        r = await post(c, "/web/remind/5099-2", {}, "/web/tasks/5099-2")
        assert r.status == 403
        assert vi("Only the oversight body and the lead agency's leader send a reminder now.") in await text_of(r)
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(MANAGER)
        assert 'id="remind-now"' in await (await c.client.get("/web/tasks/5099-2")).text()
        r = await post(c, "/web/remind/5099-2", {}, "/web/tasks/5099-2")
        assert r.status == 303
        r = await post(c, "/web/remind/5099-2", {}, "/web/tasks/5099-2")  # once a day
        assert r.status == 400 and vi("{key} was already reminded today.", key="5099-2") in await text_of(r)
    with Session(world) as s:
        rows = s.exec(select(Notification).where(Notification.task_key == "5099-2")).all()
        assert [n.step.startswith("nudge:") for n in rows] == [True]
        assert rows[0].chat == f"telegram:{FOCAL}"
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "task.reminded")).one()
        assert entry.source == "web" and entry.actor_id == str(MANAGER)


async def test_with_nobody_to_hand_it_to_the_page_says_where_to_add_people(engine, settings):
    seed(engine)
    async with console(engine, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/tasks/5099-2")).text()
        assert 'id="no-people"' in page and 'id="delegate"' not in page
    async with console(engine, settings, FixedClock(NOW)) as c:
        await c.sign_in(OVERSIGHT)  # it does not hand work on: no hint either
        assert 'id="no-people"' not in await (await c.client.get("/web/tasks/5099-2")).text()


async def test_the_forms_need_the_sessions_csrf_token(world, settings):
    an = person_id(world, "Nguyễn Văn An")
    async with console(world, settings, FixedClock(NOW)) as c:
        await c.sign_in(MANAGER)
        for path, data in (("/web/people/new", {"name": "X", "agency": "so-noi-vu", "action": "save"}),
                           (f"/web/people/{an}", {"action": "deactivate"}),
                           ("/web/delegate/5099-2", {"to": f"p:{an}"}), ("/web/remind/5099-2", {})):
            r = await c.client.post(path, data={"csrf": "forged", **data}, allow_redirects=False)
            assert r.status == 403, path
    with Session(world) as s:
        assert s.get(Person, an).active and s.exec(select(Assignment)).first() is None
        assert s.exec(select(Notification)).first() is None
