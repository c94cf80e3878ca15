"""`--help` and the command-line parse errors in the user's language (docs/i18n.md).

Three kinds of text reach a person before any dondoc code runs, and all three go through our catalogs:

1. our own help texts — command help, option and argument help, argument names — written in English in
   dondoc/cli/*.py, marked with `N_()` so `make i18n` extracts them; `localize()` replaces them on the Click
   command tree Typer builds, before it parses anything;
2. Typer's texts that go through gettext ("Options", "Commands", "default: {default}", "No such command …"):
   typer/core.py calls the `_` it imported from the standard `gettext` module at run time, and
   typer/rich_utils.py evaluates them into module constants at import time. The stdlib's `gettext` reads
   compiled .mo files from a global text domain; ours compile in memory (a fresh checkout has no .mo), so
   Typer's module-level `_` is pointed at our catalog instead, and rich_utils' constants re-evaluated;
3. the texts of the Click that Typer 0.29 vendors (typer._click): plain f-strings without gettext hooks
   ("Usage: ", "Error: …", "No such option: --x", "Missing argument 'file'.", "Invalid value for …"). An error
   is caught where it leaves the root command (`LocalizedGroup`) and shown again with its message read back
   against the templates below — the library's own wordings, with `{placeholders}` where it fills in values —
   so each template is one catalog entry a translator sees whole. The usage line's prefix comes from a help
   formatter whose default prefix is translated; the `--help` option's own help from the context.

English needs nothing: its catalog is empty and every text stays as the libraries write it.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any, Iterator

import typer.core
from typer import _click
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter
from typer._click.utils import echo

from core.i18n import N_, _, current_language, pgettext, translations

# Typer's texts through gettext, exactly as typer/core.py writes them (it formats them itself).
TYPER_TEXTS = (
    N_("Options"), N_("Arguments"), N_("Commands"), N_("default: {default}"), N_("required"), N_("env var: {var}"),
    N_("(dynamic)"), N_("Missing command."), N_("No such command {name!r}."), N_("Aborted!"),
)
# typer/rich_utils.py's constants (used when a command group sets rich_markup_mode; dondoc's does not).
RICH_TEXTS = {
    "DEPRECATED_STRING": N_("(deprecated) "), "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"), "REQUIRED_LONG_STRING": N_("[required]"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"), "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"), "ERRORS_PANEL_TITLE": N_("Error"), "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
# Literals of the vendored Click's help.
USAGE = N_("Usage:")
HELP_OPTION = N_("Show this message and exit.")
OPTIONS_METAVAR = N_("[OPTIONS]")
SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
# The messages of the vendored Click and of Typer's value checks, as templates: a message is matched against
# each (a `{value}` stands for any text) and shown with the template's translation; the values in `{message}`
# and `{type}` are read back in turn. Most specific first.
MESSAGES = (
    N_("Invalid value for {name}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument {name}. Choose from:\n\t{choices}"),
    N_("Missing option {name}. Choose from:\n\t{choices}"),
    N_("Missing argument {name}."),
    N_("Missing option {name}."),
    N_("Missing parameter {name}."),
    N_("Missing parameter: {name}"),
    N_("No such option: {name} (Possible options: {options})"),
    N_("No such option: {name}"),
    N_("Option {name} requires an argument."),
    N_("Option {name} requires {n} arguments."),
    N_("Option {name} does not take a value."),
    N_("Argument {name} takes {n} values."),
    N_("Got unexpected extra argument(s) ({arguments})"),
    N_("{message}. Did you mean {suggestions}?"),
    N_("Value {value} is not a valid {type}."),
    N_("{value} is not one of {choices}."),
    N_("{type} {path} does not exist."),
    N_("{type} {path} is a file."),
    N_("{type} {path} is a directory."),
    N_("{type} {path} is not readable."),
    N_("{type} {path} is not writable."),
    N_("Could not open file {name}: {reason}"),
    N_("Value must be an iterable."),
    N_("File"), N_("Directory"), N_("Path"),
    # pydantic's messages for a number or a flag Typer could not read
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid boolean, unable to interpret input"),
)
_READ_AGAIN = ("message", "type")  # placeholders whose value is itself a library text


def argument_name(name: str) -> str:
    """How an argument is named in the usage line and in errors ('agency' → 'cơ_quan'); its own name when the
    catalog has none (English). One snake_case word: it stands for a value, as in `{agency}`."""
    names = {
        "agency": pgettext("command-line argument", "agency"),
        "chat_id": pgettext("command-line argument", "chat_id"),
        "file": pgettext("command-line argument", "file"),
        "search": pgettext("command-line argument", "search"),
        "directive": pgettext("command-line argument", "DIRECTIVE"),
        "text": pgettext("command-line argument", "TEXT"),
        "out": pgettext("command-line argument", "out"),
        "key": pgettext("command-line argument", "key"),
        "percent": pgettext("command-line argument", "percent"),
        "note": pgettext("command-line argument", "note"),
        "new_date": pgettext("command-line argument", "DATE"),
        "reason": pgettext("command-line argument", "reason"),
        "extension_id": pgettext("command-line argument", "extension_id"),
        "decision": pgettext("command-line argument", "decision"),
        "revision": pgettext("command-line argument", "revision"),
        "target": pgettext("command-line argument", "target"),
        "package": pgettext("command-line argument", "package"),
        "token_id": pgettext("command-line argument", "token_id"),
        "name": pgettext("command-line argument", "name"),
        "names": pgettext("command-line argument", "names"),
        "person": pgettext("command-line argument", "person"),
        "path": pgettext("command-line argument", "path"),
    }
    return names.get(name, name)


def type_name(label: str | None) -> str | None:
    """A value's type as the help shows it next to an option ("<str>" → "<chuỗi>"); as is when unknown."""
    names = {
        "<str>": pgettext("value type in --help", "<str>"),
        "<int>": pgettext("value type in --help", "<int>"),
        "<path>": pgettext("value type in --help", "<path>"),
        "<list[str]>": pgettext("value type in --help", "<list[str]>"),
    }
    return names.get(label, label) if label else label


