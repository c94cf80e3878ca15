"""The web console's benchmark runs on a tiny registry and returns well-formed rows (no timing asserted)."""


def test_web_bench_rows():
    from bench import web

    rows = web.run(True, sizes=(60,), repeat=1)
    pages = [r for r in rows if "dondoc" in r]
    assert len(pages) == 6  # three pages × (administrator, focal point)
    assert {r["case"] for r in pages} == {"administrator", "focal point"}
    assert all(r["tasks"] == 60 and r["dondoc"] > 0 and r["baseline"] > 0 and r["ratio"] > 0 for r in pages)
    # and the one row of the occurrence listing's first build (issue 23)
    [build] = [r for r in rows if "dondoc" not in r]
    assert build["tasks"] == 60 and build["seconds"] >= 0


def test_web_bench_sizes_from_the_environment(monkeypatch):
    """BENCH_WEB_SIZES picks the registry sizes (how the 100k run is asked for), here a tiny one."""
    from bench import web

    monkeypatch.setenv("BENCH_WEB_SIZES", "40")
    rows = web.run(True, repeat=1)
    assert {r["tasks"] for r in rows} == {40} and len([r for r in rows if "dondoc" in r]) == 6
