"""Every feed variant read by the pickier clients: libical (Evolution) with its restriction check, the Outlook
RRULE templates of MS-OXCICAL, icalendar and recurring-ical-events; no alarm that has already rung; UNTIL on a
plan with an end; the configured UID domain; the task's page as URL.

The registry mixes every deadline family the grammar writes (quarterly, half-yearly, monthly, "ngày 30 hằng
tháng", yearly, Feb 29, weekly, continuous, once) with every state (done, extended, progress, pending
extension), in a province that started in 2011 — so old periods, past alarms and ended plans are all there.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import icalendar
import pytest
import recurring_ical_events
from sqlmodel import Session, select

from feeds import service
from feeds.service import calendar_for_agency, calendar_for_all, calendar_for_binding
from storage.actions import Actor, decide_extension, mark_done, record_progress, request_extension
from storage.tables import Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.ical_validators import libical_problems, outlook_template, require_libical
from tests.test_ics import check_octets, read_vobject

ALICE = Actor("Nguyễn Thị A", "1001", "telegram")
BOSS = Actor("Trần Văn B", "2002", "telegram")
ISSUED = date(2012, 3, 2)
T0 = datetime(2012, 3, 5, 9, 0, tzinfo=VN)
NOW = datetime(2018, 6, 20, 9, 0, tzinfo=VN)  # the day the feeds are read
DOMAIN = "lich.nam-dinh.gov.vn"

FAMILIES = [
    ("quarterly", "định kỳ hàng quý"),
    ("half", "6 tháng và cả năm"),
    ("monthly", "Hàng tháng/năm"),
    ("day30", "ngày 30 hằng tháng"),
    ("yearly", "Tháng 12/năm"),
    ("feb29", "ngày 29/2 hằng năm"),
    ("weekly", "thứ Sáu hằng tuần"),
    ("quarter-start", "trước ngày 10 tháng đầu quý"),
    ("twice", "báo cáo 6 tháng trước ngày 10/6 và báo cáo năm trước ngày 10/12"),  # two schedules (rrules)
    ("continuous", "Thường xuyên"),
    ("once-old", "trước ngày 14/6/2012"),
    ("once-soon", "trước ngày 25/6/2018"),
    ("once-later", "trước ngày 30/9/2018"),
    ("once-done", "trước ngày 15/6/2018"),
    ("once-ext", "trước ngày 18/6/2018"),
]


@pytest.fixture
def settings(settings):
    return replace(settings, feed_base_url="https://lich.example.gov.vn", feed_uid_domain=DOMAIN,
                   reminder_offsets=(7, 3, 1), reminder_time=time(8, 0))


@pytest.fixture
def db(engine):
    with Session(engine, expire_on_commit=False) as s:
        d = make_directive(s, number="337/QĐ-UBND", issued=ISSUED, now=T0,
                           subject="Kế hoạch cải cách hành chính nhà nước tỉnh Nam Định giai đoạn 2011-2015")
        for i, (key, text) in enumerate(FAMILIES):
            make_task(s, key=f"337/{key}", deadline_text=text, now=T0, directive=d, position=i,
                      issued=date(2018, 5, 23) if key.startswith("once") else ISSUED,
                      content=f"Báo cáo; tổng hợp, đánh giá kết quả cải cách hành chính ({key})",
                      coordinators=["so-tai-chinh"] if i % 3 == 0 else [])
        # a plan with an end: the 2011-2015 plan's monthly report stops after December 2015
        t = make_task(s, key="337/bounded", deadline_text="Hàng tháng/năm", now=T0, directive=d, position=50,
                      issued=ISSUED)
        t.deadline = {**t.deadline, "until": "2015-12-31"}
        s.add(t)
        # another agency's task, seen by the oversight feed only
        make_task(s, key="337/other", deadline_text="trước ngày 28/6/2018", now=T0, directive=d, lead="so-tu-phap",
                  position=60)
        s.commit()
        later = datetime(2018, 6, 1, 9, 0, tzinfo=VN)

        def task(key):
            return s.exec(select(Task).where(Task.key == f"337/{key}")).one()

        mark_done(s, task("once-done"), "once", ALICE, later)
        x = request_extension(s, task("once-ext"), "once", date(2018, 7, 16), "Chờ số liệu", ALICE, later)
        decide_extension(s, x, True, BOSS, later + timedelta(hours=2))
        record_progress(s, task("once-soon"), "once", 60, "Đang tổng hợp", ALICE, later + timedelta(days=1))
        request_extension(s, task("once-later"), "once", date(2018, 10, 15), "Chờ ý kiến", ALICE, later)
        mark_done(s, task("quarterly"), "2018-03-31", ALICE, datetime(2018, 4, 2, 9, 0, tzinfo=VN))
        record_progress(s, task("quarterly"), "2018-06-30", 40, None, ALICE, later)
        s.commit()
        yield s


def variants(db, settings):
    """(name, bytes) of every calendar a person can get: agency / oversight / chat feeds, events and to-dos,
    Vietnamese and English, with and without the window."""
    focal = make_binding(db, chat_id=-100, agency="so-noi-vu", role="focal", now=T0, language="en")
    over = make_binding(db, chat_id=-200, agency="so-noi-vu", role="oversight", now=T0)
    db.commit()
    for todo in (False, True):
        kind = "todo" if todo else "events"
        yield f"agency {kind}", calendar_for_agency(db, "so-noi-vu", settings, NOW, todo=todo)
        yield f"oversight {kind}", calendar_for_all(db, settings, NOW, todo=todo)
        yield f"oversight {kind}, no window", calendar_for_all(db, settings, NOW, todo=todo, window=False)
        yield f"chat en {kind}", calendar_for_binding(db, focal.id, settings, NOW, todo=todo)
        yield f"chat oversight {kind}", calendar_for_binding(db, over.id, settings, NOW, todo=todo)
        yield f"empty {kind}", calendar_for_agency(db, "so-y-te", settings, NOW, todo=todo)


def components(data: bytes, name: str):
    return icalendar.Calendar.from_ical(data).walk(name)


def test_every_variant_passes_libical_outlook_and_the_python_readers(db, settings):
    require_libical()
    seen_rules = set()
    for name, data in variants(db, settings):
        check_octets(data)
        assert libical_problems(data) == [], name  # no parse error, no iTIP or RFC 5545 restriction failure
        assert b"METHOD:" not in data and b"ORGANIZER" not in data, name
        read_vobject(data)
        cal = icalendar.Calendar.from_ical(data)
        rules = [r.decode() for r in re.findall(rb"\r\nRRULE:([^\r]*)\r\n(?! )", data)]  # as written, unfolded
        assert len(rules) == sum(1 for ev in cal.walk("VEVENT") if "RRULE" in ev)
        for rule in rules:
            assert outlook_template(rule) is not None, f"{name}: {rule} fits no MS-OXCICAL template"
            seen_rules.add(rule)
        list(recurring_ical_events.of(cal, components=["VEVENT", "VTODO"]).between(date(2011, 1, 1), date(2020, 1, 1)))
    # the families really went through the rewriting (quarterly and half-yearly as INTERVAL, an UNTIL)
    assert "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=3" in seen_rules
    assert "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=6" in seen_rules
    assert "FREQ=MONTHLY;BYMONTHDAY=10;INTERVAL=3" in seen_rules
    assert "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20151231" in seen_rules


def test_a_calendar_libical_rejects_is_caught():
    """The validator is not a rubber stamp: yesterday's output (METHOD:PUBLISH without ORGANIZER) fails it."""
    require_libical()
    bad = (b"BEGIN:VCALENDAR\r\nPRODID:-//x//y//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
           b"UID:a@b\r\nDTSTAMP:20180101T000000Z\r\nDTSTART;VALUE=DATE:20180614\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
           b"END:VCALENDAR\r\n")
    assert any("ORGANIZER" in p for p in libical_problems(bad))
    assert outlook_template("FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1") is None


