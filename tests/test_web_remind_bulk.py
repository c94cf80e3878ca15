"""Remind now on many tasks from the task list (issue 23): each selected task goes through jobs.remind_now's
rules — once per task and chat a day, DAILY_BUDGET, the oversight body or the lead agency's leader only — and the
page says per task what was sent or why not; one refusal does not hold back the others."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from storage.tables import AuditEntry, Notification
from tests.factories import make_binding
from tests.web_harness import ADMIN, FOCAL, HEALTH_FOCAL, NOW, OVERSIGHT, console, seed

HEALTH_LEADER = 905
FINANCE_LEADER = 906  # Sở Tài chính coordinates 5099-1: sees it, does not lead it


def vi(msgid: str, **values) -> str:
    from html import escape

    return escape(_(msgid, lang="vi", **values), quote=True)


@pytest.fixture
def seeded(engine):
    seed(engine)
    with Session(engine) as s:
        make_binding(s, chat_id=HEALTH_LEADER, agency="so-y-te", role="manager", now=NOW)
        make_binding(s, chat_id=FINANCE_LEADER, agency="so-tai-chinh", role="manager", now=NOW)
        s.commit()
    return engine


def settings_with(db_url, **env):
    return load_settings(environ=env, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))


async def remind(c, *selected: str):
    return await c.client.post("/web/remind-selected", data=[("csrf", await c.csrf("/web/tasks"))]
                               + [("sel", v) for v in selected])


def outcomes(page: str) -> dict[str, tuple[str, str]]:
    """key → (sent yes/no, what happened), from the result table."""
    rows = re.findall(r'<tr class="(sent|refused)"><td>([^<]+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td></tr>',
                      page)
    return {key: (kind, text) for kind, key, text in rows}


def nudges(engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return sorted((n.task_key, n.chat) for n in s.exec(select(Notification).where(
            Notification.step.startswith("nudge:"))))


async def test_oversight_reminds_several_and_is_told_per_task(seeded, db_url):
    settings = settings_with(db_url, DAILY_BUDGET="focal:1")
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(OVERSIGHT)
        page = await (await c.client.get("/web/tasks")).text()
        assert 'id="remind-now"' in page and 'value="5099-2|once"' in page
        r = await remind(c, "5099-1|once", "5099-2|once", "5099-4|once", "no-such|once")
        assert r.status == 200
        got = outcomes(await r.text())
        # 5099-1 and 5099-2 are both Sở Nội vụ's: its focal chat's budget of one is used by the first
        assert got["5099-1"][0] == "sent" and vi("Reminder about {key} to {who} at {time} {date}.", key="5099-1",
                                                   who=f"telegram:{FOCAL}", time="09:00",
                                                   date="20/06/2018") == got["5099-1"][1]
        assert got["5099-2"] == ("refused", vi("{chat} already had {n} messages today (DAILY_BUDGET); try again "
                                               "tomorrow.", chat=f"telegram:{FOCAL}", n=1))
        assert got["5099-4"][0] == "sent"
        assert got["no-such"] == ("refused", vi("There is no such task, or it is not shown to you."))
        assert nudges(seeded) == [("5099-1", f"telegram:{FOCAL}"), ("5099-4", f"telegram:{HEALTH_FOCAL}")]
        again = outcomes(await (await remind(c, "5099-4|once")).text())  # its chat's one message of the day
        assert again["5099-4"] == ("refused", vi("{chat} already had {n} messages today (DAILY_BUDGET); try again "
                                                 "tomorrow.", chat=f"telegram:{HEALTH_FOCAL}", n=1))
    with Session(seeded) as s:
        audited = s.exec(select(AuditEntry).where(AuditEntry.action == "task.reminded")).all()
        assert sorted(e.entity_key for e in audited) == ["5099-1", "5099-4"]
        assert {e.source for e in audited} == {"web"}


async def test_a_leader_reminds_only_their_agencys_tasks(seeded, db_url):
    settings = settings_with(db_url)
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(HEALTH_LEADER)
        got = outcomes(await (await remind(c, "5099-4|once", "5099-1|once")).text())
        again = outcomes(await (await remind(c, "5099-4|once")).text())
    assert got["5099-4"][0] == "sent"
    assert again["5099-4"] == ("refused", vi("{key} was already reminded today.", key="5099-4"))
    # 5099-1 is Sở Nội vụ's and Sở Y tế does not see it at all: answered as a task that does not exist
    assert got["5099-1"] == ("refused", vi("There is no such task, or it is not shown to you."))
    assert nudges(seeded) == [("5099-4", f"telegram:{HEALTH_FOCAL}")]
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(FINANCE_LEADER)
        got = outcomes(await (await remind(c, "5099-1|once")).text())
    assert got["5099-1"] == ("refused", vi("Only the oversight body and the lead agency's leader send a reminder now."))
    assert nudges(seeded) == [("5099-4", f"telegram:{HEALTH_FOCAL}")]


async def test_a_focal_point_is_not_offered_remind_now_and_is_refused(seeded, db_url):
    settings = settings_with(db_url)
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/tasks")).text()
        assert 'id="remind-now"' not in page and 'name="sel"' not in page
        r = await c.client.post("/web/remind-selected", data={"csrf": await c.csrf("/web/tasks"), "sel": "5099-1|once"})
        assert r.status == 403
        assert vi("Only the oversight body and the lead agency's leader send a reminder now.") in await r.text()
    assert nudges(seeded) == []


async def test_nothing_ticked_says_so(seeded, db_url):
    settings = settings_with(db_url)
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(OVERSIGHT)
        r = await c.client.post("/web/remind-selected", data={"csrf": await c.csrf("/web/tasks")})
        assert r.status == 400 and vi("Tick at least one task first.") in await r.text()
