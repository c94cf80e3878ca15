"""`dondoc extract` on more shapes (issue 25, after held-out set 3's first run): the offices of a commune after
the 2025 reform ("Phòng Kinh tế, Hạ tầng và Đô thị", "Trạm Y tế phường"), leads headed by "Trưởng …" and "Chỉ huy
trưởng …", words of a duty verb inside a name ("và các tổ chức thành viên", "(Ban quản lý …)", "… được giao
nhiệm vụ"), and dash paragraphs that name no one beside one that does. Tuning tests: examples of our own, never
the held-out texts."""

from __future__ import annotations

import pytest

from core.i18n import use_language
from intake.directive import extract
from intake.directive.leads import _subject


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


WARD = """ỦY BAN NHÂN DÂN
PHƯỜNG AN KHÁNH
Số: 41/KH-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
An Khánh, ngày 02 tháng 3 năm 2026
KẾ HOẠCH
Ra quân tổng vệ sinh môi trường năm 2026
II. TỔ CHỨC THỰC HIỆN
"""


def _tasks(body: str):
    return [(t.stt, t.lead, t.deadline) for t in extract(WARD + body).tasks]


def test_a_commune_office_heading_without_a_colon_leads_its_dash_paragraphs():
    got = _tasks("1. Phòng Kinh tế, Hạ tầng và Đô thị\n- Rà soát các điểm tập kết rác tự phát;\n"
                 "- Báo cáo kết quả về Ủy ban nhân dân phường trước ngày 10/4/2026.\n"
                 "2. Phòng Văn hóa - Xã hội\n- Vận động Nhân dân tham gia ra quân.\n")
    assert got == [("II.1", "Phòng Kinh tế, Hạ tầng và Đô thị", "trước ngày 10/4/2026"),
                   ("II.2", "Phòng Văn hóa - Xã hội", None)]


@pytest.mark.parametrize("text, lead", [
    ("Trạm Y tế phường tổ chức phun hóa chất diệt muỗi tại các khu dân cư", "Trạm Y tế phường"),
    ("Trưởng các khu phố tuyên truyền người dân bỏ rác đúng giờ", "Trưởng các khu phố"),
    ("Chỉ huy trưởng Ban Chỉ huy Quân sự phường bố trí lực lượng dân quân tham gia", "Chỉ huy trưởng Ban Chỉ huy Quân sự phường"),
    ("Hội Liên hiệp Phụ nữ phường và các tổ chức thành viên vận động hội viên tham gia", "Hội Liên hiệp Phụ nữ phường và các tổ chức thành viên"),
    ("Các chủ đầu tư (Ban quản lý dự án phường, Trung tâm phát triển quỹ đất) đẩy nhanh tiến độ", "Các chủ đầu tư"),
    ("Các sở, ngành được giao nhiệm vụ tại Phụ lục chủ động triển khai", "Các sở, ngành"),
])
def test_leads_that_hold_words_of_a_duty_verb_or_a_title(text, lead):
    assert _subject(text)[0] == lead


@pytest.mark.parametrize("text", ["Phòng, chống dịch sốt xuất huyết", "Phòng chống thiên tai và tìm kiếm cứu nạn",
                                  "Phòng ngừa cháy nổ tại khu dân cư"])
def test_phong_chong_is_a_topic_not_an_office(text):
    assert _subject(text) is None


def test_dash_paragraphs_naming_no_one_stay_together_beside_one_that_names_its_lead():
    got = _tasks("1. Ủy ban nhân dân các phường:\n- Kiểm tra các tuyến kênh, mương;\n"
                 "- Lập danh sách hộ dân vi phạm, hoàn thành trước ngày 20/3/2026;\n"
                 "- Chủ tịch Ủy ban nhân dân phường An Khánh trực tiếp chỉ đạo ra quân tại khu vực chợ.\n")
    assert got == [("II.1", "Ủy ban nhân dân các phường", "trước ngày 20/3/2026"),
                   ("II.1", "Chủ tịch Ủy ban nhân dân phường An Khánh", None)]


HEAD = WARD.replace("II. TỔ CHỨC THỰC HIỆN\n", "")


def test_a_purposes_section_is_not_duties():
    got = [(t.stt, t.lead) for t in extract(
        HEAD + "I. MỤC ĐÍCH, YÊU CẦU\n1. Nâng cao ý thức giữ gìn vệ sinh của Nhân dân.\n"
               "2. Các cơ quan, đơn vị phối hợp chặt chẽ trong tổ chức thực hiện.\n"
               "II. TỔ CHỨC THỰC HIỆN\n1. Phòng Kinh tế rà soát các điểm tập kết rác, báo cáo trước ngày 10/4/2026.\n"
    ).tasks]
    assert got == [("II.1", "Phòng Kinh tế")]


