"""The console's directive drafts over HTTP: upload → the draft kept in the database → corrections → import
through the registry's all-or-nothing import; bad uploads, a discarded draft, administrators only."""

from __future__ import annotations

import html
import re

import aiohttp
import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _, ngettext
from dondoc.settings import load_settings
from storage.drafts import DirectiveDraft
from storage.tables import AuditEntry, Task
from tests.web_harness import ADMIN, FOCAL, NOW, console, seed

UNKNOWN_LEAD = "Ban Thi đua Mặt trăng"
DIRECTIVE = f"""ỦY BAN NHÂN DÂN
TỈNH ĐỒNG NAI
Số: 88/UBND-KGVX
V/v tổ chức kiểm tra công vụ năm 2018
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Đồng Nai, ngày 01 tháng 6 năm 2018
Chủ tịch UBND tỉnh yêu cầu:
1. Giao Sở Nội vụ chủ trì xây dựng kế hoạch kiểm tra công vụ, trình UBND tỉnh trước ngày 29/6/2018.
2. Giao {UNKNOWN_LEAD} tổng hợp kết quả thi đua, báo cáo trước ngày 15/7/2018.
"""


@pytest.fixture
def wsettings(db_url):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                         import_max_bytes=200_000)


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


def vi(msgid: str, **values) -> str:
    return _(msgid, lang="vi", **values)


async def upload(c, name: str, data: bytes, content_type: str = "text/plain"):
    form = aiohttp.FormData()
    form.add_field("csrf", await c.csrf("/web/directives"))
    form.add_field("file", data, filename=name, content_type=content_type)
    return await c.client.post("/web/directives/upload", data=form)


def fields(page: str) -> dict[str, str]:
    """The draft form's fields as the browser would send them unchanged."""
    out = {}
    for m in re.finditer(r'<input type="(?:text|hidden)" name="([^"]+)" value="([^"]*)"', page):
        out[m.group(1)] = html.unescape(m.group(2))
    for m in re.finditer(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        out[m.group(1)] = html.unescape(m.group(2))
    return out


def drafts(engine) -> list[DirectiveDraft]:
    with Session(engine) as s:
        return s.exec(select(DirectiveDraft)).all()


async def test_upload_correct_a_lead_and_import(seeded, wsettings):
    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        r = await upload(c, "cv-88.txt", DIRECTIVE.encode())
        assert r.status == 200 and re.search(r"/web/directives/\d+$", str(r.url))
        page = html.unescape(await r.text())
        (kept,) = drafts(seeded)  # kept in the database, not in the server's memory
        assert (kept.number, kept.file_name, len(kept.tasks)) == ("88/UBND-KGVX", "cv-88.txt", 2)
        assert 'value="Sở Nội vụ"' in page and f'value="{UNKNOWN_LEAD}"' in page
        assert vi("due {date}", date="29/06/2018") in page  # the deadline as the grammar reads it
        assert vi("Not in the agency directory: choose one from the list.") in page  # on the unknown lead's row
        form = fields(await r.text())
        url = str(r.url.relative())

        # Imported as it is: refused, all or nothing, with the problem on the second row; the draft stays.
        r = await c.client.post(url, data={**form, "action": "import"})
        page = html.unescape(await r.text())
        assert r.status == 400
        assert ngettext("{n} problem: nothing was imported. Correct the row marked below and press “Import the "
                        "tasks” again.", "{n} problems: nothing was imported. Correct the rows marked below and "
                        "press “Import the tasks” again.", 1, lang="vi") in page
        notes = re.search(r'<tr class="notes" data-notes="1">(.*?)</tr>', page, re.S)
        assert notes and UNKNOWN_LEAD in notes.group(1)
        with Session(seeded) as s:
            assert not s.exec(select(Task).where(Task.key.like("88-%"))).all()
        assert len(drafts(seeded)) == 1

        # The lead corrected: imported, and the draft is no longer kept.
        form["t1-lead"] = "Sở Tài chính"
        r = await c.client.post(url, data={**form, "action": "import"})
        page = html.unescape(await r.text())
        assert r.status == 200, page
        assert vi("Imported {number}: {added} added, {changed} changed, {unchanged} unchanged.",
                  number="88/UBND-KGVX", added=2, changed=0, unchanged=0) in page
        with Session(seeded) as s:
            tasks = s.exec(select(Task).where(Task.lead_agency.in_(["so-noi-vu", "so-tai-chinh"]),
                                              Task.deadline_text.in_(["trước ngày 29/6/2018",
                                                                      "trước ngày 15/7/2018"]))).all()
            assert sorted((t.lead_agency, t.deadline_text) for t in tasks) == [
                ("so-noi-vu", "trước ngày 29/6/2018"), ("so-tai-chinh", "trước ngày 15/7/2018")]
            actions = [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.entity == "directive_draft"))]
            assert actions == ["directive_draft.created", "directive_draft.imported"]
        assert drafts(seeded) == []
        listed = html.unescape(await (await c.client.get("/web/tasks?directive=88/UBND-KGVX")).text())
        assert "xây dựng kế hoạch kiểm tra công vụ" in listed and "tổng hợp kết quả thi đua" in listed


