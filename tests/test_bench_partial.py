"""`BENCH_PLANNING_SIZES` / `BENCH_PLANNING_BACKENDS` (issue 27): the planning bench at some sizes only — and
the results file keeps the other sizes' rows from their last run, with the date they ran, instead of losing
them; every measurement carries its CPU time (the machine may be shared)."""

from __future__ import annotations

from bench import Measured, measure
from bench.__main__ import keep_unrun_rows

OLD = {"ran_at": "2026-11-21T05:50:03+00:00", "rows": [
    {"bench": "planning", "backend": "sqlite", "tasks": 1000, "case": "full plan", "seconds": 0.2},
    {"bench": "planning", "backend": "sqlite", "tasks": 100000, "case": "full plan", "seconds": 23.5},
    {"bench": "planning", "backend": "postgresql", "tasks": 100000, "case": "full plan", "seconds": 30.4},
]}
NEW = {"ran_at": "2026-12-07T21:55:00+00:00", "rows": [
    {"bench": "planning", "backend": "sqlite", "tasks": 100000, "case": "full plan", "seconds": 9.0},
]}


def test_a_limited_run_keeps_the_rows_it_did_not_measure(monkeypatch):
    monkeypatch.setenv("BENCH_PLANNING_SIZES", "100000")
    monkeypatch.setenv("BENCH_PLANNING_BACKENDS", "sqlite")
    out = keep_unrun_rows("planning", OLD, NEW)
    assert [(r["backend"], r["tasks"], r["seconds"], r.get("ran_at")) for r in out["rows"]] == [
        ("sqlite", 1000, 0.2, OLD["ran_at"]),
        ("postgresql", 100000, 30.4, OLD["ran_at"]),
        ("sqlite", 100000, 9.0, None),  # measured now: the entry's own date
    ]
    assert out["ran_at"] == NEW["ran_at"]
    # Kept twice: the row keeps the date (and code) of the run that measured it, not the last one's.
    again = keep_unrun_rows("planning", {**out, "code": "abc1234"}, {"ran_at": "2026-12-08T00:00:00+00:00", "rows": [
        {"bench": "planning", "backend": "sqlite", "tasks": 100000, "case": "full plan", "seconds": 8.0}]})
    assert [(r["tasks"], r["backend"], r.get("ran_at"), r.get("code")) for r in again["rows"]][:2] == [
        (1000, "sqlite", OLD["ran_at"], None), (100000, "postgresql", OLD["ran_at"], None)]


def test_a_full_run_replaces_every_row(monkeypatch):
    monkeypatch.delenv("BENCH_PLANNING_SIZES", raising=False)
    monkeypatch.delenv("BENCH_PLANNING_BACKENDS", raising=False)
    assert keep_unrun_rows("planning", OLD, NEW) == NEW
    monkeypatch.setenv("BENCH_PLANNING_SIZES", "100000")
    assert keep_unrun_rows("planning", OLD, {"error": "Traceback …"}) == {"error": "Traceback …"}


def test_the_planning_bench_reads_its_sizes_and_databases(monkeypatch):
    from bench import planning

    monkeypatch.setenv("BENCH_PLANNING_SIZES", "1_000, 100000")
    monkeypatch.setenv("BENCH_PLANNING_BACKENDS", "sqlite")
    assert planning._env("BENCH_PLANNING_SIZES", int) == (1000, 100000)
    assert planning._env("BENCH_PLANNING_BACKENDS", str) == ("sqlite",)
    monkeypatch.setenv("BENCH_PLANNING_SIZES", "")
    assert planning._env("BENCH_PLANNING_SIZES", int) == ()


def test_a_measurement_has_its_cpu_time():
    with measure() as m:
        sum(i * i for i in range(200_000))
    assert isinstance(m, Measured) and m.cpu_seconds is not None and m.cpu_seconds > 0
    assert "cpu_seconds" in m.as_dict()
