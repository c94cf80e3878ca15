"""The workbench over HTTP: the to-do per role, bulk actions (all or nothing, deciders only), the task list as
XLSX, the activity log in words within a person's agencies."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _, ngettext
from dondoc.settings import load_settings
from storage import actions
from storage.tables import Agency, AuditEntry, Extension, Occurrence, Task
from tests.web_harness import ADMIN, FOCAL, NOW, OVERSIGHT, console, seed

CLERK = actions.Actor("Chị Lan", str(FOCAL), "telegram")


def vi(msgid: str, **values) -> str:
    from html import escape

    return escape(_(msgid, lang="vi", **values), quote=True)


@pytest.fixture
def wsettings(db_url):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))


@pytest.fixture
def wclock():
    return FixedClock(NOW)


def claim_done(engine, *keys: str) -> None:
    """The agencies report these tasks done; each waits for the oversight body's confirmation."""
    with Session(engine) as s:
        for key in keys:
            task = s.exec(select(Task).where(Task.key == key)).one()
            actions.mark_done(s, task, "once", CLERK, NOW - timedelta(hours=1), needs_confirmation=True)
        s.commit()


def states(engine) -> dict[str, str]:
    with Session(engine) as s:
        return {t.key: o.status for o, t in s.exec(select(Occurrence, Task).join(Task))}


@pytest.fixture
def seeded(engine):
    seed(engine)
    claim_done(engine, "5099-1", "5099-2", "5099-4")
    return engine


async def bulk(c, **data):
    return await c.client.post("/web/bulk", data={"csrf": await c.csrf(), **data}, allow_redirects=False)


async def test_oversight_confirms_three_completions_at_once(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        page = await (await c.client.get("/web/")).text()
        assert page.index('id="todo"') < page.index('id="overdue"') < page.index('id="four-groups"')
        sel = ["5099-1|once", "5099-2|once", "5099-4|once"]
        r = await c.client.post("/web/bulk", data=[("csrf", await c.csrf()), ("action", "confirm")]
                                + [("sel", v) for v in sel], allow_redirects=False)
        assert r.status == 303
        page = await (await c.client.get(r.headers["Location"])).text()
        assert ngettext("{n} completion confirmed.", "{n} completions confirmed.", 3, lang="vi") in page
    assert states(seeded) == {"5099-1": "done", "5099-2": "done", "5099-4": "done", "5099-3": "open"}
    with Session(seeded) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "task.completion_confirmed")).all()) == 3


async def test_a_bulk_action_is_all_or_nothing(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        r = await c.client.post("/web/bulk", data=[("csrf", await c.csrf()), ("action", "confirm"),
                                                   ("sel", "5099-1|once"), ("sel", "5099-3|once")])
        assert r.status == 400
        text = await r.text()
        assert "5099-3" in text and vi("This task is not awaiting confirmation.") in text
    assert states(seeded)["5099-1"] == "pending_confirmation"  # the first one was not confirmed either


async def test_only_deciders_act_in_bulk_and_refusing_needs_a_reason(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(FOCAL)
        r = await bulk(c, action="confirm", sel="5099-1|once")
        assert r.status == 403
        await c.sign_in(OVERSIGHT)
        r = await bulk(c, action="reject", sel="5099-3|once")
        assert r.status == 400 and vi("Give the reason for refusing the extensions.") in await r.text()
        r = await bulk(c, action="reject", sel="5099-3|once", reason="Không đủ căn cứ")
        assert r.status == 303
    assert states(seeded)["5099-1"] == "pending_confirmation"
    with Session(seeded) as s:
        ext = s.exec(select(Extension)).one()
        assert (ext.decision, ext.decision_note) == ("rejected", "Không đủ căn cứ")


async def test_returned_work_heads_the_agencys_todo(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        r = await bulk(c, action="return", sel="5099-2|once", reason="Thiếu văn bản")
        assert r.status == 303
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/")).text()
        returned = page[page.index('id="returned"'):page.index('id="overdue"')]
        assert "5099-2" in returned and "5099-1" not in returned
        assert 'name="sel"' not in page  # a focal point has no bulk decisions


async def test_tasks_of_a_ceased_agency_without_successor(seeded, wsettings, wclock):
    with Session(seeded) as s:
        health = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
        health.valid_to = date(2018, 6, 1)
        s.add(health)
        s.commit()
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        page = await (await c.client.get("/web/")).text()
        orphaned = page[page.index('id="orphaned"'):page.index('id="overdue"')]
        assert "5099-4" in orphaned and "5099-1" not in orphaned


def keys_of(xlsx: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(xlsx)).active
    return [row[1] for row in ws.iter_rows(min_row=5, values_only=True)]


async def test_export_the_selection_and_the_filtered_list(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        r = await c.client.post("/web/bulk", data=[("csrf", await c.csrf()), ("action", "export"),
                                                   ("sel", "5099-4|once"), ("sel", "5099-1|once")])
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        assert sorted(keys_of(await r.read())) == ["5099-1", "5099-4"]
        r = await c.client.get("/web/tasks/export.xlsx", params={"agency": "so-y-te"})
        assert keys_of(await r.read()) == ["5099-4"]
        r = await c.client.get("/web/tasks/export.xlsx", params={"q": "thu tuc"})  # no diacritics, like the page
        assert sorted(keys_of(await r.read())) == ["5099-1", "5099-2", "5099-3"]
        await c.sign_in(FOCAL)  # Sở Nội vụ: never Sở Y tế's task, even asked for by name
        r = await c.client.get("/web/tasks/export.xlsx", params={"agency": "so-y-te"})
        assert "5099-4" not in keys_of(await r.read())


async def test_activity_in_words_within_the_persons_agencies(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        page = await (await c.client.get("/web/activity")).text()
        assert vi("{who} reported task {key} done (awaiting confirmation)", who="Chị Lan", key="5099-4") in page
        assert vi("{who} asked for more time on task {key}", who="Chị Lan", key="5099-3") in page
        page = await (await c.client.get("/web/activity", params={"agency": "so-y-te"})).text()
        assert "5099-4" in page and "5099-1" not in page
        page = await (await c.client.get("/web/activity", params={"who": "nobody"})).text()
        assert "5099-" not in page.split('<main>')[1]
        day = NOW.strftime("%d/%m/%Y")
        page = await (await c.client.get("/web/activity", params={"start": day, "end": day})).text()
        assert "5099-4" in page
        earlier = (NOW - timedelta(days=2)).strftime("%d/%m/%Y")
        page = await (await c.client.get("/web/activity", params={"end": earlier})).text()
        assert "5099-4" not in page
        r = await c.client.get("/web/activity", params={"start": "31/02/2018"})
        assert r.status == 400 and "31/02/2018" in await r.text()
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/activity")).text()
        assert "5099-1" in page and "5099-4" not in page
