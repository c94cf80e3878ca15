"""A deadline as read (thời hạn): the `Deadline` value, its due dates and periods, and its stored form.

Pure date arithmetic: a once deadline has one `due`; a recurring one an RFC 5545 RRULE (or several) from
`start`, expanded by dateutil; a continuous one (thường xuyên) none. `DeadlineError` is what the grammar
(`core.deadline.reader`) and `Deadline.from_dict` raise for what they cannot read.
"""

from __future__ import annotations

import calendar as _calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rruleset, rrulestr

from core.i18n import _

KINDS = ("once", "recurring", "continuous")
# Years outside this range are typos (or OCR noise) in a task registry, not deadlines.
MIN_YEAR, MAX_YEAR = 1900, 2199
# Period units a recurring deadline can close, smallest first.
_UNITS = ("day", "week", "month", "quarter", "half", "year")


class DeadlineError(ValueError):
    """The text holds no deadline this grammar can read; the message says what was not understood."""


@dataclass(frozen=True)
class Deadline:
    """A deadline as written (`text`, `matched`) and as read (`kind`, `due` or `rrule` + `start`).

    `periods` (recurring only) names the period units the due dates close, e.g. ("half", "year")
    for "6 tháng và cả năm"; it only serves `period_of` and is derived from `rrule` when missing.
    """

    kind: str
    text: str
    matched: str
    due: date | None = None
    rrule: str | None = None
    start: date | None = None
    periods: tuple[str, ...] = ()
    rrules: tuple[str, ...] = ()
    # Due in the period after the one it closes ("ngày 15 của tháng sau", "tháng đầu của quý kế tiếp"):
    # `period_of` then names the period before the due date's own.
    after_period: bool = False

    def __post_init__(self) -> None:
        # Several schedules in one duty ("báo cáo 6 tháng trước ngày 10/6 và báo cáo năm trước ngày 10/12"):
        # `rrules` lists every rule and `rrule` is the first, so readers of one rule still see a valid one.
        rules = tuple(dict.fromkeys(self.rrules))
        if len(rules) == 1 and self.rrule in (None, rules[0]):
            object.__setattr__(self, "rrule", rules[0])
            rules = ()
        if rules:
            if self.rrule is None:
                object.__setattr__(self, "rrule", rules[0])
            elif self.rrule != rules[0]:
                raise ValueError("rrule must be the first of rrules")
        object.__setattr__(self, "rrules", rules)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "once" and self.due is None:
            raise ValueError("a once deadline needs a due date")
        if self.kind == "recurring" and (not self.rrule or self.start is None):
            raise ValueError("a recurring deadline needs an rrule and a start")
        if self.kind == "recurring" and not self.periods:
            found = {u for r in self.all_rules for u in _periods_from_rrule(r)}
            object.__setattr__(self, "periods", tuple(u for u in _UNITS if u in found))

    @property
    def all_rules(self) -> tuple[str, ...]:
        """Every RRULE of a recurring deadline (one, or the several of `rrules`); () otherwise."""
        return self.rrules or ((self.rrule,) if self.rrule else ())

    # -- due dates ---------------------------------------------------------------------------------
    def occurrences(self, start: date, end: date, limit: int | None = None) -> list[date]:
        """Due dates within [start, end], inclusive. Once → [due] if in range; continuous → [].
        `limit`: stop after limit + 1 dates (a caller bounding its cost sees that there are more)."""
        if self.kind == "once":
            return [self.due] if start <= self.due <= end else []
        if self.kind == "continuous" or end < start:
            return []
        rule = _rule(self.all_rules, self.start)
        if limit is None:
            return [dt.date() for dt in rule.between(_dt(start), _dt(end), inc=True)]
        out: list[date] = []
        last = _dt(end)
        for dt in rule.xafter(_dt(start), inc=True):
            if dt > last or len(out) > limit:
                break
            out.append(dt.date())
        return out

    def next_dues(self, on_or_after: date, n: int = 3) -> list[date]:
        """The first `n` due dates on or after `on_or_after` (once → [due] if not before it)."""
        if self.kind == "once":
            return [self.due] if self.due >= on_or_after and n > 0 else []
        if self.kind == "continuous":
            return []
        rule = _rule(self.all_rules, self.start)
        out: list[date] = []
        cursor = _dt(on_or_after)
        inclusive = True
        while len(out) < n:
            nxt = rule.after(cursor, inc=inclusive)
            if nxt is None:
                break
            out.append(nxt.date())
            cursor, inclusive = nxt, False
        return out

    def period_of(self, due: date) -> tuple[date, date]:
        """The period a recurring due date closes (quarter start..end for "hằng quý"), for messages.

        Once → (due, due). When several units fit ("quý, 6 tháng và năm" on 30/6) the largest whose
        end is the due date wins (the 6-month report); a due date inside its period ("trước ngày 20
        hằng tháng") belongs to the smallest unit containing it.
        """
        if self.kind != "recurring":
            return (due, due)
        units = [u for u in _UNITS if u in self.periods] or ["month"]
        if self.after_period and units[0] in _BACK:
            return _period(units[0], due - _BACK[units[0]])
        closing = [u for u in units if _period(u, due)[1] == due]
        unit = closing[-1] if closing else units[0]
        return _period(unit, due)

    # -- storage -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-safe; `Deadline.from_dict(d.to_dict()) == d`."""
        return {
            "kind": self.kind,
            "text": self.text,
            "matched": self.matched,
            "due": self.due.isoformat() if self.due else None,
            "rrule": self.rrule,
            "start": self.start.isoformat() if self.start else None,
            "periods": list(self.periods),
            **({"rrules": list(self.rrules)} if self.rrules else {}),
            **({"after_period": True} if self.after_period else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Deadline":
        """The inverse of `to_dict`; a malformed dict raises DeadlineError naming the bad field."""
        if not isinstance(d, dict):
            raise DeadlineError(_("a stored deadline must be a dict, not {type}", type=type(d).__name__))

        def day(field: str) -> date | None:
            v = d.get(field)
            if v is None:
                return None
            try:
                return date.fromisoformat(v)
            except (TypeError, ValueError):
                raise DeadlineError(_("stored deadline: {field}={value} is not an ISO date", field=field,
                                       value=repr(v))) from None

        periods = d.get("periods") or ()
        if not isinstance(periods, (list, tuple)) or any(p not in _UNITS for p in periods):
            raise DeadlineError(_("stored deadline: periods={value} must list units from {units}", value=repr(periods),
                                   units=str(_UNITS)))
        rrule = d.get("rrule")
        if rrule is not None:
            try:
                _rule(rrule, date(2000, 1, 1))
            except (TypeError, ValueError):
                raise DeadlineError(_("stored deadline: rrule={value} is not an RFC 5545 rule", value=repr(rrule))) from None
        rrules = d.get("rrules") or ()
        if not isinstance(rrules, (list, tuple)) or not all(isinstance(r, str) for r in rrules):
            raise DeadlineError(_("stored deadline: rrules={value} must be a list of RFC 5545 rules", value=repr(rrules)))
        try:
            _rule(tuple(rrules), date(2000, 1, 1))
        except (TypeError, ValueError):
            raise DeadlineError(_("stored deadline: rrules={value} holds a rule that is not RFC 5545",
                                   value=repr(rrules))) from None
        try:
            return cls(
                kind=d.get("kind"),
                text=str(d.get("text", "")),
                matched=str(d.get("matched", "")),
                due=day("due"),
                rrule=rrule,
                start=day("start"),
                periods=tuple(periods),
                rrules=tuple(rrules),
                after_period=bool(d.get("after_period", False)),
            )
        except ValueError as e:
            raise DeadlineError(_("stored deadline: {reason}", reason=e)) from None


def _dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


@functools.lru_cache(maxsize=4096)
def _rule(rrule: str | tuple[str, ...], start: date):
    """One rule, or the union of several (an rruleset) — dateutil yields each date once."""
    if isinstance(rrule, str):
        return rrulestr(rrule, dtstart=_dt(start))
    if len(rrule) == 1:
        return rrulestr(rrule[0], dtstart=_dt(start))
    rules = rruleset()
    for r in rrule:
        rules.rrule(rrulestr(r, dtstart=_dt(start)))
    return rules


def _last_day(year: int, month: int) -> int:
    return _calendar.monthrange(year, month)[1]


def _period(unit: str, d: date) -> tuple[date, date]:
    if unit == "day":
        return d, d
    if unit == "week":
        monday = d - timedelta(days=d.weekday())
        return monday, monday + timedelta(days=6)
    if unit == "month":
        return d.replace(day=1), d.replace(day=_last_day(d.year, d.month))
    if unit == "quarter":
        first = 3 * ((d.month - 1) // 3) + 1
        return date(d.year, first, 1), date(d.year, first + 2, _last_day(d.year, first + 2))
    if unit == "half":
        return (date(d.year, 1, 1), date(d.year, 6, 30)) if d.month <= 6 else (date(d.year, 7, 1), date(d.year, 12, 31))
    return date(d.year, 1, 1), date(d.year, 12, 31)


# How far back from a due date in the next period lies the period it closes.
_BACK = {"month": relativedelta(months=1), "quarter": relativedelta(months=3), "half": relativedelta(months=6),
         "year": relativedelta(years=1)}


def _periods_from_rrule(rrule: str | None) -> tuple[str, ...]:
    parts = dict(p.split("=", 1) for p in (rrule or "").split(";") if "=" in p)
    freq = parts.get("FREQ")
    if freq == "DAILY":
        return ("day",)
    if freq == "WEEKLY":
        return ("week",)
    months = set(parts.get("BYMONTH", "").split(",")) - {""}
    if freq == "MONTHLY" and not months:
        return ("month",)
    if months == {"3", "6", "9", "12"}:
        return ("quarter",)
    if months == {"6", "12"}:
        return ("half",)
    return ("year",)
