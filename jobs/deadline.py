"""Reading deadlines as Vietnamese administrators write them (thời hạn hoàn thành).

`parse_deadline("trước ngày 14/6/2018", issued=date(2018, 5, 23))` → a `Deadline`:

- *once* (một lần): "trước ngày 14/6/2018", "Tháng 12/2012", "Quý III/2013", "vào cuối năm 2013",
  "trong vòng 15 ngày kể từ ngày ký" — `due` is the day the text names; a month, quarter, half or
  year is due on its last day; đầu / giữa / cuối tháng, năm follow Art. 146 of the Civil Code 2015.
- *recurring* (định kỳ): "định kỳ hàng quý", "6 tháng và cả năm", "Tháng 12/năm", "trước ngày 20
  hằng tháng" — an RFC 5545 RRULE plus `start`, the first due date on or after the issue date.
- *continuous* (thường xuyên): no due date at all.

What the grammar does not understand, or finds impossible ("32/13/2018", "Quý V/2019"), raises
`DeadlineError` saying what and where — it never guesses. Pure: no I/O, no clock; the issue date
is a parameter. Text without diacritics ("truoc ngay 14/6/2018") and NFD input are read the same.
"""

from __future__ import annotations

import calendar as _calendar
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rruleset, rrulestr

from dondoc.i18n import N_, _
from jobs import deadline_regime as _regime
from jobs.workdays import WorkCalendar

__all__ = ["Deadline", "DeadlineError", "parse_deadline", "KINDS"]

