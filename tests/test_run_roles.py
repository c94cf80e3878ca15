"""`dondoc run --role all|bot|dispatcher|feeds`: one receiver per database, as many of the others as you like.

Each process here is the real `dondoc run` in a subprocess, talking to the fake Bot API on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.i18n import _
from core.settings import SETTING_NAMES
from storage.locks import RECEIVER_LOCK_KEY
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ROLES-TOKEN"


def _start(tmp_path: Path, name: str, db_url: str, role: str | None, fake: FakeTelegram | None = None, **extra):
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(DATABASE_URL=db_url, FEED_BIND="127.0.0.1:0", WEBHOOK_LISTEN="127.0.0.1:0", LOG_LEVEL="info",
               SCHEDULER_TICK_SECONDS="1", PYTHONPATH=str(ROOT), **extra)
    if fake is not None:
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake.base_url)
    argv = [sys.executable, "-c", "from dondoc.cli import main; main()", "run"] + (["--role", role] if role else [])
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)


def _log(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text(errors="replace")


def _wait_running(proc, tmp_path: Path, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "dondoc running" in _log(tmp_path, name):
            return
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited {proc.returncode}:\n{_log(tmp_path, name)[-3000:]}")
        time.sleep(0.1)
    raise AssertionError(f"{name} did not start:\n{_log(tmp_path, name)[-3000:]}")


def _stop(proc, sig=signal.SIGTERM, timeout: float = 30) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_sqlite_refuses_a_role_other_than_all(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    for role in ("bot", "dispatcher", "feeds"):
        p = _start(tmp_path, role, url, role)
        assert p.wait(60) == 2
        out = _log(tmp_path, role)
        refusal = _("--role {role}: SQLite serves one dondoc process, which runs everything (--role all, the default). "
                    "To split the bot, the dispatchers and the feeds over several processes, use PostgreSQL "
                    "(DATABASE_URL=postgresql+psycopg://…; see docs/deploy.md).", lang="vi", role=role)
        assert refusal in out and "PostgreSQL" in out and "Traceback" not in out


def test_sqlite_a_second_run_on_the_same_file_exits_2(tmp_path):
    from storage.db import upgrade

    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    upgrade(url)  # `dondoc run` starts only on a database that exists (issue 27)
    first = _start(tmp_path, "first", url, None)
    try:
        _wait_running(first, tmp_path, "first")
        second = _start(tmp_path, "second", url, "all", LANGUAGE="en")  # the wording below is English
        assert second.wait(60) == 2, _log(tmp_path, "second")
        assert "already running with this database" in _log(tmp_path, "second")
        assert f"pid {first.pid}" in _log(tmp_path, "second")
    finally:
        assert _stop(first) == 0, _log(tmp_path, "first")[-3000:]
    # The lock went with the process: a new one starts.
    third = _start(tmp_path, "third", url, None)
    try:
        _wait_running(third, tmp_path, "third")
    finally:
        assert _stop(third) == 0


@pytest.mark.postgres
def test_postgres_one_receiver_many_dispatchers_and_feeds(tmp_path, pg_url):
    with FakeTelegram.in_thread(token=TOKEN) as fake:
        bot = _start(tmp_path, "bot", pg_url, "bot", fake)
        others = []
        try:
            _wait_running(bot, tmp_path, "bot")
            fake.wait_until(lambda: fake.calls("getUpdates"), timeout=30)  # it polls

            for role in ("bot", "all"):  # a second receiver, whatever it is called, stops at once
                p = _start(tmp_path, f"second-{role}", pg_url, role, fake, LANGUAGE="en")  # English wording
                assert p.wait(60) == 2, _log(tmp_path, f"second-{role}")
                out = _log(tmp_path, f"second-{role}")
                assert "already receiving Telegram updates" in out and "Traceback" not in out
                assert "--role dispatcher" in out  # what to do instead

            for name, role in (("d1", "dispatcher"), ("d2", "dispatcher"), ("f1", "feeds"), ("f2", "feeds")):
                p = _start(tmp_path, name, pg_url, role, fake)
                others.append((name, p))
            for name, p in others:
                _wait_running(p, tmp_path, name)
            polls_by_bot = len(fake.calls("getUpdates"))
            time.sleep(2)
            assert len(fake.calls("getUpdates")) > polls_by_bot  # still polling: the bot kept the lock
        finally:
            for name, p in others:
                assert _stop(p) == 0, _log(tmp_path, name)[-3000:]
            bot.kill()  # SIGKILL: no clean-up at all
            bot.wait(10)

        # PostgreSQL released the dead process's lock: a standby takes over.
        standby = _start(tmp_path, "standby", pg_url, "bot", fake)
        try:
            _wait_running(standby, tmp_path, "standby")
        finally:
            assert _stop(standby) == 0, _log(tmp_path, "standby")[-3000:]


@pytest.mark.postgres
def test_postgres_a_receiver_that_loses_its_lock_stops(tmp_path, pg_url):
    """If the connection holding the lock is cut (database restart, network), another process may take the
    lock; this one must stop receiving rather than poll alongside it. It exits 1 for its supervisor."""
    from storage.db import make_engine

    with FakeTelegram.in_thread(token=TOKEN) as fake:
        bot = _start(tmp_path, "bot", pg_url, "bot", fake)
        try:
            _wait_running(bot, tmp_path, "bot")
            eng = make_engine(pg_url)
            try:
                with eng.begin() as conn:
                    n = conn.execute(sa.text(
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' "
                        "AND ((l.classid::bigint << 32) | l.objid::bigint) = :k "
                        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                        {"k": RECEIVER_LOCK_KEY}).all()
            finally:
                eng.dispose()
            assert len(n) == 1
            assert bot.wait(60) == 1
            assert "lost the receiver lock" in _log(tmp_path, "bot")
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait(10)
