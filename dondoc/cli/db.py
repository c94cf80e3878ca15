"""`dondoc db …`: the database schema."""

from __future__ import annotations

import typer

from dondoc.cli.common import database_errors, settings
from core.i18n import N_, _

db_app = typer.Typer(help=N_("Database schema: create or upgrade it."), no_args_is_help=True)


@db_app.command("upgrade", help=N_('Create or upgrade the database schema (Alembic migrations).'))
def upgrade_cmd(revision: str = typer.Argument("head", help=N_("Target revision (default: the latest)."))) -> None:
    from storage.db import upgrade

    url = settings().database_url
    with database_errors(url):
        upgrade(url, revision)
    typer.echo(_("Database is at revision {revision}: {url}", revision=revision, url=_redact(url)))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
