"""`python -m bench [--quick] [--only NAME[,NAME]] [--markdown]` — run the benchmarks, print one table,
write the results with the machine and the date they ran on.

A full run writes bench/results.json (committed; docs/benchmarks.md shows its table); `--quick` writes
bench/results-quick.json, so a quick look never replaces the figures the docs quote. `--only` runs some
benchmarks and replaces just their results in that file. `--markdown` prints the table as Markdown.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench import cpu_count

BENCHES = ("parsing", "extract", "feeds", "planning", "dispatch", "channels", "intake", "reports", "web")
HERE = Path(__file__).resolve().parent


# -- the machine -------------------------------------------------------------------------------------------

def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("SQLAlchemy", "APScheduler", "python-telegram-bot", "psycopg", "icalendar", "aiohttp"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out


def code_version() -> str | None:
    """The commit measured (`git describe --always --dirty`), when run from a git checkout."""
    import subprocess

    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=HERE.parent, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "packages": _versions(),
    }


# -- the table ---------------------------------------------------------------------------------------------

_SKIP = {"bench", "case", "goal", "met", "registry", "outbox", "server", "by_kind_median_ms", "reason"}


def _num(v) -> str:
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def figures(row: dict) -> str:
    """The row's numbers, briefly, the known ones with their unit."""
    r = dict(row)
    parts = []
    if "dondoc" in r and "baseline" in r:
        parts.append(f"dondoc {_num(r.pop('dondoc'))} / baseline {_num(r.pop('baseline'))} = {_num(r.pop('ratio', None))}")
    if "seconds" in r:
        parts.append(f"{_num(r.pop('seconds'))} s")
    if "median_ms" in r:
        parts.append(f"median {_num(r.pop('median_ms'))} ms, max {_num(r.pop('max_ms', None))} ms (n={r.pop('n', '?')})")
    if "plan_only_median_ms" in r:
        parts.append(f"plan alone {_num(r.pop('plan_only_median_ms'))} ms")
    for key, label in (("peak_rss_mib", "peak RSS +{} MiB"), ("held_rss_mib", "held +{} MiB"),
                       ("peak_traced_mib", "traced peak {} MiB")):
        if key in r:
            parts.append(label.format(_num(r.pop(key))))
    if "msgs_per_s" in r:
        parts.append(f"{_num(r.pop('msgs_per_s'))} msg/s of a {_num(r.pop('ceiling_msgs_per_s', None))} msg/s ceiling "
                     f"({r.pop('share_of_ceiling', 0):.0%}), {r.pop('too_many_requests', '?')} × 429, "
                     f"min {_num(r.pop('theoretical_min_s', None))} s")
        r.pop("time_vs_min", None)
    for k, v in list(r.items()):
        if k.startswith("vs_") and isinstance(v, dict):  # bench/against.py: this tree's figure / the other's
            parts.append(f"vs {k[3:]}: " + ", ".join(f"{f.replace('_', ' ')} ×{x:g}" for f, x in v.items()))
            r.pop(k)
    for k, v in r.items():
        if k not in _SKIP and k not in ("backend", "tasks") and v is not None and not isinstance(v, (dict, list)):
            parts.append(f"{k.replace('_', ' ')} {_num(v)}")
    return "; ".join(parts)


def table_rows(results: dict) -> list[tuple[str, str, str, str]]:
    out = []
    for name in BENCHES:
        entry = results.get(name)
        if entry is None:
            continue
        if "error" in entry:
            out.append((name, "FAILED", entry["error"].strip().splitlines()[-1], ""))
            continue
        for row in entry["rows"]:
            bench = row.get("bench", name)
            if row.get("backend"):
                bench += f" ({row['backend']})"
            case = row.get("case", "")
            if row.get("tasks"):
                case = f"{row['tasks']:,} tasks: {case}"
            if "reason" in row:
                case += f" — {row['reason']}"
            goal = ""
            if "goal" in row:
                goal = ("✓ " if row.get("met") else "✗ ") + row["goal"]
            out.append((bench, case, figures(row), goal))
    return out


def render(results: dict, markdown: bool = False) -> str:
    rows = table_rows(results)
    head = ("benchmark", "case", "figures", "goal")
    if markdown:
        esc = [tuple(c.replace("|", "\\|") for c in r) for r in rows]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in esc]
        return "\n".join(lines)
    widths = [min(60, max(len(h), *(len(r[i]) for r in rows))) if rows else len(h) for i, h in enumerate(head)]
    widths[2] = max(len(head[2]), *(len(r[2]) for r in rows)) if rows else len(head[2])
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("─" * w for w in widths))]
    for r in rows:
        lines.append(fmt.format(*r).rstrip())
    return "\n".join(lines)


