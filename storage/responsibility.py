"""Responsibility over time (lịch sử chủ trì): who led a task, and with which coordinators, from when.

A task's lead is a history, not one field. Its entries (storage.record_tables.ResponsibilityEntry):
- *written* — as the directive (the registry file) names it, from the assignment on (`since` None);
- *correction* — the lead was recorded wrongly; the corrected one holds from the assignment on (`since` None);
- *handover* — the lead ceased to exist; its successor leads from the day after its end (bàn giao);
- *reassignment* — the oversight body gave the task to another agency from a date (giao lại).

The agency responsible on a day is the last entry in force that day: entries from the assignment first (in the
order recorded), then dated ones by date. If that agency had ceased to exist by then, the directory's successor
does its work (before the service recorded the hand-over, a report already names the successor); an agency that
ceased with no successor owes nothing after its end (None).

`Task.lead_agency` stays the agency responsible *today*, which every list, chat and feed reads; reports of a
period ask `responsible_on` with the period's due dates, so a closed period's figures never change after the
fact. A task with no entries yet is led as its row says, from its assignment (the first event writes that
entry down before its own).

The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Sequence

from sqlmodel import Session, select

from storage import audit
from storage.record_tables import CORRECTION, HANDOVER, REASSIGNMENT, WRITTEN, ResponsibilityEntry
from storage.tables import Agency, Task

__all__ = ["Span", "agency_ends", "hand_over", "histories", "history", "reassign", "reconcile_import",
           "record_written", "responsible_on", "spans", "written_lead", "ImportLead"]

Ends = Mapping[str, tuple[date, str | None]]


@dataclass(frozen=True)
class Span:
    """What one entry says, detached from the session: from `since` (None: the assignment) `lead` leads."""

    since: date | None
    kind: str
    lead: str
    coordinators: tuple[str, ...] = ()
    previous_lead: str | None = None
    reason: str | None = None
    actor: str = ""
    source: str = ""
    recorded_at: datetime | None = None
    id: int = 0


def _order(e) -> tuple:
    return (e.since is not None, e.since or date.min, e.id or 0)


def spans(entries: Iterable[ResponsibilityEntry], task: Task | None = None) -> list[Span]:
    """The entries in the order they apply; a task without any is led as its row says (one *written* span)."""
    out = [Span(e.since, e.kind, e.lead, tuple(e.coordinators or ()), e.previous_lead, e.reason, e.actor, e.source,
                e.recorded_at, e.id or 0) for e in entries]
    if not out and task is not None:
        out = [Span(None, WRITTEN, task.lead_agency, tuple(task.coordinators or ()), recorded_at=task.created_at)]
    return sorted(out, key=_order)


# -- pure questions ---------------------------------------------------------------------------------------------

def follow_successors(code: str, d: date, ends: Ends) -> str | None:
    """The agency doing `code`'s work on `d`: itself while it exists, else its successor (a chain of mergers is
    followed); None when it ceased with no successor."""
    for _ in range(10):  # a chain of mergers, never a loop
        end = ends.get(code)
        if end is None or end[0] is None or d <= end[0]:
            return code
        if not end[1]:
            return None
        code = end[1]
    return code


def lead_in_force(history: Sequence[Span], d: date) -> str | None:
    """The lead the history names for `d` (before following successors)."""
    lead = None
    for s in history:
        if s.since is None or s.since <= d:
            lead = s.lead
    return lead


def responsible_on(history: Sequence[Span], d: date, ends: Ends) -> str | None:
    """The agency responsible for work due on `d` (None: its lead ceased with no successor and nobody was given
    the work)."""
    lead = lead_in_force(history, d)
    return None if lead is None else follow_successors(lead, d, ends)


def written_lead(history: Sequence[Span]) -> Span | None:
    """The entry naming the lead from the assignment on: as written, or as corrected."""
    found = None
    for s in history:
        if s.since is None:
            found = s
    return found


@dataclass(frozen=True)
class ImportLead:
    """What an import does with the lead a file names for a task already in the database."""

    store: str  # Task.lead_agency after the import (today's lead)
    written_changed: bool  # the file names another lead than the one written: a new *written* entry
    previous_written: str | None = None
    kept: Span | None = None  # a later hand-over or reassignment the file does not undo


def reconcile_import(history: Sequence[Span], current: str, file_lead: str) -> ImportLead:
    """Compare a file's lead with the history: a file naming the lead as written changes nothing whatever the
    service did since; one naming the agency that took over changes nothing either; another lead is a change of
    what was written — today's lead follows it only when no hand-over or reassignment came after."""
    written = written_lead(history)
    w = written.lead if written is not None else current
    later = [s for s in history if s.since is not None]
    if file_lead == w:
        return ImportLead(current, False)
    if later and file_lead == current:
        return ImportLead(current, False)
    if later:
        return ImportLead(current, True, w, later[-1])
    return ImportLead(file_lead, True, w)


