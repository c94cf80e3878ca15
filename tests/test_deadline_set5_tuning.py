"""Deadline phrases of the shapes held-out set 5's first run misread (issue 25), as TUNING tests written after that
run, with examples of our own (no test reads bench/heldout/set5): a weekday's place in every month ("thứ Sáu cuối
cùng của mỗi tháng"), a week of a named month ("tuần đầu tiên của tháng 02/2027"), the start of a named quarter
("đầu quý I/2028": within its first month), a year a change is aimed at ("đến năm 2029 giảm 20% …": a target, not a
deadline), and the report day of the next quarter written "quý sau" / "quý kế tiếp" with no report named.
Issued Tuesday 01/12/2026."""

from __future__ import annotations

from datetime import date

import pytest

from core.deadline import DeadlineError, parse_deadline
from core.i18n import use_language
from tests.deadline_reading import reading as shared_reading

ISSUED = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def reading(text: str):
    return shared_reading(text, ISSUED)


# 1. a weekday's place in every month: that weekday, not the month's last day
@pytest.mark.parametrize("text, rrule, dues", [
    ("họp giao ban vào thứ Sáu cuối cùng của mỗi tháng", "FREQ=MONTHLY;BYDAY=-1FR",
     ["2026-12-25", "2027-01-29", "2027-02-26"]),
    ("kiểm tra hiện trường thứ Hai đầu tiên hằng tháng", "FREQ=MONTHLY;BYDAY=1MO",
     ["2026-12-07", "2027-01-04", "2027-02-01"]),
    ("ra quân dọn vệ sinh vào sáng Chủ nhật cuối hàng tháng", "FREQ=MONTHLY;BYDAY=-1SU",
     ["2026-12-27", "2027-01-31", "2027-02-28"]),
    ("tiếp công dân vào thứ Năm thứ hai của mỗi tháng", "FREQ=MONTHLY;BYDAY=2TH",
     ["2026-12-10", "2027-01-14", "2027-02-11"]),
    ("thu thap so lieu vao thu 6 cuoi cung hang thang", "FREQ=MONTHLY;BYDAY=-1FR",
     ["2026-12-25", "2027-01-29", "2027-02-26"]),
])
def test_a_weekdays_place_in_every_month_recurs_on_that_weekday(text, rrule, dues):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.rrule, dl.periods) == ("recurring", rrule, ("month",))
    assert reading(text) == dues


def test_a_weekday_every_week_is_still_weekly():
    assert parse_deadline("họp giao ban vào thứ Sáu hằng tuần", ISSUED).rrule == "FREQ=WEEKLY;BYDAY=FR"


# 2. a week of a named month: the week's seventh day (the last week: the month's last day)
@pytest.mark.parametrize("text, due", [
    ("hoàn thành trong tuần đầu tiên của tháng 02/2027", "2027-02-07"),
    ("tuần đầu tháng 4 năm 2027", "2027-04-07"),
    ("trong tuần thứ ba tháng 6/2027", "2027-06-21"),
    ("tuần thứ 2 của tháng 9/2027", "2027-09-14"),
    ("gửi báo cáo trong tuần cuối cùng của tháng 02/2028", "2028-02-29"),
    ("tuần cuối tháng 11/2027", "2027-11-30"),
    ("trong tuần đầu tháng 3", "2027-03-07"),       # no year: the next such week
    ("trong tuần thứ hai tháng 12", "2026-12-14"),  # this month's second week is still to come
])
def test_a_week_of_a_named_month_is_due_at_the_weeks_end(text, due):
    assert reading(text) == ("once", due)


def test_a_week_of_a_month_that_does_not_exist_is_refused():
    with pytest.raises(DeadlineError, match="no month 13"):
        parse_deadline("trong tuần đầu tháng 13/2027", ISSUED)


