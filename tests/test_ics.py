"""The pure calendar renderer, read back by two independent readers: vobject (with validation) and
recurring-ical-events (expanding RRULEs, overrides and EXDATEs the way calendar apps do).

The helpers at the top (`check_octets`, `read_vobject`, `expand`) are shared by the other calendar tests.
"""

from __future__ import annotations

import random
from dataclasses import replace
import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject

from feeds.ics import (AlarmSpec, CalendarMeta, OccurrenceEntry, ProgressEntry, TaskEntry, assemble,
                       render_calendar, uid_for)
from core.deadline import parse_deadline

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2018, 5, 23, 2, 0, tzinfo=timezone.utc)
META = CalendarMeta(name="Đôn đốc — Sở Nội vụ")
LONG = ("Tham mưu UBND tỉnh xây dựng kế hoạch triển khai thực hiện Nghị quyết số 30c/NQ-CP của Chính phủ về "
        "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2011 - 2020; rà soát, đánh giá, báo cáo "
        "kết quả thực hiện công tác cải cách thủ tục hành chính, cơ chế một cửa, một cửa liên thông; đề xuất "
        "khen thưởng, kỷ luật người đứng đầu cơ quan, đơn vị chưa hoàn thành nhiệm vụ được giao.")


# -- shared helpers ---------------------------------------------------------------------------------------

def check_octets(data: bytes) -> list[bytes]:
    """Every line ends in CRLF, is at most 75 octets and is valid UTF-8 on its own (no character split by a
    fold). Returns the physical lines."""
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines), "bare CR or LF inside a line"
    for line in lines:
        assert len(line) <= 75, f"{len(line)} octets: {line!r}"
        line.decode("utf-8")  # raises UnicodeDecodeError if a fold split a multi-byte character
    return lines


def read_vobject(data: bytes):
    """Parse with vobject, validating every component (raises on an invalid calendar)."""
    cal = vobject.readOne(data.decode("utf-8"), validate=True)
    cal.validate(raiseException=True, complainUnrecognized=False)
    return cal


def expand(data: bytes, start: date, end: date, components=("VEVENT",)) -> list[tuple]:
    """(start date, UID, RECURRENCE-ID, SUMMARY) of every instance in [start, end), sorted.

    recurring-ical-events gives every instance a RECURRENCE-ID: the date the rule (or DTSTART) put it on."""
    cal = icalendar.Calendar.from_ical(data)
    out = []
    for c in recurring_ical_events.of(cal, components=list(components)).between(start, end):
        dt = c.get("DTSTART") or c.get("DUE")
        rid = c.get("RECURRENCE-ID")
        out.append((dt.dt if dt else None, str(c["UID"]), rid.dt if rid else None, str(c["SUMMARY"])))
    return sorted(out, key=lambda r: (r[0] or date.max, r[1]))


# -- builders ---------------------------------------------------------------------------------------------

def once(key="5099/1", due=date(2018, 6, 14), *, content="Rà soát thủ tục hành chính", state="open",
         completed_on=None, extended=None, effective=None, seq=2, occ_seq=0, updated=T0, occ_updated=None,
         progress=None, **kw) -> TaskEntry:
    in_force = extended or due
    occ = OccurrenceEntry("once", due, in_force, effective or in_force, state=state, completed_on=completed_on,
                          sequence=occ_seq, updated_at=occ_updated, progress=progress)
    kw.setdefault("lead_name", "Sở Nội vụ")
    return TaskEntry(key=key, content=content, kind="once", deadline_text=f"trước ngày {due:%d/%m/%Y}",
                     sequence=seq, updated_at=updated, occurrences=(occ,), **kw)


def quarterly(key="5099/2", *, occurrences=(), seq=5, issued=date(2018, 5, 23)) -> TaskEntry:
    dl = parse_deadline("định kỳ hàng quý", issued)
    return TaskEntry(key=key, content="Báo cáo kết quả cải cách hành chính", kind="recurring",
                     deadline_text="Định kỳ hàng quý", lead_name="Sở Nội vụ", sequence=seq, updated_at=T0,
                     occurrences=tuple(occurrences), rrule=dl.rrule, start=dl.start)


