"""Task statuses as the Government Office's tracking system reports them.

chưa hoàn thành — trong hạn / sắp đến hạn (≤ DUE_SOON_DAYS) / quá hạn;
đã hoàn thành — đúng hạn / quá hạn; không có hạn (continuous); chờ xác nhận (awaiting the oversight
body's confirmation). "On time" is always judged against the deadline in force (after extensions,
after the working-day shift of Art. 148(5)).
"""

from __future__ import annotations

from datetime import date
from enum import Enum


class Status(str, Enum):
    IN_TIME = "in_time"  # chưa hoàn thành, trong hạn
    DUE_SOON = "due_soon"  # chưa hoàn thành, sắp đến hạn
    OVERDUE = "overdue"  # chưa hoàn thành, quá hạn
    DONE_ON_TIME = "done_on_time"  # đã hoàn thành đúng hạn
    DONE_LATE = "done_late"  # đã hoàn thành quá hạn
    NO_DEADLINE = "no_deadline"  # không có hạn
    PENDING_CONFIRMATION = "pending_confirmation"  # chờ xác nhận

    @property
    def is_done(self) -> bool:
        return self in (Status.DONE_ON_TIME, Status.DONE_LATE)

    @property
    def is_open(self) -> bool:
        return self in (Status.IN_TIME, Status.DUE_SOON, Status.OVERDUE, Status.PENDING_CONFIRMATION)


def compute_status(
    *,
    effective_due: date | None,
    today: date,
    state: str = "open",
    completed_on: date | None = None,
    due_soon_days: int = 3,
) -> Status:
    """Status of one occurrence.

    `effective_due` is the deadline in force (extension and working-day shift applied), None for a
    continuous task; `state` is the stored occurrence status (open | done | pending_confirmation).
    """
    if state == "pending_confirmation":
        return Status.PENDING_CONFIRMATION
    if state == "done":
        if effective_due is None or completed_on is None or completed_on <= effective_due:
            return Status.DONE_ON_TIME
        return Status.DONE_LATE
    if effective_due is None:
        return Status.NO_DEADLINE
    if today > effective_due:
        return Status.OVERDUE
    if (effective_due - today).days <= due_soon_days:
        return Status.DUE_SOON
    return Status.IN_TIME


LABELS = {
    "vi": {
        Status.IN_TIME: "Chưa hoàn thành – trong hạn",
        Status.DUE_SOON: "Chưa hoàn thành – sắp đến hạn",
        Status.OVERDUE: "Chưa hoàn thành – quá hạn",
        Status.DONE_ON_TIME: "Đã hoàn thành – đúng hạn",
        Status.DONE_LATE: "Đã hoàn thành – quá hạn",
        Status.NO_DEADLINE: "Không có hạn",
        Status.PENDING_CONFIRMATION: "Chờ xác nhận",
    },
    "en": {
        Status.IN_TIME: "Open – on track",
        Status.DUE_SOON: "Open – due soon",
        Status.OVERDUE: "Open – overdue",
        Status.DONE_ON_TIME: "Done – on time",
        Status.DONE_LATE: "Done – late",
        Status.NO_DEADLINE: "No deadline",
        Status.PENDING_CONFIRMATION: "Awaiting confirmation",
    },
}


def status_label(status: Status, lang: str = "vi") -> str:
    return LABELS.get(lang, LABELS["vi"])[status]


def parse_status(text: str) -> Status:
    """Read a status given on the command line: its code, or its label in either language."""
    from unicodedata import normalize

    def norm(s: str) -> str:
        return normalize("NFC", s).strip().lower().replace("–", "-").replace("  ", " ")

    t = norm(text)
    for s in Status:
        if t in (s.value, s.value.replace("_", "-")):
            return s
        for lang in LABELS:
            if t == norm(LABELS[lang][s]):
                return s
    raise ValueError(f"unknown status {text!r}; accepted: " + ", ".join(s.value for s in Status))