# 3. the start of a named quarter: within its first month
@pytest.mark.parametrize("text, due", [
    ("đầu quý I/2028", "2028-01-31"),
    ("triển khai vào đầu quý 4 năm 2027", "2027-10-31"),
    ("đầu quý IV", "2027-10-31"),     # no year: 31/10/2026 has passed
    ("đầu quý", "2027-01-31"),        # the next quarter's first month
    ("cuối quý I/2028", "2028-03-31"),
    ("quý III/2027", "2027-09-30"),
    ("đầu tháng 4/2027", "2027-04-01"),  # a month's start stays its first day (Civil Code Art. 146)
    ("đầu năm 2028", "2028-01-01"),
])
def test_the_start_of_a_quarter_is_due_at_the_end_of_its_first_month(text, due):
    assert reading(text) == ("once", due)


def test_mid_quarter_still_has_no_fixed_day():
    with pytest.raises(DeadlineError, match="mid-quarter"):
        parse_deadline("giữa quý III/2027", ISSUED)


# 4. a year a change is aimed at is a target, not a deadline
@pytest.mark.parametrize("text", [
    "phấn đấu đến năm 2029 giảm 20% số vụ vi phạm hành lang an toàn giao thông",
    "đến năm 2030, nâng tỷ lệ hộ dân được cấp nước sạch lên 95%",
    "phấn đấu đến năm 2029 tăng gấp ba số hợp tác xã nông nghiệp",
    "đến năm 2030 đưa tỷ lệ hộ nghèo đa chiều xuống còn dưới 1%",
    "phấn đấu đến năm 2028 rút ngắn một nửa thời gian giải quyết thủ tục",
    "giảm 15% lượng rác thải chôn lấp vào năm 2029",
])
def test_the_year_of_a_change_to_reach_is_a_target(text):
    with pytest.raises(DeadlineError, match="target"):
        parse_deadline(text, ISSUED)


def test_the_target_is_explained_in_vietnamese():
    with use_language("vi"), pytest.raises(DeadlineError, match="năm của một chỉ tiêu"):
        parse_deadline("phấn đấu đến năm 2029 giảm 20% số vụ vi phạm", ISSUED)


@pytest.mark.parametrize("text, due", [
    ("phấn đấu đến năm 2028", "2028-12-31"),
    ("phấn đấu đến năm 2027 hoàn thành việc sắp xếp trụ sở", "2027-12-31"),
    ("đến năm 2027 tăng cường kiểm tra các cơ sở khai thác", "2027-12-31"),
    # the change is one clause, the year belongs to the next: when the work is finished
    ("giảm 10% chi hành chính, hoàn thành trong năm 2027", "2027-12-31"),
])
def test_a_year_without_a_change_to_reach_is_still_its_end(text, due):
    assert reading(text) == ("once", due)


# 5. the report day of the next quarter, whatever word says "next": every quarter
@pytest.mark.parametrize("text", [
    "tổng hợp số liệu, gửi Sở Tài chính trước ngày 12 của tháng đầu quý sau",
    "chậm nhất ngày 12 của tháng đầu quý kế tiếp",
    "trước ngày 12 của tháng đầu tiên quý tiếp theo",
])
def test_a_day_of_the_next_quarter_recurs_every_quarter(text):
    assert reading(text) == ["2027-01-12", "2027-04-12", "2027-07-12"]


@pytest.mark.parametrize("text, dues", [
    ("Báo cáo tháng gửi trước ngày 06 của tháng kế tiếp", ["2026-12-06", "2027-01-06", "2027-02-06"]),
    ("báo cáo tháng gửi trước ngày 06 của tháng sau", ["2026-12-06", "2027-01-06", "2027-02-06"]),
    ("Báo cáo năm gửi chậm nhất ngày 20 tháng 01 năm kế tiếp", ["2027-01-20", "2028-01-20", "2029-01-20"]),
    ("Báo cáo năm gửi chậm nhất ngày 20 tháng 01 của năm sau", ["2027-01-20", "2028-01-20", "2029-01-20"]),
])
def test_next_month_and_next_year_of_a_report_read_alike(text, dues):
    assert reading(text) == dues


def test_next_month_alone_is_still_one_day():
    assert reading("trước ngày 06 của tháng kế tiếp") == ("once", "2027-01-06")