def occ(due: date, **kw) -> OccurrenceEntry:
    in_force = kw.pop("in_force", due)
    return OccurrenceEntry(due.isoformat(), due, in_force, kw.pop("effective", in_force), **kw)


def render(tasks, today=date(2018, 6, 1), **kw) -> bytes:
    kw.setdefault("meta", META)
    return render_calendar(tasks, today=today, **kw)


# -- once -------------------------------------------------------------------------------------------------

def test_once_task_is_one_all_day_event_both_readers_agree():
    t = once(coordinator_names=("Sở Tài chính", "Sở Tư pháp"), directive_number="5099/UBND-HCC",
             directive_issued=date(2018, 5, 23), directive_subject="Cải cách hành chính năm 2018",
             report_to="UBND tỉnh (qua Sở Nội vụ)")
    data = render([t])
    check_octets(data)
    assert b"DTSTART;VALUE=DATE:20180614\r\n" in data and b"DTEND;VALUE=DATE:20180615\r\n" in data

    cal = read_vobject(data)
    [ev] = cal.vevent_list
    assert ev.dtstart.value == date(2018, 6, 14) and ev.dtend.value == date(2018, 6, 15)
    assert ev.uid.value == "5099%2F1@dondoc" == uid_for("5099/1")
    assert ev.sequence.value == "2"
    assert ev.summary.value == "[Hạn] Rà soát thủ tục hành chính — Sở Nội vụ"
    desc = ev.description.value
    for part in ("Văn bản: 5099/UBND-HCC ngày 23/05/2018 — Cải cách hành chính năm 2018",
                 "Cơ quan chủ trì: Sở Nội vụ", "Cơ quan phối hợp: Sở Tài chính, Sở Tư pháp",
                 "Báo cáo về: UBND tỉnh (qua Sở Nội vụ)", "Thời hạn (theo văn bản): trước ngày 14/06/2018",
                 "Hạn: 14/06/2018"):
        assert part in desc, part
    assert "Trạng thái" not in desc  # an open task's status follows the date: the calendar app shows the date
    assert "Hạn thực tế" not in desc  # 14/06/2018 is a Thursday

    assert expand(data, date(2018, 1, 1), date(2019, 1, 1)) == [
        (date(2018, 6, 14), "5099%2F1@dondoc", date(2018, 6, 14), "[Hạn] Rà soát thủ tục hành chính — Sở Nội vụ")]


def test_text_does_not_follow_today_and_effective_deadline_is_explained():
    # 30/6/2018 is a Saturday: the deadline in force ends on Monday 2/7 (Art. 148(5)).
    t = once(due=date(2018, 6, 30), effective=date(2018, 7, 2), shift_rule=True)
    t = replace(t, occurrences=(OccurrenceEntry(
        "once", date(2018, 6, 30), date(2018, 6, 30), date(2018, 7, 2), day_off="Thứ bảy"),))
    soon = read_vobject(render([t], today=date(2018, 6, 29))).vevent.description.value
    assert "Hạn: 30/06/2018" in soon
    assert "Hạn thực tế: 02/07/2018 (30/06/2018 là ngày nghỉ: Thứ bảy)" in soon
    # Statuses "sắp đến hạn"/"quá hạn" would go stale in a saved file without a new SEQUENCE: the same data gives
    # the same text whatever the day (alarms aside), so SEQUENCE and LAST-MODIFIED change exactly when it does.
    days = [date(2018, 6, 1), date(2018, 6, 29), date(2018, 7, 1), date(2018, 7, 3), date(2019, 1, 1)]
    assert len({render([t], today=d) for d in days}) == 1
    assert "quá hạn" not in soon and "sắp đến hạn" not in soon


