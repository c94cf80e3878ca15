"""What a full plan reads (issue 27): plain rows instead of ORM objects, and each stored deadline read once per
plan for the tasks that share it. The tasks planned from those rows must be the tasks as stored: the next check
each gets is what the planner answers for the task loaded whole; a task whose lead ceased is handed over first;
a malformed stored deadline is still skipped alone, on SQLite and on PostgreSQL (where the deadline is read as
text through a cast)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from core.clock import FixedClock
from dondoc.wiring import make_scheduler
from jobs.planner import Policy, TaskSnapshot, next_check
from jobs.scheduler import active_bindings, agency_ends
from storage.tables import Agency, Task
from tests.conftest import VN
from tests.factories import make_binding, make_task

ASSIGNED = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
NOW = datetime(2018, 7, 2, 10, 0, tzinfo=VN)
# Shared deadlines (as a registry shares them) and one of each kind.
DEADLINES = ["trước ngày 14/6/2018", "trước ngày 14/6/2018", "trước ngày 30/9/2018", "hằng quý", "hằng quý",
             "Hàng tháng/năm", "Thường xuyên", "trước ngày 14/6/2018"]


def _registry(engine):
    with Session(engine) as s:
        for agency, role, chat in (("so-noi-vu", "focal", -1), ("so-noi-vu", "manager", -2), ("so-tu-phap", "focal", -3),
                                   ("huyen-cu", "focal", -4), ("van-phong-ubnd", "oversight", -5)):
            make_binding(s, chat_id=chat, agency=agency, role=role, now=ASSIGNED)
        # An agency that ceased on 30/6/2018, merged into Sở Nội vụ: its task is handed over when planned.
        s.add(Agency(code="huyen-cu", name="Huyện cũ", valid_to=date(2018, 6, 30), successor="so-noi-vu"))
        for i, text in enumerate(DEADLINES):
            make_task(s, key=f"T{i}", deadline_text=text, now=ASSIGNED, lead="huyen-cu" if i == 5 else "so-noi-vu",
                      coordinators=("so-tu-phap",) if i % 2 else ())
        bad = make_task(s, key="BAD", deadline_text="hằng quý", now=ASSIGNED)
        bad.deadline = {**bad.deadline, "rrule": "FREQ=NEVER"}
        s.commit()


def _plans_the_tasks_as_stored(engine, settings):
    _registry(engine)
    sched = make_scheduler(engine, settings, FixedClock(NOW), {})
    stats = sched.plan(NOW)
    assert stats.tasks == len(DEADLINES) + 1 and stats.skipped_tasks == ["BAD"]
    assert stats.handed_over == 1
    with Session(engine) as s:
        tasks = {t.key: t for t in s.exec(select(Task)).all()}
        assert tasks["T5"].lead_agency == "so-noi-vu"  # handed over to the successor before it was planned
        bindings, ends = active_bindings(s), agency_ends(s)
        policy = Policy.from_settings(settings)
        for key, t in tasks.items():
            if key == "BAD":
                continue
            whole = TaskSnapshot.from_rows(t, ends=ends)
            want = next_check(whole, bindings, policy, sched.calendar, NOW)
            assert t.next_check_at == want, key


def test_a_full_plan_plans_the_tasks_as_stored(engine, settings):
    _plans_the_tasks_as_stored(engine, settings)


@pytest.mark.postgres
def test_a_full_plan_plans_the_tasks_as_stored_on_postgresql(pg_engine, pg_settings):
    _plans_the_tasks_as_stored(pg_engine, pg_settings)


def test_a_malformed_stored_deadline_is_skipped_each_time(engine, settings):
    """Read once per plan does not mean remembered when unreadable: the next plan skips it again."""
    _registry(engine)
    sched = make_scheduler(engine, settings, FixedClock(NOW), {})
    assert sched.plan(NOW).skipped_tasks == ["BAD"]
    with engine.begin() as conn:
        conn.execute(sa.update(Task.__table__).where(Task.__table__.c.key == "BAD").values(next_check_at=None))
    assert sched.plan(NOW).skipped_tasks == ["BAD"]
