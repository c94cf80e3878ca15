"""`dondoc db …`: the database schema."""

from __future__ import annotations

import typer

from dondoc.cli.common import database_errors, settings, where_settings_come_from
from core.i18n import N_, _

db_app = typer.Typer(help=N_("Database schema: create or upgrade it."), no_args_is_help=True)


@db_app.command("upgrade", help=N_('Create or upgrade the database schema (Alembic migrations).'))
def upgrade_cmd(revision: str = typer.Argument("head", help=N_("Target revision (default: the latest).")),
                existing: bool = typer.Option(False, "--existing", help=N_(
                    "Only upgrade a database that exists; never create one (for a service's start: a lost "
                    "database must stop it, not come back empty)."))) -> None:
    from storage.db import upgrade

    from storage.db import sqlite_file

    url = settings().database_url
    path = sqlite_file(url)
    new = path is not None and not path.exists()
    if new and existing:
        from dondoc.cli.common import check_database_exists

        check_database_exists(url)  # exits 2: no database, and where the settings came from
    with database_errors(url):
        upgrade(url, revision)
    if new:  # asked for explicitly: anywhere DATABASE_URL says, but said, with where the settings came from
        typer.echo(_("Created a new database at {path}.", path=path.resolve()) + " " + where_settings_come_from())
    typer.echo(_("Database is at revision {revision}: {url}", revision=revision, url=_redact(url)))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