def test_extension_moves_the_event_and_says_from_where():
    t = once(extended=date(2018, 7, 16), occ_seq=2, seq=4, occ_updated=T0 + timedelta(days=10))
    data = render([t])
    ev = read_vobject(data).vevent
    assert ev.dtstart.value == date(2018, 7, 16) and ev.dtend.value == date(2018, 7, 17)
    assert "Hạn: 16/07/2018" in ev.description.value
    assert "Đã gia hạn, hạn ban đầu: 14/06/2018" in ev.description.value
    assert ev.sequence.value == "4"
    assert ev.dtstamp.value == T0 + timedelta(days=10)  # the occurrence's change is the last change
    assert [r[0] for r in expand(data, date(2018, 1, 1), date(2019, 1, 1))] == [date(2018, 7, 16)]


def test_done_tasks_keep_a_check_mark_for_keep_done_days_then_disappear():
    t = once(state="done", completed_on=date(2018, 6, 10), occ_seq=1,
             progress=ProgressEntry(80, "Đã trình dự thảo", "Nguyễn Thị A", T0 + timedelta(days=3)))
    kept = render([t], today=date(2018, 7, 10), keep_done_days=30)  # 30 days after completion
    ev = read_vobject(kept).vevent
    assert ev.summary.value.startswith("✅ [Hạn] ")
    assert "Đã hoàn thành – đúng hạn (hoàn thành ngày 10/06/2018)" in ev.description.value
    assert "Tiến độ: 80% — Đã trình dự thảo (Nguyễn Thị A, 26/05/2018)" in ev.description.value
    assert not hasattr(ev, "valarm")  # nothing to remind of
    gone = render([t], today=date(2018, 7, 11), keep_done_days=30)
    assert b"BEGIN:VEVENT" not in gone
    read_vobject(gone)  # still a valid calendar


def test_english_texts():
    ev = read_vobject(render([once()], meta=CalendarMeta(name="dondoc — Department of Home Affairs", lang="en"))).vevent
    assert ev.summary.value == "[Due] Rà soát thủ tục hành chính — Sở Nội vụ"
    assert "Deadline as written: trước ngày 14/06/2018" in ev.description.value
    assert "Status" not in ev.description.value
    done = read_vobject(render([once(state="done", completed_on=date(2018, 6, 20))],
                               meta=CalendarMeta(name="dondoc", lang="en"))).vevent
    assert "Status: Done – late (completed on 20/06/2018)" in done.description.value


def test_coordinated_task_is_tagged():
    ev = read_vobject(render([once(role="coordinator", lead_name="Sở Tài chính")])).vevent
    assert ev.summary.value == "[Phối hợp] Rà soát thủ tục hành chính — Sở Tài chính"


def test_alarm_at_first_reminder_offset_and_local_time():
    data = render([once()], alarm=AlarmSpec(days_before=7, at=time(8, 0)))
    ev = read_vobject(data).vevent
    # 7 days before 14/6 at 08:00, relative to the all-day start at local midnight
    assert ev.valarm.trigger.value == timedelta(days=-6, hours=-16)
    assert ev.valarm.action.value == "DISPLAY"
    assert b"TRIGGER:-P6DT16H\r\n" in data
    assert b"BEGIN:VALARM" not in render([once()], alarm=None)


def test_calendar_properties():
    data = render([once()])
    for line in (b"NAME:\xc4\x90\xc3\xb4n \xc4\x91\xe1\xbb\x91c \xe2\x80\x94 S\xe1\xbb\x9f N\xe1\xbb\x99i v\xe1\xbb\xa5",
                 b"X-WR-CALNAME:", b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n", b"X-PUBLISHED-TTL:PT1H\r\n",
                 b"VERSION:2.0\r\n", b"PRODID:"):
        assert line in data, line
    # a published calendar, not an iTIP message: no METHOD (which would need an ORGANIZER on every event)
    assert b"METHOD" not in data and b"ORGANIZER" not in data
    cal = read_vobject(data)
    assert cal.contents["x-wr-calname"][0].value == "Đôn đốc — Sở Nội vụ"


# -- byte stability ---------------------------------------------------------------------------------------

