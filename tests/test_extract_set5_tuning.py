"""`dondoc extract` after held-out set 5's first run (issue 25): lead lists after "các Bộ:", words that look like
an agency's ("Ban hành", "Bố trí"), whom a lead requires something of, recurring schedules after the work, limits
counted from an event, assessment sections, a duty in the closing sentence, and lines a PDF broke inside a
parenthesis, a list or a name. Tuning tests: examples of our own, never the held-out texts."""

from __future__ import annotations

import pytest

from core.i18n import use_language
from intake.directive import extract
from intake.directive.leads import _subject
from intake.directive.outline import _continues

CENTRAL = """THỦ TƯỚNG CHÍNH PHỦ
Số: 12/CT-TTg
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Hà Nội, ngày 02 tháng 3 năm 2026
CHỈ THỊ
Về bảo đảm an toàn thực phẩm dịp cuối năm
Thủ tướng Chính phủ yêu cầu:
"""

PROVINCE = """ỦY BAN NHÂN DÂN
TỈNH NINH BÌNH
Số: 07/CT-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Ninh Bình, ngày 02 tháng 3 năm 2026
CHỈ THỊ
Về tăng cường quản lý chợ truyền thống
Chủ tịch Ủy ban nhân dân tỉnh yêu cầu:
"""


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def _tasks(head: str, body: str):
    return [(t.stt, t.lead, t.deadline) for t in extract(head + body).tasks]


@pytest.mark.parametrize("text, lead", [
    ("Bộ trưởng các Bộ: Y tế, Công Thương theo chức năng được giao chỉ đạo kiểm tra cơ sở sản xuất",
     "Bộ trưởng các Bộ: Y tế, Công Thương"),
    ("Bộ trưởng các Bộ: Nông nghiệp và Môi trường, Tài chính chủ trì rà soát", "Bộ trưởng các Bộ: Nông nghiệp và Môi trường, Tài chính"),
    ("Ủy ban nhân dân các tỉnh: Sơn La, Điện Biên trước ngày 30/6/2026 hoàn thành", "Ủy ban nhân dân các tỉnh: Sơn La, Điện Biên"),
    ("Sở Tài chính: chủ trì, phối hợp với Sở Nội vụ", "Sở Tài chính"),
])
def test_a_list_of_names_after_a_plural_and_its_colon_is_the_lead(text, lead):
    assert _subject(text)[0] == lead


@pytest.mark.parametrize("text", ["Ban hành quy chế phối hợp trong tháng 4/2026", "Bố trí kinh phí từ nguồn chi thường xuyên"])
def test_a_verb_that_starts_like_an_agency_word_leads_nothing(text):
    assert _subject(text) is None


def test_whom_a_lead_requires_something_of_is_not_a_lead_of_its_own():
    got = _tasks(CENTRAL, "1. Bộ trưởng Bộ Y tế chỉ đạo thanh tra chuyên ngành; yêu cầu các cơ sở giết mổ gia súc hoàn "
                          "thành việc lắp camera chậm nhất ngày 30/9/2026.\n")
    assert got == [("1", "Bộ trưởng Bộ Y tế", "chậm nhất ngày 30/9/2026")]


@pytest.mark.parametrize("duty, deadline", [
    ("Sở Công Thương kiểm tra giá các mặt hàng thiết yếu, báo cáo Ủy ban nhân dân tỉnh hằng tháng.", "hằng tháng"),
    ("Sở Y tế tổng hợp tình hình ngộ độc thực phẩm, báo cáo Chủ tịch Ủy ban nhân dân tỉnh vào thứ Hai hằng tuần.",
     "vào thứ Hai hằng tuần"),
    ("Sở Xây dựng công bố chỉ số giá xây dựng trên địa bàn định kỳ hằng quý, làm căn cứ lập dự toán.", "định kỳ hằng quý"),
    ("Sở Nội vụ xây dựng kế hoạch kiểm tra định kỳ hằng năm đối với các chợ.", None),
])
def test_a_schedule_after_the_work_is_the_duty_s_and_after_a_paper_about_work_it_is_not(duty, deadline):
    assert _tasks(PROVINCE, "1. " + duty + "\n")[0][2] == deadline


