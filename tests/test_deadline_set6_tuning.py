"""Deadline phrases of the shapes held-out set 6's first run misread (issue 25), as TUNING tests written after that
run, with examples of our own (no test reads bench/heldout/set6): a report day in the first month after the report
period ("… của tháng đầu tiên sau kỳ báo cáo"), a data cut-off written "chốt / tính đến (hết) ngày …", "ngay trong
ngày" (the issue date) and "(ngay) trong ngày <date>", a month or quarter standing alone after "từ" (continuous from
then), two months each with its year (due twice), a monthly or weekly day limited to a span of months, and an hour
written before a weekly day. Issued Tuesday 01/12/2026."""

from __future__ import annotations

from datetime import date

import pytest

from core.deadline import Deadline, DeadlineError, parse_deadline
from core.i18n import use_language
from tests.deadline_reading import dues as shared_dues

ISSUED = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def dues(text: str, n: int = 5) -> list[str]:
    return shared_dues(text, ISSUED, n)


# 1. a day of the first month after the report period: the period is the report the text names
@pytest.mark.parametrize("text, first", [
    ("báo cáo sơ kết 6 tháng gửi trước ngày 20 của tháng đầu tiên sau kỳ báo cáo",
     ["2027-01-20", "2027-07-20", "2028-01-20"]),
    ("báo cáo quý nộp chậm nhất ngày 10 của tháng đầu tiên sau kỳ báo cáo",
     ["2027-01-10", "2027-04-10", "2027-07-10"]),
    ("báo cáo năm gửi trước ngày 15 của tháng đầu tiên sau kỳ báo cáo",
     ["2027-01-15", "2028-01-15", "2029-01-15"]),
    ("bao cao 6 thang gui truoc ngay 12 cua thang dau tien sau ky bao cao",
     ["2027-01-12", "2027-07-12", "2028-01-12"]),
])
def test_a_day_of_the_first_month_after_the_report_period_recurs(text, first):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring" and dl.after_period
    assert dues(text, 3) == first
    assert "đầu tiên sau kỳ báo cáo" in dl.matched or "dau tien sau ky bao cao" in dl.matched


def test_the_half_year_report_after_its_period_names_the_half_it_closes():
    dl = parse_deadline("báo cáo 6 tháng gửi trước ngày 20 của tháng đầu tiên sau kỳ báo cáo", ISSUED)
    assert dl.period_of(date(2027, 7, 20)) == (date(2027, 1, 1), date(2027, 6, 30))


def test_the_first_month_after_an_unnamed_report_period_is_refused():
    with pytest.raises(DeadlineError, match="which report period"):
        parse_deadline("gửi trước ngày 20 của tháng đầu tiên sau kỳ báo cáo", ISSUED)


# 2. a data cut-off is no deadline
@pytest.mark.parametrize("text", [
    "số liệu chốt đến hết ngày 31/10/2026",
    "số liệu tính đến hết ngày 15/11/2026",
    "chốt số liệu đến ngày 20/11/2026",
    "so lieu chot den het ngay 31/10/2026",
    "số liệu báo cáo chốt đến ngày 25 tháng 11 năm 2026",
])
def test_a_data_cut_off_is_not_a_deadline(text):
    with pytest.raises(DeadlineError, match="data cut-off|reference date"):
        parse_deadline(text, ISSUED)


def test_a_deadline_after_a_data_cut_off_is_still_read():
    dl = parse_deadline("số liệu chốt đến hết ngày 30/11/2026, gửi Sở Tài chính trước ngày 10/12/2026", ISSUED)
    assert (dl.kind, dl.due, dl.matched) == ("once", date(2026, 12, 10), "trước ngày 10/12/2026")


def test_sending_figures_by_a_date_is_still_a_deadline():
    dl = parse_deadline("gửi số liệu về Sở trước ngày 15/12/2026", ISSUED)
    assert dl.due == date(2026, 12, 15)


# 3. "ngay trong ngày": the issue date; "(ngay) trong ngày <date>": that day
@pytest.mark.parametrize("text, due, phrase", [
    ("ngay trong ngày", date(2026, 12, 1), "ngay trong ngày"),
    ("Ngay trong ngày.", date(2026, 12, 1), "Ngay trong ngày"),
    ("Các xã kiểm tra hiện trường, báo cáo Chủ tịch Ủy ban nhân dân tỉnh ngay trong ngày.", date(2026, 12, 1),
     "ngay trong ngày"),
    ("tổ chức di dời dân ngay trong ngày hôm nay", date(2026, 12, 1), "ngay trong ngày hôm nay"),
    # before a date "ngay" stays out of the grammar's words, as before "trong tháng 12": the extractor
    # (intake/directive/deadlines.py) adds the urgency back to the phrase it quotes
    ("ngay trong ngày 05 tháng 12 năm 2026", date(2026, 12, 5), "trong ngày 05 tháng 12 năm 2026"),
    ("hoàn thành ngay trong ngày 07/12/2026", date(2026, 12, 7), "trong ngày 07/12/2026"),
    ("tổ chức giao quân trong ngày 05/3/2027", date(2027, 3, 5), "trong ngày 05/3/2027"),
])
def test_within_the_day(text, due, phrase):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due, dl.matched) == ("once", due, phrase)


@pytest.mark.parametrize("text", [
    "báo cáo ngay trong ngày khi có sự cố",   # the day of an event the issue date does not tell
    "phục vụ nhân dân trong ngày hội",        # a day of something, not a deadline
])
def test_within_the_day_of_something_else_is_not_the_issue_date(text):
    with pytest.raises(DeadlineError):
        parse_deadline(text, ISSUED)


