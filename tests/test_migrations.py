"""The migrations build exactly the schema the tables describe."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.record_tables  # noqa: F401  (tables kept outside tables.py)
import storage.tables  # noqa: F401
from storage.db import current_revision, head_revision


def test_upgrade_reaches_head(engine, db_url):
    assert current_revision(engine) == head_revision(db_url)


def test_migrations_match_the_tables(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"tables and migrations differ; add a migration: {diff}"


def test_cli_db_upgrade_creates_the_sqlite_file(tmp_path):
    from typer.testing import CliRunner

    from dondoc.cli import app

    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "dondoc.sqlite3").is_file()
