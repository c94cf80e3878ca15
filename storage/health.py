"""Is the database still the one the service started on, and can it write? (/healthz and the service's watch)

A deleted SQLite file stays usable by the process that has it open — reads and writes go to a file nobody can
open again — so "SELECT 1" says ok while everything written is being lost. What is checked instead:
- the file: still there, and still the same file (device and inode) as when this process opened it;
- a write: a write transaction that changes nothing (`UPDATE alembic_version SET version_num = version_num`),
  rolled back; a database that is read-only, full or gone fails it. On SQLite it waits at most
  WRITE_WAIT seconds for another writer, and a busy database is "busy", not broken;
- the live task count, against the highest seen since this process started: a count that fell to zero is a
  lost or replaced database until someone says otherwise (restarting the service accepts the new count).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from storage.db import sqlite_file

WRITE_WAIT = 0.2  # seconds a health check waits for SQLite's write lock (it must answer within 1 s)


def _identity(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@dataclass
class HealthReport:
    ok: bool
    checks: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"status": "ok" if self.ok else "error", **self.checks,
                **({"problems": self.problems} if self.problems else {})}


class DatabaseHealth:
    """The database as this process found it at start, and how it is now."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.path = sqlite_file(engine.url.render_as_string(hide_password=False))
        self.identity = _identity(self.path)
        self.most_tasks: int | None = None  # the highest live task count seen since start

    def start(self) -> None:
        """Remember the task count at start (blocking: call it off the event loop)."""
        try:
            self.most_tasks = self._count_tasks()
        except Exception:  # noqa: BLE001 - a database that cannot answer now is reported by check()
            self.most_tasks = None

    def file_problem(self) -> str | None:
        """Why the SQLite file is not the one this process opened (gone, replaced); None when it is, or not
        SQLite."""
        if self.path is None:
            return None
        now = _identity(self.path)
        if now is None:
            return f"the database file {self.path.resolve()} is gone (deleted or moved) since this process opened it"
        if self.identity is not None and now != self.identity:
            return f"the database file {self.path.resolve()} was replaced by another file since this process opened it"
        return None

    def check(self) -> HealthReport:
        """Every check, blocking (call it off the event loop)."""
        report = HealthReport(ok=True)
        problem = self.file_problem()
        report.checks["database"] = "ok" if problem is None else "gone"
        if problem:
            report.ok = False
            report.problems.append(problem)
        try:
            report.checks["write"] = self._try_write()
        except Exception as e:  # noqa: BLE001 - any failure means "cannot write"
            report.ok = False
            report.checks["write"] = "failed"
            report.problems.append(f"a write to the database failed: {str(e).splitlines()[0]}")
        try:
            count = self._count_tasks()
        except Exception as e:  # noqa: BLE001
            report.ok = False
            report.checks["database"] = "unreachable"
            report.problems.append(f"the database does not answer: {str(e).splitlines()[0]}")
            return report
        report.checks["tasks"] = count
        if self.most_tasks is not None and self.most_tasks > 0 and count == 0:
            report.ok = False
            report.problems.append(f"the task count fell to zero since this process started (it was "
                                   f"{self.most_tasks}): a lost or replaced database? Restart the service if "
                                   "that is intended")
        elif count > (self.most_tasks or 0):
            self.most_tasks = count
        return report

    def _count_tasks(self) -> int:
        from storage.tables import Task

        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(Task)
                                    .where(Task.removed_at.is_(None))).scalar_one())  # type: ignore[union-attr]

    def _try_write(self) -> str:
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                before = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(WRITE_WAIT * 1000)}")
                conn.commit()  # ends the autobegun transaction of the PRAGMAs
            try:
                trans = conn.begin()
                try:
                    conn.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
                finally:
                    trans.rollback()
            except OperationalError as e:
                if sqlite and "locked" in str(e.orig or e):
                    return "busy"  # another writer holds the lock: not broken
                raise
            finally:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(before or 0)}")
                    conn.commit()
        return "ok"
