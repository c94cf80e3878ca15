"""The feed server over real HTTP on 127.0.0.1: 200 → 304 → 200 with a higher SEQUENCE after a change →
404 after revoke → 404 for a made-up token; HEAD, gzip, If-Modified-Since and /healthz."""

from __future__ import annotations

import gzip
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp
import pytest
from sqlmodel import Session, select

from storage import feed_tokens as tokens
from web.feeds import start_feed_server
from storage.actions import Actor, record_progress
from storage.tables import FeedToken, Task
from tests.conftest import VN
from tests.factories import make_task
from tests.test_ics import check_octets, read_vobject

ADMIN = Actor("admin", None, "cli")
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture
def settings(settings):
    """The feeds published as https://lich.example.gov.vn: UIDs end in @lich.example.gov.vn (FEED_UID_DOMAIN's
    default, the host of FEED_BASE_URL)."""
    from dataclasses import replace as _replace

    return _replace(settings, feed_base_url="https://lich.example.gov.vn")


@pytest.fixture
async def server(engine, settings, clock):
    with Session(engine, expire_on_commit=False) as s:
        now = clock.now()
        make_task(s, key="5099/1", deadline_text="trước ngày 14/6/2018", now=now, content="Rà soát thủ tục hành chính")
        make_task(s, key="5099/2", deadline_text="định kỳ hàng quý", now=now, content="Báo cáo quý", position=1)
        make_task(s, key="5099/9", deadline_text="trước ngày 14/6/2018", now=now, lead="so-tai-chinh", position=2)
        token = tokens.issue_token(s, "agency", agency="so-noi-vu", actor=ADMIN, now=now)
        s.commit()
    runner = await start_feed_server(replace(settings, feed_bind="127.0.0.1:0"), engine, clock)
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession(f"http://{host}:{port}", auto_decompress=False) as http:
        yield http, token
    await runner.cleanup()


def sequence_of(body: bytes, uid: str) -> int:
    [ev] = [e for e in read_vobject(body).vevent_list if e.uid.value == uid]
    return int(ev.sequence.value)


async def test_subscription_lifecycle(server, engine, clock):
    http, token = server
    url = f"/feeds/{token}.ics"

    r = await http.get(url, headers=PLAIN)
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in r.headers
    etag, last_modified = r.headers["ETag"], r.headers["Last-Modified"]
    body = await r.read()
    check_octets(body)
    assert sequence_of(body, "5099%2F1@lich.example.gov.vn") == 0
    assert b"5099%2F9" not in body  # another agency's task

    # repeat with the validators → 304, no body
    r = await http.get(url, headers={**PLAIN, "If-None-Match": etag})
    assert r.status == 304 and await r.read() == b"" and r.headers["ETag"] == etag
    r = await http.get(url, headers={**PLAIN, "If-Modified-Since": last_modified})
    assert r.status == 304
    # a stale validator gets the calendar
    r = await http.get(url, headers={**PLAIN, "If-None-Match": 'W/"something-else"'})
    assert r.status == 200 and await r.read() == body

    # a task changes → a new ETag and a higher SEQUENCE
    clock.advance(minutes=10)
    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == "5099/1")).one()
        record_progress(s, t, "once", 50, "Đang tổng hợp", ADMIN, clock.now())
        s.commit()
    r = await http.get(url, headers={**PLAIN, "If-None-Match": etag})
    assert r.status == 200 and r.headers["ETag"] != etag
    changed = await r.read()
    assert sequence_of(changed, "5099%2F1@lich.example.gov.vn") > 0
    assert r.headers["Last-Modified"] != last_modified

    # revoked → 404
    with Session(engine) as s:
        assert len(tokens.revoke(s, token=token, actor=ADMIN, now=clock.now())) == 1
        s.commit()
    r = await http.get(url, headers=PLAIN)
    assert r.status == 404
    revoked_body = await r.read()

    # made-up tokens, well-formed or not → the same 404
    for fake in (secrets.token_urlsafe(32), "x", "not-a-token!", "A" * 200, token[:-1] + ("A" if token[-1] != "A" else "B")):
        r = await http.get(f"/feeds/{fake}.ics", headers=PLAIN)
        assert r.status == 404 and await r.read() == revoked_body


