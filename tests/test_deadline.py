"""The deadline grammar: every form the issue lists, its semantics, its refusals, and properties."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from core.i18n import use_language
from core.deadline import Deadline, DeadlineError, parse_deadline
from core.workdays import WorkCalendar


@pytest.fixture(autouse=True)
def _english():
    """The assertions below quote the English source texts (msgids); Vietnamese: test_deadline_cli."""
    with use_language("en"):
        yield


ISSUED = date(2018, 5, 23)
CAL = WorkCalendar()


def read(text: str, issued: date = ISSUED) -> Deadline:
    return parse_deadline(text, issued, CAL)


def no_marks(s: str) -> str:
    """Vietnamese typed without diacritics."""
    s = unicodedata.normalize("NFD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")


# ================================================================================================
# once
# ================================================================================================
@pytest.mark.parametrize(("text", "due", "matched"), [
    ("14/6/2018", "2018-06-14", "14/6/2018"),
    ("14-6-2018", "2018-06-14", "14-6-2018"),
    ("14.6.2018", "2018-06-14", "14.6.2018"),
    ("ngày 14 tháng 6 năm 2018", "2018-06-14", "ngày 14 tháng 6 năm 2018"),
    ("2018-06-14", "2018-06-14", "2018-06-14"),
    ("trước ngày 14/6/2018", "2018-06-14", "trước ngày 14/6/2018"),
    ("trước 14/6/2018", "2018-06-14", "trước 14/6/2018"),
    ("chậm nhất ngày 14/6/2018", "2018-06-14", "chậm nhất ngày 14/6/2018"),
    ("chậm nhất là ngày 14/6/2018", "2018-06-14", "chậm nhất là ngày 14/6/2018"),
    ("hạn chót 14/6/2018", "2018-06-14", "14/6/2018"),
    ("Hạn chót: ngày 14/6/2018", "2018-06-14", "ngày 14/6/2018"),
    ("đến hết ngày 14/6/2018", "2018-06-14", "đến hết ngày 14/6/2018"),
    ("hoàn thành trước ngày 14/6/2018", "2018-06-14", "trước ngày 14/6/2018"),
    ("vào ngày 14/6/2018", "2018-06-14", "vào ngày 14/6/2018"),
    ("trước 17 giờ ngày 14/6/2018", "2018-06-14", "trước 17 giờ ngày 14/6/2018"),
    ("trước ngày 14/6", "2018-06-14", "trước ngày 14/6"),  # no year: next occurrence on/after issue
    ("trước ngày 14/5", "2019-05-14", "trước ngày 14/5"),
    ("trước ngày 23/5", "2018-05-23", "trước ngày 23/5"),  # the issue day itself counts
    ("Tháng 12/2012", "2012-12-31", "Tháng 12/2012"),
    ("trong tháng 8/2013", "2013-08-31", "trong tháng 8/2013"),
    ("tháng 10 năm 2019", "2019-10-31", "tháng 10 năm 2019"),
    ("tháng 2/2020", "2020-02-29", "tháng 2/2020"),
    ("đầu tháng 6/2019", "2019-06-01", "đầu tháng 6/2019"),
    ("giữa tháng 6/2019", "2019-06-15", "giữa tháng 6/2019"),
    ("cuối tháng 6/2019", "2019-06-30", "cuối tháng 6/2019"),
    ("tháng 9", "2018-09-30", "tháng 9"),
    ("tháng 4", "2019-04-30", "tháng 4"),
    ("Quý III/2013", "2013-09-30", "Quý III/2013"),
    ("Quý 1/2013", "2013-03-31", "Quý 1/2013"),
    ("quý IV năm 2019", "2019-12-31", "quý IV năm 2019"),
    ("cuối quý II/2019", "2019-06-30", "cuối quý II/2019"),
    ("trong quý I/2019", "2019-03-31", "trong quý I/2019"),
    ("đầu quý III/2019", "2019-07-31", "đầu quý III/2019"),  # within the quarter's first month (set 5)
    ("quý I", "2019-03-31", "quý I"),
    ("6 tháng đầu năm 2019", "2019-06-30", "6 tháng đầu năm 2019"),
    ("6 tháng cuối năm 2019", "2019-12-31", "6 tháng cuối năm 2019"),
    ("giữa năm 2020", "2020-06-30", "giữa năm 2020"),
    ("đầu năm 2020", "2020-01-01", "đầu năm 2020"),
    ("năm 2016", "2016-12-31", "năm 2016"),
    ("trong năm 2017", "2017-12-31", "trong năm 2017"),
    ("vào cuối năm 2013", "2013-12-31", "vào cuối năm 2013"),
    ("cuối năm", "2018-12-31", "cuối năm"),
    ("trong năm nay", "2018-12-31", "trong năm nay"),
    ("giai đoạn 2016-2020", "2020-12-31", "giai đoạn 2016-2020"),
    ("giai đoạn 2016 - 2020", "2020-12-31", "giai đoạn 2016 - 2020"),
    ("từ ngày 1/6/2018 đến ngày 30/6/2018", "2018-06-30", "từ ngày 1/6/2018 đến ngày 30/6/2018"),
    ("từ ngày 1/6 đến hết ngày 30/6/2018", "2018-06-30", "từ ngày 1/6 đến hết ngày 30/6/2018"),
    ("từ tháng 1/2019 đến tháng 3/2019", "2019-03-31", "từ tháng 1/2019 đến tháng 3/2019"),
    ("14/6/2018 - 20/6/2018", "2018-06-20", "14/6/2018 - 20/6/2018"),
    ("quý II/2019 và quý III/2019", "2019-09-30", "quý II/2019 và quý III/2019"),
    ("Thời hạn: 30 ngày kể từ ngày ký", "2018-06-22", "30 ngày kể từ ngày ký"),
    ("thứ Sáu, ngày 15/6/2018", "2018-06-15", "ngày 15/6/2018"),
    ("Trước 16h00 ngày 14/6/2018", "2018-06-14", "Trước 16h00 ngày 14/6/2018"),
    ("không quá ngày 14/6/2018", "2018-06-14", "không quá ngày 14/6/2018"),
    ("đến hết năm 2020", "2020-12-31", "đến hết năm 2020"),
    ("sáu tháng đầu năm 2019", "2019-06-30", "sáu tháng đầu năm 2019"),
    ("trong tháng này", "2018-05-31", "trong tháng này"),
    ("trước cuối quý", "2018-06-30", "trước cuối quý"),
    ("Thời gian hoàn thành: Quý III/2013", "2013-09-30", "Quý III/2013"),
    ("Quý III/2013 (dự kiến)", "2013-09-30", "Quý III/2013"),
])
def test_once(text, due, matched):
    d = read(text)
    assert (d.kind, d.due, d.matched) == ("once", date.fromisoformat(due), matched)
    assert d.text == text and d.rrule is None and d.start is None


@pytest.mark.parametrize(("text", "due"), [
    ("trong vòng 15 ngày kể từ ngày ký", "2018-06-07"),  # Art. 147: counting starts the next day
    ("trong thời hạn 30 ngày kể từ ngày ban hành", "2018-06-22"),
    ("trong 15 ngày", "2018-06-07"),
    ("chậm nhất 15 ngày kể từ ngày ký ban hành", "2018-06-07"),
    ("trong vòng 10 ngày làm việc kể từ ngày ký", "2018-06-06"),  # Wed 23/5 + 10 working days
    ("trong thời hạn 3 tháng kể từ ngày ký", "2018-08-23"),
    ("trong vòng 2 tuần kể từ ngày ký", "2018-06-06"),
    ("sau 10 (mười) ngày kể từ ngày ký", "2018-06-02"),
    ("15 (mười lăm) ngày kể từ ngày ký", "2018-06-07"),
])
def test_relative_to_the_issue_date(text, due):
    d = read(text)
    assert (d.kind, d.due) == ("once", date.fromisoformat(due))


def test_working_days_use_the_calendar_given():
    # Issued Monday 12/2/2018, just before Tết: 5 working days run past the holiday.
    assert read("trong vòng 5 ngày làm việc kể từ ngày ký", date(2018, 2, 12)).due == date(2018, 2, 26)
    assert read("trong vòng 5 ngày kể từ ngày ký", date(2018, 2, 12)).due == date(2018, 2, 17)
    saturday = date(2018, 2, 24)
    cal = WorkCalendar(extra_workdays=[saturday])
    assert parse_deadline("5 ngày làm việc kể từ ngày ký", date(2018, 2, 12), cal).due == saturday


def test_month_end_relative_period_clips_to_the_last_day():
    assert read("trong thời hạn 1 tháng kể từ ngày ký", date(2019, 1, 31)).due == date(2019, 2, 28)


def test_a_deadline_inside_a_longer_sentence():
    text = ("… báo cáo kết quả thực hiện kế hoạch về UBND tỉnh trước ngày 15/11/2018 "
            "(lồng ghép trong báo cáo cải cách hành chính năm)")
    d = read(text)
    assert (d.kind, d.due, d.matched) == ("once", date(2018, 11, 15), "trước ngày 15/11/2018")


def test_a_date_of_a_cited_document_is_not_a_deadline():
    with pytest.raises(DeadlineError, match="no deadline found"):
        read("Triển khai Nghị định 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ")
    d = read("Triển khai Nghị định 61/2018/NĐ-CP ngày 23/4/2018, báo cáo trước ngày 30/6/2018")
    assert d.due == date(2018, 6, 30)


# ================================================================================================
# recurring
# ================================================================================================
@pytest.mark.parametrize(("text", "rrule", "start", "matched"), [
    ("hàng tháng", "FREQ=MONTHLY;BYMONTHDAY=-1", "2018-05-31", "hàng tháng"),
    ("hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=-1", "2018-05-31", "hằng tháng"),
    ("Hàng tháng/năm", "FREQ=MONTHLY;BYMONTHDAY=-1", "2018-05-31", "Hàng tháng/năm"),
    ("trước ngày 20 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=20", "2018-06-20", "trước ngày 20 hằng tháng"),
    ("trước ngày 23 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=23", "2018-05-23", "trước ngày 23 hằng tháng"),
    ("ngày 30 hằng tháng", "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1", "2018-05-30", "ngày 30 hằng tháng"),
    ("định kỳ hàng quý", "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1", "2018-06-30", "định kỳ hàng quý"),
    ("hằng quý", "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1", "2018-06-30", "hằng quý"),
    ("trước ngày 15 của tháng cuối quý", "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15", "2018-06-15",
     "trước ngày 15 của tháng cuối quý"),
    ("định kỳ hằng quý, trước ngày 15 của tháng cuối quý", "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=15",
     "2018-06-15", "trước ngày 15 của tháng cuối quý"),
    ("định kỳ 6 tháng", "FREQ=MONTHLY;BYMONTH=6,12;BYMONTHDAY=-1", "2018-06-30", "định kỳ 6 tháng"),
    ("6 tháng và cả năm", "FREQ=MONTHLY;BYMONTH=6,12;BYMONTHDAY=-1", "2018-06-30", "6 tháng và cả năm"),
    ("hàng năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1", "2018-12-31", "hàng năm"),
    ("hằng năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1", "2018-12-31", "hằng năm"),
    ("Tháng 12/năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1", "2018-12-31", "Tháng 12/năm"),
    ("tháng 12 hàng năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1", "2018-12-31", "tháng 12 hàng năm"),
    ("tháng 3 hàng năm", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1", "2019-03-31", "tháng 3 hàng năm"),
    ("trước ngày 15/12 hằng năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15", "2018-12-15", "trước ngày 15/12 hằng năm"),
    ("ngày 29/2 hằng năm", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1", "2019-02-28", "ngày 29/2 hằng năm"),
    ("quý IV hằng năm", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1", "2018-12-31", "quý IV hằng năm"),
    ("chế độ báo cáo quý, 6 tháng và năm", "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1", "2018-06-30",
     "chế độ báo cáo quý, 6 tháng và năm"),
    ("hằng tuần", "FREQ=WEEKLY;BYDAY=SU", "2018-05-27", "hằng tuần"),
    ("thứ Sáu hằng tuần", "FREQ=WEEKLY;BYDAY=FR", "2018-05-25", "thứ Sáu hằng tuần"),
])
def test_recurring(text, rrule, start, matched):
    d = read(text)
    assert (d.kind, d.rrule, d.start, d.matched) == ("recurring", rrule, date.fromisoformat(start), matched)
    assert d.due is None


def test_recurring_due_dates():
    half = read("6 tháng và cả năm", date(2013, 3, 1))
    assert half.next_dues(date(2013, 3, 1), 4) == [date(2013, 6, 30), date(2013, 12, 31),
                                                    date(2014, 6, 30), date(2014, 12, 31)]
    monthly30 = read("ngày 30 hằng tháng", date(2019, 1, 1))
    assert monthly30.occurrences(date(2019, 1, 1), date(2019, 3, 31)) == [
        date(2019, 1, 30), date(2019, 2, 28), date(2019, 3, 30)]
    quarterly = read("định kỳ hàng quý")
    assert quarterly.occurrences(date(2018, 1, 1), date(2019, 1, 1)) == [
        date(2018, 6, 30), date(2018, 9, 30), date(2018, 12, 31)]  # nothing before the issue date
    assert quarterly.next_dues(date(2018, 7, 1), 2) == [date(2018, 9, 30), date(2018, 12, 31)]
    assert quarterly.occurrences(date(2019, 1, 1), date(2018, 1, 1)) == []


@pytest.mark.parametrize(("text", "due", "period"), [
    ("định kỳ hàng quý", "2018-09-30", ("2018-07-01", "2018-09-30")),
    ("hàng tháng", "2018-06-30", ("2018-06-01", "2018-06-30")),
    ("trước ngày 20 hằng tháng", "2018-06-20", ("2018-06-01", "2018-06-30")),
    ("6 tháng và cả năm", "2018-06-30", ("2018-01-01", "2018-06-30")),
    ("6 tháng và cả năm", "2018-12-31", ("2018-01-01", "2018-12-31")),  # the whole-year report
    ("định kỳ 6 tháng", "2018-12-31", ("2018-07-01", "2018-12-31")),
    ("chế độ báo cáo quý, 6 tháng và năm", "2018-09-30", ("2018-07-01", "2018-09-30")),
    ("chế độ báo cáo quý, 6 tháng và năm", "2018-06-30", ("2018-01-01", "2018-06-30")),
    ("Tháng 12/năm", "2018-12-31", ("2018-01-01", "2018-12-31")),
    ("hằng tuần", "2018-05-27", ("2018-05-21", "2018-05-27")),
])
def test_period_of(text, due, period):
    d = read(text)
    assert d.period_of(date.fromisoformat(due)) == tuple(date.fromisoformat(x) for x in period)


# ================================================================================================
# continuous
# ================================================================================================
@pytest.mark.parametrize("text", ["Thường xuyên", "thường xuyên, liên tục", "Thời gian: Thường xuyên.", "THUONG XUYEN"])
def test_continuous(text):
    d = read(text)
    assert d.kind == "continuous" and d.due is None and d.rrule is None
    assert d.occurrences(date(2000, 1, 1), date(2100, 1, 1)) == [] and d.next_dues(ISSUED) == []
    assert d.period_of(ISSUED) == (ISSUED, ISSUED)


def test_a_real_deadline_wins_over_thuong_xuyen():
    d = read("Sở Nội vụ thường xuyên đôn đốc và định kỳ hàng quý tổng hợp kết quả")
    assert d.kind == "recurring"
    assert read("Thường xuyên theo dõi, báo cáo trước ngày 30/6/2018").due == date(2018, 6, 30)


# ================================================================================================
# diacritics, Unicode forms, case
# ================================================================================================
@pytest.mark.parametrize("text", [
    "trước ngày 14/6/2018", "Quý III/2013", "vào cuối năm 2013", "định kỳ hàng quý", "6 tháng và cả năm",
    "trong vòng 15 ngày làm việc kể từ ngày ký", "trước ngày 15 của tháng cuối quý", "Thường xuyên",
    "6 tháng đầu năm 2019", "giai đoạn 2016-2020", "Hàng tháng/năm", "tính đến ngày 31/12/2012",
])
def test_without_diacritics_nfd_and_upper_case_read_the_same(text):
    def reading(t):
        try:
            d = read(t)
        except DeadlineError:
            return "error"
        assert d.matched in t  # a substring of the very input, whatever its normal form
        return (d.kind, d.due, d.rrule, d.start, unicodedata.normalize("NFC", no_marks(d.matched)).lower())

    expected = reading(text)
    for variant in (no_marks(text), unicodedata.normalize("NFD", text), text.upper(), no_marks(text).upper()):
        assert reading(variant) == expected, variant


def test_nfd_input_keeps_its_own_characters():
    text = unicodedata.normalize("NFD", "Hoàn thành trước ngày 14/6/2018.")
    d = read(text)
    assert d.text == text
    assert d.matched == unicodedata.normalize("NFD", "trước ngày 14/6/2018")


# ================================================================================================
# refusals: what was not understood, never a guess
# ================================================================================================
@pytest.mark.parametrize(("text", "says"), [
    ("32/13/2018", "there is no month 13"),
    ("trước ngày 32/12/2018", "December has no day 32"),
    ("ngày 30/2/2019", "February has no day 30"),
    ("29/2/2019", "2019 is not a leap year"),
    ("Quý V/2019", "there is no quarter V"),
    ("quý 0/2019", "there is no quarter 0"),
    ("tháng 13/2019", "there is no month 13"),
    ("trước ngày 14/6/3018", "the year 3018 is outside"),
    ("giai đoạn 2020-2016", "ends (2016) before it starts (2020)"),
    ("giữa quý II/2019", "giữa quý"),
    ("trong vòng 15 ngày kể từ ngày nhận được văn bản", 'counts from "nhận được"'),
    ("15 (mười) ngày kể từ ngày ký", "disagree"),
    ("trong vòng 0 ngày kể từ ngày ký", "0 days"),
    ("trong vòng 999999 ngày kể từ ngày ký", "too long"),
    ("ngày 32 hằng tháng", "a month has no day 32"),
    ("ngày 31/4 hằng năm", "April has no day 31"),
    ("trước ngày 14/6/2018 và trước ngày 15/11/2018", "more than one deadline"),
    ("Báo cáo trước ngày 5/6/2018 và ngày 5/12/2018", "more than one deadline"),
    ("trong Quý III/2013 hoặc Quý IV/2013", "more than one deadline"),
    ("trước ngày 14/6/2018, định kỳ hằng quý", "both a one-off deadline"),
    ("hằng quý và trước ngày 20 hằng tháng", "more than one recurring schedule"),
    ("từ năm 2012", "says when the work starts"),
    ("sau ngày 14/6/2018", "says after when"),
    ("tính đến ngày 31/12/2012", "reference date (as of)"),
    ("định kỳ báo cáo", '"định kỳ" (periodic) names no period'),
    ("Theo yêu cầu", 'no deadline found in "Theo yêu cầu"'),
    ("", "empty"),
    ("   \n", "empty"),
    ("84.52", "no deadline found"),
    ("14/6/18", "no deadline found"),
])
def test_refused_with_a_reason(text, says):
    with pytest.raises(DeadlineError) as err:
        read(text)
    assert says in str(err.value)


def test_an_error_is_a_value_error_and_rejects_non_text():
    assert issubclass(DeadlineError, ValueError)
    with pytest.raises(DeadlineError):
        parse_deadline(None, ISSUED)  # type: ignore[arg-type]


# ================================================================================================
# the Deadline value
# ================================================================================================
@pytest.mark.parametrize("text", ["trước ngày 14/6/2018", "6 tháng và cả năm", "Thường xuyên", "ngày 30 hằng tháng"])
def test_to_dict_round_trips_through_json(text):
    d = read(text)
    back = Deadline.from_dict(json.loads(json.dumps(d.to_dict(), ensure_ascii=False)))
    assert back == d


def test_from_dict_without_periods_derives_them():
    d = read("6 tháng và cả năm").to_dict()
    del d["periods"]
    assert Deadline.from_dict(d).periods == ("half",)


@pytest.mark.parametrize(("change", "says"), [
    ({"kind": "sometimes"}, "kind must be one of"),
    ({"due": "14/6/2018"}, "not an ISO date"),
    ({"kind": "once", "due": None}, "needs a due date"),
    ({"rrule": "EVERY=DAY"}, "not an RFC 5545 rule"),
    ({"periods": ["fortnight"]}, "periods="),
])
def test_from_dict_rejects_a_bad_dict(change, says):
    d = read("định kỳ hàng quý").to_dict() | change
    with pytest.raises(DeadlineError, match=says.replace("(", r"\(")):
        Deadline.from_dict(d)


def test_once_due_dates():
    d = read("trước ngày 14/6/2018")
    assert d.occurrences(date(2018, 1, 1), date(2018, 12, 31)) == [date(2018, 6, 14)]
    assert d.occurrences(date(2018, 6, 15), date(2018, 12, 31)) == []
    assert d.next_dues(date(2018, 6, 14)) == [date(2018, 6, 14)]
    assert d.next_dues(date(2018, 6, 15)) == []
    assert d.period_of(d.due) == (d.due, d.due)


# ================================================================================================
# properties
# ================================================================================================
VOCAB = ["trước", "ngày", "tháng", "năm", "quý", "hàng", "hằng", "định kỳ", "cuối", "đầu", "giữa", "6 tháng",
         "và", "cả", "kể từ", "ký", "ban hành", "làm việc", "trong vòng", "thường xuyên", "giai đoạn", "từ",
         "đến", "sau", "tuần", "thứ sáu", "(", ")", "/", "-", ".", ",", ":", "I", "II", "III", "IV", "V",
         "nay", "của", "tính đến", "chế độ báo cáo", "hạn chót", "vào", "mười"]
numbers = st.integers(0, 10**7).map(str) | st.sampled_from(["1", "12", "31", "29/2", "2018", "9999", "0000"])
vocab_text = st.lists(st.sampled_from(VOCAB) | numbers, max_size=12).map(" ".join)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
issue_dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=80) | vocab_text, issued=issue_dates)
@example(text="trong vòng 9999 ngày làm việc kể từ ngày ký", issued=date(2018, 1, 1))
@example(text="ngày 31/12/9999", issued=date(2018, 1, 1))
@example(text="ngày 29/2 hằng năm", issued=date(2089, 3, 1))
def test_arbitrary_text_raises_only_deadline_error(text, issued):
    try:
        d = parse_deadline(text, issued)
    except DeadlineError as e:
        assert str(e)
        return
    assert d.kind in ("once", "recurring", "continuous")
    assert d.matched and d.matched in text
    assert Deadline.from_dict(d.to_dict()) == d
    if d.kind == "recurring":
        nxt = d.next_dues(issued, 3)
        assert nxt and nxt[0] == d.start and nxt == sorted(set(nxt))


DATE_FORMS = [
    "{d}/{m}/{y}", "{d:02d}/{m:02d}/{y}", "{d}-{m}-{y}", "{d}.{m}.{y}", "{d:02d}.{m:02d}.{y}",
    "ngày {d} tháng {m} năm {y}", "ngày {d:02d} tháng {m:02d} năm {y}", "{y}-{m:02d}-{d:02d}",
]
PREFIXES = ["", "trước ngày ", "Trước ", "chậm nhất là ngày ", "hạn chót: ", "Hạn chót ", "đến hết ngày ",
            "hoàn thành trước ngày ", "vào ngày ", "Thời gian: ", "Báo cáo về Sở Nội vụ trước "]
VARIANTS = [lambda s: s, lambda s: unicodedata.normalize("NFD", s), no_marks, str.upper]


@settings(max_examples=300, deadline=None)
@given(day=dates, issued=issue_dates, form=st.sampled_from(DATE_FORMS), prefix=st.sampled_from(PREFIXES),
       variant=st.sampled_from(VARIANTS))
def test_every_date_form_reads_back_to_its_date(day, issued, form, prefix, variant):
    text = variant(prefix + form.format(d=day.day, m=day.month, y=day.year))
    assume(not (prefix.endswith("ngày ") and form.startswith("ngày")))  # "trước ngày ngày 1 …"
    d = parse_deadline(text, issued)
    assert (d.kind, d.due) == ("once", day), text


@settings(max_examples=200, deadline=None)
@given(day=dates, issued=issue_dates, variant=st.sampled_from(VARIANTS),
       form=st.sampled_from(["trước ngày {d}/{m}", "ngày {d} tháng {m}", "chậm nhất ngày {d:02d}/{m:02d}"]))
def test_a_date_without_year_is_its_next_occurrence(day, issued, variant, form):
    text = variant(form.format(d=day.day, m=day.month))
    expected = next(date(y, day.month, day.day) for y in range(issued.year, issued.year + 9)
                    if (day.month, day.day) != (2, 29) or y % 4 == 0 and (y % 100 or y % 400 == 0)
                    if date(y, day.month, day.day) >= issued)
    assert parse_deadline(text, issued).due == expected


def _quarter_end(day: date) -> date:
    q_end_month = 3 * ((day.month - 1) // 3) + 3
    return (date(day.year, q_end_month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
PERIOD_FORMS = [
    ("Tháng {m}/{y}", _month_end),
    ("trong tháng {m}/{y}", _month_end),
    ("tháng {m} năm {y}", _month_end),
    ("cuối tháng {m}/{y}", _month_end),
    ("đầu tháng {m}/{y}", lambda d: d.replace(day=1)),
    ("giữa tháng {m}/{y}", lambda d: d.replace(day=15)),
    ("Quý {qr}/{y}", _quarter_end),
    ("Quý {q}/{y}", _quarter_end),
    ("quý {qr} năm {y}", _quarter_end),
    ("cuối quý {qr}/{y}", _quarter_end),
    ("vào Quý {qr}/{y}", _quarter_end),
    ("6 tháng {h} năm {y}", lambda d: date(d.year, 6, 30) if d.month <= 6 else date(d.year, 12, 31)),
    ("năm {y}", lambda d: date(d.year, 12, 31)),
    ("trong năm {y}", lambda d: date(d.year, 12, 31)),
    ("vào cuối năm {y}", lambda d: date(d.year, 12, 31)),
    ("giữa năm {y}", lambda d: date(d.year, 6, 30)),
    ("đầu năm {y}", lambda d: date(d.year, 1, 1)),
    ("giai đoạn {y0}-{y}", lambda d: date(d.year, 12, 31)),
]


@settings(max_examples=300, deadline=None)
@given(day=dates, issued=issue_dates, form=st.sampled_from(PERIOD_FORMS), variant=st.sampled_from(VARIANTS))
def test_every_period_form_reads_back_to_the_day_its_period_names(day, issued, form, variant):
    template, due_of = form
    q = (day.month - 1) // 3 + 1
    assume(day.year > 1900 or "{y0}" not in template)
    text = variant(template.format(m=day.month, y=day.year, q=q, qr=ROMAN[q], y0=day.year - 1,
                                   h="đầu" if day.month <= 6 else "cuối"))
    assert parse_deadline(text, issued).due == due_of(day), text


@settings(max_examples=200, deadline=None)
@given(issued=issue_dates, n=st.integers(1, 400), working=st.booleans())
def test_relative_periods_count_from_the_day_after_issue(issued, n, working):
    text = f"trong vòng {n} ngày{' làm việc' if working else ''} kể từ ngày ký"
    d = parse_deadline(text, issued, CAL)
    if working:
        assert d.due == CAL.add_workdays(issued, n)
        assert CAL.is_workday(d.due) and CAL.workdays_between(issued, d.due) == n
    else:
        assert d.due == issued + timedelta(days=n)
