"""What every command needs: settings (with a clear message when they are wrong), the database, the clock."""

from __future__ import annotations

import contextlib
import functools
import logging

import typer

from dondoc.clock import Clock, clock_from_settings
from dondoc.settings import Settings, SettingsError, load_settings


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print `message` on stderr and exit with `code` (2 = bad input)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    try:
        s = load_settings()
    except SettingsError as e:
        fail(str(e))
    logging.basicConfig(level=getattr(logging, s.log_level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations are quiet unless they fail
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Bot API call is noise
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own tick logs say what happened
    return s


def clock() -> Clock:
    return clock_from_settings(settings())


@functools.lru_cache(maxsize=1)
def engine():
    """The engine for DATABASE_URL, migrated to the latest schema first."""
    from storage.db import make_engine, upgrade

    url = settings().database_url
    with database_errors(url):
        upgrade(url)
    return make_engine(url)


@contextlib.contextmanager
def database_errors(url: str):
    """A database that cannot be reached is a clear one-line message (password hidden), not a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except OperationalError as e:
        reason = str(e.orig or e).strip().splitlines()[0]
        fail(f"Cannot use the database {make_url(url).render_as_string(hide_password=True)}: {reason}\n"
             "Check DATABASE_URL and that the server is running and accepts connections.")
