"""The daily brief (bản tin đôn đốc hằng ngày) of a manager, oversight or leadership chat: what the
escalation ladder owes that chat on a working day, in one message.

Pure: the composer (bot.compose) hands over plain facts — the entries (tasks newly reaching the chat's
rung, how late each is, what was last reported), the totals in the Government Office's statuses for the
chat's scope — and this module says it: counts per agency, then the items, then the totals, and `/overdue`
for the rest when it does not fit in one message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

from bot.notifications import MAX_TEXT, Progress, day_label, how_near, short
from core.i18n import _, ngettext, weekday_name
from core.status import Status, status_label

TOTALS_ORDER = (Status.OVERDUE, Status.DUE_SOON, Status.IN_TIME, Status.PENDING_CONFIRMATION, Status.DONE_ON_TIME,
                Status.DONE_LATE, Status.NO_DEADLINE)


@dataclass(frozen=True)
class BriefEntry:
    """One task in a brief."""

    key: str
    content: str
    agency: str  # display name of the lead
    effective_due: date | None
    workdays_late: int = 0
    level: int = 0  # the rung reached (0: not an escalation, e.g. a reminder in a focal brief)
    repeat: int = 0  # the n-th repeat of the top rung
    long_overdue: bool = False  # repeats used up: "quá hạn kéo dài"
    last_progress: Progress | None = None


def _entry_line(e: BriefEntry, today: date, repeat_limit: int) -> str:
    parts = [short(e.content, 140)]
    parts.append(how_near(e.effective_due, today, e.workdays_late))
    if e.effective_due is not None:
        parts.append(_("due {date}", date=day_label(e.effective_due, today)))
    if e.long_overdue:
        parts.append(_("long overdue"))
    elif e.repeat:
        parts.append(_("repeat {n} of {limit}", n=e.repeat, limit=repeat_limit))
    p = e.last_progress
    if p is None:
        parts.append(_("no progress reported"))
    else:
        said = f"{p.percent}%" if p.percent is not None else ""
        if p.note:
            said = (said + " " if said else "") + f"“{short(p.note, 80)}”"
        parts.append(_("last report {what} on {date}", what=said or "—", date=day_label(p.on, today)))
    return "• " + " — ".join(parts) + f" [{e.key}]"


def daily_brief(day: date, role_label: str, scope: str, entries: Sequence[BriefEntry], totals: Mapping[Status, int],
                today: date, *, levels: int, repeat_limit: int, more_command: str = "/overdue") -> str | None:
    """The brief of `day` for a chat (its role's label, the scope it watches); None when no entry is left
    (all done since they were planned)."""
    if not entries:
        return None
    by_agency: dict[str, list[BriefEntry]] = {}
    for e in sorted(entries, key=lambda e: (e.agency, e.effective_due or date.max, e.key)):
        by_agency.setdefault(e.agency, []).append(e)
    title = _("📋 Daily brief {date} ({weekday}) — {role}, {scope}", date=day_label(day, today, weekday=False),
              weekday=weekday_name(day), role=role_label, scope=scope)
    head = [title, ngettext("{n} task reached this level today, of {agencies}:",
                            "{n} tasks reached this level today, of {agencies}:", len(entries),
                            agencies=ngettext("{n} agency", "{n} agencies", len(by_agency)))]
    head.append("; ".join(f"{a} {len(es)}" for a, es in by_agency.items()))
    tail = []
    shown = [(s, totals.get(s, 0)) for s in TOTALS_ORDER if totals.get(s)]
    if shown:
        tail.append(_("Totals ({scope}): {counts}", scope=scope,
                      counts="; ".join(f"{status_label(s)} {n}" for s, n in shown)))
    budget = MAX_TEXT - sum(len(x) + 1 for x in head + tail) - 120
    body: list[str] = []
    used, listed = 0, 0
    full = False
    for agency, es in by_agency.items():
        header = f"{agency} ({len(es)})"
        lines = [_entry_line(e, today, repeat_limit) for e in es]
        if used + len(header) + len(lines[0]) + 2 > budget:
            break  # not even the agency's first task fits: no header without its items
        body.append(header)
        used += len(header) + 1
        for line in lines:
            if used + len(line) + 1 > budget:
                full = True
                break
            body.append(line)
            used += len(line) + 1
            listed += 1
        if full:
            break
    rest = len(entries) - listed
    if rest:
        body.append(ngettext("… and {n} more task: {command} lists every overdue task, page by page.",
                             "… and {n} more tasks: {command} lists every overdue task, page by page.", rest,
                             command=more_command))
    text = "\n".join(head + body + tail)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def totals_of(counts: Mapping[str, Counter]) -> Counter:
    total: Counter = Counter()
    for c in counts.values():
        total.update(c)
    return total
