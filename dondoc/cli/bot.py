"""`dondoc invite AGENCY --role ROLE [--expires 7d]`: a one-time code that links a chat to an agency."""

from __future__ import annotations


import typer

from dondoc.cli.common import agency_directory, clock, engine, fail, one_agency, settings
from core.i18n import N_, _


def _actor():
    from dondoc.cli.common import actor

    return actor()


def _bot_username() -> str | None:
    """TELEGRAM_BOT_USERNAME, else ask Telegram (getMe) when a token is set; None if neither works."""
    s = settings()
    if s.telegram_bot_username:
        return s.telegram_bot_username
    if not s.telegram_bot_token:
        return None
    import asyncio

    from telegram import Bot

    async def get_me() -> str:
        async with Bot(s.telegram_bot_token, base_url=s.telegram_base_url) as bot:
            return (await bot.get_me()).username

    try:
        return asyncio.run(get_me())
    except Exception as e:  # noqa: BLE001 — the code is still valid; only the links are missing
        typer.echo(_("Note: could not ask Telegram for the bot's username ({error}); set TELEGRAM_BOT_USERNAME.", error=e),
                   err=True)
        return None


def invite_cmd(
    agency: str = typer.Argument(..., help=N_("The agency (name, abbreviation or code), e.g. \"Sở Nội vụ\" or "
                                              "so-noi-vu.")),
    role: str = typer.Option(..., "--role", help=N_("focal | manager | oversight | leadership")),
    expires: str = typer.Option("7d", "--expires", help=N_("How long the code works: 30m, 12h, 7d, 2w (at most "
                                                           "366d).")),
) -> None:
    from bot.i18n import role_label
    from bot.invites import create_invite, deep_links, parse_duration
    from bot.texts import fmt_datetime
    from storage.agencies import sync_directory
    from storage.db import session_scope
    from storage.tables import ROLES

    from dondoc.cli.actions import authorise

    authorise("links")  # the one rule (core/authority.py), as for `link` and `unlink`
    s = settings()
    if role not in ROLES:
        fail(_("--role {role!r}: accepted: {accepted}.", role=role, accepted=" | ".join(ROLES)))
    try:
        lifetime = parse_duration(expires)
    except ValueError as e:
        fail(f"--expires: {e}")
    now = clock().now()
    with session_scope(engine()) as session:
        directory = agency_directory(session)
        code_of_agency = one_agency(agency, why=_("an invite is for one agency"), on=now.astimezone(s.timezone).date(),
                                    directory=directory)
        sync_directory(session, directory)  # so the bot can show the agency's name once linked
        code, row = create_invite(session, code_of_agency, role, _actor(), now, lifetime)
    name = directory.name(code_of_agency)
    typer.echo(_("Invite for {agency} ({code}) as {role} ({role_label}); single use, valid until {until} ({tz}):",
                 agency=name, code=code_of_agency, role=role, role_label=role_label(role),
                 until=fmt_datetime(row.expires_at, s.timezone), tz=s.timezone.key))
    typer.echo(f"  {code}")
    username = _bot_username()
    if username:
        group, private = deep_links(username, code)
        typer.echo(_("Add the bot to a group and link it: {url}", url=group))
        typer.echo(_("Link a private chat: {url}", url=private))
    else:
        typer.echo(_("(Set TELEGRAM_BOT_USERNAME or TELEGRAM_BOT_TOKEN to get ready-made links.)"))
    typer.echo(_("Or, in the chat: /link {code}", code=code))


def register(app: typer.Typer) -> None:
    app.command("invite", help=N_(
        "Make a one-time invite code that links a Telegram chat to AGENCY in ROLE.\n"
        "\n"
        "Prints the code and two links: one adds the bot to a group and links it, one links a private chat.\n"
        "Someone in the chat can also send /link CODE. Codes work once, expire, and are stored hashed."))(invite_cmd)
