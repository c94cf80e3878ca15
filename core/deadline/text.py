"""The text the grammar reads: one folded, lower-case, diacritic-free copy with offsets back to the input.

"Trước ngày 14/6/2018", "truoc ngay 14/6/2018" and its NFD form all fold to the same ASCII; the patterns
(`core.deadline.patterns`) run on the folded copy, messages quote the input's own words (`_Text.span`).
"""

from __future__ import annotations

import re
import unicodedata


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        low = ch.lower()
        if len(low) != 1:
            continue
        base = unicodedata.normalize("NFD", low)[0]
        table[cp] = base if base.isascii() else low
    for ch in "đĐ":
        table[ord(ch)] = "d"
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212":
        table[ord(ch)] = "-"
    for ch in "\u00a0\u2007\u202f\t\r\n\u200b":
        table[ord(ch)] = " "
    return table


_FOLD = _build_fold_table()
# Invisible format characters: soft hyphen, Mongolian vowel separator, zero-width space/joiners, LRM/RLM,
# bidi embeddings, overrides and isolates, word joiner and invisible operators, BOM.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


class _Text:
    """The input, its NFC form folded to lower-case ASCII (same length), and offsets back."""

    __slots__ = ("original", "fold", "_src")

    def __init__(self, original: str):
        self.original = original
        text, keep = original, None
        if _INVISIBLE.search(original):
            # Bidi and zero-width marks (pasted from Word, PDFs, chat apps) are not read at all: "14/6\u200f/2018"
            # is 14/6/2018. They are dropped, and offsets still point back into the input.
            keep = [i for i, c in enumerate(original) if not _INVISIBLE.match(c)] + [len(original)]
            text = "".join(original[i] for i in keep[:-1])
        self._fold(text)
        if keep is not None:
            self._src = keep if self._src is None else [keep[i] for i in self._src]

    def _fold(self, original: str) -> None:
        if unicodedata.is_normalized("NFC", original):
            nfc, self._src = original, None
        else:
            # Compose cluster by cluster so every folded character points back into the input.
            pieces: list[str] = []
            src: list[int] = []
            i = 0
            while i < len(original):
                j = i + 1
                while j < len(original) and unicodedata.combining(original[j]):
                    j += 1
                composed = unicodedata.normalize("NFC", original[i:j])
                pieces.append(composed)
                src.extend([i] * len(composed))
                i = j
            src.append(len(original))
            nfc, self._src = "".join(pieces), src
        self.fold = nfc.translate(_FOLD)

    def span(self, start: int, end: int) -> str:
        """The input's words for folded offsets [start, end)."""
        if self._src is None:
            return self.original[start:end]
        return self.original[self._src[start]:self._src[end]]
