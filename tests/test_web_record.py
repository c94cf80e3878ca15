"""The record in the console, in a real browser (Debian's chromium through Playwright, as tests/test_web_browser.py):
a focal point reports a task done with its document and a file through the form and its confirmation step; the
oversight body returns it with a reason; the agency sees the task open again and why. Files are downloaded by
those who may see the task, and by nobody else."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.record_tables import Completion, Evidence
from storage.tables import Notification, Occurrence, Task
from tests.test_web_browser import browser, server, sign_in, vi  # noqa: F401  (fixtures)
from tests.web_harness import FOCAL, HEALTH_FOCAL, OVERSIGHT

PDF = b"%PDF-1.4\n% Bao cao ket qua cong bo thu tuc\n" + b"0" * 3000


def test_completion_with_a_file_then_returned_with_a_reason(browser, server):  # noqa: F811
    focal = browser.new_context(accept_downloads=True)
    page = focal.new_page()
    sign_in(page, server, FOCAL, "Trần Thị Lan")
    page.goto(f"{server.base}/web/tasks/5099-2")
    page.click(f"summary:text('{vi('Report done')}')")
    form = page.locator("details.done form")
    form.locator("input[name=on]").fill("18/06/2018")
    form.locator("input[name=document]").fill("123/BC-SNV")
    form.locator("input[name=document_date]").fill("19/06/2018")
    form.locator("input[name=files]").set_input_files(
        [{"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    form.locator("textarea[name=note]").fill("Đã công bố trên cổng")
    form.locator(f"button:text('{vi('Continue')}')").click()
    # The confirmation step shows what will be recorded; nothing is recorded yet.
    page.wait_for_selector("#confirm-on")
    main = page.inner_text("main")
    assert vi("Confirm the completion") in main and "18/06/2018" in main and "123/BC-SNV (19/06/2018)" in main
    assert "bao-cao.pdf" in main
    with Session(server.engine) as s:
        assert not s.exec(select(Completion)).all()
    page.click(f"button:text('{vi('Yes, record it')}')")
    page.wait_for_url(f"{server.base}/web/tasks/5099-2?ok=*")
    with Session(server.engine) as s:
        t = s.exec(select(Task).where(Task.key == "5099-2")).one()
        occ = s.exec(select(Occurrence).where(Occurrence.task_id == t.id)).one()
        assert occ.completed_on.isoformat() == "2018-06-18" and occ.status in ("done", "pending_confirmation")
        c = s.exec(select(Completion)).one()
        assert (c.document_number, c.reported_by) == ("123/BC-SNV", "Trần Thị Lan")
        [e] = s.exec(select(Evidence)).all()
    table = page.inner_text("table.completions")
    assert "123/BC-SNV (19/06/2018)" in table and "bao-cao.pdf" in table
    with page.expect_download() as dl:
        page.click("table.completions a:text('bao-cao.pdf')")
    assert open(dl.value.path(), "rb").read() == PDF

    # Another agency's focal point may not fetch the file.
    other = browser.new_context()
    op = other.new_page()
    sign_in(op, server, HEALTH_FOCAL, "Lê Văn Y")
    assert op.goto(f"{server.base}/web/evidence/{e.id}").status == 404
    other.close()

    # The oversight body returns it with a reason.
    oversight = browser.new_context()
    ov = oversight.new_page()
    sign_in(ov, server, OVERSIGHT, "Phạm Văn Giám")
    ov.goto(f"{server.base}/web/tasks/5099-2")
    ov.click(f"summary:text('{vi('Return the completion')}')")
    ov.locator("details.return textarea[name=reason]").fill("Thiếu danh mục thủ tục cấp xã")
    ov.click(f"details.return button:text('{vi('Return it')}')")
    ov.wait_for_url(f"{server.base}/web/tasks/5099-2?ok=returned")
    assert vi("Completion sent back: the task is open again.") in ov.inner_text("main")
    oversight.close()
    with Session(server.engine) as s:
        t = s.exec(select(Task).where(Task.key == "5099-2")).one()
        assert s.exec(select(Occurrence).where(Occurrence.task_id == t.id)).one().status == "open"
        assert s.exec(select(Completion)).one().decision == "returned"
        assert s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).one().chat \
            == f"telegram:{FOCAL}"

    # The agency's view: open again, with who returned it and why.
    page.goto(f"{server.base}/web/tasks/5099-2")
    main = page.inner_text("main")
    assert page.locator(f"summary:text('{vi('Report done')}')").count() == 1  # it can be reported again
    assert vi("returned by {who}: {reason}", who="Phạm Văn Giám", reason="Thiếu danh mục thủ tục cấp xã") in main
    history = page.inner_text("table.history")
    assert vi("Completion returned{period}: {reason}", period="", reason="Thiếu danh mục thủ tục cấp xã") in history
    assert "Phạm Văn Giám" in history and "task." not in history
    focal.close()


def test_the_form_refuses_a_day_after_today_and_records_nothing(browser, server):  # noqa: F811
    ctx = browser.new_context()
    page = ctx.new_page()
    sign_in(page, server, FOCAL, "Trần Thị Lan")
    page.goto(f"{server.base}/web/tasks/5099-2")
    page.click(f"summary:text('{vi('Report done')}')")
    page.locator("details.done input[name=on]").fill("21/06/2018")  # the console's clock: 20/06/2018
    with page.expect_navigation() as nav:
        page.locator(f"details.done button:text('{vi('Continue')}')").click()
    assert nav.value.status == 400
    assert vi("The day it was done cannot be after today ({today}).", today="20/06/2018") in page.inner_text("main")
    with Session(server.engine) as s:
        t = s.exec(select(Task).where(Task.key == "5099-2")).one()
        assert not s.exec(select(Completion)).all()
        assert not s.exec(select(Occurrence).where(Occurrence.task_id == t.id)).all()
    ctx.close()
