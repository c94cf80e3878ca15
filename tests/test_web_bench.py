"""The web console's benchmark runs on a tiny registry and returns well-formed rows (no timing asserted)."""


def test_web_bench_rows():
    from bench import web

    rows = web.run(True, sizes=(60,), repeat=1)
    assert len(rows) == 6  # three pages × (administrator, focal point)
    assert {r["case"] for r in rows} == {"administrator", "focal point"}
    assert all(r["tasks"] == 60 and r["dondoc"] > 0 and r["baseline"] > 0 and r["ratio"] > 0 for r in rows)