def test_within_the_day_beside_every_day_is_the_issue_date():
    dl = parse_deadline("cập nhật tình hình hằng ngày, báo cáo Bộ ngay trong ngày", ISSUED)
    assert (dl.kind, dl.due) == ("once", ISSUED)


# 4. "từ <month or quarter>" standing alone (an appendix's time cell): continuous from the period's first day
@pytest.mark.parametrize("text, start", [
    ("Từ tháng 02/2027", date(2027, 2, 1)),
    ("từ tháng 3/2027", date(2027, 3, 1)),
    ("Từ Quý III/2027", date(2027, 7, 1)),
    ("tu quy 1/2027", date(2027, 1, 1)),
])
def test_from_a_period_alone_is_continuous_from_then(text, start):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.start, dl.due, dl.matched) == ("continuous", start, None, text)
    assert Deadline.from_dict(dl.to_dict()) == dl
    assert dl.next_dues(ISSUED) == []


@pytest.mark.parametrize("text", [
    "triển khai thí điểm từ tháng 3/2027",  # in a sentence: when the work starts, still no deadline
    "từ năm 2027",                           # a year alone: "since" as often as "from"; unchanged
    "từ cuối tháng 3/2027",                  # a qualified month has no first day to start from
])
def test_from_a_period_in_a_sentence_or_a_year_is_still_no_deadline(text):
    with pytest.raises(DeadlineError, match="starts"):
        parse_deadline(text, ISSUED)


# 5. two months, each with its year, not adjacent: due at the end of each
@pytest.mark.parametrize("text, expect", [
    ("Tháng 6/2027 và tháng 11/2027", ["2027-06-30", "2027-11-30"]),
    ("tháng 02/2027, tháng 8/2027", ["2027-02-28", "2027-08-31"]),
    ("Quý I/2027 và Quý III/2027", ["2027-03-31", "2027-09-30"]),
])
def test_two_named_periods_each_with_its_year_are_due_twice(text, expect):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring" and dl.matched == text
    assert dues(text) == expect
    assert dl.occurrences(date(2026, 1, 1), date(2030, 12, 31)) == [date.fromisoformat(x) for x in expect]
    assert Deadline.from_dict(dl.to_dict()) == dl


def test_two_named_months_name_their_own_month_as_the_period():
    dl = parse_deadline("Tháng 6/2027 và tháng 11/2027", ISSUED)
    assert dl.period_of(date(2027, 6, 30)) == (date(2027, 6, 1), date(2027, 6, 30))


@pytest.mark.parametrize("text, due", [
    ("quý II và quý III/2027", "2027-09-30"),        # the year written once: work over both, due at the end
    ("tháng 11/2027 và tháng 12/2027", "2027-12-31"),  # adjacent months: one span of work
])
def test_periods_that_make_one_span_stay_one_deadline(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due.isoformat()) == ("once", due)


def test_two_months_in_different_years_no_rule_gives_exactly_are_refused():
    with pytest.raises(DeadlineError, match="more than one deadline"):
        parse_deadline("tháng 3/2027 và tháng 6/2028", ISSUED)


# 6. a monthly or weekly day limited to a span: from the span's start (or the issue date) to its end, no more
@pytest.mark.parametrize("text, expect", [
    ("trước ngày 20 hằng tháng, từ tháng 01/2027 đến tháng 4/2027",
     ["2027-01-20", "2027-02-20", "2027-03-20", "2027-04-20"]),
    ("báo cáo trước ngày 28 hằng tháng từ tháng 11/2026 đến tháng 02/2027",
     ["2026-12-28", "2027-01-28", "2027-02-28"]),
    ("hằng tuần từ ngày 07/12/2026 đến ngày 27/12/2026", ["2026-12-13", "2026-12-20", "2026-12-27"]),
    ("ngày 15 hằng tháng, từ ngày 01/01/2027 đến hết ngày 31/3/2027", ["2027-01-15", "2027-02-15", "2027-03-15"]),
])
def test_a_schedule_limited_to_a_span_ends_with_it(text, expect):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring"
    assert dues(text, 10) == expect
    assert Deadline.from_dict(dl.to_dict()) == dl


def test_the_span_is_part_of_the_schedules_words():
    text = "trước ngày 20 hằng tháng, từ tháng 01/2027 đến tháng 4/2027"
    assert parse_deadline(text, ISSUED).matched == text


def test_a_schedule_whose_span_has_passed_is_refused():
    with pytest.raises(DeadlineError, match="no due date after"):
        parse_deadline("trước ngày 20 hằng tháng, từ tháng 01/2026 đến tháng 4/2026", ISSUED)


def test_a_one_off_strong_deadline_beside_a_schedule_is_still_refused():
    with pytest.raises(DeadlineError, match="both a one-off"):
        parse_deadline("trước ngày 20 hằng tháng và trước ngày 31/3/2027", ISSUED)


# 7. an hour before the day: part of the deadline's words
@pytest.mark.parametrize("text, rrule", [
    ("trước 16 giờ thứ Năm hằng tuần", "FREQ=WEEKLY;BYDAY=TH"),
    ("chậm nhất 9h30 thứ Hai hằng tuần", "FREQ=WEEKLY;BYDAY=MO"),
    ("trước 10 giờ ngày 25 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=25"),
])
def test_an_hour_before_a_recurring_day_is_part_of_the_phrase(text, rrule):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.rrule, dl.matched) == ("recurring", rrule, text)


@pytest.mark.parametrize("text, due", [
    ("trước 17 giờ ngày 11/12/2026", date(2026, 12, 11)),
    ("báo cáo trước 14 giờ 30 ngày 09 tháng 12 năm 2026", date(2026, 12, 9)),
])
def test_an_hour_before_a_date_is_part_of_the_phrase(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)
    assert dl.matched.startswith("trước ") and dl.matched.endswith(str(due.year))
