"""Deadline phrases of the shapes held-out set 7's first run misread (issue 25), as TUNING tests written after that
run, with examples of our own (no test reads bench/heldout/set7): a half-year or yearly report whose day has no
year (yearly), a plan or budget estimate to reach for a year ("đạt kế hoạch … năm 2027 được giao": by the year's
end), a daily duty with an hour and an open end ("trước 15 giờ hằng ngày cho đến khi …": daily from the issue
date), a dash range after "từ ngày", a count of days from an event the text cannot date (refused with the reason),
and months or quarters listed with the year written once (not adjacent: due at each one's end). Issued Thursday
10/12/2026."""

from __future__ import annotations

from datetime import date

import pytest

from core.deadline import Deadline, DeadlineError, parse_deadline
from core.i18n import use_language
from tests.deadline_reading import dues as shared_dues

ISSUED = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def dues(text: str, n: int = 5) -> list[str]:
    return shared_dues(text, ISSUED, n)


# 1. a named half-year or yearly report, its day written without a year: every year on that day
@pytest.mark.parametrize("text, expect", [
    ("báo cáo 6 tháng đầu năm gửi Sở Nội vụ trước ngày 10 tháng 7", ["2027-07-10", "2028-07-10", "2029-07-10"]),
    ("Báo cáo sơ kết 6 tháng đầu năm gửi trước ngày 20/6", ["2027-06-20", "2028-06-20", "2029-06-20"]),
    ("báo cáo 6 tháng cuối năm gửi chậm nhất ngày 15/12", ["2026-12-15", "2027-12-15", "2028-12-15"]),
    ("bao cao 6 thang dau nam gui truoc ngay 08 thang 7", ["2027-07-08", "2028-07-08", "2029-07-08"]),
    ("báo cáo năm gửi trước ngày 20 tháng 01", ["2027-01-20", "2028-01-20", "2029-01-20"]),
])
def test_a_named_report_with_a_yearless_day_is_yearly(text, expect):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring"
    assert dues(text, 3) == expect
    assert Deadline.from_dict(dl.to_dict()) == dl


@pytest.mark.parametrize("text, due", [
    ("báo cáo 6 tháng đầu năm 2027 gửi trước ngày 10 tháng 7", date(2027, 7, 10)),  # that half-year's report, once
    ("báo cáo 6 tháng đầu năm nay gửi trước ngày 10/7/2027", date(2027, 7, 10)),
    ("gửi trước ngày 10 tháng 7", date(2027, 7, 10)),                                 # no report named: once
])
def test_a_report_of_a_written_year_or_none_named_stays_once(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)


# 2. a plan or a budget estimate to reach for a year: due at the year's end
@pytest.mark.parametrize("text, phrase", [
    ("thực hiện đạt kế hoạch thu ngân sách năm 2027 được giao", "đạt kế hoạch thu ngân sách năm 2027"),
    ("đạt 100% kế hoạch giải ngân vốn đầu tư công năm 2027", "đạt 100% kế hoạch giải ngân vốn đầu tư công năm 2027"),
    ("phấn đấu đạt dự toán thu nội địa năm 2027 được giao", "đạt dự toán thu nội địa năm 2027"),
    ("hoàn thành dự toán được giao năm 2027", "hoàn thành dự toán được giao năm 2027"),
    ("thuc hien dat ke hoach thu ngan sach nam 2027 duoc giao", "dat ke hoach thu ngan sach nam 2027"),
])
def test_a_plan_year_to_reach_is_due_at_its_end(text, phrase):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due, dl.matched) == ("once", date(2027, 12, 31), phrase)


@pytest.mark.parametrize("text", [
    "đạt 90% vào năm 2030",                            # a share to reach, no plan: a target
    "phấn đấu đến năm 2030 đạt 95% số xã có trạm",     # likewise
    "giá đất năm 2027 được giao cho địa phương",       # "giá đất" folds like "đạt": not a plan to reach
])
def test_a_target_or_a_passing_year_is_still_no_deadline(text):
    with pytest.raises(DeadlineError):
        parse_deadline(text, ISSUED)


# 3. daily with an hour, until an event ends: daily from the issue date, no UNTIL (the event is not a date)
@pytest.mark.parametrize("text", [
    "trước 15 giờ hằng ngày cho đến khi kết thúc đợt rét",
    "hằng ngày (trước 16 giờ) cho đến khi kết thúc đợt mưa lũ",
    "báo cáo Ban Chỉ huy trước 9 giờ 30 hằng ngày cho đến khi có thông báo mới",
    "hằng ngày, trước 17h cho đến khi nước rút",
    "truoc 15 gio hang ngay cho den khi bao tan",
])
def test_a_daily_report_with_an_hour_and_an_open_end_is_daily(text):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.rrule) == ("recurring", "FREQ=DAILY")
    assert dues(text, 3) == ["2026-12-10", "2026-12-11", "2026-12-12"]
    assert dl.occurrences(date(2030, 1, 1), date(2030, 1, 2)) == [date(2030, 1, 1), date(2030, 1, 2)]  # no end
    assert dl.period_of(date(2026, 12, 11)) == (date(2026, 12, 11), date(2026, 12, 11))
    assert Deadline.from_dict(dl.to_dict()) == dl


