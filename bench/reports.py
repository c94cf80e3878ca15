"""Reports: how long the figures of a year take to compute from the database, and each rendering (XLSX, DOCX,
chart), for registries of 1,000 and 10,000 tasks (bench/data.py's province-sized mix: 60 agencies, once,
recurring and continuous deadlines, some done or extended).

The baseline, measured in the same run on the same database, is `storage.views.task_items` for every agency —
what `dondoc tasks`, the bot's lists and the digests read — so the ratio says what a report costs next to a
listing the service already makes all day.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def _timed(fn, repeat: int = 3):
    best, out = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        best = seconds if best is None else min(best, seconds)
    return best, out


def run(quick: bool, sizes: tuple[int, ...] | None = None) -> list[dict]:
    from sqlmodel import Session

    from bench import data
    from dondoc.settings import load_settings
    from core.workdays import WorkCalendar
    from reports import build_report, parse_period
    from reports.chart import report_chart
    from reports.docx import report_docx
    from reports.xlsx import report_xlsx
    from storage.db import make_engine, upgrade
    from storage.views import task_items

    calendar = WorkCalendar.from_file(None)
    today = data.NOW.astimezone(data.VN).date()
    sizes = sizes or ((1_000,) if quick else (1_000, 10_000))
    rows = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-reports-") as tmp:
        for n in sizes:
            url = f"sqlite:///{Path(tmp) / f'reports-{n}.sqlite3'}"
            upgrade(url)
            engine = make_engine(url)
            try:
                settings = load_settings(environ={}, dotenv_path=None, database_url=url)
                data.load_registry(engine, data.make_registry(n))
                period = parse_period(f"năm {today.year}")
                with Session(engine) as s:
                    task_items(s, settings=settings, calendar=calendar, today=today)  # warm-up: holidays, caches
                    base, items = _timed(lambda: task_items(s, settings=settings, calendar=calendar, today=today))
                    figures, report = _timed(lambda: build_report(s, settings=settings, calendar=calendar,
                                                                  period=period, today=today))
                timings = {"figures": figures}
                for name, render in (("xlsx", report_xlsx), ("docx", report_docx), ("chart", report_chart)):
                    timings[name], blob = _timed(lambda: render(report, lang="vi"), repeat=2 if n > 1000 else 3)
                for name, seconds in timings.items():
                    rows.append({"bench": f"reports: {name} of a year", "tasks": n, "rows": len(report.rows),
                                 "agencies": len(report.agencies), "seconds": round(seconds, 3),
                                 "baseline_task_items_s": round(base, 3),
                                 "ratio_to_baseline": round(seconds / base, 2) if base else None,
                                 "listed_items": len(items)})
            finally:
                engine.dispose()
    return rows


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
