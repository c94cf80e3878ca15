"""Read models: one item per occurrence, deadline in force, status, filters, order, counts."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from core.status import Status
from core.workdays import WorkCalendar
from storage import actions
from storage.actions import Actor
from storage.tables import Task
from storage.views import summary_counts, task_items
from tests.factories import make_directive, make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
ADMIN = Actor("Admin", None, "cli")


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def items(session, settings, calendar, today, **kw):
    return task_items(session, settings=settings, calendar=calendar, today=today, **kw)


def test_once_task_status_changes_with_today(session, settings, calendar):
    d = make_directive(session)
    make_task(session, key="plan", deadline_text="trước ngày 14/6/2018", now=NOW, directive=d)
    for today, status in [(date(2018, 6, 1), Status.IN_TIME), (date(2018, 6, 11), Status.DUE_SOON),
                          (date(2018, 6, 14), Status.DUE_SOON), (date(2018, 6, 15), Status.OVERDUE)]:
        [it] = items(session, settings, calendar, today)
        assert (it.occurrence_key, it.due, it.effective_due, it.status) == ("once", date(2018, 6, 14),
                                                                            date(2018, 6, 14), status)
        assert it.state == "open" and it.occurrence is None and not it.acknowledged
        assert it.directive.number == "5099/UBND-HCC"


def test_due_on_a_day_off_moves_to_the_next_workday(session, settings, calendar):
    # 02/09/2018 is a Sunday and National Day; the holiday is observed on Monday 03/09.
    make_task(session, key="t", deadline_text="trước ngày 2/9/2018", now=NOW)
    [it] = items(session, settings, calendar, date(2018, 9, 4))
    assert it.due == date(2018, 9, 2)
    assert it.effective_due == calendar.effective_due(date(2018, 9, 2)) == date(2018, 9, 4)
    assert it.status == Status.DUE_SOON
    no_shift = dataclasses.replace(settings, deadline_shift_to_workday=False)
    [it] = items(session, no_shift, calendar, date(2018, 9, 4))
    assert it.effective_due == date(2018, 9, 2) and it.status == Status.OVERDUE


def test_approved_extension_is_the_deadline_in_force(session, settings, calendar):
    t = make_task(session, key="t", deadline_text="trước ngày 14/6/2018", now=NOW)
    ext = actions.request_extension(session, t, "once", date(2018, 6, 29), "cần thêm số liệu", ADMIN, NOW)
    [it] = items(session, settings, calendar, date(2018, 6, 20))
    assert it.pending_extension is not None and it.pending_extension.id == ext.id
    assert it.effective_due == date(2018, 6, 14) and it.status == Status.OVERDUE
    actions.decide_extension(session, ext, True, ADMIN, NOW + timedelta(days=1))
    [it] = items(session, settings, calendar, date(2018, 6, 20))
    assert it.pending_extension is None and it.extended
    assert (it.due, it.effective_due, it.status) == (date(2018, 6, 14), date(2018, 6, 29), Status.IN_TIME)


def test_progress_done_and_acknowledgement(session, settings, calendar):
    t = make_task(session, key="t", deadline_text="trước ngày 14/6/2018", now=NOW)
    actions.acknowledge(session, t, "once", ADMIN, NOW)
    actions.record_progress(session, t, "once", 30, "đang soạn", ADMIN, NOW)
    actions.record_progress(session, t, "once", 60, "đã trình", ADMIN, NOW + timedelta(hours=1))
    [it] = items(session, settings, calendar, date(2018, 6, 1))
    assert it.acknowledged and it.last_progress.percent == 60 and it.last_progress.note == "đã trình"
    actions.mark_done(session, t, "once", ADMIN, datetime(2018, 6, 20, 10, tzinfo=VN))
    [it] = items(session, settings, calendar, date(2018, 6, 21))
    assert it.status == Status.DONE_LATE and it.completed_on == date(2018, 6, 20) and it.is_done
    assert items(session, settings, calendar, date(2018, 6, 21), include_done=False) == []


def test_pending_confirmation(session, settings, calendar):
    t = make_task(session, key="t", deadline_text="trước ngày 14/6/2018", now=NOW)
    actions.mark_done(session, t, "once", ADMIN, NOW, needs_confirmation=True)
    [it] = items(session, settings, calendar, date(2018, 6, 1), include_done=False)
    assert it.status == Status.PENDING_CONFIRMATION and it.state == "pending_confirmation"


def test_continuous_task_has_no_deadline_until_done(session, settings, calendar):
    t = make_task(session, key="c", deadline_text="Thường xuyên", now=NOW)
    [it] = items(session, settings, calendar, date(2019, 1, 1))
    assert (it.occurrence_key, it.due, it.effective_due, it.status) == ("continuous", None, None,
                                                                        Status.NO_DEADLINE)
    actions.mark_done(session, t, "continuous", ADMIN, NOW)
    [it] = items(session, settings, calendar, date(2019, 1, 1))
    assert it.status == Status.DONE_ON_TIME


def test_recurring_lists_missed_occurrences_and_the_next_one(session, settings, calendar):
    d = make_directive(session)
    t = make_task(session, key="q", deadline_text="định kỳ hàng quý", now=NOW, directive=d)
    today = date(2018, 11, 20)
    got = items(session, settings, calendar, today)
    assert [i.occurrence_key for i in got] == ["2018-06-30", "2018-09-30", "2018-12-31"]
    assert [i.status for i in got] == [Status.OVERDUE, Status.OVERDUE, Status.IN_TIME]
    # 30/06/2018 is a Saturday: in force on Monday 02/07
    assert got[0].effective_due == date(2018, 7, 2)
    actions.mark_done(session, t, "2018-06-30", ADMIN, datetime(2018, 7, 1, tzinfo=VN))
    got = items(session, settings, calendar, today)
    assert [i.occurrence_key for i in got] == ["2018-09-30", "2018-12-31"]  # done past periods drop out


def test_recurring_looks_back_one_year_at_most(session, settings, calendar):
    d = make_directive(session)
    make_task(session, key="m", deadline_text="định kỳ hàng tháng", now=NOW, directive=d)
    got = items(session, settings, calendar, date(2021, 5, 10))
    assert got[0].due >= date(2020, 5, 10) and got[-1].due == date(2021, 5, 31)
    assert len(got) == 13


def test_filters_agency_role_and_directive(session, settings, calendar):
    d1 = make_directive(session)
    d2 = make_directive(session, number="337/QĐ-UBND", issued=date(2012, 3, 2))
    make_task(session, key="a", deadline_text="trước ngày 14/6/2018", now=NOW, directive=d1, lead="so-noi-vu")
    make_task(session, key="b", deadline_text="trước ngày 15/6/2018", now=NOW, directive=d1, lead="so-tu-phap",
              coordinators=["so-noi-vu"])
    make_task(session, key="c", deadline_text="Quý IV/2013", now=NOW, directive=d2, lead="so-y-te")
    today = date(2018, 6, 1)
    assert [i.task.key for i in items(session, settings, calendar, today, agency="so-noi-vu")] == ["a"]
    assert [i.task.key for i in items(session, settings, calendar, today, agency="so-noi-vu",
                                      role_of_agency="any")] == ["a", "b"]
    assert [i.task.key for i in items(session, settings, calendar, today, directive="337/QĐ-UBND")] == ["c"]
    assert items(session, settings, calendar, today, directive="không có") == []
    assert [i.task.key for i in items(session, settings, calendar, today)] == ["c", "a", "b"]  # by due date


def test_sorted_by_effective_due_then_position_none_last(session, settings, calendar):
    make_task(session, key="cont", deadline_text="Thường xuyên", now=NOW, position=0)
    make_task(session, key="late", deadline_text="trước ngày 30/6/2018", now=NOW, position=1)
    make_task(session, key="second", deadline_text="trước ngày 14/6/2018", now=NOW, position=3)
    make_task(session, key="first", deadline_text="trước ngày 14/6/2018", now=NOW, position=2)
    assert [i.task.key for i in items(session, settings, calendar, date(2018, 6, 1))] == [
        "first", "second", "late", "cont"]


def test_removed_tasks_are_not_listed(session, settings, calendar):
    t = make_task(session, key="gone", deadline_text="trước ngày 14/6/2018", now=NOW)
    t.removed_at = NOW
    session.add(t)
    session.flush()
    assert items(session, settings, calendar, date(2018, 6, 1)) == []


def test_summary_counts_by_lead_agency(session, settings, calendar):
    make_task(session, key="a", deadline_text="trước ngày 14/6/2018", now=NOW, lead="so-noi-vu")
    make_task(session, key="b", deadline_text="trước ngày 1/6/2018", now=NOW, lead="so-noi-vu")
    make_task(session, key="c", deadline_text="Thường xuyên", now=NOW, lead="so-y-te")
    counts = summary_counts(items(session, settings, calendar, date(2018, 6, 5)))
    assert counts["so-noi-vu"] == {Status.IN_TIME: 1, Status.OVERDUE: 1}
    assert counts["so-y-te"] == {Status.NO_DEADLINE: 1}


def test_on_postgresql_import_views_and_reimport(pg_engine, pg_settings, calendar, tmp_path):
    """The JSON coordinator search, the progress sub-query and the import's comparisons on PostgreSQL."""
    from pathlib import Path

    from storage.agencies import AgencyDirectory
    from intake import import_registry
    from storage.registry import export_registry

    examples = Path(__file__).resolve().parent.parent / "examples"
    directory = AgencyDirectory.load(examples / "agencies-nam-dinh.yaml")

    def load(now):
        with Session(pg_engine) as s:
            r = import_registry(s, examples / "337-QD-UBND.csv", directory=directory, calendar=calendar, now=now,
                                actor="t", document="337/QĐ-UBND", issued=date(2012, 3, 2))
            s.commit()
            return r

    assert len(load(NOW).added) == 58
    assert len(load(NOW + timedelta(days=1)).unchanged) == 58
    with Session(pg_engine) as s:
        t = s.exec(select(Task).where(Task.key == "337-qd-ubnd-3")).one()
        actions.record_progress(s, t, "once", 20, "bắt đầu", ADMIN, NOW)
        actions.record_progress(s, t, "once", 70, "gần xong", ADMIN, NOW + timedelta(hours=2))
        s.commit()
        got = items(s, pg_settings, calendar, date(2012, 10, 1), agency="so-tai-chinh", role_of_agency="any")
        assert {i.task.key for i in got} >= {"337-qd-ubnd-11", "337-qd-ubnd-2-so-thong-tin-truyen-thong"}
        assert all(i.task.lead_agency == "so-tai-chinh" or "so-tai-chinh" in i.task.coordinators for i in got)
        [it] = items(s, pg_settings, calendar, date(2012, 10, 1), task_ids=[t.id])
        assert it.last_progress.percent == 70
        export_registry(s, tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes().count(b"\n") == 59
