"""`dondoc ics …` (write a calendar file) and `dondoc feed …` (subscription URLs: issue, list, revoke)."""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

from dondoc.cli.common import clock, engine, fail, match_agencies, settings
from core.i18n import N_, _, available_languages, format_datetime, ngettext

feed_app = typer.Typer(help=N_("Calendar subscription feeds: print a feed URL, list or revoke feeds."),
                       no_args_is_help=True)


def _actor():
    from storage.actions import Actor

    try:
        name = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        name = "admin"
    return Actor(name=name, id=None, source="cli")


def _resolve_agencies(text: str, on) -> tuple[str, ...]:
    """Directory codes for an agency name, abbreviation or code; exits with suggestions when unknown."""
    return tuple(match_agencies(text, on=on).codes)  # the one directory, database included


def _write_atomically(out: Path, data: bytes) -> None:
    """Write `data` to `out` through a temporary file in the same folder: never a half-written calendar."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        fail(_("Cannot write {file}: folder {folder} does not exist.", file=out, folder=folder))
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ics_cmd(
    out: Path = typer.Argument(..., help=N_("The .ics file to write ('-' for standard output).")),
    agency: Optional[str] = typer.Option(None, "--agency", "-a",
                                         help=N_("An agency (name, abbreviation or code): the tasks it leads or "
                                                 "coordinates.")),
    all_: bool = typer.Option(False, "--all", help=N_("Every agency's tasks (the default without --agency).")),
    todo: bool = typer.Option(False, "--todo", help=N_("Write to-dos (VTODO, for Thunderbird) instead of events.")),
    lang: Optional[str] = typer.Option(None, "--lang", help=N_("vi or en (default: LANGUAGE).")),
) -> None:
    from storage.db import session_scope
    from feeds import service

    if agency and all_:
        fail(_("Give either --agency NAME or --all, not both."))
    if lang is not None and lang not in available_languages():
        fail(_("--lang {value!r}: accepted: {accepted}", value=lang, accepted=" | ".join(available_languages())))
    s = settings()
    now = clock().now()
    if agency:
        codes = _resolve_agencies(agency, now.astimezone(s.timezone).date())
        scope = service.FeedScope("agency", agencies=codes, language=lang)
    else:
        scope = service.FeedScope("oversight", language=lang)
    with session_scope(engine()) as session:
        data = service.render_scope(session, scope, s, now, todo=todo, window=False)  # a file has everything
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    _write_atomically(out, data)
    n = data.count(b"BEGIN:VTODO" if todo else b"BEGIN:VEVENT")
    if todo:
        typer.echo(ngettext("Wrote {file}: {n} to-do.", "Wrote {file}: {n} to-dos.", n, file=out), err=True)
    else:
        typer.echo(ngettext("Wrote {file}: {n} event.", "Wrote {file}: {n} events.", n, file=out), err=True)


def _print_urls(token: str) -> None:
    from storage.feed_tokens import feed_urls

    _print_webcal(token)
    events, todos = feed_urls(settings().feed_base_url, token)
    typer.echo(events)
    typer.echo(_("To-dos (VTODO, Thunderbird): {url}", url=todos), err=True)


def _print_webcal(token: str) -> None:
    """The webcal:// form of the events URL (a click opens the calendar app's subscribe dialog), on stderr so
    standard output stays the one https URL a script can read."""
    from core.i18n import _
    from core.links import webcal_url
    from storage.feed_tokens import feed_urls

    typer.echo(_("Subscribe with one click (Apple Calendar, Outlook): {url}",
                 url=webcal_url(feed_urls(settings().feed_base_url, token)[0])), err=True)


@feed_app.command("url", help=N_(
    "Print a new subscription URL for an agency's calendar (or --oversight).\n"
    "\n"
    "Tokens are stored hashed, so an existing URL cannot be shown again: each call makes a new one. Older URLs\n"
    "keep working until revoked (`--rotate` revokes them now), so calendars already subscribed do not break."))
def url_cmd(
    agency: Optional[str] = typer.Argument(None, help=N_("The agency (name, abbreviation or code).")),
    oversight: bool = typer.Option(False, "--oversight", help=N_("The feed of every agency, for the oversight body.")),
    rotate: bool = typer.Option(False, "--rotate", help=N_("Revoke this feed's older URLs first.")),
) -> None:
    from storage import feed_tokens as tokens
    from storage.db import session_scope

    if bool(agency) == oversight:
        fail(_("Give an AGENCY or --oversight (one of them)."))
    s = settings()
    now = clock().now()
    if oversight:
        scope, code, label = "oversight", None, _("the oversight feed")
    else:
        codes = _resolve_agencies(agency, now.astimezone(s.timezone).date())
        if len(codes) != 1:
            fail(_("{text!r} is a group of {n} agencies; a feed is for one agency: name one of {names}, or use "
                   "--oversight.", text=agency, n=len(codes), names=", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")))
        scope, code, label = "agency", codes[0], codes[0]
    with session_scope(engine()) as session:
        revoked = tokens.revoke(session, scope=scope, agency=code, actor=_actor(), now=now) if rotate else []
        older = tokens.active_tokens(session, scope=scope, agency=code)
        token = tokens.issue_token(session, scope, agency=code, actor=_actor(), now=now)
    _print_urls(token)
    if revoked:
        typer.echo(ngettext("Revoked {n} older URL of {what}.", "Revoked {n} older URLs of {what}.", len(revoked),
                            what=label), err=True)
    elif older:
        typer.echo(ngettext("{n} older URL of {what} still works until revoked ({command}).",
                            "{n} older URLs of {what} still work until revoked ({command}).", len(older), what=label,
                            command=f"`dondoc feed revoke {code or '--oversight'}`"), err=True)
    typer.echo(_("Keep this URL secret: anyone who has it can read the calendar."), err=True)


@feed_app.command("revoke", help=N_('Revoke feed URLs: they answer 404 from now on.'))
def revoke_cmd(
    target: Optional[str] = typer.Argument(None, help=N_("An agency (all its feeds), or a token or feed URL (that "
                                                         "one).")),
    oversight: bool = typer.Option(False, "--oversight", help=N_("Revoke every oversight feed.")),
    token_id: Optional[int] = typer.Option(None, "--id", help=N_("Revoke the feed with this id (see `dondoc feed "
                                                                 "list`).")),
) -> None:
    from storage import feed_tokens as tokens
    from storage.db import session_scope

    if sum(x is not None and x is not False for x in (target, oversight or None, token_id)) != 1:
        fail(_("Give one of: AGENCY, TOKEN (or feed URL), --oversight, --id N."))
    now = clock().now()
    with session_scope(engine()) as session:
        if token_id is not None:
            rows = tokens.revoke(session, token_id=token_id, actor=_actor(), now=now)
            what = _("feed #{id}", id=token_id)
        elif oversight:
            rows = tokens.revoke(session, scope="oversight", actor=_actor(), now=now)
            what = _("the oversight feed")
        else:
            token = tokens.token_from_text(target)
            rows = tokens.revoke(session, token=token, actor=_actor(), now=now) if token else []
            what = _("that feed URL")
            if not rows:
                if token and "/feeds/" in target:
                    fail(_("No active feed has that URL (already revoked, or not from this database)."), code=1)
                try:
                    codes = _resolve_agencies(target, now.astimezone(settings().timezone).date())
                except typer.Exit:
                    if token:
                        fail(_("No active feed has that token, and it is not an agency either."), code=1)
                    raise
                rows = [r for c in codes for r in tokens.revoke(session, scope="agency", agency=c, actor=_actor(), now=now)]
                what = _("agency {codes}", codes=", ".join(codes))
    if not rows:
        fail(_("Nothing to revoke: {what} has no active feed.", what=what), code=1)
    typer.echo(ngettext("Revoked {n} feed URL of {what}.", "Revoked {n} feed URLs of {what}.", len(rows), what=what))


@feed_app.command("list", help=N_('List the active feeds (never their URLs: those were shown once).'))
def list_cmd() -> None:
    from storage import feed_tokens as tokens
    from storage.db import session_scope

    with session_scope(engine()) as session:
        rows = tokens.active_tokens(session)
    if not rows:
        typer.echo(_("No active feeds. `dondoc feed url AGENCY` makes one."))
        return
    tz = settings().timezone
    table = [(_("id"), _("scope"), _("agency / chat"), _("created"), _("by"))]
    for r in rows:
        who = r.agency or (_("binding #{id}", id=r.binding_id) if r.binding_id is not None else "—")
        created = format_datetime(r.created_at.astimezone(tz)) if r.created_at else "—"
        table.append((str(r.id), r.scope, who, created, r.created_by or "—"))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def register(app: typer.Typer) -> None:
    app.command("ics", help=N_('Write an RFC 5545 calendar of task deadlines (.ics) that Google, Outlook, Apple and '
                               'Thunderbird import.'))(ics_cmd)
    app.add_typer(feed_app, name="feed")
