"""The reporting-regime forms of the deadline grammar (chế độ báo cáo, Nghị định 09/2019/NĐ-CP and after).

Patterns only, on the folded text the grammar reads (lower-case, no diacritics, `core.deadline.text`);
`core.deadline.recurring` reads what they match. Kept apart so the grammar's core stays one screenful per
concern:

- a day inside a recurring period: "ngày 18 (mười tám) của tháng báo cáo", "trước ngày 12 của tháng cuối
  quý", "ngày 05 tháng 12 hằng năm", "ngày 15 của tháng cuối kỳ báo cáo";
- a day in the next period: "ngày thứ 15 của tháng sau", "ngày cuối cùng của tháng đầu của quý kế tiếp",
  "trước ngày 15 tháng 02 năm sau", "của năm tiếp theo năm báo cáo" — recurring when the text names a
  report period ("báo cáo tháng", "định kỳ"), else one day after the directive's issue; a month of the next
  quarter ("ngày 10 của tháng đầu quý sau") recurs every quarter even alone;
- weekly duties written period first: "hằng tuần vào thứ Năm";
- the cue that makes year-less dates yearly ("báo cáo sơ kết 6 tháng trước ngày 10/6 và báo cáo năm trước
  ngày 10/12": two yearly rules, one recurring deadline).
"""

from __future__ import annotations

import re

# Prepositions before a recurring day; "chậm nhất vào ngày 18 hàng tháng" stacks two.
PREP = (r"(?:(?:truoc|vao|cham\s+nhat(?:\s+la)?|den\s+het|khong\s+qua|muon\s+nhat(?:\s+la)?)\s+){0,2}"
        # an hour before the day: "trước 10 giờ ngày 05 của tháng sau"
        r"(?:(?<=\s)\d{1,2}\s*(?:h|gio)(?:\s*\d{1,2}(?:\s*phut)?)?\s*,?\s*)?")
# "18", "18 (mười tám)", "thứ 15" (the 15th); "ngày cuối cùng" is the last day.
DAY = (r"(?:(?:ngay\s+)?(?:thu\s+)?(?<![\d/.-])(?P<d>\d{1,2})(?:\s*\((?P<dw>[a-z ]{1,30})\))?"
       r"|(?P<last>ngay\s+cuoi(?:\s+cung)?))")
_NEXT = r"(?:sau|tiep\s+theo|ke\s+tiep|lien\s+ke|lien\s+sau)"
# The month after (or of) a report period: "của tháng báo cáo", "tháng sau tháng báo cáo", "hằng tháng".
MONTH_REF = re.compile(
    r"\b" + PREP + DAY + r"\s+(?:cua\s+)?(?:"
    r"(?P<every>(?:hang|moi)\s+thang)"
    r"|thang\s+bao\s+cao"
    # "tháng đầu tiên sau kỳ báo cáo" is the month after the period too (only with the period named after it)
    r"|thang\s+(?:(?:dau(?:\s+tien)?|thu\s+nhat)\s+(?:(?:ngay|lien)\s+)?"
    r"(?=" + _NEXT + r"\s+(?:cua\s+)?(?:thang|qu[yi]|ky|nam)\s+bao\s+cao\b))?"
    r"(?P<next>" + _NEXT + r")(?:\s+(?:ngay\s+sau\s+|sau\s+|cua\s+)?(?P<after>thang|qu[yi]|ky|nam)\s+bao\s+cao)?"
    r")\b(?!\s*/)"
)
# A month of a quarter, a year or a report period: "tháng cuối quý (báo cáo)", "tháng đầu của quý kế tiếp",
# "tháng giữa quý" / "tháng thứ hai của quý" (the quarter's second month),
# "tháng đầu năm tiếp theo ngay sau kỳ báo cáo",
# "tháng cuối kỳ báo cáo" (the period then comes from the report named elsewhere in the text).
QUARTER_MONTH = re.compile(
    r"\b" + PREP + DAY + r"\s+(?:cua\s+)?thang\s+(?P<which>cuoi(?:\s+cung)?|dau(?:\s+tien)?|giua|thu\s+(?:nhat|hai|ba))\s+"
    r"(?:cua\s+)?(?:moi\s+|hang\s+)?(?P<unit>qu[yi]|ky|nam(?!\s*(?:\d|nay\b)))\b(?:\s+(?P<next>" + _NEXT + r")\b)?"
    r"(?:\s+(?:ngay\s+sau\s+)?(?:ky\s+)?bao\s+cao\b)?"
)
# A day of a month, every year: "ngày 05 tháng 12 hằng năm", "15/12 của năm báo cáo", "ngày 15 tháng 02 năm
# sau", "ngày 31 tháng 01 của năm tiếp theo năm báo cáo", "ngày 15 tháng 12 trong năm báo cáo".
YEAR_DAY = re.compile(
    r"\b" + PREP + DAY + r"(?:\s*[/.-]\s*|\s+thang\s+)(?P<m>\d{1,2})(?:\s*\((?P<mw>[a-z ]{1,40})\))?\s+"
    r"(?:cua\s+|trong\s+)?(?:"
    r"(?P<every>(?:hang|moi)\s+nam)"
    r"|nam\s+bao\s+cao"
    r"|nam\s+(?P<next>" + _NEXT + r")(?:\s+(?:cua\s+)?nam\s+bao\s+cao)?"
    r")\b(?!\s*(?:\d|/))"
)
# "hằng tuần vào (sáng) thứ Năm": the period first, then the day.
WEEK_THEN_DAY = re.compile(
    r"\b(?:dinh\s+ky\s+)?(?:hang|moi)\s+tuan\s*,?\s*(?:vao\s+)?(?:(?:buoi\s+)?(?:sang|chieu)\s+)?(?:ngay\s+)?"
    r"(?P<wd>thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat)\b"
)

