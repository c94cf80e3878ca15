"""Deadline families met after held-out set 3's first run (issue 25), each with examples of our own (never the
held-out phrases): the period written before its day ("định kỳ hằng tháng, chậm nhất ngày 20"), several months of
every year ("tháng 6 và tháng 12 hằng năm"), and the year of a target ("đạt 70% vào năm 2028") — with the
neighbours they must not change."""

from __future__ import annotations

from datetime import date

import pytest

from core.deadline import DeadlineError, parse_deadline
from core.i18n import use_language

ON = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


@pytest.mark.parametrize("text, dues", [
    ("Định kỳ hằng tháng, chậm nhất ngày 20", [date(2026, 5, 20), date(2026, 6, 20), date(2026, 7, 20)]),
    ("hằng tháng, vào ngày 05", [date(2026, 5, 5), date(2026, 6, 5), date(2026, 7, 5)]),
    ("mỗi tháng trước ngày 3", [date(2026, 6, 3), date(2026, 7, 3), date(2026, 8, 3)]),
    ("tháng 6 và tháng 12 hằng năm", [date(2026, 6, 30), date(2026, 12, 31), date(2027, 6, 30)]),
    ("trong tháng 1, tháng 4, tháng 7 hằng năm", [date(2026, 7, 31), date(2027, 1, 31), date(2027, 4, 30)]),
])
def test_recurring_forms(text, dues):
    d = parse_deadline(text, ON)
    assert d.kind == "recurring" and list(d.next_dues(ON, 3)) == dues


@pytest.mark.parametrize("text", ["đạt 70% vào năm 2028", "đến năm 2028, đạt 85% hộ gia đình có nước sạch",
                                  "tỷ lệ hồ sơ trực tuyến đạt trên 60% trong năm 2027"])
def test_the_year_of_a_target_is_not_a_deadline(text):
    with pytest.raises(DeadlineError, match="target"):
        parse_deadline(text, ON)


@pytest.mark.parametrize("text, due", [
    ("hoàn thành 100% kế hoạch vốn năm 2026", date(2026, 12, 31)),  # a plan year, not a target
    ("phấn đấu đến năm 2027", date(2027, 12, 31)),  # no share to reach: the year's end, as before
    ("giải ngân đạt 100% trước ngày 30/9/2026", date(2026, 9, 30)),  # a share by a date: that date
])
def test_neighbours_keep_their_reading(text, due):
    d = parse_deadline(text, ON)
    assert (d.kind, d.due) == ("once", due)


def test_a_month_day_beside_a_full_date_is_still_two_deadlines():
    with pytest.raises(DeadlineError):
        parse_deadline("hằng tháng, trước ngày 25/6/2026", ON)
