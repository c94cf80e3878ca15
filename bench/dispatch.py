"""Dispatch: 10,000 due notifications (1,000 with `--quick`) over 500 group chats and 200 private chats,
sent by the real dispatcher through the real TelegramChannel (python-telegram-bot over HTTP) to the fake
Bot API server (tests/fake_telegram.py) enforcing Telegram's flood limits — 30 messages/s overall, 20/min
per group, 1/s per private chat — answering 429 whenever a message comes too early.

The notifications are genuine: one task per notification, each chat bound as the focal chat of its own
agency, every task imported a minute before `NOW`, so the scheduler's plan puts one new-task notice per
task in the outbox; the dispatcher re-checks each against its task, renders its text and buttons, and sends.

The ceiling is what those limits allow for this distribution of messages over chats, with the limits
read as token buckets (as the fake server enforces them: a group may take 20 at once, then one every 3 s;
a private chat one per second; 30 at once overall, then 30/s):

    theoretical minimum time = max((N − 30) / 30,  max over groups (n_g − 20) × 3 s,  max over private chats (n_p − 1) × 1 s)
    ceiling = N / theoretical minimum time
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bench.data import VN, Registry, load_registry

NOW = datetime(2024, 6, 3, 7, 30, tzinfo=VN).astimezone(timezone.utc)  # a Monday, before the weekly agenda
GROUPS, PRIVATES = 500, 200
N_FULL, N_QUICK = 10_000, 1_000
OVERALL_PER_S, GROUP_PER_MIN, PRIVATE_PER_S = 30, 20, 1
GOAL_SHARE = 0.9

# Deadlines well ahead of NOW, so the new-task notice is the only message each task has due.
_TEXTS = ("trước ngày 30/9/2024", "Quý IV/2024", "Tháng 12/2024", "vào cuối năm 2024", "định kỳ hàng quý",
          "6 tháng và cả năm", "Thường xuyên", "trước ngày 15/11/2024")
_CONTENTS = (
    "Xây dựng kế hoạch triển khai các giải pháp nâng cao Chỉ số cải cách hành chính (PAR INDEX)",
    "Báo cáo kết quả thực hiện nhiệm vụ cải cách hành chính về UBND tỉnh (qua Sở Nội vụ)",
    "Rà soát, đơn giản hóa thủ tục hành chính thuộc phạm vi quản lý",
)


def chat_ids(groups: int, privates: int) -> list[str]:
    return [str(-1002000000000 - i) for i in range(groups)] + [str(8000000 + i) for i in range(privates)]


def make_dispatch_registry(n: int, groups: int = GROUPS, privates: int = PRIVATES) -> Registry:
    """`n` tasks over `groups + privates` chats (task i → chat i mod chats), one agency per chat."""
    from core.deadline import parse_deadline

    issued = date(2024, 5, 27)
    assigned = NOW - timedelta(minutes=1)
    chats = chat_ids(groups, privates)
    reg = Registry()
    for i, chat in enumerate(chats):
        code = f"don-vi-{i + 1:03d}"
        reg.agencies.append({"id": i + 1, "code": code, "name": f"Đơn vị số {i + 1}", "kind": "other",
                             "aliases": [], "groups": []})
        reg.bindings.append({"id": i + 1, "platform": "telegram", "chat_id": chat, "agency": code, "role": "focal",
                             "title": None, "language": None, "active": True, "disabled_reason": None,
                             "created_at": assigned - timedelta(days=1), "updated_at": assigned - timedelta(days=1)})
    reg.directives.append({"id": 1, "number": "5099/UBND-HCC", "issued": issued, "issuer": "UBND tỉnh Đồng Nai",
                           "subject": "Triển khai giải pháp cải cách hành chính", "created_at": assigned,
                           "updated_at": assigned})
    parsed = {t: parse_deadline(t, issued) for t in _TEXTS}
    for i in range(n):
        text = _TEXTS[i % len(_TEXTS)]
        dl = parsed[text]
        reg.tasks.append({
            "id": i + 1, "key": f"5099/{i + 1}", "directive_id": 1, "position": i, "stt": str(i + 1),
            "content": f"{_CONTENTS[i % len(_CONTENTS)]} (nhiệm vụ {i + 1})",
            "lead_agency": reg.agencies[i % len(chats)]["code"], "coordinators": [], "coordinators_note": None,
            "report_to": None, "assignee_text": None, "deadline_text": text, "deadline": dl.to_dict(),
            "deadline_kind": dl.kind, "due": dl.due, "assigned_at": assigned, "created_at": assigned,
            "updated_at": assigned, "sequence": 0, "next_check_at": None, "removed_at": None,
        })
    return reg


def per_chat_counts(n: int, groups: int, privates: int) -> tuple[list[int], list[int]]:
    chats = groups + privates
    counts = [n // chats + (1 if c < n % chats else 0) for c in range(chats)]
    return counts[:groups], counts[groups:]


def theoretical_minimum(n: int, group_counts: list[int], private_counts: list[int], *,
                        overall: float = OVERALL_PER_S, group_per_min: float = GROUP_PER_MIN,
                        private_per_s: float = PRIVATE_PER_S) -> float:
    """Seconds the flood limits need at least for these messages (token buckets, see the module docstring)."""
    t_overall = max(0.0, (n - overall) / overall)
    t_group = max([(c - group_per_min) * 60.0 / group_per_min for c in group_counts] + [0.0])
    t_private = max([(c - 1) / private_per_s for c in private_counts] + [0.0])
    return max(t_overall, t_group, t_private)


async def _dispatch_all(engine, settings, fake, expected: int, log) -> tuple[float, object]:
    from bot.channels import TelegramChannel
    from core.clock import ShiftedClock
    from jobs import outbox
    from dondoc.wiring import composer
    from jobs.dispatcher import Dispatcher, DispatchStats

    channel = TelegramChannel(settings)
    await channel.start()
    dispatcher = Dispatcher(engine, settings, ShiftedClock(NOW), {"telegram": channel}, time_budget=24 * 3600,
                            composer=composer(settings))
    total = DispatchStats()
    t0 = time.perf_counter()
    last_report = t0
    try:
        while True:
            stats = await dispatcher.dispatch_due()
            total.add(stats)
            counts = await asyncio.to_thread(outbox.counts, engine)
            if not counts.get("pending") and not counts.get("claimed"):
                break
            if stats.sent == 0:
                await asyncio.sleep(0.2)  # a 429 put some back for later
            if time.perf_counter() - last_report > 60:
                last_report = time.perf_counter()
                log(f"dispatch: {len(fake.sent):,}/{expected:,} sent after {last_report - t0:.0f}s")
        elapsed = time.perf_counter() - t0
    finally:
        await channel.stop()
    return elapsed, total


def run(quick: bool, *, n: int | None = None, groups: int = GROUPS, privates: int = PRIVATES, log=print) -> list[dict]:
    from core.clock import FixedClock
    from dondoc.settings import load_settings
    from jobs import outbox
    from dondoc.wiring import make_scheduler as Scheduler
    from storage.db import make_engine, upgrade
    from tests.fake_telegram import FakeTelegram

    n = n or (N_QUICK if quick else N_FULL)
    group_counts, private_counts = per_chat_counts(n, groups, privates)
    t_min = theoretical_minimum(n, group_counts, private_counts)
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-dispatch-") as tmp, \
            FakeTelegram.in_thread(enforce_limits=True) as fake:
        url = f"sqlite:///{Path(tmp) / 'dispatch.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            load_registry(engine, make_dispatch_registry(n, groups, privates))
            settings = load_settings(environ={}, dotenv_path=None, database_url=url, telegram_bot_token=fake.token,
                                     telegram_base_url=fake.base_url)
            planned = Scheduler(engine, settings, FixedClock(NOW), {}).plan(NOW)
            due = outbox.counts(engine).get("pending", 0)
            if due != n:
                raise AssertionError(f"expected {n} due notifications, the plan made {due} ({planned})")
            fake.reset()
            # python-telegram-bot logs each 429 with a traceback; the benchmark counts them instead.
            noisy = logging.getLogger("telegram.ext.AIORateLimiter")
            level = noisy.level
            noisy.setLevel(logging.CRITICAL)
            try:
                elapsed, stats = asyncio.run(_dispatch_all(engine, settings, fake, n, log))
            finally:
                noisy.setLevel(level)
            final = outbox.counts(engine)
        finally:
            engine.dispose()
        sent = len(fake.sent)
        too_many = fake.too_many_requests
        distinct = len({(m["chat"]["id"], m["text"]) for m in fake.sent})
    if final.get("sent") != n or sent != n or distinct != n:
        raise AssertionError(f"not every notification arrived exactly once: outbox {final}, "
                             f"{sent} accepted by the server, {distinct} distinct")
    rate = n / elapsed
    ceiling = n / t_min if t_min else float("inf")
    share = rate / ceiling
    return [{
        "bench": "dispatch", "case": f"{n:,} notifications → {groups} groups + {privates} private chats",
        "notifications": n, "sent": sent, "seconds": round(elapsed, 1), "msgs_per_s": round(rate, 2),
        "ceiling_msgs_per_s": round(ceiling, 2), "share_of_ceiling": round(share, 3),
        "too_many_requests": too_many, "theoretical_min_s": round(t_min, 1),
        "time_vs_min": round(elapsed / t_min, 3) if t_min else None,
        "retried": stats.retried, "failed": stats.failed,
        "goal": f"≥ {GOAL_SHARE:.0%} of the ceiling with 0 × 429", "met": share >= GOAL_SHARE and too_many == 0,
    }]


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
