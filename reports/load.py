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
from core.i18n import _
from reports.figures import DueFact, ExtensionFact, Period, PeriodError, ProgressFact, Report, compute_report
from reports.ratings import Delegate, OpenItem, RatingRule, agency_colors, rate, rate_people
from storage.record_tables import Completion, Evidence, ResponsibilityEntry
from storage.responsibility import agency_ends, follow_successors, histories, responsible_on
from storage.tables import Agency, AuditEntry, Directive, Extension, Occurrence, ProgressUpdate, Task

# Audit actions that mean the oversight body sent a reported completion back (trả lại): each is a delay in the
# ratings. "task.completion_rejected" is storage.actions.confirm_completion(approve=False).
RETURN_ACTIONS = ("task.completion_rejected", "task.completion_returned", "task.returned")  # the last: storage.completion

__all__ = ["ReportTooLarge", "load_due_facts", "build_report", "agency_names", "load_colors", "rated",
           "load_delegates"]


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


class ReportTooLarge(PeriodError):
    """The report asked for is past REPORT_MAX_YEARS or REPORT_MAX_OCCURRENCES; the message (translated) says
    what to narrow. A PeriodError, so every surface that tells a bad period tells this too."""


def check_period_length(period: Period, max_years: int | None) -> None:
    """A report's cost grows with its range (old recurring tasks: every occurrence in it): refuse past
    REPORT_MAX_YEARS before anything is read."""
    if max_years is not None and (period.end - period.start).days > max_years * 366:
        raise ReportTooLarge(_("the period is longer than {n} years (REPORT_MAX_YEARS): choose a shorter one",
                               n=max_years))


def load_due_facts(session: Session, *, period: Period, as_of: date, tz, agencies: Collection[str] | None = None,
                   directive: str | None = None, max_occurrences: int | None = None,
                   task_ids: Collection[int] | None = None) -> list[DueFact]:
    """Every due date in `period` of the tasks led by `agencies` (None: every agency) on that date of `directive` (a number
    such as "5099/UBND-HCC"; None: every directive), of the tasks `task_ids` only if given (the dashboard's kept
    groups compute a chunk of tasks at a time, reports/kept_groups.py). Tasks removed from the registry after `as_of` still count
    for it; those removed by then do not."""
    query = select(Task)
    if task_ids is not None:
        query = query.where(Task.id.in_(sorted(task_ids)))  # type: ignore[attr-defined]
    ends = agency_ends(session)
    if agencies is not None:
        if not agencies:
            return []
        # Who leads a task in the period is its history's answer (storage.responsibility): take every task one
        # of these agencies led at some time, or whose lead's work they took over; the facts are kept below.
        related = sorted(set(agencies) | {c for c in ends if follow_successors(c, date.max, ends) in agencies})
        ever = select(ResponsibilityEntry.task_id).where(ResponsibilityEntry.lead.in_(related))
        query = query.where(or_(Task.lead_agency.in_(related), Task.id.in_(ever)))  # type: ignore[attr-defined]
    if directive is not None:
        query = query.join(Directive, Directive.id == Task.directive_id).where(Directive.number == directive)
    # One-off tasks due in the period, and every recurring task (its rule says whether a period falls in it).
    query = query.where(or_(and_(Task.deadline_kind == "once", Task.due >= period.start, Task.due <= period.end),
                            Task.deadline_kind == "recurring"))
    tasks = [t for t in session.exec(query).all()
             if t.removed_at is None or _local(t.removed_at, tz) > as_of]
    dues: dict[int, list[date]] = {}
    expanded: dict[tuple, list[date]] = {}  # tasks expanded from one group row share their rule: expand it once
    counted = 0  # occurrences over all tasks, against REPORT_MAX_OCCURRENCES, counted as they are found

    def too_costly() -> ReportTooLarge:
        return ReportTooLarge(_("the report would count more than {n} deadlines (REPORT_MAX_OCCURRENCES): choose "
                                "a shorter period, one agency or one directive", n=max_occurrences))

    for t in tasks:
        if t.deadline_kind == "once":
            if t.due is not None and period.contains(t.due):
                dues[t.id] = [t.due]
                counted += 1
            continue
        rule = (t.deadline.get("rrule"), t.deadline.get("start")) if isinstance(t.deadline, dict) else None
        if rule is None or rule not in expanded:
            left = None if max_occurrences is None else max(max_occurrences - counted, 0)
            try:
                found = Deadline.from_dict(t.deadline).occurrences(period.start, period.end, limit=left)
            except DeadlineError:
                found = []  # damaged (an import never writes one): nothing sensible to count
            if rule is not None:
                expanded[rule] = found
        else:
            found = expanded[rule]
        counted += len(found)
        if max_occurrences is not None and counted > max_occurrences:
            raise too_costly()
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
    returns: dict[tuple[str, str], list[date]] = {}
    keys = {t.key for t in tasks}
    # Returns are few: read them all and keep those of these tasks (an IN of 100k keys is too long for SQLite).
    for entry in session.exec(select(AuditEntry).where(AuditEntry.entity == "task",
                                                       AuditEntry.action.in_(RETURN_ACTIONS))  # type: ignore
                              .order_by(AuditEntry.at, AuditEntry.id)):
        if entry.entity_key in keys:
            occurrence = (entry.detail or {}).get("occurrence", "once")
            returns.setdefault((entry.entity_key, occurrence), []).append(_local(entry.at, tz))
    directive_ids = {t.directive_id for t in tasks if t.directive_id is not None}
    numbers = ({d.id: d.number for d in session.exec(select(Directive).where(Directive.id.in_(directive_ids)))}
               if directive_ids else {})

    evidence = completion_evidence(session, ids)
    leads = histories(session, tasks)
    facts: list[DueFact] = []
    for t in tasks:
        for due in dues[t.id]:
            # The agency responsible on the due date, not today's lead: a closed period's report never changes.
            lead = responsible_on(leads[t.id], due, ends)
            if lead is None or (agencies is not None and lead not in agencies):
                continue  # its lead ceased with no successor: nothing is owed after its end
            key = "once" if t.deadline_kind == "once" else due.isoformat()
            occ = occurrences.get((t.id, key))
            facts.append(DueFact(
                task_key=t.key, occurrence_key=key, content=t.content, lead=lead,
                deadline_text=t.deadline_text, due=due, state=occ.status if occ else "open",
                completed_on=occ.completed_on if occ else None, extended_due=occ.extended_due if occ else None,
                directive=numbers.get(t.directive_id), kind=t.deadline_kind, position=t.position,
                progress=tuple(progress.get((t.id, key), ())), extensions=tuple(extensions.get((t.id, key), ())),
                **evidence.get((t.id, key), {}),
                returns=tuple(returns.get((t.key, key), ())),
            ))
    return facts