KINDS = ("once", "recurring", "continuous")
# Years outside this range are typos (or OCR noise) in a task registry, not deadlines.
MIN_YEAR, MAX_YEAR = 1900, 2199
# Period units a recurring deadline can close, smallest first.
_UNITS = ("week", "month", "quarter", "half", "year")
# Month names in messages, translated where they are shown ("February" → "tháng 2").
_MONTH_NAMES_EN = [None, N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
                   N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December")]


class DeadlineError(ValueError):
    """The text holds no deadline this grammar can read; the message says what was not understood."""


# ================================================================================================
# The result
# ================================================================================================
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
    def occurrences(self, start: date, end: date) -> list[date]:
        """Due dates within [start, end], inclusive. Once → [due] if in range; continuous → []."""
        if self.kind == "once":
            return [self.due] if start <= self.due <= end else []
        if self.kind == "continuous" or end < start:
            return []
        rule = _rule(self.all_rules, self.start)
        return [dt.date() for dt in rule.between(_dt(start), _dt(end), inc=True)]

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


# ================================================================================================
# Text normalisation: one folded, lower-case, diacritic-free copy with offsets back to the input
# ================================================================================================
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


class _Text:
    """The input, its NFC form folded to lower-case ASCII (same length), and offsets back."""

    __slots__ = ("original", "fold", "_src")

    def __init__(self, original: str):
        self.original = original
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


# ================================================================================================
# The grammar, on folded text
# ================================================================================================
_QUAL = r"(?:(?P<q>dau|giua|cuoi)\s+)?"
_YEAR_TAIL = r"(?:\s*[/.-]\s*(?P<y>\d{4})|\s*,?\s+nam\s+(?P<y2>\d{4}))?"
_ROMAN_OR_NUM = r"(?P<n>[ivx]{1,4}|\d{1,2})\b"
_PREP_R = r"(?:(?:truoc|vao|cham\s+nhat(?:\s+la)?|den\s+het|khong\s+qua)\s+)?"

# Time expressions naming one day or one period ("atoms").
_ATOMS: list[tuple[str, re.Pattern]] = [
    ("rel", re.compile(
        r"(?:(?P<pre>trong\s+(?:vong|thoi\s+han|han|khoang|thoi\s+gian)|trong|sau|chua\s+qua|"
        r"khong\s+qua|cham\s+nhat(?:\s+la)?|toi\s+da)\s+)?"
        r"(?<![\w/.,-])(?P<n>\d{1,6})(?:\s*\((?P<w>[a-z ]{1,40})\))?\s+"
        r"(?P<u>ngay(?:\s+lam\s+viec)?|tuan(?:\s+le)?|thang|nam)\b(?!\s*(?:\d|dau\b|cuoi\b|giua\b|/))"
        r"(?P<from>\s*,?\s*(?:ke|tinh)\s+tu\s+(?:ngay\s+)?"
        r"(?P<origin>ky(?:\s+ban\s+hanh)?|ban\s+hanh|[a-z]+(?:\s+[a-z]+)?)"
        r"(?:\s+(?:van\s+ban|quyet\s+dinh|chi\s+thi|ke\s+hoach|cong\s+van|thong\s+bao)\s+nay)?)?"
    )),
    ("date", re.compile(
        r"(?P<ngay>ngay\s+)?(?<![\w/.-])(?P<d>\d{1,2})(?P<s>[/.-])(?P<m>\d{1,2})"
        r"(?:(?P=s)(?P<y>\d{4}))?(?!\w|[/.-]\d)"
    )),
    ("iso", re.compile(r"(?<![\w/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\w|[/.-]\d)")),
    ("date", re.compile(
        r"(?P<ngay>ngay\s+)(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})\b"
        r"(?:\s*,?\s+nam\s+(?P<y>\d{4})|\s*[/.-]\s*(?P<y2>\d{4}))?(?![/.-]?\d)"
    )),
    ("half", re.compile(
        r"(?:(?:6|sau)\s+thang|nua)\s+(?P<h>dau|cuoi)\s+nam\b(?:\s*[/.-]?\s*(?P<y>\d{4}))?"
    )),
    ("quarter", re.compile(_QUAL + r"\bqu[yi]\s+" + _ROMAN_OR_NUM + _YEAR_TAIL + r"(?![/.-]?\d)")),
    ("month", re.compile(_QUAL + r"\bthang\s+(?P<m>\d{1,2})(?!\d)" + _YEAR_TAIL + r"(?![/.-]?\d)")),
    ("year", re.compile(_QUAL + r"\bnam\s+(?P<y>\d{4})(?![/.-]?\d)")),
    ("this", re.compile(_QUAL + r"\b(?P<u>nam|thang|qu[yi])\s+nay\b")),
    ("qual", re.compile(r"\b(?P<q>dau|giua|cuoi)\s+(?P<u>nam|thang|qu[yi])\b(?!\s*(?:\d|[ivx]{1,4}\b|nay\b))")),
    ("span", re.compile(
        r"\bgiai\s+doan\s+(?:(?:tu\s+)?nam\s+)?(?P<y1>\d{4})\s*(?:-|den(?:\s+het)?(?:\s+nam)?)\s*(?P<y2>\d{4})\b"
    )),
]

# Recurring forms, each read as a whole.
_SIX = r"(?:0?6(?:\s*\(\s*sau\s*\))?|sau)\s+thang"  # "6 tháng", "06 (sáu) tháng", "sáu tháng"
_UNIT = r"(?:(?:hang|moi)\s+)?(?:" + _SIX + r"|thang|qu[yi]|nam|tuan)"
_RECURRING: list[tuple[str, re.Pattern]] = [
    ("monthly_slash_year", re.compile(r"\bhang\s+thang\s*/\s*nam\b")),
    ("day_monthly", re.compile(
        r"\b" + _PREP_R + r"(?:ngay\s+)?(?<![\d/.-])(?P<d>\d{1,2})\s+(?:cua\s+)?(?:hang|moi)\s+thang\b(?!\s*/)"
    )),
    ("day_quarterly", re.compile(
        r"\b" + _PREP_R + r"(?:ngay\s+)?(?<![\d/.-])(?P<d>\d{1,2})\s+(?:cua\s+)?thang\s+(?P<w>cuoi|dau)\s+"
        r"(?:cua\s+)?(?:moi\s+|hang\s+)?qu[yi]\b"
    )),
    ("date_yearly", re.compile(
        r"\b" + _PREP_R + r"(?:ngay\s+)?(?<![\d/.-])(?P<d>\d{1,2})(?:\s*[/.-]\s*|\s+thang\s+)(?P<m>\d{1,2})\s+"
        r"(?:cua\s+)?(?:hang|moi)\s+nam\b"
    )),
    ("month_yearly", re.compile(
        r"\b" + _PREP_R + _QUAL + r"thang\s+(?P<m>\d{1,2})\s*(?:/\s*nam\b|(?:cua\s+)?(?:hang|moi)\s+nam\b)"
    )),
    ("quarter_yearly", re.compile(
        r"\b" + _PREP_R + r"qu[yi]\s+" + _ROMAN_OR_NUM + r"\s*(?:/\s*nam\b|(?:cua\s+)?(?:hang|moi)\s+nam\b)"
    )),
    ("weekday_weekly", re.compile(
        r"\b" + _PREP_R + r"(?:ngay\s+)?(?P<wd>thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat)\s+"
        r"(?:cua\s+)?(?:hang|moi)\s+tuan\b"
    )),
    ("units", re.compile(
        r"\b(?:dinh\s+ky(?:\s+(?:hang|moi))?|hang|moi|(?:che\s+do\s+)?bao\s+cao\s+dinh\s+ky|che\s+do\s+bao\s+cao)\s+"
        r"(?P<list>" + _UNIT + r"(?:\s*(?:,|va|hoac)\s*(?:ca\s+)?" + _UNIT + r")*)\b"
        r"(?!\s*(?:\d|[ivx]{1,4}\b(?!\.)|dau\b|cuoi\b|giua\b|/|nay\b|truoc\b|sau\b|toi\b))"
    )),
    ("units", re.compile(
        r"\b(?P<list>" + _SIX + r"\s*(?:,|va)\s*(?:ca\s+)?nam)\b(?!\s*(?:\d|/))"
    )),
] + _regime.FORMS

_CONTINUOUS = re.compile(
    r"\b(?:thuong\s+xuyen(?:\s*(?:,|va)\s*lien\s+tuc)?|lien\s+tuc\s*(?:,|va)\s*thuong\s+xuyen)\b"
)
_PERIODIC_ALONE = re.compile(r"\bdinh\s+ky\b")

# What may stand before a time expression.
_LABEL = (
    r"(?:thoi\s+(?:gian|han)|han(?:\s+chot)?|moc(?:\s+thoi\s+gian)?|deadline|hoan\s+thanh|xong|ket\s+thuc)"
    r"(?:\s+(?:hoan\s+thanh|thuc\s+hien|nop|gui|bao\s+cao|la))?"
)
_PREP = (
    r"(?:truoc|cham\s+nhat(?:\s+la)?|muon\s+nhat(?:\s+la)?|tre\s+nhat(?:\s+la)?|khong\s+qua|"
    r"khong\s+muon\s+hon|den\s+het|den|toi|het|vao|trong|trong\s+suot)"
)
_FILLER = (
    r"(?:\d{1,2}\s*(?:h|gio)(?:\s*\d{1,2}(?:\s*phut)?)?\s*,?\s*)?"
    r"(?:(?:thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat)\s*,?\s*)?"
)
_MARKER = re.compile(
    r"(?:(?<![a-z])(?P<label>" + _LABEL + r")\s*:?\s*)?(?:(?<![a-z])(?P<prep>" + _PREP + r")\s*:?\s*)?"
    + _FILLER + r"(?:ngay\s+)?$"
)
_NEGATIVE = re.compile(
    r"(?<![a-z])(?P<neg>tinh\s+(?:den|toi)(?:\s+het)?|ke\s+tu(?:\s+sau)?|tu|bat\s+dau(?:\s+tu)?|sau)\s*(?:ngay\s+)?$"
)
_NEG_REASON = {
    "tinh": N_("is a reference date (as of), not a deadline"),
    "ke": N_("says when something starts, not when it is due"),
    "tu": N_("says when the work starts, not when it is due"),
    "bat": N_("says when the work starts, not when it is due"),
    "sau": N_("says after when, not by when"),
}
_RANGE_CONNECTOR = re.compile(r"\s*(?:-|den(?:\s+het)?|toi)\s*")
_LIST_CONNECTOR = re.compile(r"\s*(?:va|,)\s*")
_ALSO = re.compile(r"\s*(?:va|,|;|hoac)\s*")
_CLOSE_PAREN = re.compile(r"\s*\)")
_ONLY_PUNCT = re.compile(r"[^\w(]*(?:\([^)]*\)[^\w(]*)*")

# Priority when two readings cover the same words (lower wins).
_PRIORITY = {"recurring": 0, "rel": 1, "date": 2, "iso": 2, "span": 3, "half": 4, "quarter": 5,
             "month": 6, "year": 7, "this": 8, "qual": 9, "continuous": 10}

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_ROMAN_SHOW = {1: "I", 2: "II", 3: "III", 4: "IV"}
_WEEKDAYS = {"hai": "MO", "2": "MO", "ba": "TU", "3": "TU", "tu": "WE", "4": "WE", "nam": "TH", "5": "TH",
             "sau": "FR", "6": "FR", "bay": "SA", "7": "SA", "chu nhat": "SU"}
_DIGIT_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7,
                "tam": 8, "chin": 9}