def test_same_data_same_bytes_whatever_the_order_and_no_render_time_inside():
    tasks = [once(key=f"k{i}", due=date(2018, 6, 1) + timedelta(days=i % 7), content=f"Nhiệm vụ {i}")
             for i in range(20)] + [quarterly(occurrences=[occ(date(2018, 6, 30), state="done",
                                                                completed_on=date(2018, 6, 20), sequence=1,
                                                                updated_at=T0 + timedelta(days=28))])]
    a = render(tasks, today=date(2018, 6, 25))
    shuffled = tasks[:]
    random.Random(7).shuffle(shuffled)
    b = render(shuffled, today=date(2018, 6, 25))
    assert a == b
    # DTSTAMP and LAST-MODIFIED are the data's last change, identical pairs, never "now"
    cal = icalendar.Calendar.from_ical(a)
    for ev in cal.walk("VEVENT"):
        assert ev["DTSTAMP"].dt == ev["LAST-MODIFIED"].dt
        assert ev["DTSTAMP"].dt in (T0, T0 + timedelta(days=28))
    starts = [ev["DTSTART"].dt for ev in cal.walk("VEVENT") if "RECURRENCE-ID" not in ev]
    assert starts == sorted(starts)


def test_uids_are_stable_and_safe():
    assert uid_for("5099/UBND-HCC #3") == "5099%2FUBND-HCC%20%233@dondoc"
    assert uid_for("a.b_c-d~e", "2019-03-31") == "a.b_c-d~e-2019-03-31@dondoc"
    # NFD and NFC spellings of a key are one task
    assert uid_for(unicodedata.normalize("NFD", "Sở-1")) == uid_for("Sở-1")


# -- folding ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_long_vietnamese_text_folds_at_75_octets_without_splitting_a_character(form):
    content = unicodedata.normalize(form, LONG)
    t = once(content=content, coordinator_names=("Sở Thông tin và Truyền thông", "Ban Quản lý các khu công nghiệp"))
    data = render([t])
    lines = check_octets(data)
    assert any(line.startswith(b" ") for line in lines), "expected folded lines"
    assert max(len(line) for line in lines) >= 70  # folding uses the room it has
    nfc = unicodedata.normalize("NFC", LONG)
    ev = read_vobject(data).vevent
    assert ev.description.value.startswith("Nhiệm vụ: " + nfc)
    [inst] = expand(data, date(2018, 6, 1), date(2018, 7, 1))
    assert inst[3].startswith("[Hạn] Tham mưu UBND tỉnh") and inst[3].endswith("… — Sở Nội vụ")
    assert len(inst[3]) < 160
    # the summary is cut at a word boundary, the text before the cut is the content's beginning
    head = inst[3][len("[Hạn] "):inst[3].index("…")]
    assert nfc.startswith(head) and nfc[len(head)] in " ,;"


def test_folding_of_escaped_text_keeps_escapes_whole():
    content = ("Báo cáo; tổng hợp, đánh giá \\ kết quả; " * 12).strip()
    data = render([once(content=content)])
    check_octets(data)
    assert read_vobject(data).vevent.description.value.startswith("Nhiệm vụ: " + content)


# -- recurring --------------------------------------------------------------------------------------------

def test_recurring_task_is_one_rrule_expanding_to_the_deadline_occurrences():
    t = quarterly()
    data = render([t], today=date(2018, 6, 1))
    cal = read_vobject(data)
    [master] = cal.vevent_list
    assert master.dtstart.value == date(2018, 6, 30)
    # Outlook maps monthly rules only without BYMONTH: every third month from a quarter-end DTSTART
    assert parse_deadline("định kỳ hàng quý", date(2018, 5, 23)).rrule == "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"
    assert master.rrule.value == "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=3"
    want = parse_deadline("định kỳ hàng quý", date(2018, 5, 23)).occurrences(date(2018, 1, 1), date(2020, 12, 31))
    got = expand(data, date(2018, 1, 1), date(2021, 1, 1))
    assert [g[0] for g in got] == want == [date(2018, 6, 30), date(2018, 9, 30), date(2018, 12, 31),
                                           date(2019, 3, 31), date(2019, 6, 30), date(2019, 9, 30),
                                           date(2019, 12, 31), date(2020, 3, 31), date(2020, 6, 30),
                                           date(2020, 9, 30), date(2020, 12, 31)]
    assert {g[1] for g in got} == {"5099%2F2@dondoc"}
    # vobject's own expansion agrees
    vo = [d.date() for d in master.getrruleset().between(datetime(2018, 1, 1), datetime(2020, 12, 31, 23), inc=True)]
    assert vo == want
    assert "Mỗi kỳ có trạng thái riêng" in master.description.value


