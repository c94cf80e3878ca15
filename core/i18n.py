"""Every user-facing text goes through here: gettext catalogs managed with Babel.

Source texts (msgids) are English, written in the code; each language is a catalog under
`core/locale/<lang>/LC_MESSAGES/dondoc.po`. Vietnamese (`vi`) is the default language; English (`en`)
is the source language, so its catalog only needs entries where a wording differs. A new language is a
new folder with a catalog, no code change (`make i18n-init LANG=xx`).

    from core.i18n import _, ngettext

    _("Linked {chat} to {agency}.", chat=..., agency=...)          # the current language
    _("Linked {chat} to {agency}.", lang="en", chat=..., agency=...)
    ngettext("{n} task", "{n} tasks", n)                           # {n} is filled in
    N_("Done")                                                     # marked for extraction, translated later

The current language is `DEFAULT_LANGUAGE` unless a caller sets it: the CLI from LANGUAGE, each chat from
its `/lang`, the web console from the signed-in person (`with use_language("en"): ...`).

Catalogs are read from the .mo compiled by `make i18n` when it is newer than the .po, else compiled from
the .po in memory (a fresh checkout needs no build step).
"""

from __future__ import annotations

import contextvars
import io
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "dondoc"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "vi"
SOURCE_LANGUAGE = "en"

# The language of this context (a chat's, a person's); unset, the process's: LANGUAGE once the CLI has read it.
# A module-level default rather than the ContextVar's own, so threads and tasks started without this context
# (the feed server's, a scheduler's) still speak LANGUAGE.
_current: contextvars.ContextVar[str] = contextvars.ContextVar("dondoc_language")
_process_language = DEFAULT_LANGUAGE


def available_languages() -> tuple[str, ...]:
    """The languages that have a catalog (plus the source language), default first."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    found.add(SOURCE_LANGUAGE)
    return tuple(sorted(found, key=lambda lang: (lang != DEFAULT_LANGUAGE, lang)))


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The catalog of `lang` (NullTranslations for the source language or an unknown one)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return NullTranslations()
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def current_language() -> str:
    return _current.get(_process_language)


def set_language(lang: str) -> None:
    """Set the language of the process and of this context (the CLI does this once from LANGUAGE)."""
    global _process_language
    _process_language = lang or DEFAULT_LANGUAGE
    _current.set(_process_language)


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Speak `lang` inside the block (a chat's or a person's language); restores the previous one."""
    token = _current.set(lang or current_language())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _format(text: str, values: dict[str, object]) -> str:
    return text.format(**values) if values else text


def _(msgid: str, /, lang: str | None = None, **values: object) -> str:
    """Translate `msgid` into `lang` (default: the current language) and fill in `{name}` values."""
    if not msgid:  # gettext("") is the catalog's header, never a text
        return msgid
    return _format(translations(lang or current_language()).gettext(msgid), values)


gettext = _


def ngettext(singular: str, plural: str, n: int, /, lang: str | None = None, **values: object) -> str:
    """Plural-aware translation; `{n}` is filled in with `n` (formatted for the language)."""
    text = translations(lang or current_language()).ngettext(singular, plural, n)
    return _format(text, {"n": format_number(n, lang), **values})


def pgettext(context: str, msgid: str, /, lang: str | None = None, **values: object) -> str:
    """Translate a short text whose meaning depends on `context` (e.g. a button vs. a status)."""
    return _format(translations(lang or current_language()).pgettext(context, msgid), values)


def N_(msgid: str) -> str:
    """Mark `msgid` for extraction without translating it now (translate later with `_(msgid)`)."""
    return msgid


# -- formatting for the language --------------------------------------------------------------------------

def weekday_name(d: date, lang: str | None = None) -> str:
    """The weekday as written inside a sentence, from the catalog — Vietnamese administrative style writes
    "thứ Hai" … "thứ Bảy", "Chủ nhật" — so every message and a new language's catalog say it one way."""
    names = (
        pgettext("weekday inside a sentence", "Monday", lang=lang),
        pgettext("weekday inside a sentence", "Tuesday", lang=lang),
        pgettext("weekday inside a sentence", "Wednesday", lang=lang),
        pgettext("weekday inside a sentence", "Thursday", lang=lang),
        pgettext("weekday inside a sentence", "Friday", lang=lang),
        pgettext("weekday inside a sentence", "Saturday", lang=lang),
        pgettext("weekday inside a sentence", "Sunday", lang=lang),
    )
    return names[d.weekday()]


def format_date(d: date | None, lang: str | None = None, *, year: bool = True) -> str:
    """dd/mm/yyyy in every language (the administrative form); "—" when there is no date."""
    if d is None:
        return "—"
    return d.strftime("%d/%m/%Y" if year else "%d/%m")


def format_datetime(dt: datetime | None, lang: str | None = None) -> str:
    """HH:MM dd/mm/yyyy (give a local, aware datetime)."""
    return "—" if dt is None else dt.strftime("%H:%M %d/%m/%Y")


def quarter_numeral(n: int, lang: str | None = None) -> str:
    """How a language numbers quarters: "3" in English, "III" in Vietnamese ("Quý III/2026")."""
    return {1: lambda: pgettext("quarter number", "1", lang), 2: lambda: pgettext("quarter number", "2", lang),
            3: lambda: pgettext("quarter number", "3", lang), 4: lambda: pgettext("quarter number", "4", lang)}[n]()


def format_number(n: int | float, lang: str | None = None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(n, locale=lang or current_language())
