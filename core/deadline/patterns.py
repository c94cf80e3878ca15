"""The grammar's patterns (mẫu thời hạn), on the folded text (`core.deadline.text`).

- atoms: expressions naming one day or one period ("ngày 14/6/2018", "Quý III/2013", "trong vòng 15 ngày kể
  từ ngày ký");
- recurring forms, each read as a whole ("hằng quý", "trước ngày 20 hằng tháng"; the reporting-regime forms
  come from `core.deadline.regime`), and continuous ones ("thường xuyên");
- the words before an expression that make it a deadline ("trước", "chậm nhất", "thời hạn:") or not one
  ("kể từ", "tính đến"), and the connectors of ranges and lists;
- `_Match`: where one pattern matched, as the reader (`core.deadline.reader`) passes it around.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.i18n import N_
from core.deadline import regime as _regime

_QUAL = r"(?:(?P<q>dau|giua|cuoi)\s+)?"
_YEAR_TAIL = r"(?:\s*[/.-]\s*(?P<y>\d{4})|\s*,?\s+nam\s+(?P<y2>\d{4}))?"
_ROMAN_OR_NUM = r"(?P<n>[ivx]{1,4}|\d{1,2})\b"
# An hour may stand between the preposition and the day: "trước 15 giờ thứ Sáu hằng tuần", "chậm nhất 9h30 …".
HOUR = r"(?:\d{1,2}\s*(?:h|gio)(?:\s*\d{1,2}(?:\s*phut)?)?\s*,?\s*)"
_PREP_R = r"(?:(?:truoc|vao|cham\s+nhat(?:\s+la)?|den\s+het|khong\s+qua)\s+" + HOUR + r"?)?"
_WEEKDAY = r"(?:thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat)"
# "đầu", "đầu tiên", "thứ nhất" … "thứ tư", "cuối (cùng)": a week's or a weekday's place in a month
_ORDINAL = r"(?:dau(?:\s+tien)?|cuoi(?:\s+cung)?|thu\s+(?:nhat|hai|ba|tu|nam|[1-5]))"

# Time expressions naming one day or one period ("atoms").
_ATOMS: list[tuple[str, re.Pattern]] = [
    ("rel", re.compile(
        r"(?:(?P<pre>trong\s+(?:vong|thoi\s+han|han|khoang|thoi\s+gian)|trong|sau|chua\s+qua|"
        r"khong\s+qua|cham\s+nhat(?:\s+la)?|toi\s+da)\s+)?"
        r"(?<![\w/.,-])(?P<n>\d{1,6})(?:\s*\((?P<w>[a-z ]{1,40})\))?\s+"
        r"(?P<u>ngay(?:\s+lam\s+viec)?|tuan(?:\s+le)?|thang|nam)\b(?!\s*(?:\d|dau\b|cuoi\b|giua\b|/))"
        # "kể từ ngày ký", "sau ngày ký"; "sau khi nhận đủ hồ sơ", "kể từ khi nhận được …": from an event, which the
        # reader refuses with the event's words ("ký kết hợp đồng" is such an event, not the signing)
        r"(?P<from>\s*,?\s*(?:(?:ke|tinh)\s+tu\s+(?:ngay\s+)?|sau\s+(?:khi|ngay)\s+)"
        r"(?P<origin>ky(?:\s+ban\s+hanh)?(?!\s+ket\b)|ban\s+hanh|[a-z]+(?:\s+[a-z]+)?)"
        r"(?:\s+(?:van\s+ban|quyet\s+dinh|chi\s+thi|ke\s+hoach|cong\s+van|thong\s+bao)\s+nay)?)?"
    )),
    ("date", re.compile(
        # "01/10/2025–31/10/2025": a dash right after a year may start the range's second date
        r"(?P<ngay>ngay\s+)?(?:(?<=\d{4}-)|(?<![\w/.-]))(?P<d>\d{1,2})(?P<s>[/.-])(?P<m>\d{1,2})"
        r"(?:(?P=s)(?P<y>\d{4}))?(?!\w|[/.]\d|-\d(?!\d?[/.]\d))"
    )),
    ("iso", re.compile(r"(?<![\w/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\w|[/.-]\d)")),
    ("date", re.compile(
        r"(?P<ngay>ngay\s+)(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})\b"
        r"(?:\s*,?\s+nam\s+(?P<y>\d{4})|\s*[/.-]\s*(?P<y2>\d{4}))?(?![/.-]?\d)"
    )),
    # "6 tháng đầu năm", "nửa cuối năm"; also the first or last 3 or 9 months ("9 tháng đầu năm 2027": by 30/9)
    ("half", re.compile(
        r"(?:(?P<n>0?[369]|ba|sau|chin)\s+thang|nua)\s+(?P<h>dau|cuoi)\s+nam\b(?:\s*[/.-]?\s*(?P<y>\d{4}))?"
    )),
    ("quarter", re.compile(_QUAL + r"\bqu[yi]\s+" + _ROMAN_OR_NUM + _YEAR_TAIL + r"(?![/.-]?\d)")),
    ("month", re.compile(_QUAL + r"\bthang\s+(?P<m>\d{1,2})(?!\d)" + _YEAR_TAIL + r"(?![/.-]?\d)")),
    # "Tháng 10 - 11/2026", "Quý II - III/2026": two periods with the year written once, due at the second's end
    ("month", re.compile(r"\bthang\s+(?P<m1>\d{1,2})\s*(?:-|den|toi)\s*(?:thang\s+)?(?P<m>\d{1,2})"
                         + _YEAR_TAIL.replace(")?", ")") + r"(?![/.-]?\d)")),
    ("quarter", re.compile(r"\bqu[yi]\s+(?P<n1>[ivx]{1,4}|\d)\s*(?:-|den|toi)\s*(?:qu[yi]\s+)?" + _ROMAN_OR_NUM
                           + _YEAR_TAIL.replace(")?", ")") + r"(?![/.-]?\d)")),
    # "tuần đầu (tiên) của tháng 01/2027", "tuần thứ hai tháng 5", "tuần cuối tháng 12/2026": a week of a month
    ("week", re.compile(r"\btuan\s+(?P<wk>" + _ORDINAL + r")\s+(?:cua\s+)?thang\s+(?P<m>\d{1,2})(?!\d)" + _YEAR_TAIL
                        + r"(?![/.-]?\d)")),
    # "Chủ nhật cuối cùng của tháng 01/2027", "thứ Hai đầu tiên tháng 3": that weekday's place in a month
    ("weekday", re.compile(r"(?<![a-z])(?P<wd>" + _WEEKDAY + r")\s+(?:(?:cua\s+)?tuan\s+)?(?P<pos>" + _ORDINAL
                           + r")\s+(?:cua\s+)?"
                           r"thang\s+(?P<m>\d{1,2})(?!\d)" + _YEAR_TAIL + r"(?![/.-]?\d)")),
    ("year", re.compile(_QUAL + r"\bnam\s+(?P<y>\d{4})(?![/.-]?\d)")),
    ("this", re.compile(_QUAL + r"\b(?P<u>nam|thang|qu[yi])\s+nay\b")),
    ("qual", re.compile(r"\b(?P<q>dau|giua|cuoi)\s+(?P<u>nam|thang|qu[yi])\b(?!\s*(?:\d|[ivx]{1,4}\b|nay\b))")),
    # "ngay trong ngày (hôm nay)" with nothing after it: the day the directive is issued. Not "trong ngày hội",
    # nor "ngay trong ngày khi có sự cố" (the day of an event the issue date does not tell).
    ("today", re.compile(r"\bngay\s+trong\s+ngay(?:\s+hom\s+nay)?(?=\s*(?:[.;,)]|$))")),
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
    # "định kỳ hằng tháng, trước ngày 25": the period first, then the day of the month
    ("month_then_day", re.compile(
        r"\b(?:dinh\s+ky\s+)?(?:hang|moi)\s+thang\s*,?\s*" + _PREP_R + r"ngay\s+(?<![\d/.-])(?P<d>\d{1,2})\b"
        r"(?!\s*(?:[/.-]\s*\d|thang\b|cua\b|\())"
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
    # "tháng 3 và tháng 9 hằng năm": several months of every year, each due at its end
    ("months_yearly", re.compile(
        r"\b" + _PREP_R + r"thang\s+(?P<m>\d{1,2})(?P<more>(?:\s*(?:,|va)\s*(?:thang\s+)?\d{1,2}\b)+)\s+"
        r"(?:cua\s+)?(?:hang|moi)\s+nam\b"
    )),
    ("quarter_yearly", re.compile(
        r"\b" + _PREP_R + r"qu[yi]\s+" + _ROMAN_OR_NUM + r"\s*(?:/\s*nam\b|(?:cua\s+)?(?:hang|moi)\s+nam\b)"
    )),
    ("weekday_weekly", re.compile(
        r"\b" + _PREP_R + r"(?:ngay\s+)?(?P<wd>thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat)\s+"
        r"(?:cua\s+)?(?:hang|moi)\s+tuan\b"
    )),
    # "(vào sáng) Chủ nhật cuối cùng hằng tháng", "thứ Hai đầu tiên của mỗi tháng", "thứ Năm thứ hai hằng tháng":
    # that weekday's place in every month, not the month's last day
    # "(trong) tuần đầu hằng tháng", "tuần cuối cùng của mỗi tháng": by that week's last day, every month
    ("week_monthly", re.compile(
        r"\b(?:trong\s+)?tuan\s+(?P<wk>" + _ORDINAL + r")\s+(?:cua\s+)?(?:hang|moi)\s+thang\b(?!\s*/)"
    )),
    ("weekday_monthly", re.compile(
        r"\b" + _PREP_R + r"(?:(?:buoi\s+)?(?:sang|chieu)\s+)?(?:ngay\s+)?(?P<wd>" + _WEEKDAY + r")\s+"
        r"(?:(?:cua\s+)?tuan\s+)?(?P<pos>" + _ORDINAL + r")\s+(?:cua\s+)?(?:hang|moi)\s+thang\b(?!\s*/)"
    )),
    # "Hằng tháng, vào Chủ nhật cuối cùng": the period first, then the weekday's place
    ("month_then_weekday", re.compile(
        r"\b(?:dinh\s+ky\s+)?(?:hang|moi)\s+thang\s*,?\s*" + _PREP_R + r"(?:(?:buoi\s+)?(?:sang|chieu)\s+)?"
        r"(?:ngay\s+)?(?P<wd>" + _WEEKDAY + r")\s+(?:(?:cua\s+)?tuan\s+)?(?P<pos>" + _ORDINAL + r")\b"
        r"(?!\s+(?:cua\s+)?(?:thang|qu[yi]|nam)\b)"
    )),
    ("units", re.compile(
        r"\b(?:dinh\s+ky(?:\s+(?:hang|moi))?|hang|moi|(?:che\s+do\s+)?bao\s+cao\s+dinh\s+ky|che\s+do\s+bao\s+cao)\s+"
        r"(?P<list>" + _UNIT + r"(?:\s*(?:,|va|hoac)\s*(?:ca\s+)?" + _UNIT + r")*)\b"
        r"(?!\s*(?:\d|[ivx]{1,4}\b(?!\.)|dau\b|cuoi\b|giua\b|/|nay\b|truoc\b|sau\b|toi\b))"
    )),
    ("units", re.compile(
        r"\b(?P<list>" + _SIX + r"\s*(?:,|va)\s*(?:ca\s+)?nam)\b(?!\s*(?:\d|/))"
    )),
    # "6 tháng một lần", "(định kỳ) mỗi quý một lần", "mỗi năm 1 lần": once every period, due at its end
    ("units", re.compile(
        r"\b(?:dinh\s+ky\s+)?(?P<list>(?:(?:hang|moi)\s+)?(?:" + _SIX + r"|qu[yi]|nam|thang|tuan))\s+(?:mot|1)\s+lan\b"
    )),
    # "trước 15 giờ hằng ngày", "hằng ngày (trước 16 giờ)": a report every day by that hour; without the hour "hằng
    # ngày" says how the work is done, not when a report is due. An open end ("cho đến khi bão tan", "… có thông
    # báo mới") is an event, not a date: it belongs to the words but puts no end on the schedule.
    ("daily", re.compile(
        r"\b(?:(?:truoc|vao|cham\s+nhat(?:\s+la)?|khong\s+qua)\s+" + HOUR + r"(?:hang|moi)\s+ngay\b"
        r"|(?:hang|moi)\s+ngay\s*(?:,\s*|\(\s*)?(?:truoc|vao|cham\s+nhat(?:\s+la)?|khong\s+qua)\s+"
        r"\d{1,2}\s*(?:h|gio)(?:\s*\d{1,2}(?:\s*phut)?)?\b(?:\s*\))?)"
        r"(?:\s*,?\s*(?:cho\s+)?(?:den|toi)\s+khi\s+[^.;,()]*[^\s.;,()])?"
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
    HOUR + r"?"
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
_PRIORITY = {"recurring": 0, "rel": 1, "today": 1, "date": 2, "iso": 2, "span": 3, "half": 4, "quarter": 5, "week": 6, "weekday": 6,
             "month": 6, "year": 7, "this": 8, "qual": 9, "continuous": 10}

# A deadline the sender must meet, as opposed to the dates of the work itself.
_STRONG = re.compile(r"(?:truoc|cham\s+nhat|muon\s+nhat|tre\s+nhat|khong\s+qua|khong\s+muon\s+hon|han\s+chot)\b")

# Atoms that join into one range ("quý II và quý III" only of periods; "từ … đến …" of days too).
_PERIOD_KINDS = {"month", "week", "weekday", "quarter", "half", "year", "span", "this", "qual"}
_RANGE_KINDS = _PERIOD_KINDS | {"date", "iso", "range"}
# Words that make a bare "15 ngày" a deadline without "kể từ ngày ký" after it.
_REL_PRE_ALONE = {"trong vong", "trong thoi han", "trong han", "trong khoang", "trong thoi gian", "trong",
                  "chua qua", "khong qua", "cham nhat", "cham nhat la", "toi da"}


@dataclass
class _Match:
    kind: str  # an atom kind, "recurring" or "continuous"
    name: str  # the regex's name
    start: int
    end: int
    m: re.Match | None
    parts: tuple["_Match", ...] = ()  # a range: its atoms, in order
