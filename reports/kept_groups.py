"""The four groups of a running period, kept per due date so the dashboard reads them in one GROUP BY (issue 23).

Before this the dashboard asked the report library (`build_report`), which reads every task of the period: 6.5 s
at 100k tasks, paid again after every change. Here each task's due dates in the current reporting year (the year
period under REPORT_CUTOFF, which holds every quarter, half, nine months and month that has not ended) are judged
once by the report library itself — `load_due_facts` and `judge`, the same functions `dondoc report` uses — and
kept in `grouped_occurrence` (storage/group_tables.py) with what their group depends on:

- the due date as written (which period a row counts in), the agency responsible on it (`responsible_on`: a
  reassigned or handed-over task counts for whoever led it then), its directive;
- a group no later day changes (`fixed_group`: done on time or late; a completion awaiting review, late or not);
- otherwise the deadline in force moved off a day off (`effective_due`): the row is open and overdue once the
  day is past it, open within the deadline before — worked out in SQL for the day asked, as `judge` does.

What else moves a row with the days — an extension decided, a completion dated or a removal recorded after the
day it was computed (only when records are dated ahead of the clock) — ends its rows' `valid_until` the day
before. Any change to a task, its occurrences, extensions or responsibility deletes its rows in the same flush
(storage/listing.py `forget_changed`); a new calendar, shift rule, ceased agency or reporting year recomputes
all. `refresh` computes what is missing, a chunk at a time; the dashboard calls it before reading and the
scheduler's tick does a share (GROUPS_TICK_SHARE tasks) so a page seldom has more than a changed task to do.

What it does not serve (the caller asks the report library, as before): a period that has ended (its groups are
judged at its last day, not today, and it may lie outside the kept year) or one reaching outside the kept year
(a from/to range). REPORT_MAX_OCCURRENCES does not apply here: it bounds the cost of reading the facts, which a
kept row has already paid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Collection

import sqlalchemy as sa
from sqlmodel import Session, select

from reports.figures import AgencyFigures, Group, GroupCounts, Period, _name_key, current_period, judge
from reports.load import _local, agency_names, load_due_facts
from storage import listing
from storage.group_tables import GroupedOccurrence, GroupingState
from storage.listing_tables import ListingMeta
from storage.tables import Directive, Task

__all__ = ["KeptGroups", "kept_window", "refresh", "read_groups", "kept_groups", "GROUPS_TICK_SHARE"]

GROUPS_VERSION = "1"  # bump when what a row holds changes: every row is computed again
GROUPS_TICK_SHARE = 5000  # tasks a scheduler tick recomputes at most (jobs/scheduler.py)
META = "groups"  # its row in listing_meta: the fingerprint the rows were computed with
G = GroupedOccurrence.__table__.c
S = GroupingState.__table__.c
T = Task.__table__.c


@dataclass
class KeptGroups:
    """The four groups per agency and in total of a running period, as `reports.Report` gives them (the
    dashboard's `_figures.html` reads these fields of either)."""

    period: Period
    as_of: date
    today: date
    agencies: list[AgencyFigures]
    totals: GroupCounts

    @property
    def ended(self) -> bool:
        return self.today > self.period.end


def kept_window(today: date, cutoff: str) -> Period:
    """The due dates kept: the reporting year that holds `today` (under nd09, 20/12/2026 is in the year 2027)."""
    return current_period(today, "year", cutoff)


def _fingerprint(session: Session, settings, calendar, window: Period) -> str:
    base = listing.fingerprint(session, settings, calendar)  # the calendar's days, the shift rule, ceased agencies
    # TIMEZONE too: the local dates of decisions and removals are read in it.
    text = f"{GROUPS_VERSION}|{base}|{window.start.isoformat()}|{window.end.isoformat()}|{settings.timezone}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _fixed(fact, today: date) -> bool:
    """Whether `judge` gave this fact's group from its completion (no later day changes it) rather than from the
    day against the deadline."""
    if fact.state == "done":
        return fact.completed_on is None or fact.completed_on <= today
    return fact.state == "pending_confirmation" and fact.completed_on is not None and fact.completed_on <= today


def _valid_until(facts, removed_on: date | None, today: date) -> date:
    """The day before the first date on record after `today` that would change a judgment (see the module)."""
    ahead = [d for d in ([removed_on] if removed_on else []) if d > today]
    for f in facts:
        if f.completed_on is not None and f.completed_on > today:
            ahead.append(f.completed_on)
        ahead += [e.decided_on for e in f.extensions
                  if e.decision == "approved" and e.decided_on is not None and e.decided_on > today]
    return min(ahead) - timedelta(days=1) if ahead else date.max


def refresh(session: Session, *, settings, calendar, today: date, chunk: int = 2000, limit: int | None = None,
            thorough: bool = False) -> int:
    """Compute the rows of every task that has none or whose rows no longer hold on `today` (at most `limit`);
    how many tasks. `thorough`: also compare each task's sequence with the one its rows were computed at."""
    window = kept_window(today, settings.report_cutoff)
    fp = _fingerprint(session, settings, calendar, window)
    conn = session.connection()
    meta = session.get(ListingMeta, META)
    if meta is None or meta.value != fp:
        conn.execute(sa.delete(GroupingState.__table__))
        conn.execute(sa.delete(GroupedOccurrence.__table__))
        if meta is None:
            session.add(ListingMeta(name=META, value=fp))
        else:
            meta.value = fp
        session.flush()
    stale = listing.stale_tasks(conn, today, state=GroupingState.__table__, limit=limit, thorough=thorough)
    tz = settings.timezone
    shift = bool(getattr(settings, "deadline_shift_to_workday", True))
    memo: dict = {}
    for i in range(0, len(stale), chunk):
        part = stale[i:i + chunk]
        tasks = {r.key: r for r in conn.execute(sa.select(T.id, T.key, T.sequence, T.directive_id, T.removed_at)
                                                   .where(T.id.in_(part)))}
        facts = load_due_facts(session, period=window, as_of=today, tz=tz, task_ids=part)
        by_task: dict[str, list] = {}
        rows = []
        for f in facts:
            t = tasks[f.task_key]
            by_task.setdefault(f.task_key, []).append(f)
            group, _status, _in_force, effective, _done, _late = judge(f, today, calendar, shift, memo)
            rows.append({"task_id": t.id, "occurrence_key": f.occurrence_key, "due": f.due, "lead": f.lead,
                         "directive_id": t.directive_id, "effective_due": effective,
                         "fixed_group": group.value if _fixed(f, today) else None})
        states = [{"task_id": t.id, "computed_on": today, "task_sequence": t.sequence or 0,
                   "valid_until": _valid_until(by_task.get(key, ()), _local(t.removed_at, tz), today)}
                  for key, t in tasks.items()]
        listing.replace_kept(session, GroupedOccurrence.__table__, GroupingState.__table__, part, rows, states)
    return len(stale)


def group_expr(as_of: date):
    """A row's group on `as_of`, as `reports.figures.judge` gives it, in SQL."""
    return sa.case((G.fixed_group.is_not(None), G.fixed_group),
                   (G.effective_due < as_of, Group.OPEN_OVERDUE.value),
                   else_=Group.OPEN_IN_TERM.value)


def serves(period: Period, today: date, cutoff: str) -> bool:
    """Whether the kept rows answer `period` on `today`: it has not ended and lies in the kept year."""
    window = kept_window(today, cutoff)
    return period.end >= today and window.start <= period.start and period.end <= window.end


def read_groups(session: Session, *, period: Period, today: date, agencies: Collection[str] | None = None,
                directive: str | None = None) -> KeptGroups:
    """The four groups per agency of `period` from the kept rows (brought up to date by `refresh` first): the
    due dates in it whose responsible agency is one of `agencies` (None: any), of `directive` (a number)."""
    as_of = period.as_of(today)
    conds = [G.due >= period.start, G.due <= period.end]
    if agencies is not None:
        conds.append(G.lead.in_(sorted(agencies)))
    if directive is not None:
        ids = list(session.exec(select(Directive.id).where(Directive.number == directive)).all())
        conds.append(G.directive_id.in_(ids))
    grp = group_expr(as_of).label("grp")
    counted = session.connection().execute(sa.select(G.lead, grp, sa.func.count()).where(*conds)
                                           .group_by(G.lead, grp)).all()
    names = agency_names(session, {lead for lead, _g, _n in counted})
    by_agency: dict[str, AgencyFigures] = {}
    totals = GroupCounts()
    for lead, group, n in counted:
        a = by_agency.setdefault(lead, AgencyFigures(lead, names.get(lead, lead)))
        setattr(a.counts, group, getattr(a.counts, group) + n)
        setattr(totals, group, getattr(totals, group) + n)
    return KeptGroups(period=period, as_of=as_of, today=today, totals=totals,
                      agencies=sorted(by_agency.values(), key=lambda a: _name_key(a.name)))


def kept_groups(session: Session, *, settings, calendar, period: Period, today: date,
                agencies: Collection[str] | None = None, directive: str | None = None) -> KeptGroups | None:
    """The four groups of `period` from the kept rows, brought up to date; None when they do not serve it
    (`serves`): the caller asks the report library."""
    if not serves(period, today, settings.report_cutoff):
        return None
    refresh(session, settings=settings, calendar=calendar, today=today)
    return read_groups(session, period=period, today=today, agencies=agencies, directive=directive)
