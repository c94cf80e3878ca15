"""`dondoc api-token create | list | revoke`: tokens other systems use for /api/v1 (docs/integration.md)."""

from __future__ import annotations

import getpass
from typing import List, Optional

import typer

from dondoc.cli.common import clock, engine, fail, match_agencies, settings
from core.i18n import N_, _, format_datetime

token_app = typer.Typer(help=N_("Tokens for other systems to use the API (/api/v1): create, list, revoke."),
                        no_args_is_help=True)


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "admin"


@token_app.command("create", help=N_("Make a token for a system; it is printed once (only its hash is kept)."))
def create_cmd(
    name: str = typer.Option(..., "--name", help=N_('The system that uses it, e.g. "IOC tỉnh"; the audit log '
                             'names it as the actor.')),
    agency: Optional[List[str]] = typer.Option(None, "--agency", "-a", help=N_("An agency whose tasks it sees (name, "
                                               "abbreviation or code); repeat for several.")),
    all_: bool = typer.Option(False, "--all", help=N_("Every agency (with --scope write: the oversight body's "
                              "decisions too).")),
    scope: str = typer.Option("read", "--scope", help=N_("read, or write (progress, done, extension requests).")),
) -> None:
    from storage import api_tokens
    from storage.db import session_scope

    if bool(agency) == all_:
        fail(_("Give --agency NAME (one or more) or --all."))
    if scope not in api_tokens.SCOPES:
        fail(_("--scope {value!r}: accepted: read | write.", value=scope))
    if not name.strip():
        fail(_("--name: give the name of the system that uses the token."))
    now = clock().now()
    on = now.astimezone(settings().timezone).date()
    codes: list[str] = []
    for text in agency or []:
        for code in match_agencies(text, on=on).codes:
            if code not in codes:
                codes.append(code)
    with session_scope(engine()) as session:
        token, row = api_tokens.issue(session, name=name, scope=scope, agencies=codes, all_agencies=all_,
                                      actor=_who(), now=now)
        token_id = row.id
    typer.echo(token)
    typer.echo(_("Token {id} for {name} ({scope}; {agencies}). Keep it secret: it is shown only now.", id=token_id,
                 name=name.strip(), scope=scope, agencies=_("every agency") if all_ else ", ".join(codes)), err=True)


@token_app.command("list", help=N_("The tokens, active and revoked (never the tokens themselves)."))
def list_cmd() -> None:
    from storage import api_tokens
    from storage.db import session_scope

    with session_scope(engine()) as session:
        rows = api_tokens.tokens(session)
    if not rows:
        typer.echo(_("No API tokens. `dondoc api-token create --name … --agency …` makes one."))
        return
    tz = settings().timezone
    table = [(_("id"), _("name"), _("scope"), _("agencies"), _("created"), _("last used"), _("revoked"))]
    for r in rows:
        when = (lambda t: format_datetime(t.astimezone(tz)) if t else "—")
        table.append((str(r.id), r.name, r.scope, _("every agency") if r.all_agencies else ", ".join(r.agencies),
                      when(r.created_at), when(r.last_used_at), when(r.revoked_at)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


@token_app.command("revoke", help=N_("Revoke a token (by its id from `dondoc api-token list`); its webhooks stop."))
def revoke_cmd(token_id: int = typer.Argument(..., help=N_("The token's id."))) -> None:
    from storage import api_tokens
    from storage.db import session_scope

    try:
        with session_scope(engine()) as session:
            row = api_tokens.revoke(session, token_id, actor=_who(), now=clock().now())
            name = row.name
    except api_tokens.ApiTokenError as e:
        fail(_("No API token number {id}.", id=token_id) if e.code == "unknown"
             else _("API token number {id} is already revoked.", id=token_id))
    typer.echo(_("Revoked API token {id} ({name}).", id=token_id, name=name))


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="api-token")
