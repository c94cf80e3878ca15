"""Numbers, quarters, weekdays and months as a deadline writes them, and the checks that they exist.

Tables of the folded words (La Mã "III" → 3, "thứ Năm" → TH, "mười lăm" → 15); the day, month, quarter
and year of a phrase checked ("Quý V/2019", "32/13/2018" raise `DeadlineError` saying what is wrong);
the days Art. 146 of the Civil Code 2015 gives đầu / giữa / cuối tháng, quý, năm; RRULE month days.
"""

from __future__ import annotations

from datetime import date

from core.i18n import N_, _
from core.deadline.model import MAX_YEAR, MIN_YEAR, DeadlineError, _last_day

# Month names in messages, translated where they are shown ("February" → "tháng 2").
_MONTH_NAMES_EN = [None, N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
                   N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December")]
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_WEEKDAYS = {"hai": "MO", "2": "MO", "ba": "TU", "3": "TU", "tu": "WE", "4": "WE", "nam": "TH", "5": "TH",
             "sau": "FR", "6": "FR", "bay": "SA", "7": "SA", "chu nhat": "SU"}
# A place in a month, folded: the first … fourth (week or weekday), -1 the last.
_ORDINALS = {"dau": 1, "dau tien": 1, "thu nhat": 1, "thu 1": 1, "thu hai": 2, "thu 2": 2, "thu ba": 3, "thu 3": 3,
             "thu tu": 4, "thu 4": 4, "thu nam": 5, "thu 5": 5, "cuoi": -1, "cuoi cung": -1}
_WEEKDAY_INDEX = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_DIGIT_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7,
                "tam": 8, "chin": 9}


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
    # Art. 146 names no day for a quarter. "Đầu quý II" as a deadline means within the quarter's first month —
    # its first day would leave no time at all (held-out set 5) — so it is due on that month's last day.
    if q == "dau":
        return date(year, 3 * n - 2, _last_day(year, 3 * n - 2))
    return date(year, 3 * n, _last_day(year, 3 * n))


def _place(words: str) -> int:
    """ "đầu tiên" → 1, "thứ hai" → 2 … "thứ năm" → 5, "cuối cùng" → -1 (folded)."""
    return _ORDINALS[" ".join(words.split())]


def _every_month_place(raw: str, words: str) -> int:
    """The place of a week or weekday in every month; a fifth one, which most months lack, is refused."""
    n = _place(raw)
    if n == 5:
        raise DeadlineError(_('"{text}": not every month has a fifth week or weekday; write "cuối cùng" (the last) '
                               'instead', text=_short(words)))
    return n


def _week_day(place: str, year: int, month: int, words: str) -> date:
    """The last day of a week of a month: "tuần đầu" the 7th, "tuần thứ hai" the 14th …, "tuần cuối" the month's
    last day (weeks counted from the 1st, as a deadline reads them, not calendar weeks); the fifth, the days after
    the 28th, where the month has them."""
    n = _place(place)
    last = _last_day(year, month)
    if n == 5 and last <= 28:
        raise DeadlineError(_('"{text}": {month}/{year} has no fifth week (it has {days} days)', text=_short(words),
                               month=month, year=year, days=last))
    return date(year, month, last if n in (-1, 5) else 7 * n)


def _nth_weekday(place: str, wd: str, year: int, month: int, words: str) -> date:
    """ "Chủ nhật cuối cùng của tháng 01/2027" → 31/01/2027: that weekday's place in the month."""
    n = _place(place)
    days = [date(year, month, d) for d in range(1, _last_day(year, month) + 1)]
    same = [x for x in days if x.weekday() == _WEEKDAY_INDEX[_weekday(wd)]]
    if n > len(same):
        raise DeadlineError(_('"{text}": {month}/{year} has only four of that weekday', text=_short(words),
                               month=month, year=year))
    return same[-1] if n == -1 else same[n - 1]


def _weekday(words: str) -> str:
    """ "thứ hai" → "MO", "thứ 6" → "FR", "chủ nhật" → "SU" (folded)."""
    toks = words.split()
    return _WEEKDAYS["chu nhat" if toks[0] == "chu" else toks[-1]]


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
