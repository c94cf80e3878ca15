"""Calendars built from the database: which tasks an agency, a chat or oversight sees, what actions change,
and the feed validator (ETag / Last-Modified) that must change exactly when the calendar may have."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session

from feeds import service
from feeds.service import (FeedNotFound, calendar_for_agency, calendar_for_all, calendar_for_binding, feed_state,
                           scope_for_agency, scope_for_binding)
from storage.actions import Actor, decide_extension, mark_done, record_progress, request_extension
from storage.tables import Task
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.test_ics import check_octets, expand, read_vobject

ALICE = Actor("Nguyễn Thị A", "1001", "telegram")
BOSS = Actor("Trần Văn B", "2002", "telegram")
T0 = datetime(2018, 5, 23, 9, 0, tzinfo=VN)


@pytest.fixture
def settings(settings):
    """The feeds published as https://lich.example.gov.vn: UIDs end in @lich.example.gov.vn (FEED_UID_DOMAIN's
    default, the host of FEED_BASE_URL)."""
    from dataclasses import replace as _replace

    return _replace(settings, feed_base_url="https://lich.example.gov.vn")


@pytest.fixture
def db(engine):
    with Session(engine, expire_on_commit=False) as s:
        d = make_directive(s, now=T0, subject="Triển khai cải cách hành chính năm 2018")
        make_task(s, key="5099/1", deadline_text="trước ngày 14/6/2018", now=T0, directive=d,
                  content="Rà soát thủ tục hành chính", coordinators=["so-tai-chinh"])
        make_task(s, key="5099/2", deadline_text="định kỳ hàng quý", now=T0, directive=d,
                  content="Báo cáo kết quả cải cách hành chính", position=1)
        make_task(s, key="5099/3", deadline_text="Thường xuyên", now=T0, directive=d,
                  content="Kiểm tra, đôn đốc", position=2)
        make_task(s, key="5099/4", deadline_text="trước ngày 30/6/2018", now=T0, directive=d, lead="so-tai-chinh",
                  content="Bố trí kinh phí", position=3)
        make_task(s, key="5099/5", deadline_text="trước ngày 20/6/2018", now=T0, directive=d, lead="so-tu-phap",
                  content="Thẩm định văn bản", position=4, coordinators=["so-noi-vu"])
        s.commit()
        yield s


def task(s: Session, key: str) -> Task:
    from sqlmodel import select

    return s.exec(select(Task).where(Task.key == key)).one()


def uids(data: bytes, comp="vevent") -> set[str]:
    return {c.uid.value for c in getattr(read_vobject(data), f"{comp}_list", [])}


def test_agency_calendar_has_what_it_leads_and_coordinates(db, settings):
    data = calendar_for_agency(db, "so-noi-vu", settings, T0)
    check_octets(data)
    cal = read_vobject(data)
    by_uid = {}
    for ev in cal.vevent_list:
        by_uid.setdefault(ev.uid.value, []).append(ev)
    assert set(by_uid) == {"5099%2F1@lich.example.gov.vn", "5099%2F2@lich.example.gov.vn", "5099%2F5@lich.example.gov.vn"}  # not 5099/4, no continuous
    [t1] = by_uid["5099%2F1@lich.example.gov.vn"]
    assert t1.summary.value == "[Hạn] Rà soát thủ tục hành chính — Sở Nội vụ"
    assert "Cơ quan phối hợp: Sở Tài chính" in t1.description.value
    assert "Văn bản: 5099/UBND-HCC ngày 23/05/2018 — Triển khai cải cách hành chính năm 2018" in t1.description.value
    [t5] = by_uid["5099%2F5@lich.example.gov.vn"]
    assert t5.summary.value == "[Phối hợp] Thẩm định văn bản — Sở Tư pháp"
    assert cal.contents["x-wr-calname"][0].value == "Đôn đốc — Sở Nội vụ"
    # the recurring task: master + its next period (30/6) as an override carrying its status
    master, nxt = by_uid["5099%2F2@lich.example.gov.vn"]
    assert master.dtstart.value == date(2018, 6, 30) and "FREQ=MONTHLY" in master.rrule.value
    assert nxt.recurrence_id.value == date(2018, 6, 30)
    assert "Hạn: 30/06/2018" in nxt.description.value and "Trạng thái" not in nxt.description.value
    got = expand(data, date(2018, 5, 1), date(2019, 1, 1))
    assert [(g[0], g[1]) for g in got] == [
        (date(2018, 6, 14), "5099%2F1@lich.example.gov.vn"), (date(2018, 6, 20), "5099%2F5@lich.example.gov.vn"),
        (date(2018, 6, 30), "5099%2F2@lich.example.gov.vn"), (date(2018, 9, 30), "5099%2F2@lich.example.gov.vn"),
        (date(2018, 12, 31), "5099%2F2@lich.example.gov.vn")]

    # the continuous task is in the to-do calendar
    todos = uids(calendar_for_agency(db, "so-noi-vu", settings, T0, todo=True), "vtodo")
    assert todos == {"5099%2F1-once@lich.example.gov.vn", "5099%2F2-2018-06-30@lich.example.gov.vn", "5099%2F3-continuous@lich.example.gov.vn",
                     "5099%2F5-once@lich.example.gov.vn"}


def test_oversight_calendar_has_every_agency(db, settings):
    assert uids(calendar_for_all(db, settings, T0)) == {f"5099%2F{i}@lich.example.gov.vn" for i in (1, 2, 4, 5)}


def test_actions_show_up_with_higher_sequence(db, settings):
    def event(data, uid="5099%2F1@lich.example.gov.vn"):
        [ev] = [e for e in read_vobject(data).vevent_list if e.uid.value == uid]
        return ev

    before = event(calendar_for_agency(db, "so-noi-vu", settings, T0))
    t = task(db, "5099/1")
    later = T0 + timedelta(days=3)
    record_progress(db, t, "once", 60, "Đã có dự thảo", ALICE, later)
    db.commit()
    ev = event(calendar_for_agency(db, "so-noi-vu", settings, later))
    assert int(ev.sequence.value) > int(before.sequence.value)
    assert "Tiến độ: 60% — Đã có dự thảo (Nguyễn Thị A, 26/05/2018)" in ev.description.value
    assert ev.dtstamp.value == later and ev.last_modified.value == later

    ext = request_extension(db, t, "once", date(2018, 6, 29), "Chờ ý kiến các sở", ALICE, later)
    db.commit()
    ev = event(calendar_for_agency(db, "so-noi-vu", settings, later))
    assert "Đang xin gia hạn đến: 29/06/2018" in ev.description.value
    decide_extension(db, ext, True, BOSS, later + timedelta(hours=2))
    db.commit()
    ev2 = event(calendar_for_agency(db, "so-noi-vu", settings, later))
    assert ev2.dtstart.value == date(2018, 6, 29) and int(ev2.sequence.value) > int(ev.sequence.value)
    assert "Đã gia hạn, hạn ban đầu: 14/06/2018" in ev2.description.value

    mark_done(db, t, "once", ALICE, datetime(2018, 6, 20, 10, tzinfo=VN))
    db.commit()
    done_at = datetime(2018, 6, 20, 12, tzinfo=VN)
    ev3 = event(calendar_for_agency(db, "so-noi-vu", settings, done_at))
    assert ev3.summary.value.startswith("✅ ") and int(ev3.sequence.value) > int(ev2.sequence.value)
    # FEED_KEEP_DONE_DAYS (30) after completion it is gone
    assert "5099%2F1@lich.example.gov.vn" in uids(calendar_for_agency(db, "so-noi-vu", settings, done_at + timedelta(days=30)))
    assert "5099%2F1@lich.example.gov.vn" not in uids(calendar_for_agency(db, "so-noi-vu", settings, done_at + timedelta(days=31)))


def test_recurring_extension_moves_one_period(db, settings):
    t = task(db, "5099/2")
    now = datetime(2018, 6, 25, 9, tzinfo=VN)
    ext = request_extension(db, t, "2018-06-30", date(2018, 7, 10), "Số liệu chưa đủ", ALICE, now)
    decide_extension(db, ext, True, BOSS, now)
    db.commit()
    data = calendar_for_agency(db, "so-noi-vu", settings, now)
    got = [(g[0], g[2]) for g in expand(data, date(2018, 6, 1), date(2018, 12, 1)) if g[1] == "5099%2F2@lich.example.gov.vn"]
    assert got == [(date(2018, 7, 10), date(2018, 6, 30)), (date(2018, 9, 30), date(2018, 9, 30))]


def test_removed_task_disappears(db, settings):
    t = task(db, "5099/1")
    t.removed_at = T0 + timedelta(days=1)
    db.add(t)
    db.commit()
    assert "5099%2F1@lich.example.gov.vn" not in uids(calendar_for_agency(db, "so-noi-vu", settings, T0 + timedelta(days=1)))


def test_binding_calendar_follows_the_chat(db, settings):
    focal = make_binding(db, chat_id=-100, agency="so-noi-vu", role="focal", now=T0, language="en")
    over = make_binding(db, chat_id=-200, agency="so-noi-vu", role="oversight", now=T0)
    db.commit()
    f = read_vobject(calendar_for_binding(db, focal.id, settings, T0))
    assert f.vevent_list[0].summary.value.startswith("[Due] ")
    assert {e.uid.value for e in f.vevent_list} == {"5099%2F1@lich.example.gov.vn", "5099%2F2@lich.example.gov.vn", "5099%2F5@lich.example.gov.vn"}
    assert uids(calendar_for_binding(db, over.id, settings, T0)) == {f"5099%2F{i}@lich.example.gov.vn" for i in (1, 2, 4, 5)}
    over.active = False
    db.add(over)
    db.commit()
    with pytest.raises(FeedNotFound):
        scope_for_binding(db, over.id)
    with pytest.raises(FeedNotFound):
        scope_for_binding(db, 9999)


def test_output_is_byte_stable(db, settings):
    a = calendar_for_agency(db, "so-noi-vu", settings, T0)
    b = calendar_for_agency(db, "so-noi-vu", settings, T0 + timedelta(hours=5))  # same day, nothing changed
    assert a == b


# -- the validator ----------------------------------------------------------------------------------------

def test_feed_state_is_computed_without_rendering(db, settings, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("rendered")

    monkeypatch.setattr(service, "render_calendar", boom)
    monkeypatch.setattr(service, "load_entries", boom)
    st = feed_state(db, scope_for_agency("so-noi-vu"), settings, T0)
    assert st.etag.startswith('W/"') and st.last_modified.tzinfo is not None


def test_feed_state_changes_exactly_when_the_calendar_may(db, settings):
    scope = scope_for_agency("so-noi-vu")
    s0 = feed_state(db, scope, settings, T0)
    assert feed_state(db, scope, settings, T0 + timedelta(hours=3)) == s0  # same day, no change
    assert feed_state(db, scope, settings, T0, todo=True).etag != s0.etag
    assert feed_state(db, scope_for_agency("so-tai-chinh"), settings, T0).etag != s0.etag
    # a new local day: statuses and the keep-done window move
    next_day = feed_state(db, scope, settings, datetime(2018, 5, 24, 0, 1, tzinfo=VN))
    assert next_day.etag != s0.etag
    assert next_day.last_modified == datetime(2018, 5, 24, tzinfo=VN)
    # settings that change the output
    from dataclasses import replace

    assert feed_state(db, scope, replace(settings, language="en"), T0).etag != s0.etag
    assert feed_state(db, scope, replace(settings, feed_keep_done_days=7), T0).etag != s0.etag

    # an action on one of the agency's tasks
    later = T0 + timedelta(hours=1)
    record_progress(db, task(db, "5099/1"), "once", 10, None, ALICE, later)
    db.commit()
    s1 = feed_state(db, scope, settings, later)
    assert s1.etag != s0.etag and s1.last_modified == later.replace(microsecond=0)
    # ... on a task of another agency the agency does not coordinate: the same ETag; Last-Modified may move on
    # (it cannot tell a task that left this feed from one that never was in it)
    record_progress(db, task(db, "5099/4"), "once", 10, None, ALICE, later + timedelta(minutes=5))
    db.commit()
    other = feed_state(db, scope, settings, later)
    assert other.etag == s1.etag and other.last_modified >= s1.last_modified
    # removing a task changes it
    t = task(db, "5099/5")
    t.removed_at = later + timedelta(minutes=10)
    db.add(t)
    db.commit()
    s2 = feed_state(db, scope, settings, later)
    assert s2.etag != s1.etag and s2.last_modified == (later + timedelta(minutes=10)).replace(microsecond=0)


def test_agencies_file_content_changes_the_names_and_the_etag(db, settings, tmp_path):
    from dataclasses import replace

    f = tmp_path / "agencies.yaml"
    f.write_text("agencies:\n  - code: so-noi-vu\n    name: Sở Nội vụ tỉnh Đồng Nai\n", encoding="utf-8")
    s1 = replace(settings, agencies_file=f)
    st1 = feed_state(db, scope_for_agency("so-noi-vu"), s1, T0)
    assert "— Sở Nội vụ tỉnh Đồng Nai" in read_vobject(calendar_for_agency(db, "so-noi-vu", s1, T0)).vevent.summary.value
    f.write_text("agencies:\n  - code: so-noi-vu\n    name: Sở Nội vụ tỉnh Nam Định (mới)\n", encoding="utf-8")
    st2 = feed_state(db, scope_for_agency("so-noi-vu"), s1, T0)
    assert st2.etag != st1.etag
    assert "— Sở Nội vụ tỉnh Nam Định (mới)" in read_vobject(calendar_for_agency(db, "so-noi-vu", s1, T0)).vevent.summary.value


def test_a_feed_rendered_again_after_one_change_writes_only_that_tasks_batch(db, settings, monkeypatch):
    """Batches are memoised by the rows they were rendered from: after one change only the changed task's batch
    is written again, and the result is byte for byte a fresh rendering."""
    monkeypatch.setattr(service, "BATCH", 2)
    service._memo.clear()
    written = []
    real = service._entries
    monkeypatch.setattr(service, "_entries", lambda s, b, *a, **k: written.append(list(b.ids)) or real(s, b, *a, **k))
    first = calendar_for_all(db, settings, T0)
    assert len(written) == 3  # 5 tasks, 2 at a time
    written.clear()
    assert calendar_for_all(db, settings, T0) == first and written == []  # nothing changed: nothing written
    record_progress(db, task(db, "5099/5"), "once", 40, None, ALICE, T0 + timedelta(hours=1))
    db.commit()
    again = calendar_for_all(db, settings, T0 + timedelta(hours=1))
    assert len(written) == 1 and task(db, "5099/5").id in written[0]
    service._memo.clear()
    assert calendar_for_all(db, settings, T0 + timedelta(hours=1)) == again != first
    # another day is another calendar (alarms, the windows): every batch is written again
    written.clear()
    calendar_for_all(db, settings, T0 + timedelta(days=1))
    assert len(written) == 3


def test_a_renamed_agency_is_renamed_in_memoised_batches(db, settings):
    """A province's name for an agency lives in the database (dondoc agencies --rename): the batch memo must
    not serve the old name."""
    from sqlmodel import select

    from storage.tables import Agency

    service._memo.clear()
    first = calendar_for_all(db, settings, T0).decode()
    lead = task(db, "5099/5").lead_agency
    agency = db.exec(select(Agency).where(Agency.code == lead)).first()
    if agency is None:
        agency = Agency(code=lead, name=lead)
    agency.name = "Sở Nội vụ tỉnh Lạng Sơn"
    db.add(agency)
    db.commit()
    again = calendar_for_all(db, settings, T0).decode().replace("\r\n ", "")
    assert "Sở Nội vụ tỉnh Lạng Sơn" not in first.replace("\r\n ", "") and "Sở Nội vụ tỉnh Lạng Sơn" in again
