"""Small text tools shared by the directive extractor: normalised lines, folding, agency-looking spans."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of the directive as read: its 1-based number in the source and its text (NFC, trimmed).
    A table row has `cells` (the text of each cell) and `text` = the cells joined by " | "."""

    no: int
    text: str
    cells: tuple[str, ...] = ()


def clean(s: str) -> str:
    s = unicodedata.normalize("NFC", s).replace("\u00a0", " ").replace("\u200b", "")
    s = s.replace("**", "").replace("*", "")  # emphasis of a converted document, never meaning
    s = "".join(c for c in s if c == "\t" or unicodedata.category(c) not in ("Cc", "Cs"))  # control bytes
    return " ".join(s.split())


def fold(s: str) -> str:
    """Lower-case, no diacritics: for matching keywords, never for output."""
    s = unicodedata.normalize("NFD", s.lower()).replace("đ", "d")
    return "".join(c for c in s if not unicodedata.combining(c))


def to_lines(raw: list[str] | str) -> list[Line]:
    """Source lines → `Line`s (blank lines dropped, numbers kept). A line with tab-separated cells from a
    table reader ("1\\tNội dung\\tSở Nội vụ") becomes a row."""
    if isinstance(raw, str):
        raw = raw.splitlines()
    out = []
    for i, text in enumerate(raw, 1):
        if "\t" in text.strip("\t ") and text.count("\t") >= 2:
            cells = tuple(clean(c) for c in text.strip("\n").split("\t"))
            out.append(Line(i, " | ".join(cells), cells))
            continue
        t = clean(text)
        if t:
            out.append(Line(i, t))
    return out


def words(s: str) -> set[str]:
    return set(re.findall(r"\w+", fold(s)))


def similarity(a: str, b: str) -> float:
    """Word overlap of two contents (Dice), 0..1: how tasks are paired when their STT differ."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))
