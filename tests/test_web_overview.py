"""The dashboard's and the task list's fast reading (web/overview.py over storage/listing.py) gives the figures
and rows the old reading gave — every visible item through `task_items`, filtered in Python — on a generated
registry with overdue, done, awaiting-confirmation, returned, extended (approved and pending) and ceased-agency
tasks, for several people and filters, before and after changes, and on later days (recurring tasks roll)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from bench import data
from core.clock import FixedClock
from core.status import Status
from core.workdays import WorkCalendar
from dondoc.settings import load_settings
from storage import actions, completion, listing
from storage.listing_tables import ListedOccurrence, ListingState
from storage.signin import Person
from storage.tables import Agency, Extension, Occurrence, Task
from web.common import CALENDAR, CLOCK, SETTINGS
from web.overview import PAGE_SIZE, dashboard_lists, scope_of, task_page_of
from web.pages import _matches, visible_items
from web.todo import todo_of

CLERK = actions.Actor("Chị Lan", "5151", "telegram")
BOSS = actions.Actor("Anh Hùng", "4242", "web")
SHOWN = 30


def request_on(settings, day: datetime):
    return SimpleNamespace(app={SETTINGS: settings, CALENDAR: WorkCalendar(), CLOCK: FixedClock(day)}, query={})


def keys(items) -> list[tuple[str, str]]:
    return [(i.task.key, i.occurrence_key) for i in items]


def slow_dashboard(s, request, person, agency, directive, today, week_end):
    """What web/pages.dashboard computed before issue 23's rework: every visible item, filtered in Python."""
    items = visible_items(s, request, person, agency=agency, directive=directive, include_done=False)
    overdue = sorted((i for i in items if i.status == Status.OVERDUE), key=lambda i: i.effective_due)
    week = [i for i in items if i.effective_due is not None and today <= i.effective_due <= week_end
            and i.state == "open"]
    pending = [i for i in items if i.state == "pending_confirmation"]
    extensions = [i for i in items if i.pending_extension is not None]
    todo = todo_of(s, person, items, today)
    return {"overdue": overdue, "due_this_week": week, "pending": pending, "extensions": extensions,
            "todo.returned": todo.returned, "todo.orphaned": todo.orphaned, "todo.pending": todo.pending,
            "todo.extensions": todo.extensions}


def fast_dashboard(s, request, person, agency, directive, today, week_end):
    scope = scope_of(s, request, person, agency=agency, directive=directive, include_done=False)
    lists = dashboard_lists(s, request, person, scope, week_end=week_end, shown=SHOWN)
    t = lists["todo"]
    return {"overdue": lists["overdue"], "due_this_week": lists["due_this_week"], "pending": lists["pending"],
            "extensions": lists["extensions"], "todo.returned": t.returned, "todo.orphaned": t.orphaned,
            "todo.pending": t.pending, "todo.extensions": t.extensions}


def assert_same_dashboard(engine, settings, day, person, agency=None, directive=None):
    request = request_on(settings, day)
    today = day.astimezone(settings.timezone).date()
    week_end = today + timedelta(days=6 - today.weekday())
    with Session(engine) as s, Session(engine, expire_on_commit=False) as s2:
        slow = slow_dashboard(s, request, person, agency, directive, today, week_end)
        fast = fast_dashboard(s2, request, person, agency, directive, today, week_end)
        s2.commit()
    for name, old in slow.items():
        new = fast[name]
        assert len(new) == len(old), (name, person.user_id, agency, directive)
        assert keys(new.items) == keys(old[:SHOWN]), (name, person.user_id, agency, directive)
        assert [i.status for i in new.items] == [i.status for i in old[:SHOWN]], name
    return {name: len(old) for name, old in slow.items()}


def assert_same_task_list(engine, settings, day, person, *, agency=None, directive=None, q="", status=None):
    request = request_on(settings, day)
    with Session(engine) as s, Session(engine, expire_on_commit=False) as s2:
        old = visible_items(s, request, person, agency=agency, directive=directive)
        old = [i for i in old if _matches(i, q) and (status is None or i.status.value == status)]
        scope = scope_of(s2, request, person, agency=agency, directive=directive, q=q, status=status)
        first, total = task_page_of(s2, request, scope, 1)
        second, _ = task_page_of(s2, request, scope, 2)
        s2.commit()
    assert total == len(old), (person.user_id, agency, directive, q, status)
    if person.visible_agencies() is None:  # the order of one task_items call (a focal point's merges agencies)
        assert keys(first) + keys(second) == keys(old[:2 * PAGE_SIZE])
    else:
        assert set(keys(first) + keys(second)) <= set(keys(old))
        assert [i.effective_due for i in first] == [i.effective_due for i in old[:PAGE_SIZE]]
    return total