def completion_evidence(session: Session, ids: list[int]) -> dict[tuple[int, str], dict]:
    """(task id, occurrence) → the latest completion's document and files, for the report's detail."""
    out: dict[tuple[int, str], dict] = {}
    latest: dict[tuple[int, str], Completion] = {}
    for c in session.exec(select(Completion).where(Completion.task_id.in_(ids)).order_by(Completion.id)):
        latest[(c.task_id, c.occurrence_key)] = c
    files: dict[int, list[str]] = {}
    if latest:
        for e in session.exec(select(Evidence).where(Evidence.completion_id.in_([c.id for c in latest.values()]))
                              .order_by(Evidence.id)):
            files.setdefault(e.completion_id, []).append(e.filename)
    for k, c in latest.items():
        doc = c.document_number
        if doc and c.document_date:
            doc = f"{doc} ({c.document_date:%d/%m/%Y})"
        out[k] = {"document": doc, "files": tuple(files.get(c.id, ()))}
    return out


def build_report(session: Session, *, settings, calendar, period: Period, today: date,
                 agencies: Collection[str] | None = None, directive: str | None = None,
                 names: Mapping[str, str] | None = None, with_ratings: bool = True) -> Report:
    """The report of `period` as of `today` (a local date) for the tasks led by `agencies` (None: all) of
    `directive` (None: all). `calendar` is the core.workdays.WorkCalendar; DEADLINE_SHIFT_TO_WORKDAY and
    TIMEZONE come from `settings`. `with_ratings`: also the ratings (reports.ratings) and the colours today."""
    tz = settings.timezone
    check_period_length(period, getattr(settings, "report_max_years", None))
    facts = load_due_facts(session, period=period, as_of=period.as_of(today), tz=tz, agencies=agencies,
                           directive=directive, max_occurrences=getattr(settings, "report_max_occurrences", None))
    if names is None:
        names = agency_names(session, {f.lead for f in facts})
    shift = bool(getattr(settings, "deadline_shift_to_workday", True))
    report = compute_report(facts, period=period, today=today, calendar=calendar, shift=shift, names=names,
                            agency_filter=sorted(agencies) if agencies is not None else (),
                            directive_filter=directive, due_soon_days=int(getattr(settings, "due_soon_days", 3)))
    if not with_ratings:
        return report
    return rated(session, report, settings=settings, calendar=calendar, agencies=agencies, directive=directive)


