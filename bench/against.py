"""`python -m bench --against COMMIT`: the same benchmarks run on another commit's code in the same session,
so a refactor (or any change) is measured against the code before it on the same machine and load.

The commit's source is unpacked from git into a temporary folder and its own `python -m bench` runs there
(its own benchmark code, which knows its own module paths) with this interpreter and its packages. The two
trees run in turn, this one first, bench by bench, so a drift in the machine's speed falls on both. Every
timing figure of a row is then given as this tree's / the other's: a ratio above 1 is slower now.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The figures compared: the ones that are times or memory (a ratio of counts says nothing).
TIMINGS = ("seconds", "cpu_seconds", "median_ms", "max_ms", "plan_only_median_ms", "peak_rss_mib", "dondoc")


def unpack(commit: str, tmp: Path) -> Path:
    """`commit`'s source in `tmp`; raises SystemExit with a message when git or the commit is missing."""
    dest = tmp / f"at-{commit}"
    dest.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, timeout=300)
    if archive.returncode != 0:
        raise SystemExit(f"python -m bench --against {commit}: git cannot give that commit "
                         f"({archive.stderr.decode(errors='replace').strip()})")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=300)
    return dest


def run_tree(tree: Path, name: str, quick: bool, output: Path) -> dict:
    """One benchmark run by `tree`'s own bench code; its entry (rows or error)."""
    cmd = [sys.executable, "-m", "bench", "--only", name, "--output", str(output)] + (["--quick"] if quick else [])
    r = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=6 * 3600,
                       env={**_env(), "PYTHONPATH": str(tree)})
    try:
        return json.loads(output.read_text(encoding="utf-8"))["results"][name]
    except (OSError, ValueError, KeyError):
        return {"error": (r.stderr or r.stdout)[-2000:] or f"exit {r.returncode}"}


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def compare(now: dict, then: dict, commit: str) -> list[dict]:
    """This tree's rows, each with `vs <commit>` ratios of its timing figures to the same row of the other."""
    if "error" in now or "error" in then:
        return [{"bench": "against", "case": f"vs {commit}: a side failed",
                 "reason": (now.get("error") or then.get("error") or "").strip().splitlines()[-1:]}]
    key = lambda r: (r.get("bench"), r.get("backend"), r.get("tasks"), r.get("case"))  # noqa: E731
    old = {key(r): r for r in then.get("rows", [])}
    out = []
    for row in now.get("rows", []):
        other = old.get(key(row))
        ratios = {}
        if other is not None:
            for f in TIMINGS:
                a, b = row.get(f), other.get(f)
                if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
                    ratios[f] = round(a / b, 2)
        out.append({**row, f"vs_{commit}": ratios or "no matching row",
                    **({f"{commit}_{f}": other.get(f) for f in ratios} if other else {})})
    return out


def main(names: list[str], commit: str, quick: bool, here_cases: bool = False) -> dict:
    """`here_cases`: the other tree runs this tree's bench/<name>.py instead of its own — for a case added since
    (the web bench's dashboard after a change, issue 23), which the older bench code cannot measure. The module
    must still work on the older code (it tries what may be missing, as bench/web.py does)."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-against-") as tmp:
        tree = unpack(commit, Path(tmp))
        if here_cases:
            import shutil

            for name in names:
                shutil.copyfile(ROOT / "bench" / f"{name}.py", tree / "bench" / f"{name}.py")
        for name in names:
            print(f"── {name}: this tree …", flush=True)
            now = run_tree(ROOT, name, quick, Path(tmp) / f"now-{name}.json")
            print(f"── {name}: {commit} …", flush=True)
            then = run_tree(tree, name, quick, Path(tmp) / f"then-{name}.json")
            results[name] = {"rows": compare(now, then, commit)} if "rows" in now else now
    return results
