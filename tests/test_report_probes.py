"""Heavy reports (issue 27) as tests: a report is bounded in range (REPORT_MAX_YEARS) and in cost
(REPORT_MAX_OCCURRENCES, counted as occurrences are found), computed in the report gate's own threads, with
REPORT_HEAVY_PER_PERSON / REPORT_HEAVY_AT_ONCE: past them the answer is a polite 503 at once — while the
server's /healthz answers within 1 s and another person's page is served."""

from __future__ import annotations

import asyncio
import html
import threading
from datetime import date

import pytest
from sqlmodel import Session

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from tests.factories import make_task
from tests.health_probe import HealthProbe
from tests.web_harness import ADMIN, FOCAL, HEALTH_FOCAL, NOW, console, seed
from web.report_gate import Busy, ReportGate


@pytest.fixture
def old_weekly(engine):
    """Sở Nội vụ's weekly report, due every Friday since 1900."""
    seed(engine)
    with Session(engine) as s:
        make_task(s, key="tuan-1900", deadline_text="Thứ Sáu hằng tuần", now=NOW, issued=date(1900, 1, 1),
                  content="Báo cáo tuần")
        s.commit()
    return engine


def settings_for(db_url, **kw):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                         feed_render_processes=0, **kw)


async def test_a_report_over_three_centuries_is_refused_with_what_to_narrow(old_weekly, db_url):
    async with console(old_weekly, settings_for(db_url), FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        async with HealthProbe(str(c.client.make_url("/"))) as probe:
            r = await c.client.get("/web/reports", params={"from": "01/01/1900", "to": "31/12/2199"})
            page = html.unescape(await r.text())
        probe.assert_responsive()
        assert r.status == 400  # today's main: 88 s of counting Fridays
        assert _("the period is longer than {n} years (REPORT_MAX_YEARS): choose a shorter one", lang="vi",
                 n=20) in page


async def test_a_report_counting_too_many_occurrences_is_refused(old_weekly, db_url):
    settings = settings_for(db_url, report_max_occurrences=1000)
    async with console(old_weekly, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        r = await c.client.get("/web/reports", params={"from": "01/01/1990", "to": "31/12/2009"})  # 1,043 Fridays
        page = html.unescape(await r.text())
        assert r.status == 400
        assert _("the report would count more than {n} deadlines (REPORT_MAX_OCCURRENCES): choose a shorter "
                 "period, one agency or one directive", lang="vi", n=1000) in page
        r = await c.client.get("/web/reports", params={"from": "01/01/2000", "to": "31/12/2009"})  # 522: counted
        assert r.status == 200


async def test_heavy_reports_from_one_person_cannot_take_everyone_elses_threads(old_weekly, db_url):
    """Six long reports at once from one focal point: at most REPORT_HEAVY_PER_PERSON computes, the rest are
    told to try again; another person's page and the health check are served throughout."""
    settings = settings_for(db_url, report_heavy_per_person=1, report_heavy_at_once=2)
    async with console(old_weekly, settings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        from aiohttp.test_utils import TestClient

        from tests.web_harness import Console

        other = Console(TestClient(c.client.server), old_weekly, c.clock)
        try:
            await other.sign_in(HEALTH_FOCAL)
            query = {"from": "01/01/1990", "to": "31/12/2009"}
            async with HealthProbe(str(c.client.make_url("/"))) as probe:
                heavy = [asyncio.ensure_future(c.client.get("/web/reports", params=query)) for _ in range(6)]
                page = await other.client.get("/web/tasks")
                assert page.status == 200
                answers = [await r for r in heavy]
            probe.assert_responsive()
        finally:
            await other.client.session.close()
        statuses = sorted(r.status for r in answers)
        assert set(statuses) <= {200, 503} and 200 in statuses
        busy = next((r for r in answers if r.status == 503), None)
        if busy is not None:  # those that overlapped a running one: polite, and say when to come back
            assert busy.headers["Retry-After"] and _("Reports are busy", lang="vi") in html.unescape(await busy.text())


async def test_the_gate_refuses_past_its_caps_at_once_and_frees_after(monkeypatch):
    gate = ReportGate(None, per_person=1, at_once=2)
    started, release = threading.Event(), threading.Event()

    def long_report(_session):
        started.set()
        release.wait(30)
        return "done"

    monkeypatch.setattr("web.report_gate.Session", _NoSession)  # the gate's session is not what is measured
    try:
        first = asyncio.ensure_future(gate.run("user:1", long_report))
        await asyncio.to_thread(started.wait, 30)
        with pytest.raises(Busy):  # the same person again: at once, not queued
            await gate.run("user:1", long_report)
        started.clear()
        second = asyncio.ensure_future(gate.run("user:2", long_report))
        await asyncio.to_thread(started.wait, 30)
        with pytest.raises(Busy):  # a third person: everyone's cap reached
            await gate.run("user:3", long_report)
        release.set()
        assert await first == "done" and await second == "done"
        assert await gate.run("user:1", lambda s: "again") == "again"  # freed
        assert gate.refused == 2
    finally:
        release.set()
        gate.close()


class _NoSession:
    def __init__(self, *a, **kw):
        pass

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_the_cli_and_the_chats_are_bounded_by_the_same_rule(old_weekly, db_url, monkeypatch):
    """`dondoc report` gets the same bounds (exit 2 saying what to narrow); the chats build through
    build_report, which raises ReportTooLarge — a PeriodError — before reading anything past REPORT_MAX_YEARS."""
    from reports import ReportTooLarge, build_report, period_between
    from tests.conftest import cli_runner

    cli = cli_runner(monkeypatch, db_url, "2018-06-10T09:00:00+07:00")
    r = cli("report", "--from", "01/01/1900", "--to", "31/12/2199", LANGUAGE="en")
    assert r.exit_code == 2 and "REPORT_MAX_YEARS" in r.stderr and "shorter" in r.stderr
    r = cli("report", "--from", "01/01/1990", "--to", "31/12/2009", REPORT_MAX_OCCURRENCES="1000", LANGUAGE="en")
    assert r.exit_code == 2 and "REPORT_MAX_OCCURRENCES" in r.stderr
    settings = settings_for(db_url, report_max_years=5)
    with Session(old_weekly) as s, pytest.raises(ReportTooLarge):
        build_report(s, settings=settings, calendar=None, period=period_between(date(2000, 1, 1), date(2009, 1, 1)),
                     today=date(2018, 6, 10))
