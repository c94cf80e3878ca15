"""The channels benchmark works on a tiny size: every message arrives once, rows are well formed (no timings)."""

from bench import channels


def test_channels_bench_rows():
    for platform in ("zalo", "email"):
        row = channels._one(platform, 12)
        assert row["bench"] == "channels" and row["notifications"] == 12 and platform in row["case"]
        assert row["too_many_requests"] == 0 and row["met"] is True