def test_recurring_overrides_for_moved_and_done_occurrences_and_exdate_for_old_ones():
    t = quarterly(occurrences=[
        # done long ago → EXDATE
        occ(date(2018, 6, 30), state="done", completed_on=date(2018, 6, 29), sequence=1, updated_at=T0),
        # done recently → ✅ override
        occ(date(2018, 9, 30), effective=date(2018, 10, 1), state="done", completed_on=date(2018, 10, 1),
            sequence=1, updated_at=T0 + timedelta(days=130), day_off="Chủ nhật"),
        # extended → moved override
        occ(date(2018, 12, 31), in_force=date(2019, 1, 15), sequence=2, updated_at=T0 + timedelta(days=140)),
    ], seq=9)
    data = render([t], today=date(2018, 10, 20), keep_done_days=30)
    check_octets(data)
    cal = read_vobject(data)
    master, *overrides = cal.vevent_list
    assert master.exdate.value == [date(2018, 6, 30)]
    assert master.sequence.value == "9"
    by_rid = {o.recurrence_id.value: o for o in overrides}
    assert set(by_rid) == {date(2018, 9, 30), date(2018, 12, 31)}
    done, moved = by_rid[date(2018, 9, 30)], by_rid[date(2018, 12, 31)]
    assert done.summary.value.startswith("✅ ") and done.sequence.value == "10"
    assert "Hạn thực tế: 01/10/2018 (30/09/2018 là ngày nghỉ: Chủ nhật)" in done.description.value
    assert moved.dtstart.value == date(2019, 1, 15) and moved.sequence.value == "11"
    assert moved.dtstamp.value == T0 + timedelta(days=140)
    assert all(o.uid.value == master.uid.value for o in overrides)

    got = expand(data, date(2018, 1, 1), date(2019, 7, 1))
    assert [(g[0], g[2]) for g in got] == [
        (date(2018, 9, 30), date(2018, 9, 30)),
        (date(2019, 1, 15), date(2018, 12, 31)),
        (date(2019, 3, 31), date(2019, 3, 31)),
        (date(2019, 6, 30), date(2019, 6, 30)),
    ]
    assert got[0][3].startswith("✅ ") and not got[1][3].startswith("✅")


# -- to-dos -----------------------------------------------------------------------------------------------

def test_todo_calendar_for_thunderbird():
    cont = TaskEntry(key="337/5", content="Thường xuyên kiểm tra, đôn đốc", kind="continuous",
                     deadline_text="Thường xuyên", lead_name="Sở Nội vụ", sequence=1, updated_at=T0,
                     occurrences=(OccurrenceEntry("continuous", None, None, None),))
    done = once(key="a", state="done", completed_on=date(2018, 6, 12), occ_seq=1,
                occ_updated=datetime(2018, 6, 12, 3, 30, tzinfo=timezone.utc))
    going = once(key="b", progress=ProgressEntry(40, None, "Trần B", T0 + timedelta(days=1)), occ_seq=1,
                 occ_updated=T0 + timedelta(days=1))
    rec = quarterly(occurrences=[occ(date(2018, 6, 30))])
    events = render([cont, done, going, rec], today=date(2018, 6, 20))
    assert b"337%2F5" not in events  # a continuous task has no date: no event
    data = render([cont, done, going, rec], today=date(2018, 6, 20), todo=True, alarm=AlarmSpec(3))
    check_octets(data)
    cal = read_vobject(data)
    todos = {t.uid.value: t for t in cal.vtodo_list}
    assert set(todos) == {"337%2F5-continuous@dondoc", "a-once@dondoc", "b-once@dondoc",
                          "5099%2F2-2018-06-30@dondoc"}
    c = todos["337%2F5-continuous@dondoc"]
    assert not hasattr(c, "due") and c.status.value == "NEEDS-ACTION"
    assert "Thường xuyên (không có hạn)" in c.description.value and "Không có hạn" in c.description.value
    a = todos["a-once@dondoc"]
    assert (a.status.value, a.percent_complete.value) == ("COMPLETED", "100")
    assert a.completed.value == datetime(2018, 6, 12, 3, 30, tzinfo=timezone.utc)
    assert a.due.value == date(2018, 6, 14)
    b = todos["b-once@dondoc"]
    assert (b.status.value, b.percent_complete.value) == ("IN-PROCESS", "40")
    assert not hasattr(b, "valarm")  # its alarm (11/6, 08:00) has passed on 20/6: none, rather than a "missed" one
    r = todos["5099%2F2-2018-06-30@dondoc"]
    assert r.summary.value.endswith("(30/06/2018)") and r.due.value == date(2018, 6, 30)
    assert r.valarm.trigger.value == timedelta(days=-2, hours=-16)  # 27/6 08:00, still ahead
    assert r.valarm.trigger.params["RELATED"] == ["END"]
    got = expand(data, date(2018, 1, 1), date(2019, 1, 1), components=("VTODO",))
    # recurring-ical-events counts an undated to-do as current in any window
    assert "337%2F5-continuous@dondoc" in [g[1] for g in got]
    assert [(g[0], g[1]) for g in got if g[1] != "337%2F5-continuous@dondoc"] == [(date(2018, 6, 14), "a-once@dondoc"), (date(2018, 6, 14), "b-once@dondoc"),
                                           (date(2018, 6, 30), "5099%2F2-2018-06-30@dondoc")]


