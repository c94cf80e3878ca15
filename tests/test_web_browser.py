"""The web console in a real browser: Debian's chromium driven by Playwright (`executable_path`; nothing is
downloaded). The server is the application `dondoc run` serves (the feeds' aiohttp app with the console
mounted) on 127.0.0.1, in a thread, on a seeded SQLite database and a fixed clock.

The run also makes the README's screenshots: docs/screenshots/dashboard.png and task.png.

Without chromium this fails in CI (CI=true) — .ci/run installs it — and is skipped on a developer's machine.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from storage.tables import Extension
from tests.web_harness import ADMIN, FOCAL, NOW, make_link, seed

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def vi(msgid: str, **values) -> str:
    return _(msgid, lang="vi", **values)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        message = "chromium is not installed (apt-get install chromium; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none"])
        yield b
        b.close()


class Server:
    """The HTTP server of `dondoc run` (feeds + console) in a thread of its own."""

    def __init__(self, settings, engine, clock):
        self.settings, self.engine, self.clock = settings, engine, clock
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from web.feeds import start_feed_server
        from web.app import mount

        asyncio.set_event_loop(self.loop)
        self.runner = self.loop.run_until_complete(start_feed_server(self.settings, self.engine, self.clock, (mount,)))
        self.port = self.runner.addresses[0][1]
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> "Server":
        self.thread.start()
        assert self.ready.wait(20), "the server did not start"
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(20)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(engine, db_url):
    seed(engine)
    clock = FixedClock(NOW)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                             feed_bind="127.0.0.1:0")
    with Server(settings, engine, clock) as s:
        yield s


def sign_in(page, server: Server, user_id: int, name: str) -> None:
    token = make_link(server.engine, user_id, server.clock.now(), name=name)
    page.goto(f"{server.base}/web/signin/{token}")
    page.click("#signin")
    page.wait_for_url(f"{server.base}/web/")


BAD_ROW = "Sở Thông tin Mặt trăng"
REGISTRY = ("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành,Văn bản,Ngày ban hành\n"
            "1,Xây dựng kế hoạch kiểm tra công vụ năm 2018,Sở Nội vụ,trước ngày 22/6/2018,12/KH-UBND,2018-06-01\n"
            f"2,Tổng hợp báo cáo chuyển đổi số,{BAD_ROW},trước ngày 29/6/2018,12/KH-UBND,2018-06-01\n")


def upload(page, text: str) -> None:
    page.set_input_files("input[name=file]", files=[{"name": "ke-hoach-12.csv", "mimeType": "text/csv",
                                                     "buffer": text.encode()}])
    page.click("#registry-upload button[type=submit]")
    page.wait_for_selector("#dry-run")


def test_an_administrator_imports_a_registry_and_approves_an_extension(browser, server):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, server, ADMIN, "Nguyễn Văn An")
    assert page.locator("h1").first.inner_text().startswith(vi("Dashboard"))
    assert "Xây dựng kế hoạch kiểm tra công vụ" not in page.locator("#due-this-week").inner_text()
    totals_before = page.locator("#four-groups tfoot").inner_text()

    # A registry with an unknown agency on its row 3: the check shows it there, and nothing can be imported.
    page.goto(f"{server.base}/web/registry")
    upload(page, REGISTRY)
    bad = page.locator('tr[data-row="3"] td.bad')
    assert bad.count() == 1 and BAD_ROW in bad.inner_text()
    assert page.locator("#confirm-import").count() == 0
    # Fixed: the check passes; confirming imports it.
    upload(page, REGISTRY.replace(BAD_ROW, "Sở Tài chính"))
    from core.i18n import ngettext

    assert ngettext("{n} task added", "{n} tasks added", 2, lang="vi") in page.locator("#dry-run").inner_text()
    page.click("#confirm-import")
    assert vi("Imported {file}: {added} added, {changed} changed, {unchanged} unchanged.", file="ke-hoach-12.csv",
              added=2, changed=0, unchanged=0) in page.locator("p.ok").inner_text()

    # The dashboard shows the new task due this week.
    page.goto(f"{server.base}/web/")
    assert "Xây dựng kế hoạch kiểm tra công vụ năm 2018" in page.locator("#due-this-week").inner_text()
    assert "5099-3" in page.locator("#extension-requests").inner_text()
    assert page.locator("#four-groups tfoot").inner_text() != totals_before  # two more tasks this quarter
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    # Approve the extension asked for 5099-3.
    page.click("#extension-requests a:text('5099-3')")
    page.click(f"button:text('{vi('Approve the extension')}')")
    assert vi("Extension approved.") in page.locator("p.ok").inner_text()
    with Session(server.engine) as s:
        ext = s.exec(select(Extension)).one()
        assert ext.decision == "approved" and ext.decided_by == "Nguyễn Văn An"
    phone = browser.new_context(viewport={"width": 412, "height": 915}, device_scale_factor=1, locale="vi-VN",
                                storage_state=context.storage_state())
    task_page = phone.new_page()
    task_page.goto(f"{server.base}/web/tasks/5099-3")
    task_page.screenshot(path=str(SCREENSHOTS / "task.png"), full_page=True)
    page.goto(f"{server.base}/web/")
    assert "5099-3" not in page.locator("#extension-requests").inner_text()

    # The quarter's report as XLSX, from the Reports page.
    page.click(f"header nav a:text('{vi('Reports')}')")
    with page.expect_download() as download:
        page.click("#download-xlsx")
    import openpyxl

    assert download.value.suggested_filename == "dondoc-report-2018-Q2.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    first = [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]
    from core.workdays import WorkCalendar
    from reports import build_report, make_period

    with Session(server.engine) as s:
        expected = build_report(s, settings=server.settings, calendar=WorkCalendar.from_file(None),
                                period=make_period("quarter", 2018, 2), today=NOW.date())
    figures = {a.name: a.counts for a in expected.agencies}
    assert figures["Sở Nội vụ"].total == 4 and figures["Sở Tài chính"].total == 1  # with the imported tasks
    for name, counts in figures.items():
        row = next(r for r in first if name in r)
        assert row[row.index(name) + 1: row.index(name) + 5] == [counts.done_on_time, counts.done_late,
                                                                 counts.open_in_term, counts.open_overdue]
    phone.close()
    context.close()


def test_a_focal_point_gets_404_for_another_agency_and_a_form_without_csrf_is_refused(browser, server):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server, FOCAL, "Trần Thị Lan")
    other = page.goto(f"{server.base}/web/tasks/5099-4")  # Sở Y tế's task
    assert other.status == 404
    assert vi("There is no such page, or it is not shown to you.") in page.inner_text("main")
    own = page.goto(f"{server.base}/web/tasks/5099-2")
    assert own.status == 200
    # The form's CSRF token removed (as a form on another site would lack it): refused, nothing changes.
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    page.click(f"summary:text('{vi('Report done')}')")
    with page.expect_navigation() as nav:
        page.click(f"button:text('{vi('Continue')}')")
    assert nav.value.status == 403
    assert vi("This form has expired or did not come from this site; reload the page and try again.") in \
        page.inner_text("main")
    page.goto(f"{server.base}/web/tasks/5099-2")
    assert page.locator(f"summary:text('{vi('Report done')}')").count() == 1  # still open
    context.close()
