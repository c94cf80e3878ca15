"""The benchmarks' code works: each bench module runs on a tiny size and returns well-formed rows.

Structure and counts only — never timings (speed is for `python -m bench`, not for tests).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from bench import data


def test_registry_mix_and_loader(tmp_path):
    from storage.db import make_engine, upgrade
    from storage.tables import ChatBinding, Occurrence, Task

    reg = data.make_registry(400)
    assert reg.kinds["once"] + reg.kinds["recurring"] + reg.kinds["continuous"] == 400
    assert all(n > 0 for n in reg.kinds.values())
    assert 0.6 < reg.kinds["once"] / 400 < 0.8  # mostly one-off deadlines, as registries are
    assert len(reg.agencies) == data.N_AGENCIES
    assert len(reg.chats) == 2 * data.N_AGENCIES
    roles = Counter(b["role"] for b in reg.bindings)
    assert roles == {"focal": 60, "manager": 60, "oversight": 1, "leadership": 1}
    assert len({t["key"] for t in reg.tasks}) == 400
    # Every deadline was read by the grammar from the text it keeps.
    from core.deadline import Deadline

    for t in reg.tasks[:50]:
        assert Deadline.from_dict(t["deadline"]).kind == t["deadline_kind"]
        assert t["deadline"]["text"] == t["deadline_text"]
    assert data.make_registry(400).tasks == reg.tasks  # deterministic

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        data.load_registry(engine, reg)
        from sqlmodel import Session, func, select

        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(Task)).one() == 400
            assert s.exec(select(func.count()).select_from(Occurrence)).one() == len(reg.occurrences)
            assert s.exec(select(func.count()).select_from(ChatBinding)).one() == len(reg.bindings)
    finally:
        engine.dispose()


def test_planning_bench_rows_on_sqlite():
    from bench import planning

    rows = planning.run(True, sizes=(150,), backends=("sqlite",), fresh_process=False, log=lambda *_: None)
    by_case = {(r["bench"], r["case"]): r for r in rows}
    first = by_case[(planning.BENCH, "first plan (empty outbox, a month of catch-up)")]
    full = by_case[(planning.BENCH, "full plan on start (replan_all + plan)")]
    assert first["tasks"] == 150 and first["pending"] > 0  # a month of steps: the latest of each pending
    assert full["tasks"] == 150 and full["pending"] == 0  # a restart finds them all in the outbox
    # per-task rows (pending, superseded, or folded into a brief), the briefs, this week's agendas
    assert sum(full["outbox"].values()) == (first["pending"] + first["superseded"] + first["briefed"] + first["briefs"]
                                            + first["agendas"])
    assert first["briefed"] > 0 and first["agendas"] > 0
    before = by_case[(planning.BENCH, "restart to first tick, before (every task re-planned)")]
    after = by_case[(planning.BENCH, "restart to first tick, after (settings unchanged: due tasks only)")]
    assert before["replanned"] == 150 and before["planned_at_first_tick"] == 150
    assert after["replanned"] == 0 and after["planned_at_first_tick"] == 0  # nothing changed: nothing re-planned
    tick = by_case[(planning.BENCH, "tick with nothing due")]
    assert tick["n"] == planning.TICK_SAMPLES
    replan = by_case[(planning.BENCH, "one-task re-plan")]
    assert replan["n"] == sum(k for _, k in planning.REPLAN_PICKS)
    assert set(replan["by_kind_median_ms"]) == {"once", "recurring", "continuous"}
    start = by_case[(planning.BASELINE, "start-up (add every job + start)")]
    assert start["jobs"] == start["stored_jobs"] > 150  # several reminders per task, each a job
    ratios = [r for r in rows if r["bench"] == planning.RATIO]
    assert len(ratios) == 5 and all("ratio" in r for r in ratios)
    # the commit before issue 27's work, measured in the same run on the same registry (git is here in tests)
    from bench import planning_previous

    previous = [r for r in rows if r["bench"] == planning_previous.RATIO]
    assert [r["case"].split(":")[0] for r in previous] == ["first plan (empty outbox, a month of catch-up)",
                                                           "full plan on start (replan_all + plan)"], previous
    assert all(r["previous_tasks"] == 150 and r["dondoc"] > 0 and r["baseline"] > 0 for r in previous)
    json.dumps(rows)  # results.json can hold them


def test_planning_bench_says_when_postgresql_cannot_run(monkeypatch):
    from bench import planning

    monkeypatch.setattr(planning._Databases, "postgres", lambda self: setattr(self, "pg_error", "no server here"))
    rows = planning.run(True, sizes=(10,), backends=("postgresql",), fresh_process=False, log=lambda *_: None)
    assert rows == [{"bench": planning.BENCH, "backend": "postgresql", "case": "not run: no PostgreSQL server",
                     "reason": "no server here"}]


def test_baseline_jobs_follow_the_plan():
    """One job per reminder still ahead; a done task has none; repeats are one interval job."""
    from dataclasses import replace
    from datetime import date, timedelta

    from bench.baseline import reminder_jobs
    from core.deadline import parse_deadline
    from jobs.planner import Bindings, OccurrenceState, Policy, Recipient, TaskSnapshot
    from core.workdays import WorkCalendar

    now = data.NOW
    b = Bindings([Recipient("telegram", "-1", "so-noi-vu", "focal"), Recipient("telegram", "2", "so-noi-vu", "manager"),
                  Recipient("telegram", "-3", "so-noi-vu", "oversight"), Recipient("telegram", "4", "ubnd-tinh", "leadership")])
    task = TaskSnapshot(key="T1", lead="so-noi-vu", deadline=parse_deadline("trước ngày 30/10/2024", date(2024, 5, 1)),
                        assigned_at=now - timedelta(days=30))
    jobs = reminder_jobs(task, b, Policy(), WorkCalendar(), now)
    kinds = Counter(j.kind for j in jobs)
    assert kinds == {"date": 4 + 3, "interval": 1}  # 4 reminders, 3 rungs, the weekly repeats
    assert all(j.when > now for j in jobs)
    assert len({j.id for j in jobs}) == len(jobs)
    done = replace(task, occurrences={"once": OccurrenceState(status="done", completed_on=date(2024, 6, 1))})
    assert reminder_jobs(done, b, Policy(), WorkCalendar(), now) == []


def test_dispatch_bench_delivers_each_notification_once():
    from bench import dispatch

    rows = dispatch.run(True, n=18, groups=4, privates=2, log=lambda *_: None)
    (row,) = rows
    assert row["notifications"] == row["sent"] == 18
    assert row["failed"] == 0
    assert row["ceiling_msgs_per_s"] > 0 and row["theoretical_min_s"] > 0
    assert isinstance(row["too_many_requests"], int)


def test_dispatch_ceiling_arithmetic():
    from bench.dispatch import per_chat_counts, theoretical_minimum

    groups, private = per_chat_counts(10_000, 500, 200)
    assert sum(groups) + sum(private) == 10_000 and max(groups + private) - min(groups + private) <= 1
    assert theoretical_minimum(10_000, groups, private) == pytest.approx((10_000 - 30) / 30)  # overall binds
    # One busy group: 20 at once, then one every 3 s.
    assert theoretical_minimum(80, [80], []) == pytest.approx(60 * 3)
    assert theoretical_minimum(5, [], [5]) == pytest.approx(4)


def test_main_writes_results_and_prints_one_table(tmp_path, capsys, monkeypatch):
    import bench.__main__ as main

    monkeypatch.setattr(main, "BENCHES", ("parsing",))
    monkeypatch.setattr("bench.parsing.run", lambda quick: [{"bench": "deadline parsing", "rows": 17, "seconds": 0.5,
                                                            "rows_per_s": 34}])
    out = tmp_path / "results.json"
    assert main.main(["--quick", "--output", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["quick"] is True and doc["ran"] == ["parsing"]
    assert {"platform", "python", "cpu_count", "memory_gib"} <= set(doc["machine"])
    assert doc["date"] and doc["results"]["parsing"]["rows"][0]["rows"] == 17
    printed = capsys.readouterr().out
    assert "deadline parsing" in printed and "rows per s 34" in printed


def test_main_refuses_an_unknown_benchmark(capsys):
    import bench.__main__ as main

    with pytest.raises(SystemExit) as e:
        main.main(["--only", "nonsense"])
    assert e.value.code == 2
    assert "unknown benchmark nonsense" in capsys.readouterr().err


def test_noise_figures_per_role():
    from bench.noise import figures

    msgs = [{"role": "leadership", "chat": "a", "at": "2018-06-11T08:00:00+07:00"}] * 3 + [
        {"role": "leadership", "chat": "a", "at": "2018-06-12T08:00:00+07:00"},
        {"role": "focal", "chat": "b", "at": "2018-06-12T08:00:00+07:00"}]
    f = figures(msgs, date(2018, 6, 11), date(2018, 6, 15))
    assert f["leadership"] == {"chats": 1, "max_per_chat_day": 3, "median_per_working_day": 0, "messages": 4}
    assert f["focal"]["messages"] == 1 and "manager" not in f


def test_feeds_bench_rows():
    """The feeds bench serves a tiny all-agency feed through its own process and reports every phase (today's
    code only: the baseline commit is a git archive, which a test need not unpack)."""
    from bench import feeds

    rows = feeds.run(quick=True, sizes=(30,), baseline=False)
    cases = [r["bench"].rsplit(", ", 1)[-1] for r in rows]
    assert cases == ["cold", "unchanged", "identity", "304", "after one change"]
    by = {c: r for c, r in zip(cases, rows)}
    assert by["cold"]["text_kib"] > 0 and by["unchanged"]["text_kib"] == by["cold"]["text_kib"]
    assert by["304"]["wire_kib"] == 0
    assert by["identity"]["wire_kib"] == by["identity"]["text_kib"] > by["unchanged"]["wire_kib"]


def test_extract_bench_rows():
    """Three formats, pages counted, the same tasks every run (no timing checked). The speed rows only: the labelled
    sets of bench/heldout/ are read by `python -m bench --only extract`, never by a test."""
    from bench import extract

    rows = extract._speed(quick=True)
    assert [r["bench"] for r in rows] == ["extract (text, 5 directives)", "extract (docx, 5 directives)",
                                          "extract (pdf, 5 directives)"]
    assert all(r["pages"] > 0 and r["pages_per_s"] > 0 for r in rows)
    assert rows[0]["pages"] == rows[1]["pages"]  # text and .docx count pages from the same characters
