"""The full plan of the commit before issue 27's work (PREVIOUS), measured in the same run as today's code.

Issue 27 found a full plan of 100k tasks at 50 s (first plan) and 37 s (re-plan) on a busy machine, against 24 s
three weeks earlier on another: figures from different machines and loads say nothing about the code. So the
planning bench measures the previous commit too, in the same run, on the same machine: its source is unpacked
from git into a temporary folder (as bench/feeds.py does for its baseline) and its own bench code — its
`prepare`, `measure_first_plan` and scheduler — runs there in a process of its own, on its own SQLite database
made from the same deterministic registry (bench.data). Then "first plan" and "full plan on start" of both
are given side by side, with their ratio (above 1: slower now).

Without git or that commit (an unpacked release) the rows say so and the rest of the bench is unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = "36eba43"  # the commit before issue 27's work (the second hardening pass)
RATIO = "dondoc / previous commit"

# Run in the previous tree (cwd and PYTHONPATH): its own steps, on its own throw-away database.
# CPU time is taken here (that commit's `measure` had none): the planning itself, as today's `measure` takes it.
_STEPS = r"""
import json, sys, time
from bench.data import NOW
from bench.planning import _Databases, _scheduler, measure_first_plan, prepare
from bench import measure

n = int(sys.argv[1])
dbs = _Databases()
url = dbs.create("sqlite", f"previous-{n}")
try:
    prepare(url, n)
    first = measure_first_plan(url, n)
    engine, sched = _scheduler(url)
    with measure() as m:
        c0 = time.process_time()
        sched.replan_all()
        st = sched.plan(NOW)
        cpu = time.process_time() - c0
    engine.dispose()
    print("RESULT " + json.dumps({"first_plan": first, "full_plan": {**m.as_dict(), "cpu_seconds": round(cpu, 3),
                                  "tasks": st.tasks, "pending": st.pending, "superseded": st.superseded}}, default=str))
finally:
    dbs.drop("sqlite", url)
    dbs.close()
"""


def unpack(tmp: Path, commit: str = PREVIOUS) -> Path | None:
    """`commit`'s source in `tmp`, or None without git or that commit."""
    dest = tmp / f"previous-{commit}"
    try:
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None
    if archive.returncode != 0:
        return None
    dest.mkdir()
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=300)
    return dest


def measure_previous(tree: Path, n: int) -> dict:
    """The previous commit's first plan and full plan of `n` tasks (SQLite), or {"error": …}."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([sys.executable, "-c", _STEPS, str(n)], cwd=tree, capture_output=True, text=True,
                       timeout=6 * 3600, env={**env, "PYTHONPATH": str(tree)})
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"error": (r.stderr or r.stdout)[-2000:] or f"exit {r.returncode}"}


def rows(n: int, now: dict, previous: dict | None, commit: str = PREVIOUS) -> list[dict]:
    """Today's first plan and full plan next to the previous commit's, for `n` tasks on SQLite."""
    base = {"bench": RATIO, "backend": "sqlite", "tasks": n}
    if previous is None:
        return [{**base, "case": f"not run: no git or no commit {commit} here"}]
    if "error" in previous:
        return [{**base, "case": f"not run: commit {commit} failed",
                 "reason": previous["error"].strip().splitlines()[-1:]}]
    out = []
    for step, case in (("first_plan", "first plan (empty outbox, a month of catch-up)"),
                       ("full_plan", "full plan on start (replan_all + plan)")):
        a, b = now[step]["seconds"], previous[step]["seconds"]
        row = {**base, "case": f"{case}: now / {commit}", "dondoc": a, "baseline": b,
               "ratio": round(a / b, 3) if b else None, "previous_commit": commit,
               "previous_tasks": previous[step].get("tasks"),
               "previous_peak_rss_mib": previous[step].get("peak_rss_mib")}
        ca, cb = now[step].get("cpu_seconds"), previous[step].get("cpu_seconds")
        if ca is not None and cb:  # on a shared machine the wall-time ratio carries the others' load too
            row.update(cpu_seconds=ca, previous_cpu_seconds=cb, cpu_ratio=round(ca / cb, 3))
        out.append(row)
    return out