@pytest.fixture
def registry(engine, db_url):
    """A generated registry (bench.data) in use, then: completions reported and awaiting review, some of them sent
    back, extensions asked and some approved, one agency ceased without a successor."""
    reg = data.make_registry(600)
    data.load_registry(engine, reg)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(4242,))
    now = data.NOW
    today = now.astimezone(settings.timezone).date()
    with Session(engine) as s:
        open_once = [t for t in s.exec(select(Task).where(Task.deadline_kind == "once").order_by(Task.id)).all()
                     if not any(o["task_id"] == t.id for o in reg.occurrences)]
        claimed = open_once[:40]
        for t in claimed:
            actions.mark_done(s, t, "once", CLERK, now - timedelta(days=2), needs_confirmation=True)
        for t in claimed[:12]:  # sent back: open again, on the agency's to-do
            completion.reject(s, t, "once", BOSS, now - timedelta(days=1))
        asked = [t for t in open_once[40:70] if t.due is not None and t.due >= today - timedelta(days=30)]
        for t in asked:
            actions.request_extension(s, t, "once", max(t.due, today) + timedelta(days=45), "Chờ số liệu", CLERK,
                                      now - timedelta(days=3))
        for ext in s.exec(select(Extension).order_by(Extension.id)).all()[:10]:
            actions.decide_extension(s, ext, True, BOSS, now - timedelta(days=1))
        gone = s.exec(select(Agency).where(Agency.code == reg.agencies[5]["code"])).one()
        gone.valid_to = today - timedelta(days=10)
        gone.successor = None
        s.commit()
    return SimpleNamespace(reg=reg, settings=settings, now=now, today=today)


def people(reg) -> dict[str, Person]:
    first, second = reg.agencies[0]["code"], reg.agencies[5]["code"]
    oversight = next(b["agency"] for b in reg.bindings if b["role"] == "oversight")
    return {"admin": Person(user_id="4242", name="admin", is_admin=True),
            "oversight": Person(user_id="1", name="oversight", bindings=[(oversight, "oversight")], personal=[True]),
            "focal": Person(user_id="2", name="focal", bindings=[(first, "focal")], personal=[True]),
            "focal of two": Person(user_id="3", name="focal2", bindings=[(first, "focal"), (second, "manager")],
                                   personal=[True, True])}


def test_the_fast_dashboard_equals_the_slow_one_for_every_role_and_filter(engine, registry):
    r = registry
    who = people(r.reg)
    seen = {}
    for name, person in who.items():
        seen[name] = assert_same_dashboard(engine, r.settings, r.now, person)
    # the registry has every kind of line, so the comparison compares something
    admin = seen["admin"]
    assert admin["overdue"] > SHOWN and admin["pending"] == 28 and admin["todo.returned"] == 12
    assert admin["extensions"] > 0 and admin["todo.orphaned"] > 0 and admin["due_this_week"] > 0
    assert seen["focal"]["todo.orphaned"] == 0 and seen["focal"]["overdue"] < admin["overdue"]
    ceased = r.reg.agencies[5]["code"]
    assert_same_dashboard(engine, r.settings, r.now, who["admin"], agency=ceased)
    assert_same_dashboard(engine, r.settings, r.now, who["focal of two"], agency=ceased)
    assert_same_dashboard(engine, r.settings, r.now, who["oversight"], directive="3/KH-UBND")
    assert_same_dashboard(engine, r.settings, r.now, who["admin"], directive="no such directive")


def test_the_fast_task_list_equals_the_slow_one(engine, registry):
    r = registry
    who = people(r.reg)
    assert assert_same_task_list(engine, r.settings, r.now, who["admin"]) > 2 * PAGE_SIZE
    for status in Status:
        assert_same_task_list(engine, r.settings, r.now, who["admin"], status=status.value)
        assert_same_task_list(engine, r.settings, r.now, who["focal of two"], status=status.value)
    assert assert_same_task_list(engine, r.settings, r.now, who["admin"], q="nhiem vu 12") > 0  # without diacritics
    assert assert_same_task_list(engine, r.settings, r.now, who["admin"], q="nhiệm vụ 12") > 0
    assert_same_task_list(engine, r.settings, r.now, who["admin"], q="100%_")
    assert_same_task_list(engine, r.settings, r.now, who["admin"], agency=r.reg.agencies[3]["code"])
    assert_same_task_list(engine, r.settings, r.now, who["focal"], directive="2/KH-UBND")


