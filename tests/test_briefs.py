"""Escalations leaders read (issue 11), with a fake clock through the real scheduler, outbox and composer:
one brief a day per leaders' chat, a group item heard once by its coordinators, repeats that end, a defunct
agency's tasks handed over (or held), and nothing sent outside working hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from jobs.ports import Channel
from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from storage.db import session_scope
from storage.tables import Agency, AuditEntry, Notification, Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task


class Recorder(Channel):
    platform = "telegram"

    def __init__(self, clock):
        self.clock = clock
        self.sent: list[tuple[str, str, datetime]] = []

    async def send(self, chat_id: str, text: str, buttons=None) -> str:
        self.sent.append((chat_id, text, self.clock.now()))
        return str(len(self.sent))

    def to(self, chat_id) -> list[tuple[str, datetime]]:
        return [(t, when) for c, t, when in self.sent if c == str(chat_id)]


def scheduler(engine, db_url, when: datetime, **overrides):
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, **overrides)
    clock = FixedClock(when)
    ch = Recorder(clock)
    return make_scheduler(engine, settings, clock, {"telegram": ch}), clock, ch


async def tick_at(sch, clock, *moments):
    for m in moments:
        clock.set(m)
        await sch.tick()


def outbox(engine, **where) -> list[Notification]:
    with Session(engine) as s:
        q = select(Notification).order_by(Notification.id)
        for k, v in where.items():
            q = q.where(getattr(Notification, k) == v)
        return s.exec(q).all()


ASSIGNED = datetime(2018, 5, 23, 9, 0, tzinfo=VN)


async def test_sixty_tasks_reaching_leadership_make_one_brief_naming_each(engine, db_url):
    with session_scope(engine) as s:
        d = make_directive(s, now=ASSIGNED)
        for i in range(60):
            make_task(s, key=f"T{i:02d}", deadline_text="trước ngày 14/6/2018", now=ASSIGNED, directive=d,
                      lead=f"so-{i % 30:02d}", position=i)
        make_binding(s, chat_id=-1004, agency="ubnd-tinh", role="leadership", now=ASSIGNED - timedelta(days=1))
    sch, clock, ch = scheduler(engine, db_url, ASSIGNED)
    # 14/6 + 7 working days = 25/6 (Monday): the top rung. The whole day, then the next.
    top = datetime(2018, 6, 25, 8, 0, 30, tzinfo=VN)
    await tick_at(sch, clock, ASSIGNED, top, top + timedelta(hours=3), top + timedelta(hours=8, minutes=20))
    on_the_day = [t for t, when in ch.to(-1004) if when.astimezone(VN).date() == date(2018, 6, 25)]
    briefs = [t for t in on_the_day if t.startswith("📋 Bản tin")]
    assert len(briefs) == 1 and len([t for t in on_the_day if not t.startswith("📋 Lịch việc")]) == 1
    [row] = outbox(engine, step="brief:daily", chat="telegram:-1004")
    assert row.occurrence == "2018-06-25" and row.status == "sent"
    assert row.payload["items"] == [f"T{i:02d}" for i in range(60)]
    assert "60 nhiệm vụ đến cấp đôn đốc này hôm nay, của 30 cơ quan" in briefs[0]
    assert "/overdue" in briefs[0] and len(briefs[0]) <= 4096  # the rest: /overdue, page by page
    # every task's own escalation row is recorded as folded into that brief, none sent on its own
    per_task = outbox(engine, chat="telegram:-1004", kind="escalation")
    assert len(per_task) == 60 and {r.status for r in per_task} == {"briefed"}


async def test_a_group_item_reaches_its_coordinator_once_naming_every_lead(engine, db_url):
    with session_scope(engine) as s:
        d = make_directive(s, now=ASSIGNED)
        for i in range(30):
            t = make_task(s, key=f"G{i:02d}", deadline_text="trước ngày 14/6/2018", now=ASSIGNED, directive=d,
                          lead=f"so-{i:02d}", coordinators=["so-noi-vu"], content="Rà soát thủ tục hành chính",
                          position=i)
            t.assignee_text = "Các sở, ban, ngành"
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=ASSIGNED - timedelta(days=1))
        make_binding(s, chat_id=-1100, agency="so-07", role="focal", now=ASSIGNED - timedelta(days=1))
    sch, clock, ch = scheduler(engine, db_url, ASSIGNED)
    await tick_at(sch, clock, ASSIGNED, datetime(2018, 6, 7, 8, 0, 30, tzinfo=VN))
    texts = [t for t, _w in ch.to(-1001) if not t.startswith("📋")]
    assert [t.splitlines()[0] for t in texts] == ["📌 Nhiệm vụ mới (đơn vị phối hợp)", "⏰ Nhắc hạn: còn 7 ngày"]
    assert "Chủ trì (30 cơ quan): so-00, so-01" in texts[0] and "so-29" in texts[0]
    [new] = outbox(engine, chat="telegram:-1001", kind="new")
    assert new.payload["items"] == [f"G{i:02d}" for i in range(30)]
    # a lead hears its own task as before
    assert [t.splitlines()[0] for t, _w in ch.to(-1100)][0] == "📌 Nhiệm vụ mới (đơn vị chủ trì)"


async def test_repeats_stop_at_the_limit_then_the_task_is_in_the_weekly_agenda(engine, db_url):
    with session_scope(engine) as s:
        make_task(s, key="LATE", deadline_text="trước ngày 14/6/2018", now=ASSIGNED)
        make_binding(s, chat_id=-1004, agency="ubnd-tinh", role="leadership", now=ASSIGNED - timedelta(days=1))
    sch, clock, ch = scheduler(engine, db_url, ASSIGNED, repeat_limit=2)
    day = ASSIGNED
    while day.date() <= date(2018, 8, 31):
        await tick_at(sch, clock, day.replace(hour=8, minute=0, second=30))
        day += timedelta(days=1)
    briefs = [(t, w) for t, w in ch.to(-1004) if t.startswith("📋 Bản tin")]
    # the top rung on 25/6, then two repeats a week apart — and no more
    assert [w.astimezone(VN).date() for _t, w in briefs] == [date(2018, 6, 25), date(2018, 7, 2), date(2018, 7, 9)]
    assert "nhắc lại lần 2/2" in briefs[-1][0]
    agendas = [(t, w) for t, w in ch.to(-1004) if t.startswith("📋 Lịch việc")]
    later = [t for t, w in agendas if w.astimezone(VN).date() > date(2018, 7, 9)]
    assert later and all("Quá hạn kéo dài, không nhắc lại nữa (1):" in t and "[LATE]" in t for t in later)


def _agencies(s, *rows):
    for code, valid_to, successor in rows:
        s.add(Agency(code=code, name=code.upper(), valid_to=valid_to, successor=successor))


async def test_a_defunct_agency_hands_its_tasks_to_its_successor(engine, db_url):
    start = datetime(2025, 1, 10, 9, 0, tzinfo=VN)
    with session_scope(engine) as s:
        _agencies(s, ("huyen-a", date(2025, 6, 30), "xa-b"), ("xa-b", None, None))
        make_task(s, key="Q", deadline_text="định kỳ hàng quý", now=start, lead="huyen-a")
        make_binding(s, chat_id=-2001, agency="huyen-a", role="focal", now=start - timedelta(days=1))
        make_binding(s, chat_id=-2002, agency="xa-b", role="focal", now=start - timedelta(days=1))
    sch, clock, ch = scheduler(engine, db_url, start)
    await tick_at(sch, clock, start, datetime(2025, 7, 1, 9, 0, tzinfo=VN), datetime(2025, 9, 23, 8, 0, 30, tzinfo=VN))
    with Session(engine) as s:
        assert s.exec(select(Task).where(Task.key == "Q")).one().lead_agency == "xa-b"
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.action == "task.handed_over")).all()
        assert entry.entity_key == "Q"
    q3 = [r.chat for r in outbox(engine, task_key="Q") if "2025-09-30" in r.step and r.status == "sent"]
    assert q3 and set(q3) == {"telegram:-2002"}  # the Q3 period is the successor's
    assert any("Chủ trì: XA-B" in t for t, _w in ch.to(-2002))
    assert not [t for t, w in ch.to(-2001) if w > datetime(2025, 7, 1, tzinfo=VN) and "Q" in t and "Nhắc" in t]


async def test_a_defunct_agency_without_successor_holds_the_task_and_tells_oversight_once(engine, db_url):
    start = datetime(2025, 1, 10, 9, 0, tzinfo=VN)
    with session_scope(engine) as s:
        _agencies(s, ("huyen-c", date(2025, 6, 30), None))
        make_task(s, key="H", deadline_text="trước ngày 31/12/2025", now=start, lead="huyen-c")
        make_binding(s, chat_id=-2003, agency="huyen-c", role="focal", now=start - timedelta(days=1))
        make_binding(s, chat_id=-1003, agency="so-noi-vu", role="oversight", now=start - timedelta(days=1))
    sch, clock, ch = scheduler(engine, db_url, start)
    await tick_at(sch, clock, start, datetime(2025, 7, 1, 8, 0, 30, tzinfo=VN), datetime(2025, 7, 2, 8, 0, 30, tzinfo=VN),
                  datetime(2025, 12, 24, 8, 0, 30, tzinfo=VN), datetime(2026, 1, 5, 8, 0, 30, tzinfo=VN))
    held = [t for t, _w in ch.to(-1003) if t.startswith("⏸")]
    assert len(held) == 1 and "HUYEN-C" in held[0] and "30/06/2025" in held[0]
    assert not [t for t, _w in ch.to(-2003) if "Nhắc hạn" in t]  # no reminder of 31/12 for a gone agency


FRIDAY_EVENING = datetime(2026, 11, 20, 19, 28, tzinfo=VN)


async def test_nothing_goes_out_in_the_evening_or_on_saturday_then_at_0730_on_monday(engine, db_url):
    with session_scope(engine) as s:
        for i in range(3):
            make_task(s, key=f"N{i}", deadline_text="trước ngày 31/12/2026", now=FRIDAY_EVENING)
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=FRIDAY_EVENING - timedelta(days=1))
    sch, clock, ch = scheduler(engine, db_url, FRIDAY_EVENING)
    await tick_at(sch, clock, FRIDAY_EVENING, datetime(2026, 11, 21, 10, 0, tzinfo=VN),
                  datetime(2026, 11, 23, 7, 29, tzinfo=VN))
    assert ch.sent == []
    assert "nothing is sent until the next working day's window, 23/11/2026 07:30" in sch.whats_next(FRIDAY_EVENING)
    await tick_at(sch, clock, datetime(2026, 11, 23, 7, 30, 5, tzinfo=VN))
    assert len(ch.to(-1001)) == 3
    assert {w.astimezone(VN).strftime("%d/%m %H:%M") for _t, w in ch.to(-1001)} == {"23/11 07:30"}


async def test_a_first_start_on_saturday_sends_nothing_until_monday_0730(engine, db_url):
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=VN)
    with session_scope(engine) as s:
        make_task(s, key="W", deadline_text="trước ngày 20/11/2026", now=wednesday)  # due Friday, late by Monday
        make_binding(s, chat_id=-1001, agency="so-noi-vu", role="focal", now=wednesday)
        make_binding(s, chat_id=-1002, agency="so-noi-vu", role="manager", now=wednesday)
    saturday = datetime(2026, 11, 21, 9, 0, tzinfo=VN)
    sch, clock, ch = scheduler(engine, db_url, saturday)
    sch.prepare_start()
    await tick_at(sch, clock, saturday, datetime(2026, 11, 22, 16, 0, tzinfo=VN))
    assert ch.sent == []
    await tick_at(sch, clock, datetime(2026, 11, 23, 7, 30, 1, tzinfo=VN))
    focal = [t for t, _w in ch.to(-1001)]
    assert len(focal) == 1 and "quá hạn 1 ngày làm việc" in focal[0]  # the current state, once
    assert ch.to(-1002) == []  # its escalation is at REMINDER_TIME, 08:00
    await tick_at(sch, clock, datetime(2026, 11, 23, 8, 0, 1, tzinfo=VN))
    assert [t.splitlines()[0] for t, _w in ch.to(-1002) if not t.startswith("📋 Lịch")] == [
        "📋 Bản tin đôn đốc ngày 23/11 (thứ Hai) — lãnh đạo đơn vị, Sở Nội vụ"]


async def test_a_restart_with_unchanged_settings_plans_nothing_new(engine, db_url):
    with session_scope(engine) as s:
        make_task(s, key="R", deadline_text="trước ngày 14/6/2018", now=ASSIGNED)
    sch, clock, ch = scheduler(engine, db_url, ASSIGNED)
    assert sch.prepare_start() == 1  # the first start plans everything
    sch.plan()
    again, *_ = scheduler(engine, db_url, ASSIGNED + timedelta(minutes=5))
    assert again.prepare_start() == 0 and again.plan().tasks == 0
    changed, *_ = scheduler(engine, db_url, ASSIGNED + timedelta(minutes=6), repeat_limit=1)
    assert changed.prepare_start() == 1  # a planning setting changed: every task once more
    changed.plan()
    with session_scope(engine) as s:  # the directory now says an agency ends: its successor matters
        _agencies(s, ("so-noi-vu", date(2018, 12, 31), "so-moi"))
    merged, *_ = scheduler(engine, db_url, ASSIGNED + timedelta(minutes=7), repeat_limit=1)
    assert merged.prepare_start() == 1


def test_brief_texts_in_both_languages():
    from bot.briefs import BriefEntry, daily_brief
    from core.i18n import use_language
    from core.status import Status

    e = BriefEntry("T1", "Gửi báo cáo", "Sở Nội vụ", date(2014, 9, 3), workdays_late=3317, level=3, long_overdue=True)
    for lang in ("vi", "en"):
        with use_language(lang):
            text = daily_brief(date(2026, 12, 1), "x", "y", [e], {Status.OVERDUE: 1}, date(2026, 12, 1), levels=3,
                               repeat_limit=4)
            assert _("long overdue", lang=lang) in text
            assert "03/09/2014" in text  # a date of another year carries its year
    assert "quá hạn kéo dài" in daily_brief(date(2026, 12, 1), "x", "y", [e], {}, date(2026, 12, 1), levels=3,
                                            repeat_limit=4)


# -- the pure parts: working hours, plans that end, the budget ----------------------------------------------

def test_deliver_at_keeps_working_hours():
    from jobs.planner import Policy
    from core.workdays import WorkCalendar

    p, cal = Policy(), WorkCalendar.from_file(None)
    fri_evening = datetime(2026, 11, 20, 19, 28, tzinfo=VN)
    monday = datetime(2026, 11, 23, 7, 30, tzinfo=VN)
    assert p.deliver_at(fri_evening, cal) == monday
    assert p.deliver_at(datetime(2026, 11, 21, 10, 0, tzinfo=VN), cal) == monday  # Saturday
    assert p.deliver_at(datetime(2026, 11, 23, 6, 0, tzinfo=VN), cal) == monday  # before the window
    inside = datetime(2026, 11, 23, 16, 59, tzinfo=VN)
    assert p.deliver_at(inside, cal) == inside and p.in_window(inside, cal)
    assert not p.in_window(datetime(2026, 11, 23, 17, 0, tzinfo=VN), cal)
    # Tết 2026: 16–20/2 off (plus the weekend): the next window is on Monday 23/2
    assert p.deliver_at(datetime(2026, 2, 13, 18, 0, tzinfo=VN), cal) == datetime(2026, 2, 23, 7, 30, tzinfo=VN)


def test_a_plan_with_an_end_has_no_period_after_it():
    from core.deadline import parse_deadline
    from jobs.planner import Policy, Recipient, TaskSnapshot, plan_task
    from core.workdays import WorkCalendar

    dl = parse_deadline("định kỳ hàng quý", date(2011, 1, 10))
    focal = Recipient("telegram", "-1", "so-noi-vu", "focal", created_at=None)
    t = TaskSnapshot(key="K", lead="so-noi-vu", deadline=dl, assigned_at=datetime(2011, 1, 10, tzinfo=VN),
                     until=date(2015, 12, 31))
    steps = plan_task(t, [focal], Policy(), WorkCalendar.from_file(None), datetime(2015, 1, 1, tzinfo=VN),
                      datetime(2016, 12, 31, tzinfo=VN))
    dues = {s.occurrence for s in steps}
    assert "2015-12-31" in dues and not any(d > "2015-12-31" for d in dues)


def _step(chat, task, step, role, day, kind="escalation"):
    from jobs.planner import PlannedStep

    return PlannedStep(datetime.combine(day, datetime.min.time().replace(hour=8), tzinfo=VN), task, "once", step,
                       chat, kind, None, None, {"role": role, "agency": "so-noi-vu"})


def test_fold_by_budget():
    from jobs.briefing import DayState, fold
    from jobs.planner import Policy
    from core.workdays import WorkCalendar

    cal, d = WorkCalendar.from_file(None), date(2018, 6, 15)
    # focal (task): one message per task a day — the later step speaks for both
    rows, briefs = fold([(_step("f", "T1", "remind:0:x", "focal", d, "reminder"), "pending"),
                         (_step("f", "T1", "escalate:1:x", "focal", d), "pending")], Policy(), cal)
    assert [(s.step, st) for s, st in rows] == [("remind:0:x", "superseded"), ("escalate:1:x", "pending")]
    assert briefs == []
    # N = 3: two messages go as they are; four become one brief
    p3 = Policy(budget={"focal": "task", "manager": 3, "oversight": "brief", "leadership": "brief"})
    two = [(_step("m", f"T{i}", "escalate:1:x", "manager", d), "pending") for i in range(2)]
    rows, briefs = fold(two, p3, cal)
    assert {st for _s, st in rows} == {"pending"} and briefs == []
    four = [(_step("m", f"T{i}", "escalate:1:x", "manager", d), "pending") for i in range(4)]
    rows, briefs = fold(four, p3, cal)
    assert {st for _s, st in rows} == {"briefed"} and len(briefs) == 1
    assert briefs[0].step.payload["items"] == ["T0", "T1", "T2", "T3"]
    # the day's brief already went out: the next working day's (Monday 18/6)
    rows, briefs = fold(four, Policy(), cal, {("m", d): DayState(brief_status="sent")})
    assert briefs[0].step.occurrence == "2018-06-18" and not briefs[0].exists
