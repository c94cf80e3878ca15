"""`dondoc extract`: the pure extractor on the families of wording (no files), the readers at the edge
(.docx made with python-docx, PDF made with reportlab, a scan without text), and a draft that imports."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from tests.conftest import cli_runner
from core.i18n import _, ngettext, use_language
from intake.directive import extract
from intake.directive.draft_yaml import render
from intake.directive.readers import DirectiveReadError, read_lines

HEADER = """ỦY BAN NHÂN DÂN
TỈNH ĐỒNG NAI
Số: 1234/UBND-KGVX
V/v triển khai công tác chuyển đổi số
năm 2020
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Đồng Nai, ngày 10 tháng 01 năm 2020
Kính gửi: Các sở, ban, ngành; UBND các huyện, thành phố.
Chủ tịch UBND tỉnh yêu cầu các sở, ban, ngành thực hiện các nội dung sau:
"""


def task(draft, stt):
    (t,) = [t for t in draft.tasks if t.stt == stt]
    return t


def test_header_block():
    d = extract(HEADER + "1. Giao Sở Nội vụ chủ trì tổng hợp, báo cáo trước ngày 15/3/2020.\n")
    assert (d.number, d.issued, d.issuer) == ("1234/UBND-KGVX", date(2020, 1, 10), "UBND tỉnh Đồng Nai")
    assert d.subject == "triển khai công tác chuyển đổi số năm 2020"
    assert d.review == []


def test_giao_chu_tri_phoi_hop_and_a_governed_deadline():
    d = extract(HEADER + "1. Giao Sở Thông tin và Truyền thông chủ trì, phối hợp với Sở Tài chính xây dựng kế hoạch "
                         "chuyển đổi số, trình UBND tỉnh trước ngày 30/6/2020.\n"
                         "2. Giao Sở Nội vụ tham mưu nâng cao chỉ số cải cách hành chính đến năm 2030.\n")
    t1, t2 = d.tasks
    assert (t1.stt, t1.lead, t1.coordinators, t1.deadline) == ("1", "Sở Thông tin và Truyền thông", ["Sở Tài chính"],
                                                               "trước ngày 30/6/2020")
    assert t1.report_to == "UBND tỉnh"
    assert (t2.lead, t2.deadline) == ("Sở Nội vụ", None)  # "đến năm 2030" is a target, not a deadline
    assert t2.review == [_("time phrases not taken as the deadline: {phrases}", phrases='"đến năm 2030"'),
                         _('no deadline in the text: write one (or "Thường xuyên")')]


def test_agency_headings_with_lettered_items_and_the_time_line():
    d = extract(HEADER + "1. Sở Y tế:\na) Rà soát danh mục thủ tục hành chính;\nb) Báo cáo kết quả về UBND tỉnh "
                         "chậm nhất ngày 20/5/2020.\n2. UBND các huyện, thành phố\nTổ chức tuyên truyền.\n"
                         "Thời gian: Thường xuyên.\n")
    assert [t.stt for t in d.tasks] == ["1.a", "1.b", "2"]
    assert {t.lead for t in d.tasks[:2]} == {"Sở Y tế"}
    assert (task(d, "1.a").deadline, task(d, "1.b").deadline) == (None, "chậm nhất ngày 20/5/2020")
    assert (task(d, "2").lead, task(d, "2").deadline) == ("UBND các huyện, thành phố", "Thường xuyên")


def test_de_nghi_and_two_duties_in_one_item():
    d = extract(HEADER + "3. Đề nghị Công an tỉnh gửi danh sách về Sở Nội vụ trước ngày 05/02/2020; đồng thời, báo cáo "
                         "kết quả thực hiện về UBND tỉnh trước ngày 15/11/2020.\n")
    a, b = d.tasks
    assert (a.lead, a.deadline, a.report_to) == ("Công an tỉnh", "trước ngày 05/02/2020", "Sở Nội vụ")
    assert (b.lead, b.deadline, b.report_to) == ("Công an tỉnh", "trước ngày 15/11/2020", "UBND tỉnh")


def test_never_invents():
    no_intro = HEADER.rsplit("Chủ tịch", 1)[0]  # no "… thực hiện các nội dung sau:" naming addressees
    d = extract(no_intro + "1. Tổ chức tập huấn theo Quyết định số 12/QĐ-UBND ngày 05/01/2019 theo tiến độ quy định.\n"
                         "2. Giao cho thực hiện rà soát văn bản trước khi ban hành.\n")
    assert [t.stt for t in d.tasks] == ["2"]  # item 1 names nobody and assigns nothing
    t = d.tasks[0]
    assert (t.lead, t.deadline) == ("", None)  # no lead written: left empty, marked
    assert _("no lead agency found: name who leads this task") in t.review


def test_no_header_is_review_not_a_guess():
    d = extract("1. Giao Sở Tư pháp rà soát văn bản trước ngày 30/6/2020.\n")
    assert (d.number, d.issued, d.issuer) == ("", None, "")
    assert len(d.review) == 5  # number, loại văn bản, issue date, issuer, subject
    assert d.tasks[0].deadline == "trước ngày 30/6/2020"


def test_appendix_table_rows_and_a_row_split_over_pages():
    rows = ["STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành",
            "1\tXây dựng đề án\tSở Nội vụ\tSở Tư pháp\tQuý III/2020",
            "2\tBáo cáo sơ kết\tSở Tài chính\t\t",
            "\tthực hiện Nghị định 130\t\tCác cơ quan liên quan\tTháng 12/năm"]
    d = extract(HEADER + "\n".join(rows) + "\n")
    a, b = d.tasks
    assert (a.stt, a.lead, a.coordinators, a.deadline) == ("PL.1", "Sở Nội vụ", ["Sở Tư pháp"], "Quý III/2020")
    assert (b.stt, b.content, b.deadline) == ("PL.2", "Báo cáo sơ kết thực hiện Nghị định 130", "Tháng 12/năm")
    assert b.coordinators == ["Các cơ quan liên quan"] and b.lines == (a.lines[0] + 1, a.lines[0] + 2)


def test_the_draft_is_yaml_for_import_with_review_comments():
    d = extract(HEADER + "1. Giao Sở Nội vụ chủ trì, báo cáo trước ngày 15/3/2020.\n"
                         "2. Giao Sở Y tế tổ chức kiểm tra: \"an toàn\" # không phải chú thích\n")
    text = render(d, source="cv.txt")
    data = yaml.safe_load(text)
    assert data["directive"] == {"number": "1234/UBND-KGVX", "issued": date(2020, 1, 10),
                                 "issuer": "UBND tỉnh Đồng Nai", "subject": "triển khai công tác chuyển đổi số năm 2020"}
    assert [t["deadline"] for t in data["tasks"]] == ["trước ngày 15/3/2020", None]
    assert data["tasks"][1]["content"].endswith('"an toàn" # không phải chú thích')
    assert "# REVIEW: " + _('no deadline in the text: write one (or "Thường xuyên")') in text
    assert "# " + _("line {first}", first=11) in text
    with use_language("en"):
        assert "# line 11\n" in render(d, source="cv.txt")


# ---- readers ----------------------------------------------------------------------------------------------
def test_docx_paragraphs_and_table_in_document_order(tmp_path):
    from docx import Document

    doc = Document()
    # The header block as directives lay it out: a two-column table without borders.
    head = doc.add_table(rows=1, cols=2)
    head.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH ĐỒNG NAI\nSố: 1234/UBND-KGVX\nV/v triển khai công tác chuyển đổi số\nnăm 2020"
    head.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nĐồng Nai, ngày 10 tháng 01 năm 2020"
    for line in HEADER.splitlines()[7:]:
        doc.add_paragraph(line)
    doc.add_paragraph("1. Giao Sở Nội vụ chủ trì, báo cáo UBND tỉnh trước ngày 15/3/2020.")
    doc.add_paragraph("PHỤ LỤC")
    table = doc.add_table(rows=3, cols=5)
    for r, cells in enumerate([("STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"),
                               ("1", "Đề án số hóa hồ sơ", "Sở Tư pháp", "Sở Nội vụ", "Quý IV/2020"),
                               ("2", "Khảo sát sự hài lòng", "Sở Y tế", "", "Tháng 9/2020")]):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    path = tmp_path / "cv.docx"
    doc.save(path)
    d = extract(read_lines(path))
    assert (d.number, d.issued, d.issuer) == ("1234/UBND-KGVX", date(2020, 1, 10), "UBND tỉnh Đồng Nai")
    assert d.subject == "triển khai công tác chuyển đổi số năm 2020"
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [
        ("1", "Sở Nội vụ", "trước ngày 15/3/2020"), ("PL.1", "Sở Tư pháp", "Quý IV/2020"),
        ("PL.2", "Sở Y tế", "Tháng 9/2020")]


def _pdf(path, lines, table=None):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
    from reportlab.lib.styles import getSampleStyleSheet

    style = getSampleStyleSheet()["Normal"]
    story = [Paragraph(x, style) for x in lines]
    if table:
        t = Table(table)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        story.append(t)
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def test_pdf_with_a_text_layer(tmp_path):
    # Helvetica has no Vietnamese marks: the text is written without them, which the grammar reads alike.
    path = tmp_path / "cv.pdf"
    _pdf(path, ["UY BAN NHAN DAN", "TINH DONG NAI", "So: 77/UBND-HCC", "Dong Nai, ngay 10 thang 01 nam 2020",
                "1. Giao So Noi vu chu tri, bao cao truoc ngay 15/3/2020."],
         [["STT", "Noi dung", "Co quan chu tri", "Co quan phoi hop", "Thoi gian hoan thanh"],
          ["1", "De an so hoa", "So Tu phap", "So Noi vu", "Quy IV/2020"]])
    d = extract(read_lines(path))
    assert (d.number, d.issued, d.issuer) == ("77/UBND-HCC", date(2020, 1, 10), "UBND tinh Dong Nai")
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [
        ("1", "So Noi vu", "truoc ngay 15/3/2020"), ("PL.1", "So Tu phap", "Quy IV/2020")]


def test_a_scanned_pdf_without_words_says_it_has_no_text(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)  # a page that is a picture, no text
    c.save()
    with pytest.raises(DirectiveReadError) as err:
        read_lines(path)
    assert str(err.value) == _("{file}: no text found on the scan; check that it is a page of the directive, the "
                               "right way up, or use the .docx or a PDF with a text layer", file=path.name)


def test_unreadable_inputs(tmp_path):
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    (tmp_path / "latin.txt").write_bytes("S\xf4 1".encode("latin-1"))
    for name, says in (("old.doc", ".doc"), ("bad.docx", ".docx"), ("latin.txt", "UTF-8"), ("none.txt", "")):
        with pytest.raises(DirectiveReadError) as err:
            read_lines(tmp_path / name)
        assert says in str(err.value) and name in str(err.value)


# ---- the command ------------------------------------------------------------------------------------------
@pytest.fixture
def cli(engine, db_url, monkeypatch):
    return cli_runner(monkeypatch, db_url, "2020-01-12T09:00:00+07:00")


def test_a_draft_that_imports_cleanly(cli, tmp_path):
    src = tmp_path / "cv.txt"
    src.write_text(HEADER + "1. Giao Sở Nội vụ chủ trì, phối hợp với Sở Tư pháp rà soát, báo cáo UBND tỉnh trước ngày "
                   "15/3/2020.\n2. Sở Y tế:\na) Kiểm tra an toàn thực phẩm, báo cáo định kỳ hằng quý.\n"
                   "b) Báo cáo tháng gửi trước ngày 18 của tháng báo cáo.\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    r = cli("extract", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert _("`dondoc import` reads it as it is; review it first all the same.") in r.stderr
    r = cli("import", str(out))
    assert r.exit_code == 0, r.output
    assert "3 thêm mới" in r.stdout


def test_a_draft_with_gaps_names_the_lines_to_fix(cli, tmp_path):
    src = tmp_path / "cv.txt"
    src.write_text(HEADER + "1. Giao Sở Nội vụ tổ chức tập huấn.\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    r = cli("extract", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    lines = out.read_text(encoding="utf-8").splitlines()
    row = next(i for i, x in enumerate(lines, 1) if x.strip().startswith("deadline:"))
    empty = _("empty: {what}", what="")  # import's message, in the CLI's language (Vietnamese by default)
    assert f"{out}:{row}:deadline: {empty}" in r.stderr
    assert ngettext("`dondoc import` would refuse it for {n} problem; fix these lines:",
                    "`dondoc import` would refuse it for {n} problems; fix these lines:", 1) in r.stderr
    r = cli("import", str(out))
    assert r.exit_code == 2 and f"{out}:{row}:deadline: {empty}" in r.stderr


def test_items_not_turned_into_tasks_are_told(cli, tmp_path):
    src = tmp_path / "cv.txt"
    no_intro = HEADER.rsplit("Chủ tịch UBND tỉnh yêu cầu", 1)[0]  # nobody named for the items by default
    src.write_text(no_intro + "1. Giao Sở Nội vụ chủ trì, báo cáo trước ngày 15/3/2020.\n2. Đẩy mạnh tuyên truyền.\n",
                   encoding="utf-8")
    out = tmp_path / "draft.yaml"
    r = cli("extract", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    told = ngettext("{n} numbered item was not turned into a task; it is listed as REVIEW at the top of the draft.",
                    "{n} numbered items were not turned into tasks; they are listed as REVIEW at the top of the draft.",
                    1)
    assert told in r.stderr
    assert "2. " not in out.read_text(encoding="utf-8").split("tasks:")[1]  # listed, not made a task
    assert "Đẩy mạnh tuyên truyền" in out.read_text(encoding="utf-8").split("tasks:")[0]


def test_extract_refuses_clearly(cli, tmp_path):
    r = cli("extract", str(tmp_path / "missing.docx"))
    assert r.exit_code == 2 and "missing.docx" in r.stderr and r.stdout == ""
    src = tmp_path / "cv.txt"
    src.write_text(HEADER, encoding="utf-8")
    r = cli("extract", str(src), "-o", str(tmp_path / "draft.csv"))
    assert r.exit_code == 2 and not (tmp_path / "draft.csv").exists()
    r = cli("extract", str(src), "-o", str(tmp_path / "nowhere" / "draft.yaml"))
    assert r.exit_code == 2 and "nowhere" in r.stderr and not (tmp_path / "nowhere").exists()
    assert not [p for p in tmp_path.iterdir() if "draft" in p.name or p.name.startswith(".dondoc")]  # nothing half-written


# ---- whatever the text, a draft ------------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = ["1. ", "a) ", "- ", "II. ", "Phần 2", "Giao Sở Nội vụ chủ trì, ", "Sở Y tế:", "Thời gian: ", "STT",
           "Nội dung", "\t", "trước ngày 30/6/2020", "Quý V/2019", "hằng quý", "Đề nghị ", "(", ")", ";", ".", ":",
           "Số: 12/UBND", "ngày 31 tháng 2 năm 2020", "\n", "ỦY BAN NHÂN DÂN", "đồng thời, "]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=40))
def test_any_text_gives_a_draft_that_is_yaml(pieces):
    d = extract("".join(pieces))
    data = yaml.safe_load(render(d))
    assert isinstance(data["tasks"], list) and len(data["tasks"]) == len(d.tasks)
    from intake.directive.text import clean

    text = clean("".join(pieces).replace("\t", " "))
    assert all(t.deadline is None or t.deadline in text for t in d.tasks)  # a deadline is always words of the text


def test_docx_with_words_own_numbering(tmp_path):
    """Items Word numbers itself ("1.", "a)") carry no number in their text: the reader writes it out."""
    from docx import Document
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    doc = Document()
    numbering = doc.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {w} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>'
        '</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text, level):
        p = doc.add_paragraph(text)
        num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_numId().val = 90
        num_pr.get_or_add_ilvl().val = level

    for line in HEADER.splitlines():
        doc.add_paragraph(line)
    numbered("Sở Y tế:", 0)
    numbered("Rà soát danh mục thủ tục hành chính;", 1)
    numbered("Báo cáo kết quả về UBND tỉnh chậm nhất ngày 20/5/2020.", 1)
    numbered("Giao Sở Tư pháp rà soát văn bản trước ngày 30/6/2020.", 0)
    path = tmp_path / "numbered.docx"
    doc.save(path)
    lines = read_lines(path)
    assert lines[-4:] == ["1. Sở Y tế:", "a) Rà soát danh mục thủ tục hành chính;",
                          "b) Báo cáo kết quả về UBND tỉnh chậm nhất ngày 20/5/2020.",
                          "2. Giao Sở Tư pháp rà soát văn bản trước ngày 30/6/2020."]
    d = extract(lines)
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [
        ("1.a", "Sở Y tế", None), ("1.b", "Sở Y tế", "chậm nhất ngày 20/5/2020"),
        ("2", "Sở Tư pháp", "trước ngày 30/6/2020")]


def test_pdf_appendix_without_lines_wrapping_cells_over_two_pages(tmp_path):
    """A table drawn without ruling lines: the text of a row whose cells wrap interleaves them; the header
    row says where each column starts, and the rows go on over the page break (header repeated)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    style = getSampleStyleSheet()["Normal"]
    header = ["STT", "Noi dung", "Co quan chu tri", "Co quan phoi hop", "Thoi gian hoan thanh"]
    rows = [header]
    for n in range(1, 31):
        rows.append([str(n), Paragraph(f"Nhiem vu so {n} ve cai cach hanh chinh, noi dung dai can xuong dong "
                                       f"de thu doc bang", style),
                     Paragraph("So Noi vu" if n % 2 else "So Tu phap", style),
                     Paragraph("Cac so, ban, nganh va UBND cac huyen", style), f"Quy {'I' * (1 + n % 3)}/2021"])
    path = tmp_path / "appendix.pdf"
    doc = SimpleDocTemplate(str(path), pagesize=A4)
    doc.build([Paragraph("PHU LUC", style),
               Table(rows, colWidths=[30, 200, 90, 110, 80], repeatRows=1)])
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        assert len(pdf.pages) >= 2  # the table does go over a page break
    d = extract(read_lines(path))
    assert [t.stt for t in d.tasks] == [f"PL.{n}" for n in range(1, 31)]
    t = d.tasks[6]
    assert t.content == "Nhiem vu so 7 ve cai cach hanh chinh, noi dung dai can xuong dong de thu doc bang"
    assert (t.lead, t.coordinators, t.deadline) == ("So Noi vu", ["Cac so, ban, nganh va UBND cac huyen"], "Quy II/2021")
    assert all(t.deadline.startswith("Quy I") for t in d.tasks)
