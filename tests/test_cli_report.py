"""`dondoc report` through the real command line: the table, --json, the three files, and bad input."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from tests.conftest import cli_runner
from core.i18n import _
from tests.test_reports import EXPECTED, seed


@pytest.fixture
def cli(engine, db_url, monkeypatch):
    with Session(engine) as s:
        seed(s)
    return cli_runner(monkeypatch, db_url, "2026-10-05T09:00:00+07:00")


def test_json_for_other_systems(cli):
    r = cli("report", "--period", "Quý III/2026", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["period"] == {"from": "2026-07-01", "to": "2026-09-30", "code": "2026-Q3", "cutoff": "calendar"}
    got = {a["agency"]: (a["done_on_time"], a["done_late"], a["open_in_term"], a["open_overdue"])
           for a in data["agencies"]}
    assert got == EXPECTED
    assert [o["task"] for o in data["overdue"]] == ["B2", "C1"]


def test_from_to_in_both_date_forms_and_the_nd09_cutoff(cli):
    a = json.loads(cli("report", "--from", "01/07/2026", "--to", "2026-09-30", "--json").stdout)
    b = json.loads(cli("report", "--period", "quý 3/2026", "--json").stdout)
    assert a["agencies"] == b["agencies"] and a["totals"] == b["totals"]
    nd09 = json.loads(cli("report", "--period", "Quý III/2026", "--json", REPORT_CUTOFF="nd09").stdout)
    assert nd09["period"]["from"] == "2026-06-15" and nd09["period"]["to"] == "2026-09-14"
    # B1 (30/9) and C1's September period (20/9) leave for Q4; C1's June period (20/6, never reported) comes in.
    assert {k: nd09["totals"][k] for k in ("done_on_time", "done_late", "open_in_term", "open_overdue")} == \
        {"done_on_time": 2, "done_late": 2, "open_in_term": 2, "open_overdue": 2}
    assert [(o["task"], o["occurrence"]) for o in nd09["overdue"]] == [("C1", "2026-06-20"), ("B2", "once")]
    calendar = json.loads(cli("report", "-p", "Quý III/2026", "--json", "--cutoff", "calendar").stdout)
    assert calendar["period"]["from"] == "2026-07-01"


def test_table_on_screen_in_both_languages(cli):
    r = cli("report", "--period", "Quý III/2026")
    assert r.exit_code == 0, r.output
    assert "Quý III/2026" in r.stdout
    assert "Sở Tài chính" in r.stdout and "[B2]" in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.startswith(_("Total", "vi")))
    assert line.split()[-6:-1] == ["2", "2", "3", "2", "9"]
    r = cli("report", "--period", "Q3 2026", LANGUAGE="en")
    assert "Task completion — Q3 2026" in r.stdout and "22.2%" in r.stdout


def test_filters(cli):
    data = json.loads(cli("report", "-p", "Quý III/2026", "--agency", "Sở Y tế", "--json").stdout)
    assert [a["code"] for a in data["agencies"]] == ["so-y-te"]
    data = json.loads(cli("report", "-p", "Quý III/2026", "--directive", "12/KH-UBND", "--json").stdout)
    assert data["totals"]["total"] == 5


@pytest.mark.parametrize("name", ["report.xlsx", "report.docx", "report.png"])
def test_files(cli, tmp_path, name):
    out = tmp_path / name
    r = cli("report", "-p", "Quý III/2026", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    head = out.read_bytes()[:8]
    assert head.startswith(b"PK") if name.endswith(("xlsx", "docx")) else head == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, needle", [
    (["-p", "Quý V/2026"], "--period"),
    (["-p", "hôm nay"], "Quý III/2026"),
    (["--from", "31/02/2026", "--to", "01/03/2026"], "--from"),
    (["--from", "01/07/2026", "--to", "31/12/9999"], "--to"),  # beyond the grammar's years
    (["--from", "01/07/2026"], "--to"),
    (["--from", "30/09/2026", "--to", "01/07/2026"], "30/09/2026"),
    (["-p", "Quý III/2026", "--from", "01/07/2026", "--to", "30/09/2026"], "--period"),
    (["-p", "Quý III/2026", "-o", "report.pdf"], ".pdf"),
    (["-p", "Quý III/2026", "-o", "no/such/folder/report.xlsx"], "no/such/folder"),
    (["-p", "Quý III/2026", "--agency", "Sở Không Có"], "Sở Không Có"),
    (["-p", "Quý III/2026", "--directive", "12/KH-UBNX"], "12/KH-UBND"),
    (["-p", "Quý III/2026", "--cutoff", "fiscal"], "nd09"),
])
def test_bad_input_exits_2_saying_what(cli, args, needle, tmp_path):
    r = cli("report", *args)
    assert r.exit_code == 2, r.output
    assert needle in r.stderr
    assert not (tmp_path / "report.pdf").exists()


def test_docx_names_the_reporting_body(cli, tmp_path):
    from docx import Document

    out = tmp_path / "bao-cao.docx"
    assert cli("report", "-p", "Quý III/2026", "-o", str(out), "--issuer", "Sở Nội vụ").exit_code == 0
    assert "SỞ NỘI VỤ" in Document(str(out)).tables[0].rows[0].cells[0].text