def test_the_open_end_is_part_of_the_daily_words():
    text = "Báo cáo Sở trước 15 giờ hằng ngày cho đến khi kết thúc đợt rét; ngoài giờ báo cáo qua điện thoại."
    assert parse_deadline(text, ISSUED).matched == "trước 15 giờ hằng ngày cho đến khi kết thúc đợt rét"


def test_every_day_without_an_hour_still_yields_to_a_one_off_day():
    # "hằng ngày" alone says how the work is done; the day to report is the issue date (set 6's reading)
    dl = parse_deadline("cập nhật tình hình hằng ngày, báo cáo Bộ ngay trong ngày", ISSUED)
    assert (dl.kind, dl.due) == ("once", ISSUED)


# 4. a dash range after "từ ngày": the days the work is done in, due on the last
@pytest.mark.parametrize("text, due", [
    ("đợt ra quân từ ngày 05/01/2027 - 25/01/2027 (trước Tết)", date(2027, 1, 25)),
    ("từ ngày 01/3/2027 – 31/3/2027", date(2027, 3, 31)),
    ("từ ngày 10/02 - 20/3/2027", date(2027, 3, 20)),
])
def test_a_dash_range_after_from_is_due_at_its_end(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)
    assert dl.matched.startswith(("từ ngày", "Từ ngày"))


# 5. a count of days from an event: no date to count from, refused with the reason
@pytest.mark.parametrize("text, origin", [
    ("chậm nhất 05 ngày làm việc sau khi nhận đủ hồ sơ", "nhận đủ"),
    ("trong 10 ngày sau khi kết thúc đợt kiểm tra", "kết thúc"),
    ("trong 03 ngày kể từ khi nhận được văn bản", "khi nhận"),
    ("sau 15 ngày kể từ ngày nhận được đơn", "nhận được"),
    ("cham nhat 05 ngay lam viec sau khi nhan du ho so", "nhan du"),
    ("trong 30 ngày kể từ ngày ký kết hợp đồng", "ký kết"),  # the contract's signing, not the directive's
])
def test_a_count_from_an_event_is_refused_with_the_reason(text, origin):
    with pytest.raises(DeadlineError, match=f'counts from "{origin}", which the issue date does not tell'):
        parse_deadline(text, ISSUED)


@pytest.mark.parametrize("text, due", [
    ("chậm nhất 05 ngày làm việc kể từ ngày ký", date(2026, 12, 17)),
    ("trong 10 ngày sau ngày ký", date(2026, 12, 20)),
    ("chậm nhất 05 ngày làm việc", date(2026, 12, 17)),
])
def test_a_count_from_the_signature_or_from_nothing_is_still_read(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)


# 6. months or quarters with the year written once: not adjacent, due at each one's end; adjacent, one span
@pytest.mark.parametrize("text, expect, unit", [
    ("Tháng 4 và tháng 9/2027", ["2027-04-30", "2027-09-30"], "month"),
    ("tháng 3, tháng 6 và tháng 10/2027", ["2027-03-31", "2027-06-30", "2027-10-31"], "month"),
    ("Quý I và Quý III/2027", ["2027-03-31", "2027-09-30"], "quarter"),
    ("vào tháng 02 và tháng 8 năm 2027", ["2027-02-28", "2027-08-31"], "month"),
])
def test_periods_with_the_year_once_not_adjacent_are_due_at_each_end(text, expect, unit):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring" and dl.periods == (unit,)
    assert dues(text) == expect
    assert Deadline.from_dict(dl.to_dict()) == dl


@pytest.mark.parametrize("text, due", [
    ("tháng 5 và tháng 6/2027", date(2027, 6, 30)),
    ("Quý III và Quý IV/2027", date(2027, 12, 31)),
    ("tháng 12 và tháng 01/2028", date(2028, 1, 31)),  # across the new year, still one span
])
def test_adjacent_periods_with_the_year_once_stay_one_span(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)


def test_a_list_whose_earlier_month_comes_after_the_last_is_not_guessed_into_dues():
    # "tháng 11 và tháng 3/2028": November of which year? not read as two due dates in order
    dl = parse_deadline("tháng 11 và tháng 3/2028", ISSUED)
    assert dl.kind == "once"
