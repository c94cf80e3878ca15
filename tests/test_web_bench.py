"""The web console's benchmark runs on a tiny registry and returns well-formed rows (no timing asserted)."""


def test_web_bench_rows():
    from bench import web

    rows = web.run(True, sizes=(60,), repeat=1)
    pages = [r for r in rows if "dondoc" in r]
    assert len(pages) == 8  # three pages and the dashboard after a change × (administrator, focal point)
    assert {r["case"] for r in pages} == {"administrator", "focal point"}
    assert all(r["tasks"] == 60 and r["dondoc"] > 0 and r["baseline"] > 0 and r["ratio"] > 0 for r in pages)
    assert len([r for r in pages if "/web/ after a change" in r["bench"]]) == 2
    # and the rows of the occurrence listing's and the kept four groups' first builds (issue 23)
    builds = [r for r in rows if "dondoc" not in r]
    assert len(builds) == 2 and all(b["tasks"] == 60 and b["seconds"] >= 0 for b in builds)


def test_web_bench_sizes_from_the_environment(monkeypatch):
    """BENCH_WEB_SIZES picks the registry sizes (how the 100k run is asked for), here a tiny one."""
    from bench import web

    monkeypatch.setenv("BENCH_WEB_SIZES", "40")
    rows = web.run(True, repeat=1)
    assert {r["tasks"] for r in rows} == {40} and len([r for r in rows if "dondoc" in r]) == 8
