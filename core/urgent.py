"""Deadlines without a date: "Khẩn trương", "Ngay", "Kịp thời", "Sớm" (urgent, khẩn).

A clerk who types "Thường xuyên" for such a task misstates the plan; these words mean "now", not
"always". They are read as the kind `urgent`: kept as written, due a number of working days after the
issue date (URGENT_WORKDAYS, default 5), and shown as "khẩn trương (hạn tính: dd/mm/yyyy)".

So that the planner, the feeds and the bot (which know once / recurring / continuous) need no change, an
urgent deadline is stored as a *once* deadline on the computed day, marked `"urgent": true` in its dict
(`Deadline.from_dict` ignores the mark). `is_urgent(task.deadline)` tells them apart where it matters.
Pure: the issue date, the calendar and the number of days are parameters.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from core.deadline import Deadline
from core.workdays import WorkCalendar

__all__ = ["URGENT_KIND", "describe_urgent", "is_urgent", "parse_urgent", "urgent_dict"]

URGENT_KIND = "urgent"

_WORDS = r"(?:khan\s+truong|ngay(?:\s+lap\s+tuc)?|kip\s+thoi|som(?:\s+nhat)?|cang\s+som\s+cang\s+tot)"
_URGENT = re.compile(
    rf"^(?:(?:thuc\s+hien|trien\s+khai|hoan\s+thanh|bao\s+cao)\s+)?{_WORDS}"
    rf"(?:\s*(?:,|va)\s*{_WORDS})*(?:\s+(?:thuc\s+hien|trien\s+khai|hoan\s+thanh|bao\s+cao))?$")


def _fold(text: str) -> str:
    s = unicodedata.normalize("NFD", text.casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("đ", "d")
    return " ".join(re.sub(r"[^\w,]+", " ", s).split()).strip(" ,")


def parse_urgent(text: str, issued: date, calendar: WorkCalendar | None = None, workdays: int = 5) -> Deadline | None:
    """The urgent deadline `text` is ("Khẩn trương", "Ngay", "Kịp thời", "Sớm", "Thực hiện ngay" …), or None
    when the text says something else (a date, a period, "Thường xuyên") for the deadline grammar to read."""
    if not _URGENT.match(_fold(text)):
        return None
    cal = calendar or WorkCalendar()
    due = cal.add_workdays(issued, workdays) if workdays else issued
    return Deadline("once", text.strip(), text.strip(), due=due)


def urgent_dict(deadline: Deadline) -> dict:
    """The stored form of an urgent deadline: a once deadline marked urgent."""
    return {**deadline.to_dict(), URGENT_KIND: True}


def is_urgent(stored: dict | None) -> bool:
    return bool(stored and stored.get(URGENT_KIND))


def describe_urgent(due: date, lang: str | None = None) -> str:
    """"khẩn trương (hạn tính: 18/07/2013)" — the deadline as read, with the day it is counted to."""
    from core.i18n import _, format_date

    return _("urgent (counted due: {date})", lang=lang, date=format_date(due))
