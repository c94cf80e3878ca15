"""Delegation (issue 24): `dondoc assign` hands a task or a period to a person or department with an internal
deadline on or before the agency's; a coordinating agency's part is its own item the lead sees; only the lead's
focal point or leader hands the task on (a coordinator its own part); a deactivated person is handed nothing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from core.i18n import _
from storage import delegation
from storage.delegation import Assignment, DelegationError, Target, parts_of, refusal
from storage.people import Changes, Person, add_department, add_person, deactivate_person
from storage.tables import AuditEntry, Task
from tests.conftest import cli_runner
from tests.factories import make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 8, 3, 9, 0, tzinfo=VN)  # a Monday


@pytest.fixture
def world(engine):
    with Session(engine) as s:
        make_task(s, key="T1", deadline_text="trước ngày 14/8/2026", now=NOW, coordinators=["so-tu-phap"])
        make_task(s, key="T2", deadline_text="trước ngày 20 hằng tháng", now=NOW, issued=date(2026, 7, 1))
        make_task(s, key="T3", deadline_text="trước ngày 30/9/2026", now=NOW, lead="so-tu-phap")
        d = add_department(s, "so-noi-vu", "Phòng Cải cách hành chính", actor="t", source="cli", now=NOW)
        add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(department=d.name, zalo="1234567"), actor="t",
                   source="cli", now=NOW)
        add_person(s, "Lê Thị Hoa", "so-tu-phap", Changes(email="hoa@stp.example.gov.vn"), actor="t",
                   source="cli", now=NOW)
        for t in s.exec(select(Task)):
            t.next_check_at = NOW
        s.commit()


@pytest.fixture
def cli(engine, db_url, monkeypatch, world):
    return cli_runner(monkeypatch, db_url, NOW.isoformat())


def rows(engine):
    with Session(engine) as s:
        return s.exec(select(Assignment).order_by(Assignment.id)).all()


def test_assign_to_an_officer_with_an_internal_deadline(cli, engine):
    r = cli("assign", "T1", "--to", "Nguyễn Văn An", "--due", "10/08/2026")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == _("Assigned {key} to {who}", "vi", key="T1", who="Nguyễn Văn An") + " " + _(
        "(internal deadline {date})", "vi", date="10/08/2026") + "."
    [a] = rows(engine)
    assert (a.agency, a.role, a.due, a.occurrence) == ("so-noi-vu", "chu-tri", date(2026, 8, 10), None)
    assert a.department_id is not None  # the officer's department comes with them
    with Session(engine) as s:
        assert s.exec(select(Task).where(Task.key == "T1")).one().next_check_at is None  # re-planned
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "task.assigned")).one()
        assert entry.source == "cli" and entry.detail["person"] == "Nguyễn Văn An"
    # handed again to the department: the new one leads, the old one is kept as history
    assert cli("assign", "T1", "--to", "phong cai cach hanh chinh").exit_code == 0
    assert [x.removed_at is None for x in rows(engine)] == [False, True]


def test_the_internal_deadline_is_on_or_before_the_agencys(cli, engine):
    r = cli("assign", "T1", "--to", "Nguyễn Văn An", "--due", "15/08/2026")
    assert r.exit_code == 2 and "14/08/2026" in r.stderr
    assert cli("assign", "T1", "--to", "Nguyễn Văn An", "--due", "14/08/2026").exit_code == 0
    r = cli("assign", "T1", "--to", "Nguyễn Văn An", "--due", "01/08/2026")
    assert r.exit_code == 2 and "01/08/2026" in r.stderr
    assert len(rows(engine)) == 1


def test_one_period_of_a_recurring_task(cli, engine):
    r = cli("assign", "T2", "--to", "Nguyễn Văn An", "--due", "18/08/2026")
    assert r.exit_code == 2 and "--period" in r.stderr
    r = cli("assign", "T2", "--to", "Nguyễn Văn An", "--period", "20/08/2026", "--due", "21/08/2026")
    assert r.exit_code == 2  # after that period's deadline
    assert cli("assign", "T2", "--to", "#1", "--period", "20/08/2026", "--due", "18/08/2026").exit_code == 0
    assert rows(engine)[0].occurrence == "2026-08-20"


def test_a_coordinating_agencys_part_and_the_leads_view(cli, engine):
    r = cli("assign", "T1", "--to", "Sở Tư pháp", "--due", "07/08/2026", "--role", "phoi-hop")
    assert r.exit_code == 0, r.output
    r = cli("assign", "T1", "--to", "Lê Thị Hoa", "--role", "phoi-hop")  # the coordinator's own officer
    assert r.exit_code == 0, r.output
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == "T1")).one()
        parts = parts_of(s, task, today=date(2026, 8, 3))
        assert [(p.agency, p.due, p.state) for p in parts] == [("so-tu-phap", date(2026, 8, 7), "open"),
                                                             ("so-tu-phap", None, "open")]
        assert parts_of(s, task, today=date(2026, 8, 8))[0].state == "overdue"
        delegation.complete_part(s, task, "so-tu-phap", occurrence=None, actor="Hoa", source="console",
                                 now=NOW, roles={("so-tu-phap", "focal")})
        assert {p.state for p in parts_of(s, task, today=date(2026, 8, 8))} == {"done"}
        with pytest.raises(DelegationError) as e:  # the lead has no part of its own: it completes the task
            delegation.complete_part(s, task, "so-noi-vu", occurrence=None, actor="x", source="cli", now=NOW)
        assert e.value.code == "no_part"
    r = cli("assign", "T1", "--to", "Sở Tài chính")
    assert r.exit_code == 2  # neither leads nor coordinates T1
    assert cli("assign", "T1", "--to", "Nguyễn Văn An", "--due", "12/08/2026").exit_code == 0
    out = cli("assignments", "T1").stdout  # the lead's view: its officer, the coordinator's parts and state
    assert "Nguyễn Văn An" in out and "12/08/2026" in out and "so-tu-phap" in out and "07/08/2026" in out
    assert _("open", "vi") in out


def test_who_may_hand_a_task_on(engine, world):
    with Session(engine) as s:
        t1 = s.exec(select(Task).where(Task.key == "T1")).one()
        t3 = s.exec(select(Task).where(Task.key == "T3")).one()
        an = s.exec(select(Person).where(Person.name == "Nguyễn Văn An")).one()
        hoa = s.exec(select(Person).where(Person.name == "Lê Thị Hoa")).one()
        snv_focal, stp_focal = {("so-noi-vu", "focal")}, {("so-tu-phap", "focal")}
        assert refusal(t1, "so-noi-vu", snv_focal) is None
        assert refusal(t1, "so-noi-vu", {("so-noi-vu", "manager")}) is None
        assert refusal(t1, "so-tu-phap", snv_focal) is None  # the lead gives a coordinator its part
        assert refusal(t1, "so-tu-phap", stp_focal) is None  # a coordinator hands on its own part
        assert refusal(t1, "so-noi-vu", stp_focal) == "not_your_agency"  # … not the lead's work
        assert refusal(t1, "so-noi-vu", {("van-phong-ubnd-tinh", "oversight")}) == "oversight_does_not_delegate"
        # a focal point cannot delegate another agency's task: refused, nothing written
        with pytest.raises(DelegationError) as e:
            delegation.assign(s, t3, Target("so-tu-phap", person=hoa), occurrence=None, due=None,
                              agency_due=None, role="chu-tri", actor="An", source="telegram", now=NOW,
                              roles=snv_focal)
        assert e.value.code == "not_your_agency"
        assert _("Only the lead agency's focal point or leader hands this task on; a coordinating agency hands on "
                 "only its own part.", "vi").startswith("Chỉ đầu mối")
        deactivate_person(s, an, actor="t", source="cli", now=NOW)
        with pytest.raises(DelegationError) as e:  # a deactivated person is handed nothing
            delegation.assign(s, t1, Target("so-noi-vu", person=an), occurrence=None, due=None, agency_due=None,
                              role="chu-tri", actor="t", source="cli", now=NOW)
        assert e.value.code == "inactive"
        assert s.exec(select(Assignment)).first() is None
