"""End to end: `dondoc run` as a subprocess delivers webhook events to a receiver on 127.0.0.1, is killed
with SIGKILL in the middle of delivering, and restarted: every event arrives, each with a valid signature, and
only a delivery in flight at the kill may arrive a second time — with its same delivery id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage import actions, api_tokens
from storage.api_tokens import WebhookDelivery
from storage.tables import Task
from tests.test_scheduler_e2e import free_port, log_of, wait_until
from tests.web_harness import seed
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SECRET = "e2e-webhook-secret"
EVENTS = 30


def start(tmp_path: Path, db_url: str, name: str, port: int | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CLOCK_"))}
    env.update({"DATABASE_URL": db_url, "SCHEDULER_TICK_SECONDS": "1", "CLAIM_TIMEOUT_SECONDS": "5",
                "FEED_BIND": f"127.0.0.1:{port or free_port()}", "FEED_RENDER_PROCESSES": "0", "LOG_LEVEL": "info",
                "PYTHONPATH": str(ROOT)})
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen([sys.executable, "-c", "from dondoc.cli import main; main()", "run"], cwd=tmp_path,
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def rows(engine) -> list[WebhookDelivery]:
    with Session(engine) as s:
        return list(s.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_sigkill_mid_delivery_then_restart_delivers_every_event(tmp_path, engine, db_url):
    now = datetime.now(timezone.utc)
    seed(engine)  # tasks of 2018; the events below happen now (the service runs on the real clock)
    with Receiver(SECRET, delay=0.25) as receiver:
        with Session(engine) as s:
            _, token = api_tokens.issue(s, name="IOC", scope="read", agencies=["so-noi-vu"], all_agencies=False,
                                        actor="test", now=now)
            api_tokens.subscribe(s, token, url=receiver.url, events=["task.changed"], now=now, secret=SECRET)
            t = s.exec(select(Task).where(Task.key == "5099-2")).one()
            for i in range(EVENTS):
                actions.record_progress(s, t, "once", i, None, actions.Actor("Chị Lan", "903", "telegram"), now)
            s.commit()

        port = free_port()
        first = start(tmp_path, db_url, "first", port)
        try:
            wait_until(lambda: len(receiver.received) >= 8, 60, first, "8 deliveries before the kill", tmp_path,
                       "first")
            # `dondoc run` serves the API on its one HTTP server, beside the feeds and the console.
            import httpx

            document = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10)
            assert document.status_code == 200 and document.json()["openapi"] == "3.1.0"
        finally:
            first.kill()
            first.wait(30)
        at_kill = Counter(r.delivery for r in receiver.received)
        claimed = {str(r.id) for r in rows(engine) if r.status == "claimed"}
        assert len(at_kill) < EVENTS, "the kill came after every event was delivered: not mid-delivery"
        assert claimed, "nothing was in flight at the kill"

        second = start(tmp_path, db_url, "second")
        try:
            wait_until(lambda: all(r.status == "sent" for r in rows(engine)) and len(rows(engine)) == EVENTS,
                       90, second, "every delivery sent", tmp_path, "second")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)

    made = rows(engine)
    assert len(made) == EVENTS  # one row per event: never doubled in the outbox
    got = Counter(r.delivery for r in receiver.received)
    assert set(got) == {str(r.id) for r in made}  # never lost
    assert all(r.verdict == "ok" for r in receiver.received), [r.verdict for r in receiver.received]
    twice = {d for d, n in got.items() if n > 1}
    assert twice <= claimed, f"sent twice though not in flight at the kill: {twice - claimed}"
    assert all(n <= 2 for n in got.values())
    percents = sorted(__import__("json").loads(r.body)["detail"]["percent"] for r in receiver.received
                      if got[r.delivery] == 1)
    assert len(percents) == EVENTS - len(twice)
    print(f"\nin flight at SIGKILL: {len(claimed)} claimed; delivered twice (same id): {len(twice)}; "
          f"log tail:\n{log_of(tmp_path, 'second')[-300:]}")
