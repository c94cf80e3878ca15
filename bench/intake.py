"""Reading registry files (intake): an appendix XLSX of 20 000 rows (2 000 when quick), read by dondoc's
streaming reader and interpreted into task rows, against the baseline of loading the same workbook whole
with openpyxl (what the reader did before: the whole grid in memory). Also the full dry-run import of the
same rows as CSV into a fresh SQLite database (agencies, deadlines, keys, the write rolled back).

Each case runs in a process of its own so that its peak RSS is its own (`ru_maxrss` of the child).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = ["TT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm"]
LEADS = ("Sở Nội vụ", "Sở Tư pháp", "Sở Y tế", "Sở Tài chính", "Văn phòng UBND tỉnh")
DEADLINES = ("Quý III/2013", "Tháng 12/2013", "Thường xuyên", "Hàng quý", "trước ngày 30/9/2013")


def _rows(n: int):
    for i in range(1, n + 1):
        yield [str(i), f"Nhiệm vụ số {i}: rà soát, đánh giá và báo cáo kết quả thực hiện", LEADS[i % 5],
               LEADS[(i + 1) % 5], DEADLINES[i % 5], "Báo cáo"]


def _workbook(n: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["PHỤ LỤC"])
    ws.append(HEADER)
    for r in _rows(n):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_CHILD = r'''
import json, resource, sys, time, io
from pathlib import Path
case, path = sys.argv[1], Path(sys.argv[2])
import openpyxl
from intake.readers import read_table
from intake.table import rows_from_table
from intake.model import Collector
from intake.limits import Limits
if case == "stream":
    t0 = time.perf_counter()
    table = read_table(path.read_bytes(), path.name, Limits(max_rows=1_000_000))
    n = len(rows_from_table(table, Collector(path.name), "1/KH").rows)
elif case == "whole":
    t0 = time.perf_counter()
    ws = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    n = len([list(r) for r in ws.iter_rows(values_only=True)]) - 2
else:
    from datetime import date, datetime, timezone
    from sqlmodel import Session
    from storage.db import make_engine, upgrade
    from storage.agencies import AgencyDirectory
    from intake import ImportOptions, Limits, preview_import
    from core.workdays import WorkCalendar
    url = f"sqlite:///{path.parent / 'bench.sqlite3'}"
    upgrade(url)
    opts = ImportOptions(directory=AgencyDirectory.load(), calendar=WorkCalendar(), now=datetime.now(timezone.utc),
                         actor="bench", document="1/KH", issued=date(2013, 7, 11), limits=Limits(max_rows=1_000_000))
    t0 = time.perf_counter()
    with Session(make_engine(url)) as s:
        n = len(preview_import(s, path, options=opts).added)
seconds = time.perf_counter() - t0
print(json.dumps({"n": n, "seconds": seconds, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def _child(case: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, case, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    if out.returncode != 0:
        raise RuntimeError(f"{case}: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[dict]:
    n = 2_000 if quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "plan.xlsx"
        xlsx.write_bytes(_workbook(n))
        csv_path = Path(tmp) / "plan.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as fp:
            csv.writer(fp).writerows([HEADER, *_rows(n)])
        stream = _child("stream", xlsx)
        whole = _child("whole", xlsx)
        full = _child("import", csv_path)
    if stream["n"] != n or whole["n"] != n or full["n"] != n:
        raise AssertionError(f"rows read: stream {stream['n']}, whole {whole['n']}, import {full['n']} (expected {n})")
    return [
        {"bench": "intake: read an XLSX appendix", "case": f"{n:,} rows, streamed + interpreted vs openpyxl whole grid",
         "dondoc": round(n / stream["seconds"]), "baseline": round(n / whole["seconds"]),
         "ratio": round(whole["seconds"] / stream["seconds"], 2), "rows_per_s": round(n / stream["seconds"]),
         "peak_rss_mib": round(stream["rss_mib"]), "baseline_peak_rss_mib": round(whole["rss_mib"])},
        {"bench": "intake: dry-run import (CSV)", "case": f"{n:,} rows: agencies, deadlines, keys, diff",
         "seconds": round(full["seconds"], 2), "rows_per_s": round(n / full["seconds"]),
         "peak_rss_mib": round(full["rss_mib"])},
    ]


if __name__ == "__main__":  # pragma: no cover
    for row in run("--quick" in sys.argv):
        print(row)
