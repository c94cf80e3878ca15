"""A real plan uploaded from the Registry page, as Lạng Sơn's 62/KH-UBND needs it: rows led by a group ("UBND các
huyện, thành phố") and by merged departments that only the province's agencies file defines, imported with that
file and the plan's details from the page; the stored directory downloaded, edited and uploaded again; the
same plan then checked without the file. Debian's chromium, like tests/test_web_browser.py."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from storage.tables import Agency, Directive, Task
from tests.test_web_browser import browser, server, sign_in, vi  # noqa: F401 (fixtures)
from tests.web_harness import ADMIN

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# The province's file (its districts until 30/06/2025, "Báo Lạng Sơn") and a board merged into a department.
AGENCIES = (EXAMPLES / "agencies-lang-son.yaml").read_text(encoding="utf-8") + """
  - code: bql-kktck-dong-dang
    name: Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng - Lạng Sơn
    aliases: [BQL KKTCK, Ban Quản lý Khu kinh tế]
    valid_to: 2025-06-30
    successor: so-cong-thuong
"""
PLAN = (
    "STT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Báo cáo về\n"
    '1,Rà soát thủ tục hành chính,"UBND các huyện, thành phố",Sở Tư pháp,Quý IV/2013,"UBND tỉnh (qua Sở Nội vụ)"\n'
    "2,Tuyên truyền cải cách hành chính,Báo Lạng Sơn,Cao Lộc,Tháng 11/2013,Sở Nội vụ\n"
    "3,Đơn giản hóa thủ tục tại cửa khẩu,BQL KKTCK,Sở Kế hoạch và Đầu tư,Tháng 12/2013,Sở Nội vụ\n"
    "4,Báo cáo kết quả thu hút đầu tư,Sở KH&ĐT,,định kỳ hằng quý,Sở Nội vụ\n"
)
SUBJECT = "Kế hoạch cải cách hành chính tỉnh Lạng Sơn giai đoạn 2013-2015"


def files(page, plan: str, agencies: str | None) -> None:
    page.set_input_files("#registry-upload input[name=file]", files=[{
        "name": "62-KH-UBND.csv", "mimeType": "text/csv", "buffer": plan.encode()}])
    page.set_input_files("#registry-upload input[name=agencies]", files=[] if agencies is None else [{
        "name": "agencies-lang-son.yaml", "mimeType": "application/yaml", "buffer": agencies.encode()}])


def details(page) -> None:
    page.fill("input[name=document]", "62/KH-UBND")
    page.fill("input[name=issuer]", "UBND tỉnh Lạng Sơn")
    page.fill("input[name=subject]", SUBJECT)
    page.fill("input[name=issued]", "11/07/2013")
    page.fill("input[name=until]", "31/12/2015")


def check(page) -> str:
    page.click("#registry-upload button[type=submit]")
    page.wait_for_selector("#dry-run")
    return page.locator("#dry-run").inner_text()


def test_the_lang_son_plan_with_its_agencies_file_from_the_page(browser, server, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, server, ADMIN, "Nguyễn Văn An")
    page.goto(f"{server.base}/web/registry")

    # Without the province's file the group has no members: the page says what to do on the page.
    files(page, PLAN, None)
    details(page)
    text = check(page)
    assert page.locator("#confirm-import").count() == 0
    assert "UBND các huyện, thành phố" in text and vi('Agencies file') in text  # "choose … the field Agencies file"
    assert "--agencies" not in text and "AGENCIES_FILE" not in text

    # With it: 11 districts + the newspaper + the board + the quarterly report; the details kept.
    page.goto(f"{server.base}/web/registry")
    files(page, PLAN, AGENCIES)
    details(page)
    text = check(page)
    from core.i18n import ngettext

    assert ngettext("{n} task added", "{n} tasks added", 14, lang="vi") in text, text
    page.click("#confirm-import")
    assert "62-KH-UBND.csv" in page.locator("p.ok").inner_text()
    with Session(server.engine) as s:
        d = s.exec(select(Directive).where(Directive.number == "62/KH-UBND")).one()
        assert (d.issuer, d.subject, str(d.issued)) == ("UBND tỉnh Lạng Sơn", SUBJECT, "2013-07-11")
        tasks = s.exec(select(Task).where(Task.directive_id == d.id)).all()
        leads = sorted(t.lead_agency for t in tasks)
        assert len([c for c in leads if c.startswith("huyen-") or c == "tp-lang-son"]) == 11
        assert "bql-kktck-dong-dang" in leads and "bao-tinh" in leads and "so-ke-hoach-dau-tu" in leads
        quarterly = next(t for t in tasks if t.deadline_kind == "recurring")
        assert "2015" in str(quarterly.deadline.get("rrule"))  # the plan's end stops the quarterly report
        board = s.exec(select(Agency).where(Agency.code == "bql-kktck-dong-dang")).one()
        assert board.successor == "so-cong-thuong"

    # The stored directory: downloaded, edited (a new alias for the newspaper), uploaded again.
    with page.expect_download() as download:
        page.click("#download-agencies")
    stored = Path(download.value.path()).read_text(encoding="utf-8")
    assert "UBND huyện Cao Lộc" in stored and "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng" in stored
    edited = stored.replace("  - Báo Đảng bộ tỉnh\n", "  - Báo Đảng bộ tỉnh\n  - Báo LS\n")
    assert edited != stored
    page.set_input_files("#agency-directory input[name=agencies]", files=[{
        "name": "agencies.yaml", "mimeType": "application/yaml", "buffer": edited.encode()}])
    page.click("#upload-agencies")
    assert page.locator("p.ok").count() == 1, page.inner_text("main")
    with Session(server.engine) as s:
        assert "Báo LS" in s.exec(select(Agency).where(Agency.code == "bao-tinh")).one().aliases

    # A broken agencies file is refused with its line, and nothing is stored.
    page.set_input_files("#agency-directory input[name=agencies]", files=[{
        "name": "agencies.yaml", "mimeType": "application/yaml", "buffer": b"agencies:\n  - {code: x}\n"}])
    page.click("#upload-agencies")
    assert page.locator("p.error").count() == 1

    # The same plan again, with no file: the stored directory is enough; nothing changes.
    page.goto(f"{server.base}/web/registry")
    files(page, PLAN.replace("Báo Lạng Sơn", "Báo LS"), None)
    details(page)
    text = check(page)
    assert ngettext("{n} task unchanged", "{n} tasks unchanged", 14, lang="vi") in text, text
    context.close()
