"""The `dondoc` command: a thin layer over the library.

Each area registers its own commands from a module of this package (`register(app)`), so a newcomer
finds a command next to the others of its area.
"""

from __future__ import annotations

import importlib
import sys

import typer

from core import __version__
from dondoc.cli.localize import LocalizedGroup
from core.i18n import N_

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
COMMAND_MODULES = ("db", "registry", "extract", "deadline", "schedule", "bot", "feeds", "report", "actions", "record",
                   "people", "web", "api", "edxml")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dondoc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help=N_("Show the version and exit.")),
) -> None:
    # LANGUAGE is already in effect: LocalizedGroup.main sets it before parsing, so that --help, parse errors and
    # settings errors all speak it (dondoc/cli/localize.py).
    pass


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
