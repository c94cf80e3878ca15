"""What a person must act on first — the dashboard's to-do (web/pages.py shows it, web/workbench.py acts on it):

- deciders (oversight, administrators): completions awaiting confirmation, extension requests, tasks whose lead
  agency has ceased without a successor (nobody will do them until someone reassigns them);
- people who act for an agency (focal points, managers, administrators): work the oversight body returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from core.i18n import ngettext
from storage.signin import Person
from storage.tables import Agency, AuditEntry
from storage.views import TaskItem

__all__ = ["Todo", "todo_of", "returned_items", "bulk_done_message", "RETURN_ACTIONS"]

# Audit actions that send a reported completion back to the agency (the record's "return").
RETURN_ACTIONS = ("task.completion_rejected", "task.completion_returned", "task.returned")  # the last: storage.completion
REPORT_ACTIONS = ("task.done", "task.done_claimed")


@dataclass
class Todo:
    pending: list[TaskItem]
    extensions: list[TaskItem]
    returned: list[TaskItem]
    orphaned: list[TaskItem]

    @property
    def total(self) -> int:
        return len(self.pending) + len(self.extensions) + len(self.returned) + len(self.orphaned)


def returned_items(s: Session, items: list[TaskItem]) -> list[TaskItem]:
    """Open items whose last report was sent back (returned, and not reported done again since). Returns are few:
    they are read first (one query), then only their tasks' reports — never the audit log of every task."""
    open_items = {(i.task.key, i.occurrence_key): i for i in items if i.state == "open"}
    if not open_items:
        return []
    last: dict[tuple[str, str], tuple] = {}
    returns = s.exec(select(AuditEntry).where(AuditEntry.entity == "task",
                                              AuditEntry.action.in_(RETURN_ACTIONS)))  # type: ignore
    for e in returns:
        k = (e.entity_key, (e.detail or {}).get("occurrence", "once"))
        if k in open_items and (k not in last or (e.at, e.id) > last[k]):
            last[k] = (e.at, e.id)
    keys = sorted({k for k, _occ in last})
    for chunk in range(0, len(keys), 500):  # a report after the return: the agency has acted on it
        for e in s.exec(select(AuditEntry).where(AuditEntry.entity == "task",
                                                 AuditEntry.entity_key.in_(keys[chunk:chunk + 500]),  # type: ignore
                                                 AuditEntry.action.in_(REPORT_ACTIONS))):  # type: ignore
            k = (e.entity_key, (e.detail or {}).get("occurrence", "once"))
            if k in last and (e.at, e.id) > last[k]:
                del last[k]
    return [i for k, i in open_items.items() if k in last]


def todo_of(s: Session, person: Person, items: list[TaskItem], today: date) -> Todo:
    pending = extensions = orphaned = []
    if person.can_decide:
        pending = [i for i in items if i.state == "pending_confirmation"]
        extensions = [i for i in items if i.pending_extension is not None]
        ceased = {a.code for a in s.exec(select(Agency).where(Agency.valid_to.is_not(None),  # type: ignore
                                                              Agency.valid_to < today,
                                                              Agency.successor.is_(None)))}  # type: ignore
        orphaned = [i for i in items if i.task.lead_agency in ceased]
    acting = [i for i in items if person.can_act(i.task)]
    return Todo(pending, extensions, returned_items(s, acting), orphaned)


def bulk_done_message(what: str | None, n: str | None) -> str | None:
    """What the dashboard says after a bulk action (from its code and count, never from text in the URL)."""
    count = int(n) if (n or "").isdigit() else 0
    words = {"confirm": lambda: ngettext("{n} completion confirmed.", "{n} completions confirmed.", count),
             "return": lambda: ngettext("{n} completion sent back.", "{n} completions sent back.", count),
             "approve": lambda: ngettext("{n} extension approved.", "{n} extensions approved.", count),
             "reject": lambda: ngettext("{n} extension refused.", "{n} extensions refused.", count)}
    return words[what]() if what in words and count else None
