"""Issue 24's console forms in a real browser (Debian's chromium through Playwright, as tests/test_web_browser.py),
on a phone-sized screen: Sở Nội vụ's focal point adds an officer, hands a task to them from the task's page
with an internal deadline; the oversight body presses "Nhắc ngay" and the reminder is queued for the officer's
Zalo chat."""

from __future__ import annotations

from sqlmodel import Session, select

from core.i18n import _
from storage.delegation import Assignment
from storage.people import Person
from storage.tables import AuditEntry, Notification
from tests.test_web_browser import browser, server, sign_in  # noqa: F401 - the console's browser fixtures
from tests.web_harness import FOCAL, OVERSIGHT

PHONE = {"width": 390, "height": 844}


def vi(msgid: str, **values) -> str:
    return _(msgid, lang="vi", **values)


def fits(page) -> bool:
    """Nothing wider than the phone's screen (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_add_a_person_hand_them_a_task_and_remind_now(browser, server):  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, server, FOCAL, "Chị Lan")
    page.goto(f"{server.base}/web/people")
    page.click("#add-person")
    assert page.locator("select[name=agency] option").all_inner_texts() == ["Sở Nội vụ"]  # their agency only
    page.fill("input[name=name]", "Nguyễn Văn An")
    page.fill("input[name=position]", "Chuyên viên")
    page.fill("input[name=zalo]", "1234567")
    assert fits(page)
    page.click("#person-form button[value=save]")
    page.wait_for_selector("#message")
    assert page.locator("#message").inner_text() == vi("Added.")
    with Session(server.engine) as s:
        an = s.exec(select(Person).where(Person.name == "Nguyễn Văn An")).one()
        assert (an.agency, an.position, an.zalo_user) == ("so-noi-vu", "Chuyên viên", "1234567")

    page.goto(f"{server.base}/web/tasks/5099-2")
    page.click("#delegate summary")
    page.select_option("select[name=to]", label="Nguyễn Văn An — Chuyên viên")
    assert page.input_value("input[name=due]") == "22/06/2018"  # the agency's deadline, by default
    page.fill("input[name=due]", "21/06/2018")
    page.fill("textarea[name=reason]", "Phụ trách lĩnh vực thủ tục hành chính")
    assert fits(page)
    page.click("#delegate button.primary")
    page.wait_for_selector("p.ok")
    assert page.locator("p.ok").inner_text() == vi("Handed on.")
    handed = page.locator("#handed").inner_text()
    assert "Nguyễn Văn An" in handed and vi("internal deadline {date}", date="21/06/2018") in handed
    assert page.locator("#remind-now").count() == 0  # a focal point does not remind now
    context.close()

    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, server, OVERSIGHT, "Anh Tuấn")
    page.goto(f"{server.base}/web/tasks/5099-2")
    assert page.locator("#delegate").count() == 0  # the oversight body follows; it does not hand work on
    page.click("#remind-now button")
    page.wait_for_selector("p.ok")
    assert page.locator("p.ok").inner_text() == vi("Reminder queued: it goes out at the next check, within the "
                                                   "delivery hours.")
    context.close()
    with Session(server.engine) as s:
        a = s.exec(select(Assignment)).one()
        assert (a.person_id, a.due.isoformat()) == (an.id, "2018-06-21")
        [n] = s.exec(select(Notification).where(Notification.task_key == "5099-2",
                                                Notification.step.startswith("nudge:"))).all()
        assert n.chat == "zalo:1234567"  # to the officer it was handed to, on their channel
        sources = {e.action: e.source for e in s.exec(select(AuditEntry).where(AuditEntry.action.in_(
            ["person.added", "task.assigned", "task.reminded"])))}
        assert sources == {"person.added": "web", "task.assigned": "web", "task.reminded": "web"}
