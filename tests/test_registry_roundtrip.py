"""Export writes what import reads back: export → import into a fresh database → export is byte-identical."""

from __future__ import annotations

import html
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.workdays import WorkCalendar
from storage.agencies import AgencyDirectory
from storage.db import make_engine, upgrade
from storage.registry import export_registry
from storage.tables import ProgressUpdate, Task
from tests.conftest import VN
from tests.test_registry_import import EXAMPLES, NOW, import_337, run, tasks, write_csv, HEADER

FORMATS = ("csv", "xlsx", "yaml")


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def both() -> AgencyDirectory:
    """What a fresh database needs to read an export of both samples: both provinces' additions."""
    return AgencyDirectory.load(EXAMPLES / "agencies-dong-nai.yaml").extended(EXAMPLES / "agencies-nam-dinh.yaml")


def fresh_engine(tmp_path: Path, name: str):
    url = f"sqlite:///{tmp_path / name}.sqlite3"
    upgrade(url)
    return make_engine(url)


def export(engine, path: Path) -> bytes:
    with Session(engine) as s:
        export_registry(s, path)
    return path.read_bytes()


def meaning(engine) -> dict:
    """What a task is, without ids and timestamps."""
    out = {}
    with Session(engine) as s:
        from storage.tables import Directive

        numbers = {d.id: (d.number, d.issued) for d in s.exec(select(Directive)).all()}
        for t in s.exec(select(Task).where(Task.removed_at.is_(None))).all():
            out[t.key] = (numbers.get(t.directive_id), t.stt, t.content, t.lead_agency, t.coordinators,
                          t.coordinators_note, t.report_to, t.deadline_text, t.deadline, t.deadline_kind, t.due)
    return out


@pytest.fixture
def loaded(engine, calendar):
    """Both samples in one database, with some progress that must not leak into the registry files."""
    run(engine, EXAMPLES / "5099-UBND-HCC.yaml", AgencyDirectory.load(), calendar)
    import_337(engine, AgencyDirectory.load(EXAMPLES / "agencies-nam-dinh.yaml"), calendar,
               issuer="UBND tỉnh Nam Định",
               subject="Kế hoạch cải cách hành chính nhà nước tỉnh Nam Định giai đoạn 2011-2015")
    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == "337-qd-ubnd-3")).one()
        s.add(ProgressUpdate(task_id=t.id, occurrence_key="once", percent=55, note="GHI-CHU-TIEN-DO",
                             actor="x", source="cli", created_at=NOW))
        s.commit()
    return engine


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_fresh_export_is_byte_identical(loaded, both, calendar, tmp_path, fmt):
    first = export(loaded, tmp_path / f"first.{fmt}")
    fresh = fresh_engine(tmp_path, f"fresh-{fmt}")
    report = run(fresh, tmp_path / f"first.{fmt}", both, calendar)
    assert len(report.added) == 120
    assert all("UBND cấp xã" in w for w in report.warnings)  # the communes of row 1, kept as text
    second = export(fresh, tmp_path / f"second.{fmt}")
    assert second == first
    assert meaning(fresh) == meaning(loaded)
    fresh.dispose()


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_reimported_into_the_same_database_changes_nothing(loaded, both, calendar, tmp_path, fmt):
    export(loaded, tmp_path / f"r.{fmt}")
    before = meaning(loaded)
    report = run(loaded, tmp_path / f"r.{fmt}", both, calendar, now=datetime(2019, 1, 1, tzinfo=VN))
    assert report.added == report.changed == report.missing == []
    assert len(report.unchanged) == 120
    assert meaning(loaded) == before
    with Session(loaded) as s:
        assert {t.sequence for t in s.exec(select(Task)).all()} == {0}
        # the group a task was assigned through survives a round trip through single-agency rows
        assert s.exec(select(Task).where(Task.key == "5099-ke-hoach-par-index-so-y-te")).one().assignee_text \
            .startswith("Thủ trưởng các sở, ban, ngành")


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_deterministic_and_holds_no_progress(loaded, tmp_path, fmt):
    a = export(loaded, tmp_path / f"a.{fmt}")
    b = export(loaded, tmp_path / f"b.{fmt}")
    assert a == b
    if fmt == "xlsx":
        with zipfile.ZipFile(tmp_path / f"a.{fmt}") as z:
            core = z.read("docProps/core.xml").decode()
            # openpyxl may write inline strings with character references (&#7921;): read them as text
            text = html.unescape("".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()))
            assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "2000-01-01T00:00:00Z" in core
    else:
        text = a.decode("utf-8")
    assert "GHI-CHU-TIEN-DO" not in text
    assert "Thực hiện thí điểm Bộ chỉ số theo dõi" in text


