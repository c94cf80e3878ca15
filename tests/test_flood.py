"""The flood budget shared by dispatcher processes through PostgreSQL (jobs.flood).

First the bookkeeping: whatever the number of concurrent reservers, the slots handed out respect the
overall limit, each group's burst-then-rate limit and each private chat's spacing. Then for real: two
senders, each on its own event loop and its own connections, send as fast as the budget lets them to a
fake Bot API that enforces Telegram's limits — and get no 429. The same two senders, each with a budget
of its own (as two processes with in-memory limiters would be), get 429s: that is what the shared budget
is for.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
import pytest

from dondoc.settings import load_settings
from jobs.flood import OVERALL, Limit, SharedFloodLimits
from storage.db import make_engine
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.postgres

GROUPS = [str(-1000000000 - i) for i in range(6)]
PRIVATES = [str(7000 + i) for i in range(6)]


def _settings(url: str, **fast):
    return load_settings(environ={}, dotenv_path=None, database_url=url, **fast)


# Ten times Telegram's limits: the same arithmetic, a tenth of the waiting.
FAST = dict(rate_overall_per_second=300, rate_group_per_minute=200, rate_private_per_second=10)


def _conforms(times: list, interval: float, burst: int) -> None:
    """At most `burst + L / interval` slots in any stretch of length L (what the receiving bucket allows)."""
    times = sorted(times)
    for i in range(len(times)):
        for j in range(i, len(times)):
            span = (times[j] - times[i]).total_seconds()
            assert j - i + 1 <= burst + span / interval + 1e-6, (
                f"{j - i + 1} slots within {span:.3f}s (interval {interval}s, burst {burst})")


def test_concurrent_reservations_respect_every_limit(pg_url):
    limits = [SharedFloodLimits(make_engine(pg_url), _settings(pg_url, **FAST), max_wait=3600) for _ in range(4)]
    for f in limits:
        f.group = Limit(0.105, 5)  # a small burst, so that 20 messages per group go past it
    slots: dict[str, list] = defaultdict(list)
    lock = threading.Lock()
    errors: list[BaseException] = []
    refused = defaultdict(int)

    def reserver(n: int, flood: SharedFloodLimits) -> None:
        try:
            for k in range(60):
                chat = (GROUPS + PRIVATES)[(n * 7 + k) % 12]
                while True:
                    r = flood.reserve(chat)
                    if r.taken:
                        break
                    refused[r.blocked_by] += 1
                    time.sleep(min(r.wait, 0.05))
                flood.sent(chat)
                with lock:
                    slots[chat].append(r.at)
                    slots[OVERALL].append(r.at)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=reserver, args=(n, f)) for n, f in enumerate(limits)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for f in limits:
        f.engine.dispose()
    assert not errors, errors
    flood = limits[0]
    assert len(slots[OVERALL]) == 240
    assert refused["chat"] > 0  # the chats' own limits did bind: the checks below are not vacuous
    overall = sorted(slots[OVERALL])
    gaps = [(b - a).total_seconds() for a, b in zip(overall, overall[1:])]
    assert min(gaps) >= flood.overall.interval - 1e-6  # no two messages closer than the overall interval
    for chat in PRIVATES:
        _conforms(slots[chat], flood.private.interval, 1)
    for chat in GROUPS:
        _conforms(slots[chat], flood.group.interval, flood.group.burst)
        ordered = sorted(slots[chat])
        # A group may get half its per-minute allowance at once, no more.
        assert (ordered[flood.group.burst] - ordered[0]).total_seconds() >= flood.group.interval - 1e-6


def test_a_chat_that_must_wait_does_not_hold_back_the_others(pg_url):
    flood = SharedFloodLimits(make_engine(pg_url), _settings(pg_url), max_wait=2)
    try:
        first = flood.reserve(PRIVATES[0])
        assert first.taken and first.wait < 0.1
        again = flood.reserve(PRIVATES[0])  # a private chat: one message per 1.1 s
        assert not again.taken and again.blocked_by == "chat"
        assert abs((again.at - first.at).total_seconds() - flood.private.interval) < 0.01
        other = flood.reserve(GROUPS[0])  # meanwhile another chat goes at once
        assert other.taken and other.wait < 0.1
        time.sleep(again.wait)
        assert flood.reserve(PRIVATES[0]).taken
    finally:
        flood.engine.dispose()


def test_no_slot_is_taken_further_than_max_wait_ahead(pg_url):
    flood = SharedFloodLimits(make_engine(pg_url), _settings(pg_url), max_wait=0.3)
    try:
        taken = []
        for chat in (str(9000 + i) for i in range(40)):  # 40 different chats at once: only the overall limit binds
            r = flood.reserve(chat)
            if not r.taken:
                break
            taken.append(r)
        assert r.blocked_by == "overall" and r.wait > 0.3
        assert 0.3 / flood.overall.interval - 2 <= len(taken) <= 0.3 / flood.overall.interval + 2
        assert all(t.wait <= 0.3 for t in taken)
        # Refusing took nothing: the refused slot is the one right after the last taken.
        assert abs((r.at - taken[-1].at).total_seconds() - flood.overall.interval) < 0.005
    finally:
        flood.engine.dispose()


def test_after_send_pushes_a_private_chats_next_slot(pg_url):
    flood = SharedFloodLimits(make_engine(pg_url), _settings(pg_url), max_wait=10)
    try:
        first = flood.reserve(PRIVATES[1])
        time.sleep(0.3)  # the answer came 0.3 s after the slot: the next one is 1.1 s after the answer
        flood.sent(PRIVATES[1])
        nxt = flood.reserve(PRIVATES[1])
        assert not nxt.taken and (nxt.at - first.at).total_seconds() >= flood.private.interval + 0.29
        g = flood.reserve(GROUPS[1])
        flood.sent(GROUPS[1])  # groups keep their burst
        assert g.taken and flood.reserve(GROUPS[1]).taken
    finally:
        flood.engine.dispose()


def _sender(url: str, base_url: str, messages: list[tuple[str, str]], results: list, start: threading.Event) -> None:
    import httpx

    async def main() -> None:
        engine = make_engine(url)
        flood = SharedFloodLimits(engine, _settings(url))
        by_chat: dict[str, list[str]] = defaultdict(list)
        for chat, text in messages:
            by_chat[chat].append(text)
        async with httpx.AsyncClient(timeout=30) as client:
            async def serve(chat: str, texts: list[str]) -> None:
                for text in texts:  # one chat's messages in order, as the dispatcher sends them
                    await flood.wait(chat)
                    r = await client.post(f"{base_url}/sendMessage", json={"chat_id": int(chat), "text": text})
                    results.append(r.status_code)
                    await flood.after_send(chat)

            start.wait(10)
            await asyncio.gather(*(serve(c, t) for c, t in by_chat.items()))
        engine.dispose()

    asyncio.run(main())


def _two_senders(urls: tuple[str, str]) -> tuple[FakeTelegram, list[int]]:
    # 10 messages to each group (within its burst), 5 to each private chat: only the overall limit and the
    # private spacing bind, as in a morning's reminders.
    messages = [(g, f"nhắc việc {g} #{k}") for g in GROUPS for k in range(10)]
    messages += [(p, f"nhắc việc {p} #{k}") for p in PRIVATES for k in range(5)]
    halves = (messages[0::2], messages[1::2])  # the same chats served by both senders, as after a takeover
    results: list[int] = []
    start = threading.Event()
    with FakeTelegram.in_thread(enforce_limits=True) as tg:
        base = f"{tg.base_url}{tg.token}"
        threads = [threading.Thread(target=_sender, args=(urls[i], base, halves[i], results, start)) for i in range(2)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join(120)
    return tg, results


@pytest.mark.slow
def test_two_senders_sharing_the_budget_get_no_429(pg_url):
    tg, results = _two_senders((pg_url, pg_url))
    assert len(results) == 90
    assert tg.too_many_requests == 0, f"{tg.too_many_requests} × 429"
    assert len(tg.sent) == 90 and set(results) == {200}


@pytest.mark.slow
def test_two_senders_each_with_its_own_budget_are_too_fast(postgres_server, pg_url):
    """The counterfactual: budgets that are not shared (two databases here; two in-memory limiters in
    real life) let through twice the overall rate, and Telegram answers 429."""
    other = postgres_server.create_database(template=postgres_server.migrated_template())
    try:
        tg, results = _two_senders((pg_url, other))
    finally:
        postgres_server.drop_database(other)
    assert tg.too_many_requests > 0


def test_a_process_held_up_past_its_slot_takes_a_fresh_one(pg_url, monkeypatch):
    """A dispatcher starved of the CPU wakes after its slot: sending then would land beside the slots others
    took since — a burst. It lets the slot go and takes another; on time, one slot is enough."""
    import jobs.flood as flood_module
    from jobs.flood import LATE_SLOT, Reservation

    flood = SharedFloodLimits(make_engine(pg_url), _settings(pg_url))
    taken: list[str] = []

    def reserve(chat_id):
        taken.append(chat_id)
        return Reservation(True, 0.05, None)

    real_sleep = asyncio.sleep
    stalls = [LATE_SLOT + 0.2]  # the first wake-up comes that late (a blocking pause, as a starved process has)

    async def sleep(seconds):
        await real_sleep(seconds)
        if stalls:
            time.sleep(stalls.pop())

    monkeypatch.setattr(flood, "reserve", reserve)
    monkeypatch.setattr(flood_module.asyncio, "sleep", sleep)
    try:
        waited = asyncio.run(flood.wait(PRIVATES[2]))
        assert taken == [PRIVATES[2], PRIVATES[2]] and waited >= LATE_SLOT + 0.2
        taken.clear()
        asyncio.run(flood.wait(PRIVATES[3]))
        assert taken == [PRIVATES[3]]
    finally:
        flood.engine.dispose()