# -- reading --------------------------------------------------------------------------------------------------

def history(session: Session, task: Task) -> list[Span]:
    return spans(session.exec(select(ResponsibilityEntry).where(ResponsibilityEntry.task_id == task.id)).all(), task)


def histories(session: Session, tasks: Sequence[Task]) -> dict[int, list[Span]]:
    """task id → its spans, in one query (as reports load occurrences)."""
    ids = [t.id for t in tasks if t.id is not None]
    rows: dict[int, list[ResponsibilityEntry]] = {}
    if ids:
        for e in session.exec(select(ResponsibilityEntry).where(ResponsibilityEntry.task_id.in_(ids))):
            rows.setdefault(e.task_id, []).append(e)
    return {t.id: spans(rows.get(t.id, ()), t) for t in tasks if t.id is not None}


def agency_ends(session: Session) -> dict[str, tuple[date, str | None]]:
    """Agencies that cease to exist: code → (valid_to, successor or None)."""
    return {a.code: (a.valid_to, a.successor)
            for a in session.exec(select(Agency).where(Agency.valid_to.is_not(None)))}


# -- writing --------------------------------------------------------------------------------------------------

def _has_entries(session: Session, task: Task) -> bool:
    return session.exec(select(ResponsibilityEntry.id).where(ResponsibilityEntry.task_id == task.id)).first() \
        is not None


def _ensure_written(session: Session, task: Task, now: datetime) -> None:
    """Write down the lead the row holds as the one written, before the first event changes the row."""
    if task.id is not None and not _has_entries(session, task):
        session.add(ResponsibilityEntry(task_id=task.id, since=None, kind=WRITTEN, lead=task.lead_agency,
                                        coordinators=list(task.coordinators or ()), actor="dondoc", source="import",
                                        recorded_at=now))


def record_written(session: Session, task: Task, lead: str, coordinators: Sequence[str], *, actor: str,
                   now: datetime, file: str | None = None, previous: str | None = None) -> None:
    """The lead as the registry file names it (a new task, or a file that now names another lead)."""
    if task.id is None:
        session.flush()
    elif previous is not None:
        _ensure_written(session, task, now)
    session.add(ResponsibilityEntry(task_id=task.id, since=None, kind=WRITTEN, lead=lead,
                                    coordinators=list(coordinators), previous_lead=previous,
                                    reason=file, actor=actor, source="import", recorded_at=now))


def record_written_many(session: Session, tasks: Sequence[Task], *, actor: str, now: datetime,
                        file: str | None = None) -> None:
    """New tasks' leads as the file names them (the tasks are flushed: they have ids)."""
    session.add_all([ResponsibilityEntry(task_id=t.id, since=None, kind=WRITTEN, lead=t.lead_agency,
                                         coordinators=list(t.coordinators or ()), reason=file, actor=actor,
                                         source="import", recorded_at=now) for t in tasks])


def kind_label(kind: str) -> str:
    """The kind of an entry in the reader's words."""
    from core.i18n import _

    return {WRITTEN: _("as written"), HANDOVER: _("handed over to the successor"),
            REASSIGNMENT: _("reassigned by the oversight body"), CORRECTION: _("corrected")}.get(kind, kind)


