"""Large calendars are written by render processes (feeds.pool) while the server's thread reads the next
batches: what they write is byte for byte what the thread writes, a worker that dies costs nothing but time,
and the lean loader (feeds.loading) reads PostgreSQL's typed values as it reads SQLite's text."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from feeds import service
from feeds.pool import RenderPool
from storage.actions import Actor, decide_extension, mark_done, record_progress, request_extension
from storage.tables import Task
from tests.conftest import VN
from tests.factories import make_directive, make_task
from tests.test_ics import check_octets, read_vobject

ALICE = Actor("Nguyễn Thị A", "1001", "telegram")
BOSS = Actor("Trần Văn B", "2002", "telegram")
T0 = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
NOW = datetime(2018, 7, 2, 9, 0, tzinfo=VN)
AGENCIES = ["so-noi-vu", "so-tai-chinh", "so-tu-phap", "so-y-te"]


def fill(s: Session) -> None:
    """A registry with every kind of row the loader reads: once, recurring (a rule Outlook reads and one it
    cannot), continuous; coordinators, report-to, directives; progress, done, confirmed, pending and approved
    extensions, a period done."""
    d = make_directive(s, now=T0, subject="Triển khai cải cách hành chính năm 2018")
    d2 = make_directive(s, number="337/QĐ-UBND", now=T0, subject="Kế hoạch kiểm soát thủ tục hành chính")
    texts = ["trước ngày 14/6/2018", "định kỳ hàng quý", "Thường xuyên", "trước ngày 30/6/2018",
             "định kỳ 6 tháng", "ngày 30 hằng tháng", "trước ngày 20/7/2018", "Quý III/2018"]
    for i in range(40):
        make_task(s, key=f"K/{i}", deadline_text=texts[i % len(texts)], now=T0 + timedelta(minutes=i),
                  directive=d if i % 3 else d2, lead=AGENCIES[i % len(AGENCIES)], position=i,
                  content=f"Nhiệm vụ số {i}: rà soát, đánh giá và báo cáo kết quả; lập danh mục thủ tục",
                  coordinators=[AGENCIES[(i + 1) % len(AGENCIES)]] if i % 2 else [],
                  report_to="so-noi-vu" if i % 5 == 0 else None)
    s.commit()
    by_key = {t.key: t for t in s.exec(select(Task))}
    record_progress(s, by_key["K/0"], "once", 40, "Đang tổng hợp", ALICE, T0 + timedelta(days=2))
    mark_done(s, by_key["K/3"], "once", ALICE, datetime(2018, 6, 20, 10, tzinfo=VN))
    mark_done(s, by_key["K/11"], "once", ALICE, datetime(2018, 6, 28, 10, tzinfo=VN), needs_confirmation=True)
    request_extension(s, by_key["K/6"], "once", date(2018, 8, 10), "Chờ ý kiến", ALICE, T0 + timedelta(days=3))
    ext = request_extension(s, by_key["K/14"], "once", date(2018, 8, 31), "Số liệu chưa đủ", ALICE,
                            T0 + timedelta(days=3))
    decide_extension(s, ext, True, BOSS, T0 + timedelta(days=4))
    mark_done(s, by_key["K/1"], "2018-06-30", ALICE, datetime(2018, 6, 29, 10, tzinfo=VN))
    record_progress(s, by_key["K/9"], "2018-06-30", 80, None, ALICE, T0 + timedelta(days=5))
    s.commit()


def render_all(session: Session, settings, pool=None) -> dict:
    """Every kind of calendar, 3 tasks a batch (so there are many batches)."""
    out = {}
    for scope in (service.scope_for_oversight(), service.scope_for_agency("so-noi-vu"),
                  service.scope_for_agency("so-tai-chinh")):
        for todo in (False, True):
            service._memo.clear()  # written, not remembered
            out[(scope.key, todo)] = b"".join(service.iter_scope(session, scope, settings, NOW, todo=todo,
                                                                 batch=3, pool=pool))
    return out


@pytest.fixture
def settings(settings):
    return replace(settings, feed_base_url="https://lich.example.gov.vn")


@pytest.fixture
def pool():
    p = RenderPool(2)
    yield p
    p.close()


def test_render_processes_write_what_the_thread_writes(engine, settings, pool):
    with Session(engine) as s:
        fill(s)
        alone = render_all(s, settings)
        pool.warm()
        sent, submit = [], pool.submit
        pool.submit = lambda *a: sent.append(a[2].ids) or submit(*a)
        pooled = render_all(s, settings, pool)
    assert pooled == alone
    assert len(sent) > 20  # the batches went to the workers (3 tasks each), not the thread
    for data in alone.values():
        check_octets(data)
    cal = read_vobject(alone[("oversight:::", False)])
    assert len(cal.vevent_list) > 40  # recurring masters, their periods, the once tasks
    assert "Đang tổng hợp" in alone[("oversight:::", False)].decode().replace("\r\n ", "")


def test_a_render_process_that_dies_costs_only_time(engine, settings, pool, caplog):
    with Session(engine) as s:
        fill(s)
        alone = render_all(s, settings)
        first = pool.warm()
        os.kill(first[0], signal.SIGKILL)  # e.g. the OOM killer
        assert render_all(s, settings, pool) == alone  # the batches it had are written by the thread
        assert render_all(s, settings, pool) == alone  # and the next calendars by new workers
    assert any("render process stopped" in r.getMessage() for r in caplog.records)
    assert pool.worker_pids() and first[0] not in pool.worker_pids()


def test_postgresql_gives_the_calendar_sqlite_gives(engine, settings, pg_engine, pg_settings):
    """The loader reads raw driver values (text dates on SQLite, typed ones on PostgreSQL) and its batch
    parameter differs by dialect (json_each / ANY): the same registry makes the same bytes on both."""
    with Session(engine) as s:
        fill(s)
        lite = render_all(s, settings)
    with Session(pg_engine) as s:
        fill(s)
        pg = render_all(s, replace(pg_settings, feed_base_url=settings.feed_base_url))
    assert pg == lite


def test_feed_render_processes_setting(monkeypatch):
    from core.settings import SettingsError
    from dondoc.settings import load_settings
    from feeds import pool as pool_module
    from web.feeds import POOL_KEY, make_app

    assert load_settings(environ={}, dotenv_path=None).feed_render_processes is None  # auto
    assert load_settings(environ={"FEED_RENDER_PROCESSES": "0"}, dotenv_path=None).feed_render_processes == 0
    assert load_settings(environ={"FEED_RENDER_PROCESSES": "3"}, dotenv_path=None).feed_render_processes == 3
    with pytest.raises(SettingsError, match="FEED_RENDER_PROCESSES") as err:
        load_settings(environ={"FEED_RENDER_PROCESSES": "many", "LANGUAGE": "en"}, dotenv_path=None)
    assert "auto, or a whole number from 0 to 64" in str(err.value)
    # auto: one per core, at most 4, none on one core
    monkeypatch.setattr(pool_module.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert pool_module.auto_processes() == 4
    monkeypatch.setattr(pool_module.os, "sched_getaffinity", lambda pid: {0})
    assert pool_module.auto_processes() == 0
    s = load_settings(environ={}, dotenv_path=None)
    assert make_app(s, None, None)[POOL_KEY] is None  # one core: the server's thread writes every feed
    assert make_app(replace(s, feed_render_processes=2), None, None)[POOL_KEY].processes == 2


def test_render_processes_do_not_outlive_a_killed_server(tmp_path):
    """The OOM killer or `kill -9` takes the server: its render processes (and their forkserver) go too,
    within a few seconds, instead of lingering with their memory."""
    import subprocess
    import sys
    import time

    script = tmp_path / "server.py"
    script.write_text("import sys, time\n"
                      "from feeds.pool import RenderPool\n"
                      "if __name__ == '__main__':\n"
                      "    pool = RenderPool(2)\n"
                      "    pool.warm()\n"
                      "    print(*pool.worker_pids(), flush=True)\n"
                      "    time.sleep(120)\n")
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        workers = [int(p) for p in server.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(p) for p in workers)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)  # the workers check every second (feeds.pool.WATCH_SECONDS)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone, not yet reaped
    except OSError:
        return False
