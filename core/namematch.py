"""How agency names are compared: case, Unicode form, tone placement (hoá/hóa, Uỷ/Ủy), punctuation, "và"/"&"
and the usual short forms (Ủy ban nhân dân/UBND, Văn phòng/VP, thành phố/TP …); `fold` also drops every
diacritic for names typed without them. Pure; used by the agency directory and the table headers."""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["fold", "has_diacritics", "normalize"]


# The five tone marks (dấu thanh). Everything else (circumflex, breve, horn, đ) is part of the letter.
_TONE_MARKS = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_PUNCT = re.compile(r"[\W_]+")

# Short forms people use interchangeably with the long ones; both sides are normalised alike.
_REWRITES = (
    ("ủy ban nhân dân", "ubnd"),
    ("hội đồng nhân dân", "hđnd"),
    ("văn phòng", "vp"),
    ("thành phố", "tp"),
    ("thị xã", "tx"),
    ("khu công nghiệp", "kcn"),
    ("ban quản lý", "bql"),
    ("ban ql", "bql"),
    ("phát triển nông thôn", "ptnt"),
    ("phát thanh truyền hình", "ptth"),
    ("pt th", "ptth"),
)


def _strip_marks(text: str) -> str:
    """Drop every diacritic: "Sở Nội vụ" → "So Noi vu"."""
    d = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in d if not unicodedata.combining(ch))
    return out.replace("đ", "d").replace("Đ", "D")


def _canon_word(word: str) -> str:
    # One tone per syllable: take it off wherever it sits and put it at the end, so that the old and the
    # new placement ("hoá"/"hóa", "uỷ"/"ủy", "hoà"/"hòa") give the same word.
    tone = ""
    kept = []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)) + tone


def _tokens(text: str, folded: bool) -> list[str]:
    s = unicodedata.normalize("NFC", text).casefold()
    if folded:
        s = _strip_marks(s)
    s = _PUNCT.sub(" ", s)
    return [w if folded else _canon_word(w) for w in s.split()]


@functools.lru_cache(maxsize=2)
def _rewrite_table(folded: bool) -> tuple[tuple[str, str], ...]:
    return tuple((" ".join(_tokens(a, folded)), " ".join(_tokens(b, folded))) for a, b in _REWRITES)


@functools.lru_cache(maxsize=2)
def _and_word(folded: bool) -> str:
    return _tokens("và", folded)[0]


def _norm(text: str, folded: bool) -> str:
    toks = [t for t in _tokens(text, folded) if t != _and_word(folded)]
    s = " " + " ".join(toks) + " "
    for long, short in _rewrite_table(folded):
        s = s.replace(" " + long + " ", " " + short + " ")
    return " ".join(s.split())


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """The form names are compared in (case, Unicode form, tone placement, punctuation, short forms)."""
    return _norm(text, folded=False)


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """`normalize` without any diacritics, for names typed without them."""
    return _norm(text, folded=True)


def has_diacritics(text: str) -> bool:
    s = unicodedata.normalize("NFC", text)
    return _strip_marks(s) != s


# Words that introduce a person rather than an agency: "Thủ trưởng các sở …", "Chủ tịch UBND huyện …".
_ROLE_PREFIXES = ("thủ trưởng", "chủ tịch", "giám đốc", "trưởng ban", "chánh văn phòng", "chánh thanh tra",
                  "lãnh đạo", "thủ trưởng cơ quan")
_PLACE_SUFFIXES = ("thuộc tỉnh", "trên địa bàn tỉnh", "thuộc ubnd tỉnh", "của tỉnh")
# "các cơ quan (có) liên quan", "đơn vị liên quan", "các sở, ngành liên quan" … are kept as text.
_NOTE_WORDS = ("các cơ quan có liên quan đơn vị sở ban ngành địa phương tổ chức cá nhân doanh nghiệp khác "
               "cấp huyện xã")


@functools.lru_cache(maxsize=2)
def _affixes(folded: bool) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str], str]:
    f = fold if folded else normalize
    return (tuple(f(p) for p in _ROLE_PREFIXES), tuple(f(p) for p in _PLACE_SUFFIXES),
            frozenset(f(_NOTE_WORDS).split()), f("liên quan"))


def _variants(key: str, folded: bool) -> list[str]:
    """`key` plus `key` without a leading role word and/or a trailing place phrase."""
    prefixes, suffixes, _, _ = _affixes(folded)
    out = [key]
    for p in prefixes:
        if key.startswith(p + " "):
            out.append(key[len(p) + 1:])
    for k in list(out):
        for s in suffixes:
            if k.endswith(" " + s):
                out.append(k[: -len(s) - 1])
    return out


def _is_note(key: str, folded: bool) -> bool:
    _, _, words, related = _affixes(folded)
    if not key.endswith(related):
        return False
    head = key[: -len(related)].split()
    return bool(head) and all(w in words for w in head)
