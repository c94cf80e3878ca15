"""Reading the facts of a report from the database (the edge of `reports.figures`).

A few queries per report whatever the number of tasks: the tasks (filtered by lead agency and directive),
then their occurrences, progress updates and extensions in one query each.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Collection, Mapping

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from core.deadline import Deadline, DeadlineError
from reports.figures import DueFact, ExtensionFact, Period, ProgressFact, Report, compute_report
from storage.tables import Agency, Directive, Extension, Occurrence, ProgressUpdate, Task

__all__ = ["load_due_facts", "build_report", "agency_names"]


def _local(dt: datetime | None, tz) -> date | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(tz).date()


def agency_names(session: Session, codes: Collection[str] | None = None) -> dict[str, str]:
    """Display names of agencies as the directory synced them; unknown codes are absent."""
    q = select(Agency.code, Agency.name)
    if codes is not None:
        if not codes:
            return {}
        q = q.where(Agency.code.in_(sorted(codes)))  # type: ignore[attr-defined]
    return {code: name for code, name in session.exec(q)}


def load_due_facts(session: Session, *, period: Period, as_of: date, tz, agencies: Collection[str] | None = None,
                   directive: str | None = None) -> list[DueFact]:
    """Every due date in `period` of the tasks led by `agencies` (None: every agency) of `directive` (a number
    such as "5099/UBND-HCC"; None: every directive). Tasks removed from the registry after `as_of` still count
    for it; those removed by then do not."""
    query = select(Task)
    if agencies is not None:
        if not agencies:
            return []
        query = query.where(Task.lead_agency.in_(sorted(agencies)))  # type: ignore[attr-defined]
    if directive is not None:
        query = query.join(Directive, Directive.id == Task.directive_id).where(Directive.number == directive)
    # One-off tasks due in the period, and every recurring task (its rule says whether a period falls in it).
    query = query.where(or_(and_(Task.deadline_kind == "once", Task.due >= period.start, Task.due <= period.end),
                            Task.deadline_kind == "recurring"))
    tasks = [t for t in session.exec(query).all()
             if t.removed_at is None or _local(t.removed_at, tz) > as_of]
    dues: dict[int, list[date]] = {}
    expanded: dict[tuple, list[date]] = {}  # tasks expanded from one group row share their rule: expand it once
    for t in tasks:
        if t.deadline_kind == "once":
            if t.due is not None and period.contains(t.due):
                dues[t.id] = [t.due]
            continue
        rule = (t.deadline.get("rrule"), t.deadline.get("start")) if isinstance(t.deadline, dict) else None
        if rule is None or rule not in expanded:
            try:
                found = Deadline.from_dict(t.deadline).occurrences(period.start, period.end)
            except DeadlineError:
                found = []  # damaged (an import never writes one): nothing sensible to count
            if rule is not None:
                expanded[rule] = found
        else:
            found = expanded[rule]
        if found:
            dues[t.id] = found
    tasks = [t for t in tasks if t.id in dues]
    if not tasks:
        return []
    ids = [t.id for t in tasks]
    occurrences = {(o.task_id, o.key): o for o in session.exec(select(Occurrence).where(Occurrence.task_id.in_(ids)))}
    progress: dict[tuple[int, str], list[ProgressFact]] = {}
    for p in session.exec(select(ProgressUpdate).where(ProgressUpdate.task_id.in_(ids))
                          .order_by(ProgressUpdate.created_at, ProgressUpdate.id)):
        progress.setdefault((p.task_id, p.occurrence_key), []).append(
            ProgressFact(_local(p.created_at, tz), p.percent, p.note, p.actor))
    extensions: dict[tuple[int, str], list[ExtensionFact]] = {}
    for e in session.exec(select(Extension).where(Extension.task_id.in_(ids)).order_by(Extension.id)):
        extensions.setdefault((e.task_id, e.occurrence_key), []).append(ExtensionFact(
            requested_on=_local(e.requested_at, tz), previous_due=e.previous_due, requested_due=e.requested_due,
            reason=e.reason, decision=e.decision, decided_on=_local(e.decided_at, tz), decided_by=e.decided_by,
            id=e.id))
    directive_ids = {t.directive_id for t in tasks if t.directive_id is not None}
    numbers = ({d.id: d.number for d in session.exec(select(Directive).where(Directive.id.in_(directive_ids)))}
               if directive_ids else {})

    facts: list[DueFact] = []
    for t in tasks:
        for due in dues[t.id]:
            key = "once" if t.deadline_kind == "once" else due.isoformat()
            occ = occurrences.get((t.id, key))
            facts.append(DueFact(
                task_key=t.key, occurrence_key=key, content=t.content, lead=t.lead_agency,
                deadline_text=t.deadline_text, due=due, state=occ.status if occ else "open",
                completed_on=occ.completed_on if occ else None, extended_due=occ.extended_due if occ else None,
                directive=numbers.get(t.directive_id), kind=t.deadline_kind, position=t.position,
                progress=tuple(progress.get((t.id, key), ())), extensions=tuple(extensions.get((t.id, key), ())),
            ))
    return facts


def build_report(session: Session, *, settings, calendar, period: Period, today: date,
                 agencies: Collection[str] | None = None, directive: str | None = None,
                 names: Mapping[str, str] | None = None) -> Report:
    """The report of `period` as of `today` (a local date) for the tasks led by `agencies` (None: all) of
    `directive` (None: all). `calendar` is the core.workdays.WorkCalendar; DEADLINE_SHIFT_TO_WORKDAY and
    TIMEZONE come from `settings`."""
    tz = settings.timezone
    facts = load_due_facts(session, period=period, as_of=period.as_of(today), tz=tz, agencies=agencies,
                           directive=directive)
    if names is None:
        names = agency_names(session, {f.lead for f in facts})
    return compute_report(facts, period=period, today=today, calendar=calendar,
                          shift=bool(getattr(settings, "deadline_shift_to_workday", True)), names=names,
                          agency_filter=sorted(agencies) if agencies is not None else (),
                          directive_filter=directive, due_soon_days=int(getattr(settings, "due_soon_days", 3)))
