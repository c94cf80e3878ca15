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

from feeds import tokens
from feeds.server import start_feed_server
from storage.actions import Actor, record_progress
from storage.tables import Task
from tests.conftest import VN
from tests.factories import make_task
from tests.test_ics import check_octets, read_vobject

ADMIN = Actor("admin", None, "cli")
PLAIN = {"Accept-Encoding": "identity"}


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
    assert sequence_of(body, "5099%2F1@dondoc") == 0
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
    assert sequence_of(changed, "5099%2F1@dondoc") > 0
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
    r = await http.head(f"/feeds/{token}.ics", headers=PLAIN)
    assert r.status == 200 and r.headers["ETag"].startswith('W/"') and await r.read() == b""
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"

    plain = await (await http.get(f"/feeds/{token}.ics", headers=PLAIN)).read()
    r = await http.get(f"/feeds/{token}.ics", headers={"Accept-Encoding": "gzip, deflate"})
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers["Vary"]
    zipped = await r.read()
    assert gzip.decompress(zipped) == plain and len(zipped) < len(plain)
    r = await http.get(f"/feeds/{token}.ics", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in r.headers

    r = await http.get(f"/feeds/{token}.todo.ics", headers=PLAIN)
    assert r.status == 200
    todos = read_vobject(await r.read()).vtodo_list
    assert {t.uid.value for t in todos} == {"5099%2F1-once@dondoc", "5099%2F2-2018-06-30@dondoc"}

    r = await http.get("/healthz")
    assert r.status == 200 and (await r.json())["status"] == "ok"
    assert (await http.get("/feeds/")).status == 404


async def test_the_next_day_is_a_new_calendar(server, clock):
    http, token = server
    r = await http.get(f"/feeds/{token}.ics", headers=PLAIN)
    etag = r.headers["ETag"]
    clock.set(datetime(2018, 6, 13, 9, 0, tzinfo=VN))  # 5099/1 is now due soon
    r = await http.get(f"/feeds/{token}.ics", headers={**PLAIN, "If-None-Match": etag})
    assert r.status == 200
    assert "sắp đến hạn" in [e for e in read_vobject(await r.read()).vevent_list
                             if e.uid.value == "5099%2F1@dondoc"][0].description.value
    clock.advance(timedelta(hours=1))
    r2 = await http.get(f"/feeds/{token}.ics", headers={**PLAIN, "If-None-Match": r.headers["ETag"]})
    assert r2.status == 304
