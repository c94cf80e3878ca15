"""Engines, sessions and migrations.

`make_engine(url)` gives an engine tuned for the dialect (SQLite: WAL, foreign keys, a busy timeout so a
CLI command and `dondoc run` can share the file). `upgrade(url)` runs the Alembic migrations that ship
inside this package; `dondoc run` calls it on start.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


DEFAULT_SQLITE_FOLDER = "data"  # of the default DATABASE_URL sqlite:///data/dondoc.sqlite3


class DatabasePathError(ValueError):
    """DATABASE_URL names an SQLite file in a folder that does not exist."""


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite DATABASE_URL (relative to the current folder, as SQLite opens it); None for an
    in-memory SQLite database and for every other dialect."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return None
    return Path(path)


def make_engine(url: str, echo: bool = False, *, busy_timeout: float = 30.0) -> Engine:
    """`busy_timeout`: how long a SQLite write waits for another connection's write lock (seconds)."""
    # Registers the session event that revokes a chat's feed tokens when its link ends or starts again, so
    # every process that can flip a binding (CLI, bot, dispatcher) has it.
    import storage.feed_tokens  # noqa: F401
    # And the one that forgets the console's listing rows of a changed task (storage/listing.py), in its flush.
    import storage.listing  # noqa: F401

    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            folder = Path(path).parent
            if not folder.is_dir():
                if folder != Path(DEFAULT_SQLITE_FOLDER):
                    # A typo in DATABASE_URL must not create a folder and an empty database that "has no tasks".
                    raise DatabasePathError(f"the folder {folder} of the SQLite database {path} does not exist; "
                                            "create it or correct DATABASE_URL")
                folder.mkdir(parents=True, exist_ok=True)  # only the default ./data/ is created
        engine = sa.create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cur.close()

        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error, always closes."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating the SQLite file if needed)."""
    from alembic import command

    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the parent folder
    with _migration_lock(url) as cfg:
        command.upgrade(cfg, revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` ("base" = no tables; "-1" = one step back)."""
    from alembic import command

    with _migration_lock(url) as cfg:
        command.downgrade(cfg, revision)


# Any fixed 64-bit number, the same in every dondoc process: "someone is migrating this database".
MIGRATION_LOCK_KEY = 0x646F6E646F63_01


@contextmanager
def _migration_lock(url: str):
    """On PostgreSQL, one migration at a time: several `dondoc run` processes start at once and each
    upgrades on start; without the lock two of them race to CREATE the same table and one crashes.
    The others wait, then find the schema at head and do nothing. (SQLite: one process by design.)"""
    cfg = alembic_config(url)
    if not url.startswith("postgresql"):
        yield cfg
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()  # the lock is held by the session, not by this transaction
            try:
                cfg.attributes["connection"] = conn  # env.py migrates on this very connection
                yield cfg
            finally:
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
