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
    for i, text in rejoin_rows(raw):
        if "\t" in text.strip("\t ") and text.count("\t") >= 2:
            cells = tuple(clean(c) for c in text.strip("\n").split("\t"))
            out.append(Line(i, " | ".join(cells), cells))
            continue
        t = clean(text)
        if t:
            out.append(Line(i, t))
    return out


def rejoin_rows(raw: list[str]) -> list[tuple[int, str]]:
    """(line number, line) with a table row broken inside a cell joined again. A table copied from a web page
    as text keeps a cell's own line breaks: "1⇥Xây dựng mô hình giảm nghèo" / "gắn với cây dược liệu⇥Sở Nông
    nghiệp và Môi trường⇥…". After a header of N cells, a line that starts a row (a tab, fewer than N−1) takes
    the next lines until the row has its N cells — never more — the break read as a space. A row starts with its
    number ("1", "2.1", "IV"); a line of a signer's block set out with tabs is left as it is."""
    out: list[tuple[int, str]] = []
    width = 0  # the cells of the table being read (its header's), 0 outside a table
    i = 0
    while i < len(raw):
        text = raw[i]
        tabs = text.strip("\n").count("\t")
        if tabs >= 2 and tabs + 1 >= width:
            width = tabs + 1
        elif width and 1 <= tabs < width - 1 and _ROW_START.match(text):
            j, joined = i + 1, text
            while j < len(raw) and j - i <= _ROW_LINES and joined.count("\t") < width - 1:
                joined = f"{joined.rstrip()} {raw[j].strip(' ')}"
                j += 1
            if joined.count("\t") == width - 1:
                out.append((i + 1, joined))
                i = j
                continue
        out.append((i + 1, text))
        i += 1
    return out


# A row starts with its number in the STT cell: "1", "2.1", "IV" (a signer's block set out with tabs does not).
_ROW_START = re.compile(r"\s*(?:\d{1,3}(?:\.\d{1,3}){0,3}|[IVXLC]{1,6})\.?\t")

# How many printed lines one table row may take when its cells break (a long duty over six lines is rare).
_ROW_LINES = 8


def words(s: str) -> set[str]:
    return set(re.findall(r"\w+", fold(s)))


def similarity(a: str, b: str) -> float:
    """Word overlap of two contents (Dice), 0..1: how tasks are paired when their STT differ."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))
