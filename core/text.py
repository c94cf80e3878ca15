"""Cutting a text to a length the way a reader expects: at a word, never inside a number, ending with "…"."""

from __future__ import annotations

__all__ = ["cut"]


def cut(text: str | None, limit: int) -> str:
    """`text` with its spaces collapsed, at most `limit` characters; a longer one ends at the last whole word
    that fits, followed by "…" (a single word longer than the room is cut inside, as nothing else fits)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    room = max(limit - 1, 0)
    head = text[:room]
    if text[room] != " " and " " in head:
        at_word = head[:head.rindex(" ")]
        if len(at_word) >= room // 2:  # keep at least half the room: a very long word is cut, not dropped
            head = at_word
    return head.rstrip(" ,;:–-") + "…"


def impossible_date(text: str | None) -> bool:
    """True for a text written like a date (dd/mm/yyyy, d-m-yyyy, YYYY-MM-DD) that names no real day: 31/02/2026,
    29/02/2027, 2026-13-01 — so the message can say the day does not exist rather than how to write a date."""
    import re
    from datetime import date

    t = (text or "").strip()
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", t)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
        if not m:
            return False
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        date(year, month, day)
    except ValueError:
        return True
    return False
