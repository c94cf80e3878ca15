"""`dondoc web-link --user ID`: a one-time sign-in link to the web console, for an administrator at the
server (the same link the bot's /web sends to a private chat)."""

from __future__ import annotations

import getpass

import typer

from dondoc.cli.common import clock, engine, fail, settings
from core.i18n import N_, _


def web_link_cmd(
    user: str = typer.Option(..., "--user", help=N_("The person's Telegram user id (a number).")),
    name: str = typer.Option(None, "--name", help=N_("Their name, shown on the sign-in page and in the audit log.")),
) -> None:
    from storage.db import session_scope
    from storage.signin import create_signin_link, person_for, signin_url

    s = settings()
    if not user.strip().isdigit():
        fail(_("--user {value!r}: accepted: a Telegram user id, a whole number such as 123456789.", value=user))
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = "admin"
    with session_scope(engine()) as session:
        if person_for(session, user.strip(), name, s.admin_user_ids) is None:
            fail(_("User {user} has no role: they are not in ADMIN_USER_IDS and no private chat of theirs is linked "
                   "to an agency (`dondoc invite`, `dondoc link`).", user=user.strip()))
        token, row = create_signin_link(session, user.strip(), name=name, created_by=who, source="cli",
                                        now=clock().now(), minutes=s.signin_link_minutes)
    typer.echo(signin_url(s.feed_base_url, token))
    typer.echo(_("Valid for {minutes} minutes, once.", minutes=s.signin_link_minutes), err=True)


def register(app: typer.Typer) -> None:
    app.command("web-link", help=N_('Print a one-time sign-in link to the web console for a Telegram user (valid '
                                    'SIGNIN_LINK_MINUTES).'))(web_link_cmd)