FORMS: list[tuple[str, re.Pattern]] = [
    ("regime_month", MONTH_REF),
    ("regime_quarter", QUARTER_MONTH),
    ("regime_year", YEAR_DAY),
    ("week_then_day", WEEK_THEN_DAY),
]

# A report period named in the text: the duty recurs. "báo cáo tháng 12/2018" and "báo cáo năm 2018" are
# one-off reports; "báo cáo 5 năm" is not a period either.
_AFTER_PERIOD = r"(?!\s*(?:\d|/|nay\b|dau\b|cuoi\b|giua\b|thuc\s+hien\b|(?:truoc|sau|toi)\b(?!\s+(?:ngay|\d))))"
CUE = re.compile(
    r"\b(?:(?:bao\s+cao|so\s+ket|tong\s+ket)\s+(?:dinh\s+ky\s+)?(?:(?P<u>thang|qu[yi]|nam)|(?P<h>(?:0?6|sau)"
    r"(?:\s*\(\s*sau\s*\))?\s+thang))\b" + _AFTER_PERIOD +
    # "báo cáo 6 tháng đầu năm gửi trước ngày 05 tháng 7": the half-year's report every year; with its year
    # ("6 tháng đầu năm 2027", "… năm nay") it is that one report
    r"|(?:bao\s+cao|so\s+ket)\s+(?:dinh\s+ky\s+)?(?:0?6|sau)(?:\s*\(\s*sau\s*\))?\s+thang\s+(?:dau|cuoi)\s+nam\b"
    r"(?!\s*(?:[/.-]\s*)?(?:\d|nay\b))"
    r"|dinh\s+ky\b|(?:hang|moi)\s+(?:thang|qu[yi]|nam)\b|(?:moi|hang)\s+(?:0?6|sau)\s+thang\b"
    r"|(?:mot|hai|2)\s+lan\s+(?:mot|moi|trong)\s+nam\b)"
)
# Which period "kỳ báo cáo" is: the report named in the text.
HALF = re.compile(r"\b(?:0?6|sau)(?:\s*\(\s*sau\s*\))?\s+thang\b|\bnua\s+nam\b")
QUARTER = re.compile(r"\bqu[yi]\b(?!\s*(?:[ivx]{1,4}\b|\d))")
YEAR = re.compile(r"\b(?:bao\s+cao|tong\s+ket)\s+nam\b" + _AFTER_PERIOD + r"|\b(?:hang|moi)\s+nam\b")
MONTH = re.compile(r"\b(?:bao\s+cao\s+thang|hang\s+thang|moi\s+thang)\b" + _AFTER_PERIOD)
