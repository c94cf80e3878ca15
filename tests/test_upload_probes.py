"""Uploads that could stall everyone (issue 27), as tests: each load runs through the console while the
server's /healthz is measured, and must answer within 1 s throughout.

- an XLSX of many empty styled rows: every row read counts against IMPORT_MAX_ROWS (empty ones too), and the
  reading happens in the upload worker process, not on the event loop;
- a CSV whose rows name a group as lead: the tasks it expands to are bounded (IMPORT_MAX_TASKS), as they expand;
- the dry run writes nothing, so it holds no SQLite write lock: a write committed meanwhile succeeds, and
  several uploads at once are queued, each answered, none a 500.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import zipfile

import aiohttp
import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from intake import ImportOptions, preview_import
from storage.agencies import AgencyDirectory
from storage.db import make_engine
from tests.health_probe import HealthProbe
from tests.web_harness import ADMIN, NOW, console, seed

HEADER = "STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành,Văn bản,Ngày ban hành\n"


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


def settings_for(db_url, **kw):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                         feed_render_processes=0, **kw)


def xlsx_with_empty_rows(empty: int) -> bytes:
    """A workbook whose one task row comes after `empty` empty styled rows (as a sheet formatted to its last
    row leaves them): written with openpyxl, the empty rows put into its sheet XML."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Nội dung", "Cơ quan chủ trì", "Thời gian hoàn thành", "Văn bản", "Ngày ban hành"])
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                rows = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(2, empty + 2))
                last = (f'<row r="{empty + 2}"><c r="A{empty + 2}" t="inlineStr"><is><t>1</t></is></c>'
                        f'<c r="B{empty + 2}" t="inlineStr"><is><t>Việc cuối</t></is></c></row>')
                data = re.sub(rb"</sheetData>", (rows + last).encode() + b"</sheetData>", data)
                data = re.sub(rb'<dimension ref="[^"]*"/>', b"", data)
            dst.writestr(info, data)
    return out.getvalue()


async def _upload(c, csrf: str, data: bytes, name: str, content_type: str, issued: str = ""):
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    if issued:
        form.add_field("issued", issued)
    form.add_field("file", data, filename=name, content_type=content_type)
    r = await c.client.post("/web/registry/check", data=form)
    return r.status, html.unescape(await r.text())


async def test_empty_styled_rows_count_and_the_server_stays_responsive(seeded, db_url):
    settings = settings_for(db_url, import_max_rows=1000)
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/registry")
        data = xlsx_with_empty_rows(30_000)
        async with HealthProbe(str(c.client.make_url("/"))) as probe:
            status, page = await _upload(c, csrf, data, "rong.xlsx",
                                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        probe.assert_responsive()
        assert status == 200
        # refused at the 1,001st row read, although rows 2 … 30,001 are empty (today's main: read them all)
        assert _("more than {n} rows (IMPORT_MAX_ROWS)", lang="vi", n=1000) in page
        assert 'id="confirm-import"' not in page


async def test_a_group_lead_expands_to_at_most_import_max_tasks(seeded, db_url):
    settings = settings_for(db_url, import_max_tasks=200)
    rows = "".join(f"{n},Việc chung số {n},\"Các sở, ban, ngành\",trước ngày 25/6/2018,12/KH-UBND,2018-06-01\n"
                   for n in range(1, 401))
    async with console(seeded, settings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/registry")
        async with HealthProbe(str(c.client.make_url("/"))) as probe:
            status, page = await _upload(c, csrf, (HEADER + rows).encode(), "nhom.csv", "text/csv")
        probe.assert_responsive()
        assert status == 200
        assert _("the file makes more than {n} tasks (a row whose lead is a group makes one task per member agency) "
                 "(IMPORT_MAX_TASKS)", lang="vi", n=200) in page
        assert 'id="confirm-import"' not in page


def test_the_dry_run_holds_no_write_lock(seeded, db_url):
    """The dry run's transaction is still open when another connection writes: the write goes through at once
    (today's main wrote the registry in a savepoint and held SQLite's write lock until the check ended)."""
    path_rows = "".join(f"{n},Việc số {n},Sở Nội vụ,trước ngày 25/6/2018,12/KH-UBND,2018-06-01\n"
                        for n in range(1, 51))
    from core.workdays import WorkCalendar

    options = ImportOptions(directory=AgencyDirectory.load(None), now=NOW, actor="test",
                            calendar=WorkCalendar.from_file(None))
    impatient = make_engine(db_url, busy_timeout=0.05)
    try:
        with Session(seeded) as check:
            report = preview_import(check, (HEADER + path_rows).encode(), "ke-hoach.csv", options=options)
            assert len(report.added) == 50 and report.dry_run
            with impatient.begin() as conn:  # another writer, while the check's session is still open
                conn.execute(text("UPDATE task SET updated_at = updated_at"))
            check.rollback()
        with Session(seeded) as s:
            assert s.execute(text("SELECT count(*) FROM task WHERE key LIKE '12-kh-ubnd%'")).scalar() == 0
    finally:
        impatient.dispose()


async def test_concurrent_uploads_are_queued_and_each_answered_in_its_own_process(seeded, db_url):
    from aiohttp.test_utils import TestClient

    from tests.web_harness import Console

    admins = (ADMIN, 910, 911)  # three administrators upload at once (one person's new upload replaces their last)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=admins,
                             feed_render_processes=0, import_checks_waiting=4)
    rows = "".join(f"{n},Việc số {n},Sở Nội vụ,trước ngày 25/6/2018,12/KH-UBND,2018-06-01\n" for n in range(1, 301))
    async with console(seeded, settings, FixedClock(NOW)) as c:
        people = [c] + [Console(TestClient(c.client.server), seeded, c.clock) for _ in admins[1:]]
        try:
            tokens = []
            for person, user in zip(people, admins):
                await person.sign_in(user)
                tokens.append(await person.csrf("/web/registry"))
            async with HealthProbe(str(c.client.make_url("/"))) as probe:
                answers = await asyncio.gather(*(
                    _upload(person, csrf, (HEADER + rows).encode(), f"ke-hoach-{k}.csv", "text/csv")
                    for k, (person, csrf) in enumerate(zip(people, tokens))))
                with Session(seeded) as s:  # a write while they are checked
                    s.execute(text("UPDATE task SET updated_at = updated_at"))
                    s.commit()
            probe.assert_responsive()
        finally:
            for person in people[1:]:
                await person.client.session.close()
        for status, page in answers:
            assert status == 200 and 'id="confirm-import"' in page
        from web.upload_worker import CHECKS

        checks = c.client.server.app._subapps[0][CHECKS]
        assert checks.jobs_done == 3 and len(set(checks.worker_pids)) == 3  # a fresh process for each
        assert __import__("os").getpid() not in checks.worker_pids
