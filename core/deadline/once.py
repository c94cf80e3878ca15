"""One-off readings (thời hạn một lần): an atom or a range of them → the one day it is due.

A mixin of `core.deadline.reader._Reader`: it reads `self.issued`, `self.calendar` and `self.t`. Year-less
dates and periods are their next occurrence on or after the reference day; a month, quarter, half or year
is due on its last day (đầu / giữa / cuối as Art. 146 says); periods count from the issue date (Art. 147).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from core.i18n import _
from core.deadline.model import DeadlineError, _last_day
from core.deadline.patterns import _Match
from core.deadline.words import (
    _MONTH_NAMES_EN, _check_year, _month, _number_words, _qualified_month, _qualified_year, _quarter, _quarter_day,
    _nth_weekday, _short, _week_day, _year,
)


class _OnceReadings:
    """The one-off readings of `_Reader`: `_read_once` for a match, `_day` for one day of a month."""

    def _read_once(self, mt: _Match, words: str) -> date:
        if mt.parts:
            ref = self.issued
            due = ref
            for part in mt.parts:
                due = self._read_atom(part, words, ref)
                ref = max(ref, due)
            return due
        return self._read_atom(mt, words, self.issued)

    def _read_atom(self, mt: _Match, words: str, ref: date) -> date:
        m = mt.m
        g = m.groupdict()
        kind = mt.kind
        try:
            if kind in ("date", "iso"):
                return self._day(int(g["d"]), int(g["m"]), _year(g.get("y") or g.get("y2"), words), words, ref)
            if kind == "month":
                month = _month(g["m"], words)
                year = _year(g.get("y") or g.get("y2"), words)
                return self._next(lambda y: _qualified_month(g.get("q"), y, month), year, ref)
            if kind == "week":  # "tuần đầu tháng 01/2027": by the week's last day
                month = _month(g["m"], words)
                year = _year(g.get("y") or g.get("y2"), words)
                return self._next(lambda y: _week_day(g["wk"], y, month, words), year, ref)
            if kind == "weekday":  # "Chủ nhật cuối cùng của tháng 01/2027": that day
                month = _month(g["m"], words)
                year = _year(g.get("y") or g.get("y2"), words)
                return self._next(lambda y: _nth_weekday(g["pos"], g["wd"], y, month, words), year, ref)
            if kind == "quarter":
                n = _quarter(g["n"], words)
                year = _year(g.get("y") or g.get("y2"), words)
                if g.get("q") == "giua":
                    raise DeadlineError(_('"{text}": "giữa quý" (mid-quarter) has no fixed day', text=_short(words)))
                return self._next(lambda y: _quarter_day(g.get("q"), y, n), year, ref)
            if kind == "half":  # the first n months end with the n-th; the last ones with the year
                year = _year(g.get("y"), words)
                n = _months_of_year(g.get("n"))
                return self._next(lambda y: date(y, n, _last_day(y, n)) if g["h"] == "dau" else date(y, 12, 31),
                                  year, ref)
            if kind == "year":
                return _qualified_year(g.get("q"), _year(g["y"], words))
            if kind == "this":
                return self._this_period(g.get("q"), g["u"], words)
            if kind == "qual":
                unit = g["u"]
                if unit == "nam":
                    return self._next(lambda y: _qualified_year(g["q"], y), None, ref)
                if unit == "thang":
                    return self._next_month(g["q"], ref)
                if g["q"] == "giua":
                    raise DeadlineError(_('"{text}": "giữa quý" (mid-quarter) has no fixed day', text=_short(words)))
                return self._next_quarter(g["q"], ref)
            if kind == "span":
                y1, y2 = _year(g["y1"], words), _year(g["y2"], words)
                if y2 < y1:
                    raise DeadlineError(_('"{text}": the period ends ({end}) before it starts ({start})',
                                           text=_short(words), end=y2, start=y1))
                return date(y2, 12, 31)
            if kind == "today":  # "ngay trong ngày": the issue date
                return self.issued
            if kind == "rel":
                origin = self.t.span(m.start("origin"), m.end("origin")) if g.get("origin") else None
                return self._relative(g, words, origin)
        except (OverflowError, ValueError) as e:
            if isinstance(e, DeadlineError):
                raise
            raise DeadlineError(_('"{text}" cannot be read as a date ({reason})', text=_short(words), reason=e)) from None
        raise AssertionError(kind)  # pragma: no cover

    def _day(self, d: int, m: int, year: int | None, words: str, ref: date) -> date:
        if not 1 <= m <= 12:
            raise DeadlineError(_('"{text}" is not a date: there is no month {month}', text=_short(words), month=m))
        longest = 29 if m == 2 else _last_day(2001, m)
        if not 1 <= d <= longest:
            raise DeadlineError(_('"{text}" is not a date: {month} has no day {day}', text=_short(words),
                                   month=_(_MONTH_NAMES_EN[m]), day=d))
        if year is not None:
            if d > _last_day(year, m):
                raise DeadlineError(_('"{text}" is not a date: {year} is not a leap year', text=_short(words), year=year))
            return date(year, m, d)
        # No year: the next occurrence on or after the reference day (29/2 waits for a leap year).
        for y in range(ref.year, ref.year + 9):
            if d <= _last_day(y, m) and date(y, m, d) >= ref:
                return date(y, m, d)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _next(due_in, year: int | None, ref: date) -> date:
        """The due date in `year`, or — no year written — the first one on or after `ref`."""
        if year is not None:
            return due_in(year)
        due = due_in(ref.year)
        return due if due >= ref else due_in(ref.year + 1)

    def _next_month(self, q: str | None, ref: date) -> date:
        due = _qualified_month(q, ref.year, ref.month)
        if due >= ref:
            return due
        nxt = ref + relativedelta(months=1)
        return _qualified_month(q, nxt.year, nxt.month)

    def _next_quarter(self, q: str | None, ref: date) -> date:
        n = (ref.month - 1) // 3 + 1
        due = _quarter_day(q, ref.year, n)
        if due >= ref:
            return due
        return _quarter_day(q, ref.year + (n == 4), n % 4 + 1)

    def _this_period(self, q: str | None, unit: str, words: str) -> date:
        i = self.issued
        if unit == "nam":
            return _qualified_year(q, i.year)
        if unit == "thang":
            return _qualified_month(q, i.year, i.month)
        if q == "giua":
            raise DeadlineError(_('"{text}": "giữa quý" (mid-quarter) has no fixed day', text=_short(words)))
        return _quarter_day(q, i.year, (i.month - 1) // 3 + 1)

    def _relative(self, g: dict[str, Any], words: str, origin_words: str | None) -> date:
        n = int(g["n"])
        if g.get("w"):
            said = _number_words(g["w"])
            if said is not None and said != n:
                raise DeadlineError(_('"{text}": the number {n} and the words "({words})" disagree', text=_short(words),
                                       n=n, words=g["w"]))
        origin = g.get("origin")
        if g.get("from") and not re.fullmatch(r"ky(?:\s+ban\s+hanh)?|ban\s+hanh", origin or ""):
            raise DeadlineError(_(
                '"{text}" counts from "{origin}", which the issue date does not tell; only "kể từ ngày ký" or '
                '"kể từ ngày ban hành" can be read', text=_short(words), origin=origin_words))
        if n == 0:
            raise DeadlineError(_('"{text}": a period of 0 days is not a deadline', text=_short(words)))
        unit = g["u"].split()[0]
        if unit == "ngay" and "lam" in g["u"]:
            if n > 5000:
                raise DeadlineError(_('"{text}": {n} working days is too long a period', text=_short(words), n=n))
            return self.calendar.add_workdays(self.issued, n)
        limits = {"ngay": 36600, "tuan": 5300, "thang": 1200, "nam": 100}
        if n > limits[unit]:
            raise DeadlineError(_('"{text}": {n} is too long a period to be a deadline', text=_short(words), n=n))
        if unit == "ngay":
            due = self.issued + timedelta(days=n)
        elif unit == "tuan":
            due = self.issued + timedelta(weeks=n)
        elif unit == "thang":
            due = self.issued + relativedelta(months=n)
        else:
            due = self.issued + relativedelta(years=n)
        _check_year(due.year, words)
        return due


def _months_of_year(raw: str | None) -> int:
    """How many months "n tháng đầu / cuối năm" counts (a "nửa" is 6): "9", "06", "chín" → 9, 6."""
    if raw is None:
        return 6
    return {"ba": 3, "sau": 6, "chin": 9}.get(raw) or int(raw)
