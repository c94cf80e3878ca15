"""Channels: the same outbox dispatched through the Zalo and e-mail channels, to the fake Zalo Bot API
(tests/fake_zalo.py, holding a quota of QUOTA messages per second and answering 429 "Quota exceeded" above
it) and a real SMTP server (aiosmtpd) on 127.0.0.1. The Telegram row is the `dispatch` benchmark's.

For each channel: messages per second, the 429s seen, and that every message arrived exactly once. Zalo's
ceiling is the quota (ZALO_RATE_PER_SECOND is set to it, so a good run sees no 429); e-mail has no
platform limit here: its figure is what one SMTP connection per message costs.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.data import VN

NOW = datetime(2024, 6, 3, 7, 30, tzinfo=VN).astimezone(timezone.utc)
N_FULL, N_QUICK = 600, 120
CHATS = 60
QUOTA = 10.0  # messages per second the fake Zalo accepts


def _populate(engine, platform: str, n: int, chats: int) -> list[str]:
    from storage.db import session_scope
    from storage.tables import Agency
    from tests.factories import make_binding, make_directive, make_task

    assigned = NOW - timedelta(minutes=1)
    ids = [f"zalo{i:04d}user" if platform == "zalo" else f"dau.moi{i}@don-vi-{i}.example.gov.vn" for i in range(chats)]
    with session_scope(engine) as s:
        d = make_directive(s, now=assigned)
        for i, chat in enumerate(ids):
            s.add(Agency(code=f"don-vi-{i}", name=f"Đơn vị số {i}"))
            make_binding(s, chat_id=chat, agency=f"don-vi-{i}", role="focal", platform=platform,
                         now=assigned - timedelta(days=1))
        for j in range(n):
            make_task(s, key=f"N-{j}", deadline_text="trước ngày 30/9/2024", now=assigned, directive=d,
                      lead=f"don-vi-{j % chats}", content="Rà soát, đơn giản hóa thủ tục hành chính")
    return ids


async def _dispatch(engine, settings, channel) -> tuple[float, int]:
    from core.clock import FixedClock
    from jobs import outbox
    from dondoc.wiring import make_scheduler as Scheduler

    scheduler = Scheduler(engine, settings, FixedClock(NOW), {channel.platform: channel})
    t0 = time.perf_counter()
    while True:
        await scheduler.tick()
        counts = await asyncio.to_thread(outbox.counts, engine)
        if not counts.get("pending") and not counts.get("claimed"):
            break
        await asyncio.sleep(0.2)
    return time.perf_counter() - t0, outbox.counts(engine).get("sent", 0)


def _one(platform: str, n: int) -> dict:
    from core.clock import FixedClock
    from dondoc.settings import load_settings
    from storage.db import make_engine, upgrade
    from tests.fake_zalo import FakeZalo
    from tests.smtp_server import SmtpServer

    with tempfile.TemporaryDirectory(prefix=f"dondoc-bench-{platform}-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'channels.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            _populate(engine, platform, n, CHATS)
            if platform == "zalo":
                from bot.zalo import ZaloChannel

                with FakeZalo.in_thread(quota_per_second=QUOTA) as fake:
                    settings = load_settings(environ={}, dotenv_path=None, database_url=url, zalo_bot_token=fake.token,
                                             zalo_base_url=fake.base_url, zalo_rate_per_second=QUOTA)
                    channel = ZaloChannel(settings)
                    elapsed, sent = asyncio.run(_dispatch(engine, settings, channel))
                    arrived, refused = len(fake.sent), fake.quota_exceeded
                    distinct = len({(m["chat_id"], m["text"]) for m in fake.sent})
                ceiling = QUOTA
            else:
                from bot.email import EmailChannel

                with SmtpServer() as smtp:
                    settings = load_settings(environ={}, dotenv_path=None, database_url=url, smtp_host="127.0.0.1",
                                             smtp_port=smtp.port, smtp_security="none",
                                             mail_from="dondoc@bench.example.gov.vn")
                    channel = EmailChannel(settings, engine=engine, clock=FixedClock(NOW))
                    elapsed, sent = asyncio.run(_dispatch(engine, settings, channel))
                    smtp.wait_for(n)
                    arrived, refused = len(smtp.envelopes), 0
                    distinct = len({m["Message-ID"] for m in smtp.messages})
                ceiling = None
        finally:
            engine.dispose()
    if not (sent == arrived == distinct == n):
        raise AssertionError(f"{platform}: not every message arrived exactly once: {sent} sent rows, "
                             f"{arrived} received, {distinct} distinct of {n}")
    return {"bench": "channels", "case": f"{n:,} notifications → {CHATS} {platform} chats",
            "notifications": n, "seconds": round(elapsed, 2), "msgs_per_s": round(n / elapsed, 2),
            "ceiling_msgs_per_s": ceiling, "too_many_requests": refused,
            "goal": "every message once, 0 × 429" if platform == "zalo" else "every message once",
            "met": refused == 0}


def run(quick: bool, log=print) -> list[dict]:
    n = N_QUICK if quick else N_FULL
    return [_one("zalo", n), _one("email", n)]


if __name__ == "__main__":  # pragma: no cover
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
