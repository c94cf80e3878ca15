"""Hostile registry files (hardening, issue 18 items 5 and 6): refused with exit 2 and a one-line reason, in
bounded memory — each import runs in its own process under an address-space limit (RLIMIT_AS) — and files a
registry names are only its siblings, never echoed."""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.i18n import _

ADDRESS_SPACE = 400 * 1024 * 1024  # "a few hundred MB": a normal import needs less than 200 MB here
HEADER = ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def dondoc(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The real CLI in a process of its own, under the address-space limit."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AGENCIES_FILE", "PROVINCE")}
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    if not (tmp_path / "db.sqlite3").exists():  # made first: an import creates one only inside ./data/
        from storage.db import upgrade

        upgrade(url)
    environ.update(DATABASE_URL=url, LANGUAGE="en", **env)
    return subprocess.run([sys.executable, "-c", "from dondoc.cli import main; main()", *args],
                          preexec_fn=_limited, env=environ, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)


def refused(r: subprocess.CompletedProcess, path: Path) -> str:
    """Exit 2, no traceback, the header line plus one line `FILE:ROW:COLUMN: reason`; returns the reason."""
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith(f"Nothing imported from {path}: 1 problem"), r.stderr
    assert len(lines) == 2, r.stderr
    m = re.match(rf"{re.escape(str(path))}:\d+:[^:]*: (.+)", lines[1])
    assert m, lines[1]
    return m[1]


