"""A second held-out set for the deadline families (issue 14), committed before the grammar work and not
run while tuning: the accuracy it prints is the honest estimate on unseen phrases. Issued Friday 10/01/2020."""

from __future__ import annotations

from datetime import date

from core.deadline import DeadlineError, parse_deadline
from core.workdays import WorkCalendar

ISSUED = date(2020, 1, 10)
CAL = WorkCalendar()

CASES = [
    ("Báo cáo tháng: gửi trước ngày 20 của tháng báo cáo", ["2020-01-20", "2020-02-20", "2020-03-20", "2020-04-20"]),
    ("thời hạn gửi báo cáo: ngày 25 (hai mươi lăm) hằng tháng", ["2020-01-25", "2020-02-25", "2020-03-25", "2020-04-25"]),
    ("Báo cáo quý: trước ngày 15 (mười lăm) của tháng cuối quý báo cáo",
     ["2020-03-15", "2020-06-15", "2020-09-15", "2020-12-15"]),
    ("Báo cáo năm gửi chậm nhất ngày 10 tháng 12 hàng năm", ["2020-12-10", "2021-12-10", "2022-12-10", "2023-12-10"]),
    ("ngày 01 tháng 11 hằng năm", ["2020-11-01", "2021-11-01", "2022-11-01", "2023-11-01"]),
    # The issue day itself counts (as "trước ngày 23/5" issued 23/5): 10/01 closes December's report.
    ("Báo cáo tháng gửi trước ngày 10 của tháng tiếp theo", ["2020-01-10", "2020-02-10", "2020-03-10", "2020-04-10"]),
    ("Báo cáo quý gửi trước ngày 15 của tháng đầu quý tiếp theo", ["2020-01-15", "2020-04-15", "2020-07-15", "2020-10-15"]),
    ("Báo cáo năm gửi trước ngày 31 tháng 01 năm tiếp theo", ["2020-01-31", "2021-01-31", "2022-01-31", "2023-01-31"]),
    ("báo cáo năm chậm nhất ngày 15 tháng 01 của năm sau", ["2020-01-15", "2021-01-15", "2022-01-15", "2023-01-15"]),
    ("báo cáo 6 tháng trước ngày 15/6 và báo cáo năm trước ngày 15/12",
     ["2020-06-15", "2020-12-15", "2021-06-15", "2021-12-15"]),
    ("Báo cáo sơ kết 6 tháng gửi trước ngày 25/6; báo cáo tổng kết năm gửi trước ngày 25/11",
     ["2020-06-25", "2020-11-25", "2021-06-25", "2021-11-25"]),
    ("báo cáo tháng trước ngày 20 hằng tháng; báo cáo năm trước ngày 10 tháng 12 hằng năm",
     ["2020-01-20", "2020-02-20", "2020-03-20", "2020-04-20"]),
    ("định kỳ 06 tháng một lần (trước ngày 10/6 và 10/12)", ["2020-06-10", "2020-12-10", "2021-06-10", "2021-12-10"]),
    ("thứ Tư hằng tuần", ["2020-01-15", "2020-01-22", "2020-01-29", "2020-02-05"]),
    ("định kỳ vào thứ Sáu hàng tuần", ["2020-01-10", "2020-01-17", "2020-01-24", "2020-01-31"]),
    ("trước 10 giờ sáng thứ Hai hằng tuần", ["2020-01-13", "2020-01-20", "2020-01-27", "2020-02-03"]),
    ("hằng ngày", "error"),
    ("Thời gian triển khai từ ngày 15/02/2020 đến ngày 15/3/2020; báo cáo kết quả trước ngày 25/3/2020",
     ("once", "2020-03-25")),
    ("Trực từ ngày 30/4/2020 đến hết ngày 03/5/2020, gửi lịch trực về Văn phòng trước ngày 25/4/2020",
     ("once", "2020-04-25")),
    ("trong thời hạn 07 ngày kể từ ngày kết thúc kiểm tra", "error"),
    ("chậm nhất 05 ngày làm việc kể từ ngày kết thúc đợt thanh tra", "error"),
    ("Đợt tuyên truyền từ tháng 4/2020 đến tháng 6/2020, hoàn thành báo cáo chậm nhất ngày 15/7/2020",
     ("once", "2020-07-15")),
]


def reading(text: str):
    try:
        dl = parse_deadline(text, ISSUED, CAL)
    except DeadlineError:
        return "error"
    if dl.kind == "once":
        return ("once", dl.due.isoformat())
    if dl.kind == "recurring":
        return [x.isoformat() for x in dl.next_dues(ISSUED, 4)]
    return dl.kind


def test_holdout_accuracy():
    wrong = [(t, reading(t), e) for t, e in CASES if reading(t) != e]
    for t, got, e in wrong:
        print(f"WRONG {t!r}: got {got}, expected {e}")
    share = 1 - len(wrong) / len(CASES)
    print(f"held-out: {len(CASES) - len(wrong)}/{len(CASES)} = {share:.0%}")
    assert share >= 0.95
