"""The seven deadline families of issue 25, with examples of our own (the tuning set; the held-out phrases are in
bench/heldout/phrases.yaml and no test reads them). Issued Monday 01/12/2025."""

from __future__ import annotations

from datetime import date

import pytest

from core.deadline import DeadlineError, parse_deadline
from core.i18n import use_language
from tests.deadline_reading import reading as shared_reading

ISSUED = date(2025, 12, 1)


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def reading(text: str):
    r = shared_reading(text, ISSUED, 4)
    return r[0] if isinstance(r, tuple) and r[0] != "once" else r  # the kind alone


CASES = [
    # 1. a reporting period or data cut-off names no deadline
    ("Số liệu báo cáo năm được tính từ ngày 15 tháng 12 năm trước đến hết ngày 14 tháng 12 năm báo cáo", "error"),
    ("số liệu tính từ ngày 01 tháng 10 năm trước đến ngày 30 tháng 9 năm báo cáo", "error"),
    ("Báo cáo năm gửi trước ngày 20/12/2025; số liệu tính từ ngày 15/12/2024 đến hết ngày 14/12/2025",
     ("once", "2025-12-20")),
    # 2. the report day is in the period after the one reported
    ("Báo cáo quý gửi chậm nhất vào ngày 10 của tháng đầu quý tiếp theo",
     ["2026-01-10", "2026-04-10", "2026-07-10", "2026-10-10"]),
    ("Báo cáo 6 tháng gửi chậm nhất ngày 20 của tháng tiếp theo ngay sau kỳ báo cáo",
     ["2026-01-20", "2026-07-20", "2027-01-20", "2027-07-20"]),
    ("Báo cáo năm gửi trước ngày 15 tháng 01 năm sau", ["2026-01-15", "2027-01-15", "2028-01-15", "2029-01-15"]),
    ("Báo cáo năm gửi chậm nhất vào ngày 15 của tháng đầu năm tiếp theo",
     ["2026-01-15", "2027-01-15", "2028-01-15", "2029-01-15"]),
    ("Báo cáo quý gửi chậm nhất ngày 05 của tháng đầu quý tiếp theo ngay sau kỳ báo cáo",
     ["2026-01-05", "2026-04-05", "2026-07-05", "2026-10-05"]),
    # 3. a date range written with a dash and no keyword is due at its end
    ("Tổng kết công tác năm 2025: 10/12/2025 – 20/12/2025", ("once", "2025-12-20")),
    ("Tập huấn nghiệp vụ: 03/3/2026-07/3/2026", ("once", "2026-03-07")),
    ("Thời gian: 02/02/2026–06/02/2026", ("once", "2026-02-06")),
    ("Tháng 3 - 4/2026", ("once", "2026-04-30")),  # two months, the year written once
    ("tháng 5-6/2026", ("once", "2026-06-30")),
    ("Quý II - III/2026", ("once", "2026-09-30")),
    ("Tháng 11 - 12 năm 2026", ("once", "2026-12-31")),
    # 4. a one-off date beside a recurring word that describes the work
    ("Xây dựng kế hoạch kiểm tra định kỳ hằng năm, trình UBND tỉnh trước ngày 31/3/2026", ("once", "2026-03-31")),
    ("Ban hành quy chế giao ban hằng quý, hoàn thành trước ngày 15/01/2026", ("once", "2026-01-15")),
    # 5. "tháng cuối kỳ báo cáo" with no period named: the period is missing
    ("Ngày 18 của tháng cuối kỳ báo cáo", "error"),
    # 6. a plan year
    ("hoàn thành 100% kế hoạch vốn năm 2026", ("once", "2026-12-31")),
    ("phấn đấu giải ngân hết kế hoạch vốn đầu tư công năm 2026", ("once", "2026-12-31")),
    # 7. "thường xuyên" describing a noun is not a continuous duty
    ("các công việc thường xuyên, đột xuất trong dịp Tết", "error"),
    ("bố trí kinh phí chi thường xuyên cho đơn vị", "error"),
    ("chỉ đạo các cơ quan báo chí thường xuyên đưa tin", "continuous"),  # "báo chí" is no spending
    # families read before, unchanged
    ("Thường xuyên", "continuous"),
    ("thường xuyên kiểm tra, đôn đốc", "continuous"),
    ("định kỳ hằng năm", ["2025-12-31", "2026-12-31", "2027-12-31", "2028-12-31"]),
    ("từ ngày 01/12/2025 đến ngày 15/12/2025", ("once", "2025-12-15")),
    ("Quyết định số 12/QĐ-UBND ngày 05/11/2025", "error"),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:50] for c in CASES])
def test_family(text, expected):
    if expected == "error":
        with pytest.raises(DeadlineError):
            parse_deadline(text, ISSUED)
    else:
        assert reading(text) == expected


def test_cut_off_says_why():
    with pytest.raises(DeadlineError, match="cut-off"):
        parse_deadline("Số liệu báo cáo năm được tính từ ngày 15 tháng 12 năm trước đến hết ngày 14 tháng 12 năm "
                       "báo cáo", ISSUED)


def test_missing_period_says_so():
    with pytest.raises(DeadlineError, match="report period"):
        parse_deadline("Ngày 18 của tháng cuối kỳ báo cáo", ISSUED)


def test_noun_thuong_xuyen_says_why():
    with pytest.raises(DeadlineError, match="describes"):
        parse_deadline("các công việc thường xuyên, đột xuất trong dịp Tết", ISSUED)


def test_plan_year_quotes_its_words():
    assert parse_deadline("hoàn thành 100% kế hoạch vốn năm 2026", ISSUED).matched.endswith("năm 2026")
