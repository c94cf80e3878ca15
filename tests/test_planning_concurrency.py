"""Planning is safe in every process at once (issue 7).

- Several schedulers planning the same tasks at the same time (PostgreSQL, one engine each, as separate
  processes would) make exactly the outbox one scheduler makes: the unique key with ON CONFLICT DO NOTHING
  means no second row, and none of them fails.
- A change that lands while a task is being planned is never lost: the planner must not overwrite the
  `next_check_at` the change set with a value computed from the task as it was before — including when
  the change writes the very value the planner read (NULL, "plan me now"), as linking a chat, an invite
  and a registry re-import do.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from core.clock import FixedClock
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from jobs.scheduler import Scheduler, invalidate_for_binding
from storage.db import make_engine, session_scope, upgrade
from storage.tables import Notification, Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task

NOW = datetime(2018, 6, 20, 9, 0, tzinfo=VN)  # after 14/6/2018: reminders done, escalation under way


DEADLINES = ("trước ngày 14/6/2018", "trước ngày 30/6/2018", "định kỳ hàng quý", "Thường xuyên")


def _seed(url: str, tasks: int = 60, agencies: int = 6, deadlines: tuple[str, ...] = DEADLINES) -> None:
    eng = make_engine(url)
    try:
        created = NOW - timedelta(days=40)
        with session_scope(eng) as s:
            d = make_directive(s, now=created)
            for a in range(agencies):
                make_binding(s, chat_id=-1001000 - a, agency=f"agency-{a}", role="focal", now=created)
                make_binding(s, chat_id=5000 + a, agency=f"agency-{a}", role="manager", now=created)
            make_binding(s, chat_id=-1009999, agency="so-noi-vu", role="oversight", now=created)
            for i in range(tasks):
                make_task(s, key=f"t-{i:03d}", deadline_text=deadlines[i % len(deadlines)], now=created, directive=d,
                          lead=f"agency-{i % agencies}", coordinators=[f"agency-{(i + 1) % agencies}"], position=i)
    finally:
        eng.dispose()


def _settings(url: str):
    return load_settings(environ={}, dotenv_path=None, database_url=url)


def _outbox(url: str) -> list[tuple]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            t = Notification.__table__
            return sorted(conn.execute(sa.select(t.c.task_key, t.c.occurrence, t.c.step, t.c.chat, t.c.status)).all())
    finally:
        eng.dispose()


@pytest.mark.postgres
def test_schedulers_planning_at_once_make_one_outbox(postgres_server, pg_url):
    reference = postgres_server.create_database(template=postgres_server.migrated_template())
    try:
        for url in (pg_url, reference):
            _seed(url)
        eng = make_engine(reference)
        make_scheduler(eng, _settings(reference), FixedClock(NOW), {}).plan(NOW)
        eng.dispose()
        expected = _outbox(reference)
    finally:
        postgres_server.drop_database(reference)
    assert len(expected) > 100

    engines = [make_engine(pg_url) for _ in range(4)]
    schedulers = [make_scheduler(e, _settings(pg_url), FixedClock(NOW), {}, batch=7) for e in engines]
    barrier = threading.Barrier(len(schedulers))
    errors: list[BaseException] = []

    def plan(s: Scheduler) -> None:
        try:
            barrier.wait(10)
            s.plan(NOW)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=plan, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert not errors, errors
        assert _outbox(pg_url) == expected
        with Session(engines[0]) as s:
            assert all(t.next_check_at is not None and t.next_check_at > NOW for t in s.exec(select(Task)))
        # And a tick afterwards has nothing left to add.
        again = schedulers[0].plan(NOW + timedelta(seconds=1))
        assert again.pending == 0 and again.superseded == 0
    finally:
        for e in engines:
            e.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
        upgrade(url)
        return url
    return request.getfixturevalue("pg_url")


def _plan_with_interruption(url: str, change) -> tuple[Scheduler, object]:
    """Plan once; while the planner is working on the first task, `change(session)` commits elsewhere."""
    import jobs.briefing as scheduler_module  # where the tick calls plan_task (the path preview shares)

    eng = make_engine(url)
    other = make_engine(url)
    real_plan_task = scheduler_module.plan_task
    done = []

    def interrupted(*args, **kwargs):
        if not done:
            done.append(True)
            with session_scope(other) as s:
                change(s)
        return real_plan_task(*args, **kwargs)

    scheduler_module.plan_task = interrupted
    try:
        sched = make_scheduler(eng, _settings(url), FixedClock(NOW), {})
        sched.plan(NOW)
    finally:
        scheduler_module.plan_task = real_plan_task
        other.dispose()
    assert done, "the planner never reached the task"
    return sched, eng


def test_a_chat_linked_while_planning_is_planned_on_the_next_tick(any_url):
    _seed(any_url, tasks=1, agencies=1)

    def link_new_manager_chat(s: Session) -> None:
        # Dated back so the steps already due are its to hear (a new link normally starts from its time).
        make_binding(s, chat_id=7777, agency="agency-0", role="manager", now=NOW - timedelta(days=40))
        invalidate_for_binding(s, "agency-0", "manager")  # next_check_at = NULL, the value the planner read

    sched, eng = _plan_with_interruption(any_url, link_new_manager_chat)
    try:
        with Session(eng) as s:
            task = s.exec(select(Task)).one()
            assert task.next_check_at is None or task.next_check_at <= NOW, (
                "the planner overwrote the change made while it planned: the new chat would wait until "
                f"{task.next_check_at}")
        sched.plan(NOW + timedelta(seconds=30))
        chats = {n.chat for n in Session(eng).exec(select(Notification).where(Notification.task_key == "t-000"))}
        assert "telegram:7777" in chats
    finally:
        eng.dispose()


def test_an_action_while_planning_is_not_overwritten(any_url):
    _seed(any_url, tasks=1, agencies=1)
    acted_at = NOW + timedelta(seconds=1)

    def mark_done(s: Session) -> None:
        from storage.actions import Actor, mark_done as done

        task = s.exec(select(Task)).one()
        done(s, task, "once", Actor("Nguyễn Văn A", "42", "telegram"), acted_at)

    sched, eng = _plan_with_interruption(any_url, mark_done)
    try:
        with Session(eng) as s:
            task = s.exec(select(Task)).one()
            assert task.next_check_at == acted_at.astimezone(timezone.utc)
    finally:
        eng.dispose()


def test_a_chat_linked_during_a_long_plan_reaches_the_later_batches(any_url):
    """A plan of many batches (a restart re-plans every task) loads the chat bindings once; a chat linked
    while it runs must still be planned for the tasks of the batches after that."""
    import jobs.briefing as scheduler_module  # where the tick calls plan_task (the path preview shares)

    _seed(any_url, tasks=4, agencies=1, deadlines=("trước ngày 14/6/2018",))  # all late on 20/6
    eng, other = make_engine(any_url), make_engine(any_url)
    real_plan_task = scheduler_module.plan_task
    calls = []

    def link_during_first_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            with session_scope(other) as s:
                make_binding(s, chat_id=7777, agency="agency-0", role="manager", now=NOW - timedelta(days=40))
                invalidate_for_binding(s, "agency-0", "manager")
        return real_plan_task(*args, **kwargs)

    scheduler_module.plan_task = link_during_first_batch
    try:
        sched = make_scheduler(eng, _settings(any_url), FixedClock(NOW), {}, batch=1)
        sched.plan(NOW)
    finally:
        scheduler_module.plan_task = real_plan_task
        other.dispose()
    try:
        sched.plan(NOW + timedelta(seconds=30))  # the next tick
        with Session(eng) as s:
            # each task's escalation row (folded into the chat's brief, the row with task_key "")
            heard = {n.task_key for n in s.exec(select(Notification).where(Notification.chat == "telegram:7777"))
                     if n.task_key}
            keys = {t.key for t in s.exec(select(Task))}
        # Every task is late on 20/6: each escalates to the new manager chat.
        assert heard == keys, f"planned without the chat linked meanwhile: {sorted(keys - heard)}"
    finally:
        eng.dispose()
