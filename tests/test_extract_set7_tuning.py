"""`dondoc extract` after held-out set 7's first run (issue 25): unnumbered paragraphs under a heading, each
naming its own lead; verbs the lead list did not know ("xem xét", "tăng"); a short heading ending on "Sở" is not
a broken line; a span that says when something happens, and the issuer's leader's own plan, are not deadlines.
Tuning tests: examples of our own, never the held-out texts."""

from __future__ import annotations

import pytest

from core.i18n import use_language
from intake.directive import extract
from intake.directive.leads import _subject
from intake.directive.outline import _continues

PROVINCE = """ỦY BAN NHÂN DÂN
TỈNH HÀ TĨNH
Số: 21/CT-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Hà Tĩnh, ngày 02 tháng 3 năm 2026
CHỈ THỊ
Về phòng, chống cháy rừng mùa khô năm 2026
Chủ tịch Ủy ban nhân dân tỉnh yêu cầu:
"""


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def _tasks(body: str):
    return [(t.stt, t.lead, t.deadline) for t in extract(PROVINCE + body).tasks]


def test_unnumbered_paragraphs_under_a_heading_are_each_a_task_of_their_own_lead():
    got = _tasks("1. Các sở, ban, ngành, địa phương theo chức năng, nhiệm vụ:\n"
                 "Sở Nông nghiệp và Môi trường chỉ đạo Chi cục Kiểm lâm tuần tra rừng; hoàn thành trước ngày 30/4/2026.\n"
                 "Công an tỉnh chỉ đạo lực lượng phòng cháy, chữa cháy sẵn sàng phương tiện;\n"
                 "phối hợp với kiểm lâm xử lý người đốt nương trái phép.\n"
                 "Ủy ban nhân dân các xã, phường tổ chức trực cháy 24/24 giờ.\n")
    assert got == [("1", "Sở Nông nghiệp và Môi trường", "trước ngày 30/4/2026"), ("1", "Công an tỉnh", None),
                   ("1", "Ủy ban nhân dân các xã, phường", None)]


def test_paragraphs_that_name_no_lead_stay_one_duty_of_the_heading():
    got = _tasks("1. Sở Nông nghiệp và Môi trường:\nTổ chức tuần tra rừng.\nBáo cáo trước ngày 30/4/2026.\n")
    assert got == [("1", "Sở Nông nghiệp và Môi trường", "trước ngày 30/4/2026")]


@pytest.mark.parametrize("text, lead", [
    ("Bộ Tài chính xem xét, hỗ trợ kinh phí", "Bộ Tài chính"),
    ("Đài Phát thanh và Truyền hình tỉnh tăng thời lượng phát sóng", "Đài Phát thanh và Truyền hình tỉnh"),
])
def test_more_verbs_end_a_lead(text, lead):
    assert _subject(text)[0] == lead


def test_a_short_heading_ending_on_so_is_not_a_broken_line():
    assert not _continues("6. Văn phòng Sở", "Đăng tải Kế hoạch lên Cổng thông tin điện tử của Sở.")
    assert _continues("Sở Nông nghiệp và Môi trường chủ trì, phối hợp với Ban Quản lý rừng phòng hộ và Sở",
                      "Tài chính bố trí kinh phí.")


@pytest.mark.parametrize("duty", [
    "tuyên truyền người dân tiết kiệm nước, nhất là trong các giờ cao điểm từ tháng 4 đến tháng 6 năm 2026.",
    "tổng hợp kết quả. Chủ tịch Ủy ban nhân dân tỉnh sẽ kiểm tra thực tế vào tháng 5 năm 2026.",
])
def test_when_something_happens_or_the_leader_will_visit_is_no_deadline(duty):
    assert _tasks("1. Sở Nông nghiệp và Môi trường " + duty + "\n")[0][2] is None


@pytest.mark.parametrize("duty, deadline", [
    ("cấp phép khai thác chậm nhất 05 ngày làm việc sau khi nhận đủ hồ sơ.",
     "chậm nhất 05 ngày làm việc sau khi nhận đủ hồ sơ"),
    ("thực hiện đạt kế hoạch trồng rừng năm 2026 được giao.", "đạt kế hoạch trồng rừng năm 2026"),
])
def test_a_count_after_an_event_is_kept_to_date_and_a_plan_to_reach_is_due_at_its_years_end(duty, deadline):
    assert _tasks("1. Sở Nông nghiệp và Môi trường " + duty + "\n")[0][2] == deadline
