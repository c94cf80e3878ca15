"""The backup and restore recipes of docs/deploy.md, run as written: what is restored is what was saved."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import date, datetime, timezone

import pytest
from sqlmodel import Session, select

from storage.db import current_revision, head_revision, make_engine, upgrade
from storage.tables import ChatBinding, Directive, Notification, Task
from tests.factories import make_binding, make_directive, make_task

NOW = datetime(2018, 5, 23, 2, 0, tzinfo=timezone.utc)


def _fill(url: str) -> None:
    eng = make_engine(url)
    try:
        with Session(eng) as s:
            d = make_directive(s, now=NOW)
            make_task(s, key="5099-1", deadline_text="trước ngày 14/6/2018", now=NOW, directive=d,
                      content="Rà soát, đánh giá thủ tục hành chính", coordinators=["so-tu-phap"])
            make_task(s, key="5099-2", deadline_text="định kỳ hàng quý", now=NOW, directive=d)
            make_binding(s, chat_id=-1001234, now=NOW, title="Sở Nội vụ — đầu mối")
            s.add(Notification(task_key="5099-1", occurrence="once", step="remind:7:2018-06-14",
                               chat="telegram:-1001234", kind="reminder", due_at=NOW, created_at=NOW,
                               payload={"role": "focal"}))
            s.commit()
    finally:
        eng.dispose()


def _snapshot(url: str) -> dict:
    eng = make_engine(url)
    try:
        with Session(eng) as s:
            return {
                "revision": current_revision(eng),
                "directives": [(d.number, d.issued) for d in s.exec(select(Directive))],
                "tasks": sorted((t.key, t.content, t.deadline_text, t.due, tuple(t.coordinators), t.assigned_at)
                                for t in s.exec(select(Task))),
                "bindings": [(b.chat_id, b.agency, b.role, b.title) for b in s.exec(select(ChatBinding))],
                "outbox": [(n.task_key, n.step, n.chat, n.status, n.due_at, n.payload) for n in s.exec(select(Notification))],
            }
    finally:
        eng.dispose()


@pytest.mark.postgres
def test_pg_dump_and_pg_restore_bring_everything_back(postgres_server, pg_url, tmp_path):
    from sqlalchemy.engine import make_url

    from tests.postgres import _find_bindir, _libpq_url

    try:
        bindir = _find_bindir()
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"pg_dump/pg_restore not installed: {e}")
    _fill(pg_url)
    before = _snapshot(pg_url)
    assert before["tasks"] and before["outbox"]

    dump = tmp_path / "dondoc.dump"
    done = subprocess.run([str(bindir / "pg_dump"), "--format=custom", f"--file={dump}", _libpq_url(pg_url)],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and "server version mismatch" in done.stderr:
        pytest.skip(f"this pg_dump is older than the server: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr

    restored = postgres_server.create_database()
    try:
        role = make_url(restored).username
        done = subprocess.run([str(bindir / "pg_restore"), "--no-owner", f"--role={role}",
                               f"--dbname={_libpq_url(restored)}", str(dump)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        upgrade(restored)  # the recipe: `dondoc db upgrade` after a restore is harmless when already at head
        after = _snapshot(restored)
        assert after == before
        assert after["revision"] == head_revision(restored)
        # The restored database keeps working: ids continue after the restored rows (sequences came along).
        eng = make_engine(restored)
        try:
            with Session(eng) as s:
                make_directive(s, number="337/QĐ-UBND", issued=date(2012, 3, 2), now=NOW)
                s.commit()
                assert len(s.exec(select(Directive)).all()) == 2
        finally:
            eng.dispose()
    finally:
        postgres_server.drop_database(restored)


def test_sqlite_online_backup_while_a_writer_is_busy(db_url, tmp_path):
    """Python's sqlite3 backup API (the recipe without the sqlite3 tool) copies a consistent snapshot even
    with a write transaction open, and WAL content not yet checkpointed into the main file."""
    _fill(db_url)
    path = db_url.split("///", 1)[1]
    before = _snapshot(db_url)

    writer = sqlite3.connect(path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE directive SET issuer = 'chưa lưu'")  # uncommitted: must not be in the backup
    try:
        backup_path = tmp_path / "backup.sqlite3"
        src = sqlite3.connect(path)
        dst = sqlite3.connect(backup_path)
        with dst:
            src.backup(dst)
        dst.close()
        src.close()
    finally:
        writer.rollback()
        writer.close()
    after = _snapshot(f"sqlite:///{backup_path}")
    assert after == before


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command-line tool is not installed")
def test_sqlite3_dot_backup_command(db_url, tmp_path):
    _fill(db_url)
    path = db_url.split("///", 1)[1]
    backup_path = tmp_path / "backup.sqlite3"
    done = subprocess.run(["sqlite3", path, f".backup {backup_path}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert _snapshot(f"sqlite:///{backup_path}") == _snapshot(db_url)
