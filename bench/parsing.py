"""Deadline parsing speed: the "Thời gian hoàn thành" column of Nam Định's 337/QĐ-UBND appendix.

`run(quick)` parses those 17 phrases repeated to 100 000 rows (10 000 when quick) — about what a
large provincial registry import reads — and reports rows per second. Every row must parse; a
phrase that stops parsing fails the benchmark rather than making it look faster.
"""

from __future__ import annotations

import time
from datetime import date

from core.deadline import parse_deadline
from core.workdays import WorkCalendar

# Quyết định 337/QĐ-UBND ngày 02/3/2012 (Nam Định), appendix, column "Thời gian hoàn thành", rows 1–17.
ISSUED = date(2012, 3, 2)
PHRASES = (
    "Tháng 12/2012",
    "Hàng tháng/năm",
    "Tháng 10/2012",
    "Quý III/2013",
    "Quý II/2012",
    "Quý IV/2012",
    "Quý I/2013",
    "Tháng 10/2012",
    "Quý IV/2012",
    "Quý IV/2013",
    "Tháng 12/năm",
    "Quý II/2013",
    "Quý IV/2014",
    "Quý I/2013",
    "Tháng 9/2015",
    "Tháng 9/2015",
    "Tháng 10/2015",
)


def run(quick: bool) -> list[dict]:
    rows = 10_000 if quick else 100_000
    texts = [PHRASES[i % len(PHRASES)] for i in range(rows)]
    calendar = WorkCalendar()
    parse_deadline(PHRASES[0], ISSUED, calendar)  # warm-up: compile regexes, load the calendar

    t0 = time.perf_counter()
    kinds = {"once": 0, "recurring": 0, "continuous": 0}
    for text in texts:
        kinds[parse_deadline(text, ISSUED, calendar).kind] += 1
    seconds = time.perf_counter() - t0

    expected_recurring = sum(1 for i in range(rows) if PHRASES[i % len(PHRASES)] in ("Hàng tháng/năm", "Tháng 12/năm"))
    if kinds["recurring"] != expected_recurring:
        raise AssertionError(f"parsing changed: {kinds}")
    return [{
        "bench": "deadline parsing (337/QĐ-UBND appendix)",
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
    }]


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
