"""The dashboard's lists and counts and the task list's page, read from the occurrence listing
(storage/listing.py) in SQL: counts are aggregates, lists are their first rows, and only the rows shown become
`TaskItem`s — so both pages answer in the same time at 1,000 and at 100,000 tasks (issue 23).

`dashboard_lists` gives what `web.pages.dashboard` used to compute from every visible item, the same figures
(tests/test_web_overview.py compares the two on a generated registry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from aiohttp import web
from sqlmodel import Session, select

from core.status import Status
from storage import listing
from storage.listing_tables import ListedOccurrence
from storage.signin import Person
from storage.tables import Agency, AuditEntry, Directive
from storage.views import TaskItem
from web.common import CALENDAR, SETTINGS, today_of
from web.todo import REPORT_ACTIONS, RETURN_ACTIONS  # one rule of what a return and a report are

__all__ = ["scope_of", "Listed", "dashboard_lists", "task_page_of", "export_items", "PAGE_SIZE"]

L = ListedOccurrence.__table__.c
PAGE_SIZE = 100  # rows of the task list per page



def scope_of(s: Session, request: web.Request, person: Person, *, agency: str | None, directive: str | None,
             q: str = "", status: str | None = None, include_done: bool = True) -> listing.Scope:
    """Bring the listing up to date for today, and the scope of this person's view with these filters."""
    settings, calendar, today = request.app[SETTINGS], request.app[CALENDAR], today_of(request)
    listing.refresh(s, settings=settings, calendar=calendar, today=today)
    directive_ids = None
    if directive is not None:
        directive_ids = list(s.exec(select(Directive.id).where(Directive.number == directive)).all())
    return listing.Scope(today=today, due_soon_days=int(getattr(settings, "due_soon_days", 3)),
                         allowed=person.visible_agencies(), agency=agency, directive_ids=directive_ids, q=q,
                         status=status, include_done=include_done)


@dataclass
class Listed:
    """The first rows of one list and how many there are."""

    items: list[TaskItem]
    count: int

    def __len__(self) -> int:  # the template's `|length` and `if` read the count, not the shown rows
        return self.count

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, k):
        return self.items[k]


def _listed(s: Session, request: web.Request, scope: listing.Scope, *cond, shown: int) -> Listed:
    keys = listing.page_keys(s, scope, *cond, limit=shown)
    n = listing.count(s, scope, *cond) if len(keys) == shown else len(keys)
    return Listed(listing.items_of(s, keys, settings=request.app[SETTINGS], calendar=request.app[CALENDAR],
                                   today=scope.today), n)


def _returned(s: Session, request: web.Request, person: Person, scope: listing.Scope, shown: int) -> Listed:
    """Open occurrences whose last report was sent back and not reported again since (web/todo.py's rule), that
    this person acts on. Returns are few: the audit's returns first, then only their tasks' reports."""
    last: dict[tuple[str, str], tuple] = {}
    for e in s.exec(select(AuditEntry).where(AuditEntry.entity == "task",
                                             AuditEntry.action.in_(RETURN_ACTIONS))):  # type: ignore
        k = (e.entity_key, (e.detail or {}).get("occurrence", "once"))
        if k not in last or (e.at, e.id) > last[k]:
            last[k] = (e.at, e.id)
    keys = sorted({k for k, _occ in last})
    for chunk in range(0, len(keys), 500):
        for e in s.exec(select(AuditEntry).where(AuditEntry.entity == "task",
                                                 AuditEntry.entity_key.in_(keys[chunk:chunk + 500]),  # type: ignore
                                                 AuditEntry.action.in_(REPORT_ACTIONS))):  # type: ignore
            k = (e.entity_key, (e.detail or {}).get("occurrence", "once"))
            if k in last and (e.at, e.id) > last[k]:
                del last[k]
    if not last:
        return Listed([], 0)
    found: list[tuple[int, str]] = []
    task_keys = sorted({k for k, _occ in last})
    for chunk in range(0, len(task_keys), 500):
        found += [(r[0], r[1]) for r in s.connection().execute(
            sa.select(L.task_id, L.occurrence_key, L.task_key)
            .where(*scope.where(), L.state == "open", L.task_key.in_(task_keys[chunk:chunk + 500]))
            .order_by(*listing.ORDER)) if (r[2], r[1]) in last]
    items = listing.items_of(s, found, settings=request.app[SETTINGS], calendar=request.app[CALENDAR],
                             today=scope.today)
    items = [i for i in items if person.can_act(i.task)]
    return Listed(items[:shown], len(items))