def test_exported_csv_columns_and_rows(loaded, tmp_path):
    data = export(loaded, tmp_path / "r.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    # "Đến": the plan's end ("giai đoạn 2011-2015" in 337's subject) that bounds its recurring duties
    assert lines[0] == ("Mã,STT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Đến,Báo cáo về,"
                        "Văn bản,Ngày ban hành")
    assert len(lines) == 121
    # directives in order of issue: 337 (2012) first
    assert lines[1].startswith("337-qd-ubnd-1,1,") and lines[1].endswith(",337/QĐ-UBND,02/03/2012")
    row17 = next(ln for ln in lines if ln.startswith("337-qd-ubnd-17,"))
    assert "Sở Kế hoạch và Đầu tư,Ban Quản lý các khu công nghiệp; các cơ quan liên quan,Tháng 10/2015" in row17
    row11 = next(ln for ln in lines if ln.startswith("337-qd-ubnd-11,"))
    assert ",31/12/2015," in row11  # a recurring duty of the plan ends with it


def test_yaml_export_is_the_documented_format(loaded, tmp_path):
    import yaml

    export(loaded, tmp_path / "r.yaml")
    data = yaml.safe_load((tmp_path / "r.yaml").read_text(encoding="utf-8"))
    assert [d["number"] for d in data["directives"]] == ["337/QĐ-UBND", "5099/UBND-HCC"]
    d5099 = data["directives"][1]
    assert d5099["issued"] == date(2018, 5, 23) and d5099["issuer"] == "UBND tỉnh Đồng Nai"
    first = d5099["tasks"][0]
    assert first == {"key": "5099-ke-hoach-par-index-van-phong-ubnd-tinh", "stt": "9",
                     "content": first["content"], "lead": "Văn phòng UBND tỉnh",
                     "report_to": "UBND tỉnh (qua Sở Nội vụ)", "deadline": "trước ngày 14/6/2018"}


def test_single_directive_yaml_uses_the_short_form(engine, calendar, tmp_path):
    run(engine, EXAMPLES / "5099-UBND-HCC.yaml", AgencyDirectory.load(), calendar)
    export(engine, tmp_path / "r.yaml")
    text = (tmp_path / "r.yaml").read_text(encoding="utf-8")
    assert "\ndirective:\n  number: 5099/UBND-HCC\n" in text and "\ntasks:\n" in text
    fresh = fresh_engine(tmp_path, "f")
    run(fresh, tmp_path / "r.yaml", AgencyDirectory.load(EXAMPLES / "agencies-dong-nai.yaml"), calendar)
    assert export(fresh, tmp_path / "again.yaml") == (tmp_path / "r.yaml").read_bytes()
    fresh.dispose()


@pytest.mark.parametrize("fmt", FORMATS)
def test_tasks_without_a_directive_round_trip(engine, calendar, tmp_path, fmt):
    src = write_csv(tmp_path / "plan.csv", [HEADER, ["1", "Việc", "SNV", "Sở Y tế; cơ quan liên quan", "Quý I/2013"],
                                            ["2", "Việc khác", "Sở Tư pháp", "", "định kỳ hàng quý"]])
    directory = AgencyDirectory.load()
    run(engine, src, directory, calendar, issued=date(2012, 3, 2))
    first = export(engine, tmp_path / f"first.{fmt}")
    fresh = fresh_engine(tmp_path, "f")
    run(fresh, tmp_path / f"first.{fmt}", directory, calendar, issued=date(2012, 3, 2))
    assert export(fresh, tmp_path / f"second.{fmt}") == first
    assert meaning(fresh) == meaning(engine)
    fresh.dispose()


def test_export_refuses_an_unknown_format(engine, tmp_path):
    with pytest.raises(ValueError, match="unknown file type '.json'"):
        with Session(engine) as s:
            export_registry(s, tmp_path / "r.json")