def load_colors(session: Session, *, settings, calendar, today: date, within_workdays: int,
                agencies: Collection[str] | None = None, directive: str | None = None) -> dict:
    """Green / yellow / red per agency for `today`, from what `dondoc tasks` shows (storage.views)."""
    from storage.views import task_items

    items = task_items(session, settings=settings, calendar=calendar, today=today, directive=directive,
                       include_done=False)
    wanted = set(agencies) if agencies is not None else None
    return agency_colors((OpenItem(i.task.lead_agency, i.effective_due, i.state in ("done", "pending_confirmation"))
                          for i in items if wanted is None or i.task.lead_agency in wanted),
                         today=today, calendar=calendar, within_workdays=within_workdays,
                         agencies=wanted or ())


def rated(session: Session, report: Report, *, settings, calendar, agencies: Collection[str] | None = None,
          directive: str | None = None, rule: RatingRule | None = None) -> Report:
    """`report` with its ratings (RatingRule from settings) and every agency's colour: today's while the period
    runs; for a period that has ended, the colour at its close, from its own rows — so a closed period's report
    reads the same whenever it is taken (issue 22), whoever leads its tasks today."""
    rule = rule or RatingRule.from_settings(settings)
    if report.ended:
        colors = agency_colors((OpenItem(r.fact.lead, r.effective_due, r.done_on is not None) for r in report.rows),
                               today=report.as_of, calendar=calendar, within_workdays=rule.within_workdays,
                               agencies=[a.code for a in report.agencies])
    else:
        colors = load_colors(session, settings=settings, calendar=calendar, today=report.today,
                             within_workdays=rule.within_workdays, agencies=agencies, directive=directive)
    shift = bool(getattr(settings, "deadline_shift_to_workday", True))
    report.ratings = rate(report.rows, as_of=report.as_of, rule=rule, calendar=calendar, shift=shift, colors=colors,
                          names=agency_names(session, set(colors)))
    delegates = load_delegates(session, report.rows)
    report.person_ratings = rate_people(report.rows, delegates, as_of=report.as_of, rule=rule, calendar=calendar,
                                        shift=shift, names=agency_names(session, {d.agency for d in
                                                                                  delegates.values()}))
    return report


def load_delegates(session: Session, rows) -> dict[tuple[str, str], Delegate]:
    """(task key, occurrence key) → the person it is handed to as chủ trì with an internal deadline, now
    (storage/delegation.py: a hand-over of one period before one of every period; a withdrawn one is not)."""
    from storage.delegation import Assignment
    from storage.people import Department, Person

    keys = sorted({r.fact.task_key for r in rows})
    if not keys:
        return {}
    ids: dict[int, str] = {}
    for i in range(0, len(keys), 500):
        ids.update({tid: key for tid, key in session.exec(select(Task.id, Task.key).where(
            Task.key.in_(keys[i:i + 500]), Task.removed_at.is_(None)))})  # type: ignore[attr-defined]
    handed: dict[tuple[str, str | None], Assignment] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 500):
        for a in session.exec(select(Assignment).where(
                Assignment.task_id.in_(id_list[i:i + 500]), Assignment.role == "chu-tri",  # type: ignore
                Assignment.person_id.is_not(None), Assignment.due.is_not(None),  # type: ignore
                Assignment.removed_at.is_(None)).order_by(Assignment.id)):  # type: ignore
            handed[(ids[a.task_id], a.occurrence)] = a  # the latest hand-over of the same work wins
    if not handed:
        return {}
    people = {p.id: p for p in session.exec(select(Person).where(
        Person.id.in_(sorted({a.person_id for a in handed.values()}))))}  # type: ignore[attr-defined]
    departments = {d.id: d.name for d in session.exec(select(Department))}
    out = {}
    for r in rows:
        f = r.fact
        a = handed.get((f.task_key, f.occurrence_key)) or handed.get((f.task_key, None))
        if a is None or a.person_id not in people:
            continue
        p = people[a.person_id]
        out[(f.task_key, f.occurrence_key)] = Delegate(p.id, p.name, a.agency, a.due,
                                                       departments.get(p.department_id))
    return out
