"""Noise figures (số tin nhắn): how many messages each chat receives, from a list of planned messages. Pure;
`dondoc preview --stats` and `python -m bench noise` both print them, from the same planning path as `run`."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from core.workdays import WorkCalendar


@dataclass(frozen=True)
class ChatNoise:
    chat: str
    role: str
    messages: int
    busiest_day: date | None
    busiest: int
    median_per_workday: float


def noise(messages: Iterable[tuple[datetime, str, str]], tz, calendar: WorkCalendar, first: date,
          last: date) -> list[ChatNoise]:
    """Per chat, from (when, chat, role) of each message in [first, last]: the total, the busiest day and
    its count, and the median per working day (working days with no message count as 0)."""
    per: dict[str, Counter] = defaultdict(Counter)
    roles: dict[str, str] = {}
    for when, chat, role in messages:
        per[chat][when.astimezone(tz).date()] += 1
        roles.setdefault(chat, role)
    workdays = [first + timedelta(days=i) for i in range((last - first).days + 1)
                if calendar.is_workday(first + timedelta(days=i))]
    out = []
    for chat, days in per.items():
        busiest_day, busiest = max(days.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
        med = statistics.median([days.get(d, 0) for d in workdays]) if workdays else 0.0
        out.append(ChatNoise(chat, roles[chat], sum(days.values()), busiest_day, busiest, float(med)))
    return sorted(out, key=lambda n: (-n.busiest, n.chat))
