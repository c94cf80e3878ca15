"""The web console's benchmark runs on a tiny registry and returns well-formed rows (no timing asserted)."""


def test_web_bench_rows():
    from bench import web

    rows = web.run(True, sizes=(60,), repeat=1)
    assert len(rows) == 6  # three pages × (administrator, focal point)
    assert {r["case"] for r in rows} == {"administrator", "focal point"}
    assert all(r["tasks"] == 60 and r["dondoc"] > 0 and r["baseline"] > 0 and r["ratio"] > 0 for r in rows)


def test_web_bench_sizes_from_the_environment(monkeypatch):
    """BENCH_WEB_SIZES picks the registry sizes (how the 100k run is asked for), here a tiny one."""
    from bench import web

    monkeypatch.setenv("BENCH_WEB_SIZES", "40")
    rows = web.run(True, repeat=1)
    assert {r["tasks"] for r in rows} == {40} and len(rows) == 6
