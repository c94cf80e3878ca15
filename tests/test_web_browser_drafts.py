"""A directive read into a draft in a real browser (Debian's chromium through Playwright, as
tests/test_web_browser.py): uploaded, a lead corrected in the draft table, the tasks imported, and the same
tasks listed on the task list."""

from __future__ import annotations

from core.i18n import _
from tests.test_web_browser import SCREENSHOTS, browser, server, sign_in  # noqa: F401 - the console's browser fixtures
from tests.test_web_drafts import DIRECTIVE, UNKNOWN_LEAD
from tests.web_harness import ADMIN


def vi(msgid: str, **values) -> str:
    return _(msgid, lang="vi", **values)


def test_a_directive_uploaded_corrected_imported_and_listed(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, server, ADMIN, "Nguyễn Văn An")
    page.click(f"header nav a:text('{vi('Directives')}')")
    page.set_input_files("#directive-upload input[name=file]", files=[{
        "name": "cv-88.txt", "mimeType": "text/plain", "buffer": DIRECTIVE.encode()}])
    page.click("#directive-upload button[type=submit]")
    page.wait_for_selector("#draft-tasks")

    # The draft as read: two rows; the second's lead is not in the directory, and the table says so.
    rows = page.locator("#draft-tasks tbody tr[data-task]")
    assert rows.count() == 2
    assert page.input_value("input[name=t0-lead]") == "Sở Nội vụ"
    assert page.input_value("input[name=t1-lead]") == UNKNOWN_LEAD
    assert vi("Not in the agency directory: choose one from the list.") in rows.nth(1).inner_text()
    assert vi("due {date}", date="29/06/2018") in rows.nth(0).locator(".as-read").inner_text()

    # Corrected in the table, then imported.
    page.fill("input[name=t1-lead]", "Sở Tài chính")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "directive-draft.png"), full_page=True)
    page.click("#import-draft")
    page.wait_for_selector("#message")
    assert vi("Imported {number}: {added} added, {changed} changed, {unchanged} unchanged.", number="88/UBND-KGVX",
              added=2, changed=0, unchanged=0) in page.locator("#message").inner_text()
    assert page.locator("#drafts").count() == 0  # no draft kept any more

    # The same tasks on the task list, with the corrected lead.
    page.click("#imported-tasks")
    listed = page.locator("table.list tbody tr")
    assert listed.count() == 2
    text = [listed.nth(i).inner_text() for i in range(2)]
    assert any("xây dựng kế hoạch kiểm tra công vụ" in t and "Sở Nội vụ" in t and "29/6/2018" in t for t in text)
    assert any("tổng hợp kết quả thi đua" in t and "Sở Tài chính" in t and "15/7/2018" in t for t in text)
    context.close()


def test_a_draft_discarded_in_the_browser_imports_nothing(browser, server):  # noqa: F811
    page = browser.new_context(locale="vi-VN").new_page()
    sign_in(page, server, ADMIN, "Nguyễn Văn An")
    page.goto(f"{server.base}/web/directives")
    page.set_input_files("#directive-upload input[name=file]", files=[{
        "name": "cv-88.txt", "mimeType": "text/plain", "buffer": DIRECTIVE.encode()}])
    page.click("#directive-upload button[type=submit]")
    page.wait_for_selector("#draft-tasks")
    page.goto(f"{server.base}/web/directives")  # kept: listed for later
    assert "cv-88.txt" in page.locator("#drafts").inner_text()
    page.click("#drafts a:text('cv-88.txt')")
    page.click("#discard-draft")
    page.wait_for_selector("#message")
    assert vi("The draft of {file} is discarded; nothing was imported.", file="cv-88.txt") in \
        page.locator("#message").inner_text()
    assert page.locator("#drafts").count() == 0
    page.goto(f"{server.base}/web/tasks?directive=88/UBND-KGVX")
    assert page.locator("table.list tbody tr").count() == 0