# -- running -----------------------------------------------------------------------------------------------

def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def keep_unrun_rows(name: str, old: dict | None, new: dict) -> dict:
    """A run limited by BENCH_<NAME>_SIZES or BENCH_<NAME>_BACKENDS measured some sizes or databases: the
    last run's rows of the others stay, each with the date it ran (`ran_at`) and its code when known, instead
    of vanishing."""
    limited = any(os.environ.get(f"BENCH_{name.upper()}_{what}", "").strip() for what in ("SIZES", "BACKENDS"))
    if not limited or not old or "rows" not in old or "rows" not in new:
        return new
    ran = {(r.get("backend"), r.get("tasks")) for r in new["rows"]}
    kept = [r if r.get("ran_at") else  # kept already: its own date (and code, when known)
            {**r, "ran_at": old.get("ran_at"), **({"code": old["code"]} if old.get("code") else {})}
            for r in old["rows"] if (r.get("backend"), r.get("tasks")) not in ran]
    return {**new, "rows": kept + new["rows"]} if kept else new


def run_bench(name: str, quick: bool) -> dict:
    started = datetime.now(timezone.utc)
    load = _load()  # the machine may be shared: its load beside the figures (1, 5 and 15 minutes)
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        rows = module.run(quick)
        entry = {"rows": rows}
    except Exception:  # one broken benchmark must not hide the others' figures
        entry = {"error": traceback.format_exc()}
        print(f"bench {name} FAILED:\n{entry['error']}", file=sys.stderr)
    entry["ran_at"] = started.isoformat(timespec="seconds")
    entry["seconds"] = round(time.perf_counter() - t0, 1)
    entry["load_average"] = {"start": load, "end": _load()}
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="dondoc's benchmarks (docs/benchmarks.md)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a quick look, written to results-quick.json")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these (repeat, or comma-separate): {', '.join(BENCHES)}")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--output", type=Path, help="where to write the results (default: bench/results.json, "
                                                    "or bench/results-quick.json with --quick)")
    parser.add_argument("--against", metavar="COMMIT",
                        help="also run the chosen benchmarks on COMMIT's code in this run and give each timing as "
                             "a ratio to it (bench/against.py)")
    parser.add_argument("--here-cases", action="store_true",
                        help="with --against: run this tree's benchmark cases on COMMIT's code too (for a case "
                             "added since; bench/against.py)")
    args = parser.parse_args(argv)
    only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in only if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    names = [n for n in BENCHES if not only or n in only]
    output = args.output or HERE / ("results-quick.json" if args.quick else "results.json")

    doc = {}
    if only and output.is_file():  # keep the other benchmarks' last results
        try:
            doc = json.loads(output.read_text(encoding="utf-8"))
        except ValueError:
            doc = {}
    results = doc.get("results", {})
    started = datetime.now(timezone.utc)
    code = code_version()  # before running: what was measured, even if the tree changes meanwhile
    t0 = time.perf_counter()
    if args.against:
        from bench import against

        results.update(against.main(names, args.against, args.quick, here_cases=args.here_cases))
    else:
        for name in names:
            print(f"── {name} …", flush=True)
            results[name] = keep_unrun_rows(name, results.get(name), run_bench(name, args.quick))
            print(f"── {name}: {results[name]['seconds']} s", flush=True)
    for name in names:  # each section names the code it measured: the file's `code` is only the last run's
        if name in results:
            results[name]["code"] = code
    doc = {
        "date": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "ran": names,
        "seconds": round(time.perf_counter() - t0, 1),
        "code": code,
        **({"against": args.against} if args.against else {}),
        "machine": machine(),
        "results": {n: results[n] for n in BENCHES if n in results},
    }
    output.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    print()
    print(render(doc["results"], markdown=args.markdown))
    m = doc["machine"]
    print(f"\n{m['platform']}, {m['python']}, {m['cpu_count']} CPU ({m['cpu']}), {m['memory_gib']} GiB — "
          f"{doc['date']}, code {doc['code']} — written to {output}")
    return 1 if any("error" in results[n] for n in names) else 0


if __name__ == "__main__":
    sys.exit(main())
