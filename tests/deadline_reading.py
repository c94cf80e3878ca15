"""How a deadline phrase reads, in the terms the grammar's tuning tests compare: ("once", "2026-12-31"), the
first dues of a recurring one as ISO dates, or (kind, due) for the rest."""

from __future__ import annotations

from datetime import date

from core.deadline import parse_deadline


def reading(text: str, issued: date, n: int = 3):
    dl = parse_deadline(text, issued)
    if dl.kind == "once":
        return ("once", dl.due.isoformat())
    if dl.kind == "recurring":
        return [x.isoformat() for x in dl.next_dues(issued, n)]
    return (dl.kind, dl.due.isoformat() if dl.due else None)


def dues(text: str, issued: date, n: int = 5) -> list[str]:
    """The first `n` due dates on or after the issue date."""
    return [x.isoformat() for x in parse_deadline(text, issued).next_dues(issued, n)]
