"""Task actions: each writes its audit entry, bumps sequences, asks the planner to look again, and refuses
what makes no sense while changing nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from storage import actions
from storage.actions import ActionError, Actor
from storage.db import session_scope
from storage.tables import AuditEntry, Extension, Occurrence, ProgressUpdate, Task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 1, 9, 0, tzinfo=VN)
ALICE = Actor("Nguyễn Thị A", "1001", "telegram")
BOSS = Actor("Trần Văn B", "2002", "telegram")

_DEADLINES = {
    "once": {"kind": "once", "text": "trước ngày 14/6/2018", "due": "2018-06-14"},
    "recurring": {"kind": "recurring", "text": "định kỳ hàng quý", "due": None},
    "continuous": {"kind": "continuous", "text": "Thường xuyên", "due": None},
}


def _task(session: Session, key: str = "T1", kind: str = "once", due: date | None = date(2018, 6, 14)) -> Task:
    # Built by hand (not through the deadline grammar) so these tests only exercise the actions.
    t = Task(key=key, content=f"Nhiệm vụ {key}", lead_agency="so-noi-vu", deadline_text=_DEADLINES[kind]["text"],
             deadline=_DEADLINES[kind], deadline_kind=kind, due=due if kind == "once" else None,
             assigned_at=NOW, created_at=NOW, updated_at=NOW, next_check_at=NOW + timedelta(days=5))
    session.add(t)
    session.flush()
    return t


def _audit(session: Session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def test_progress_is_recorded_with_audit_and_replanning(engine):
    with session_scope(engine) as s:
        t = _task(s)
        actions.record_progress(s, t, "once", 50, "đã dự thảo", ALICE, NOW)
    with Session(engine) as s:
        t = s.exec(select(Task)).one()
        assert t.sequence == 1 and t.next_check_at == NOW.astimezone(timezone.utc)
        occ = s.exec(select(Occurrence)).one()
        assert (occ.key, occ.due, occ.status, occ.sequence) == ("once", date(2018, 6, 14), "open", 1)
        p = s.exec(select(ProgressUpdate)).one()
        assert (p.percent, p.note, p.actor, p.actor_id, p.source) == (50, "đã dự thảo", ALICE.name, "1001", "telegram")
        (entry,) = _audit(s)
        assert (entry.action, entry.entity_key, entry.actor, entry.actor_id, entry.source) == (
            "task.progress", "T1", ALICE.name, "1001", "telegram")
        assert entry.detail["percent"] == 50 and entry.detail["occurrence"] == "once"


@pytest.mark.parametrize("percent", [-1, 101, 12.5])
def test_bad_percent_changes_nothing(engine, percent):
    with session_scope(engine) as s:
        t = _task(s)
        with pytest.raises(ActionError) as e:
            actions.record_progress(s, t, "once", percent, None, ALICE, NOW)
        assert e.value.code == "bad_percent"
        assert t.sequence == 0 and _audit(s) == [] and s.exec(select(Occurrence)).all() == []


def test_done_and_done_again(engine):
    with session_scope(engine) as s:
        t = _task(s)
        occ = actions.mark_done(s, t, "once", ALICE, NOW, note="https://vb.example/123")
        assert (occ.status, occ.completed_on, occ.completion_note) == ("done", date(2018, 6, 1), "https://vb.example/123")
        with pytest.raises(ActionError) as e:
            actions.mark_done(s, t, "once", ALICE, NOW)
        assert e.value.code == "already_done"
        with pytest.raises(ActionError) as e:
            actions.record_progress(s, t, "once", 80, None, ALICE, NOW)
        assert e.value.code == "already_done"
        assert [a.action for a in _audit(s)] == ["task.done"]
        assert t.sequence == 1


def test_completion_date_local_day_boundary(engine):
    with session_scope(engine) as s:
        t = _task(s)
        occ = actions.mark_done(s, t, "once", ALICE, datetime(2018, 6, 15, 0, 30, tzinfo=VN))
        assert occ.completed_on == date(2018, 6, 15)


def test_confirmation_flow(engine):
    with session_scope(engine) as s:
        t = _task(s)
        with pytest.raises(ActionError) as e:
            actions.confirm_completion(s, t, "once", BOSS, NOW, approve=True)
        assert e.value.code == "not_pending"
        occ = actions.mark_done(s, t, "once", ALICE, NOW, needs_confirmation=True)
        assert occ.status == "pending_confirmation"
        with pytest.raises(ActionError) as e:
            actions.mark_done(s, t, "once", ALICE, NOW)
        assert e.value.code == "already_pending"
        actions.confirm_completion(s, t, "once", BOSS, NOW + timedelta(days=20), approve=False)
        assert (occ.status, occ.completed_on) == ("open", None)
        actions.mark_done(s, t, "once", ALICE, NOW + timedelta(days=1), needs_confirmation=True)
        actions.confirm_completion(s, t, "once", BOSS, NOW + timedelta(days=30), approve=True)
        # judged on the day it was reported done, not the day the oversight body got round to it
        assert (occ.status, occ.completed_on) == ("done", date(2018, 6, 2))
        assert [a.action for a in _audit(s)] == [
            "task.done_claimed", "task.completion_rejected", "task.done_claimed", "task.completion_confirmed"]
        assert [a.actor for a in _audit(s)] == [ALICE.name, BOSS.name, ALICE.name, BOSS.name]
        assert t.sequence == 4 and occ.sequence == 4


def test_extension_request_and_approval(engine):
    with session_scope(engine) as s:
        t = _task(s)
        ext = actions.request_extension(s, t, "once", date(2018, 6, 30), "chờ số liệu", ALICE, NOW,
                                        chat="telegram:-100")
        assert (ext.previous_due, ext.requested_due, ext.decision, ext.platform, ext.chat_id) == (
            date(2018, 6, 14), date(2018, 6, 30), "pending", "telegram", "-100")
        with pytest.raises(ActionError) as e:
            actions.request_extension(s, t, "once", date(2018, 7, 30), "lại", ALICE, NOW)
        assert e.value.code == "extension_pending"
        actions.decide_extension(s, ext, True, BOSS, NOW + timedelta(hours=2), note="đồng ý")
        occ = actions.get_occurrence(s, t, "once")
        assert occ.extended_due == date(2018, 6, 30)
        assert (ext.decision, ext.decided_by, ext.decided_by_id) == ("approved", BOSS.name, "2002")
        assert actions.deadline_in_force(t, occ, "once") == date(2018, 6, 30)
        with pytest.raises(ActionError) as e:
            actions.decide_extension(s, ext, False, BOSS, NOW)
        assert e.value.code == "already_decided"
        # a second request is judged against the new deadline in force
        with pytest.raises(ActionError) as e:
            actions.request_extension(s, t, "once", date(2018, 6, 20), "thêm", ALICE, NOW)
        assert e.value.code == "date_not_later"
        assert [a.action for a in _audit(s)] == ["extension.requested", "extension.approved"]
        assert t.next_check_at == NOW + timedelta(hours=2)


def test_rejected_extension_keeps_the_deadline(engine):
    with session_scope(engine) as s:
        t = _task(s)
        ext = actions.request_extension(s, t, "once", date(2018, 6, 30), "chờ số liệu", ALICE, NOW)
        actions.decide_extension(s, ext, False, BOSS, NOW)
        assert actions.get_occurrence(s, t, "once").extended_due is None
        assert ext.decision == "rejected"


@pytest.mark.parametrize("requested,reason,code", [
    (date(2018, 6, 10), "x", "date_not_later"),
    (date(2018, 6, 14), "x", "date_not_later"),
    (date(2018, 6, 30), "  ", "no_reason"),
])
def test_bad_extension_requests_write_nothing(engine, requested, reason, code):
    with session_scope(engine) as s:
        t = _task(s)
        with pytest.raises(ActionError) as e:
            actions.request_extension(s, t, "once", requested, reason, ALICE, NOW)
        assert e.value.code == code
        assert s.exec(select(Extension)).all() == [] and s.exec(select(Occurrence)).all() == []
        assert _audit(s) == [] and t.sequence == 0


def test_extension_to_a_past_date_after_the_deadline(engine):
    with session_scope(engine) as s:
        t = _task(s)
        with pytest.raises(ActionError) as e:
            actions.request_extension(s, t, "once", date(2018, 6, 20), "x", ALICE, datetime(2018, 6, 25, tzinfo=VN))
        assert e.value.code == "date_in_past"


def test_continuous_task_cannot_be_extended_but_can_be_done(engine):
    with session_scope(engine) as s:
        t = _task(s, kind="continuous")
        with pytest.raises(ActionError) as e:
            actions.request_extension(s, t, "continuous", date(2019, 1, 1), "x", ALICE, NOW)
        assert e.value.code == "no_deadline"
        actions.mark_done(s, t, "continuous", ALICE, NOW)


def test_recurring_occurrences_are_separate(engine):
    with session_scope(engine) as s:
        t = _task(s, kind="recurring")
        actions.mark_done(s, t, "2018-06-30", ALICE, NOW)
        actions.record_progress(s, t, "2018-09-30", 25, None, ALICE, NOW)
        occs = {o.key: o for o in s.exec(select(Occurrence))}
        assert occs["2018-06-30"].status == "done" and occs["2018-06-30"].due == date(2018, 6, 30)
        assert occs["2018-09-30"].status == "open"
        with pytest.raises(ActionError) as e:
            actions.mark_done(s, t, "once", ALICE, NOW)
        assert e.value.code == "bad_occurrence"


def test_acknowledge_once(engine):
    with session_scope(engine) as s:
        t = _task(s)
        occ = actions.acknowledge(s, t, "once", ALICE, NOW)
        assert occ.acknowledged_by == ALICE.name and occ.acknowledged_at == NOW
        with pytest.raises(ActionError) as e:
            actions.acknowledge(s, t, "once", BOSS, NOW)
        assert e.value.code == "already_acknowledged" and e.value.info["by"] == ALICE.name
        assert [a.action for a in _audit(s)] == ["task.acknowledged"]


def test_removed_task_refuses(engine):
    with session_scope(engine) as s:
        t = _task(s)
        t.removed_at = NOW
        with pytest.raises(ActionError) as e:
            actions.acknowledge(s, t, "once", ALICE, NOW)
        assert e.value.code == "removed"
