"""The `dondoc` command: a thin layer over the library.

Each area registers its own commands from a module of this package (`register(app)`), so a newcomer
finds a command next to the others of its area.
"""

from __future__ import annotations

import importlib
import sys

import typer

from dondoc import __version__
from dondoc.cli.localize import LocalizedGroup
from dondoc.i18n import N_, set_language

app = typer.Typer(
    name="dondoc",
    cls=LocalizedGroup,  # --help and parse errors in LANGUAGE (dondoc/cli/localize.py)
    help=N_("dondoc — đôn đốc: deadline reminders for government task registries."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# Modules that add commands, in the order `dondoc --help` shows them.
COMMAND_MODULES = ("db", "registry", "extract", "deadline", "schedule", "bot", "feeds", "report", "actions", "web")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dondoc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help=N_("Show the version and exit.")),
) -> None:
    """dondoc — đôn đốc: deadline reminders for government task registries."""
    # Speak LANGUAGE from the first line on, even before the settings are read (their errors included).
    from dondoc.cli.common import language_from_environment

    set_language(language_from_environment())


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"dondoc.cli.{_name}")
    except ModuleNotFoundError as e:  # an area not built yet
        if e.name != f"dondoc.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    app(prog_name="dondoc")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