def test_rewritten_rules_give_the_grammars_dates(db, settings):
    """Outlook-safe rules must not move a deadline: each event calendar expands to the grammar's own dates."""
    from core.deadline import Deadline

    data = calendar_for_all(db, replace(settings, feed_keep_done_days=3650), NOW)  # no period hidden by EXDATE
    cal = icalendar.Calendar.from_ical(data)
    start, end = date(2018, 1, 1), date(2020, 1, 1)
    got: dict[str, set] = {}
    for c in recurring_ical_events.of(cal).between(start, end):
        key = str(c["UID"]).split("@")[0]
        rid = c.get("RECURRENCE-ID")
        got.setdefault(key, set()).add(rid.dt if rid else c["DTSTART"].dt)
    # a duty with two schedules (Deadline.rrules) has one event per period, from both rules
    assert {f"337%2Ftwice-2018-06-10@{DOMAIN}", f"337%2Ftwice-2018-12-10@{DOMAIN}"} <= \
        {str(e["UID"]) for e in cal.walk("VEVENT")}
    for key, _text in FAMILIES:
        t = db.exec(select(Task).where(Task.key == f"337/{key}")).one()
        if t.deadline_kind != "recurring":
            continue
        dl = Deadline.from_dict(t.deadline)
        want = set(dl.occurrences(start, end - timedelta(days=1)))
        quoted = f"337%2F{key}"
        mine = set().union(*[v for k, v in got.items() if k == quoted or k.startswith(quoted + "-2")])
        if key in ("day30", "feb29", "twice"):  # written one by one: from the window's start to a year ahead
            want = {d for d in want if d <= NOW.date() + timedelta(days=366)}
            mine = {d for d in mine if d >= date(2018, 1, 1)}
            want = {d for d in want if d >= min(mine)}
        assert mine == want, key