def test_the_listing_follows_changes_and_days(engine, registry):
    """A change forgets the task's rows in its own flush; a later day recomputes the recurring tasks that roll and
    the day-dependent statuses — the figures stay those of the slow reading."""
    r = registry
    admin = people(r.reg)["admin"]
    before = assert_same_dashboard(engine, r.settings, r.now, admin)
    with Session(engine) as s:
        stored = len(s.exec(select(ListingState)).all())
        assert stored == len(r.reg.tasks)
        overdue = s.exec(select(ListedOccurrence).where(ListedOccurrence.fixed_status.is_(None),
                                                        ListedOccurrence.effective_due < r.today)
                         .order_by(ListedOccurrence.task_id)).first()
        task = s.get(Task, overdue.task_id)
        actions.mark_done(s, task, overdue.occurrence_key, CLERK, r.now, needs_confirmation=False)
        # forgotten in the same transaction: its rows gone, its state marked stale for the next read's index
        assert s.get(ListingState, task.id).valid_until == listing.STALE
        assert not s.exec(select(ListedOccurrence).where(ListedOccurrence.task_id == task.id)).all()
        s.commit()
    after = assert_same_dashboard(engine, r.settings, r.now, admin)
    assert after["overdue"] == before["overdue"] - 1
    for days in range(1, 47):  # every day: a recurring task's rows must roll on the very day its next falls due
        assert_same_task_list(engine, r.settings, r.now + timedelta(days=days), admin)
    for days in (1, 9, 40, 120, 400):
        later = r.now + timedelta(days=days)
        assert_same_dashboard(engine, r.settings, later, admin)
        assert_same_task_list(engine, r.settings, later, admin, status=Status.OVERDUE.value)
        assert_same_task_list(engine, r.settings, later, admin, status=Status.DUE_SOON.value)


async def test_the_scheduler_tick_keeps_the_listing_warm(engine, db_url, monkeypatch):
    """`dondoc run`'s tick computes the listing a share at a time (LISTING_TICK_SHARE), so the first page of a day
    or after an import finds it done."""
    from dondoc.wiring import make_scheduler
    from storage import listing

    reg = data.make_registry(120)
    data.load_registry(engine, reg)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    from reports import kept_groups
    from storage.group_tables import GroupingState

    monkeypatch.setattr(listing, "LISTING_TICK_SHARE", 50)
    monkeypatch.setattr(kept_groups, "GROUPS_TICK_SHARE", 50)  # and the dashboard's kept four groups alike
    sch = make_scheduler(engine, settings, FixedClock(data.NOW), {})

    def kept(table=ListingState) -> int:
        with Session(engine) as s:
            return len(s.exec(select(table)).all())

    assert kept() == 0 and kept(GroupingState) == 0
    await sch.tick()
    assert kept() == 50 and kept(GroupingState) == 50
    await sch.tick()
    await sch.tick()
    assert kept() == 120 and kept(GroupingState) == 120


# -- the dashboard's four groups, kept per due date (reports/kept_groups.py) -------------------------------------

RUNNING = ("quarter", "half", "nine", "year", "month")


def assert_same_groups(engine, settings, day, *, agencies=None, directive=None, kinds=RUNNING) -> dict:
    """Every running period's four groups per agency and in total, from the kept rows and from the report library
    (what the dashboard showed before: `build_report`, which reads every task of the period)."""
    from reports import build_report, current_period
    from reports.kept_groups import kept_groups

    calendar = WorkCalendar()
    today = day.astimezone(settings.timezone).date()
    totals = {}
    for kind in kinds:
        period = current_period(today, kind, settings.report_cutoff)
        with Session(engine) as s:
            old = build_report(s, settings=settings, calendar=calendar, period=period, today=today,
                               agencies=agencies, directive=directive, with_ratings=False)
        with Session(engine) as s:
            new = kept_groups(s, settings=settings, calendar=calendar, period=period, today=today, agencies=agencies,
                              directive=directive)
            s.commit()
        if period.end < today:  # nine months, after September: ended, judged at its end — the library's
            assert new is None, (kind, period)
            continue
        assert new is not None, (kind, period)
        what = (kind, today, agencies, directive)
        assert [(a.code, a.name, a.counts) for a in new.agencies] == \
            [(a.code, a.name, a.counts) for a in old.agencies], what
        assert new.totals == old.totals and new.as_of == old.as_of and new.ended == old.ended, what
        totals[kind] = old.totals
    return totals


