"""The planner, rule by rule, on a fake clock: which messages exist, when, and to whom."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from core.deadline import parse_deadline
from jobs.planner import (
    Bindings, OccurrenceState, PlannedStep, Policy, Recipient, Rung, TaskSnapshot, catch_up, current_digest,
    current_summary, digest_steps, digest_time, next_check, plan_task, still_wanted, summary_steps, timeline,
)
from core.workdays import WorkCalendar
from tests.conftest import VN

CAL = WorkCalendar()
POLICY = Policy()
LONG_AGO = datetime(2018, 1, 1, tzinfo=VN)

FOCAL = Recipient("telegram", "-1001", "so-noi-vu", "focal", id=1, created_at=LONG_AGO)
MANAGER = Recipient("telegram", "-1002", "so-noi-vu", "manager", id=2, created_at=LONG_AGO)
OVERSIGHT = Recipient("telegram", "-1003", "van-phong-ubnd", "oversight", id=3, created_at=LONG_AGO)
LEADERSHIP = Recipient("telegram", "-1004", "ubnd-tinh", "leadership", id=4, created_at=LONG_AGO)
COORD = Recipient("telegram", "-1005", "so-tu-phap", "focal", id=5, created_at=LONG_AGO)
OTHER_FOCAL = Recipient("telegram", "-1006", "so-tai-chinh", "focal", id=6, created_at=LONG_AGO)
OTHER_MANAGER = Recipient("telegram", "-1007", "so-tai-chinh", "manager", id=7, created_at=LONG_AGO)
ALL = [FOCAL, MANAGER, OVERSIGHT, LEADERSHIP, COORD, OTHER_FOCAL, OTHER_MANAGER]


def at(y, m, d, hh=8, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def task(text: str, *, assigned: datetime = at(2018, 5, 23, 9), issued: date = date(2018, 5, 23), key="T1",
         lead="so-noi-vu", coordinators=("so-tu-phap",), occurrences=None, removed=False) -> TaskSnapshot:
    return TaskSnapshot(key=key, lead=lead, deadline=parse_deadline(text, issued), assigned_at=assigned,
                        coordinators=tuple(coordinators), occurrences=occurrences or {}, id=1, removed=removed,
                        issued=issued)


def plan(t, since=None, until=at(2019, 12, 31), bindings=ALL, policy=POLICY, **kw):
    return plan_task(t, bindings, policy, CAL, since, until, **kw)


def local(s: PlannedStep) -> datetime:
    return s.due_at.astimezone(VN)


def table(steps) -> list[tuple[str, str, str]]:
    """(local date-time, step, chat id) — how the tests read a plan."""
    return [(local(s).strftime("%d/%m/%Y %H:%M"), s.step, s.chat.split(":", 1)[1]) for s in steps]


def steps_to(steps, r: Recipient) -> list[str]:
    return [s.step for s in steps if s.chat == r.chat]


# -- reminders ------------------------------------------------------------------------------------------------

def test_reminders_go_to_lead_and_coordinators_at_reminder_time():
    steps = plan(task("trước ngày 14/6/2018"), until=at(2018, 6, 14, 23))
    assert table(s for s in steps if s.kind == "reminder") == [
        ("07/06/2018 08:00", "remind:7:2018-06-14", "-1001"),
        ("07/06/2018 08:00", "remind:7:2018-06-14", "-1005"),
        ("11/06/2018 08:00", "remind:3:2018-06-14", "-1001"),
        ("11/06/2018 08:00", "remind:3:2018-06-14", "-1005"),
        ("13/06/2018 08:00", "remind:1:2018-06-14", "-1001"),
        ("13/06/2018 08:00", "remind:1:2018-06-14", "-1005"),
        ("14/06/2018 08:00", "remind:0:2018-06-14", "-1001"),
        ("14/06/2018 08:00", "remind:0:2018-06-14", "-1005"),
    ]
    # Nothing to another agency's focal point, nor to managers before the deadline.
    assert not steps_to(steps, OTHER_FOCAL) and not steps_to(steps, MANAGER)
    # The payload says what the renderer needs.
    first = [s for s in steps if s.kind == "reminder"][0]
    assert first.payload["offset"] == 7 and first.payload["effective_due"] == "2018-06-14"


def test_coordinators_left_out_when_remind_coordinators_is_off():
    p = Policy(remind_coordinators=False)
    steps = plan(task("trước ngày 14/6/2018"), until=at(2018, 6, 14, 23), policy=p)
    assert [s for s in steps if s.kind == "reminder" and s.chat == COORD.chat] == []
    # ... but a new task is still announced to them: they must know they coordinate.
    assert steps_to(steps, COORD) == ["new:2018-05-23"]


def test_reminder_time_is_local_time():
    p = Policy(reminder_time=time(7, 30))
    s = [s for s in plan(task("trước ngày 14/6/2018"), policy=p) if s.step == "remind:0:2018-06-14"][0]
    assert s.due_at.tzinfo is not None and s.due_at.utcoffset() == timedelta(0)
    assert s.due_at == datetime(2018, 6, 14, 0, 30, tzinfo=s.due_at.tzinfo)  # 07:30 in Hà Nội is 00:30 UTC


def test_working_day_only_reminders_move_to_the_working_day_before_and_never_on_days_off():
    # Due Monday 18/6/2018: one day before is Sunday → Friday 15/6; three days before is Friday too,
    # so Friday carries one reminder (the nearer offset), not two.
    steps = [s for s in plan(task("trước ngày 18/6/2018")) if s.kind == "reminder" and s.chat == FOCAL.chat]
    assert table(steps) == [
        ("11/06/2018 08:00", "remind:7:2018-06-18", "-1001"),
        ("15/06/2018 08:00", "remind:1:2018-06-18", "-1001"),
        ("18/06/2018 08:00", "remind:0:2018-06-18", "-1001"),
    ]
    everything = plan(task("trước ngày 18/6/2018"), until=at(2018, 12, 31))
    assert all(CAL.is_workday(local(s).date()) for s in everything)


def test_without_working_day_only_reminders_fall_on_their_calendar_day():
    p = Policy(workdays_only=False)
    steps = [s for s in plan(task("trước ngày 18/6/2018"), policy=p) if s.kind == "reminder" and s.chat == FOCAL.chat]
    assert [local(s).date() for s in steps] == [date(2018, 6, 11), date(2018, 6, 15), date(2018, 6, 17),
                                                date(2018, 6, 18)]


def test_due_date_on_tet_is_effective_on_the_next_working_day():
    # 5/2/2019 is the first day of Tết (days off 2/2-10/2): the deadline in force is Monday 11/2/2019
    # (Civil Code Art. 148(5)). The reminders that would fall in Tết all go out on the last working day
    # before it (1/2), as one message; escalation counts working days after 11/2.
    t = task("trước ngày 5/2/2019", issued=date(2019, 1, 2), assigned=at(2019, 1, 2, 9))
    steps = plan(t, until=at(2019, 2, 28))
    assert table(s for s in steps if s.chat == FOCAL.chat and s.kind == "reminder") == [
        ("01/02/2019 08:00", "remind:1:2019-02-11", "-1001"),
        ("11/02/2019 08:00", "remind:0:2019-02-11", "-1001"),
    ]
    assert table(s for s in steps if s.kind == "escalation" and s.step.startswith("escalate")) == [
        ("12/02/2019 08:00", "escalate:1:2019-02-11", "-1002"),
        ("14/02/2019 08:00", "escalate:2:2019-02-11", "-1003"),
        ("20/02/2019 08:00", "escalate:3:2019-02-11", "-1004"),
    ]
    assert not any(CAL.is_day_off(local(s).date()) for s in steps)


def test_tet_without_the_art_148_shift_keeps_the_written_date():
    p = Policy(shift_to_workday=False)
    t = task("trước ngày 5/2/2019", issued=date(2019, 1, 2), assigned=at(2019, 1, 2, 9))
    steps = plan(t, until=at(2019, 2, 28), policy=p)
    esc = [s for s in steps if s.step.startswith("escalate:1")]
    assert [(s.step, local(s).date()) for s in esc] == [("escalate:1:2019-02-05", date(2019, 2, 11))]


# -- escalation -----------------------------------------------------------------------------------------------

def test_escalation_ladder_counts_working_days_and_repeats_at_the_top():
    steps = plan(task("trước ngày 14/6/2018"), until=at(2018, 7, 20))
    esc = [s for s in steps if s.kind == "escalation"]
    assert table(esc) == [
        ("15/06/2018 08:00", "escalate:1:2018-06-14", "-1002"),  # 1 working day late: the agency's leaders
        ("19/06/2018 08:00", "escalate:2:2018-06-14", "-1003"),  # 3: the oversight body (Fri, Mon, Tue)
        ("25/06/2018 08:00", "escalate:3:2018-06-14", "-1004"),  # 7: province leadership
        ("02/07/2018 08:00", "repeat:1:2018-06-14", "-1004"),  # then every 7 days until done
        ("09/07/2018 08:00", "repeat:2:2018-06-14", "-1004"),
        ("16/07/2018 08:00", "repeat:3:2018-06-14", "-1004"),
    ]
    # Another agency's managers never hear about this agency's task.
    assert not steps_to(steps, OTHER_MANAGER)
    assert esc[1].payload["level"] == 2 and esc[1].payload["workdays_late"] == 3
    assert esc[3].payload["repeat"] == 1


def test_repeats_falling_on_a_day_off_go_out_the_next_working_day():
    # Top rung on Tue 24/4/2018 + 7 = Tue 1/5 (Labour Day) → Wed 2/5.
    p = Policy(escalation=(Rung(1, "oversight"),), repeat_days=7)
    t = task("trước ngày 20/4/2018", issued=date(2018, 4, 2), assigned=at(2018, 4, 2, 9))
    rep = [s for s in plan(t, until=at(2018, 5, 10), policy=p) if s.step.startswith(("escalate", "repeat"))]
    # 20/4/2018 is Friday; 23/4 Monday is 1 working day late; Giỗ Tổ 25/4 and 30/4-1/5 are days off.
    assert table(rep) == [
        ("23/04/2018 08:00", "escalate:1:2018-04-20", "-1003"),
        ("02/05/2018 08:00", "repeat:1:2018-04-20", "-1003"),
        ("07/05/2018 08:00", "repeat:2:2018-04-20", "-1003"),
    ]


def test_acknowledgement_stops_reminders_but_not_escalation():
    ack = {"once": OccurrenceState(acknowledged_at=at(2018, 6, 8, 10))}
    steps = plan(task("trước ngày 14/6/2018", occurrences=ack), until=at(2018, 6, 30))
    assert [s for s in steps if s.kind == "reminder"] == []
    assert [s.step for s in steps if s.kind == "escalation"][:3] == [
        "escalate:1:2018-06-14", "escalate:2:2018-06-14", "escalate:3:2018-06-14"]


def test_done_stops_everything_for_that_occurrence():
    done = {"once": OccurrenceState(status="done", completed_on=date(2018, 6, 12))}
    assert [s for s in plan(task("trước ngày 14/6/2018", occurrences=done)) if s.kind != "new"] == []
    waiting = {"once": OccurrenceState(status="pending_confirmation", completed_on=date(2018, 6, 12))}
    assert [s for s in plan(task("trước ngày 14/6/2018", occurrences=waiting)) if s.kind != "new"] == []


def test_approved_extension_plans_fresh_steps_from_the_new_date():
    ext = {"once": OccurrenceState(extended_due=date(2018, 6, 30))}  # 30/6/2018 is a Saturday
    steps = plan(task("trước ngày 14/6/2018", occurrences=ext), until=at(2018, 7, 31))
    assert not [s for s in steps if "2018-06-14" in s.step]
    assert [s.step for s in steps if s.chat == FOCAL.chat and s.kind == "reminder"] == [
        "remind:7:2018-07-02", "remind:1:2018-07-02", "remind:0:2018-07-02"]  # in force Mon 2/7; -1 = Sun → Fri = -3
    assert [s.step for s in steps if s.step.startswith("escalate")] == [
        "escalate:1:2018-07-02", "escalate:2:2018-07-02", "escalate:3:2018-07-02"]


def test_new_task_imported_already_overdue_does_not_replay_the_past():
    # Due 14/6, imported 20/6 at 10:00 (4 working days late): its focal points hear about it now; the
    # rungs for 1 and 3 days late passed before dondoc knew the task, so they are not replayed.
    t = task("trước ngày 14/6/2018", assigned=at(2018, 6, 20, 10))
    steps = plan(t, until=at(2018, 7, 3))
    assert table(steps) == [
        ("20/06/2018 10:00", "new:2018-06-20", "-1001"),
        ("20/06/2018 10:00", "new:2018-06-20", "-1005"),
        ("25/06/2018 08:00", "escalate:3:2018-06-14", "-1004"),
        ("02/07/2018 08:00", "repeat:1:2018-06-14", "-1004"),
    ]


def test_new_task_on_a_day_off_is_announced_the_next_working_day():
    t = task("trước ngày 14/6/2018", assigned=at(2018, 6, 2, 15))  # Saturday
    new = [s for s in plan(t) if s.kind == "new"]
    assert {local(s) for s in new} == {at(2018, 6, 4, 7, 30)}  # the start of the next window
    assert {s.step for s in new} == {"new:2018-06-02"}


def test_reassignment_announces_to_the_new_agency_and_old_rows_are_no_longer_wanted():
    before = task("trước ngày 14/6/2018")
    old_reminder = [s for s in plan(before) if s.step == "remind:3:2018-06-14" and s.chat == FOCAL.chat][0]
    after = task("trước ngày 14/6/2018", lead="so-tai-chinh", coordinators=(), assigned=at(2018, 6, 5, 14))
    steps = plan(after, until=at(2018, 6, 14, 23))
    assert table(steps) == [
        ("05/06/2018 14:00", "new:2018-06-05", "-1006"),
        ("07/06/2018 08:00", "remind:7:2018-06-14", "-1006"),
        ("11/06/2018 08:00", "remind:3:2018-06-14", "-1006"),
        ("13/06/2018 08:00", "remind:1:2018-06-14", "-1006"),
        ("14/06/2018 08:00", "remind:0:2018-06-14", "-1006"),
    ]
    assert still_wanted(old_reminder, after, ALL, POLICY, CAL) is not None
    assert still_wanted(old_reminder, before, ALL, POLICY, CAL) is None


def test_still_wanted_says_why_a_row_is_dropped():
    t = task("trover ngày 14/6/2018".replace("trover", "trước"))
    rem = [s for s in plan(t) if s.step == "remind:1:2018-06-14" and s.chat == FOCAL.chat][0]
    esc = [s for s in plan(t) if s.step == "escalate:1:2018-06-14"][0]
    assert still_wanted(rem, t, ALL, POLICY, CAL) is None
    done = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(status="done")})
    assert still_wanted(rem, done, ALL, POLICY, CAL) == "done"
    acked = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(acknowledged_at=at(2018, 6, 12))})
    assert still_wanted(rem, acked, ALL, POLICY, CAL) == "acknowledged"
    assert still_wanted(esc, acked, ALL, POLICY, CAL) is None  # acknowledged, still escalated
    ext = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(extended_due=date(2018, 6, 29))})
    assert still_wanted(esc, ext, ALL, POLICY, CAL) == "deadline extended"
    assert still_wanted(rem, task("trước ngày 14/6/2018", removed=True), ALL, POLICY, CAL) == "task removed"
    assert still_wanted(rem, None, ALL, POLICY, CAL) == "task no longer exists"
    unlinked = [b for b in ALL if b is not FOCAL]
    assert still_wanted(rem, t, unlinked, POLICY, CAL) is not None


# -- bindings -------------------------------------------------------------------------------------------------

def test_a_chat_linked_later_gets_no_history_but_the_new_task_notice_and_the_preview_plans_it():
    late = Recipient("telegram", "42", "so-noi-vu", "focal", id=9, created_at=at(2018, 6, 12, 9))
    steps = plan(task("trước ngày 14/6/2018"), until=at(2018, 6, 14, 23), bindings=[late])
    assert steps_to(steps, late) == ["new:2018-05-23", "remind:1:2018-06-14", "remind:0:2018-06-14"]
    # Catch-up on the tick right after linking: the notice, once; the reminder of 11/6 is not replayed.
    due = plan(task("trước ngày 14/6/2018"), until=at(2018, 6, 12, 9, 1), bindings=[late])
    assert [(s.step, status) for s, status in catch_up(due, set())] == [("new:2018-05-23", "pending")]
    late_manager = Recipient("telegram", "43", "so-noi-vu", "manager", id=10, created_at=at(2018, 6, 20, 9))
    steps = plan(task("trước ngày 14/6/2018"), until=at(2018, 6, 30), bindings=[late_manager])
    assert steps_to(steps, late_manager) == []  # the rung of 15/6 passed before it was linked
    steps = plan(task("trước ngày 14/6/2018"), until=at(2018, 6, 14, 23), bindings=[late],
                 honour_binding_dates=False)
    assert steps_to(steps, late)[0] == "new:2018-05-23"


def test_oversight_and_leadership_chats_watch_every_agency_and_each_chat_hears_once():
    twice = Recipient("telegram", "-1003", "so-noi-vu", "oversight", id=10, created_at=LONG_AGO)  # same chat again
    t = task("trước ngày 14/6/2018", lead="so-tai-chinh", coordinators=())
    steps = plan(t, until=at(2018, 6, 30), bindings=ALL + [twice])
    assert steps_to(steps, OVERSIGHT) == ["escalate:2:2018-06-14"]
    assert steps_to(steps, OTHER_MANAGER) == ["escalate:1:2018-06-14"]
    assert steps_to(steps, MANAGER) == []


def test_removed_task_plans_nothing():
    assert plan(task("trước ngày 14/6/2018", removed=True)) == []


# -- recurring and continuous ---------------------------------------------------------------------------------

def test_recurring_occurrences_are_tracked_on_their_own():
    q2_done = {"2018-06-30": OccurrenceState(status="done", completed_on=date(2018, 6, 29))}
    t = task("định kỳ hàng quý", occurrences=q2_done)
    steps = plan(t, until=at(2018, 10, 31))
    assert not [s for s in steps if s.occurrence == "2018-06-30" and s.kind != "new"]
    q3 = [s for s in steps if s.occurrence == "2018-09-30" and s.chat == FOCAL.chat and s.kind == "reminder"]
    # 30/9/2018 is a Sunday: in force Monday 1/10.
    assert [s.step for s in q3] == ["remind:7:2018-10-01", "remind:1:2018-10-01", "remind:0:2018-10-01"]
    # The new-task notice speaks about the first occurrence still open.
    assert {s.occurrence for s in steps if s.kind == "new"} == {"2018-09-30"}
    assert {s.occurrence for s in plan(task("định kỳ hàng quý")) if s.kind == "new"} == {"2018-06-30"}


def test_new_recurring_task_is_announced_at_once_even_when_its_first_period_is_far():
    t = task("6 tháng và cả năm", assigned=at(2018, 7, 3, 10), issued=date(2018, 7, 3))
    steps = plan(t, since=at(2018, 7, 3, 9), until=at(2018, 7, 3, 11))
    assert [(s.step, s.occurrence, s.chat) for s in steps] == [
        ("new:2018-07-03", "2018-12-31", FOCAL.chat), ("new:2018-07-03", "2018-12-31", COORD.chat)]


def test_quarterly_report_across_a_year_boundary():
    # Q4/2018 is due 31/12/2018, a day off that year (swapped with Saturday 5/1/2019), and 1/1 is New
    # Year: the deadline in force is Wednesday 2/1/2019. Its steps straddle the year; Q1/2019 follows.
    t = task("định kỳ hàng quý")
    steps = [s for s in plan(t, since=at(2018, 12, 1), until=at(2019, 1, 31)) if s.chat in (FOCAL.chat, MANAGER.chat)]
    assert table(steps) == [
        ("26/12/2018 08:00", "remind:7:2019-01-02", "-1001"),
        ("28/12/2018 08:00", "remind:1:2019-01-02", "-1001"),
        ("02/01/2019 08:00", "remind:0:2019-01-02", "-1001"),
        ("03/01/2019 08:00", "escalate:1:2019-01-02", "-1002"),
    ]
    assert {s.occurrence for s in steps} == {"2018-12-31"}


def test_recurring_occurrences_before_the_task_was_known_are_not_chased():
    t = task("hằng tháng", issued=date(2017, 1, 5), assigned=at(2018, 6, 5, 9))
    steps = plan(t, until=at(2018, 7, 31))
    assert min(s.occurrence for s in steps) == "2018-06-30"


def test_repeats_of_a_missed_recurring_occurrence_stop_after_a_year():
    t = task("hằng tháng", issued=date(2018, 1, 5), assigned=at(2018, 1, 5, 9))
    steps = [s for s in plan(t, until=at(2019, 6, 30)) if s.occurrence == "2018-01-31" and s.step.startswith("repeat")]
    assert steps and local(steps[-1]).date() <= date(2019, 2, 1)


def test_continuous_tasks_get_a_check_in_each_period_instead_of_reminders():
    t = task("Thường xuyên")
    steps = plan(t, until=at(2019, 1, 31))
    assert table(s for s in steps if s.chat == FOCAL.chat) == [
        ("23/05/2018 09:00", "new:2018-05-23", "-1001"),
        ("22/06/2018 08:00", "checkin:2018-Q2", "-1001"),  # 30/6 - 7 = Sat 23/6 → Fri 22/6
        ("21/09/2018 08:00", "checkin:2018-Q3", "-1001"),
        ("24/12/2018 08:00", "checkin:2018-Q4", "-1001"),
    ]
    assert not [s for s in steps if s.kind in ("reminder", "escalation")]
    monthly = plan(t, until=at(2018, 8, 31), policy=Policy(checkin_period="month"))
    assert [s.step for s in monthly if s.chat == FOCAL.chat and s.kind == "checkin"] == [
        "checkin:2018-05", "checkin:2018-06", "checkin:2018-07", "checkin:2018-08"]
    done = task("Thường xuyên", occurrences={"continuous": OccurrenceState(status="done")})
    assert [s for s in plan(done) if s.kind == "checkin"] == []


# -- catch-up and the incremental tick ------------------------------------------------------------------------

def test_catch_up_sends_the_latest_step_per_chat_and_supersedes_the_rest():
    t = task("trước ngày 14/6/2018")
    due = plan(t, since=at(2018, 6, 12, 7), until=at(2018, 6, 15, 9))  # three days down
    decided = {(s.step, s.chat.split(":")[1]): status for s, status in catch_up(due, set())}
    assert decided == {
        ("remind:1:2018-06-14", "-1001"): "superseded",
        ("remind:0:2018-06-14", "-1001"): "pending",
        ("remind:1:2018-06-14", "-1005"): "superseded",
        ("remind:0:2018-06-14", "-1005"): "pending",
        ("escalate:1:2018-06-14", "-1002"): "pending",
    }


def test_catch_up_leaves_existing_rows_alone_and_never_sends_an_older_missing_step():
    t = task("trước ngày 14/6/2018")
    due = [s for s in plan(t, until=at(2018, 6, 14, 9)) if s.chat == FOCAL.chat]
    latest = due[-1]
    assert latest.step == "remind:0:2018-06-14"
    # The latest is already in the outbox: whatever is missing before it is only recorded.
    decided = catch_up(due, {latest.key})
    assert decided and all(status == "superseded" for _, status in decided)
    assert latest.key not in {s.key for s, _ in decided}


def simulate(t: TaskSnapshot, start: datetime, end: datetime, *, every=timedelta(minutes=30), down=(),
             changes=None, bindings=ALL) -> list[tuple[datetime, PlannedStep, str]]:
    """Run the tick's planning on a fake clock like the scheduler does: at each tick, the steps due in
    (a year ago, now] not yet in the outbox are inserted (catch-up decides pending or superseded); the task
    is only looked at when its next_check_at has come. `down` lists (from, to) spans with no ticks;
    `changes` maps an instant to a new task snapshot (someone acted)."""
    outbox: dict[tuple, tuple[datetime, PlannedStep, str]] = {}
    next_at = None
    now = start
    changes = dict(changes or {})
    while now <= end:
        for when in sorted(list(changes)):
            if when <= now:
                t = changes.pop(when)
                next_at = None  # an action sets next_check_at
        if not any(a <= now < b for a, b in down) and (next_at is None or next_at <= now):
            due = plan_task(t, bindings, POLICY, CAL, now - timedelta(days=366), now)
            for s, status in catch_up(due, set(outbox)):
                outbox[s.key] = (now, s, status)
            next_at = next_check(t, bindings, POLICY, CAL, now)
            assert next_at > now
        now += every
    return sorted(outbox.values(), key=lambda x: (x[0], x[1].sort_key))


def sent(log, chat=None):
    return [(when.astimezone(VN).strftime("%d/%m %H:%M"), s.step) for when, s, status in log
            if status == "pending" and (chat is None or s.chat == chat.chat)]


def test_ticks_insert_each_step_once_at_its_time():
    log = simulate(task("trước ngày 14/6/2018"), at(2018, 5, 23, 9), at(2018, 7, 3, 9))
    assert sent(log, FOCAL) == [
        ("23/05 09:00", "new:2018-05-23"), ("07/06 08:00", "remind:7:2018-06-14"),
        ("11/06 08:00", "remind:3:2018-06-14"), ("13/06 08:00", "remind:1:2018-06-14"),
        ("14/06 08:00", "remind:0:2018-06-14"),
    ]
    assert sent(log, LEADERSHIP) == [("25/06 08:00", "escalate:3:2018-06-14"), ("02/07 08:00", "repeat:1:2018-06-14")]
    assert all(status == "pending" for _, _, status in log)


def test_catch_up_after_three_days_down():
    log = simulate(task("trước ngày 14/6/2018"), at(2018, 5, 23, 9), at(2018, 6, 20, 9),
                   down=[(at(2018, 6, 12, 7), at(2018, 6, 15, 9, 10))])
    # Back at 09:10 on 15/6: the focal chats get the latest reminder, the manager the first rung.
    assert sent(log, FOCAL)[-1] == ("15/06 09:30", "remind:0:2018-06-14")
    assert ("15/06 09:30", "escalate:1:2018-06-14") in sent(log, MANAGER)
    superseded = [(s.step, s.chat) for _, s, status in log if status == "superseded"]
    assert sorted(superseded) == [("remind:1:2018-06-14", FOCAL.chat), ("remind:1:2018-06-14", COORD.chat)]
    # Nothing sent twice, nothing of the backlog sent.
    keys = [s.key for _, s, _ in log]
    assert len(keys) == len(set(keys))


def test_done_on_time_versus_done_late():
    base = task("trước ngày 14/6/2018")
    on_time = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(status="done", completed_on=date(2018, 6, 12))})
    log = simulate(base, at(2018, 5, 23, 9), at(2018, 7, 10), changes={at(2018, 6, 12, 15): on_time})
    assert [step for _, step in sent(log) if not step.startswith(("new", "remind:7", "remind:3"))] == []
    late = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(status="done", completed_on=date(2018, 6, 20))})
    log = simulate(base, at(2018, 5, 23, 9), at(2018, 7, 10), changes={at(2018, 6, 20, 15): late})
    esc = [step for _, step in sent(log) if step.startswith(("escalate", "repeat"))]
    assert esc == ["escalate:1:2018-06-14", "escalate:2:2018-06-14"]  # leadership (25/6) never bothered


def test_extension_approved_midway_moves_the_plan():
    base = task("trước ngày 14/6/2018")
    ext = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(extended_due=date(2018, 6, 29))})
    log = simulate(base, at(2018, 5, 23, 9), at(2018, 7, 3, 9), changes={at(2018, 6, 12, 10): ext})
    assert sent(log, FOCAL) == [
        ("23/05 09:00", "new:2018-05-23"), ("07/06 08:00", "remind:7:2018-06-14"),
        ("11/06 08:00", "remind:3:2018-06-14"),
        ("22/06 08:00", "remind:7:2018-06-29"), ("26/06 08:00", "remind:3:2018-06-29"),
        ("28/06 08:00", "remind:1:2018-06-29"), ("29/06 08:00", "remind:0:2018-06-29"),
    ]
    assert sent(log, MANAGER) == [("02/07 08:00", "escalate:1:2018-06-29")]


def test_acknowledged_midway_stops_the_remaining_reminders():
    base = task("trước ngày 14/6/2018")
    acked = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(acknowledged_at=at(2018, 6, 8, 10))})
    log = simulate(base, at(2018, 5, 23, 9), at(2018, 6, 20, 9), changes={at(2018, 6, 8, 10): acked})
    assert sent(log, FOCAL) == [("23/05 09:00", "new:2018-05-23"), ("07/06 08:00", "remind:7:2018-06-14")]
    assert sent(log, MANAGER) == [("15/06 08:00", "escalate:1:2018-06-14")]


def test_next_check_is_the_next_step_or_an_idle_recheck():
    t = task("trước ngày 14/6/2018")
    assert next_check(t, ALL, POLICY, CAL, at(2018, 6, 1)) == at(2018, 6, 7, 8)
    assert next_check(t, ALL, POLICY, CAL, at(2018, 6, 7, 8)) == at(2018, 6, 11, 8)
    done = task("trước ngày 14/6/2018", occurrences={"once": OccurrenceState(status="done")})
    assert next_check(done, ALL, POLICY, CAL, at(2018, 6, 1)) == at(2018, 6, 1) + timedelta(days=366)
    # A quarterly task always has its next occurrence ahead.
    q = task("định kỳ hàng quý", occurrences={"2018-06-30": OccurrenceState(status="done")})
    assert next_check(q, ALL, POLICY, CAL, at(2018, 7, 2)) == at(2018, 9, 24, 8)


# -- digests and summaries ------------------------------------------------------------------------------------

def test_weekly_digest_one_per_chat_on_the_digest_day():
    two = Recipient("telegram", "-1001", "so-tu-phap", "focal", id=11, created_at=LONG_AGO)  # same chat, 2 agencies
    steps = digest_steps(ALL + [two], date(2018, 6, 11), POLICY, CAL)
    assert [(s.chat, s.occurrence, s.step, local(s)) for s in steps][0] == (
        FOCAL.chat, "2018-W24", "digest:weekly", at(2018, 6, 11, 8))
    assert {s.chat for s in steps} == {r.chat for r in ALL}  # every chat, once
    assert {s.chat: s.payload["agencies"] for s in steps}[LEADERSHIP.chat] == ["*"]
    # a chat of an agency that ceased to exist before the week gets none
    gone = digest_steps(ALL, date(2018, 6, 11), POLICY, CAL, ends={"so-tai-chinh": (date(2018, 6, 1), None)})
    assert OTHER_FOCAL.chat not in {s.chat for s in gone}
    assert [s.payload["agencies"] for s in steps if s.chat == FOCAL.chat] == [["so-noi-vu", "so-tu-phap"]]
    assert all(s.task_key == "" for s in steps)


def test_digest_moves_off_a_monday_holiday_and_skips_a_week_of_tet():
    assert digest_time(date(2018, 4, 30), POLICY, CAL) == at(2018, 5, 2, 8)  # 30/4 and 1/5 are days off
    assert digest_time(date(2019, 2, 4), POLICY, CAL) is None  # Tết 2019: the whole week off
    assert digest_time(date(2018, 6, 11), Policy(digest_weekday=4), CAL) == at(2018, 6, 15, 8)


def test_current_digest_is_this_weeks_once_its_time_has_come():
    assert current_digest(at(2018, 6, 11, 7, 59), POLICY, CAL) is None
    assert current_digest(at(2018, 6, 11, 8, 0), POLICY, CAL) == (date(2018, 6, 11), at(2018, 6, 11, 8))
    assert current_digest(at(2018, 6, 14, 10), POLICY, CAL) == (date(2018, 6, 11), at(2018, 6, 11, 8))


def test_quarterly_summary_across_a_year_boundary():
    # 1/1/2019 is New Year's Day: the summary of Q4/2018 goes out Wednesday 2/1/2019 to the oversight and
    # leadership chats, labelled with the quarter it sums up.
    assert current_summary(at(2019, 1, 1, 12), POLICY, CAL) is None
    first, when = current_summary(at(2019, 1, 2, 8), POLICY, CAL)
    assert (first, when) == (date(2019, 1, 1), at(2019, 1, 2, 8))
    steps = summary_steps(ALL, first, POLICY, CAL)
    assert [(s.chat, s.occurrence, s.step) for s in steps] == [
        (OVERSIGHT.chat, "2018-Q4", "summary:quarterly"), (LEADERSHIP.chat, "2018-Q4", "summary:quarterly")]
    assert steps[0].payload["start"] == "2018-10-01" and steps[0].payload["end"] == "2018-12-31"
    assert summary_steps(ALL, first, Policy(quarterly_summary=False), CAL) == []


# -- policy and preview ---------------------------------------------------------------------------------------

def test_policy_from_settings():
    from dondoc.settings import load_settings

    s = load_settings(environ={"REMINDER_OFFSETS": "3,14", "REMINDER_TIME": "07:15", "ESCALATION_STEPS": "2:oversight",
                               "DIGEST_WEEKDAY": "friday", "REMINDER_WORKDAYS_ONLY": "false"}, dotenv_path=None)
    p = Policy.from_settings(s)
    assert p.reminder_offsets == (14, 3) and p.reminder_time == time(7, 15)
    assert p.escalation == (Rung(2, "oversight"),) and p.digest_weekday == 4 and p.workdays_only is False


def test_timeline_previews_as_if_imported_on_the_issue_date_and_nobody_acted():
    t1 = task("trước ngày 14/6/2018", assigned=datetime(2025, 3, 1, 9, tzinfo=VN))  # imported years later
    t2 = task("trước ngày 15/11/2018", key="T2", assigned=datetime(2025, 3, 1, 9, tzinfo=VN))
    late_binding = Recipient("telegram", "-1001", "so-noi-vu", "focal", id=1, created_at=datetime(2025, 3, 1, tzinfo=VN))
    steps = timeline([t1, t2], [late_binding, MANAGER, OVERSIGHT, LEADERSHIP], POLICY, CAL,
                     at(2018, 5, 23, 0, 0), at(2019, 1, 1, 0, 0))
    focal = [(local(s).date(), s.task_key, s.step) for s in steps if s.chat == FOCAL.chat and s.kind != "digest"]
    assert focal[:2] == [(date(2018, 5, 23), "T1", "new:2018-05-23"), (date(2018, 5, 23), "T2", "new:2018-05-23")]
    assert (date(2018, 11, 15), "T2", "remind:0:2018-11-15") in focal
    assert [s for s in steps if s.kind == "digest"][0].occurrence == "2018-W22"  # Monday 28/5
    assert {s.occurrence for s in steps if s.kind == "summary"} == {"2018-Q2", "2018-Q3"}
    assert steps == sorted(steps, key=lambda s: s.sort_key)
    assert all(at(2018, 5, 23, 0, 0) <= s.due_at < at(2019, 1, 1, 0, 0) for s in steps)


@pytest.mark.parametrize("text", ["trước ngày 14/6/2018", "định kỳ hàng quý", "Thường xuyên", "hằng tháng"])
def test_plan_windows_add_up(text):
    """Planning (a, b] then (b, c] gives what (a, c] gives: the tick's windows never lose or repeat a step."""
    t = task(text)
    whole = plan(t, since=at(2018, 5, 1), until=at(2019, 6, 1))
    cut = at(2018, 9, 24, 8)  # exactly on a step's instant
    parts = plan(t, since=at(2018, 5, 1), until=cut) + plan(t, since=cut, until=at(2019, 6, 1))
    assert [s.key for s in whole] == [s.key for s in parts]
    assert len({s.key for s in whole}) == len(whole)


def test_every_jobs_module_imports_on_its_own():
    """jobs.planner re-exports jobs.digests' names and jobs.digests needs jobs.planner's: whichever a program
    imports first (a script, a worker process) must import."""
    import importlib
    import pkgutil
    import subprocess
    import sys

    import jobs

    names = [f"jobs.{m.name}" for m in pkgutil.iter_modules(jobs.__path__)]
    assert "jobs.digests" in names and "jobs.planner" in names
    for name in names:
        r = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True)
        assert r.returncode == 0, f"import {name} alone failed:\n{r.stderr[-800:]}"
    importlib.import_module("jobs.digests")
