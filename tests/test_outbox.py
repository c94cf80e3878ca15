"""The outbox in the database: idempotent inserts, atomic claims, stale claims, and planning into it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from core.clock import FixedClock
from jobs import outbox
from jobs.planner import PlannedStep
from dondoc.wiring import make_scheduler
from jobs.scheduler import invalidate_for_binding
from storage.db import session_scope
from storage.tables import Notification, SchedulerState, Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task

T0 = datetime(2018, 6, 1, 9, 0, tzinfo=VN)


def step(chat="telegram:-1", n=0, due=T0, task_key="T1", kind="reminder") -> PlannedStep:
    return PlannedStep(due, task_key, "once", f"remind:{n}:2018-06-14", chat, kind, None, None, {"role": "focal"})


def insert(engine, steps, status="pending", now=T0):
    with engine.begin() as conn:
        return outbox.insert_rows(conn, [outbox.row_for(s, status, now) for s in steps])


def rows(engine, **where):
    with Session(engine) as s:
        q = select(Notification).order_by(Notification.id)
        for k, v in where.items():
            q = q.where(getattr(Notification, k) == v)
        return s.exec(q).all()


def test_insert_is_idempotent_on_the_unique_key(engine):
    assert insert(engine, [step(n=1), step(n=2)]) == 2
    assert insert(engine, [step(n=1), step(n=2), step(n=3)]) == 1
    assert [r.step for r in rows(engine)] == ["remind:1:2018-06-14", "remind:2:2018-06-14", "remind:3:2018-06-14"]


def test_insert_counts_only_new_rows_on_postgresql_too(pg_engine):
    # psycopg reports no rowcount for a batched insert with ON CONFLICT; the count must still be right.
    assert insert(pg_engine, [step(n=1), step(n=2)]) == 2
    assert insert(pg_engine, [step(n=1), step(n=2), step(n=3)]) == 1
    assert insert(pg_engine, [step(n=3)]) == 0


def test_claim_takes_only_due_rows_not_waiting_and_caps_each_chat(engine):
    insert(engine, [step(chat="telegram:-1", n=i) for i in range(5)] + [step(chat="telegram:2", n=9),
                                                                       step(chat="telegram:3", n=8, due=T0 + timedelta(hours=1))])
    with engine.begin() as conn:
        conn.execute(sa.update(Notification.__table__).where(Notification.__table__.c.chat == "telegram:2")
                     .values(next_attempt_at=T0 + timedelta(minutes=5)))
    got = outbox.claim(engine, "w1", T0, per_chat=2)
    assert [(r.chat, r.step) for r in got] == [("telegram:-1", "remind:0:2018-06-14"), ("telegram:-1", "remind:1:2018-06-14")]
    # A chat with a claimed row is left alone until that row is settled: one worker per chat.
    assert outbox.claim(engine, "w2", T0, per_chat=2) == []
    later = outbox.claim(engine, "w2", T0 + timedelta(hours=1), per_chat=2)
    assert sorted(r.chat for r in later) == ["telegram:2", "telegram:3"]
    assert {r.claimed_by for r in rows(engine, status="claimed")} == {"w1", "w2"}


def test_claims_from_many_threads_never_overlap(engine):
    insert(engine, [step(chat=f"telegram:{c}", n=i) for c in range(40) for i in range(5)])
    claimed: list[list[int]] = []
    lock = threading.Lock()

    def worker(name):
        while True:
            got = outbox.claim(engine, name, T0, limit=7, per_chat=2)
            if not got:
                # settle them so the chats free up, like a dispatcher does
                return
            with engine.begin() as conn:
                for r in got:
                    outbox.mark_sent(conn, r.id, f"m{r.id}", T0)
            with lock:
                claimed.append([r.id for r in got])

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == len(set(ids)) == 200
    assert {r.status for r in rows(engine)} == {"sent"}


def test_stale_claims_of_another_process_go_back_to_pending(engine, caplog):
    insert(engine, [step(n=1), step(chat="telegram:-2", n=2), step(chat="telegram:-3", n=3)])
    dead = outbox.claim(engine, "dead", T0, per_chat=1)
    assert len(dead) == 3
    with engine.begin() as conn:  # one claim is recent: that process may still be alive
        conn.execute(sa.update(Notification.__table__).where(Notification.__table__.c.chat == "telegram:-3")
                     .values(claimed_at=T0 + timedelta(seconds=100)))
    back = outbox.requeue_stale(engine, T0 + timedelta(seconds=121), 120, worker="alive")
    assert sorted(r["chat"] for r in back) == ["telegram:-1", "telegram:-2"]
    assert "possible duplicate" in caplog.text or "duplicate" in caplog.text
    assert sorted(r.chat for r in rows(engine, status="pending")) == ["telegram:-1", "telegram:-2"]
    # Our own claims are never taken back from under us; the dead one's recent claim is, once stale.
    mine = outbox.claim(engine, "alive", T0 + timedelta(seconds=121))
    assert len(mine) == 2
    back = outbox.requeue_stale(engine, T0 + timedelta(hours=1), 120, worker="alive")
    assert [r["claimed_by"] for r in back] == ["dead"]
    assert {r.claimed_by for r in rows(engine, status="claimed")} == {"alive"}


def test_release_and_hold(engine):
    insert(engine, [step(n=1), step(n=2)])
    got = outbox.claim(engine, "w", T0, per_chat=1)
    assert len(got) == 1
    until = T0 + timedelta(seconds=30)
    with engine.begin() as conn:
        outbox.hold_chat(conn, "telegram:-1", until)
    assert outbox.release(engine, [got[0].id], "someone-else") == 0  # only the claimer releases
    assert outbox.release(engine, [got[0].id], "w", until) == 1
    assert all(r.status == "pending" and r.next_attempt_at == until for r in rows(engine))
    assert outbox.claim(engine, "w", T0 + timedelta(seconds=29)) == []
    assert len(outbox.claim(engine, "w", until, per_chat=5)) == 2


def test_later_row_exists(engine):
    insert(engine, [step(n=3, due=T0), step(n=1, due=T0 + timedelta(days=2))])
    first, second = outbox.claim(engine, "w", T0 + timedelta(days=3), per_chat=5)
    with engine.connect() as conn:
        assert outbox.later_row_exists(conn, first, T0 + timedelta(days=3))
        assert not outbox.later_row_exists(conn, second, T0 + timedelta(days=3))
        assert not outbox.later_row_exists(conn, first, T0 + timedelta(days=1))  # the later one is not due yet


# -- planning into the outbox ---------------------------------------------------------------------------------

def setup_sample(engine, now):
    with session_scope(engine) as s:
        d = make_directive(s, now=now)
        make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=now, directive=d, coordinators=["so-tu-phap"])
        make_task(s, key="T2", deadline_text="định kỳ hàng quý", now=now, directive=d, lead="so-tai-chinh")
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=now - timedelta(days=1))
        make_binding(s, chat_id=-1002, agency="so-noi-vu", role="manager", now=now - timedelta(days=1))
        make_binding(s, chat_id=-1005, agency="so-tu-phap", role="focal", now=now - timedelta(days=1))
        make_binding(s, chat_id=-1006, agency="so-tai-chinh", role="focal", now=now - timedelta(days=1))
        make_binding(s, chat_id=-1003, agency="van-phong-ubnd-tinh", role="oversight", now=now - timedelta(days=1))


def test_plan_inserts_each_step_once_and_moves_next_check(engine, settings):
    clock = FixedClock(datetime(2018, 5, 23, 9, 0, tzinfo=VN))
    setup_sample(engine, clock.now())
    sch = make_scheduler(engine, settings, clock, {})
    stats = sch.plan()
    assert stats.tasks == 2 and stats.pending == 3  # new: T1 to -1001 and -1005, T2 to -1006
    assert sch.plan().tasks == 0  # nothing is looked at before its next check
    with Session(engine) as s:
        nxt = {t.key: t.next_check_at.astimezone(VN) for t in s.exec(select(Task)).all()}
    assert nxt["T1"] == datetime(2018, 6, 7, 8, 0, tzinfo=VN)
    assert nxt["T2"] == datetime(2018, 6, 25, 8, 0, tzinfo=VN)  # 30/6 is a Saturday: in force 2/7, 7 days before
    # Replanning everything (as on start) inserts nothing new.
    assert sch.replan_all() == 2
    again = sch.plan()
    assert again.tasks == 2 and again.pending == 0
    assert len(rows(engine)) == 3 + again.digests  # a digest row per focal chat for this week, at most


def test_catch_up_after_downtime_in_the_database(engine, settings):
    clock = FixedClock(datetime(2018, 5, 23, 9, 0, tzinfo=VN))
    setup_sample(engine, clock.now())
    sch = make_scheduler(engine, settings, clock, {})
    sch.plan()
    clock.set(datetime(2018, 6, 12, 7, 0, tzinfo=VN))
    sch.plan()
    clock.set(datetime(2018, 6, 15, 9, 10, tzinfo=VN))  # three days down
    sch.plan()
    t1 = [(r.step, r.chat, r.status) for r in rows(engine, task_key="T1") if r.step.startswith(("remind:1", "remind:0", "escalate"))]
    assert sorted(t1) == sorted([
        ("remind:1:2018-06-14", "telegram:-1001", "superseded"), ("remind:0:2018-06-14", "telegram:-1001", "pending"),
        ("remind:1:2018-06-14", "telegram:-1005", "superseded"), ("remind:0:2018-06-14", "telegram:-1005", "pending"),
        ("escalate:1:2018-06-14", "telegram:-1002", "briefed"),
    ])
    # The manager's chat hears it in its brief of the day (DAILY_BUDGET manager:brief), which names T1.
    brief = [r for r in rows(engine, task_key="") if r.step == "brief:daily"]
    assert [(b.chat, b.occurrence, b.status, b.payload["items"]) for b in brief] == [
        ("telegram:-1002", "2018-06-15", "pending", ["T1"])]
    assert all(r.last_error and "superseded" in r.last_error for r in rows(engine, status="superseded"))


def test_an_action_during_planning_is_not_overwritten(engine, settings, monkeypatch):
    """next_check_at is compare-and-set: a task acted on while being planned is planned again next tick."""
    import jobs.scheduler as scheduler_module

    clock = FixedClock(datetime(2018, 5, 23, 9, 0, tzinfo=VN))
    setup_sample(engine, clock.now())
    acted_at = datetime(2018, 5, 23, 9, 0, 5, tzinfo=VN)
    real = scheduler_module.next_check

    def next_check_while_someone_acts(task, *a, **kw):
        if task.key == "T1":
            with engine.begin() as conn:  # like storage.actions: the bot marks progress meanwhile
                conn.execute(sa.update(Task).where(Task.key == "T1").values(next_check_at=acted_at))
        return real(task, *a, **kw)

    monkeypatch.setattr(scheduler_module, "next_check", next_check_while_someone_acts)
    make_scheduler(engine, settings, clock, {}).plan()
    with Session(engine) as s:
        nxt = {t.key: t.next_check_at for t in s.exec(select(Task)).all()}
    assert nxt["T1"] == acted_at  # kept: the next tick plans T1 again
    assert nxt["T2"].astimezone(VN) == datetime(2018, 6, 25, 8, 0, tzinfo=VN)


def test_digests_and_summary_are_planned_once_per_week_and_quarter(engine, settings):
    clock = FixedClock(datetime(2018, 7, 2, 8, 0, 30, tzinfo=VN))  # Monday, first working day of Q3
    setup_sample(engine, datetime(2018, 5, 23, 9, 0, tzinfo=VN))
    with session_scope(engine) as s:
        make_binding(s, chat_id=-1001, agency="so-tai-chinh", role="focal", now=datetime(2018, 5, 22, tzinfo=VN))
        make_binding(s, chat_id=-1009, agency="so-noi-vu", role="focal", now=datetime(2018, 7, 2, 9, tzinfo=VN))  # later
    sch = make_scheduler(engine, settings, clock, {})
    # the weekly agenda to every chat linked before its time: focal -1001 (two agencies, one message), -1005,
    # -1006, the manager -1002 and the oversight chat -1003
    assert sch.plan_digests(clock.now()) == (5, 1)
    assert sch.plan_digests(clock.now()) == (0, 0)
    digests = rows(engine, step="digest:weekly")
    assert sorted(r.chat for r in digests) == ["telegram:-1001", "telegram:-1002", "telegram:-1003", "telegram:-1005",
                                                "telegram:-1006"]
    assert {r.chat: r.payload["agencies"] for r in digests}["telegram:-1003"] == ["*"]  # oversight: every agency
    assert {r.occurrence for r in digests} == {"2018-W27"}
    [summary] = rows(engine, step="summary:quarterly")
    assert (summary.occurrence, summary.chat) == ("2018-Q2", "telegram:-1003")
    with Session(engine) as s:
        assert s.get(SchedulerState, "digest:weekly").value == "2018-W27"
        assert s.get(SchedulerState, "summary:quarterly").value == "2018-Q2"
    clock.set(datetime(2018, 7, 9, 8, 0, tzinfo=VN))
    assert sch.plan_digests(clock.now())[0] == 6  # next week the late chat is in too


def test_invalidate_for_binding_targets_the_tasks_a_chat_hears_about(engine, settings):
    clock = FixedClock(datetime(2018, 5, 23, 9, 0, tzinfo=VN))
    setup_sample(engine, clock.now())
    make_scheduler(engine, settings, clock, {}).plan()

    def unplanned():
        with Session(engine) as s:
            return sorted(t.key for t in s.exec(select(Task).where(Task.next_check_at.is_(None))).all())

    with session_scope(engine) as s:
        assert invalidate_for_binding(s, "so-tu-phap", "focal") == 1  # coordinates T1
    assert unplanned() == ["T1"]
    with session_scope(engine) as s:
        assert invalidate_for_binding(s, "so-tai-chinh", "manager") == 1
        assert invalidate_for_binding(s, "so-noi-vu", "oversight") == 2  # watches every task
    assert unplanned() == ["T1", "T2"]