@dataclass
class ListedTodo:
    pending: Listed
    extensions: Listed
    returned: Listed
    orphaned: Listed

    @property
    def total(self) -> int:
        return len(self.pending) + len(self.extensions) + len(self.returned) + len(self.orphaned)


def dashboard_lists(s: Session, request: web.Request, person: Person, scope: listing.Scope, *, week_end: date,
                    shown: int) -> dict:
    """The dashboard's counts and first rows: overdue, due this week, awaiting confirmation, extension requests,
    and the to-do (web/todo.py's categories)."""
    today = scope.today
    overdue = _listed(s, request, scope, L.fixed_status.is_(None), L.effective_due < today, shown=shown)
    week = _listed(s, request, scope, L.state == "open", L.effective_due >= today, L.effective_due <= week_end,
                   shown=shown)
    pending = _listed(s, request, scope, L.state == "pending_confirmation", shown=shown)
    extensions = _listed(s, request, scope, L.pending_extension.is_(True), shown=shown)
    empty = Listed([], 0)
    orphaned = empty
    if person.can_decide:
        ceased = sorted(a.code for a in s.exec(select(Agency).where(Agency.valid_to.is_not(None),  # type: ignore
                                                                    Agency.valid_to < today,
                                                                    Agency.successor.is_(None))))  # type: ignore
        if ceased:
            orphaned = _listed(s, request, scope, L.lead_agency.in_(ceased), shown=shown)
    todo = ListedTodo(pending if person.can_decide else empty, extensions if person.can_decide else empty,
                      _returned(s, request, person, scope, shown), orphaned)
    return {"overdue": overdue, "due_this_week": week, "pending": pending, "extensions": extensions,
            "todo": todo}


def task_page_of(s: Session, request: web.Request, scope: listing.Scope, page: int) -> tuple[list[TaskItem], int]:
    """One page of the task list (1-based) and how many rows the filters keep in all."""
    total = listing.count(s, scope)
    keys = listing.page_keys(s, scope, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return listing.items_of(s, keys, settings=request.app[SETTINGS], calendar=request.app[CALENDAR],
                            today=scope.today), total


def export_items(s: Session, request: web.Request, person: Person, *, agency: str | None, directive: str | None,
                 q: str = "", status: str | None = None, wanted: set[tuple[str, str]] | None = None,
                 chunk: int = 2000) -> list[TaskItem]:
    """The task list's rows to export — its filters, or the ticked (task key, occurrence) pairs among what this
    person may see — listed in SQL and read a chunk of tasks at a time: a selection or a narrow filter reads only
    its own tasks, not every visible one. In the order `web.pages.visible_items` gives."""
    scope = scope_of(s, request, person, agency=agency, directive=directive, q=q, status=status)
    order = listing.ORDER if person.visible_agencies() is None else listing.MERGED_ORDER
    # Only the listing's keys are read here (its index, in the database's own order); a selection keeps its pairs.
    picked = [(r[0], r[1]) for r in s.connection().execute(
        sa.select(L.task_id, L.occurrence_key, L.task_key).where(*scope.where()).order_by(*order))
        if wanted is None or (r[2], r[1]) in wanted]
    out: list[TaskItem] = []
    for i in range(0, len(picked), chunk):
        out += listing.items_of(s, picked[i:i + chunk], settings=request.app[SETTINGS],
                                calendar=request.app[CALENDAR], today=scope.today)
    return out


# -- the dashboard's figures ------------------------------------------------------------------------------------
# The four groups per agency are the report library's (reports.build_report), whose rules (who led an occurrence
# then, extensions as seen on a day, completions awaiting review) SQL cannot repeat; so the figures are kept,
# per process, for the day and the state of the records they were computed from. Every change to a task, an
# occurrence, an extension, a completion or a responsibility writes an audit entry in its transaction
# (storage.audit), and a registry loaded in bulk adds task ids: the newest of each names that state.

FIGURES_KEPT = 32
_figures: dict[tuple, object] = {}


def records_state(s: Session) -> tuple:
    from storage.tables import Task

    conn = s.connection()
    return (conn.execute(sa.select(sa.func.max(AuditEntry.__table__.c.id))).scalar(),
            conn.execute(sa.select(sa.func.max(Task.__table__.c.id), sa.func.count())).one()[:])


def kept_figures(s: Session, key: tuple, compute):
    """`compute()`, or what it gave for the same `key` on the same day and records (the newest first kept)."""
    full = (id(s.get_bind()), records_state(s), *key)
    if full in _figures:
        return _figures[full]
    value = compute()
    if len(_figures) >= FIGURES_KEPT:
        _figures.pop(next(iter(_figures)))
    _figures[full] = value
    return value