@dataclass
class _Once:
    words: str
    due: date
    strong: bool  # governed by "trước", "chậm nhất", "không quá" …: the date the sender must meet
    yearless: tuple[int, int] | None  # (day, month) of a date written without its year
    start: int
    end: int


@dataclass
class _Rule:
    words: str
    rrule: str
    periods: tuple[str, ...]
    specific: bool  # names a day ("ngày 20 hằng tháng"), not only a period ("hằng quý")
    start: int
    end: int
    converted: bool = False  # a year-less date made yearly by the report period around it


# A deadline the sender must meet, as opposed to the dates of the work itself.
_STRONG = re.compile(r"(?:truoc|cham\s+nhat|muon\s+nhat|tre\s+nhat|khong\s+qua|khong\s+muon\s+hon|han\s+chot)\b")


@dataclass
class _Match:
    kind: str  # an atom kind, "recurring" or "continuous"
    name: str  # the regex's name
    start: int
    end: int
    m: re.Match | None
    parts: tuple["_Match", ...] = ()  # a range: its atoms, in order


# ================================================================================================
# parse_deadline
# ================================================================================================
def parse_deadline(text: str, issued: date, calendar: WorkCalendar | None = None) -> Deadline:
    """Read the deadline in `text` for a directive issued on `issued`.

    Year-less dates and periods are their next occurrence on or after `issued`; relative periods
    ("trong vòng 15 ngày kể từ ngày ký") count from the day after `issued` (Art. 147), working days
    on `calendar` (default: the built-in `WorkCalendar()`). Raises DeadlineError, nothing else.
    """
    if not isinstance(text, str):
        raise DeadlineError(_("expected the deadline as text, not {type}", type=type(text).__name__))
    if isinstance(issued, datetime):
        issued = issued.date()
    if not isinstance(issued, date):
        raise TypeError(f"issued must be a date, not {type(issued).__name__}")
    t = _Text(text)
    if not t.fold.strip():
        raise DeadlineError(_("no deadline: the text is empty"))
    return _Reader(t, issued, calendar).read()


