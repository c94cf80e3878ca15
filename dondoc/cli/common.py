"""What every command needs: settings (with a clear message when they are wrong), the database, the clock."""

from __future__ import annotations

import contextlib
import functools
import logging
import os

import typer

from core.clock import Clock, clock_from_settings
from core.i18n import DEFAULT_LANGUAGE, _, available_languages, ngettext, set_language
from core.settings import Settings, SettingsError
from dondoc.settings import load_settings


def language_from_environment() -> str:
    """LANGUAGE from the environment or .env, as the settings will read it; the default when it is unset or
    not a language with a catalog (the settings error then says so, in the default language)."""
    value = os.environ.get("LANGUAGE")
    if value is None:
        from pathlib import Path

        try:  # `--help` and parse errors come first: an unreadable .env must not stop them
            if Path(".env").is_file():
                from dotenv import dotenv_values

                value = dotenv_values(".env").get("LANGUAGE")
        except (OSError, UnicodeError, ValueError):
            value = None
    value = (value or "").strip().lower()
    return value if value in available_languages() else DEFAULT_LANGUAGE


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print `message` on stderr and exit with `code` (2 = bad input)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    try:
        s = load_settings()
    except SettingsError as e:
        fail(str(e))
    set_language(s.language)
    logging.basicConfig(level=getattr(logging, s.log_level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations are quiet unless they fail
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Bot API call is noise
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own tick logs say what happened
    from dondoc import redact

    redact.install(s)  # no bot token, secret, feed token, invite code or password in any log line
    return s


def clock() -> Clock:
    return clock_from_settings(settings())


@functools.lru_cache(maxsize=2)
def engine(create: bool = False):
    """The engine for DATABASE_URL, migrated to the latest schema first.

    A database that does not exist is an error (exit 2), never a new empty one that "has no tasks": only
    `dondoc db upgrade` and an import (`create=True`) make one, an import only inside ./data/."""
    from storage.db import make_engine, upgrade

    url = settings().database_url
    with database_errors(url):
        check_database_exists(url, create=create)
        upgrade(url)
        return make_engine(url)


def where_settings_come_from() -> str:
    """Which .env the settings were read from; said when it is not obvious (none in this folder)."""
    from pathlib import Path

    if Path(".env").is_file():
        return _("Settings: {path}.", path=Path(".env").resolve())
    return _("No .env in this folder ({folder}): settings come from the environment and the defaults.",
             folder=Path.cwd())


def check_database_exists(url: str, *, create: bool = False) -> None:
    """Exit 2 when the SQLite file of DATABASE_URL is missing and this command may not create it (or may, but
    not outside ./data/); say so when a new one is created."""
    from pathlib import Path

    from storage.db import DEFAULT_SQLITE_FOLDER, sqlite_file

    path = sqlite_file(url)
    if path is None or path.exists():
        return
    if not path.parent.is_dir() and path.parent != Path(DEFAULT_SQLITE_FOLDER):
        return  # a folder that does not exist: make_engine says so (DatabasePathError), more precisely
    where = where_settings_come_from()
    if not create:
        fail(_("There is no database at {path} (DATABASE_URL).", path=path.resolve()) + "\n" + where + "\n"
             + _("Create it with `dondoc db upgrade` (or import a registry: the first import creates it), or run "
                 "dondoc from the folder whose .env names your database."))
    inside = Path("data").resolve()
    if path.resolve().parent != inside and inside not in path.resolve().parents:
        fail(_("There is no database at {path} (DATABASE_URL), and an import creates one only inside ./data/.",
               path=path.resolve()) + "\n" + where + "\n"
             + _("If that is where you want it, create it with `dondoc db upgrade` first."))
    typer.echo(_("No database yet: creating {path}.", path=path.resolve()) + " " + where, err=True)


@contextlib.contextmanager
def database_errors(url: str):
    """A database that cannot be reached is a clear one-line message (password hidden), not a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from storage.db import DatabasePathError

    try:
        yield
    except DatabasePathError as e:
        fail(f"DATABASE_URL: {e}")
    except OperationalError as e:
        reason = str(e.orig or e).strip().splitlines()[0]
        fail(_("Cannot use the database {url}: {reason}", url=make_url(url).render_as_string(hide_password=True),
               reason=reason) + "\n"
             + _("Check DATABASE_URL and that the server is running and accepts connections."))


def agency_directory(session=None):
    """The agency directory (intake.directory.directory_for): built-in, AGENCIES_FILE, PROVINCE's communes
    and the agencies in the database (earlier imports' --agencies, `dondoc agencies --add/--rename`).
    A broken AGENCIES_FILE exits 2 with what is wrong and where."""
    from sqlmodel import Session

    from intake.directory import directory_for
    from storage.agencies import AgencyFileError

    try:
        # The directory is kept in the Agency table (sync: only what changed is written), which is what the
        # bot, the dispatcher and the feeds read names from.
        if session is None:
            with Session(engine()) as own:
                directory = directory_for(settings(), own, sync=True)
                own.commit()
                return directory
        return directory_for(settings(), session, sync=True)
    except AgencyFileError as e:
        fail(_("Cannot use the agency directory:") + f" {e}")


def unknown_agency(e) -> str:
    """A storage.agencies.UnknownAgency said in the CLI's language, as import errors say it."""
    if e.suggestions:
        return _("unknown agency {text!r}; did you mean: {names}?", text=e.text, names=", ".join(e.suggestions))
    return _("unknown agency {text!r} (not in the agency directory; add it to AGENCIES_FILE or pass --agencies "
             "FILE)", text=e.text)


def match_agencies(text: str, *, on=None, session=None, directory=None):
    """The agencies a name, abbreviation, code or group names (storage.agencies.AgencyMatch); an unknown
    name exits 2 with the closest known names; a match without diacritics is noted on stderr."""
    from storage.agencies import UnknownAgency

    directory = directory or agency_directory(session)
    try:
        match = directory.match(text, on=on)
    except UnknownAgency as e:
        hint = " " + _("Did you mean: {names}?", names=", ".join(e.suggestions)) if e.suggestions else ""
        fail(_("Unknown agency {text!r}.", text=text) + hint + " " + _("(`dondoc agencies` lists them.)"))
    except ValueError as e:
        fail(_("Agency: {problem}.", problem=e))
    if match.warning:
        typer.echo(_("Note: {note}", note=match.warning), err=True)
    return match


def one_agency(text: str, *, why: str, on=None, session=None, directory=None) -> str:
    """The one agency code `text` names; a group or several agencies exit 2 saying `why` one is needed."""
    match = match_agencies(text, on=on, session=session, directory=directory)
    if len(match.codes) != 1:
        names = ", ".join(match.codes[:6]) + (" …" if len(match.codes) > 6 else "")
        fail(ngettext("{text!r} names {n} agency ({names}); {why} — give one name or code.",
                      "{text!r} names {n} agencies ({names}); {why} — give one name or code.", len(match.codes),
                      text=text, names=names or "—", why=why))
    return match.codes[0]