# -- time zones -------------------------------------------------------------------------------------------

def test_no_vtimezone_when_every_value_is_a_date_or_utc():
    data = render([once(), quarterly()])
    assert b"TZID" not in data and b"VTIMEZONE" not in data


def test_empty_calendar_is_still_valid_with_the_vtimezone():
    data = render([])
    assert b"BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n" in data
    assert render([]) == data
    read_vobject(data)
    assert expand(data, date(2018, 1, 1), date(2019, 1, 1)) == []


def test_a_timed_value_brings_its_vtimezone():
    ev = icalendar.Event()
    ev.add("uid", "x@dondoc")
    ev.add("dtstamp", T0)
    ev.add("dtstart", datetime(2018, 6, 14, 17, 0, tzinfo=VN))
    ev.add("summary", "Họp giao ban")
    data = assemble(META, [ev.to_ical()])
    assert data.count(b"BEGIN:VTIMEZONE") == 1
    assert b"BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh" in data
    assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")
    assert b"DTSTART;TZID=Asia/Ho_Chi_Minh:20180614T170000" in data
    parsed = read_vobject(data)
    assert parsed.vevent.dtstart.value.utcoffset() == timedelta(hours=7)
    [inst] = expand(data, date(2018, 6, 1), date(2018, 7, 1))
    assert inst[0] == datetime(2018, 6, 14, 17, 0, tzinfo=VN)


def test_several_schedules_are_written_period_by_period():
    """A deadline with several rules (Deadline.rrules: "hằng tháng và báo cáo năm trước 15/12") has one state per
    period: no single RRULE carries it, so each period is its own event — the union of the rules' dates."""
    monthly, yearly = "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15"
    t = replace(quarterly(), rrule=monthly, rrules=(monthly, yearly), start=date(2018, 6, 30),
                occurrences=(occ(date(2018, 6, 30), state="done", completed_on=date(2018, 6, 28)),))
    data = render([t], today=date(2018, 7, 1))
    cal = read_vobject(data)
    assert not any(hasattr(e, "rrule") for e in cal.vevent_list)
    got = [g[0] for g in expand(data, date(2018, 6, 1), date(2019, 1, 1))]
    assert got == [date(2018, 6, 30), date(2018, 7, 31), date(2018, 8, 31), date(2018, 9, 30), date(2018, 10, 31),
                   date(2018, 11, 30), date(2018, 12, 15), date(2018, 12, 31)]
    done = [e for e in cal.vevent_list if e.dtstart.value == date(2018, 6, 30)][0]
    assert done.summary.value.startswith("✅") and done.uid.value == "5099%2F2-2018-06-30@dondoc"