def _move(session: Session, task: Task, kind: str, new: str, since: date | None, reason: str, *, actor: str,
          actor_id: str | None, source: str, now: datetime, today: date) -> ResponsibilityEntry:
    _ensure_written(session, task, now)
    old = task.lead_agency
    entry = ResponsibilityEntry(task_id=task.id, since=since, kind=kind, lead=new,
                                coordinators=list(task.coordinators or ()), previous_lead=old, reason=reason,
                                actor=actor, actor_id=actor_id, source=source, recorded_at=now)
    session.add(entry)
    session.flush()
    lead_today = lead_in_force(history(session, task), today)
    if lead_today is not None and lead_today != task.lead_agency:
        task.lead_agency = lead_today
        if kind != HANDOVER:  # the new lead hears of it as a new assignment; a successor inherits the old one
            task.assigned_at = now
    task.sequence = (task.sequence or 0) + 1
    task.updated_at = now
    if kind != HANDOVER:  # the scheduler hands over while planning the task: it plans it right after
        task.next_check_at = None
    session.add(task)
    action = {HANDOVER: "task.handed_over", REASSIGNMENT: "task.reassigned", CORRECTION: "task.lead_corrected"}[kind]
    audit.record(session, at=now, actor=actor, actor_id=actor_id, source=source, action=action, entity="task",
                 entity_key=task.key, **{"from": old, "to": new, "since": since, "reason": reason})
    return entry


def hand_over(session: Session, task: Task, new: str, *, since: date, reason: str, now: datetime, today: date,
              actor: str = "scheduler", source: str = "scheduler") -> ResponsibilityEntry:
    """The lead ceased to exist on `since` − 1 day: its successor `new` leads from `since`."""
    return _move(session, task, HANDOVER, new, since, reason, actor=actor, actor_id=None, source=source, now=now,
                 today=today)


def reassign(session: Session, task: Task, new: str, *, since: date, reason: str, actor: str, actor_id: str | None,
             source: str, now: datetime, today: date) -> ResponsibilityEntry:
    """The oversight body gives the task to `new` from `since` (work due before it stays with who led it then)."""
    return _move(session, task, REASSIGNMENT, new, since, reason, actor=actor, actor_id=actor_id, source=source,
                 now=now, today=today)


def correct(session: Session, task: Task, new: str, *, reason: str, actor: str, actor_id: str | None, source: str,
            now: datetime, today: date) -> ResponsibilityEntry:
    """The lead was recorded wrongly: `new` leads from the assignment on (later hand-overs still apply)."""
    return _move(session, task, CORRECTION, new, None, reason, actor=actor, actor_id=actor_id, source=source,
                 now=now, today=today)


def day_after(d: date) -> date:
    return d + timedelta(days=1)


@dataclass(frozen=True)
class Orphan:
    """A task whose lead ceased to exist with no successor and that still has work: for the oversight body to
    give to another agency (`dondoc reassign`, the console's "Giao lại" page)."""

    task: Task
    ended: date


def orphaned_tasks(session: Session, today: date) -> list[Orphan]:
    """Tasks led today by an agency that ceased before `today` with no successor, not done, not removed."""
    from storage.tables import DONE, PENDING_CONFIRMATION, Occurrence

    ceased = {code: end for code, (end, successor) in agency_ends(session).items()
              if end is not None and end < today and not successor}
    if not ceased:
        return []
    tasks = session.exec(select(Task).where(Task.lead_agency.in_(sorted(ceased)), Task.removed_at.is_(None))
                         .order_by(Task.lead_agency, Task.position, Task.key)).all()
    finished = {(o.task_id, o.key) for o in session.exec(
        select(Occurrence).where(Occurrence.task_id.in_([t.id for t in tasks] or [-1]),
                                 Occurrence.status.in_((DONE, PENDING_CONFIRMATION))))}
    out = []
    for t in tasks:
        if t.deadline_kind in ("once", "continuous") and (t.id, t.deadline_kind) in finished:
            continue
        out.append(Orphan(t, ceased[t.lead_agency]))
    return out


def default_reassign_since(session: Session, task: Task, today: date) -> date:
    """When a reassignment takes effect unless the person says: today — or, for a lead that ceased with no
    successor, the day after its end (the work it left; what was due before stays with it in reports)."""
    end = agency_ends(session).get(task.lead_agency)
    if end is not None and end[0] is not None and end[0] < today and not end[1]:
        return end[0] + timedelta(days=1)
    return today
