"""Deadline phrases of the shapes held-out set 9's first run misread (issue 25), as TUNING tests written after that
run, with examples of our own (no test reads bench/heldout/set9): a day of a quarter's middle month ("tháng giữa
quý", "tháng thứ hai của quý"), the first or last months of a year ("9 tháng đầu năm 2027": by the last of them),
stages or reports each with its own dated deadline (due on each, when one rule gives exactly those dates), the day
quarterly figures are closed ("số liệu … được chốt vào ngày …": no deadline), a recurring word describing the work
beside the month it is to be done in ("kiểm tra định kỳ hằng năm, hoàn thành trong tháng 4/2027": once), and
"thường xuyên, đột xuất" of the tasks ("các việc"): a kind of work, not a continuous duty. Issued Monday 15/3/2027."""

from __future__ import annotations

from datetime import date

import pytest

from core.deadline import Deadline, DeadlineError, parse_deadline
from core.i18n import use_language

ISSUED = date(2027, 3, 15)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def dues(text: str, n: int = 4) -> list[str]:
    return [x.isoformat() for x in parse_deadline(text, ISSUED).next_dues(ISSUED, n)]


# 1. a day of the quarter's middle month: its second month, every quarter
@pytest.mark.parametrize("text, expect", [
    ("định kỳ hằng quý, trước ngày 20 của tháng giữa quý", ["2027-05-20", "2027-08-20", "2027-11-20", "2028-02-20"]),
    ("báo cáo quý gửi chậm nhất ngày 10 của tháng thứ hai của quý",
     ["2027-05-10", "2027-08-10", "2027-11-10", "2028-02-10"]),
    ("hang quy, vao ngay 05 cua thang giua quy", ["2027-05-05", "2027-08-05", "2027-11-05", "2028-02-05"]),
    ("ngày cuối cùng của tháng giữa quý", ["2027-05-31", "2027-08-31", "2027-11-30", "2028-02-29"]),
])
def test_a_day_of_the_middle_month_of_a_quarter(text, expect):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring" and dl.periods == ("quarter",)
    assert dues(text) == expect
    assert Deadline.from_dict(dl.to_dict()) == dl


def test_a_middle_month_of_a_year_is_refused_not_guessed():
    with pytest.raises(DeadlineError, match="middle"):
        parse_deadline("trước ngày 10 của tháng giữa năm", ISSUED)


# 2. the first or last months of a year: due at the end of the last of them
@pytest.mark.parametrize("text, due", [
    ("hoàn thành trong 9 tháng đầu năm 2027", date(2027, 9, 30)),
    ("hoàn thành trong 3 tháng đầu năm 2028", date(2028, 3, 31)),
    ("trong 06 tháng đầu năm 2027", date(2027, 6, 30)),
    ("triển khai trong 9 tháng cuối năm 2027", date(2027, 12, 31)),
    ("6 tháng cuối năm", date(2027, 12, 31)),
    ("hoan thanh trong chin thang dau nam 2027", date(2027, 9, 30)),
])
def test_the_first_or_last_months_of_a_year(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)


def test_months_of_a_year_without_its_year_are_the_next_ones_to_end():
    # written without a year: the next such months to end on or after the issue date (as "6 tháng đầu năm" is)
    assert parse_deadline("trong 3 tháng đầu năm", ISSUED).due == date(2027, 3, 31)
    assert parse_deadline("trong 3 tháng đầu năm", date(2027, 4, 1)).due == date(2028, 3, 31)


# 3. stages or reports each with its own dated deadline: due on each one
@pytest.mark.parametrize("text, expect", [
    ("đợt 1 (các xã vùng cao) trước 31/5/2027; đợt 2 (các xã còn lại) trước 31/10/2027", ["2027-05-31", "2027-10-31"]),
    ("Đợt 1 hoàn thành trước ngày 20/6/2027, đợt 2 hoàn thành trước ngày 20/9/2027", ["2027-06-20", "2027-09-20"]),
    ("gửi trước ngày 10 tháng 7 năm 2027 (đối với báo cáo sơ kết) và trước ngày 10 tháng 01 năm 2028 "
     "(đối với báo cáo tổng kết)", ["2027-07-10", "2028-01-10"]),
    ("lần 1 trước 30/4/2027, lần 2 trước 31/8/2027, lần 3 trước 31/12/2027", ["2027-04-30", "2027-08-31", "2027-12-31"]),
])
def test_stages_each_with_a_dated_deadline_are_due_on_each(text, expect):
    dl = parse_deadline(text, ISSUED)
    assert dl.kind == "recurring"
    assert dues(text, 6) == expect  # exactly these, nothing after the last
    assert Deadline.from_dict(dl.to_dict()) == dl


