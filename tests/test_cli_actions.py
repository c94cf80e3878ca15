"""`dondoc done | progress | extend | decide | confirm | extensions` through the real command line: each
changes the task through storage.actions, is audited as "cli", and bad input exits 2 changing nothing."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests.conftest import cli_runner
from core.i18n import _
from storage import actions
from storage.tables import AuditEntry, Extension, Occurrence, ProgressUpdate, Task
from tests.factories import make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 8, 3, 9, 0, tzinfo=VN)  # a Monday


@pytest.fixture
def cli(engine, db_url, monkeypatch):
    with Session(engine) as s:
        created = datetime(2026, 1, 10, 9, 0, tzinfo=VN)
        make_task(s, key="5099-1", deadline_text="trước ngày 14/8/2026", now=created)
        make_task(s, key="5099-2", deadline_text="trước ngày 20 hằng tháng", now=created, issued=date(2026, 7, 1))
        make_task(s, key="5099-3", deadline_text="Thường xuyên", now=created)
        s.commit()
    return cli_runner(monkeypatch, db_url, NOW.isoformat())


def occurrence(engine, key, occ="once"):
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == key)).one()
        return s.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()


def audit(engine):
    with Session(engine) as s:
        return [(a.action, a.source, a.entity_key) for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_done_is_audited_as_cli(cli, engine):
    r = cli("done", "5099-1", "--note", "Công văn số 12")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == _("Marked {key} done on {date}.", "vi", key="5099-1", date="03/08/2026")
    occ = occurrence(engine, "5099-1")
    assert (occ.status, occ.completed_on, occ.completion_note) == ("done", date(2026, 8, 3), "Công văn số 12")
    assert audit(engine) == [("task.done", "cli", "5099-1")]
    r = cli("done", "5099-1")
    assert r.exit_code == 2 and _("Task {key} is already marked done.", "vi", key="5099-1") in r.stderr
    assert len(audit(engine)) == 1


def test_done_on_a_recurring_task_takes_the_current_period_or_the_one_named(cli, engine):
    # The current period: the open one whose deadline is the nearest not yet passed (20/8), not the oldest open
    # one (20/7, overdue) — issue 22.
    assert cli("done", "5099-2").exit_code == 0
    assert occurrence(engine, "5099-2", "2026-08-20").status == "done"
    assert occurrence(engine, "5099-2", "2026-07-20") is None
    assert cli("done", "5099-2", "--occurrence", "20/09/2026").exit_code == 0  # the old name still works
    assert occurrence(engine, "5099-2", "2026-09-20").status == "done"
    assert cli("done", "5099-2", "--period", "20/07/2026").exit_code == 0
    assert occurrence(engine, "5099-2", "2026-07-20").status == "done"
    r = cli("done", "5099-2", "--period", "21/09/2026")
    assert r.exit_code == 2 and "20/09/2026" in r.stderr  # the nearest due dates are suggested
    r = cli("done", "5099-1", "--period", "14/08/2026")
    assert r.exit_code == 2 and "--period" in r.stderr


def test_progress(cli, engine):
    r = cli("progress", "5099-1", "40%", "Đã có dự thảo")
    assert r.exit_code == 0, r.output
    with Session(engine) as s:
        p = s.exec(select(ProgressUpdate)).one()
        assert (p.percent, p.note, p.source) == (40, "Đã có dự thảo", "cli")
    for bad in ("140", "101", "nửa", "4.5"):
        r = cli("progress", "5099-1", bad)
        assert r.exit_code == 2 and "0" in r.stderr and "100" in r.stderr, bad
    assert audit(engine) == [("task.progress", "cli", "5099-1")]


def test_unknown_key_suggests_the_closest(cli):
    r = cli("done", "5099-l")
    assert r.exit_code == 2
    assert _("Unknown task {key!r}.", "vi", key="5099-l") in r.stderr and "5099-1" in r.stderr
    r = cli("progress", "zzz", "10")
    assert r.exit_code == 2 and "zzz" in r.stderr


def test_extend_then_decide(cli, engine):
    r = cli("extend", "5099-1", "30/09/2026", "Chờ ý kiến các sở")
    assert r.exit_code == 0, r.output
    with Session(engine) as s:
        ext = s.exec(select(Extension)).one()
    assert ext.decision == "pending" and f"dondoc decide {ext.id} approve|reject" in r.stdout
    listed = cli("extensions")
    assert f"{ext.id}. 5099-1" in listed.stdout and "14/08/2026 → 30/09/2026" in listed.stdout
    r = cli("decide", str(ext.id), "approve")
    assert r.exit_code == 0, r.output
    assert occurrence(engine, "5099-1").extended_due == date(2026, 9, 30)
    r = cli("decide", str(ext.id), "reject")
    assert r.exit_code == 2 and _("approved", "vi") in r.stderr
    assert [a[0] for a in audit(engine)] == ["extension.requested", "extension.approved"]
    assert {a[1] for a in audit(engine)} == {"cli"}
    assert cli("extensions").stdout.strip() == _("No extension request is waiting for a decision.", "vi")


def test_extend_with_approve_and_the_refusals(cli, engine):
    for args, needle in [
        (["5099-1", "10/08/2026", "Lý do"], "14/08/2026"),  # not after the deadline in force
        (["5099-1", "31/02/2026", "Lý do"], "DATE"),  # no such day
        (["5099-1", "ngày mai", "Lý do"], "dd/mm/yyyy"),
        (["5099-1", "30/09/2026", "  "], _("An extension request needs a reason.", "vi")),
        (["5099-3", "30/09/2026", "Lý do"], "5099-3"),  # continuous: nothing to extend
    ]:
        r = cli("extend", *args)
        assert r.exit_code == 2, (args, r.output)
        assert needle in r.stderr, (args, r.stderr)
    assert audit(engine) == []
    r = cli("extend", "5099-1", "2026-09-30", "Chờ số liệu", "--approve")
    assert r.exit_code == 0, r.output
    assert occurrence(engine, "5099-1").extended_due == date(2026, 9, 30)
    r = cli("extend", "5099-1", "15/09/2026", "Lý do")  # the deadline in force is now 30/09
    assert r.exit_code == 2 and "30/09/2026" in r.stderr


def test_decide_refuses_a_bad_decision_or_number(cli):
    assert cli("decide", "99", "approve").exit_code == 2
    r = cli("decide", "1", "maybe")
    assert r.exit_code == 2 and "approve | reject" in r.stderr


def test_confirm(cli, engine):
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == "5099-1")).one()
        actions.mark_done(s, task, "once", actions.Actor("Chị B", "7", "telegram"), NOW, needs_confirmation=True)
        s.commit()
    r = cli("confirm", "5099-1")
    assert r.exit_code == 0, r.output
    assert occurrence(engine, "5099-1").status == "done"
    r = cli("confirm", "5099-1")
    assert r.exit_code == 2 and "5099-1" in r.stderr
    assert audit(engine)[-1] == ("task.completion_confirmed", "cli", "5099-1")


def test_confirm_reject_sends_it_back(cli, engine):
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == "5099-1")).one()
        actions.mark_done(s, task, "once", actions.Actor("Chị B", "7", "telegram"), NOW, needs_confirmation=True)
        s.commit()
    r = cli("confirm", "5099-1", "--reject", LANGUAGE="en")  # no reason: refused (issue 22), nothing changed
    assert r.exit_code == 2 and "--note" in r.stderr and "dondoc return 5099-1 --reason" in r.stderr
    assert occurrence(engine, "5099-1").status == "pending_confirmation"
    r = cli("confirm", "5099-1", "--reject", "--note", "Thiếu biên bản", LANGUAGE="en")
    assert r.exit_code == 0 and r.stdout.strip() == "Sent 5099-1 back: not done."
    assert occurrence(engine, "5099-1").status == "open"
    assert audit(engine)[-1] == ("task.returned", "cli", "5099-1")