async def test_corrections_are_saved_a_row_left_out_and_a_draft_discarded(seeded, wsettings):
    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        r = await upload(c, "cv-88.txt", DIRECTIVE.encode())
        form, url = fields(await r.text()), str(r.url.relative())
        form.update({"t0-deadline": "hằng quý", "t1-remove": "on", "t0-coordinators": "Sở Y tế; Sở Tài chính"})
        r = await c.client.post(url, data={**form, "action": "save"})
        assert r.status == 200
        (kept,) = drafts(seeded)
        assert [(t["stt"], t["deadline"], t["coordinators"]) for t in kept.tasks] == [
            ("1", "hằng quý", ["Sở Y tế", "Sở Tài chính"])]
        page = html.unescape(await (await c.client.get(url)).text())  # read again: what was saved
        assert 'value="hằng quý"' in page and UNKNOWN_LEAD not in page

        r = await c.client.post(url, data={"csrf": form["csrf"], "action": "discard"})
        assert r.status == 200
        assert vi("The draft of {file} is discarded; nothing was imported.", file="cv-88.txt") in \
            html.unescape(await r.text())
        assert drafts(seeded) == []
        assert (await c.client.get(url)).status == 404
        r = await c.client.post(url, data={**form, "action": "import"})  # a second tab: says what happened
        assert r.status == 404 and vi("That draft is no longer kept (imported or discarded); upload the directive "
                                      "again if it is needed.") in html.unescape(await r.text())
        with Session(seeded) as s:
            assert not s.exec(select(Task).where(Task.deadline_text == "hằng quý")).all()


async def test_bad_uploads_say_what_to_do_and_keep_nothing(seeded, wsettings, tmp_path):
    from tests.scans import noise

    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        r = await upload(c, "tasks.xlsx", b"PK\x03\x04")
        assert r.status == 400 and vi("{file}: a directive is read from {types}; save it as one of these and upload "
                                      "it again.", file="tasks.xlsx", types=".docx, .pdf, .txt, .png, .jpg, .jpeg, "
                                      ".tif, .tiff") in html.unescape(await r.text())
        r = await upload(c, "big.txt", DIRECTIVE.encode() * 600)
        assert r.status == 400 and vi("{file} is larger than {size} (IMPORT_MAX_BYTES); upload only the pages with "
                                      "the tasks, or scan at a lower resolution.", file="big.txt",
                                      size="195 KB") in html.unescape(await r.text())
        noise((300, 200)).save(tmp_path / "scan.png")
        r = await upload(c, "scan.png", (tmp_path / "scan.png").read_bytes(), "image/png")
        assert r.status == 400 and vi("{file}: no text found on the scan; check that it is a page of the directive, "
                                      "the right way up, or use the .docx or a PDF with a text layer",
                                      file="scan.png") in html.unescape(await r.text())
        r = await upload(c, "letter.txt", "Kính gửi anh Nam, cảm ơn anh.".encode())
        assert r.status == 400 and "letter.txt" in html.unescape(await r.text())
        assert drafts(seeded) == []


async def test_administrators_only(seeded, wsettings):
    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        r = await upload(c, "cv-88.txt", DIRECTIVE.encode())
        url = str(r.url.relative())
    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(FOCAL)
        assert (await c.client.get("/web/directives")).status == 404
        assert (await c.client.get(url)).status == 404
        csrf = await c.csrf("/web/")
        r = await c.client.post(url, data={"csrf": csrf, "action": "discard"})
        assert r.status == 404 and len(drafts(seeded)) == 1


async def test_a_scan_and_a_docx_are_drafted_too(seeded, wsettings, tmp_path):
    """The console reads what `dondoc extract` reads: a page image through OCR (in a worker thread), a .docx."""
    from docx import Document

    from tests.scans import crop_to_text, render_pages

    lines = DIRECTIVE.splitlines()
    crop_to_text(render_pages(lines, dpi=200)[0]).save(tmp_path / "scan.png")
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(tmp_path / "cv.docx")
    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        for name, kind in (("scan.png", "image/png"), ("cv.docx", "application/octet-stream")):
            r = await upload(c, name, (tmp_path / name).read_bytes(), kind)
            assert r.status == 200, html.unescape(await r.text())
    kept = {d.file_name: d for d in drafts(seeded)}
    for name in ("scan.png", "cv.docx"):
        assert kept[name].number == "88/UBND-KGVX"
        assert [(t["lead"], t["deadline"]) for t in kept[name].tasks] == [
            ("Sở Nội vụ", "trước ngày 29/6/2018"), (UNKNOWN_LEAD, "trước ngày 15/7/2018")]


async def test_a_central_directive_is_drafted_for_this_province_and_imports(seeded, wsettings):
    """Duties for agencies the province's directory does not hold are said on their rows and ticked "Leave out";
    imported as the browser sends it, the draft brings in only this province's duty — no agencies file needed."""
    from tests.test_extract_central_groups import CENTRAL

    async with console(seeded, wsettings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        r = await upload(c, "cv-310.txt", CENTRAL.encode())
        assert r.status == 200
        raw = await r.text()
        page = html.unescape(raw)
        ticked = re.findall(r'name="(t\d+-remove)"[^>]*checked', raw)
        assert ticked == ["t1-remove", "t2-remove", "t3-remove"]
        assert vi("{names} is central, not in this province's agency directory", names="'Bộ Tài chính'") in page
        form = {**fields(raw), **{name: "on" for name in ticked}}
        r = await c.client.post(str(r.url.relative()), data={**form, "action": "import"})
        page = html.unescape(await r.text())
        assert r.status == 200, page
        assert vi("Imported {number}: {added} added, {changed} changed, {unchanged} unchanged.",
                  number="310/BYT-DP", added=1, changed=0, unchanged=0) in page
        with Session(seeded) as s:
            tasks = s.exec(select(Task).where(Task.key.like("310-%"))).all()
            assert [t.lead_agency for t in tasks] == ["ubnd-tinh"]
