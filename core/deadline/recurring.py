"""Recurring readings (thời hạn định kỳ): a recurring form → its RRULE, the periods it closes, and
whether it names a day.

A mixin of `core.deadline.reader._Reader`: it reads `self.t`, `self.fold` and `self.issued`, notes in
`self._after` the rules due in the period after the one they close, and reads a regime form that names no
report period ("trước ngày 15 của tháng sau" alone) as one day, through `self._day` (`core.deadline.once`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from core.i18n import _
from core.deadline import regime as _regime
from core.deadline.model import _UNITS, DeadlineError, _last_day
from core.deadline.patterns import _SIX, _Match
from core.deadline.words import (
    _bymonthday, _day_of_month, _every_month_place, _month, _number_words, _quarter, _short, _weekday,
)


class _RecurringReadings:
    """The recurring readings of `_Reader`: `_read_recurring` for a match (regime forms by `_read_regime`)."""

    def _read_recurring(self, mt: _Match) -> tuple[str, tuple[str, ...], bool] | date:
        """(RRULE value, period units, whether it names a day) for a recurring match — or, for a day in
        the next period written without any report period ("trước ngày 15 của tháng sau"), that one day."""
        g = mt.m.groupdict()
        words = self.t.span(mt.start, mt.end)
        name = mt.name
        if name == "daily":  # "trước 15 giờ hằng ngày (cho đến khi …)": every day, the issue day the first
            return "FREQ=DAILY", ("day",), True
        if name == "monthly_slash_year":  # "Hàng tháng/năm" is read as monthly (issue 3)
            return "FREQ=MONTHLY;BYMONTHDAY=-1", ("month",), False
        if name == "months_yearly":
            months = sorted({_month(x, words) for x in [g["m"], *re.findall(r"\d{1,2}", g["more"])]})
            return f"FREQ=YEARLY;BYMONTH={','.join(map(str, months))};BYMONTHDAY=-1", ("year",), True
        if name in ("day_monthly", "month_then_day"):
            d = _day_of_month(g["d"], 31, words)
            return "FREQ=MONTHLY;" + _bymonthday(d), ("month",), True
        if name == "day_quarterly":
            d = _day_of_month(g["d"], 31, words)
            months = "3,6,9,12" if g["w"] == "cuoi" else "1,4,7,10"
            return f"FREQ=MONTHLY;BYMONTH={months};" + _bymonthday(d), ("quarter",), True
        if name == "date_yearly":
            m = _month(g["m"], words)
            d = _day_of_month(g["d"], 29 if m == 2 else _last_day(2001, m), words, month=m)
            return f"FREQ=YEARLY;BYMONTH={m};" + _bymonthday(d), ("year",), True
        if name == "month_yearly":
            m = _month(g["m"], words)
            day = {"dau": "1", "giua": "15"}.get(g.get("q"), "-1")
            return f"FREQ=YEARLY;BYMONTH={m};BYMONTHDAY={day}", ("year",), True
        if name == "quarter_yearly":
            n = _quarter(g["n"], words)
            return f"FREQ=YEARLY;BYMONTH={3 * n};BYMONTHDAY=-1", ("year",), True
        if name.startswith("regime_"):
            return self._read_regime(name, g, words)
        if name in ("weekday_weekly", "week_then_day"):
            return f"FREQ=WEEKLY;BYDAY={_weekday(g['wd'])}", ("week",), True
        if name in ("weekday_monthly", "month_then_weekday"):  # "Chủ nhật cuối cùng hằng tháng": BYDAY=-1SU
            place = _every_month_place(g["pos"], words)
            return f"FREQ=MONTHLY;BYDAY={place}{_weekday(g['wd'])}", ("month",), True
        if name == "week_monthly":  # "tuần đầu hằng tháng": by the 7th; "tuần cuối": the month's last day
            place = _every_month_place(g["wk"], words)
            return "FREQ=MONTHLY;BYMONTHDAY=" + ("-1" if place == -1 else str(7 * place)), ("month",), True
        # "units": a list of periods, each due on its last day.
        units: set[str] = set()
        for raw in re.split(r"\s*(?:,|\bva\b|\bhoac\b)\s*", g["list"]):
            raw = re.sub(r"^(?:ca|hang|moi)\s+", "", raw.strip())
            raw = re.sub(r"^(?:hang|moi)\s+", "", raw)
            if re.fullmatch(_SIX, raw):
                units.add("half")
            elif raw == "thang":
                units.add("month")
            elif raw in ("quy", "qui"):
                units.add("quarter")
            elif raw == "nam":
                units.add("year")
            elif raw == "tuan":
                units.add("week")
        periods = tuple(u for u in _UNITS if u in units)
        if "week" in units:
            if len(units) > 1:
                raise DeadlineError(_('"{text}" mixes weekly with longer periods; give one per task', text=_short(words)))
            return "FREQ=WEEKLY;BYDAY=SU", periods, False
        if units == {"year"}:
            return "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1", periods, False
        if "month" in units:
            return "FREQ=MONTHLY;BYMONTHDAY=-1", periods, False
        months = set()
        if "quarter" in units:
            months |= {3, 6, 9, 12}
        if "half" in units:
            months |= {6, 12}
        months.add(12)
        listed = ",".join(str(m) for m in sorted(months))
        return f"FREQ=MONTHLY;BYMONTH={listed};BYMONTHDAY=-1", periods, False

    def _regime_day(self, g: dict[str, Any], words: str, longest: int = 31, month: int | None = None) -> int:
        """The day of a reporting-regime form: -1 for "ngày cuối cùng"; spelled-out words must agree."""
        if g.get("last"):
            return -1
        d = _day_of_month(g["d"], longest, words, month=month)
        said = _number_words(g["dw"]) if g.get("dw") else None
        if said is not None and said != d:
            raise DeadlineError(_('"{text}": the number {n} and the words "({words})" disagree', text=_short(words),
                                   n=d, words=g["dw"]))
        return d

    def _report_unit(self, words: str) -> str:
        """The period of "kỳ báo cáo": the report the text names ("báo cáo 6 tháng", "báo cáo quý" …)."""
        for unit, rx in (("half", _regime.HALF), ("quarter", _regime.QUARTER), ("year", _regime.YEAR),
                         ("month", _regime.MONTH)):
            if rx.search(self.fold):
                return unit
        raise DeadlineError(_('"{text}": the text does not say which report period "kỳ báo cáo" is',
                               text=_short(words)))

    def _read_regime(self, name: str, g: dict[str, Any], words: str) -> tuple[str, tuple[str, ...], bool] | date:
        cue = bool(_regime.CUE.search(self.fold))
        once = bool(g.get("next")) and not g.get("every") and not cue and not g.get("after")
        if name == "regime_year":
            m = _month(g["m"], words)
            d = self._regime_day(g, words, 29 if m == 2 else _last_day(2001, m), month=m)
            if once:  # "trước ngày 15 tháng 02 năm sau": the year after the directive's
                return self._day(_last_day(self.issued.year + 1, m) if d == -1 else d, m, self.issued.year + 1,
                                 words, self.issued)
            rule = f"FREQ=YEARLY;BYMONTH={m};" + (_bymonthday(d) if d > 0 else "BYMONTHDAY=-1")
            if g.get("next"):
                self._after.add(rule)
            return rule, ("year",), True
        d = self._regime_day(g, words)
        day = _bymonthday(d) if d > 0 else "BYMONTHDAY=-1"
        if name == "regime_month":
            unit = {"quy": "quarter", "qui": "quarter", "thang": "month", "nam": "year", None: "month"}.get(g.get("after"))
            if g.get("after") == "ky":
                unit = self._report_unit(words)
            if once:  # "trước ngày 15 của tháng sau": the month after the directive's
                nxt = self.issued.replace(day=1) + relativedelta(months=1)
                return date(nxt.year, nxt.month, min(_last_day(nxt.year, nxt.month), d if d > 0 else 31))
            # The month after a period: after a quarter it is the quarter's first month, and so on.
            first = {"month": None, "quarter": "1,4,7,10", "half": "1,7", "year": "1"}[unit]
            rule = "FREQ=MONTHLY;" + day if first is None else f"FREQ=MONTHLY;BYMONTH={first};" + day
            if g.get("next"):
                self._after.add(rule)
            return rule, (unit,), True
        # regime_quarter: a month of a quarter (or of the report period named elsewhere).
        unit = ("quarter" if g["unit"].startswith("qu") else "year" if g["unit"] == "nam"
                else self._report_unit(words))
        opening = g["which"].startswith(("dau", "thu nhat"))
        middle = g["which"] in ("giua", "thu hai")
        if middle and unit != "quarter":
            # a quarter's three months have a middle one; a half-year's six or a year's twelve do not
            raise DeadlineError(_('"{text}": only a quarter has a middle (second) month; name the month',
                                   text=_short(words)))
        months = {"month": None, "quarter": ("1,4,7,10", "3,6,9,12"), "half": ("1,7", "6,12"),
                  "year": ("1", "12")}[unit]
        if months is None:
            return "FREQ=MONTHLY;" + day, ("month",), True
        listed = "2,5,8,11" if middle else months[0] if opening else months[1]
        if once and unit == "year":  # "ngày 15 của tháng đầu năm sau" alone: the year after the directive's
            year, month = self.issued.year + 1, 1 if opening else 12
            return date(year, month, min(_last_day(year, month), d if d > 0 else 31))
        # "ngày 10 của tháng đầu quý sau" even alone recurs every quarter: a one-off day is written as a date, and
        # a month of "the next quarter" is the words of a reporting regime (held-out sets 3 and 5 both read so).
        rule = f"FREQ=MONTHLY;BYMONTH={listed};" + day
        if g.get("next"):
            self._after.add(rule)
        return rule, (unit,), True
