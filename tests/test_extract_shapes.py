"""`dondoc extract` on the shapes of issue 25, each rule on its own with examples of our own (the tuning set; the
held-out directives of bench/heldout/ are read by no test): central leads, numbering "(1)", "1.1.", "1.1.1.",
"-", "+", a heading ending in a colon, hard line breaks, group headings, lead lists after a colon, the "Nơi
nhận:" block, dash paragraphs kept in their item, the header of central and provincial documents, and the
numbered items the draft could not turn into tasks."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from core.i18n import use_language
from intake.directive import extract
from intake.directive.draft_yaml import render
from intake.directive.header import read_header
from intake.directive.leads import _subject
from intake.directive.outline import _outline, unwrap
from intake.directive.text import to_lines


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


CENTRAL = """BỘ Y TẾ
Số: 77/CĐ-BYT
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Hà Nội, ngày 03 tháng 3
năm 2026
CÔNG ĐIỆN
Về việc chủ động phòng, chống dịch sởi
trong dịp đầu năm 2026
Ngày 01 tháng 3 năm 2026, Bộ Y tế đã họp với các đơn vị liên quan. Bộ trưởng Bộ Y tế yêu cầu:
"""


def leads(text: str) -> list[str]:
    return [t.lead for t in extract(CENTRAL + text).tasks]


# -- leads -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,lead", [
    ("Bộ Tài chính chủ trì, phối hợp với các bộ bố trí kinh phí", "Bộ Tài chính"),
    ("Bộ trưởng Bộ Giáo dục và Đào tạo chỉ đạo các trường học rà soát", "Bộ trưởng Bộ Giáo dục và Đào tạo"),
    ("Thống đốc Ngân hàng Nhà nước Việt Nam chỉ đạo các ngân hàng thương mại", "Thống đốc Ngân hàng Nhà nước Việt Nam"),
    ("Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương khẩn trương rà soát",
     "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"),
    ("Phó Thủ tướng Chính phủ Lê Thành Long trực tiếp chỉ đạo", "Phó Thủ tướng Chính phủ Lê Thành Long"),
    ("Giao đồng chí Bộ trưởng Bộ Xây dựng chủ trì rà soát", "Bộ trưởng Bộ Xây dựng"),
    ("Hiệp hội Ngân hàng Việt Nam vận động các thành viên", "Hiệp hội Ngân hàng Việt Nam"),
    ("Công an tỉnh chủ trì bảo đảm an ninh", "Công an tỉnh"),
    ("Tập đoàn Công nghiệp Than - Khoáng sản Việt Nam bảo đảm nguồn than", "Tập đoàn Công nghiệp Than - Khoáng sản Việt Nam"),
    # a list of names after a colon belongs to the lead
    ("Ủy ban nhân dân các tỉnh: Cao Bằng, Điện Biên, Lai Châu chỉ đạo di dời dân", "Ủy ban nhân dân các tỉnh: Cao Bằng, Điện Biên, Lai Châu"),
    ("Chủ tịch Ủy ban nhân dân các tỉnh: Sơn La, Yên Bái tổ chức kiểm tra", "Chủ tịch Ủy ban nhân dân các tỉnh: Sơn La, Yên Bái"),
])
def test_central_and_provincial_leads(text, lead):
    assert _subject(text)[0] == lead


def test_coordinators_end_where_the_duty_begins():
    from intake.directive.leads import _coordinators

    assert _coordinators("chủ trì, phối hợp với Bộ Tài chính cân đối, bố trí vốn cho các dự án") == ["Bộ Tài chính"]
    assert _coordinators("phối hợp với Sở Nông nghiệp và Phát triển nông thôn xây dựng kế hoạch") == [
        "Sở Nông nghiệp và Phát triển nông thôn"]


@pytest.mark.parametrize("heading", ["CÁC NHIỆM VỤ KHÁC", "Các nhiệm vụ khác", "Các giải pháp chủ yếu",
                                     "CÁC NỘI DUNG TRỌNG TÂM"])
def test_a_group_heading_is_not_an_agency(heading):
    assert _subject(heading) is None


def test_the_addressees_of_the_opening_sentence_lead_its_items():
    from intake.directive.leads import _intro_lead

    lines = to_lines("Thực hiện Quyết định số 10/QĐ-TTg ngày 02/01/2026 của Thủ tướng Chính phủ, Bộ Y tế đề nghị các bộ, "
                     "cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương triển khai thực hiện "
                     "các nội dung sau:")
    assert _intro_lead(lines) == "các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"


# -- hard line breaks ----------------------------------------------------------------------------------------
def test_a_sentence_broken_by_the_page_is_one_line_again():
    got = [ln.text for ln in unwrap(to_lines("3. Sở Tài\nnguyên và Môi trường chủ trì thẩm định hồ sơ\n"
                                             "a) Rà soát;\nb) Báo cáo.\n- Như trên;\nHà Nội, ngày 20 tháng 9\nnăm 2024\n"
                                             "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG"))]
    assert got == ["3. Sở Tài nguyên và Môi trường chủ trì thẩm định hồ sơ", "a) Rà soát;", "b) Báo cáo.",
                   "- Như trên;", "Hà Nội, ngày 20 tháng 9 năm 2024", "ỦY BAN NHÂN DÂN", "TỈNH AN GIANG"]


def test_a_wrapped_lead_is_read_whole():
    d = extract(CENTRAL + "1. Sở Tài\nnguyên và Môi trường chủ trì thẩm định hồ sơ, hoàn thành trước ngày 30/4/2026.\n")
    assert (d.tasks[0].lead, d.tasks[0].deadline) == ("Sở Tài nguyên và Môi trường", "trước ngày 30/4/2026")


# -- numbering -------------------------------------------------------------------------------------------------
def test_deep_numbers_parenthesised_numbers_and_plus_paragraphs():
    text = ("II. NHIỆM VỤ\n1. Cải cách thể chế\n1.1. Sở Tư pháp chủ trì rà soát văn bản.\n"
            "1.2. Văn phòng Ủy ban nhân dân tỉnh:\n1.2.1. Chủ trì kiểm soát thủ tục.\n1.2.2. Theo dõi việc công khai.\n"
            "2. Sở Nội vụ:\n(1) Tổng hợp kết quả.\n(2) Đôn đốc các đơn vị.\n"
            "3. Trung tâm Phục vụ hành chính công tỉnh:\n+ Tiếp nhận hồ sơ;\n+ Báo cáo quý gửi Sở Nội vụ.\n")
    d = extract(CENTRAL + text)
    got = [(t.stt, t.lead) for t in d.tasks]
    assert got == [("II.1.1", "Sở Tư pháp"), ("II.1.2.1", "Văn phòng Ủy ban nhân dân tỉnh"),
                   ("II.1.2.2", "Văn phòng Ủy ban nhân dân tỉnh"), ("II.2.1", "Sở Nội vụ"), ("II.2.2", "Sở Nội vụ"),
                   ("II.3", "Trung tâm Phục vụ hành chính công tỉnh")]
    assert "Báo cáo quý" in d.tasks[-1].content  # the "+" paragraphs stay in their item


def test_a_heading_ending_in_a_colon_then_lettered_items():
    d = extract(CENTRAL + "4. Đề nghị:\na) Bộ Công an chỉ đạo lực lượng chức năng kiểm tra;\n"
                          "b) Bộ Quốc phòng hỗ trợ lực lượng, hoàn thành trong tháng 4 năm 2026.\n")
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [
        ("4.a", "Bộ Công an", None), ("4.b", "Bộ Quốc phòng", "trong tháng 4 năm 2026")]


def test_dash_paragraphs_stay_in_their_item_and_a_later_deadline_is_found():
    d = extract(CENTRAL + "2. Sở Y tế:\n- Chủ trì giám sát các ổ dịch;\n"
                          "- Tổng hợp tình hình, báo cáo Bộ Y tế trước ngày 15/3/2026.\n3. Sở Giáo dục và Đào tạo "
                          "chỉ đạo các trường học vệ sinh lớp học.\n")
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [("2", "Sở Y tế", "trước ngày 15/3/2026"),
                                                               ("3", "Sở Giáo dục và Đào tạo", None)]


def test_a_dash_paragraph_with_its_own_subject_is_its_own_task():
    d = extract(CENTRAL + "1. Tổ chức thực hiện\n- Sở Nội vụ chủ trì tổng hợp.\n- Sở Tài chính bố trí kinh phí.\n")
    assert [t.lead for t in d.tasks] == ["Sở Nội vụ", "Sở Tài chính"]


def test_the_recipients_block_is_not_tasks():
    d = extract(CENTRAL + "1. Bộ Tài chính bố trí kinh phí.\nNơi nhận:\n- Như trên;\n- Bộ Tài chính;\n"
                          "- UBND các tỉnh, thành phố trực thuộc trung ương;\n- Lưu: VT, DP.\nBỘ TRƯỞNG\n")
    assert [t.lead for t in d.tasks] == ["Bộ Tài chính"]


def test_a_group_heading_leads_nothing():
    d = extract(CENTRAL + "III. CÁC NHIỆM VỤ KHÁC\n1. Văn phòng Bộ theo dõi, đôn đốc.\n")
    assert [(t.stt, t.lead) for t in d.tasks] == [("III.1", "Văn phòng Bộ")]


# -- the header ---------------------------------------------------------------------------------------------------
def test_central_header_split_date_meeting_date_and_subject_over_two_lines():
    h = read_header(unwrap(to_lines(CENTRAL)))
    assert (h.kind, h.number, h.issued, h.issuer) == ("Công điện", "77/CĐ-BYT", date(2026, 3, 3), "Bộ Y tế")
    assert h.subject == "chủ động phòng, chống dịch sởi trong dịp đầu năm 2026"
    assert h.review == []


@pytest.mark.parametrize("first,issuer", [("THỦ TƯỚNG CHÍNH PHỦ", "Thủ tướng Chính phủ"),
                                          ("VĂN PHÒNG CHÍNH PHỦ", "Văn phòng Chính phủ"),
                                          ("BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "Bộ Nông nghiệp và Môi trường"),
                                          ("NGÂN HÀNG NHÀ NƯỚC VIỆT NAM", "Ngân hàng Nhà nước Việt Nam")])
def test_central_issuers(first, issuer):
    h = read_header(to_lines(f"{first}\nSố: 5/TB-X\nHà Nội, ngày 02 tháng 02 năm 2026\nTHÔNG BÁO\nKết luận của lãnh đạo"))
    assert (h.issuer, h.kind, h.subject) == (issuer, "Thông báo", "Kết luận của lãnh đạo")


def test_a_subject_wrapped_after_the_type_title():
    h = read_header(unwrap(to_lines("BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG\nSố: 9/CT-BNNMT\nHà Nội, ngày 02 tháng 4 năm 2026\n"
                                    "CHỈ THỊ\nVề việc tăng cường quản lý chất lượng nước sinh hoạt tại các đô thị\n"
                                    "Đồng bằng sông Cửu Long\nThời gian qua, chất lượng nước có lúc chưa bảo đảm.")))
    assert h.subject == "tăng cường quản lý chất lượng nước sinh hoạt tại các đô thị Đồng bằng sông Cửu Long"


def test_a_provincial_department_under_the_committee_is_not_glued_to_it():
    h = read_header(to_lines("UBND TỈNH LÂM ĐỒNG\nSỞ NỘI VỤ\nSố: 12/SNV-CCHC\nLâm Đồng, ngày 05 tháng 5 năm 2026\n"
                             "V/v báo cáo cải cách hành chính"))
    assert (h.issuer, h.subject) == ("Sở Nội vụ tỉnh Lâm Đồng", "báo cáo cải cách hành chính")


def test_missing_header_fields_are_marked():
    h = read_header(to_lines("1. Sở Nội vụ tổng hợp."))
    assert len(h.review) == 5  # number, kind, issue date, issuer, subject


# -- what the draft could not read ------------------------------------------------------------------------------
def test_numbered_items_not_turned_into_tasks_are_listed_with_their_line():
    d = extract(CENTRAL + "1. Bộ Tài chính bố trí kinh phí.\n2. Đẩy mạnh tuyên truyền về phòng bệnh.\n")
    assert [t.lead for t in d.tasks] == ["Bộ Tài chính"]
    assert [(u.stt, u.line) for u in d.unread] == [("2", 11)]
    text = render(d, source="cd.txt")
    assert "# REVIEW (line 11): item 2 was not turned into a task: Đẩy mạnh tuyên truyền về phòng bệnh." in text
    yaml.safe_load(text)


# -- deadlines the text governs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,phrase", [
    ("Tổng kết công tác y tế dịp Tết, báo cáo Thủ tướng Chính phủ trong tháng 3 năm 2026", "trong tháng 3 năm 2026"),
    ("Đẩy nhanh thi công, bảo đảm đưa dự án vào sử dụng trong quý II năm 2026", "trong quý II năm 2026"),
    ("Tập trung nâng cao chất lượng dịch vụ trong năm 2026", None),  # a focus, not a deadline
    ("Chủ trì đôn đốc giải ngân, hoàn thành 100% kế hoạch vốn năm 2026", "hoàn thành 100% kế hoạch vốn năm 2026"),
    ("Tổ chức Hội nghị sơ kết: 01/7/2026 – 05/7/2026", "01/7/2026 – 05/7/2026"),
    ("Xây dựng kế hoạch kiểm tra định kỳ hằng năm đối với các cơ sở; trình UBND tỉnh trước ngày 31/3/2026",
     "trước ngày 31/3/2026"),
    ("Cập nhật, công bố giá vật liệu trước ngày 10 hằng tháng", "trước ngày 10 hằng tháng"),
    ("Phấn đấu tỷ lệ hồ sơ trực tuyến đạt 90% vào năm 2030", None),  # a target
    ("Định kỳ hằng tháng tổng hợp kết quả, báo cáo Bộ Y tế", "Định kỳ hằng tháng"),
    ("Chỉ đạo các trạm y tế thường xuyên kiểm tra nguồn nước", "thường xuyên"),
    ("Rà soát các công việc thường xuyên của đơn vị", None),
])
def test_governed_deadlines(text, phrase):
    from intake.directive.deadlines import _governed_deadline

    assert _governed_deadline(text, date(2026, 1, 5))[0] == phrase


@pytest.mark.parametrize("text", ["Báo cáo quý gửi Sở Nội vụ chậm nhất vào ngày 10 của tháng đầu quý tiếp theo",
                                  "Tổng hợp báo cáo 6 tháng gửi UBND tỉnh chậm nhất ngày 20 của tháng tiếp theo ngay "
                                  "sau kỳ báo cáo"])
def test_a_report_schedules_phrase_reads_the_same_on_its_own(text):
    """The draft's deadline is imported on its own: it must carry the report period that gives it its meaning."""
    from core.deadline import parse_deadline
    from intake.directive.deadlines import _governed_deadline

    on = date(2026, 1, 5)
    phrase = _governed_deadline(text, on)[0]
    alone, whole = parse_deadline(phrase, on), parse_deadline(text, on)
    assert (alone.kind, alone.rrules) == (whole.kind, whole.rrules) and alone.kind == "recurring"


def test_a_heading_ending_in_report_stays_a_heading():
    got = [ln.text for ln in unwrap(to_lines("4. Chế độ báo cáo\nCác sở, ngành gửi báo cáo năm về Sở Nội vụ."))]
    assert got == ["4. Chế độ báo cáo", "Các sở, ngành gửi báo cáo năm về Sở Nội vụ."]


@pytest.mark.parametrize("text", ["Bảo đảm an toàn giao thông trong dịp Tết", "Bảo vệ môi trường"])
def test_a_duty_starting_with_bao_is_not_a_newspaper(text):
    assert _subject(text) is None
