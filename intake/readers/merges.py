"""Merged cells, applied while rows stream by: the top-left value copied into every cell a merge covers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Merge:
    min_row: int
    min_col: int  # 0-based
    max_row: int
    max_col: int  # 0-based, inclusive


class MergeFiller:
    """Feed rows in order (`fill(number, cells)`); merged cells come back filled, with which cells are copies."""

    def __init__(self, merges: list[Merge], max_columns: int):
        self._pending = sorted(merges, key=lambda m: m.min_row)
        self._active: list[tuple[Merge, str]] = []
        self._max_columns = max_columns

    def fill(self, number: int, cells: list[str]) -> tuple[list[str], frozenset[int], frozenset[int]]:
        self._active = [(m, v) for m, v in self._active if m.max_row >= number]
        while self._pending and self._pending[0].min_row <= number:
            m = self._pending.pop(0)
            if m.max_row < number:
                continue
            value = cells[m.min_col] if m.min_row == number and m.min_col < len(cells) else ""
            self._active.append((m, value))
        if not self._active:
            return cells, frozenset(), frozenset()
        above: set[int] = set()
        left: set[int] = set()
        for m, value in self._active:
            last = min(m.max_col, self._max_columns - 1)
            if last >= len(cells):
                cells = cells + [""] * (last + 1 - len(cells))
            for col in range(m.min_col, last + 1):
                if number == m.min_row and col == m.min_col:
                    continue
                cells[col] = value
                (above if number > m.min_row else left).add(col)
        return cells, frozenset(above), frozenset(left)
