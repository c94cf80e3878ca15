"""The Alembic migrations on both databases dondoc supports.

On PostgreSQL: upgrade to head gives exactly the tables the models describe, downgrade to base leaves
nothing behind, up again works, and a migration that fails halfway leaves the database as it was
(PostgreSQL runs DDL in a transaction). On SQLite and PostgreSQL: every revision's downgrade undoes its
upgrade, step by step, so an administrator can go back one release.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, select

import storage.record_tables  # noqa: F401  (tables kept outside tables.py)
import storage.tables  # noqa: F401  (registers the tables)
from storage.db import (MIGRATIONS_DIR, alembic_config, current_revision, downgrade, head_revision, make_engine,
                        upgrade)
from storage.tables import Directive


def _diff(url: str, compare_type: bool) -> list:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": compare_type})
            return compare_metadata(ctx, SQLModel.metadata)
    finally:
        eng.dispose()


def _revision(url: str) -> str | None:
    eng = make_engine(url)
    try:
        return current_revision(eng)
    finally:
        eng.dispose()


def _schema(url: str) -> dict:
    """Everything a migration may create, in a comparable form (tables, columns, keys, indexes)."""
    eng = make_engine(url)
    try:
        insp = sa.inspect(eng)
        out = {}
        for table in sorted(insp.get_table_names()):
            if table == "alembic_version":
                continue
            out[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
                "pk": insp.get_pk_constraint(table).get("constrained_columns"),
                "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                              for f in insp.get_foreign_keys(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in insp.get_indexes(table)),
                "uniques": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
            }
        return out
    finally:
        eng.dispose()


def _revisions_oldest_first(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


# -- PostgreSQL ------------------------------------------------------------------------------------------

@pytest.mark.postgres
def test_postgres_upgrade_to_head_builds_exactly_the_tables(pg_empty_url):
    assert _revision(pg_empty_url) is None
    upgrade(pg_empty_url)
    assert _revision(pg_empty_url) == head_revision(pg_empty_url)
    # compare_type too: PostgreSQL has real types, so a VARCHAR length or a DATE/TIMESTAMP mix-up shows here.
    diff = _diff(pg_empty_url, compare_type=True)
    assert diff == [], f"on PostgreSQL the tables and the migrations differ; add a migration: {diff}"


@pytest.mark.postgres
def test_postgres_downgrade_to_base_leaves_nothing_and_upgrades_again(pg_empty_url):
    upgrade(pg_empty_url)
    downgrade(pg_empty_url, "base")
    assert _revision(pg_empty_url) is None
    eng = make_engine(pg_empty_url)
    try:
        with eng.connect() as conn:
            # Tables, sequences, indexes and types a migration forgot to drop would all be here.
            leftovers = conn.execute(sa.text(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relname NOT LIKE 'alembic_version%' ORDER BY 1")).all()
            types = conn.execute(sa.text(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e'")).all()
    finally:
        eng.dispose()
    assert leftovers == [], f"downgrade to base left these behind: {leftovers}"
    assert types == [], f"downgrade to base left these enum types behind: {types}"

    upgrade(pg_empty_url)
    assert _revision(pg_empty_url) == head_revision(pg_empty_url)
    assert _diff(pg_empty_url, compare_type=True) == []


@pytest.mark.postgres
def test_postgres_a_failing_migration_leaves_the_database_as_it_was(pg_empty_url, tmp_path):
    upgrade(pg_empty_url)
    head = head_revision(pg_empty_url)
    eng = make_engine(pg_empty_url)
    try:
        with Session(eng) as s:
            now = datetime(2018, 5, 23, 2, 0, tzinfo=timezone.utc)
            s.add(Directive(number="5099/UBND-HCC", issued=date(2018, 5, 23), created_at=now, updated_at=now))
            s.commit()
    finally:
        eng.dispose()

    # A copy of the migrations with one more revision that changes the schema, then fails.
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_broken.py").write_text(
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = '9999'\ndown_revision = {head!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n"
        "    op.create_table('half_written', sa.Column('id', sa.Integer(), primary_key=True))\n"
        "    op.add_column('directive', sa.Column('half', sa.Integer(), nullable=True))\n"
        "    op.execute('UPDATE directive SET half = 1')\n"
        "    raise RuntimeError('this migration fails halfway on purpose')\n\n\n"
        "def downgrade():\n    pass\n", encoding="utf-8")
    cfg = alembic_config(pg_empty_url)
    cfg.set_main_option("script_location", str(scripts))
    from alembic import command

    with pytest.raises(RuntimeError, match="fails halfway"):
        command.upgrade(cfg, "head")

    assert _revision(pg_empty_url) == head
    eng = make_engine(pg_empty_url)
    try:
        insp = sa.inspect(eng)
        assert "half_written" not in insp.get_table_names()
        assert "half" not in {c["name"] for c in insp.get_columns("directive")}
        with Session(eng) as s:
            assert [d.number for d in s.exec(select(Directive))] == ["5099/UBND-HCC"]
    finally:
        eng.dispose()


@pytest.mark.postgres
def test_postgres_processes_starting_at_once_migrate_one_at_a_time(postgres_server, tmp_path):
    """Several `dondoc run` processes start together and each upgrades on start; none may crash on a
    half-made schema (storage.db takes an advisory lock around migrations)."""
    from core.settings import SETTING_NAMES

    script = Path(sys.executable).with_name("dondoc")
    argv = [str(script)] if script.exists() else [sys.executable, "-c", "from dondoc.cli import main; main()"]
    for _round in range(3):  # the race, when there is one, shows within a few rounds
        url = postgres_server.create_database()
        env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        env["DATABASE_URL"] = url
        procs = [subprocess.Popen([*argv, "db", "upgrade"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], [e[-500:] for e in errors]
        assert _revision(url) == head_revision(url)
        assert _diff(url, compare_type=True) == []
        postgres_server.drop_database(url)


# -- both databases --------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("pg_empty_url")


def test_every_downgrade_undoes_its_upgrade(empty_url):
    revisions = _revisions_oldest_first(empty_url)
    assert revisions, "no migrations found"
    before = _schema(empty_url)
    previous = None
    for rev in revisions:
        upgrade(empty_url, rev)
        after = _schema(empty_url)
        assert after != before, f"revision {rev} changed nothing"
        downgrade(empty_url, previous or "base")
        assert _revision(empty_url) == previous
        assert _schema(empty_url) == before, f"downgrading revision {rev} did not restore the schema of {previous or 'base'}"
        upgrade(empty_url, rev)
        assert _schema(empty_url) == after, f"upgrading to {rev} a second time built a different schema"
        before, previous = after, rev
    assert previous == head_revision(empty_url)
    assert _diff(empty_url, compare_type=False) == []


def test_downgrade_to_base_and_up_again_keeps_working(empty_url):
    upgrade(empty_url)
    downgrade(empty_url, "base")
    assert _revision(empty_url) is None
    assert _schema(empty_url) == {}
    upgrade(empty_url)
    assert _revision(empty_url) == head_revision(empty_url)
    assert _diff(empty_url, compare_type=False) == []