def test_the_kept_four_groups_equal_the_report_librarys(engine, registry):
    r = registry
    totals = assert_same_groups(engine, r.settings, r.now)
    q = totals["quarter"]  # the registry has every group, so the comparison compares something
    assert min(q.done_on_time, q.done_late, q.open_in_term, q.open_overdue) > 0, q
    first, ceased = r.reg.agencies[0]["code"], r.reg.agencies[5]["code"]
    assert_same_groups(engine, r.settings, r.now, agencies=[first])
    assert_same_groups(engine, r.settings, r.now, agencies=[first, ceased])
    assert_same_groups(engine, r.settings, r.now, agencies=[])
    assert_same_groups(engine, r.settings, r.now, directive="3/KH-UBND")
    assert_same_groups(engine, r.settings, r.now, directive="no such directive")


def test_the_dashboards_chart_drawn_from_the_kept_groups_is_the_report_librarys(engine, registry):
    """/web/reports/report.png of a running period is drawn from the kept groups (web.reports.kept_figures_of):
    the very image the report library's figures give."""
    from reports import build_report, current_period
    from reports.chart import report_chart
    from reports.kept_groups import kept_groups

    r = registry
    period = current_period(r.today, "quarter")
    with Session(engine) as s:
        old = build_report(s, settings=r.settings, calendar=WorkCalendar(), period=period, today=r.today,
                           with_ratings=False)
        new = kept_groups(s, settings=r.settings, calendar=WorkCalendar(), period=period, today=r.today)
        assert report_chart(new, lang="vi") == report_chart(old, lang="vi")


def test_the_kept_four_groups_follow_changes_and_days(engine, registry):
    """A completion, an extension asked and approved, a reassignment and a new task each forget their task's rows
    in their own flush; days passing (into the next quarter and the next year) move open rows from within the
    deadline to overdue in SQL — the figures stay the report library's after each."""
    from storage.group_tables import GroupingState
    from storage.responsibility import reassign
    from tests.factories import make_task

    r = registry
    before = assert_same_groups(engine, r.settings, r.now)["quarter"]
    quarter_end = date(2024, 6, 30)
    with Session(engine) as s:
        open_once = [t for t in s.exec(select(Task).where(Task.deadline_kind == "once", Task.due >= date(2024, 4, 1),
                                                          Task.due <= r.today - timedelta(days=3))
                                        .order_by(Task.id)).all()
                     if not s.exec(select(Extension).where(Extension.task_id == t.id)).first()
                     and all(o.status == "open" for o in s.exec(select(Occurrence).where(Occurrence.task_id == t.id)))]
        done, extended, moved = open_once[-1].id, open_once[-2].id, open_once[-3].id
        actions.mark_done(s, open_once[-1], "once", CLERK, r.now, needs_confirmation=False)
        assert s.get(GroupingState, done).valid_until == listing.STALE  # forgotten in the same transaction
        s.commit()
    after = assert_same_groups(engine, r.settings, r.now)["quarter"]
    assert after.done_late == before.done_late + 1 and after.open_overdue == before.open_overdue - 1

    with Session(engine) as s:
        task = s.get(Task, extended)
        ext = actions.request_extension(s, task, "once", quarter_end, "Chờ số liệu", CLERK, r.now).id
        s.commit()
    assert_same_groups(engine, r.settings, r.now)
    with Session(engine) as s:
        actions.decide_extension(s, s.get(Extension, ext), True, BOSS, r.now)
        s.commit()
    approved = assert_same_groups(engine, r.settings, r.now)["quarter"]
    assert approved.open_in_term == after.open_in_term + 1

    with Session(engine) as s:  # from a date before its due date: its quarter's row counts for the new lead
        task = s.get(Task, moved)
        new_lead = next(a["code"] for a in r.reg.agencies if a["code"] != task.lead_agency)
        reassign(s, task, new_lead, since=task.due - timedelta(days=5), reason="Giao lại", actor="Anh Hùng",
                 actor_id="4242", source="console", now=r.now, today=r.today)
        assert s.get(GroupingState, moved).valid_until == listing.STALE
        s.commit()
    assert_same_groups(engine, r.settings, r.now, agencies=[new_lead])
    assert_same_groups(engine, r.settings, r.now)

    with Session(engine) as s:
        make_task(s, key="NEW-1", deadline_text="trước ngày 20/6/2024", now=r.now, lead=r.reg.agencies[2]["code"])
        make_task(s, key="NEW-2", deadline_text="định kỳ hàng tháng", now=r.now, lead=r.reg.agencies[2]["code"])
        s.commit()
    added = assert_same_groups(engine, r.settings, r.now)["quarter"]
    assert added.total == approved.total + 2  # one once, one monthly (June)
    assert_same_dashboard(engine, r.settings, r.now, people(r.reg)["admin"])  # the listing found them too

    with Session(engine) as s:  # removed from the registry: gone from both, the counts still agree
        task = s.exec(select(Task).where(Task.key == "NEW-1")).one()
        task.removed_at, gone = r.now, task.id
        s.commit()
    assert assert_same_groups(engine, r.settings, r.now)["quarter"].total == added.total - 1
    assert_same_dashboard(engine, r.settings, r.now, people(r.reg)["admin"])
    with Session(engine) as s:  # it keeps a state that lists nothing: the newest task's number still has one
        assert s.get(ListingState, gone) is not None
        assert not s.exec(select(ListedOccurrence).where(ListedOccurrence.task_id == gone)).all()
        assert len(s.exec(select(ListingState)).all()) == len(r.reg.tasks) + 2

    for days in (1, 5, 17, 28, 29, 60, 120, 210, 400):  # past the quarter's end, the half's, into the next year
        assert_same_groups(engine, r.settings, r.now + timedelta(days=days))


