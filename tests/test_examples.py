"""The sample data in examples/: faithful to the directives, loadable together, as `make run` loads them."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from dondoc.cli import app
from core.i18n import _, ngettext
from storage.agencies import AgencyDirectory

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DIRECTIVES = ROOT.parent / "shared" / "directives"

# The import lines `make run` should use (see the report to the lead / README).
MAKE_RUN_IMPORTS = [
    ["import", "examples/5099-UBND-HCC.yaml"],
    ["import", "examples/337-QD-UBND.csv", "--agencies", "examples/agencies-nam-dinh.yaml",
     "--document", "337/QĐ-UBND", "--issued", "2012-03-02", "--issuer", "UBND tỉnh Nam Định",
     "--subject", "Kế hoạch cải cách hành chính nhà nước tỉnh Nam Định giai đoạn 2011-2015"],
]


def csv_rows() -> list[list[str]]:
    with open(EXAMPLES / "337-QD-UBND.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_csv_is_the_appendix_of_337_as_written():
    rows = csv_rows()
    assert rows[0] == ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, 18)]
    assert rows[2][2] == "Các cơ quan có chức năng tuyên truyền của tỉnh và địa phương."
    assert rows[8][2] == "Các cơ quan hành chính và đơn vị sự nghiệp"
    assert rows[17][3] == "Ban Quản lý các KCN và các cơ quan liên quan"
    sources = sorted(DIRECTIVES.glob("003_*.txt"))
    if not sources:
        pytest.skip("the directive texts are not next to this checkout")
    text = sources[0].read_text(encoding="utf-8")
    table = text[text.index("(Ban hành kèm theo Quyết định số 337/QĐ-UBND"):]
    blocks = [[ln[1:] for ln in b.split("\n") if ln.startswith("\t")] for b in table.split("\n\n")]
    complete = [b for b in blocks if len(b) == 5]
    assert rows == complete  # header and the 17 complete rows, character for character


def test_xlsx_holds_the_same_cells_as_the_csv():
    ws = openpyxl.load_workbook(EXAMPLES / "337-QD-UBND.xlsx").worksheets[0]
    cells = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert cells == csv_rows()
    assert isinstance(ws["A2"].value, int)  # as a spreadsheet keeps numbers


def test_xlsx_generator_reproduces_the_sample(tmp_path):
    before = (EXAMPLES / "337-QD-UBND.xlsx").read_bytes()
    subprocess.run([sys.executable, str(EXAMPLES / "make_337_xlsx.py")], check=True, cwd=ROOT)
    assert (EXAMPLES / "337-QD-UBND.xlsx").read_bytes() == before


def test_5099_yaml():
    data = yaml.safe_load((EXAMPLES / "5099-UBND-HCC.yaml").read_text(encoding="utf-8"))
    assert data["directive"] == {"number": "5099/UBND-HCC", "issued": date(2018, 5, 23),
                                 "issuer": "UBND tỉnh Đồng Nai", "subject": data["directive"]["subject"]}
    assert (EXAMPLES / data["agencies"]).is_file()
    assert [t["deadline"] for t in data["tasks"]] == ["trước ngày 14/6/2018", "trước ngày 15/11/2018"]
    assert {t["report_to"] for t in data["tasks"]} == {"UBND tỉnh (qua Sở Nội vụ)"}
    lead = data["tasks"][0]["lead"]
    d = AgencyDirectory.load(EXAMPLES / data["agencies"])
    m = d.match(lead, date(2018, 5, 23))
    assert len(m.codes) == 20 + 11 and m.warnings == ()


@pytest.mark.parametrize("name, districts", [("agencies-dong-nai.yaml", 11), ("agencies-nam-dinh.yaml", 10)])
def test_agencies_files(name, districts):
    d = AgencyDirectory.load(EXAMPLES / name)
    assert len(d.members("ubnd-cap-huyen", date(2015, 1, 1))) == districts
    assert d.members("ubnd-cap-huyen", date(2025, 7, 1)) == []


def test_make_run_imports_into_one_fresh_database(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dondoc.sqlite3'}")
    monkeypatch.setenv("CLOCK_START", "2018-06-12T09:00:00+07:00")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    outputs = []
    for args in MAKE_RUN_IMPORTS:
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        outputs.append(r.stdout)
    imported = "Imported {file}: {added} added, {changed} changed, {unchanged} unchanged."
    assert outputs[0].splitlines()[0] == _(imported, lang="vi", file=MAKE_RUN_IMPORTS[0][1], added=62, changed=0,
                                           unchanged=0)
    assert "62 thêm mới" in outputs[0] and "58 thêm mới" in outputs[1]
    r = runner.invoke(app, ["tasks"])
    assert r.exit_code == 0
    # 120 tasks; the 14 recurring ones (row 2 monthly × 13 agencies, row 11 yearly) belong to the plan of
    # "giai đoạn 2011-2015": their duties ended on 31/12/2015, so in 2018 they have nothing left to list.
    n = 120 - 14
    assert r.stdout.splitlines()[-1] == ngettext("{n} item (today {today})", "{n} items (today {today})", n, lang="vi",
                                                 today="12/06/2018") == f"{n} mục (ngày 12/06/2018)"
    assert len(r.stdout.splitlines()) == 2 + 106 + 1
    assert "5099-ke-hoach-par-index-tp-bien-hoa" in r.stdout and "337-qd-ubnd-17" in r.stdout
    # a second `make run` finds everything in place
    for args, n in zip(MAKE_RUN_IMPORTS, (62, 58)):
        r = runner.invoke(app, args)
        assert r.exit_code == 0 and r.stdout.splitlines()[0] == _(imported, lang="vi", file=args[1], added=0, changed=0,
                                                                  unchanged=n)
        assert "0 thêm mới, 0 thay đổi" in r.stdout
