"""Noise: how many messages a chat of each role receives a day, for the sample registries — the old policy
(a message per task and step, repeats without end) against the new one (DAILY_BUDGET, REPEAT_LIMIT,
DELIVERY_WINDOW) — from `dondoc preview --json`, the planning path `dondoc run` shares.

Each registry is imported into a fresh SQLite database with no chat linked, so every (agency, role) that
would hear something is a stand-in chat; the window is the registry's first six months. Figures per role:
the busiest chat-day (max), the median over chats of each chat's median per working day, and messages in
all. Ratios are new / old, measured in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"

REGISTRIES = (
    ("5099/UBND-HCC (62 tasks)", [str(EX / "5099-UBND-HCC.yaml"), "--agencies", str(EX / "agencies-dong-nai.yaml")],
     date(2018, 5, 23), date(2018, 11, 30)),
    ("337/QĐ-UBND (Nam Định, 2012–2013)", [str(EX / "337-QD-UBND.csv"), "--agencies", str(EX / "agencies-nam-dinh.yaml"),
                                           "--document", "337/QĐ-UBND", "--issued", "2012-03-02",
                                           "--issuer", "UBND tỉnh Nam Định"],
     date(2012, 3, 2), date(2013, 8, 31)),
)
# The policy before issue 11: every step of every task its own message, the top rung repeated without end.
OLD = {"DAILY_BUDGET": "focal:task,manager:task,oversight:task,leadership:task", "REPEAT_LIMIT": "100"}
NEW: dict[str, str] = {}  # the defaults
ROLES = ("focal", "manager", "oversight", "leadership")


def _dondoc(args: list[str], env: dict, cwd: Path) -> str:
    r = subprocess.run([sys.executable, "-c", "from dondoc.cli import main; main()", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(f"dondoc {' '.join(args[:2])}: {r.stderr[-2000:] or r.stdout[-2000:]}")
    return r.stdout


def figures(messages: list[dict], first: date, last: date) -> dict[str, dict]:
    """Per role: max messages a chat got on one day, median of the chats' medians per working day, total."""
    from core.workdays import WorkCalendar

    cal = WorkCalendar.from_file(None)
    workdays = [first + timedelta(days=i) for i in range((last - first).days + 1)
                if cal.is_workday(first + timedelta(days=i))]
    per: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for m in messages:
        per[(m["role"], m["chat"])][datetime.fromisoformat(m["at"]).date()] += 1
    out = {}
    for role in ROLES:
        chats = [c for (r, _), c in per.items() if r == role]
        if not chats:
            continue
        out[role] = {"chats": len(chats), "max_per_chat_day": max(max(c.values()) for c in chats),
                     "median_per_working_day": statistics.median(
                         statistics.median([c.get(d, 0) for d in workdays]) for c in chats),
                     "messages": sum(sum(c.values()) for c in chats)}
    return out


def measure(name: str, import_args: list[str], first: date, last: date, policy: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="dondoc-noise-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CLOCK_"))}
        env.update({"DATABASE_URL": f"sqlite:///{tmp}/noise.sqlite3", "PYTHONPATH": str(ROOT), **policy})
        _dondoc(["import", *import_args], env, Path(tmp))
        out = _dondoc(["preview", "--from", first.isoformat(), "--to", last.isoformat(), "--json"], env, Path(tmp))
    return figures([json.loads(line) for line in out.splitlines() if line.strip()], first, last)


def run(quick: bool) -> list[dict]:
    rows = []
    for name, args, first, last in REGISTRIES[:1] if quick else REGISTRIES:
        old = measure(name, args, first, last, OLD)
        new = measure(name, args, first, last, NEW)
        for role in ROLES:
            if role not in old and role not in new:
                continue
            o, n = old.get(role, {}), new.get(role, {})
            rows.append({
                "bench": "noise", "case": f"{name} — {role}: messages per chat per day (old policy → new)",
                "window": f"{first:%d/%m/%Y} – {last:%d/%m/%Y}", "chats": n.get("chats") or o.get("chats"),
                "old_max": o.get("max_per_chat_day"), "new_max": n.get("max_per_chat_day"),
                "old_median": o.get("median_per_working_day"), "new_median": n.get("median_per_working_day"),
                "old_messages": o.get("messages"), "new_messages": n.get("messages"),
                "ratio_messages": round(n["messages"] / o["messages"], 3) if o.get("messages") and n.get("messages") else None,
            })
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick="--quick" in sys.argv):
        print(row)
