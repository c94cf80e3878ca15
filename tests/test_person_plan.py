"""The person planner (issue 24), pure: a task handed to an officer is reminded to them on their first
channel, on the next one at 10:00 of the next working day when nothing was acknowledged, and escalated to
their department head, then the agency's leaders; acknowledged, the fallback stops; nothing changes for a
task nobody was handed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from jobs.person_plan import Contact, PersonDuty
from jobs.planner import plan_task, still_wanted
from tests.test_planner import ALL, CAL, POLICY, at, plan, table, task

AN = Contact(11, "Nguyễn Văn An", (("zalo", "1234567"), ("email", "an@snv.example.gov.vn")))
BINH = Contact(12, "Trần Thị Bình", (("telegram", "777"),))  # the department's head
HUNG = Contact(13, "Phạm Văn Hùng", (("email", "hung@snv.example.gov.vn"),))  # the agency's leader


def handed(t, due=date(2018, 6, 8), ack=None, person=AN):
    return replace(t, duties={"*": PersonDuty(5, person, due, ack, heads=(BINH,), leaders=(HUNG,))})


def person_rows(steps):
    return [row for s, row in zip(steps, table(steps)) if (s.payload or {}).get("role") == "person"]


def test_reminders_fallback_and_the_ladder_of_a_handed_task():
    t = handed(task("trước ngày 14/6/2018"))  # internal deadline Friday 8/6/2018
    steps = plan(t, until=at(2018, 6, 30))
    got = sorted(person_rows(steps), key=lambda r: datetime.strptime(r[0], "%d/%m/%Y %H:%M"))
    assert got == [
        ("01/06/2018 08:00", "premind:7:2018-06-08", "1234567"),  # Zalo first
        ("04/06/2018 10:00", "premind:7:2018-06-08:1", "an@snv.example.gov.vn"),  # Monday 10:00: e-mail
        ("05/06/2018 08:00", "premind:3:2018-06-08", "1234567"),
        ("06/06/2018 10:00", "premind:3:2018-06-08:1", "an@snv.example.gov.vn"),
        ("07/06/2018 08:00", "premind:1:2018-06-08", "1234567"),
        ("08/06/2018 08:00", "premind:0:2018-06-08", "1234567"),
        ("08/06/2018 10:00", "premind:1:2018-06-08:1", "an@snv.example.gov.vn"),
        ("11/06/2018 08:00", "pescalate:1:2018-06-08", "777"),  # the head, a working day late
        ("11/06/2018 10:00", "premind:0:2018-06-08:1", "an@snv.example.gov.vn"),
        ("12/06/2018 08:00", "pescalate:2:2018-06-08", "hung@snv.example.gov.vn"),  # the leaders, two
    ]
    p = next(s for s in steps if s.step == "premind:7:2018-06-08:1").payload
    assert (p["person"], p["channel"], p["person_name"]) == (11, "email", "Nguyễn Văn An")
    # the agency's focal chat is no longer reminded; its escalation after the agency's deadline stays
    rest = [r for r in table(steps) if r not in got]
    assert not any(step.startswith("remind:") for _, step, _ in rest)
    assert ("15/06/2018 08:00", "escalate:1:2018-06-14", "-1002") in rest


def test_acknowledged_the_reminders_and_fallbacks_stop_not_the_ladder():
    t = handed(task("trước ngày 14/6/2018"), ack=at(2018, 6, 1, 9))
    got = person_rows(plan(t, until=at(2018, 6, 30)))
    assert [step for _, step, _ in got] == ["pescalate:1:2018-06-08", "pescalate:2:2018-06-08"]
    # a fallback already in the outbox is dropped at sending time once acknowledged
    before = handed(task("trước ngày 14/6/2018"))
    row = next(s for s in plan(before, until=at(2018, 6, 30)) if s.step == "premind:7:2018-06-08:1")
    assert still_wanted(row, before, ALL, POLICY, CAL) is None
    assert still_wanted(row, t, ALL, POLICY, CAL) is not None


def test_the_internal_deadline_defaults_to_the_agencys_and_never_passes_it():
    t = handed(task("trước ngày 14/6/2018"), due=None)
    assert "premind:0:2018-06-14" in [s.step for s in plan(t, until=at(2018, 6, 30))]
    t = handed(task("trước ngày 14/6/2018"), due=date(2018, 7, 1))
    assert "premind:0:2018-06-14" in [s.step for s in plan(t, until=at(2018, 6, 30))]


def test_nothing_changes_for_a_task_nobody_was_handed_or_a_person_without_a_channel():
    t = task("trước ngày 14/6/2018")
    assert plan(t) == plan(replace(t, duties={}))
    nowhere = handed(t, person=Contact(14, "Không kênh", ()))
    assert table(plan(nowhere)) == table(plan(t))


def test_fallback_time_is_a_setting():
    from jobs.planner import Policy

    t = handed(task("trước ngày 14/6/2018"))
    policy = Policy(person_fallback_time=time(14, 30))
    steps = plan_task(t, ALL, policy, CAL, None, at(2018, 6, 30))
    s = next(s for s in steps if s.step == "premind:7:2018-06-08:1")
    assert s.due_at.astimezone(POLICY.timezone).strftime("%d/%m %H:%M") == "04/06 14:30"


def test_a_channel_that_failed_falls_back_at_once():
    t = handed(task("trước ngày 14/6/2018"))
    failed = replace(t, duties={"*": replace(t.duties["*"], failed=frozenset({"zalo:1234567"}))})
    steps = plan(failed, until=at(2018, 6, 30))
    s = next(s for s in steps if s.step == "premind:7:2018-06-08:1")
    assert s.due_at == at(2018, 6, 1, 8)  # with the Zalo reminder it replaces, not the next working day