class _Reader:
    def __init__(self, t: _Text, issued: date, calendar: WorkCalendar | None):
        self.t = t
        self.fold = t.fold
        self.issued = issued
        self._calendar = calendar
        self._after: set[str] = set()  # rules read as due in the period after the one they close

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = _default_calendar()
        return self._calendar

    # -- the pipeline ------------------------------------------------------------------------------
    def read(self) -> Deadline:
        matches = self._non_overlapping(self._all_matches())
        matches = self._merge_ranges(matches)

        once: list[_Once] = []
        recurring: list[_Rule] = []
        continuous: list[str] = []
        not_deadlines: list[str] = []
        last: _Once | None = None
        for mt in matches:
            if mt.kind == "continuous":
                continuous.append(self.t.span(mt.start, mt.end))
                continue
            if mt.kind == "recurring":
                words = self.t.span(mt.start, mt.end)
                got = self._read_recurring(mt)
                if isinstance(got, date):  # "trước ngày 15 của tháng sau" with no report period: one day
                    last = _Once(words, got, bool(_STRONG.match(self.fold, mt.start)), None, mt.start, mt.end)
                    once.append(last)
                else:
                    recurring.append(_Rule(words, *got, mt.start, mt.end))
                continue
            start, role = self._role(mt)
            inherited = role is None and last is not None and bool(_ALSO.fullmatch(self.fold, last.end, mt.start))
            if inherited:
                role = "deadline"  # "trước ngày 5/6/2018 và ngày 5/12/2018": the marker covers both
            words = self.t.span(start, mt.end).strip()
            if role == "deadline":
                g = mt.m.groupdict() if mt.m is not None else {}
                yearless = (int(g["d"]), int(g["m"])) if mt.kind == "date" and not (g.get("y") or g.get("y2")) else None
                strong = bool(_STRONG.match(self.fold, start)) or (inherited and last.strong)
                last = _Once(words, self._read_once(mt, words), strong, yearless, start, mt.end)
                once.append(last)
            elif role is not None:
                not_deadlines.append(_('"{text}" {reason}', text=_short(words), reason=_(role)))

        # "báo cáo sơ kết 6 tháng trước ngày 10/6 và báo cáo năm trước ngày 10/12": year-less days in a duty
        # that names a report period are yearly due dates, one rule each.
        if once and all(o.yearless for o in once) and (recurring or _regime.CUE.search(self.fold)):
            for o in once:
                d, m = o.yearless
                recurring.append(_Rule(o.words, f"FREQ=YEARLY;BYMONTH={m};" + _bymonthday(d), ("year",), True,
                                       o.start, o.end, converted=True))
            once = []
        if recurring:
            if once:
                raise DeadlineError(_(
                    'both a one-off deadline ("{once}") and a recurring one ("{recurring}") in "{text}"; '
                    'give one per task', once=_short(once[0].words), recurring=_short(recurring[0].words),
                    text=_short(self.t.original)))
            written = recurring  # every schedule word, the bare periods the days detail included
            recurring = _most_specific(recurring)
            if len({r.rrule for r in recurring}) > 1 and not all(r.specific for r in recurring):
                listed = ", ".join(f'"{_short(r.words)}"' for r in recurring)
                raise DeadlineError(_("more than one recurring schedule ({listed}); give one per task", listed=listed))
            rules = _without_subsumed(list(dict.fromkeys(r.rrule for r in recurring)), self.issued)
            first = _rule(tuple(rules), self.issued).after(_dt(self.issued), inc=True)
            if len(recurring) == 1:
                words = recurring[0].words
            else:
                # "định kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12)": the whole schedule, its
                # brackets closed.
                lo, hi = min(r.start for r in written), max(r.end for r in written)
                while self.fold.count("(", lo, hi) > self.fold.count(")", lo, hi):
                    close = re.match(r"\s*\)", self.fold[hi:])
                    if not close:
                        break
                    hi += close.end()
                words = self.t.span(lo, hi)
            if first is None:  # every rule here recurs forever; kept for safety
                raise DeadlineError(_('"{text}" has no due date after {date}', text=_short(words),
                                       date=self.issued.strftime("%d/%m/%Y")))
            units = {u for r in recurring for u in r.periods}
            return Deadline("recurring", self.t.original, words, rrule=rules[0], start=first.date(),
                            periods=tuple(u for u in _UNITS if u in units), rrules=tuple(rules),
                            after_period=all(r.rrule in self._after for r in recurring))
        if once:
            dues = {o.due for o in once}
            strong = [o for o in once if o.strong]
            if len(dues) > 1 and strong and len({o.due for o in strong}) == 1:
                # "từ ngày 01/3 đến ngày 31/3/2020 …, báo cáo … trước ngày 05/4/2020": the dates of the work
                # itself give way to the one the sender must meet ("trước", "chậm nhất", "không quá").
                once, dues = strong, {strong[0].due}
            if len(dues) > 1:
                listed = "; ".join(f'"{_short(o.words)}" ({o.due:%d/%m/%Y})' for o in once[:3])
                raise DeadlineError(_("more than one deadline: {listed}; give one per task", listed=listed))
            return Deadline("once", self.t.original, once[0].words, due=once[0].due)
        if continuous:
            return Deadline("continuous", self.t.original, continuous[0])
        reasons = list(not_deadlines)
        if _PERIODIC_ALONE.search(self.fold):
            reasons.append(_('"định kỳ" (periodic) names no period such as "hằng quý" or "6 tháng"'))
        if reasons:
            alone = len(reasons) == 1 and " ".join(self.t.original.split()).strip(" .;,") in reasons[0]
            if alone:
                raise DeadlineError(_("no deadline: {reasons}", reasons=reasons[0]))
            raise DeadlineError(_('no deadline in "{text}": {reasons}', text=_short(self.t.original),
                                  reasons="; ".join(reasons)))
        raise DeadlineError(_('no deadline found in "{text}" (expected e.g. "trước ngày 14/6/2018", "Quý III/2013", '
                              '"hằng quý", "Thường xuyên")', text=_short(self.t.original)))

    def _all_matches(self) -> list[_Match]:
        out: list[_Match] = []
        for name, rx in _RECURRING:
            out.extend(_Match("recurring", name, m.start(), m.end(), m) for m in rx.finditer(self.fold))
        for name, rx in _ATOMS:
            for m in rx.finditer(self.fold):
                if name == "date" and not m.group("ngay") and not m.group("y") and m.group("s") != "/":
                    continue  # "84.52", "1-2": numbers, not year-less dates
                if name == "rel" and not (m.group("from") or m.group("pre") in _REL_PRE_ALONE):
                    continue  # "5 năm thực hiện": a duration, not a deadline
                out.append(_Match(name, name, m.start(), m.end(), m))
        out.extend(_Match("continuous", "continuous", m.start(), m.end(), m) for m in _CONTINUOUS.finditer(self.fold))
        return out

    @staticmethod
    def _non_overlapping(matches: list[_Match]) -> list[_Match]:
        # Longest first (then by priority): "trước ngày 15/12 hằng năm" beats the date inside it.
        ranked = sorted(matches, key=lambda x: (-(x.end - x.start), _PRIORITY[x.kind], x.start))
        kept: list[_Match] = []
        for mt in ranked:
            if all(mt.end <= k.start or mt.start >= k.end for k in kept):
                kept.append(mt)
        return sorted(kept, key=lambda x: x.start)

    def _merge_ranges(self, matches: list[_Match]) -> list[_Match]:
        """ "từ ngày 1/6 đến ngày 30/6/2018", "quý II và quý III", "năm 2013 và giai đoạn 2013 - 2015"
        become one range, due at its end."""
        out: list[_Match] = []
        for mt in matches:
            prev = out[-1] if out else None
            joined = prev is not None and prev.kind in _RANGE_KINDS and mt.kind in _RANGE_KINDS and (
                _RANGE_CONNECTOR.fullmatch(self.fold, prev.end, mt.start)
                # "quý II và quý III": work over both periods; "ngày 5/6 và ngày 5/12" are two deadlines.
                or (_LIST_CONNECTOR.fullmatch(self.fold, prev.end, mt.start)
                    and mt.kind in _PERIOD_KINDS and all(p.kind in _PERIOD_KINDS for p in prev.parts or (prev,)))
            )
            if joined:
                parts = (prev.parts or (prev,)) + (mt,)
                out[-1] = _Match("range", "range", prev.start, mt.end, None, parts)
            else:
                out.append(mt)
        return out

    def _role(self, mt: _Match) -> tuple[int, str | None]:
        """Where the deadline's words start, and "deadline", a reason it is not one, or None (ignored)."""
        before = self.fold[max(0, mt.start - 60):mt.start]
        offset = mt.start - len(before)
        if mt.kind == "rel":
            return mt.start, "deadline"  # "trong vòng 15 ngày kể từ ngày ký" says it all
        neg = _NEGATIVE.search(before)
        if neg:
            word = neg.group("neg").split()[0]
            if not (mt.parts and word == "tu"):  # "từ … đến …" is a range, due at its end
                start = offset + neg.start("neg")
                return start, _NEG_REASON[word]
            return offset + neg.start("neg"), "deadline"
        marker = _MARKER.search(before)
        start = mt.start
        if marker and marker.group("prep"):
            start = offset + marker.start("prep")
            return start, "deadline"
        if marker and marker.group("label"):
            return mt.start, "deadline"
        lead = offset + (marker.start() if marker else len(before))
        head = self.fold[:lead]
        if head.rstrip().endswith("(") and _CLOSE_PAREN.match(self.fold, mt.end):
            return start, "deadline"  # "(quý III/2013)" at the end of a task
        if _ONLY_PUNCT.fullmatch(head) and _ONLY_PUNCT.fullmatch(self.fold, mt.end):
            return start, "deadline"  # the whole text is the deadline: "Tháng 12/2012"
        return start, None  # a date mentioned in passing ("Quyết định số 716/QĐ-BNV ngày 24/4/2018")

    # -- one-off readings -------------------------------------------------------------------------
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
            if kind == "quarter":
                n = _quarter(g["n"], words)
                year = _year(g.get("y") or g.get("y2"), words)
                if g.get("q") == "giua":
                    raise DeadlineError(_('"{text}": "giữa quý" (mid-quarter) has no fixed day', text=_short(words)))
                return self._next(lambda y: _quarter_day(g.get("q"), y, n), year, ref)
            if kind == "half":
                year = _year(g.get("y"), words)
                return self._next(lambda y: date(y, 6, 30) if g["h"] == "dau" else date(y, 12, 31), year, ref)
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

    # -- recurring readings -----------------------------------------------------------------------
    def _read_recurring(self, mt: _Match) -> tuple[str, tuple[str, ...], bool] | date:
        """(RRULE value, period units, whether it names a day) for a recurring match — or, for a day in
        the next period written without any report period ("trước ngày 15 của tháng sau"), that one day."""
        g = mt.m.groupdict()
        words = self.t.span(mt.start, mt.end)
        name = mt.name
        if name == "monthly_slash_year":  # "Hàng tháng/năm" is read as monthly (issue 3)
            return "FREQ=MONTHLY;BYMONTHDAY=-1", ("month",), False
        if name == "day_monthly":
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
            wd = _WEEKDAYS[" ".join(g["wd"].split()[-2:]) if g["wd"].startswith("chu") else g["wd"].split()[-1]]
            return f"FREQ=WEEKLY;BYDAY={wd}", ("week",), True
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
            unit = {"quy": "quarter", "qui": "quarter", "thang": "month", None: "month"}.get(g.get("after"))
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
        unit = "quarter" if g["unit"].startswith("qu") else self._report_unit(words)
        opening = g["which"].startswith(("dau", "thu nhat"))
        months = {"month": None, "quarter": ("1,4,7,10", "3,6,9,12"), "half": ("1,7", "6,12"),
                  "year": ("1", "12")}[unit]
        if months is None:
            return "FREQ=MONTHLY;" + day, ("month",), True
        listed = months[0] if opening else months[1]
        if once:  # "ngày 10 của tháng đầu quý sau" alone: the quarter after the directive's
            n = (self.issued.month - 1) // 3 + 1
            year, n = (self.issued.year + 1, 1) if n == 4 else (self.issued.year, n + 1)
            month = 3 * n - 2 if opening else 3 * n
            return date(year, month, min(_last_day(year, month), d if d > 0 else 31))
        rule = f"FREQ=MONTHLY;BYMONTH={listed};" + day
        if g.get("next"):
            self._after.add(rule)
        return rule, (unit,), True


