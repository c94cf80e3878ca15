"""Registry import: the samples, groups, every error class with its location, all-or-nothing, re-imports."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from core.workdays import WorkCalendar
from storage.agencies import AgencyDirectory
from intake import RegistryErrors, import_registry
from storage.tables import Agency, AuditEntry, Directive, ProgressUpdate, Task
from tests.conftest import VN

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOW = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
HEADER = ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]


@pytest.fixture(autouse=True)
def _english():
    """These tests read the messages in the source language; test_intake_i18n checks the Vietnamese."""
    from core.i18n import use_language

    with use_language("en"):
        yield


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def builtin() -> AgencyDirectory:
    return AgencyDirectory.load()


@pytest.fixture(scope="module")
def nam_dinh() -> AgencyDirectory:
    return AgencyDirectory.load(EXAMPLES / "agencies-nam-dinh.yaml")


def run(engine, path, directory, calendar=None, now=NOW, **kw):
    """Import in one unit of work, committed on success and rolled back on error (as the CLI does)."""
    with Session(engine) as s:
        try:
            report = import_registry(s, path, directory=directory, calendar=calendar, now=now, actor="tester", **kw)
        except BaseException:
            s.rollback()
            raise
        s.commit()
        return report


def import_337(engine, directory, calendar, path=EXAMPLES / "337-QD-UBND.csv", **kw):
    return run(engine, path, directory, calendar, document="337/QĐ-UBND", issued=date(2012, 3, 2), **kw)


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def tasks(engine) -> dict[str, Task]:
    with Session(engine) as s:
        return {t.key: t for t in s.exec(select(Task)).all()}


def errors_of(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def snapshot(engine) -> dict:
    """Every row of every table the import touches, to prove nothing changed."""
    with Session(engine) as s:
        return {
            "tasks": sorted((t.model_dump_json() for t in s.exec(select(Task)).all())),
            "directives": sorted(d.model_dump_json() for d in s.exec(select(Directive)).all()),
            "agencies": sorted(a.model_dump_json() for a in s.exec(select(Agency)).all()),
            "audit": s.exec(select(func.count()).select_from(AuditEntry)).one(),
            "progress": s.exec(select(func.count()).select_from(ProgressUpdate)).one(),
        }


# -- the samples ------------------------------------------------------------------------------------------------

def test_dong_nai_5099_expands_to_every_department_and_district(engine, builtin, calendar):
    report = run(engine, EXAMPLES / "5099-UBND-HCC.yaml", builtin, calendar)
    assert len(report.added) == 62 and report.changed == report.unchanged == report.missing == []
    assert report.directives_added == ["5099/UBND-HCC"]
    ts = tasks(engine)
    plans = {k: t for k, t in ts.items() if k.startswith("5099-ke-hoach-par-index-")}
    reports = {k: t for k, t in ts.items() if k.startswith("5099-bao-cao-par-index-")}
    assert len(plans) == len(reports) == 31
    leads = {t.lead_agency for t in plans.values()}
    assert leads == {t.lead_agency for t in reports.values()}
    assert {"so-noi-vu", "so-ke-hoach-dau-tu", "so-thong-tin-truyen-thong", "van-phong-ubnd-tinh",
            "ban-quan-ly-cac-kcn", "tp-bien-hoa", "long-khanh", "huyen-xuan-loc"} <= leads
    assert "ubnd-tinh" not in leads and "bao-dong-nai" not in leads
    t = ts["5099-ke-hoach-par-index-tp-bien-hoa"]
    assert (t.deadline_text, t.deadline_kind, t.due) == ("trước ngày 14/6/2018", "once", date(2018, 6, 14))
    assert t.report_to == "UBND tỉnh (qua Sở Nội vụ)"
    assert t.assignee_text.startswith("Thủ trưởng các sở, ban, ngành thuộc tỉnh;")
    assert t.stt == "9" and t.sequence == 0 and t.next_check_at is None
    assert t.assigned_at == t.created_at == t.updated_at == NOW
    assert ts["5099-bao-cao-par-index-so-noi-vu"].due == date(2018, 11, 15)
    with Session(engine) as s:
        d = s.exec(select(Directive)).one()
        assert (d.number, d.issued, d.issuer) == ("5099/UBND-HCC", date(2018, 5, 23), "UBND tỉnh Đồng Nai")
        assert s.exec(select(Agency).where(Agency.code == "huyen-cam-my")).one().name == "UBND huyện Cẩm Mỹ"
        actions = [a.action for a in s.exec(select(AuditEntry)).all()]
        assert actions.count("task.created") == 62 and actions.count("directive.created") == 1
        assert {a.source for a in s.exec(select(AuditEntry)).all()} == {"import"}


def test_nam_dinh_337_appendix(engine, nam_dinh, calendar):
    report = import_337(engine, nam_dinh, calendar)
    assert len(report.added) == 58
    ts = tasks(engine)
    # row 1: one lead; the departments and districts coordinate, the communes are kept as text
    t1 = ts["337-qd-ubnd-1"]
    assert t1.lead_agency == "so-noi-vu" and "so-noi-vu" not in t1.coordinators
    assert len(t1.coordinators) == 29 and "huyen-hai-hau" in t1.coordinators
    assert t1.coordinators_note == "UBND cấp xã"
    assert (t1.deadline_kind, t1.due) == ("once", date(2012, 12, 31))
    # row 2: a group lead ("các cơ quan có chức năng tuyên truyền …"), monthly
    row2 = {k: t for k, t in ts.items() if k.startswith("337-qd-ubnd-2-")}
    assert {t.lead_agency for t in row2.values()} >= {"dai-phat-thanh-truyen-hinh", "bao-nam-dinh",
                                                      "so-thong-tin-truyen-thong", "tp-nam-dinh"}
    assert len(row2) == 13
    t2 = ts["337-qd-ubnd-2-bao-nam-dinh"]
    assert t2.coordinators == ["van-phong-ubnd-tinh", "so-noi-vu", "so-tai-chinh"]
    assert t2.coordinators_note == "các cơ quan liên quan"
    assert t2.deadline_kind == "recurring" and t2.deadline_text == "Hàng tháng/năm"
    assert t2.assignee_text == "Các cơ quan có chức năng tuyên truyền của tỉnh và địa phương."
    # "Cơ quan liên quan" is kept as text
    assert ts["337-qd-ubnd-3"].coordinators == [] and ts["337-qd-ubnd-3"].coordinators_note == "Cơ quan liên quan"
    # row 7 "Sở Khoa học Công nghệ", row 9 "Sở Văn hoá TT&DL", as written
    assert ts["337-qd-ubnd-7"].coordinators == ["so-khoa-hoc-cong-nghe"]
    assert ts["337-qd-ubnd-9"].lead_agency == "so-van-hoa-the-thao-du-lich"
    # row 8: "Các cơ quan hành chính và đơn vị sự nghiệp" → departments and districts
    row8 = [t for k, t in ts.items() if k.startswith("337-qd-ubnd-8-")]
    assert len(row8) == 30 and all(t.coordinators == ["so-noi-vu"] or t.lead_agency == "so-noi-vu" for t in row8)
    assert ts["337-qd-ubnd-8-so-noi-vu"].coordinators == []
    # row 11: every year in December; row 17: Ban Quản lý các KCN and a note
    assert ts["337-qd-ubnd-11"].deadline_kind == "recurring"
    t17 = ts["337-qd-ubnd-17"]
    assert (t17.lead_agency, t17.coordinators, t17.coordinators_note) == (
        "so-ke-hoach-dau-tu", ["ban-quan-ly-cac-kcn"], "các cơ quan liên quan")
    assert t17.due == date(2015, 10, 31)
    assert any("UBND cấp xã" in w and ":2:Cơ quan phối hợp:" in w for w in report.warnings)


def test_both_samples_into_one_database(engine, builtin, nam_dinh, calendar):
    run(engine, EXAMPLES / "5099-UBND-HCC.yaml", builtin, calendar)
    report = import_337(engine, nam_dinh, calendar, issuer="UBND tỉnh Nam Định",
                        subject="Kế hoạch cải cách hành chính nhà nước tỉnh Nam Định giai đoạn 2011-2015")
    assert len(report.added) == 58 and report.missing == []
    assert len(tasks(engine)) == 120
    # the 5099 tasks are not "missing" from the 337 file: each import looks after its own directive
    again = run(engine, EXAMPLES / "5099-UBND-HCC.yaml", builtin, calendar)
    assert len(again.unchanged) == 62 and again.missing == []


def test_xlsx_sample_gives_the_same_tasks_as_the_csv(tmp_path, nam_dinh, calendar):
    from storage.db import make_engine, upgrade

    results = []
    for name in ("337-QD-UBND.csv", "337-QD-UBND.xlsx"):
        url = f"sqlite:///{tmp_path / name}.sqlite3"
        upgrade(url)
        eng = make_engine(url)
        import_337(eng, nam_dinh, calendar, path=EXAMPLES / name)
        results.append({k: (t.stt, t.content, t.lead_agency, t.coordinators, t.coordinators_note, t.deadline)
                        for k, t in tasks(eng).items()})
        eng.dispose()
    assert results[0] == results[1] and len(results[0]) == 58


# -- CSV and header variants -------------------------------------------------------------------------------------

def test_continuous_within_a_year_keeps_its_bound_in_the_deadline_not_the_due_column(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "r.csv", [HEADER,
                                          ["1", "Hỗ trợ doanh nghiệp", "Sở Nội vụ", "", "Thường xuyên trong năm 2027"],
                                          ["2", "Báo cáo tổng kết", "Sở Nội vụ", "", "trước ngày 15/12/2027"]])
    run(engine, path, builtin, document="3/KH", issued=date(2026, 12, 1))
    ts = tasks(engine)
    assert ts["3-kh-1"].deadline_kind == "continuous" and ts["3-kh-1"].due is None
    assert ts["3-kh-1"].deadline["due"] == "2027-12-31"
    assert ts["3-kh-2"].deadline_kind == "once" and ts["3-kh-2"].due == date(2027, 12, 15)


@pytest.mark.parametrize("delimiter, bom", [(",", False), (";", False), (",", True), (";", True)])
def test_csv_with_or_without_bom_comma_or_semicolon(engine, builtin, tmp_path, delimiter, bom):
    path = write_csv(tmp_path / "r.csv", [HEADER, ["1", "Việc một", "Sở Nội vụ", "Sở Tư pháp; Sở Y tế", "Quý III/2013"],
                                          ["2", "Việc hai, có dấu phẩy", "SNV", "", "Thường xuyên"]],
                     delimiter, bom)
    report = run(engine, path, builtin, document="1/KH", issued=date(2012, 3, 2))
    assert report.added == ["1-kh-1", "1-kh-2"]
    ts = tasks(engine)
    assert ts["1-kh-1"].coordinators == ["so-tu-phap", "so-y-te"]
    assert ts["1-kh-2"].content == "Việc hai, có dấu phẩy" and ts["1-kh-2"].deadline_kind == "continuous"


def test_headers_match_ignoring_case_spacing_and_normalisation(engine, builtin, tmp_path):
    header = ["  stt ", unicodedata.normalize("NFD", "NỘI DUNG"), "cơ quan  chủ trì", "Cơ Quan Phối Hợp",
              "thời gian hoàn thành", "Mã", "Báo cáo về", "Văn bản", "Ghi chú"]
    path = write_csv(tmp_path / "r.csv", [header, ["1", "Việc", "Sở Nội vụ", "", "Tháng 12/2012", "viec-1",
                                                    "Sở Nội vụ", "2/KH", "x"]])
    report = run(engine, path, builtin, issued=date(2012, 3, 2))
    assert report.added == ["viec-1"]
    t = tasks(engine)["viec-1"]
    assert t.report_to == "so-noi-vu"  # one agency → its code; other text is kept as written
    assert any(":1:Ghi chú: column not used" in w for w in report.warnings)
    with Session(engine) as s:
        assert s.get(Directive, t.directive_id).number == "2/KH"


def test_title_rows_above_the_header_are_skipped(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "r.csv", [["PHỤ LỤC", "", "", "", ""], ["", "", "", "", ""], HEADER,
                                          ["1", "Việc", "Sở Nôi vụ", "", "Quý I/2013"]])
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="3/KH", issued=date(2012, 3, 2))
    assert errors_of(e) == [f"{path}:4:Cơ quan chủ trì: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?"]


# -- errors: every class, its exact location, all at once ----------------------------------------------------------

def test_every_error_in_a_table_is_reported_with_its_location(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [
        HEADER,
        ["1", "Việc một", "Sở Nôi vụ", "", "Quý III/2013"],  # row 2: unknown agency
        ["2", "Việc hai", "Sở Tư pháp", "Sở Bay", "Quý V/2013"],  # row 3: unknown coordinator, bad deadline
        ["2", "Việc ba", "Sở Y tế", "", "Tháng 12/2012"],  # row 4: duplicate STT → duplicate key
        ["3", "", "Sở Y tế", "", ""],  # row 5: empty content and deadline
        ["4", "Việc năm", "Cơ quan liên quan", "", "Tháng 12/2012"],  # row 6: not an agency that can lead
        ["5", "Việc sáu", "UBND cấp huyện", "", "Tháng 12/2012"],  # row 7: group without members
    ])
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="9/KH", issued=date(2012, 3, 2))
    f = str(path)
    assert errors_of(e) == [
        f"{f}:2:Cơ quan chủ trì: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?",
        f"{f}:3:Cơ quan phối hợp: unknown agency 'Sở Bay'; did you mean: Sở Y tế?",
        f"{f}:3:Thời gian hoàn thành: cannot read the deadline: " + e.value.problems[2].message.split(": ", 1)[1],
        f"{f}:4:STT: duplicate key '9-kh-2' (also on row 3)",
        f"{f}:5:Nội dung: empty: what is the task?",
        f"{f}:5:Thời gian hoàn thành: " + e.value.problems[5].message,
        f"{f}:6:Cơ quan chủ trì: 'Cơ quan liên quan' names no agency that can lead a task",
        f"{f}:7:Cơ quan chủ trì: the group 'UBND cấp huyện' has no members in the agency directory; list them in "
        "AGENCIES_FILE or pass --agencies FILE (or --allow-empty-groups to skip it)",
    ]
    from core.i18n import _  # the grammar's reason, in the current language (issue 14)

    assert _('"{text}": there is no quarter {quarter} (quarters are I–IV)', text="Quý V/2013", quarter="V") in \
        e.value.problems[2].message
    assert e.value.problems[5].message.startswith("empty: when is it due?")
    assert str(e.value).count("\n") == 7
    assert snapshot(engine)["tasks"] == []


def test_duplicate_explicit_keys(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "dup.csv", [["Mã", *HEADER], ["a", "1", "X", "SNV", "", "Quý I/2013"],
                                            ["b", "2", "Y", "SNV", "", "Quý I/2013"],
                                            ["a", "3", "Z", "STP", "", "Quý I/2013"]])
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="9/KH", issued=date(2012, 3, 2))
    assert errors_of(e) == [f"{path}:4:Mã: duplicate key 'a' (also on row 2)"]


@pytest.mark.parametrize("drop", ["Cơ quan chủ trì", "Nội dung", "Thời gian hoàn thành"])
def test_missing_column(engine, builtin, tmp_path, drop):
    i = HEADER.index(drop)
    path = write_csv(tmp_path / "m.csv", [[h for h in HEADER if h != drop],
                                          [c for j, c in enumerate(["1", "X", "SNV", "", "Quý I/2013"]) if j != i]])
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="9/KH", issued=date(2012, 3, 2))
    found = ", ".join(h for h in HEADER if h != drop)
    assert errors_of(e) == [f"{path}:1:{drop}: missing column {drop!r} (the header row has: {found})"]


def test_missing_stt_and_key_columns(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "m.csv", [HEADER[1:], ["X", "SNV", "", "Quý I/2013"]])
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="9/KH", issued=date(2012, 3, 2))
    assert errors_of(e) == [f"{path}:1:STT: missing column 'STT': without a 'Mã' column it makes the task keys"]


def test_unreadable_files(engine, builtin, tmp_path):
    cases = {
        tmp_path / "none.csv": "0:0: cannot read the file: no such file",
        (tmp_path / "junk.xlsx"): "0:0: not a XLSX file (it is not a zip archive); save it again from the office "
                                  "suite",
        (tmp_path / "notes.pdf"): "0:0: unknown file type '.pdf': accepted .yaml, .yml, .csv, .txt, .tsv, .xlsx, "
                                  ".xls, .docx",
    }
    (tmp_path / "junk.xlsx").write_bytes(b"PK? not really")
    (tmp_path / "notes.pdf").write_text("x")
    (tmp_path / "Phu luc kem theo.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    cases[tmp_path / "Phu luc kem theo.doc"] = ("0:0: .doc files are not read: open it and save it as .docx "
                                                "(accepted: .yaml, .yml, .csv, .txt, .tsv, .xlsx, .xls, .docx)")
    broken = tmp_path / "broken.yaml"
    broken.write_text("directive:\n  number: 1/KH\ntasks:\n  - key: a\n    content: [x\n", encoding="utf-8")
    cases[broken] = "6:1: not valid YAML: expected ',' or ']', but got '<stream end>'"
    for path, expected in cases.items():
        with pytest.raises(RegistryErrors) as e:
            run(engine, path, builtin, issued=date(2012, 3, 2))
        assert errors_of(e) == [f"{path}:{expected}"], path


def test_yaml_errors_point_at_line_and_field(engine, builtin, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "directive:\n"                      # 1
        "  number: 7/KH\n"                  # 2
        "  issued: 2018-05-23\n"            # 3
        "tasks:\n"                          # 4
        "  - key: a\n"                      # 5
        "    content: Việc\n"               # 6
        "    lead: Sở Nôi vụ\n"             # 7
        "    deadline: Quý V/2018\n"        # 8
        "  - key: a\n"                      # 9
        "    content: Việc khác\n"          # 10
        "    lead: SNV\n"                   # 11
        "    dealine: Quý I/2019\n",        # 12
        encoding="utf-8")
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin)
    errs = errors_of(e)
    assert errs[0] == f"{path}:7:lead: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?"
    assert errs[1].startswith(f"{path}:8:deadline: cannot read the deadline: \"Quý V/2018\"")
    assert f"{path}:9:key: duplicate key 'a' (also on line 5)" in errs
    assert f"{path}:12:dealine: unknown field (accepted: key, stt, section, content, lead, coordinators, report_to, deadline, until, product)" in errs
    assert f"{path}:9:deadline: empty: when is it due? (e.g. \"trước ngày 14/6/2018\", \"Quý III/2013\", \"Thường xuyên\")" in errs


def test_no_issue_date_is_an_error(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "r.csv", [HEADER, ["1", "X", "SNV", "", "Tháng 12/năm"]])
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="9/KH")
    assert errors_of(e) == [f"{path}:2:Ngày ban hành: no issue date for directive 9/KH: deadlines are read from it; "
                            "pass --issued dd/mm/yyyy or add a 'Ngày ban hành' column"]
    # once the directive is known, its issue date is reused
    run(engine, path, builtin, document="9/KH", issued=date(2012, 3, 2))
    assert len(run(engine, path, builtin, document="9/KH").unchanged) == 1


def test_options_must_agree_with_the_file(engine, builtin):
    with pytest.raises(RegistryErrors) as e:
        run(engine, EXAMPLES / "5099-UBND-HCC.yaml", builtin, issued=date(2018, 5, 24))
    [err] = errors_of(e)
    assert err.endswith(":issued: the file says '23/05/2018' but --issued says '24/05/2018'")
    with pytest.raises(RegistryErrors, match="the file is directive 5099/UBND-HCC but --document says 1/KH"):
        run(engine, EXAMPLES / "5099-UBND-HCC.yaml", builtin, document="1/KH")


def test_a_key_of_another_directive_is_refused(engine, builtin, tmp_path):
    a = write_csv(tmp_path / "a.csv", [["Mã", *HEADER], ["k1", "1", "X", "SNV", "", "Quý I/2013"]])
    run(engine, a, builtin, document="1/KH", issued=date(2012, 3, 2))
    with pytest.raises(RegistryErrors) as e:
        run(engine, a, builtin, document="2/KH", issued=date(2012, 3, 2))
    assert errors_of(e) == [f"{a}:2:Mã: key 'k1' already belongs to a task of 1/KH; give this task another key"]


def test_agencies_file_named_by_the_yaml_registry(engine, builtin, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("agencies: missing.yaml\ndirective: {number: 1/KH, issued: 2018-01-02}\n"
                    "tasks:\n  - {key: a, content: X, lead: SNV, deadline: Quý I/2019}\n", encoding="utf-8")
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin)
    assert errors_of(e) == [f"{path}:1:agencies: cannot use the agencies file missing.yaml: cannot read the file: "
                            "no such file"]


# -- all or nothing --------------------------------------------------------------------------------------------------

def test_database_unchanged_after_a_failed_import(engine, builtin, nam_dinh, calendar, tmp_path):
    import_337(engine, nam_dinh, calendar)
    before = snapshot(engine)
    rows = list(csv.reader(open(EXAMPLES / "337-QD-UBND.csv", encoding="utf-8")))
    rows[3][1] = "Nội dung đã sửa"  # a valid change …
    rows.append(["18", "Việc mới", "Sở Nội vụ", "", "Quý I/2013"])  # … a valid new task …
    rows[10][4] = "Quý IX/2012"  # … and one error
    bad = write_csv(tmp_path / "337.csv", rows)
    with pytest.raises(RegistryErrors) as e:
        import_337(engine, nam_dinh, calendar, path=bad, prune=True)
    assert [p.row for p in e.value.problems] == [11]
    assert snapshot(engine) == before


def test_failed_import_into_a_fresh_database_writes_nothing(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "r.csv", [HEADER, ["1", "X", "UBND huyện Không Có", "", "Quý I/2013"]])
    with pytest.raises(RegistryErrors):
        run(engine, path, builtin, document="1/KH", issued=date(2012, 3, 2))
    assert snapshot(engine) == {"tasks": [], "directives": [], "agencies": [], "audit": 0, "progress": 0}


# -- re-imports ---------------------------------------------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing(engine, builtin, nam_dinh, calendar):
    run(engine, EXAMPLES / "5099-UBND-HCC.yaml", builtin, calendar)
    import_337(engine, nam_dinh, calendar)
    before = snapshot(engine)
    later = NOW + timedelta(days=30)
    r = import_337(engine, nam_dinh, calendar, now=later)
    assert (r.added, r.changed, r.missing, r.removed) == ([], [], [], [])
    assert len(r.unchanged) == 58 and r.directives_changed == []
    r = import_337(engine, nam_dinh, calendar, path=EXAMPLES / "337-QD-UBND.xlsx", now=later)
    assert len(r.unchanged) == 58
    assert snapshot(engine) == before  # no sequence bump, no updated_at, no audit entry


def test_edited_reimport_updates_in_place_and_keeps_progress(engine, nam_dinh, calendar, tmp_path):
    import_337(engine, nam_dinh, calendar)
    ts = tasks(engine)
    with Session(engine) as s:
        s.add(ProgressUpdate(task_id=ts["337-qd-ubnd-3"].id, occurrence_key="once", percent=40, note="đang làm",
                             actor="Chuyên viên VP", source="telegram", created_at=NOW + timedelta(days=1)))
        s.commit()
    rows = list(csv.reader(open(EXAMPLES / "337-QD-UBND.csv", encoding="utf-8")))
    rows[3][1] = "Đề án một cửa liên thông (sửa đổi)"  # row 3: content
    rows[4][4] = "Quý IV/2013"  # row 4: deadline
    rows[5][2] = "Sở Tư pháp"  # row 5: lead agency
    path = write_csv(tmp_path / "337-QD-UBND.csv", rows)
    later = NOW + timedelta(days=10)
    r = import_337(engine, nam_dinh, calendar, path=path, now=later)
    assert r.changed == ["337-qd-ubnd-3", "337-qd-ubnd-4", "337-qd-ubnd-5"]
    assert len(r.unchanged) == 55 and r.added == [] and r.missing == []
    after = tasks(engine)
    for key in r.changed:
        old, new = ts[key], after[key]
        assert new.id == old.id and new.sequence == old.sequence + 1
        assert new.updated_at == later and new.next_check_at is None
    assert after["337-qd-ubnd-3"].content == "Đề án một cửa liên thông (sửa đổi)"
    assert after["337-qd-ubnd-4"].due == date(2013, 12, 31)
    assert after["337-qd-ubnd-5"].lead_agency == "so-tu-phap"
    assert after["337-qd-ubnd-5"].assigned_at == later  # a new lead agency: a new assignment
    assert after["337-qd-ubnd-3"].assigned_at == NOW  # same lead: not reassigned
    assert after["337-qd-ubnd-6"].updated_at == NOW and after["337-qd-ubnd-6"].sequence == 0
    with Session(engine) as s:
        [p] = s.exec(select(ProgressUpdate)).all()
        assert (p.task_id, p.percent, p.note) == (ts["337-qd-ubnd-3"].id, 40, "đang làm")
        changed = s.exec(select(AuditEntry).where(AuditEntry.action == "task.changed")).all()
        assert sorted(a.entity_key for a in changed) == r.changed
        detail = next(a.detail for a in changed if a.entity_key == "337-qd-ubnd-5")
        assert detail["changes"]["lead_agency"] == ["van-phong-ubnd-tinh", "so-tu-phap"]


def test_missing_tasks_are_reported_and_removed_only_with_prune(engine, nam_dinh, calendar, tmp_path):
    import_337(engine, nam_dinh, calendar)
    rows = list(csv.reader(open(EXAMPLES / "337-QD-UBND.csv", encoding="utf-8")))
    del rows[17]  # row 17 (STT 17)
    path = write_csv(tmp_path / "337-QD-UBND.csv", rows)
    r = import_337(engine, nam_dinh, calendar, path=path)
    assert r.missing == ["337-qd-ubnd-17"] and r.removed == []
    assert tasks(engine)["337-qd-ubnd-17"].removed_at is None
    later = NOW + timedelta(days=2)
    r = import_337(engine, nam_dinh, calendar, path=path, prune=True, now=later)
    assert r.missing == r.removed == ["337-qd-ubnd-17"]
    t = tasks(engine)["337-qd-ubnd-17"]
    assert t.removed_at == later and t.sequence == 1 and t.next_check_at is None
    # pruned tasks are no longer missing; putting the row back restores the same task
    assert import_337(engine, nam_dinh, calendar, path=path).missing == []
    r = import_337(engine, nam_dinh, calendar)
    assert r.changed == ["337-qd-ubnd-17"]
    back = tasks(engine)["337-qd-ubnd-17"]
    assert back.id == t.id and back.removed_at is None and back.sequence == 2


def test_group_lead_gives_one_task_per_member(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "g.csv", [["Mã", *HEADER], ["ke-hoach", "1", "Lập kế hoạch", "Các sở, ban, ngành",
                                                            "Sở Nội vụ", "trước ngày 14/6/2018"],
                                          ["bao-cao", "2", "Báo cáo", "Sở Y tế, Sở GD&ĐT", "", "Quý IV/2018"]])
    r = run(engine, path, builtin, document="1/KH", issued=date(2018, 5, 23))
    members = builtin.members("so-ban-nganh", date(2018, 5, 23))
    assert r.added == [f"ke-hoach-{c}" for c in members] + ["bao-cao-so-y-te", "bao-cao-so-giao-duc-dao-tao"]
    ts = tasks(engine)
    assert all(ts[f"ke-hoach-{c}"].lead_agency == c for c in members)
    assert ts["ke-hoach-so-noi-vu"].coordinators == [] and ts["ke-hoach-so-y-te"].coordinators == ["so-noi-vu"]
    assert [ts[f"ke-hoach-{c}"].position for c in members] == list(range(len(members)))
    # the same group in 2025 has other members: keys of the new departments, none of the merged ones
    path2 = write_csv(tmp_path / "g2.csv", [["Mã", *HEADER], ["kh25", "1", "Lập kế hoạch", "Các sở, ban, ngành",
                                                              "", "trước ngày 14/8/2025"]])
    r = run(engine, path2, builtin, document="2/KH", issued=date(2025, 7, 15))
    assert "kh25-so-nong-nghiep-moi-truong" in r.added and "kh25-so-ke-hoach-dau-tu" not in r.added


def test_derived_keys_are_stable_and_ascii(engine, builtin, tmp_path):
    path = write_csv(tmp_path / "Kế hoạch CCHC.csv", [HEADER, ["1.a", "X", "SNV", "", "Quý I/2013"]])
    r = run(engine, path, builtin, issued=date(2012, 3, 2))  # no directive: the file name makes the key
    assert r.added == ["ke-hoach-cchc-1-a"]
    assert run(engine, path, builtin, issued=date(2012, 3, 2)).unchanged == ["ke-hoach-cchc-1-a"]
    assert tasks(engine)["ke-hoach-cchc-1-a"].directive_id is None


def test_xlsx_title_rows_merged_cells_and_typed_cells(engine, builtin, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["PHỤ LỤC: DANH MỤC NHIỆM VỤ"])  # row 1, merged across the table
    ws.merge_cells("A1:E1")
    ws.append(HEADER)  # row 2
    ws.append([1, "Việc một", "Sở Nội vụ", None, "Quý I/2013"])  # row 3
    ws.append([2, "Việc hai", None, "Sở Y tế", datetime(2013, 3, 31)])  # row 4: lead merged from row 3
    ws.merge_cells("C3:C4")
    ws.append([3.0, "Việc ba", "Sở Nôi vụ", None, "Quý I/2013"])  # row 5: an error, counted as Excel shows it
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    with pytest.raises(RegistryErrors) as e:
        run(engine, path, builtin, document="4/KH", issued=date(2012, 3, 2))
    assert errors_of(e) == [f"{path}:5:Cơ quan chủ trì: unknown agency 'Sở Nôi vụ'; did you mean: Sở Nội vụ?"]
    ws["C5"] = "Sở Tư pháp"
    wb.save(path)
    r = run(engine, path, builtin, document="4/KH", issued=date(2012, 3, 2))
    assert r.added == ["4-kh-1", "4-kh-2", "4-kh-3"]
    ts = tasks(engine)
    assert ts["4-kh-2"].lead_agency == "so-noi-vu" and ts["4-kh-2"].coordinators == ["so-y-te"]
    assert (ts["4-kh-2"].deadline_text, ts["4-kh-2"].due) == ("31/03/2013", date(2013, 3, 31))
    assert ts["4-kh-3"].stt == "3"