def _alarm_instants(comp, tz):
    """When each VALARM of `comp` rings (relative triggers against DTSTART, or DUE for RELATED=END)."""
    out = []
    for a in comp.walk("VALARM"):
        trig = a["TRIGGER"]
        anchor = comp.get("DTSTART") or comp.get("DUE")
        if trig.params.get("RELATED") == "END":
            anchor = comp.get("DUE") or comp.get("DTEND")
        day = anchor.dt
        out.append((datetime.combine(day, time(0), tzinfo=tz) + trig.dt, a))
    return out


def test_no_alarm_has_already_rung(db, settings):
    tz = settings.timezone
    today = datetime.combine(NOW.astimezone(tz).date(), time(0), tzinfo=tz)
    alarms = 0
    for name, data in variants(db, settings):
        cal = icalendar.Calendar.from_ical(data)
        for comp in list(cal.walk("VEVENT")) + list(cal.walk("VTODO")):
            if "RRULE" in comp:
                continue  # masters: below
            for at, _a in _alarm_instants(comp, tz):
                alarms += 1
                assert at >= today, f"{name}: {comp['UID']} rings at {at}"
        # a recurring master keeps its alarm only for periods ahead: every instance it gives an alarm to
        # that would ring before today is acknowledged (RFC 9074 ACKNOWLEDGED, Thunderbird's X-MOZ-LASTACK)
        for master in cal.walk("VEVENT"):
            if "RRULE" not in master or not master.walk("VALARM"):
                continue
            [alarm] = master.walk("VALARM")
            ack = alarm.get("ACKNOWLEDGED")
            assert master.get("X-MOZ-LASTACK") is not None or ack is None
            for inst in recurring_ical_events.of(cal).between(date(2011, 1, 1), NOW.date()):
                if str(inst["UID"]) != str(master["UID"]) or not inst.walk("VALARM"):
                    continue
                for at, _a in _alarm_instants(inst, tz):
                    if at < today:
                        assert ack is not None and at <= ack.dt, f"{name}: {inst['UID']} {at} not acknowledged"
    assert alarms > 5  # alarms ahead are still there


def test_an_ended_plan_has_until_and_no_alarm(db, settings):
    data = calendar_for_all(db, settings, NOW)
    [master] = [e for e in components(data, "VEVENT") if str(e["UID"]) == f"337%2Fbounded@{DOMAIN}"]
    assert b"RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20151231\r\n" in data
    assert master["RRULE"]["UNTIL"] == [date(2015, 12, 31)]
    assert not master.walk("VALARM")  # nothing ahead to remind of
    dates = [c["DTSTART"].dt for c in recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(
        date(2011, 1, 1), date(2030, 1, 1)) if str(c["UID"]) == f"337%2Fbounded@{DOMAIN}"]
    assert dates[0] == date(2012, 3, 31) and dates[-1] == date(2015, 12, 31) and len(dates) == 46
    assert "Kỳ cuối cùng: 31/12/2015" in str(master["DESCRIPTION"])


def test_uids_carry_the_configured_domain_and_events_link_to_the_task_page(db, settings, monkeypatch):
    data = calendar_for_all(db, settings, NOW)
    uids = [str(c["UID"]) for c in components(data, "VEVENT")]
    assert uids and all(u.endswith(f"@{DOMAIN}") for u in uids)
    # the default: the host of the public URL
    default = calendar_for_all(db, replace(settings, feed_uid_domain=None), NOW, todo=True)
    assert all(str(c["UID"]).endswith("@lich.example.gov.vn") for c in components(default, "VTODO"))
    # with the web console installed, each event links to its task's page
    from core import links

    assert all("URL" not in c for c in components(data, "VEVENT")) or links.web_console_installed()
    monkeypatch.setattr(links, "web_console_installed", lambda: True)
    linked = calendar_for_all(db, settings, NOW)
    urls = {str(c["UID"]): str(c["URL"]) for c in components(linked, "VEVENT")}
    assert urls[f"337%2Fonce-soon@{DOMAIN}"] == "https://lich.example.gov.vn/web/tasks/337/once-soon"
    assert service.feed_state(db, service.scope_for_oversight(), settings, NOW).etag != \
        service.feed_state(db, service.scope_for_oversight(), replace(settings, feed_uid_domain="x.vn"), NOW).etag


def test_the_window_keeps_open_tasks_and_drops_old_done_ones(db, settings):
    s = db
    t = s.exec(select(Task).where(Task.key == "337/once-old")).one()
    with_open_old = calendar_for_all(s, settings, NOW)
    assert b"337%2Fonce-old@" in with_open_old  # due in 2012 but still open: shown whatever its date
    mark_done(s, t, "once", ALICE, datetime(2012, 6, 10, 9, 0, tzinfo=VN))
    s.commit()
    assert t.id not in service.task_ids(s, service.scope_for_oversight(), settings, NOW.date())
    assert t.id in service.task_ids(s, service.scope_for_oversight(), settings, NOW.date(), window=False)
    assert t.id in service.task_ids(s, service.scope_for_oversight(), replace(settings, feed_window_months=0),
                                    NOW.date())
