"""The console on a laptop (1366×768) and a phone (375×812) in Debian's chromium: no page is wider than the
screen, no table column is hidden (the four groups keep their four columns), the menu folds behind a button on
the phone. The run makes docs/screenshots/<page>-<width>.png of every page at both sizes."""

from __future__ import annotations

import pytest

from tests.test_web_browser import SCREENSHOTS, browser, server, sign_in, vi  # noqa: F401 (fixtures)
from tests.web_harness import ADMIN

PAGES = {  # name → path under /web
    "dashboard": "/",
    "tasks": "/tasks",
    "task": "/tasks/5099-3",
    "reports": "/reports?period=2018-Q2",
    "registry": "/registry",
    "chats": "/chats",
    "preview": "/preview",
    "activity": "/activity",
}
SIZES = {"laptop": (1366, 768), "phone": (375, 812)}
NARROWEST = (360, 740)  # the narrowest phone the layout promises to fit (checked, not photographed)

# Every cell's box; a cell display:none'd (the old phone rule) has width 0.
CELLS = """sel => Array.from(document.querySelectorAll(sel)).map(c => {
  const r = c.getBoundingClientRect(); return {text: c.innerText.trim(), left: r.left, right: r.right,
  width: r.width, shown: getComputedStyle(c).display !== 'none'}; })"""


@pytest.fixture
def admin_state(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, server, ADMIN, "Nguyễn Văn An")
    state = context.storage_state()
    context.close()
    return state


@pytest.mark.parametrize("size", [*SIZES, "narrowest"])
def test_every_page_fits_and_hides_nothing(browser, server, admin_state, size):  # noqa: F811
    width, height = SIZES.get(size, NARROWEST)
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  locale="vi-VN", storage_state=admin_state)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        response = page.goto(f"{server.base}/web{path}")
        assert response.status == 200, (name, response.status)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width} px"
        for cell in page.evaluate(CELLS, "table th, table td"):
            assert cell["shown"] and (cell["width"] > 0 or not cell["text"]), (name, cell)
        if size in SIZES:
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    # The four groups: every column of every row on the screen itself, not scrolled away.
    page.goto(f"{server.base}/web/reports?period=2018-Q2")
    cells = page.evaluate(CELLS, "#report table.figures th, #report table.figures td")
    assert len(cells) >= 8 * 3  # header, at least one agency, the totals
    for cell in cells:
        assert cell["width"] > 0 and 0 <= cell["left"] and cell["right"] <= width, cell
    headers = [c["text"] for c in page.evaluate(CELLS, "#report table.figures thead th")]
    assert headers[1:5] == [vi(label) for label in ("Done, on time", "Done, late", "Open, in term",
                                                    "Open, overdue")]
    context.close()


def test_the_menu_folds_behind_a_button_on_a_phone(browser, server, admin_state):  # noqa: F811
    phone = browser.new_context(viewport={"width": 375, "height": 812}, locale="vi-VN", storage_state=admin_state)
    page = phone.new_page()
    page.goto(f"{server.base}/web/")
    menu = page.locator("header nav")
    assert not menu.is_visible()
    page.click("label.menu-button")
    assert menu.is_visible()
    page.click(f"header nav a:text('{vi('Reports')}')")
    page.wait_for_url(f"{server.base}/web/reports")
    phone.close()
    laptop = browser.new_context(viewport={"width": 1366, "height": 768}, storage_state=admin_state)
    page = laptop.new_page()
    page.goto(f"{server.base}/web/")
    assert page.locator("header nav").is_visible() and not page.locator("label.menu-button").is_visible()
    laptop.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_oversight_todo_is_above_the_fold_and_confirms_three_at_once(browser, server, size):  # noqa: F811
    from tests.test_web_workbench import claim_done
    from tests.web_harness import OVERSIGHT

    claim_done(server.engine, "5099-1", "5099-2", "5099-4")
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, server, OVERSIGHT, "Lê Văn Bình")
    todo = page.locator("#pending-confirmations").bounding_box()
    assert todo is not None and todo["y"] < height, todo  # visible without scrolling
    assert page.locator("#four-groups").bounding_box()["y"] > page.locator("#overdue").bounding_box()["y"]
    for key in ("5099-1", "5099-2", "5099-4"):
        page.check(f"#pending-confirmations input[value='{key}|once']")
    page.click(f"#pending-confirmations button:text('{vi('Confirm the selected')}')")
    from core.i18n import ngettext

    assert page.locator("p.ok").inner_text() == ngettext("{n} completion confirmed.", "{n} completions confirmed.",
                                                         3, lang="vi")
    assert page.locator("#pending-confirmations input[name=sel]").count() == 0
    page.screenshot(path=str(SCREENSHOTS / f"todo-{width}.png"))
    context.close()