_PERIOD_KINDS = {"month", "quarter", "half", "year", "span", "this", "qual"}
_RANGE_KINDS = _PERIOD_KINDS | {"date", "iso", "range"}
_REL_PRE_ALONE = {"trong vong", "trong thoi han", "trong han", "trong khoang", "trong thoi gian", "trong",
                  "chua qua", "khong qua", "cham nhat", "cham nhat la", "toi da"}


@functools.lru_cache(maxsize=1)
def _default_calendar() -> WorkCalendar:
    return WorkCalendar()


def _most_specific(recurring: list[_Rule]) -> list[_Rule]:
    """ "định kỳ hằng quý, trước ngày 15 của tháng cuối quý": the rule naming a day wins over the
    bare period it details; so do the days of "mỗi 6 tháng một lần (trước 18/6 và 18/12)"."""
    specific = [r for r in recurring if r.specific]
    if not specific:
        return recurring
    named = {u for r in specific for u in r.periods}
    if any(r.converted for r in specific) or all(r.specific or set(r.periods) <= named for r in recurring):
        return specific
    return recurring


def _without_subsumed(rules: list[str], issued: date) -> list[str]:
    """Drop a rule whose due dates another rule already gives ("báo cáo quý trước ngày 22 của tháng cuối
    quý" beside "báo cáo tháng trước ngày 22 hằng tháng"): one date, one occurrence. Checked over 8 years,
    long enough for every period the grammar writes (29/2 included)."""
    if len(rules) == 1:
        return rules
    end = issued + timedelta(days=8 * 366)
    dates = {r: set(_rule(r, issued).between(_dt(issued), _dt(end), inc=True)) for r in rules}
    kept: list[str] = []
    for r in rules:
        others = [o for o in rules if o != r]
        if any(dates[r] < dates[o] or (dates[r] == dates[o] and rules.index(o) < rules.index(r)) for o in others):
            continue
        kept.append(r)
    return kept