def library_gettext(message: str) -> str:
    """gettext for Typer's own `_()` calls: the catalog of the current language, unformatted."""
    return translations(current_language()).gettext(message) if message else message


@functools.lru_cache(maxsize=None)
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)(?:![rs])?\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(regex, re.S)


def translate_message(text: str) -> str:
    """A message of the library in the current language: the first template it matches, translated, with the
    values it holds (the ones that are library texts themselves translated too); unchanged if none matches."""
    if translations(current_language()).gettext(text) != text:
        return translations(current_language()).gettext(text)
    for template in MESSAGES:
        if "{" not in template:
            continue
        m = _pattern(template).fullmatch(text)
        if m:
            values = {k: translate_message(v) if k in _READ_AGAIN else v for k, v in m.groupdict().items()}
            return _(template, **values)
    return text


class LocalizedFormatter(HelpFormatter):
    """The vendored Click's help formatter, with the usage line's prefix translated."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _(USAGE) + " " if prefix is None else prefix)


class LocalizedContext(_click.Context):
    """A context whose help speaks the current language: the formatter, and the help of `--help` itself
    (Click makes that option on demand, with an English literal)."""

    formatter_class = LocalizedFormatter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        option = self.command.get_help_option(self)
        if option is not None:
            option.help = _(HELP_OPTION)


class LocalizedError(UsageError):
    """A Typer/Click error said again in the current language (same exit code, same usage line and hint)."""

    def __init__(self, original: ClickException) -> None:
        super().__init__(translate_message(original.format_message()), getattr(original, "ctx", None))
        self.exit_code = original.exit_code
        self.original = original

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        file = file if file is not None else sys.stderr
        ctx = self.ctx
        color = ctx.color if ctx is not None else None
        if ctx is not None:
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = _("Try '{command} {option}' for help.", command=ctx.command_path,
                         option=ctx.help_option_names[0]) + "\n"
            echo(f"{ctx.get_usage()}\n{hint}", file=file, color=color)
        echo(_("Error: {message}", message=self.message), file=file, color=color)


class LocalizedGroup(typer.core.TyperGroup):
    """dondoc's root command: picks the language, translates the command tree, and says parse errors in it."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from dondoc.cli.common import language_from_environment
        from core.i18n import set_language

        # Before anything is parsed or formatted: `dondoc --help` and a typo never reach the callbacks.
        set_language(language_from_environment())
        localize(self)
        return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> _click.Context:
        with localized_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: _click.Context) -> Any:
        with localized_errors():
            return super().invoke(ctx)


class localized_errors:
    """Re-raise a Typer/Click error as a LocalizedError (help shown for no arguments is already localized)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> bool:
        if isinstance(error, ClickException) and not isinstance(error, (NoArgsIsHelpError, LocalizedError)):
            raise LocalizedError(error) from error
        return False


def commands(command: _click.Command) -> Iterator[_click.Command]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from commands(sub)


def _translate(obj: Any, attr: str, only: str | None = None) -> None:
    """Set `obj.attr` to the translation of its English text (kept aside, so a second call can switch
    languages); with `only`, just when that text is `only` (a library default, not a wording of ours)."""
    english = obj.__dict__.setdefault("_dondoc_english", {})
    if attr not in english:
        english[attr] = getattr(obj, attr, None)
    text = english[attr]
    if text and (only is None or text == only):
        setattr(obj, attr, _(text))


def localize(root: _click.Command) -> None:
    """Speak the current language in the help and errors of `root` and every command under it."""
    typer.core._ = library_gettext  # type: ignore[attr-defined]  # see 2. in the module's docstring
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None or getattr(root, "rich_markup_mode", None) is not None and typer.core.HAS_RICH:
        from typer import rich_utils

        for name, msgid in RICH_TEXTS.items():
            setattr(rich_utils, name, library_gettext(msgid))
    for command in commands(root):
        command.context_class = LocalizedContext
        for attr in ("help", "short_help", "epilog"):
            _translate(command, attr)
        _translate(command, "options_metavar", only=OPTIONS_METAVAR)
        if hasattr(command, "subcommand_metavar"):
            _translate(command, "subcommand_metavar", only=SUBCOMMAND_METAVAR)
        for param in command.params:
            _translate(param, "help")
            if "display_type" not in param.__dict__:  # Typer's own method, wrapped once per parameter
                english_type = param.display_type
                param.display_type = lambda ctx, english_type=english_type: type_name(english_type(ctx))
            if param.param_type_name == "argument":
                english = param.__dict__.setdefault("_dondoc_english", {}).setdefault("metavar", param.metavar)
                named = argument_name(param.name or "")
                param.metavar = english if named == param.name else named