@pytest.mark.parametrize("text", [
    "đợt 1 trước 10/5/2027; đợt 2 trước 20/9/2027",     # different days: no one rule gives exactly these dates
    "đợt 1 trước 31/5/2027; đợt 2 trước 31/5/2029",     # a yearly rule would give 31/5/2028 too
    "trước ngày 30/6/2027 và trước ngày 30/11/2027",     # no stages named: still one deadline per task
])
def test_dates_no_rule_gives_exactly_or_without_stages_are_refused(text):
    with pytest.raises(DeadlineError, match="more than one deadline"):
        parse_deadline(text, ISSUED)


# 4. the day figures are closed is a cut-off, not a deadline
@pytest.mark.parametrize("text", [
    "số liệu báo cáo quý được chốt vào ngày 20 của tháng cuối quý",
    "số liệu báo cáo tháng được chốt vào ngày 25 hằng tháng",
    "chốt số liệu vào ngày 15/6/2027",
])
def test_the_day_figures_are_closed_is_no_deadline(text):
    with pytest.raises(DeadlineError, match="cut-off"):
        parse_deadline(text, ISSUED)


def test_a_cut_off_beside_a_deadline_leaves_the_deadline():
    dl = parse_deadline("số liệu được chốt vào ngày 15 của tháng cuối quý, gửi Sở Tài chính trước ngày 20 của tháng "
                        "cuối quý", ISSUED)
    assert dues("số liệu được chốt vào ngày 15 của tháng cuối quý, gửi Sở Tài chính trước ngày 20 của tháng "
                "cuối quý", 2) == ["2027-03-20", "2027-06-20"]
    assert dl.kind == "recurring"


# 5. recurring words describing the work, beside the month it is done in: once, that month
@pytest.mark.parametrize("text, due", [
    ("Rà soát kế hoạch thanh tra định kỳ hằng năm, hoàn thành trong tháng 5/2027", date(2027, 5, 31)),
    ("cập nhật danh mục kiểm tra hằng năm, hoàn thành trong tháng 6/2027", date(2027, 6, 30)),
    ("xây dựng quy chế giao ban hằng quý; thời hạn hoàn thành: tháng 4/2027", date(2027, 4, 30)),
])
def test_recurring_words_of_the_work_beside_a_completion_month(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)


def test_a_reporting_schedule_beside_a_month_is_still_both():
    with pytest.raises(DeadlineError, match="both a one-off"):
        parse_deadline("báo cáo định kỳ hằng quý, hoàn thành trong tháng 4/2027", ISSUED)


# 6. "thường xuyên, đột xuất" of the tasks: a kind of work
@pytest.mark.parametrize("text", [
    "phân công công chức giải quyết các việc thường xuyên, đột xuất của xã",
    "xử lý việc thường xuyên và đột xuất được giao",
])
def test_regular_and_unplanned_tasks_are_no_continuous_duty(text):
    with pytest.raises(DeadlineError, match="describes"):
        parse_deadline(text, ISSUED)


@pytest.mark.parametrize("text", [
    "làm việc thường xuyên với các xã",      # "làm việc" is the verb: working with them, continuously
    "Thường xuyên kiểm tra, đột xuất khi cần",
])
def test_continuous_duties_stay_continuous(text):
    assert parse_deadline(text, ISSUED).kind == "continuous"


def test_the_middle_month_refusal_is_in_vietnamese_by_default():
    with use_language("vi"):
        with pytest.raises(DeadlineError, match="chỉ quý mới có tháng giữa"):
            parse_deadline("trước ngày 10 của tháng giữa năm", ISSUED)


@pytest.mark.parametrize("text, due", [
    ("báo cáo 9 tháng đầu năm 2027 gửi trước ngày 10/10/2027", date(2027, 10, 10)),  # the months a report covers
    ("trong 9 tháng đầu năm 2027, báo cáo trước 15/10/2027", date(2027, 10, 15)),    # the sender's date wins
    ("chốt số liệu vào ngày 15/6/2027, gửi báo cáo trước ngày 20/6/2027", date(2027, 6, 20)),
    ("đợt 1 trước 30/6/2027", date(2027, 6, 30)),                                    # one stage: once
])
def test_months_a_report_covers_or_a_cut_off_give_way_to_the_deadline(text, due):
    dl = parse_deadline(text, ISSUED)
    assert (dl.kind, dl.due) == ("once", due)