async def test_head_gzip_todo_and_health(server):
    http, token = server
    r = await http.head(f"/feeds/{token}.ics", headers=PLAIN)  # cold: nothing rendered yet
    assert r.status == 200 and r.headers["ETag"].startswith('W/"') and await r.read() == b""
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    head_length = int(r.headers["Content-Length"])

    plain = await (await http.get(f"/feeds/{token}.ics", headers=PLAIN)).read()
    assert head_length == len(plain) > 0
    r = await http.head(f"/feeds/{token}.ics", headers={"Accept-Encoding": "gzip"})
    head_gz_length = int(r.headers["Content-Length"])
    assert r.headers["Content-Encoding"] == "gzip"
    r = await http.get(f"/feeds/{token}.ics", headers={"Accept-Encoding": "gzip, deflate"})
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers["Vary"]
    zipped = await r.read()
    assert gzip.decompress(zipped) == plain and len(zipped) < len(plain)
    assert len(zipped) == head_gz_length
    r = await http.get(f"/feeds/{token}.ics", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in r.headers

    r = await http.get(f"/feeds/{token}.todo.ics", headers=PLAIN)
    assert r.status == 200
    todos = read_vobject(await r.read()).vtodo_list
    assert {t.uid.value for t in todos} == {"5099%2F1-once@lich.example.gov.vn", "5099%2F2-2018-06-30@lich.example.gov.vn"}

    r = await http.get("/healthz")
    assert r.status == 200 and (await r.json())["status"] == "ok"
    assert (await http.get("/feeds/")).status == 404


async def test_the_next_day_is_a_new_calendar(server, clock):
    http, token = server
    r = await http.get(f"/feeds/{token}.ics", headers=PLAIN)
    etag = r.headers["ETag"]
    [ev] = [e for e in read_vobject(await r.read()).vevent_list if e.uid.value == "5099%2F1@lich.example.gov.vn"]
    assert hasattr(ev, "valarm")  # 7 days before 14/6, at 08:00: still ahead on 23/5
    clock.set(datetime(2018, 6, 13, 9, 0, tzinfo=VN))  # that alarm (7/6) has passed
    r = await http.get(f"/feeds/{token}.ics", headers={**PLAIN, "If-None-Match": etag})
    assert r.status == 200
    [ev] = [e for e in read_vobject(await r.read()).vevent_list if e.uid.value == "5099%2F1@lich.example.gov.vn"]
    assert not hasattr(ev, "valarm")  # no "missed reminder" on subscription
    clock.advance(timedelta(hours=1))
    r2 = await http.get(f"/feeds/{token}.ics", headers={**PLAIN, "If-None-Match": r.headers["ETag"]})
    assert r2.status == 304


async def test_a_chat_feed_url_dies_with_its_link_and_stays_dead(server, engine, clock):
    """Hardening 7: a chat unlinked and linked again (by invite, as the bot does) must not get its old feed
    URLs back; the re-linked chat gets a new URL that works."""
    from bot.invites import create_invite, redeem_invite
    from storage.tables import ChatBinding
    from tests.factories import make_binding

    http, _ = server
    with Session(engine) as s:
        b = make_binding(s, chat_id=-100, now=clock.now())
        old = tokens.issue_token(s, "binding", agency=b.agency, binding_id=b.id, actor=ADMIN, now=clock.now())
        s.commit()
        bid = b.id
    assert (await http.get(f"/feeds/{old}.ics", headers=PLAIN)).status == 200

    clock.advance(minutes=5)
    with Session(engine) as s:  # unlinked (the bot was removed, `dondoc unlink`, …)
        b = s.get(ChatBinding, bid)
        b.active, b.updated_at = False, clock.now()
        s.add(b)
        s.commit()
    assert (await http.get(f"/feeds/{old}.ics", headers=PLAIN)).status == 404

    clock.advance(minutes=5)
    with Session(engine) as s:  # linked again with an invite: the same binding row becomes active again
        code, _ = create_invite(s, "so-noi-vu", "focal", ADMIN, clock.now())
        r = redeem_invite(s, code, platform="telegram", chat_id="-100", title=None, actor=ADMIN, now=clock.now())
        assert r.binding.id == bid and r.binding.active
        new = tokens.issue_token(s, "binding", agency="so-noi-vu", binding_id=bid, actor=ADMIN, now=clock.now())
        s.commit()
        revoked = s.exec(select(FeedToken).where(FeedToken.binding_id == bid, FeedToken.revoked_at.is_not(None))).all()
        assert len(revoked) == 1  # the old one, revoked when the chat was unlinked
    assert (await http.get(f"/feeds/{old}.ics", headers=PLAIN)).status == 404
    assert (await http.get(f"/feeds/{old}.todo.ics", headers=PLAIN)).status == 404
    assert (await http.get(f"/feeds/{new}.ics", headers=PLAIN)).status == 200


async def test_a_token_revived_behind_the_listeners_back_is_still_refused(server, engine, clock):
    """Even when a token row is un-revoked and its binding re-linked with a bulk UPDATE (no session event), a
    token older than the binding's current link is refused."""
    import sqlalchemy as sa

    from storage.tables import ChatBinding
    from tests.factories import make_binding

    http, _ = server
    with Session(engine) as s:
        b = make_binding(s, chat_id=-300, now=clock.now())
        old = tokens.issue_token(s, "binding", agency=b.agency, binding_id=b.id, actor=ADMIN, now=clock.now())
        s.commit()
        bid = b.id
    assert (await http.get(f"/feeds/{old}.ics", headers=PLAIN)).status == 200
    clock.advance(minutes=5)
    with Session(engine) as s:  # `dondoc link` re-links by resetting created_at, as a new link
        s.execute(sa.update(ChatBinding).where(ChatBinding.id == bid).values(created_at=clock.now()))
        s.execute(sa.update(FeedToken).values(revoked_at=None))
        s.commit()
    assert (await http.get(f"/feeds/{old}.ics", headers=PLAIN)).status == 404


async def test_if_modified_since_alone_sees_a_task_leave_the_feed(server, engine, clock):
    """Hardening 10: a task moved to another lead agency leaves this agency's feed; a client that sends only
    If-Modified-Since must get the new calendar, not a 304 (the task's own change time is no longer among the
    feed's tasks)."""
    http, token = server
    url = f"/feeds/{token}.ics"
    r = await http.get(url, headers=PLAIN)
    last_modified = r.headers["Last-Modified"]
    assert b"5099%2F1@" in await r.read()

    clock.advance(hours=2)
    with Session(engine) as s:  # a re-import gives the task to another lead agency (as storage.registry does)
        t = s.exec(select(Task).where(Task.key == "5099/1")).one()
        t.lead_agency, t.sequence, t.updated_at = "so-tai-chinh", t.sequence + 1, clock.now()
        s.add(t)
        s.commit()
    r = await http.get(url, headers={**PLAIN, "If-Modified-Since": last_modified})
    assert r.status == 200
    assert b"5099%2F1@" not in await r.read()
    r2 = await http.get(url, headers={**PLAIN, "If-Modified-Since": r.headers["Last-Modified"]})
    assert r2.status == 304


async def test_a_feed_larger_than_a_batch_streams_whole_and_the_cache_gives_the_same_bytes(server, engine, clock,
                                                                                          monkeypatch):
    from feeds import service

    monkeypatch.setattr(service, "BATCH", 2)
    http, token = server
    with Session(engine) as s:
        for i in range(7):
            make_task(s, key=f"B/{i}", deadline_text=f"trước ngày {10 + i}/7/2018", now=clock.now(), position=10 + i)
        s.commit()
    first = await http.get(f"/feeds/{token}.ics", headers=PLAIN)
    assert "Content-Length" not in first.headers  # streamed as rendered
    body = await first.read()
    check_octets(body)
    assert len(read_vobject(body).vevent_list) == 3 + 7  # 5099/1, 5099/2 (master and its next period), B/0..6
    again = await http.get(f"/feeds/{token}.ics", headers=PLAIN)  # from the cache: same bytes, known length
    assert await again.read() == body and int(again.headers["Content-Length"]) == len(body)
    zipped = await (await http.get(f"/feeds/{token}.ics", headers={"Accept-Encoding": "gzip"})).read()
    assert gzip.decompress(zipped) == body


async def test_the_validator_is_kept_until_the_audit_log_moves_or_thirty_seconds_pass(server, engine, clock):
    """feed_state scans every task of a feed, so the server keeps it per feed — but an action (which writes an
    audit entry) shows at once, and a change written behind the audit log's back within STATE_TTL."""
    from web.feeds import STATE_TTL

    http, token = server
    url = f"/feeds/{token}.ics"
    etag = (await http.get(url, headers=PLAIN)).headers["ETag"]
    with Session(engine) as s:  # an action: audited
        record_progress(s, s.exec(select(Task).where(Task.key == "5099/1")).one(), "once", 20, None, ADMIN,
                        clock.now())
        s.commit()
    r = await http.get(url, headers={**PLAIN, "If-None-Match": etag})
    assert r.status == 200
    etag = r.headers["ETag"]
    with Session(engine) as s:  # behind the audit log's back (a hand-made SQL fix, say)
        t = s.exec(select(Task).where(Task.key == "5099/1")).one()
        t.content, t.sequence, t.updated_at = "Rà soát lại", t.sequence + 1, clock.now()
        s.add(t)
        s.commit()
    assert (await http.get(url, headers={**PLAIN, "If-None-Match": etag})).status == 304  # kept a little while
    clock.advance(STATE_TTL)
    r = await http.get(url, headers={**PLAIN, "If-None-Match": etag})
    assert r.status == 200 and "Rà soát lại" in (await r.read()).decode()


async def test_a_client_that_stops_reading_is_cut_off_and_the_feed_still_serves_others(engine, settings, clock,
                                                                                       monkeypatch, caplog):
    """A calendar app that opens a feed and stops reading must not hold a render thread for ever: after
    WRITE_TIMEOUT (60 s; half a second here) without accepting a piece, the server closes the connection, and
    the next client gets the whole feed."""
    import asyncio
    import logging
    import socket

    from aiohttp import web

    from web import feeds as feed_server

    monkeypatch.setattr(feed_server, "WRITE_TIMEOUT", 0.5)
    with Session(engine) as s:
        for i in range(200):  # ~180 KB of calendar: more than the socket buffers and aiohttp's write buffer
            make_task(s, key=f"S/{i}", deadline_text=f"trước ngày {1 + i % 28}/7/2018", now=clock.now(), position=i)
        token = tokens.issue_token(s, "agency", agency="so-noi-vu", actor=ADMIN, now=clock.now())
        s.commit()
    # Small kernel buffers on both ends, so a client that does not read is felt after a few kilobytes.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # accepted connections inherit it
    listener.bind(("127.0.0.1", 0))
    runner = web.AppRunner(feed_server.make_app(replace(settings, feed_render_processes=0), engine, clock))
    await runner.setup()
    await web.SockSite(runner, listener).start()
    port = listener.getsockname()[1]
    caplog.set_level(logging.INFO, logger="web.feeds")
    try:
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.setblocking(False)
        await asyncio.get_running_loop().sock_connect(stalled, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=stalled, limit=1024)  # reads ~2 KB, then pauses
        writer.write(f"GET /feeds/{token}.ics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n".encode())
        for _ in range(200):  # the cut-off is real time: wait for it (at most 20 s)
            if any("stopped reading" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
        assert any("stopped reading a feed for 0.5 s" in r.getMessage() for r in caplog.records)
        received = await asyncio.wait_for(reader.read(), 10)  # what was in the buffers, then the server's close
        writer.close()

        async with aiohttp.ClientSession() as http:  # another client is served whole
            r = await http.get(f"http://127.0.0.1:{port}/feeds/{token}.ics", headers=PLAIN)
            body = await r.read()
        assert r.status == 200 and body.endswith(b"END:VCALENDAR\r\n")
        check_octets(body)
        assert len(read_vobject(body).vevent_list) >= 200
        head, _, partial = received.partition(b"\r\n\r\n")  # the stalled client got a calendar cut short
        assert head.startswith(b"HTTP/1.1 200") and b"BEGIN:VEVENT" in partial
        assert b"END:VCALENDAR" not in partial and not partial.endswith(b"0\r\n\r\n")  # no end, no last chunk
    finally:
        await runner.cleanup()
