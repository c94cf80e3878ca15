"""Issue 27: a Telegram group never gets more than RATE_GROUP_PER_MINUTE messages in any rolling minute.

Before, a group could take a burst (10 on the shared PostgreSQL budget, 20 in python-telegram-bot's
AIORateLimiter) and then the full rate on top of it: 29 (or 39) messages in the first minute. Now the burst
and the rate share the minute (jobs.flood.group_limit). Both limiters are driven here on a simulated clock, as
fast as they let messages through, and every rolling minute counted.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from core.settings import parse_settings
from jobs.flood import Limit, gcra, group_limit

PER_MINUTE = 20
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def most_in_a_minute(times: list[float]) -> int:
    """The largest number of sends inside any closed window of 60 s."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 60.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_the_shared_budget_gives_a_group_at_most_20_in_any_rolling_minute():
    limit = group_limit(PER_MINUTE)  # as SharedFloodLimits.group
    tat, now, sent = T0 - timedelta(days=1), T0, []
    while len(sent) < 100:  # 100 messages for one group, all due at T0: each sent as soon as allowed
        slot, new_tat = gcra(tat, now, limit)
        if slot is None:
            now = tat - limit.tolerance  # the limiter says when; the clock moves there
            continue
        sent.append((slot - T0).total_seconds())
        tat = new_tat
    assert most_in_a_minute(sent) <= PER_MINUTE
    assert most_in_a_minute(sent[:PER_MINUTE + 1]) <= PER_MINUTE  # the first minute too: no burst on top
    assert sent[PER_MINUTE // 2 - 1] == 0.0  # half the minute's share at once: a brief is not held back


def test_the_shared_budget_uses_that_limit():
    import sqlalchemy as sa

    from jobs.flood import SharedFloodLimits

    settings = parse_settings({"DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/x"})
    engine = sa.create_engine(settings.database_url)  # never connected: only its dialect is read
    flood = SharedFloodLimits(engine, settings)
    assert flood.group == group_limit(settings.rate_group_per_minute) and flood.limit_for("-1001") is flood.group


class _SimulatedLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock the test moves (aiolimiter reads the loop's time)."""

    now = 0.0

    def time(self) -> float:
        return self.now


def test_the_in_process_limiter_gives_a_group_at_most_20_in_any_rolling_minute():
    from bot.channels import TelegramChannel

    settings = parse_settings({"TELEGRAM_BOT_TOKEN": "123:abc"})
    bot = TelegramChannel(settings)._build_bot()
    loop = _SimulatedLoop()
    try:
        async def drive() -> list[float]:
            limiter = bot.rate_limiter._get_group_limiter(-1001)  # what AIORateLimiter uses for this group
            sent: list[float] = []
            while len(sent) < 100:
                if limiter.has_capacity():
                    await limiter.acquire()  # has capacity: takes it without waiting
                    sent.append(loop.now)
                else:
                    loop.now += 0.01
            return sent

        sent = loop.run_until_complete(drive())
    finally:
        loop.close()
    assert most_in_a_minute(sent) <= PER_MINUTE
    assert sent[PER_MINUTE // 2 - 1] == 0.0
