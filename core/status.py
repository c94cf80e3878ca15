"""Task statuses as the Government Office's tracking system reports them.

chưa hoàn thành — trong hạn / sắp đến hạn (≤ DUE_SOON_DAYS) / quá hạn;
đã hoàn thành — đúng hạn / quá hạn; không có hạn (continuous); chờ xác nhận (awaiting the oversight
body's confirmation). "On time" is always judged against the deadline in force (after extensions,
after the working-day shift of Art. 148(5)).
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from core.i18n import N_, _, available_languages


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


# As the Government Office's tracking system names them (translated in the catalogs, core/locale).
LABELS = {
    Status.IN_TIME: N_("Open – on track"),  # Chưa hoàn thành – trong hạn
    Status.DUE_SOON: N_("Open – due soon"),  # Chưa hoàn thành – sắp đến hạn
    Status.OVERDUE: N_("Open – overdue"),  # Chưa hoàn thành – quá hạn
    Status.DONE_ON_TIME: N_("Done – on time"),  # Đã hoàn thành – đúng hạn
    Status.DONE_LATE: N_("Done – late"),  # Đã hoàn thành – quá hạn
    Status.NO_DEADLINE: N_("No deadline"),  # Không có hạn
    Status.PENDING_CONFIRMATION: N_("Awaiting confirmation"),  # Chờ xác nhận
}


def status_label(status: Status, lang: str | None = None) -> str:
    """The status's label in `lang` (default: the current language)."""
    return _(LABELS[status], lang=lang)


def parse_status(text: str) -> Status:
    """Read a status given on the command line: its code, or its label in either language."""
    from unicodedata import normalize

    def norm(s: str) -> str:
        return normalize("NFC", s).strip().lower().replace("–", "-").replace("  ", " ")

    t = norm(text)
    for s in Status:
        if t in (s.value, s.value.replace("_", "-")):
            return s
        for lang in available_languages():
            if t == norm(status_label(s, lang)):
                return s
    raise ValueError(_("unknown status {text!r}; accepted: {accepted}", text=text,
                       accepted=", ".join(s.value for s in Status)))