def test_the_kept_four_groups_under_nd09_and_what_they_leave_to_the_report_library(engine, registry, db_url):
    """Under Nghị định 09's cut-off the kept year runs 15/12–14/12; a period that has ended (judged at its last
    day) or reaches outside the kept year is not served (None): the dashboard asks the report library."""
    from reports import make_period, period_between
    from reports.kept_groups import kept_groups

    r = registry
    nd09 = load_settings(environ={"REPORT_CUTOFF": "nd09"}, dotenv_path=None, database_url=db_url)
    assert_same_groups(engine, nd09, r.now)
    assert_same_groups(engine, nd09, datetime(2024, 12, 20, 9, tzinfo=data.VN))  # in the year 2025 already
    with Session(engine) as s:
        for period in (make_period("quarter", 2024, 1), period_between(date(2024, 5, 1), date(2025, 2, 1))):
            assert kept_groups(s, settings=r.settings, calendar=WorkCalendar(), period=period,
                               today=r.today) is None


def test_the_apis_task_list_pages_the_listing_as_the_old_reading_filtered(engine, registry):
    """GET /api/v1/tasks counts and pages in SQL (web.api.routes.task_page); the old reading — every visible
    item, filtered in Python — gives the same total and the same page, for an every-agency token and one of two
    agencies, with each filter."""
    from reports import parse_period
    from web.api import common as api
    from web.api import models as m
    from web.api.routes import task_page, visible_items as api_items

    r = registry
    first, ceased = r.reg.agencies[0]["code"], r.reg.agencies[5]["code"]
    request = SimpleNamespace(app={api.SETTINGS: r.settings, api.CALENDAR: WorkCalendar(),
                                   api.CLOCK: FixedClock(r.now)}, query={})
    tokens = {"every agency": api.Client(1, "LGSP", "read", Person(user_id="api:1", name="LGSP",
                                                                    bindings=[("", "leadership")])),
              "two agencies": api.Client(2, "e-office", "read", Person(user_id="api:2", name="e-office",
                                                                        bindings=[(first, "focal"), (ceased, "focal")]))}
    queries = [{}, {"agency": first}, {"agency": ceased}, {"status": "overdue"}, {"status": "done_on_time"},
               {"q": "nhiem vu 1"}, {"directive": "3/KH-UBND"}, {"period": "Quý III/2024"},
               {"period": "Quý II/2024", "status": "pending_confirmation"}]
    compared = 0
    for name, c in tokens.items():
        for args in queries:
            for page in (1, 2):
                q = m.TaskQuery(page=page, per_page=40, **args)
                period = parse_period(q.period) if q.period else None
                with Session(engine) as s:
                    old = api_items(s, request, c, agency=q.agency, directive=q.directive)
                    old = [i for i in old if _matches(i, (q.q or "").strip())
                           and (q.status is None or i.status.value == q.status.value)
                           and (period is None or (i.effective_due is not None
                                                   and period.start <= i.effective_due <= period.end))]
                with Session(engine, expire_on_commit=False) as s:
                    total, items = task_page(s, request, c, q, period)
                    s.commit()
                assert total == len(old), (name, args)
                assert keys(items) == keys(old[(page - 1) * 40:page * 40]), (name, args, page)
                compared += len(items)
    assert compared > 500