def test_group_rows_of_an_appendix_are_not_tasks_whatever_the_column_order():
    table = ("PHỤ LỤC\nSTT\tNội dung\tThời hạn\tĐơn vị chủ trì\tĐơn vị phối hợp\n"
             "A\tNhóm nhiệm vụ về hạ tầng\t\t\t\n"
             "1\tLắp đặt camera giám sát tại các nút giao\tQuý II/2026\tCông an phường\tPhòng Kinh tế, Hạ tầng và Đô thị\n"
             "II\tNhóm nhiệm vụ tuyên truyền\t\t\t\n"
             "2\tTuyên truyền trên hệ thống loa truyền thanh\tThường xuyên\tPhòng Văn hóa - Xã hội\t\n")
    tasks = extract(WARD + "1. Phòng Kinh tế theo dõi, đôn đốc thực hiện Kế hoạch.\n" + table).tasks
    assert [(t.stt, t.lead, t.deadline) for t in tasks if t.stt.startswith("PL.")] == [
        ("PL.1", "Công an phường", "Quý II/2026"), ("PL.2", "Phòng Văn hóa - Xã hội", "Thường xuyên")]


def test_the_days_a_duty_is_done_in_are_due_on_the_last():
    got = _tasks("1. Công an phường bố trí lực lượng tuần tra tại các chốt từ ngày 10/02/2026 đến hết ngày 25/02/2026.\n"
                 "2. Phòng Kinh tế tổng hợp số liệu tính từ ngày 01/01/2026 đến ngày 31/3/2026.\n")
    assert got == [("II.1", "Công an phường", "từ ngày 10/02/2026 đến hết ngày 25/02/2026"),
                   ("II.2", "Phòng Kinh tế", None)]  # a data cut-off is not the days of the duty


def test_a_ministry_printed_on_two_lines_is_one_issuer():
    d = extract("BỘ VĂN HÓA, THỂ THAO\nVÀ DU LỊCH\n-------\nSố: 120/BVHTTDL-VP\nV/v tổ chức Ngày Văn hóa các dân tộc\n"
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nHà Nội, ngày 05 tháng 3 năm 2026\n"
                "1. Sở Văn hóa, Thể thao và Du lịch các tỉnh báo cáo kết quả trước ngày 30/4/2026.\n")
    assert d.issuer == "Bộ Văn hóa, Thể thao và Du lịch"


def test_a_paragraph_handing_a_duty_on_after_the_last_item_is_a_task_of_its_own():
    d = extract("BỘ TƯ PHÁP\nSố: 88/BTP-PBGDPL\nV/v hưởng ứng Ngày Pháp luật năm 2026\n"
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nHà Nội, ngày 02 tháng 3 năm 2026\n"
                "Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương.\n"
                "Bộ Tư pháp đề nghị Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương thực hiện các nội dung sau:\n"
                "1. Xây dựng kế hoạch hưởng ứng Ngày Pháp luật, ban hành trước ngày 15/4/2026.\n"
                "2. Gửi báo cáo kết quả về Bộ Tư pháp trước ngày 30/11/2026.\n"
                "Bộ Tư pháp giao Vụ Phổ biến, giáo dục pháp luật theo dõi, đôn đốc các địa phương thực hiện.\n"
                "Trong quá trình thực hiện, nếu có vướng mắc, đề nghị phản ánh về Bộ Tư pháp để được hướng dẫn./.\n")
    got = [(t.stt, t.lead, t.deadline) for t in d.tasks]
    assert got == [("1", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương", "trước ngày 15/4/2026"),
                   ("2", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương", "trước ngày 30/11/2026"),
                   ("2", "Vụ Phổ biến, giáo dục pháp luật", None)]


def test_the_addressees_of_the_opening_end_at_their_verb():
    d = extract("BỘ TƯ PHÁP\nSố: 89/BTP-PBGDPL\nV/v tổng kết công tác hòa giải ở cơ sở\n"
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nHà Nội, ngày 02 tháng 3 năm 2026\n"
                "Bộ Tư pháp đề nghị Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương chỉ đạo các cơ quan, đơn vị "
                "thực hiện các nội dung sau:\n1. Tổng kết công tác hòa giải ở cơ sở, gửi báo cáo trước ngày 30/6/2026.\n")
    assert [t.lead for t in d.tasks] == ["Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"]