def small_workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["1", "Rà soát văn bản", "Sở Tư pháp", "", "Quý III/2013"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            dst.writestr(info.filename, content)
    return out.getvalue()


def test_a_sparse_xlsx_declaring_the_whole_sheet_is_read_row_by_row(tmp_path):
    # 5 KB that declares A1:XFD1048576: the reader never builds that grid, so the real rows import.
    data = rewrite_sheet(small_workbook(), lambda x: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', x))
    assert len(data) < 10_000
    assert b'ref="A1:XFD1048576"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    path = tmp_path / "sparse.xlsx"
    path.write_bytes(data)
    r = dondoc(tmp_path, "import", str(path), "--document", "1/KH", "--issued", "02/03/2012")
    assert r.returncode == 0, r.stderr
    assert "Imported" in r.stdout and "1 added" in r.stdout


def test_a_value_in_the_last_cell_of_the_sheet_is_refused(tmp_path):
    data = rewrite_sheet(small_workbook(), lambda x: x.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    path = tmp_path / "far.xlsx"
    path.write_bytes(data)
    reason = refused(dondoc(tmp_path, "import", str(path), "--document", "1/KH", "--issued", "02/03/2012"), path)
    assert "IMPORT_MAX_COLUMNS" in reason or "IMPORT_MAX_ROWS" in reason


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.xlsx"
    src = zipfile.ZipFile(io.BytesIO(small_workbook()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fp:
            fp.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            chunk = b" " * (1 << 20)
            for _ in range(300):  # 300 MB of blanks, a few hundred KB compressed
                fp.write(chunk)
            fp.write(b"</sheetData></worksheet>")
    assert path.stat().st_size < 2_000_000
    reason = refused(dondoc(tmp_path, "import", str(path), "--document", "1/KH", "--issued", "02/03/2012"), path)
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in reason


def test_a_yaml_alias_bomb_is_refused(tmp_path):
    # "billion laughs" in coordinators: 9 aliases of the list above, 11 levels deep (9**11 names)
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "directive: {number: 1/KH, issued: 2012-03-02}\n"
        "tasks:\n"
        "  - key: a0\n    content: X\n    lead: Sở Tư pháp\n    deadline: Quý I/2013\n"
        "    coordinators: &l0 [Sở Nội vụ, Sở Nội vụ, Sở Nội vụ, Sở Nội vụ, Sở Nội vụ, Sở Nội vụ, Sở Nội vụ]\n"
        + "".join(f"  - key: a{i}\n    content: Y\n    lead: Sở Tư pháp\n    deadline: Quý I/2013\n"
                  f"    coordinators: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 12)),
        encoding="utf-8")
    reason = refused(dondoc(tmp_path, "import", str(path)), path)
    assert reason == "not valid YAML: aliases (*name) are not accepted"


def test_a_non_scalar_yaml_key_is_a_clear_error(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text("directive: {number: 1/KH, issued: 2012-03-02}\n? [a, b]\n: 1\ntasks: []\n", encoding="utf-8")
    reason = refused(dondoc(tmp_path, "import", str(path)), path)
    assert reason == "not valid YAML: a key must be a plain name, not a list or a mapping"


def test_too_many_rows_and_too_long_cells(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(",".join(HEADER) + "\n" + "".join(f"{i},Việc,SNV,,Quý I/2013\n" for i in range(1, 40)),
                    encoding="utf-8")
    reason = refused(dondoc(tmp_path, "import", str(path), "--document", "1/KH", "--issued", "2/3/2012",
                            IMPORT_MAX_ROWS="30"), path)
    assert reason == "more than 30 rows (IMPORT_MAX_ROWS)"
    path.write_text(",".join(HEADER) + "\n1," + "x" * 500 + ",SNV,,Quý I/2013\n", encoding="utf-8")
    reason = refused(dondoc(tmp_path, "import", str(path), "--document", "1/KH", "--issued", "2/3/2012",
                            IMPORT_MAX_CELL_CHARS="100"), path)
    assert reason == "a cell holds more than 100 characters (IMPORT_MAX_CELL_CHARS)"
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 5000)
    reason = refused(dondoc(tmp_path, "import", str(big), IMPORT_MAX_BYTES="4096"), big)
    assert reason == "the file has 5000 bytes, more than 4096 (IMPORT_MAX_BYTES)"


# -- files a registry may name ------------------------------------------------------------------------------------

SECRET = "root:$6$SECRET-HASH-NEVER-SHOWN:19000:0:99999:7:::"


@pytest.mark.parametrize("name, why", [
    ("/etc/passwd", "a relative name, not an absolute path"),
    ("../outside.yaml", "'..' is not accepted"),
    ("sub/../../outside.yaml", "'..' is not accepted"),
    ("C:\\Windows\\win.ini", "a relative name, not an absolute path"),
])
def test_a_registry_names_only_files_next_to_it(tmp_path, name, why):
    (tmp_path / "outside.yaml").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "plans"
    folder.mkdir()
    path = folder / "r.yaml"
    path.write_text(f"agencies: '{name}'\ndirective: {{number: 1/KH, issued: 2012-03-02}}\n"
                    "tasks:\n  - {key: a, content: X, lead: SNV, deadline: Quý I/2013}\n", encoding="utf-8")
    r = dondoc(tmp_path, "import", str(path))
    reason = refused(r, path)
    assert reason == f"only a file next to the registry may be named ({why})"
    assert "SECRET" not in r.stderr + r.stdout and "root:" not in r.stderr


def test_a_sibling_that_is_not_an_agencies_file_is_not_echoed(tmp_path):
    (tmp_path / "shadow").write_text("\n".join([SECRET] * 5) + "\n", encoding="utf-8")
    (tmp_path / "keys.yaml").write_text("root: x\nSECRET-KEY: y\n", encoding="utf-8")
    for name in ("shadow", "keys.yaml"):
        path = tmp_path / "r.yaml"
        path.write_text(f"agencies: {name}\ndirective: {{number: 1/KH, issued: 2012-03-02}}\n"
                        "tasks:\n  - {key: a, content: X, lead: SNV, deadline: Quý I/2013}\n", encoding="utf-8")
        r = dondoc(tmp_path, "import", str(path))
        reason = refused(r, path)
        assert reason == _("{file} is not an agencies file (YAML with agencies:, groups:)", lang="en", file=name)
        assert "SECRET" not in r.stderr + r.stdout


def test_the_administrators_own_agencies_file_may_be_anywhere(tmp_path):
    elsewhere = tmp_path / "etc" / "dondoc"
    elsewhere.mkdir(parents=True)
    (elsewhere / "agencies.yaml").write_text(
        "agencies:\n  - {code: huyen-cao-loc, name: UBND huyện Cao Lộc, kind: ubnd-cap-huyen}\n", encoding="utf-8")
    plan = tmp_path / "plan.csv"
    plan.write_text(",".join(HEADER) + "\n1,Việc,UBND huyện Cao Lộc,,Quý I/2013\n", encoding="utf-8")
    r = dondoc(tmp_path, "import", str(plan), "--document", "1/KH", "--issued", "2/3/2012", "--agencies",
               str(elsewhere / "agencies.yaml"))
    assert r.returncode == 0, r.stderr
