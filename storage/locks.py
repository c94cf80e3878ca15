"""The receiver lock: only one dondoc process receives Telegram updates for a database.

Telegram hands each update to one webhook, or to one `getUpdates` poller (a second poller gets 409
Conflict and both miss updates). So the process running the `bot` role holds a lock for its whole life:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection kept open for that
  purpose. If the process dies — crash, SIGKILL, machine off — the connection closes and PostgreSQL
  releases the lock, so a standby can take over on its next start.
- SQLite: an exclusive `flock` on a file next to the database (`dondoc.sqlite3.receiver.lock`); the
  operating system releases it when the process dies.

A second process trying to take it gets `AlreadyReceiving` at once, with a message saying so.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from core.i18n import _

log = logging.getLogger(__name__)

# A fixed 64-bit key, the same in every dondoc process ("dondoc" in ASCII, then 2 for the receiver;
# storage.db uses …01 for migrations).
RECEIVER_LOCK_KEY = 0x646F6E646F63_02


class AlreadyReceiving(RuntimeError):
    """Another process holds the receiver lock for this database."""


class ReceiverLock:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn = None
        self._file = None
        self.held = False

    def _where(self) -> str:
        return make_url(str(self.engine.url)).render_as_string(hide_password=True)

    def acquire(self) -> None:
        if self.held:
            return
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            try:
                got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": RECEIVER_LOCK_KEY}).scalar()
                conn.commit()  # the lock belongs to the session, not to this transaction
            except Exception:
                conn.close()
                raise
            if not got:
                holder = self._holder(conn)
                conn.close()
                raise AlreadyReceiving(self._taken_message(holder))
            self._conn = conn
        elif self.engine.dialect.name == "sqlite":
            path = self.engine.url.database
            if not path or path == ":memory:":
                self.held = True
                return
            import fcntl

            lock_path = Path(path).with_name(Path(path).name + ".receiver.lock")
            f = open(lock_path, "a+")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                pid = f.read().strip()
                f.close()
                raise AlreadyReceiving(
                    _("Another dondoc process (pid {pid}) is already running with this database ({database}). "
                      "SQLite serves one `dondoc run` at a time; stop the other first, or move to PostgreSQL to "
                      "run several processes.", pid=pid, database=path) if pid else
                    _("Another dondoc process is already running with this database ({database}). SQLite serves "
                      "one `dondoc run` at a time; stop the other first, or move to PostgreSQL to run several "
                      "processes.", database=path)) from None
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n")
            f.flush()
            self._file = f
        self.held = True

    def _taken_message(self, holder: tuple[str, str] | None) -> str:
        """What the operator reads when the bot role is taken (in LANGUAGE: `dondoc run` prints it)."""
        if holder is None:
            return _("Another dondoc process is already receiving Telegram updates for this database ({database}). "
                     "Only one process may run the bot role (--role bot or all); run this one with --role dispatcher "
                     "or --role feeds, or stop the other first.", database=self._where())
        address, since = holder
        return _("Another dondoc process is already receiving Telegram updates for this database ({database}; held "
                 "by a connection from {address} since {since}). Only one process may run the bot role (--role bot "
                 "or all); run this one with --role dispatcher or --role feeds, or stop the other first.",
                 database=self._where(), address=address or _("a local socket"), since=since)

    def _holder(self, conn) -> tuple[str, str] | None:
        """Who holds it, when PostgreSQL lets us see (the holder's client address and since when)."""
        try:
            row = conn.execute(sa.text(
                "SELECT a.client_addr, a.backend_start, a.application_name FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND ((l.classid::bigint << 32) | l.objid::bigint) = :k"), {"k": RECEIVER_LOCK_KEY}).first()
        except Exception:  # noqa: BLE001 - only a detail for the message
            return None
        if row is None:
            return None
        since = row.backend_start.strftime("%H:%M:%S %d/%m/%Y %Z") if row.backend_start else "?"
        return (str(row.client_addr) if row.client_addr else ""), since.strip()

    def alive(self) -> bool:
        """Is the lock still ours? (False when the database connection that holds it was lost.)"""
        if not self.held:
            return False
        if self._conn is None:
            return True
        try:
            self._conn.execute(sa.text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except Exception:  # noqa: BLE001 - a lost connection is a lost lock
            log.error("the database connection holding the receiver lock was lost", exc_info=True)
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": RECEIVER_LOCK_KEY})
                self._conn.commit()
            except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                pass
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            import fcntl

            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self.held = False
