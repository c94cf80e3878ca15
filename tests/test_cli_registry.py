"""`dondoc import`, `export`, `tasks`, `agencies` through the real command line (Typer's CliRunner)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from dondoc.cli import app
from tests.conftest import cli_runner
from core.i18n import _
from core.status import Status
from storage.tables import Task
from tests.test_registry_import import EXAMPLES, HEADER, write_csv

YAML = str(EXAMPLES / "5099-UBND-HCC.yaml")
CSV = str(EXAMPLES / "337-QD-UBND.csv")
CSV_ARGS = ["--agencies", str(EXAMPLES / "agencies-nam-dinh.yaml"), "--document", "337/QĐ-UBND",
            "--issued", "2012-03-02"]


@pytest.fixture
def cli(engine, db_url, monkeypatch):
    return cli_runner(monkeypatch, db_url, "2018-06-12T09:00:00+07:00")


def test_help_lists_the_registry_commands(cli):
    out = cli("--help").output
    for name in ("import", "export", "tasks", "agencies"):
        assert f"  {name} " in out


def test_import_both_samples_then_again(cli, engine):
    r = cli("import", YAML)
    assert r.exit_code == 0, r.output
    assert f"Đã nhập {YAML}: 62 thêm mới, 0 thay đổi, 0 không đổi." in r.stdout
    assert "Văn bản mới: 5099/UBND-HCC" in r.stdout
    r = cli("import", CSV, *CSV_ARGS, "--issuer", "UBND tỉnh Nam Định")
    assert r.exit_code == 0, r.output
    assert "58 thêm mới" in r.stdout
    assert "cảnh báo: " in r.stderr and "UBND cấp xã" in r.stderr
    r = cli("import", YAML, LANGUAGE="en")
    assert r.exit_code == 0
    assert f"Imported {YAML}: 0 added, 0 changed, 62 unchanged." in r.stdout
    with Session(engine) as s:
        assert len(s.exec(select(Task)).all()) == 120


def test_errors_exit_2_and_go_to_stderr(cli, engine, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [HEADER, ["1", "Việc", "Sở Nôi vụ", "", "Quý III/2013"],
                                           ["2", "Việc", "SNV", "", "Quý V/2013"]])
    r = cli("import", str(bad), "--document", "1/KH", "--issued", "2012-03-02")
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == f"Không nhập {bad}: 2 lỗi; cơ sở dữ liệu không thay đổi."
    assert lines[1] == f"{bad}:2:Cơ quan chủ trì: không có cơ quan 'Sở Nôi vụ'; có phải: Sở Nội vụ?"
    assert lines[2].startswith(f"{bad}:3:Thời gian hoàn thành: không đọc được thời hạn: \"Quý V/2013\"")
    with Session(engine) as s:
        assert s.exec(select(Task)).all() == []
    r = cli("import", str(bad), "--document", "1/KH", "--issued", "2012-03-02", LANGUAGE="en")
    assert r.stderr.splitlines()[0] == f"Nothing imported from {bad}: 2 problems; the database is unchanged."


def test_bad_options(cli, tmp_path):
    r = cli("import", CSV, "--issued", "31/2/2012")
    # an impossible date is said not to exist (issue 23), not only that the form is wrong
    assert r.exit_code == 2 and "--issued '31/2/2012': ngày này không có thật" in r.stderr
    r = cli("import", CSV, "--issued", "02/03/9999")  # within the deadline grammar's years only
    assert r.exit_code == 2 and "--issued '02/03/9999'" in r.stderr
    r = cli("import", str(tmp_path / "nope.csv"), "--issued", "2/3/2012")  # dd/mm/yyyy as every command takes
    assert r.exit_code == 2 and f"{tmp_path / 'nope.csv'}:0:0: không đọc được tệp" in r.stderr
    r = cli("import", CSV, "--agencies", str(tmp_path / "none.yaml"))
    assert r.exit_code == 2 and "agencies file not found" in r.stderr


def test_prune_and_missing(cli, tmp_path):
    path = write_csv(tmp_path / "plan.csv", [HEADER, ["1", "Một", "SNV", "", "Quý I/2013"],
                                             ["2", "Hai", "SNV", "", "Quý II/2013"]])
    assert cli("import", str(path), "--document", "1/KH", "--issued", "2012-03-02").exit_code == 0
    write_csv(path, [HEADER, ["1", "Một", "SNV", "", "Quý I/2013"]])
    r = cli("import", str(path), "--document", "1/KH")
    assert r.exit_code == 0
    assert "1 nhiệm vụ không còn trong tệp (giữ lại; dùng --prune để gỡ): 1-kh-2" in r.stdout
    r = cli("import", str(path), "--document", "1/KH", "--prune")
    assert "Đã gỡ 1 nhiệm vụ không còn trong tệp: 1-kh-2" in r.stdout


def test_export_roundtrip_through_the_cli(cli, tmp_path):
    cli("import", YAML)
    for ext in ("csv", "xlsx", "yaml"):
        r = cli("export", str(tmp_path / f"out.{ext}"))
        assert r.exit_code == 0 and f"Đã ghi 62 nhiệm vụ vào {tmp_path / f'out.{ext}'}." in r.stdout
        r = cli("import", str(tmp_path / f"out.{ext}"), "--agencies", str(EXAMPLES / "agencies-dong-nai.yaml"))
        assert r.exit_code == 0 and "0 thêm mới, 0 thay đổi, 62 không đổi" in r.stdout, r.output
    r = cli("export", str(tmp_path / "out.json"))
    assert r.exit_code == 2 and "không rõ định dạng '.json'" in r.stderr


def test_tasks_table(cli):
    cli("import", YAML)
    cli("import", CSV, *CSV_ARGS)
    r = cli("tasks", "--agency", "SNV")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Mã", "Nội", "dung", "Cơ", "quan", "chủ", "trì", "Thời", "hạn", "(văn", "bản)",
                                "Hạn", "Trạng", "thái"]
    assert set(lines[1]) == {"-", " "}
    body = lines[2:-1]
    assert [ln.split()[0] for ln in body] == ["337-qd-ubnd-8-so-noi-vu", "337-qd-ubnd-1", "337-qd-ubnd-6",
                                              "337-qd-ubnd-7", "5099-ke-hoach-par-index-so-noi-vu",
                                              "5099-bao-cao-par-index-so-noi-vu"]
    # aligned: every status starts in the same column
    col = lines[0].index("Trạng thái")
    assert all(ln[col:].startswith("Chưa hoàn thành") for ln in body)
    assert "01/04/2013 (văn bản: 31/03/2013)" in r.stdout  # Quý I/2013 ends on a Sunday
    assert "14/06/2018" in r.stdout and "Chưa hoàn thành – sắp đến hạn" in r.stdout
    assert lines[-1] == "6 mục (ngày 12/06/2018)"
    r = cli("tasks", "--agency", "SNV", "--status", "due_soon")
    assert [ln.split()[0] for ln in r.stdout.splitlines()[2:-1]] == ["5099-ke-hoach-par-index-so-noi-vu"]
    r = cli("tasks", "--directive", "337/QĐ-UBND", "--agency", "UBND huyện Hải Hậu", LANGUAGE="en")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].split()[:2] == ["Key", "Content"]
    assert "Open – overdue" in r.stdout and "5099" not in r.stdout
    assert "337-qd-ubnd-2-huyen-hai-hau" in r.stdout and "(written: " in r.stdout


def test_tasks_filters_refuse_unknown_values(cli):
    cli("import", YAML)
    r = cli("tasks", "--agency", "Sở Nôi vụ")
    assert r.exit_code == 2 and r.stderr.strip() == "--agency: " + _(
        "unknown agency {text!r}; did you mean: {names}?", lang="vi", text="Sở Nôi vụ", names="Sở Nội vụ")
    assert r.stderr.strip() == "--agency: không có cơ quan 'Sở Nôi vụ'; có phải: Sở Nội vụ?"
    r = cli("tasks", "--status", "late-ish")
    accepted = ", ".join(s.value for s in Status)
    assert r.exit_code == 2 and r.stderr.strip() == "--status: " + _(
        "unknown status {text!r}; accepted: {accepted}", lang="vi", text="late-ish", accepted=accepted)
    assert "không có trạng thái 'late-ish'" in r.stderr
    r = cli("tasks", "--directive", "không có")
    assert r.exit_code == 0 and r.stdout.strip() == _("No tasks.", lang="vi") == "Không có nhiệm vụ nào."


def test_agencies_listing(cli):
    r = cli("agencies", "KH&ĐT")
    assert r.exit_code == 0
    assert "so-ke-hoach-dau-tu" in r.stdout and "đến 28/02/2025" in r.stdout and "→ Sở Tài chính" in r.stdout
    r = cli("agencies", "--agencies", str(EXAMPLES / "agencies-dong-nai.yaml"), "huyện")
    assert "huyen-xuan-loc" in r.stdout and "ubnd-cap-huyen" in r.stdout and "(11 thành viên)" in r.stdout
    r = cli("agencies", "không có gì")
    assert r.stdout.strip() == "Không tìm thấy."


def test_a_sqlite_path_in_a_missing_folder_is_an_error(tmp_path, monkeypatch):
    """A typo in DATABASE_URL must not create a folder and an empty database that "has no tasks"."""
    from dondoc.cli import common

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dat' / 'dondoc.sqlite3'}")
    common.settings.cache_clear()
    common.engine.cache_clear()
    r = CliRunner().invoke(app, ["tasks"])
    assert r.exit_code == 2
    assert f"the folder {tmp_path / 'dat'} of the SQLite database" in r.stderr
    assert not (tmp_path / "dat").exists()
    r = CliRunner().invoke(app, ["db", "upgrade"])
    assert r.exit_code == 2 and not (tmp_path / "dat").exists()


def test_dry_run_writes_nothing_and_the_encoding_is_reported(cli, engine, tmp_path):
    path = tmp_path / "plan.txt"  # Excel's "Unicode Text": tab-separated UTF-16
    path.write_bytes("\r\n".join("\t".join(r) for r in [HEADER, ["1", "Một", "SNV", "", "Quý I/2013"],
                                                         ["2", "Hai", "STP", "", "Khẩn trương"]]).encode("utf-16"))
    r = cli("import", str(path), "--document", "1/KH", "--issued", "2/3/2012", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "Bảng mã nhận ra: utf-16" in r.stderr
    assert f"Chạy thử {path} (chưa ghi gì): 2 sẽ thêm mới, 0 sẽ thay đổi, 0 không đổi." in r.stdout
    assert "+ 1-kh-1" in r.stdout
    with Session(engine) as s:
        assert s.exec(select(Task)).all() == []
    assert cli("import", str(path), "--document", "1/KH", "--issued", "2/3/2012").exit_code == 0
    r = cli("tasks")
    assert "khẩn trương (hạn tính: 09/03/2012)" in r.stdout  # Friday 02/03/2012 + 5 working days
