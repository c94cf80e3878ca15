"""Webhooks: events from the audit log into the outbox (once per event × subscription, only what the token
sees), delivered signed to a receiver on 127.0.0.1, retried with backoff, replays detectable by timestamp."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from jobs import webhooks
from storage import actions, api_tokens
from storage.api_tokens import WebhookDelivery
from storage.tables import Task
from tests.web_harness import NOW, seed
from tests.webhook_receiver import Receiver

SECRET = "s3cret-for-tests-only"
WRITER = actions.Actor("Chị Lan", "903", "telegram")


def subscribe(engine, url: str, events, *, agencies=(), all_agencies=False) -> int:
    with Session(engine) as s:
        _, token = api_tokens.issue(s, name="IOC", scope="read", agencies=list(agencies),
                                    all_agencies=all_agencies, actor="test", now=NOW)
        sub = api_tokens.subscribe(s, token, url=url, events=list(events), now=NOW, secret=SECRET)
        s.commit()
        return sub.id


def task(s: Session, key: str) -> Task:
    return s.exec(select(Task).where(Task.key == key)).one()


def deliveries(engine) -> list[WebhookDelivery]:
    with Session(engine) as s:
        return list(s.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_signature_and_replay():
    body = b'{"event":"task.done"}'
    ts = int(NOW.timestamp())
    sig = webhooks.sign(SECRET, ts, body)
    assert webhooks.verify(SECRET, str(ts), body, sig, NOW + timedelta(seconds=30)) == ts
    with pytest.raises(webhooks.SignatureError) as e:
        webhooks.verify(SECRET, str(ts), body + b" ", sig, NOW)
    assert e.value.code == "mismatch"
    with pytest.raises(webhooks.SignatureError) as e:  # the same delivery replayed ten minutes later
        webhooks.verify(SECRET, str(ts), body, sig, NOW + timedelta(minutes=10))
    assert e.value.code == "stale"
    with pytest.raises(webhooks.SignatureError) as e:  # a newer timestamp cannot be put on an old signature
        webhooks.verify(SECRET, str(ts + 600), body, sig, NOW + timedelta(minutes=10))
    assert e.value.code == "mismatch"
    assert webhooks.backoff(1) == timedelta(minutes=1) and webhooks.backoff(3) == timedelta(minutes=4)
    assert webhooks.backoff(30) == webhooks.MAX_WAIT


def test_events_become_one_delivery_each_and_only_what_the_token_sees(engine):
    seed(engine)
    mine = subscribe(engine, "http://127.0.0.1:9/hook", ["task.changed", "task.done", "extension.decided"],
                     agencies=["so-noi-vu"])
    health = subscribe(engine, "http://127.0.0.1:9/hook", ["task.done"], agencies=["so-y-te"])
    with Session(engine) as s:
        actions.record_progress(s, task(s, "5099-2"), "once", 30, None, WRITER, NOW)
        actions.mark_done(s, task(s, "5099-1"), "once", WRITER, NOW)
        actions.acknowledge(s, task(s, "5099-4"), "once", WRITER, NOW)  # Sở Y tế's: not for `mine`
        s.commit()
    with Session(engine) as s:
        from storage.tables import Extension

        e = s.exec(select(Extension)).first()
        actions.decide_extension(s, e, False, actions.Actor("VP", None, "web"), NOW)
        s.commit()
    assert webhooks.collect(engine, NOW) == 3
    assert webhooks.collect(engine, NOW) == 0  # read again (the cursor's margin): nothing made twice
    rows = deliveries(engine)
    assert [(r.subscription_id, r.event, r.payload["task"]["key"]) for r in rows] == [
        (mine, "task.changed", "5099-2"), (mine, "task.done", "5099-1"), (mine, "extension.decided", "5099-3")]
    assert rows[0].payload["detail"]["percent"] == 30 and rows[0].payload["by"]["source"] == "telegram"
    assert health not in {r.subscription_id for r in rows}  # Sở Y tế only acknowledged: not a subscribed event


def test_overdue_is_an_event_once_a_day_per_deadline(engine, settings):
    seed(engine)
    subscribe(engine, "http://127.0.0.1:9/hook", ["task.overdue"], agencies=["so-noi-vu"])
    lister = webhooks.overdue_lister(settings, webhooks.Webhooks(engine, settings, FixedClock(NOW)).calendar,
                                     NOW.date())
    assert webhooks.collect(engine, NOW, today=NOW.date(), overdue_items=lister) == 1  # 5099-1, due 14/6
    assert webhooks.collect(engine, NOW, today=NOW.date(), overdue_items=lister) == 0
    tomorrow = NOW.date() + timedelta(days=1)
    lister = webhooks.overdue_lister(settings, webhooks.Webhooks(engine, settings, FixedClock(NOW)).calendar,
                                     tomorrow)
    assert webhooks.collect(engine, NOW + timedelta(days=1), today=tomorrow, overdue_items=lister) == 0
    (row,) = deliveries(engine)
    assert row.event_key == "overdue:5099-1:once:2018-06-14" and row.payload["due_in_force"] == "2018-06-14"


async def test_delivered_signed_retried_with_backoff_then_sent_once(engine, settings):
    seed(engine)
    clock = FixedClock(NOW)
    with Receiver(SECRET, statuses=[503], now=clock.now) as receiver:
        subscribe(engine, receiver.url, ["task.changed"], agencies=["so-noi-vu"])
        with Session(engine) as s:
            actions.record_progress(s, task(s, "5099-2"), "once", 50, "Đã trình", WRITER, NOW)
            s.commit()
        hooks = webhooks.Webhooks(engine, settings, clock)
        try:
            assert await hooks.tick() == 0  # the receiver answered 503
            (row,) = deliveries(engine)
            assert row.status == "pending" and row.attempts == 1 and row.last_error == "HTTP 503"
            assert row.next_attempt_at == NOW + timedelta(minutes=1)
            assert await hooks.tick() == 0  # not due yet: nothing sent
            assert len(receiver.received) == 1
            clock.advance(minutes=1)
            assert await hooks.tick() == 1
            assert await hooks.tick() == 0  # sent: never again
        finally:
            await hooks.sender.close()
    first, second = receiver.received
    assert first.verdict == second.verdict == "ok"
    assert first.delivery == second.delivery == str(row.id)  # a retry keeps its delivery id …
    assert first.timestamp != second.timestamp  # … and is signed anew
    body = json.loads(second.body)
    assert body["event"] == "task.changed" and body["task"]["key"] == "5099-2" and body["detail"]["note"] == "Đã trình"
    (row,) = deliveries(engine)
    assert row.status == "sent" and row.attempts == 2
    # A captured delivery replayed later is told apart by its timestamp.
    with pytest.raises(webhooks.SignatureError) as e:
        webhooks.verify(SECRET, second.timestamp, second.body, second.signature, clock.now() + timedelta(hours=1))
    assert e.value.code == "stale"


async def test_gives_up_after_the_attempts_and_a_revoked_token_stops_its_webhooks(engine, db_url):
    from dondoc.settings import load_settings

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, webhook_max_attempts=2)
    seed(engine)
    clock = FixedClock(NOW)
    with Receiver(SECRET, statuses=[500, 500, 500], now=clock.now) as receiver:
        sub_id = subscribe(engine, receiver.url, ["task.changed"], agencies=["so-noi-vu"])
        with Session(engine) as s:
            actions.record_progress(s, task(s, "5099-2"), "once", 50, None, WRITER, NOW)
            s.commit()
        hooks = webhooks.Webhooks(engine, settings, clock)
        try:
            await hooks.tick()
            clock.advance(minutes=1)
            await hooks.tick()
            assert [r.status for r in deliveries(engine)] == ["failed"]
            with Session(engine) as s:
                sub = s.get(api_tokens.WebhookSubscription, sub_id)
                api_tokens.revoke(s, sub.token_id, actor="test", now=clock.now())
                actions.record_progress(s, task(s, "5099-2"), "once", 60, None, WRITER, clock.now())
                s.commit()
            clock.advance(minutes=10)
            await hooks.tick()
        finally:
            await hooks.sender.close()
    assert len(receiver.received) == 2 and len(deliveries(engine)) == 1


async def test_the_console_shows_webhooks_and_their_deliveries_to_administrators_only(engine, db_url):
    from dondoc.settings import load_settings
    from tests.web_harness import ADMIN, FOCAL, console

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))
    seed(engine)
    subscribe(engine, "http://127.0.0.1:9/hook", ["task.changed"], agencies=["so-noi-vu"])
    with Session(engine) as s:
        actions.record_progress(s, task(s, "5099-2"), "once", 50, None, WRITER, NOW)
        s.commit()
    webhooks.collect(engine, NOW)
    with Session(engine) as s:
        row = s.exec(select(WebhookDelivery)).one()
        row.attempts, row.last_error = 3, "ConnectError: refused"
        s.add(row)
        s.commit()
    clock = FixedClock(NOW)
    async with console(engine, settings, clock) as c:
        await c.sign_in(FOCAL)
        assert (await c.client.get("/web/integrations")).status == 404
    async with console(engine, settings, clock) as c:
        await c.sign_in(ADMIN)
        r = await c.client.get("/web/integrations")
        html = await r.text()
        assert r.status == 200 and "http://127.0.0.1:9/hook" in html and "ConnectError: refused" in html
        assert "IOC" in html and SECRET not in html


@pytest.mark.postgres
def test_on_postgresql_two_processes_claim_disjoint_deliveries_and_collect_once(pg_engine):
    """FOR UPDATE SKIP LOCKED on the outbox, the subscription's row lock on collecting: several dispatchers
    (threads here, each with its own connections) never claim one delivery twice nor make one event twice."""
    import threading

    seed(pg_engine)
    subscribe(pg_engine, "http://127.0.0.1:9/hook", ["task.changed"], all_agencies=True)
    with Session(pg_engine) as s:
        t = task(s, "5099-2")
        for i in range(60):
            actions.record_progress(s, t, "once", i, None, WRITER, NOW)
        s.commit()
    made, claimed, errors = [], [], []

    def work():
        try:
            made.append(webhooks.collect(pg_engine, NOW))
            while ids := webhooks.claim(pg_engine, NOW, limit=7):
                claimed.extend(ids)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert sum(made) == 60 and len(deliveries(pg_engine)) == 60
    assert len(claimed) == 60 and len(set(claimed)) == 60


def test_an_import_makes_task_created_events_for_the_agencies_a_token_sees(engine, monkeypatch, settings):
    from tests.conftest import cli_runner

    subscribe(engine, "http://127.0.0.1:9/hook", ["task.created"], agencies=["so-noi-vu"])
    run = cli_runner(monkeypatch, settings.database_url, NOW.isoformat())
    examples = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples"
    result = run("import", str(examples / "5099-UBND-HCC.yaml"))
    assert result.exit_code == 0, result.output
    webhooks.collect(engine, NOW)
    with Session(engine) as s:
        led = {t.key for t in s.exec(select(Task)) if webhooks.sees(
            api_tokens.ApiToken(name="x", token_hash="x", scope="read", agencies=["so-noi-vu"]), t)}
    rows = deliveries(engine)
    assert led and {r.payload["task"]["key"] for r in rows} == led and {r.event for r in rows} == {"task.created"}
    assert len(rows) == len(led)
