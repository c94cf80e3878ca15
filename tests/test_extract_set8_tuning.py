"""`dondoc extract` after held-out set 8's first run (issue 25): a table of duties in the body with sections after
it, a letter whose opening names no one, a commune's own people as leads, a schedule opening its clause, the
duty a decision hands on, a restated standing duty, a target with "phấn đấu … %", and a report sent after a data
cut-off. Tuning tests: examples of our own, never the held-out texts."""

from __future__ import annotations

import pytest

from core.i18n import use_language
from intake.directive import extract
from intake.directive.leads import _subject

PLAN = """ỦY BAN NHÂN DÂN
TỈNH BẮC NINH
Số: 301/KH-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Bắc Ninh, ngày 02 tháng 3 năm 2026
KẾ HOẠCH
Bảo đảm an toàn giao thông đường thủy năm 2026
"""


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def _tasks(text: str):
    return [(t.stt, t.lead, t.deadline) for t in extract(text).tasks]


def test_sections_after_a_table_of_duties_in_the_body_are_read():
    got = _tasks(PLAN + "III. NHIỆM VỤ CỤ THỂ\n"
                        "STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành\n"
                        "1\tKiểm tra bến khách ngang sông\tSở Xây dựng\tCông an tỉnh\tQuý II/2026\n"
                        "IV. TỔ CHỨC THỰC HIỆN\n"
                        "1. Sở Xây dựng là cơ quan thường trực, theo dõi việc thực hiện Kế hoạch.\n"
                        "2. Sở Tài chính bố trí kinh phí trong dự toán năm 2026.\n")
    assert [lead for _s, lead, _d in got] == ["Sở Xây dựng", "Sở Xây dựng", "Sở Tài chính"]


def test_a_letters_items_are_its_addressees_when_the_opening_names_no_one():
    letter = ("BỘ XÂY DỰNG\nSố: 77/BXD-GT\nV/v bảo đảm giao thông mùa mưa lũ\nHà Nội, ngày 02 tháng 3 năm 2026\n"
              "Kính gửi: Ủy ban nhân dân các tỉnh: Lào Cai, Yên Bái.\nBộ Xây dựng đề nghị:\n"
              "1. Chỉ đạo Sở Xây dựng rà soát các điểm sạt lở trước ngày 30/4/2026.\n")
    assert _tasks(letter)[0][1:] == ("Ủy ban nhân dân các tỉnh: Lào Cai, Yên Bái", "trước ngày 30/4/2026")


@pytest.mark.parametrize("text, lead", [
    ("Công chức Địa chính - Xây dựng tham mưu cấp phép", "Công chức Địa chính - Xây dựng"),
    ("Trưởng thôn, tổ dân phố vận động người dân", "Trưởng thôn, tổ dân phố"),
    ("Ủy ban nhân dân tỉnh Yên Bái bổ sung phương án", "Ủy ban nhân dân tỉnh Yên Bái"),
])
def test_a_communes_own_people_lead(text, lead):
    assert _subject(text)[0] == lead


@pytest.mark.parametrize("duty, deadline", [
    ("rà soát phương tiện; hằng tháng cung cấp danh sách cho Công an tỉnh.", "hằng tháng"),
    ("kiểm tra bến bãi; thực hiện thường xuyên, liên tục.", "thường xuyên, liên tục"),
    ("tổ chức cứu hộ ngay khi xảy ra tai nạn trên sông.", "ngay khi xảy ra tai nạn trên sông"),
    ("số liệu cập nhật đến ngày 10 hằng tháng, gửi Sở Xây dựng trước ngày 15 hằng tháng.", "trước ngày 15 hằng tháng"),
    ("phấn đấu 100% phương tiện chở khách được đăng kiểm vào năm 2027.", None),
])
def test_deadlines_written_around_the_work(duty, deadline):
    assert _tasks(PLAN + "II. NHIỆM VỤ\n1. Sở Xây dựng " + duty + "\n")[0][2] == deadline


def test_a_decision_is_no_task_but_the_duty_it_hands_on_is():
    got = _tasks(PLAN + "II. KẾT LUẬN\n1. Đồng ý chủ trương xây dựng bến thủy nội địa Đáp Cầu. Giao Sở Xây dựng lập "
                        "hồ sơ, trình Ủy ban nhân dân tỉnh trước ngày 30/6/2026.\n")
    assert got == [("II.1", "Sở Xây dựng", "trước ngày 30/6/2026")]


def test_a_standing_duty_said_again_is_no_task():
    got = _tasks(PLAN + "II. TỔ CHỨC THỰC HIỆN\n1. Sở Xây dựng kiểm tra bến bãi trong quý II/2026.\n"
                        "2. Các sở, ngành, Ủy ban nhân dân các xã căn cứ nhiệm vụ được giao triển khai thực hiện.\n")
    assert got == [("II.1", "Sở Xây dựng", "trong quý II/2026")]
