"""Calendar feeds: the all-agency (oversight) feed over HTTP at 1,000, 10,000 and 100,000 tasks — cold (nothing
rendered yet), unchanged (a client re-downloading without validators, gzip and plain), answered 304, and after
one task changed — in time to the last byte, bytes on the wire and as text, and the rise of peak RSS.

Today's code and the baseline (the feeds as they were before they were streamed and cached, commit
`BASELINE`, unpacked from git into a temporary folder) answer the same requests on the same database in the
same run, each in its own process (bench/feeds_http.py), so memory figures do not mix. Without git (a
release tarball) only today's code is measured. `--quick` measures 1,000 tasks.

The database is one province's registry of once-deadline tasks spread over six months from `NOW`, a tenth
done and a tenth with a progress report (so the loading joins have rows to join), every one in the feed's
window. Goals (issue 16): under 3 s cold and under 50 ms unchanged at 100,000 tasks, peak memory well under
200 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 1, 9, 0, tzinfo=VN)
BASELINE = "bc2429d"  # main before the feeds were streamed and cached (issue 16)
ROOT = Path(__file__).resolve().parent.parent


def _fill(engine, n: int) -> None:
    from sqlmodel import Session

    from core.deadline import parse_deadline
    from storage.tables import Occurrence, ProgressUpdate, Task

    issued = date(2018, 5, 23)
    t0 = NOW.astimezone(timezone.utc) - timedelta(days=9)
    agencies = ["so-noi-vu", "so-tai-chinh", "so-tu-phap", "so-y-te", "so-xay-dung"]
    deadlines = {}
    with Session(engine) as s:
        for start in range(0, n, 10_000):
            tasks = []
            for i in range(start, min(n, start + 10_000)):
                due = date(2018, 6, 1) + timedelta(days=i % 180)
                text = f"trước ngày {due.day}/{due.month}/{due.year}"
                dl = deadlines.get(text) or deadlines.setdefault(text, parse_deadline(text, issued))
                tasks.append(Task(key=f"B/{i}", position=i, content=f"Nhiệm vụ cải cách hành chính số {i}: rà soát, "
                                  "đánh giá và báo cáo kết quả thực hiện về UBND tỉnh (qua Sở Nội vụ)",
                                  lead_agency=agencies[i % len(agencies)],
                                  coordinators=["so-tai-chinh"] if i % 3 == 0 else [],
                                  deadline_text=text, deadline=dl.to_dict(), deadline_kind=dl.kind, due=dl.due,
                                  assigned_at=t0, created_at=t0, updated_at=t0 + timedelta(seconds=i),
                                  sequence=i % 4))
            s.add_all(tasks)
            s.flush()
            for i, t in enumerate(tasks, start):
                if i % 10 == 0:
                    s.add(Occurrence(task_id=t.id, key="once", due=t.due, status="done",
                                     completed_on=date(2018, 5, 30), updated_at=t0 + timedelta(days=7), sequence=1))
                elif i % 10 == 5:
                    s.add(ProgressUpdate(task_id=t.id, occurrence_key="once", percent=50, note="Đang tổng hợp",
                                         actor="Nguyễn Thị A", source="telegram", created_at=t0 + timedelta(days=8)))
            s.commit()


def _baseline_tree(tmp: Path) -> Path | None:
    """The baseline's source unpacked into `tmp`, or None without git or that commit."""
    dest = tmp / "baseline"
    dest.mkdir()
    try:
        archive = subprocess.run(["git", "archive", BASELINE], cwd=ROOT, capture_output=True, timeout=120)
        if archive.returncode != 0:
            return None
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return dest


def _serve_and_measure(root: Path, db_url: str) -> dict:
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "feeds_http.py"), str(root), db_url],
                       capture_output=True, text=True, timeout=3 * 3600, cwd=root)
    if r.returncode != 0:
        raise RuntimeError(f"feeds_http.py failed for {root}:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(quick: bool, sizes: tuple[int, ...] | None = None, baseline: bool = True) -> list[dict]:
    from storage.db import make_engine, upgrade

    sizes = sizes or ((1_000,) if quick else (1_000, 10_000, 100_000))
    rows = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-feeds-") as tmp:
        old = _baseline_tree(Path(tmp)) if baseline else None
        for n in sizes:
            url = f"sqlite:///{Path(tmp) / f'feeds-{n}.sqlite3'}"
            upgrade(url)
            engine = make_engine(url)
            try:
                _fill(engine, n)
            finally:
                engine.dispose()
            measured = {"dondoc": _serve_and_measure(ROOT, url)}
            if old is not None:
                measured["baseline"] = _serve_and_measure(old, url)
            for case in ("cold", "unchanged", "unchanged, identity", "304", "after one change"):
                now, before = measured["dondoc"][case], measured.get("baseline", {}).get(case)
                row = {"bench": f"feeds: all-agency feed, {n:,} tasks, {case}", "tasks": n,
                       "seconds": now["seconds"], "wire_kib": now["wire_kib"], "text_kib": now["text_kib"],
                       "peak_rss_mib": now["peak_rss_mib"],
                       # the render processes (feeds.pool) and their forkserver: their RSS before the
                       # request and how far it rose, summed over the processes (shared pages counted in each)
                       "workers": now.get("workers"), "workers_rss_mib": now.get("workers_rss_mib"),
                       "workers_peak_rise_mib": now.get("workers_peak_rise_mib")}
                if "server_ready_s" in now:
                    row["server_ready_s"] = now["server_ready_s"]
                if before is not None:
                    row.update({"dondoc": now["seconds"], "baseline": before["seconds"],
                                "ratio": round(now["seconds"] / before["seconds"], 3) if before["seconds"] else None,
                                "baseline_wire_kib": before["wire_kib"], "baseline_peak_rss_mib": before["peak_rss_mib"]})
                    row.pop("seconds")
                if n >= 100_000 and case == "cold":
                    row["goal"] = "< 3 s"
                    row["met"] = now["seconds"] < 3
                if n >= 100_000 and case in ("unchanged", "304"):
                    row["goal"] = "< 50 ms"
                    row["met"] = now["seconds"] < 0.05
                rows.append(row)
    return rows


if __name__ == "__main__":  # pragma: no cover
    args = sys.argv[1:]
    only = tuple(int(a) for a in args if a.isdigit())
    for row in run(quick="--quick" in args, sizes=only or None, baseline="--no-baseline" not in args):
        print(row)
