"""The catalogs are complete and consistent (docs/i18n.md).

- every text marked in the code (`_()`, `ngettext()`, `N_()`, `pgettext()`) is in the catalogs — if not,
  `make i18n` was not run after adding it;
- every Vietnamese entry is translated, not fuzzy, and keeps exactly the `{placeholders}` and the line breaks
  of its msgid (a merge that fused two entries shows here);
- the English catalog has every msgid the Vietnamese one has (English is the source: its msgstr may stay
  empty, the msgid is then shown);
- Babel's own checks pass (the ones `pybabel compile` runs).
"""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from core import i18n

ROOT = Path(__file__).resolve().parent.parent
IGNORED_DIRS = {"tests", "bench", "build", "dist", "data", "node_modules"}  # as `make i18n` (--ignore-dirs)


def catalog(lang: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as fp:
        return read_po(fp, locale=lang, domain=i18n.DOMAIN)


def key(message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
    return message.context, msgid


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def forms(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.fixture(scope="module")
def vi():
    return catalog("vi")


@pytest.fixture(scope="module")
def en():
    return catalog("en")


def test_every_marked_text_is_in_the_catalog(vi):
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)

    def keep(dirname: str) -> bool:
        name = Path(dirname).name
        return not (name.startswith((".", "_")) or name in IGNORED_DIRS)

    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS, directory_filter=keep):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found[(context, msgid)] = f"{filename}:{lineno}"
    assert len(found) > 200  # the extraction itself works
    in_catalog = {key(m) for m in vi if m.id}
    missing = [f"{where}: {msgid!r}" for (ctx, msgid), where in sorted(found.items(), key=lambda kv: kv[1])
               if (ctx, msgid) not in in_catalog]
    assert not missing, "Run `make i18n` and translate the new entries:\n" + "\n".join(missing)


# Translations that use a value the code passes besides the msgid's own (checked at the call site).
EXTRA_VALUES = {
    "Q{number} {year}": {"roman"},  # reports/figures.py passes roman= for "Quý III/2026"
}


def test_vietnamese_is_complete_and_keeps_every_placeholder(vi):
    problems = []
    for m in vi:
        if not m.id:
            continue
        ids = forms(m.id)
        wanted = set().union(*(fields(x) for x in ids))
        strings = forms(m.string)
        if m.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for s in strings:
            if not s.strip():
                problems.append(f"untranslated: {ids[0]!r}")
            elif fields(s) != wanted and not (fields(s) <= wanted | EXTRA_VALUES.get(ids[0], set())
                                              and EXTRA_VALUES.get(ids[0])):
                problems.append(f"placeholders {sorted(fields(s))} instead of {sorted(wanted)}: {ids[0]!r} → {s!r}")
            elif s.count("\n") != ids[0].count("\n"):
                # A translation keeps the lines of its text; a difference is usually two entries fused by a
                # merge of the .po (merge=union), which must be repaired by hand.
                problems.append(f"{s.count(chr(10))} line breaks instead of {ids[0].count(chr(10))}: {ids[0]!r} → {s!r}")
    assert not problems, "\n".join(problems)


def test_english_has_every_text_vietnamese_has(vi, en):
    missing = sorted({key(m) for m in vi if m.id} - {key(m) for m in en if m.id}, key=str)
    assert not missing, f"core/locale/en lacks {len(missing)} entries (run `make i18n`): {missing[:10]}"
    # English msgstr stay empty (the msgid is the English text) or, where filled, keep the placeholders.
    for m in en:
        for s in forms(m.string):
            if m.id and s:
                assert fields(s) == set().union(*(fields(x) for x in forms(m.id))), m.id


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_babel_checks_pass(lang):
    problems = [f"{m.id!r}: {errors}" for m, errors in catalog(lang).check()]
    assert not problems, "\n".join(problems)


def test_languages_and_formatting():
    assert i18n.available_languages()[:1] == ("vi",) and "en" in i18n.available_languages()
    assert i18n._("No tasks.", lang="vi") == "Không có nhiệm vụ nào." and i18n._("No tasks.", lang="en") == "No tasks."
    assert i18n._("") == ""  # never the catalog's header
    # plurals: Vietnamese has one form, English two; {n} is filled in and formatted for the language
    assert i18n.ngettext("{n} chat", "{n} chats", 1, lang="en") == "1 chat"
    assert i18n.ngettext("{n} chat", "{n} chats", 1200, lang="en") == "1,200 chats"
    assert i18n.ngettext("{n} chat", "{n} chats", 1200, lang="vi") == "1.200 nhóm"
    assert i18n.ngettext("{n} chat", "{n} chats", 1, lang="vi") == "1 nhóm"
    # weekdays as written inside a sentence; dates dd/mm/yyyy in every language
    saturday, tuesday = date(2018, 6, 16), date(2018, 6, 12)
    assert (i18n.weekday_name(saturday, "vi"), i18n.weekday_name(tuesday, "vi")) == ("thứ Bảy", "thứ Ba")
    assert i18n.weekday_name(date(2018, 6, 17), "vi") == "Chủ nhật"
    assert i18n.weekday_name(saturday, "en") == "Saturday"
    assert i18n.format_date(saturday, "en") == i18n.format_date(saturday, "vi") == "16/06/2018"
    # an unknown language speaks the source language rather than failing
    assert i18n._("No tasks.", lang="xx") == "No tasks."
    with i18n.use_language("en"):
        assert i18n._("No tasks.") == "No tasks."
        with i18n.use_language(None):  # a chat without a choice keeps the surrounding language
            assert i18n._("No tasks.") == "No tasks."
    assert i18n._("No tasks.") == "Không có nhiệm vụ nào."


def test_a_thread_speaks_the_process_language():
    """set_language (the CLI, from LANGUAGE) reaches threads started later, e.g. the feed server's."""
    import threading

    heard = []
    try:
        i18n.set_language("en")
        thread = threading.Thread(target=lambda: heard.append(i18n._("No tasks.")))
        thread.start()
        thread.join()
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
    assert heard == ["No tasks."]
    assert i18n._("No tasks.") == "Không có nhiệm vụ nào."
