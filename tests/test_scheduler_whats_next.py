"""After its first tick, `dondoc run` says in the log when it looks next — and on a day off, why it is quiet."""

from datetime import datetime

from core.clock import FixedClock
from dondoc.wiring import make_scheduler
from storage.db import session_scope
from tests.conftest import VN
from tests.factories import make_binding, make_task

SATURDAY = datetime(2026, 11, 21, 12, 0, tzinfo=VN)


def test_an_empty_registry_says_what_to_do(engine, settings):
    line = make_scheduler(engine, settings, FixedClock(SATURDAY), {}).whats_next(SATURDAY)
    assert "dondoc import" in line and "dondoc link" in line


def test_on_a_saturday_it_says_nothing_goes_out_before_monday(engine, settings):
    with session_scope(engine) as s:
        make_task(s, key="T1", deadline_text="trước ngày 30/11/2026", now=SATURDAY, lead="so-noi-vu")
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=SATURDAY)
    sch = make_scheduler(engine, settings, FixedClock(SATURDAY), {})
    sch.plan(SATURDAY)
    line = sch.whats_next(SATURDAY)
    # The new-task notice waits for Monday 23/11 07:30, the start of the next working day's window.
    assert line.startswith("next planned check: 23/11/2026 07:30"), line
    from core.workdays import WorkCalendar

    saturday = WorkCalendar.from_file(None).day_off_name(SATURDAY.date())
    assert saturday == "thứ Bảy"  # the catalog's weekday, as written inside a sentence
    assert f"day off ({saturday})" in line and "23/11/2026 07:30" in line and "DELIVERY_WINDOW" in line


def test_on_a_working_day_there_is_no_day_off_excuse(engine, settings):
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    with session_scope(engine) as s:
        make_task(s, key="T1", deadline_text="trước ngày 30/11/2026", now=monday, lead="so-noi-vu")
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=monday)
    sch = make_scheduler(engine, settings, FixedClock(monday), {})
    sch.plan(monday)
    line = sch.whats_next(monday)
    assert line.startswith("next planned check:") and "day off" not in line