def test_the_task_list_export_reads_only_its_rows_as_the_old_reading_filtered(engine, registry):
    """The XLSX export of the task list (its filters, or a ticked selection) lists in SQL over the listing and
    reads only those tasks (web.overview.export_items): the same rows in the same order as every visible item
    filtered in Python, and never another agency's row even when it is asked for by key."""
    from web.overview import export_items

    r = registry
    who = people(r.reg)
    request = request_on(r.settings, r.now)
    other = r.reg.agencies[3]["code"]
    with Session(engine) as s:
        everything = visible_items(s, request, who["admin"])
    chosen = {(i.task.key, i.occurrence_key) for i in everything[::97]}
    chosen |= {(i.task.key, i.occurrence_key) for i in everything if i.task.lead_agency == other}
    cases = [({}, None), ({"status": "overdue"}, None), ({"q": "nhiệm vụ 3"}, None),
             ({"agency": r.reg.agencies[0]["code"]}, None), ({"directive": "2/KH-UBND"}, None), ({}, chosen)]
    for name in ("admin", "focal of two"):
        person = who[name]
        for args, wanted in cases:
            with Session(engine) as s:
                old = visible_items(s, request, person, agency=args.get("agency"), directive=args.get("directive"))
                old = [i for i in old if _matches(i, args.get("q", ""))
                       and (args.get("status") is None or i.status.value == args["status"])]
                if wanted is not None:
                    old = [i for i in old if (i.task.key, i.occurrence_key) in wanted]
            with Session(engine, expire_on_commit=False) as s:
                new = export_items(s, request, person, agency=args.get("agency"), directive=args.get("directive"),
                                   q=args.get("q", ""), status=args.get("status"), wanted=wanted)
                s.commit()
            assert keys(new) == keys(old), (name, args, wanted is not None)
            assert old or args.get("directive"), (name, args)
            if name == "focal of two" and wanted is not None:  # asked for by key, another agency's stays out
                mine = set(person.visible_agencies())
                assert new and all(mine & {i.task.lead_agency, *(i.task.coordinators or [])} for i in new)


def test_the_kept_four_groups_and_the_listing_on_postgresql(pg_engine, pg_url):
    """The same SQL on PostgreSQL (production's database): the four groups, the dashboard's lists and the API's
    pages equal the old readings, before and after a completion, and on later days."""
    reg = data.make_registry(300)
    data.load_registry(pg_engine, reg)
    settings = load_settings(environ={}, dotenv_path=None, database_url=pg_url, admin_user_ids=(4242,))
    admin = Person(user_id="4242", name="admin", is_admin=True)
    focal = Person(user_id="2", name="focal", bindings=[(reg.agencies[0]["code"], "focal")], personal=[True])
    before = assert_same_groups(pg_engine, settings, data.NOW)["quarter"]
    assert before.total > 0
    assert_same_groups(pg_engine, settings, data.NOW, agencies=[reg.agencies[0]["code"]])
    assert_same_dashboard(pg_engine, settings, data.NOW, admin)
    assert_same_task_list(pg_engine, settings, data.NOW, focal)
    assert_same_task_list(pg_engine, settings, data.NOW, admin)
    today = data.NOW.astimezone(settings.timezone).date()
    with Session(pg_engine) as s:
        task = next(t for t in s.exec(select(Task).where(Task.deadline_kind == "once", Task.due < today,
                                                         Task.due >= date(2024, 4, 1)).order_by(Task.id))
                    if all(o.status == "open" for o in s.exec(select(Occurrence).where(Occurrence.task_id == t.id))))
        actions.mark_done(s, task, "once", CLERK, data.NOW, needs_confirmation=False)
        s.commit()
    after = assert_same_groups(pg_engine, settings, data.NOW)["quarter"]
    assert after.done_late == before.done_late + 1
    assert_same_dashboard(pg_engine, settings, data.NOW, admin)
    for days in (30, 200):
        assert_same_groups(pg_engine, settings, data.NOW + timedelta(days=days))
        assert_same_dashboard(pg_engine, settings, data.NOW + timedelta(days=days), admin)