# the same places, of a named month or of every month
@pytest.mark.parametrize("text, due", [
    ("tổ chức ra quân vào Chủ nhật cuối cùng của tháng 01/2027", "2027-01-31"),
    ("thứ Hai đầu tiên của tháng 3 năm 2027", "2027-03-01"),
    ("họp vào thứ Tư thứ hai tháng 6/2027", "2027-06-09"),
    ("thứ Sáu cuối cùng tháng 12", "2026-12-25"),  # no year: this month's is still to come
    ("thứ Sáu tuần cuối tháng 01/2027", "2027-01-29"),  # the last week's Friday: the month's last Friday
])
def test_a_weekdays_place_in_a_named_month_is_that_day(text, due):
    assert reading(text) == ("once", due)


@pytest.mark.parametrize("text, rrule, dues", [
    ("báo cáo nhanh trong tuần đầu hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=7", ["2026-12-07", "2027-01-07", "2027-02-07"]),
    ("cập nhật dữ liệu trong tuần thứ hai của mỗi tháng", "FREQ=MONTHLY;BYMONTHDAY=14",
     ["2026-12-14", "2027-01-14", "2027-02-14"]),
    ("tuần cuối cùng của mỗi tháng", "FREQ=MONTHLY;BYMONTHDAY=-1", ["2026-12-31", "2027-01-31", "2027-02-28"]),
])
def test_a_week_of_every_month_recurs_at_the_weeks_end(text, rrule, dues):
    assert parse_deadline(text, ISSUED).rrule == rrule
    assert reading(text) == dues


@pytest.mark.parametrize("text", ["thứ Hai thứ năm hằng tháng", "trong tuần thứ 5 của mỗi tháng"])
def test_a_fifth_week_or_weekday_of_every_month_is_refused(text):
    with pytest.raises(DeadlineError, match="not every month has a fifth"):
        parse_deadline(text, ISSUED)


@pytest.mark.parametrize("text, due", [
    ("Chủ nhật thứ năm của tháng 8/2027", "2027-08-29"),  # August 2027 has five Sundays
    ("tuần thứ 5 của tháng 5/2027", "2027-05-31"),        # the days after the 28th
])
def test_a_fifth_week_or_weekday_of_a_named_month_is_read_where_it_exists(text, due):
    assert reading(text) == ("once", due)


@pytest.mark.parametrize("text, says", [
    ("thứ Hai thứ năm của tháng 2/2027", "only four"),
    ("tuần thứ năm của tháng 2/2027", "no fifth week"),
])
def test_a_fifth_week_or_weekday_a_named_month_lacks_is_refused(text, says):
    with pytest.raises(DeadlineError, match=says):
        parse_deadline(text, ISSUED)


@pytest.mark.parametrize("text, says", [
    ("thứ Hai thứ năm hằng tháng", "không phải tháng nào cũng có"),
    ("thứ Hai thứ năm của tháng 2/2027", "chỉ có bốn"),
    ("tuần thứ năm của tháng 2/2027", "chỉ có 28 ngày"),
])
def test_a_fifth_week_or_weekday_is_refused_in_vietnamese(text, says):
    with use_language("vi"), pytest.raises(DeadlineError, match=says):
        parse_deadline(text, ISSUED)


@pytest.mark.parametrize("text, rrule", [
    ("họp vào thứ Hai tuần đầu tiên hằng tháng", "FREQ=MONTHLY;BYDAY=1MO"),   # the first week's Monday
    ("thứ Sáu của tuần cuối cùng mỗi tháng", "FREQ=MONTHLY;BYDAY=-1FR"),
    ("Hằng tháng, vào Chủ nhật cuối cùng", "FREQ=MONTHLY;BYDAY=-1SU"),        # the period first, then the day
    ("định kỳ mỗi tháng vào thứ Tư thứ hai", "FREQ=MONTHLY;BYDAY=2WE"),
])
def test_a_weekday_of_a_week_of_every_month_and_the_period_first(text, rrule):
    assert parse_deadline(text, ISSUED).rrule == rrule
