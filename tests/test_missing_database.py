"""Issue 27, item 6 (and issue 23's CLI part): a lost or absent database is an error, never a new empty one.

- `dondoc run` and every command that reads exit 2 when DATABASE_URL's SQLite file is missing, saying where
  they looked, which .env they read, and how to create one; no file is created.
- `dondoc db upgrade` creates one where asked and says so; the first import creates one, only inside ./data/.
- The running service notices its SQLite file is gone or replaced (an ERROR in the log, once).
- /healthz checks the file, a write, and says when the task count fell to zero since the process started.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select
from typer.testing import CliRunner

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from storage.db import make_engine, upgrade
from storage.tables import Task
from tests.factories import make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 20, 9, 0, tzinfo=VN)
REGISTRY = Path(__file__).resolve().parent.parent / "examples" / "5099-UBND-HCC.yaml"


def dondoc(*args: str, url: str | None = None):
    from dondoc.cli import app, common

    common.settings.cache_clear()
    common.engine.cache_clear()
    env = {"LANGUAGE": "en", "CLOCK_START": "2018-06-20T09:00:00+07:00"}
    if url is not None:
        env["DATABASE_URL"] = url
    return CliRunner().invoke(app, list(args), env=env)


READING = [("tasks",), ("report",), ("bindings",), ("extensions",), ("preview", "--to", "25/06/2018"),
           ("export", "out.yaml"), ("done", "5099-1"), ("link", "Sở Nội vụ", "-1001", "--role", "focal"), ("run",)]


@pytest.mark.parametrize("args", READING, ids=lambda a: a[0])
def test_a_command_on_a_missing_database_is_an_error_and_creates_nothing(tmp_path, args):
    r = dondoc(*args)  # the default DATABASE_URL: ./data/dondoc.sqlite3, in a folder without one
    assert r.exit_code == 2, r.output
    where = (tmp_path / "data" / "dondoc.sqlite3").resolve()
    assert _("There is no database at {path} (DATABASE_URL).", lang="en", path=where) in r.output
    assert "dondoc db upgrade" in r.output
    # there is no .env here: the message says where the settings came from
    assert _("No .env in this folder ({folder}): settings come from the environment and the defaults.",
             lang="en", folder=tmp_path.resolve()) in r.output
    assert not where.exists()


def test_a_dotenv_naming_a_database_elsewhere_is_named(tmp_path):
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path}/elsewhere/db.sqlite3\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    r = dondoc("tasks")
    assert r.exit_code == 2
    assert _("Settings: {path}.", lang="en", path=(tmp_path / ".env").resolve()) in r.output


def test_the_first_import_creates_the_database_in_data_and_says_so(tmp_path):
    r = dondoc("import", str(REGISTRY))
    assert r.exit_code == 0, r.output
    where = (tmp_path / "data" / "dondoc.sqlite3").resolve()
    assert _("No database yet: creating {path}.", lang="en", path=where) in r.output
    assert where.is_file()
    r = dondoc("tasks")
    assert r.exit_code == 0 and "5099" in r.output


def test_an_import_does_not_create_a_database_outside_data(tmp_path):
    (tmp_path / "other").mkdir()
    url = f"sqlite:///{tmp_path / 'other' / 'db.sqlite3'}"
    r = dondoc("import", str(REGISTRY), url=url)
    assert r.exit_code == 2
    assert "dondoc db upgrade" in r.output and not (tmp_path / "other" / "db.sqlite3").exists()
    r = dondoc("db", "upgrade", url=url)  # asked for explicitly: made where DATABASE_URL says
    assert r.exit_code == 0, r.output
    assert _("Created a new database at {path}.", lang="en", path=(tmp_path / "other" / "db.sqlite3").resolve()) \
        in r.output
    assert dondoc("import", str(REGISTRY), url=url).exit_code == 0


def test_a_service_start_upgrades_only_an_existing_database(tmp_path):
    r = dondoc("db", "upgrade", "--existing")  # what the systemd unit runs before `dondoc run`
    assert r.exit_code == 2 and not (tmp_path / "data" / "dondoc.sqlite3").exists()
    assert dondoc("db", "upgrade").exit_code == 0
    assert dondoc("db", "upgrade", "--existing").exit_code == 0


def test_an_existing_database_is_used_without_a_word(db_url):
    r = dondoc("tasks", url=db_url)
    assert r.exit_code == 0 and "No .env" not in r.output and "creating" not in r.output


# -- the running service ------------------------------------------------------------------------------------

def test_the_running_service_notices_its_file_is_gone(tmp_path, caplog):
    from dondoc.service import Service

    path = tmp_path / "data.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    try:
        service = Service(settings=load_settings(environ={}, dotenv_path=None, database_url=url), engine=engine,
                          clock=FixedClock(NOW), roles=())
        assert service.check_database_file() is None
        path.unlink()
        with caplog.at_level(logging.ERROR, logger="dondoc.run"):
            problem = service.check_database_file()
            assert problem and "is gone" in problem
            service.check_database_file()  # told once, not at every look
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and str(path.resolve()) in errors[0].getMessage()
        assert "/proc/" in errors[0].getMessage()
    finally:
        engine.dispose()


# -- /healthz -----------------------------------------------------------------------------------------------

async def health(client) -> tuple[int, dict]:
    r = await client.get("/healthz")
    return r.status, await r.json()


async def test_healthz_checks_the_file_a_write_and_the_task_count(tmp_path):
    from web.feeds import make_app

    path = tmp_path / "data.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in (1, 2):
            make_task(s, key=f"5099-{i}", deadline_text="trước ngày 14/6/2018", now=NOW)
        s.commit()
    settings = load_settings(environ={}, dotenv_path=None, database_url=url, feed_render_processes=0)
    try:
        async with TestClient(TestServer(make_app(settings, engine, FixedClock(NOW)))) as client:
            status, body = await health(client)
            assert status == 200 and body == {"status": "ok", "database": "ok", "write": "ok", "tasks": 2}
            with Session(engine) as s:  # every task gone under the running service
                for t in s.exec(select(Task)).all():
                    s.delete(t)
                s.commit()
            status, body = await health(client)
            assert status == 503 and body["tasks"] == 0
            assert "fell to zero since this process started (it was 2)" in body["problems"][0]
            path.unlink()
            status, body = await health(client)
            assert status == 503 and body["database"] == "gone"
            assert any("is gone" in p for p in body["problems"])
    finally:
        engine.dispose()


async def test_healthz_says_busy_not_broken_while_another_writer_holds_the_lock(tmp_path):
    from web.feeds import make_app

    url = f"sqlite:///{tmp_path / 'data.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    other = make_engine(url)
    settings = load_settings(environ={}, dotenv_path=None, database_url=url, feed_render_processes=0)
    try:
        async with TestClient(TestServer(make_app(settings, engine, FixedClock(NOW)))) as client:
            with other.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # another process's write in progress
                status, body = await health(client)
                conn.exec_driver_sql("ROLLBACK")
            assert status == 200 and body["write"] == "busy"
            status, body = await health(client)
            assert body["write"] == "ok"
    finally:
        engine.dispose()
        other.dispose()