def _short(s: str, width: int = 80) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _check_year(y: int, words: str) -> int:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise DeadlineError(_('"{text}": the year {year} is outside {min}–{max}', text=_short(words), year=y,
                               min=MIN_YEAR, max=MAX_YEAR))
    return y


def _year(raw: str | None, words: str) -> int | None:
    return None if raw is None else _check_year(int(raw), words)


def _month(raw: str, words: str) -> int:
    m = int(raw)
    if not 1 <= m <= 12:
        raise DeadlineError(_('"{text}": there is no month {month}', text=_short(words), month=m))
    return m


def _quarter(raw: str, words: str) -> int:
    n = _ROMAN.get(raw) if not raw.isdigit() else int(raw)
    if n is None or not 1 <= n <= 4:
        raise DeadlineError(_('"{text}": there is no quarter {quarter} (quarters are I–IV)', text=_short(words),
                               quarter=raw.upper()))
    return n


def _day_of_month(raw: str, longest: int, words: str, month: int | None = None) -> int:
    d = int(raw)
    if not 1 <= d <= longest:
        where = _(_MONTH_NAMES_EN[month]) if month else _("a month")
        raise DeadlineError(_('"{text}": {month} has no day {day}', text=_short(words), month=where, day=d))
    return d


def _bymonthday(d: int) -> str:
    # RFC 5545 skips months without the day; "ngày 30 hằng tháng" must still fall due in February,
    # on its last day — hence the last of 28..d in each month.
    if d <= 28:
        return f"BYMONTHDAY={d}"
    return "BYMONTHDAY=" + ",".join(str(x) for x in range(28, d + 1)) + ";BYSETPOS=-1"