@pytest.mark.parametrize("limit", ["trong vòng 48 giờ kể từ khi nhận được phản ánh",
                                   "trong thời hạn 05 ngày làm việc kể từ ngày nhận được hồ sơ"])
def test_a_limit_counted_from_an_event_is_kept_for_a_person_to_date(limit):
    stt, lead, deadline = _tasks(PROVINCE, f"1. Công an tỉnh xác minh, xử lý vụ việc {limit}.\n")[0]
    assert deadline == limit
    draft = extract(PROVINCE + f"1. Công an tỉnh xác minh, xử lý vụ việc {limit}.\n")
    assert any("names no date" in r for r in draft.tasks[0].review)


def test_an_assessment_section_is_not_a_task():
    got = _tasks(CENTRAL, "I. ĐÁNH GIÁ CHUNG\nCác bộ, địa phương đã triển khai nhiều giải pháp, song vi phạm còn "
                          "diễn biến phức tạp.\nII. NHIỆM VỤ\n1. Bộ Y tế chủ trì kiểm tra liên ngành trong tháng 12/2026.\n")
    assert got == [("II.1", "Bộ Y tế", "trong tháng 12/2026")]


def test_a_duty_the_closing_sentence_hands_to_one_body_is_a_task_and_the_formula_is_not():
    got = _tasks(PROVINCE, "1. Sở Công Thương kiểm tra các chợ trước ngày 30/4/2026.\n"
                           "Giám đốc các sở, Chủ tịch Ủy ban nhân dân các xã, phường nghiêm túc thực hiện Chỉ thị này; "
                           "Sở Công Thương theo dõi, tổng hợp kết quả, báo cáo Chủ tịch Ủy ban nhân dân tỉnh./.\n")
    assert [(lead, deadline) for _stt, lead, deadline in got] == [("Sở Công Thương", "trước ngày 30/4/2026"),
                                                                ("Sở Công Thương", None)]


@pytest.mark.parametrize("prev, cur, joined", [
    ("đề nghị Ủy ban nhân dân các tỉnh chỉ đạo cơ quan chuyên môn cấp tỉnh", "(Sở Y tế hoặc Sở Nông nghiệp) thực hiện:", True),
    ("Thực hiện Nghị quyết số 68-NQ/TW về kinh tế tư nhân", "(Ban hành kèm theo Quyết định số 12/QĐ-UBND)", False),
    ("Chủ tịch Ủy ban nhân dân các tỉnh: Sơn La, Lai Châu,", "Điện Biên trước ngày 30/6/2026 hoàn thành", True),
    ("6. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh chỉ đạo Ban", "Thanh tra nhân dân tham gia giám sát.", True),
    ("b) Báo cáo về Ủy ban nhân dân xã (qua", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân) trước ngày 26.", True),
    ("2. Về nguồn nhân lực", "Sở Nội vụ chủ trì tuyển dụng.", False),
    ("Tổng số lượt kiểm tra là 40 lượt.", "Sở Y tế chủ trì.", False),
])
def test_lines_a_pdf_broke(prev, cur, joined):
    assert _continues(prev, cur) is joined


def test_a_letters_addressees_lead_when_its_opening_asks_units_and_neighbourhoods():
    letter = ("ỦY BAN NHÂN DÂN\nPHƯỜNG HÒA BÌNH\nSố: 15/UBND-VP\nV/v ra quân dọn vệ sinh\n"
              "Hòa Bình, ngày 02 tháng 3 năm 2026\nKính gửi:\n- Phòng Văn hóa - Xã hội phường;\n- Trưởng các khu phố.\n"
              "Ủy ban nhân dân phường đề nghị các đơn vị, khu phố thực hiện các nội dung sau:\n"
              "1. Tổ chức ra quân trước ngày 15/3/2026.\n")
    assert _tasks("", letter)[0][1] == "Phòng Văn hóa - Xã hội phường; Trưởng các khu phố"
