"""Shared fixtures: a fresh migrated database, settings that ignore the developer's .env, a fixed clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.clock import FixedClock
from dondoc.settings import load_settings
from storage.db import make_engine, upgrade

VN = ZoneInfo("Asia/Ho_Chi_Minh")

pytest_plugins = ["tests.postgres"]  # a real PostgreSQL for tests marked `postgres` (pg_url, pg_engine …)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Tests never read the developer's .env or DATABASE_URL; each runs in its own folder."""
    from core.settings import SETTING_NAMES

    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    try:
        from dondoc.cli import common

        common.settings.cache_clear()
        common.engine.cache_clear()
    except ImportError:  # pragma: no cover
        pass
    # A CLI run sets the language of the whole process (LANGUAGE); each test starts in the default one.
    from core.i18n import DEFAULT_LANGUAGE, set_language, use_language

    with use_language(DEFAULT_LANGUAGE):
        yield
    set_language(DEFAULT_LANGUAGE)
    from dondoc import redact

    redact.uninstall()  # a CLI command installs log redaction for its process; each test starts without it


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(db_url):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2018, 5, 23, 9, 0, tzinfo=VN))


def cli_runner(monkeypatch, db_url: str, clock_start: str):
    """`run(*args, **env)`: the dondoc CLI in this process on `db_url`, its clock starting at `clock_start`;
    `env` adds settings for that run. Each run reads its settings afresh, as a new process would."""
    from typer.testing import CliRunner

    from dondoc.cli import app

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CLOCK_START", clock_start)
    runner = CliRunner()

    def run(*args, **env):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        from dondoc.cli import common

        common.settings.cache_clear()
        return runner.invoke(app, list(args))

    return run
