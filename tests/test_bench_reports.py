"""The reports benchmark's code works on a tiny registry (structure only — never timings)."""

from bench import reports


def test_reports_bench_rows():
    rows = reports.run(quick=True, sizes=(120,))
    assert [r["bench"] for r in rows] == ["reports: figures of a year", "reports: xlsx of a year",
                                          "reports: docx of a year", "reports: chart of a year"]
    for r in rows:
        assert r["tasks"] == 120 and r["rows"] > 0 and r["agencies"] > 1 and r["listed_items"] > 0
        assert r["seconds"] >= 0 and r["baseline_task_items_s"] > 0