def _qualified_month(q: str | None, year: int, month: int) -> date:
    # Civil Code 2015, Art. 146: đầu tháng = day 1, giữa tháng = day 15, cuối tháng = last day.
    day = {"dau": 1, "giua": 15}.get(q, _last_day(year, month))
    return date(year, month, day)


def _qualified_year(q: str | None, year: int) -> date:
    # Art. 146: đầu năm = 1/1, giữa năm = 30/6, cuối năm = 31/12.
    return {"dau": date(year, 1, 1), "giua": date(year, 6, 30)}.get(q, date(year, 12, 31))


def _quarter_day(q: str | None, year: int, n: int) -> date:
    if q == "dau":
        return date(year, 3 * n - 2, 1)
    return date(year, 3 * n, _last_day(year, 3 * n))


def _number_words(words: str) -> int | None:
    """ "mười" → 10, "mười lăm" → 15, "hai mươi mốt" → 21 (folded); None when not a number."""
    toks = words.split()
    if not toks or len(toks) > 3:
        return None
    if toks[0] == "muoi":
        tens, rest = 1, toks[1:]
    elif len(toks) >= 2 and toks[1] == "muoi" and toks[0] in _DIGIT_WORDS:
        tens, rest = _DIGIT_WORDS[toks[0]], toks[2:]
    elif len(toks) == 1 and toks[0] in _DIGIT_WORDS and toks[0] != "lam":
        return _DIGIT_WORDS[toks[0]]
    else:
        return None
    if not rest:
        return tens * 10
    if len(rest) == 1 and rest[0] in _DIGIT_WORDS:
        return tens * 10 + _DIGIT_WORDS[rest[0]]
    return None
