"""A central directive drafted for a province (issue 25): the central groups are in the agency directory, a
duty for agencies the province's directory does not hold is said in the draft and left out of the import, and
the draft imports without hand-written agencies-file entries. Texts and names are examples of our own."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core.i18n import _, ngettext
from intake.directive import extract
from intake.directive.directory import fit_to_directory, is_central
from intake.directive.draft_yaml import render
from intake.directive.model import Draft, DraftTask
from storage.agencies import AgencyDirectory

ON = date(2026, 4, 10)
CENTRAL = """BỘ Y TẾ
Số: 310/BYT-DP
V/v phòng, chống sốt xuất huyết năm 2026
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Hà Nội, ngày 10 tháng 4 năm 2026
Kính gửi:
- Các bộ, cơ quan ngang bộ;
- Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương.
Bộ Y tế đề nghị các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương thực hiện các nội dung sau:
1. Chỉ đạo tổ chức chiến dịch diệt lăng quăng, báo cáo kết quả về Bộ Y tế trước ngày 30/6/2026.
2. Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ chỉ đạo các đơn vị trực thuộc phối hợp tuyên truyền trước ngày 15/5/2026.
3. Bộ Tài chính bố trí kinh phí mua hóa chất, hoàn thành trong tháng 5/2026.
4. Ủy ban nhân dân các xã, phường tổ chức vệ sinh môi trường trước ngày 31/5/2026.
"""
MINISTRY_FILE = """agencies:
  - {code: bo-y-te-tw, name: Bộ Y tế, kind: bo}
  - {code: bo-tai-chinh-tw, name: Bộ Tài chính, kind: bo}
  - {code: ttxvn, name: Thông tấn xã Việt Nam, kind: co-quan-thuoc-cp}
  - {code: xa-an-phu, name: UBND xã An Phú, kind: ubnd-cap-xa}
"""


@pytest.fixture(scope="module")
def builtin() -> AgencyDirectory:
    return AgencyDirectory.load(None)


@pytest.fixture
def with_ministries(tmp_path) -> AgencyDirectory:
    f = tmp_path / "agencies.yaml"
    f.write_text(MINISTRY_FILE, encoding="utf-8")
    return AgencyDirectory.load(f)


# -- the groups in the directory ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương",
                                  "UBND các tỉnh, thành phố trực thuộc Trung ương",
                                  "Chủ tịch Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"])
def test_the_provinces_of_a_central_directive_are_this_province(builtin, text):
    m = builtin.match(text, ON)
    assert m.is_group and m.groups == ("ubnd-cap-tinh",) and m.codes == ("ubnd-tinh",) and not m.empty_groups


def test_the_ministries_group_has_no_members_in_a_province(builtin):
    m = builtin.match("Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", ON)
    assert m.codes == () and m.empty_groups == ("Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ",)
    mixed = builtin.match("các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương", ON)
    assert mixed.codes == ("ubnd-tinh",) and mixed.empty_groups == ("các bộ, cơ quan ngang bộ",)


def test_a_ministry_directory_expands_the_central_groups(with_ministries):
    m = with_ministries.match("Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", ON)
    assert set(m.codes) == {"bo-y-te-tw", "bo-tai-chinh-tw", "ttxvn"} and not m.empty_groups
    assert with_ministries.match("Các bộ, cơ quan ngang bộ", ON).codes == ("bo-y-te-tw", "bo-tai-chinh-tw")


# -- the draft against the directory ------------------------------------------------------------------------

def _lead(lead: str, directory) -> DraftTask:
    d = fit_to_directory(Draft(issued=ON, tasks=[DraftTask(stt="1", content="…", lead=lead)]), directory)
    return d.tasks[0]


def test_a_group_with_no_members_is_said_and_left_out(builtin):
    t = _lead("Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", builtin)
    assert t.left_out and t.lead == "Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ"  # kept as written
    reason = ngettext("the group {groups} has no members in the agency directory",
                      "the groups {groups} have no members in the agency directory", 1,
                      groups="'Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ'")
    assert t.review == [_("left out of the import: {reason}. To keep this task, name as its lead an agency of the "
                          "directory, or add the missing agencies to AGENCIES_FILE.", reason=reason)]
    # the communes of a province not listed yet: the same, not a refusal at import
    assert _lead("Ủy ban nhân dân các xã, phường", builtin).left_out


def test_a_lead_partly_outside_the_directory_keeps_the_part_inside(builtin):
    t = _lead("các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương", builtin)
    assert not t.left_out and t.lead == "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"
    assert "'các bộ, cơ quan ngang bộ'" in t.review[0]
    t = _lead("Bộ Tài chính, Sở Nội vụ", builtin)
    assert not t.left_out and t.lead == "Sở Nội vụ" and "'Bộ Tài chính'" in t.review[0]
    # a group that includes an empty one: the members' names, when the text cannot be cut
    assert _lead("Các bộ, ngành, địa phương", builtin).lead == "UBND tỉnh"


@pytest.mark.parametrize("lead", ["Bộ Xây dựng", "Thống đốc Ngân hàng Nhà nước Việt Nam",
                                  "Văn phòng Chính phủ, Bộ Tài chính, Bộ Tư pháp", "Phó Thủ tướng Chính phủ Trần Văn A",
                                  "Giao đồng chí Bộ trưởng Bộ Công Thương", "Tập đoàn Điện lực Việt Nam",
                                  "Hiệp hội Doanh nghiệp nhỏ và vừa Việt Nam"])
def test_central_agencies_are_left_out_of_a_provincial_import(builtin, lead):
    assert is_central(lead)
    t = _lead(lead, builtin)
    assert t.left_out and t.review and lead in t.review[0]


def test_provinces_named_one_by_one_say_to_write_ubnd_tinh(builtin):
    t = _lead("Ủy ban nhân dân các tỉnh: Lạng Sơn, Cao Bằng", builtin)
    assert t.left_out and "UBND tỉnh" in t.review[0]


@pytest.mark.parametrize("lead", ["Sở Tài", "Bộ Chỉ huy Quân sự tỉnh", "Ban Thi đua Mặt trăng"])
def test_a_provincial_name_it_does_not_know_is_left_to_the_import(builtin, lead):
    t = _lead(lead, builtin)  # the import names it, with suggestions, as for any registry
    assert not t.left_out and t.review == [] and t.lead == lead
    assert not is_central(lead)


def test_known_leads_are_untouched(builtin, with_ministries):
    for lead in ("Sở Nội vụ", "Các sở, ban, ngành", "Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương"):
        t = _lead(lead, builtin)
        assert (t.lead, t.left_out, t.review) == (lead, "", [])
    t = _lead("Bộ Tài chính", with_ministries)  # a ministry's own directory holds it
    assert (t.left_out, t.review) == ("", [])


def test_the_draft_writes_a_left_out_task_as_a_comment(builtin):
    draft = fit_to_directory(extract(CENTRAL), builtin)
    assert [(t.stt, bool(t.left_out)) for t in draft.tasks] == [("1", False), ("2", True), ("3", True), ("4", True)]
    text = render(draft, source="cv.txt")
    body = text.split("tasks:")[1]
    assert len(re.findall(r"^  - ", body, re.M)) == 1  # the one task this province imports
    assert '  #   content: "Bộ Tài chính bố trí kinh phí mua hóa chất' in body
    assert ngettext("{n} task is left out of the import: its lead has no agency in this directory (see the task).",
                    "{n} tasks are left out of the import: their leads have no agency in this directory (see each "
                    "task).", 3) in text


# -- end to end: `dondoc extract` then `dondoc import`, no agencies file ---------------------------------------

@pytest.fixture
def cli(engine, db_url, monkeypatch):
    from tests.conftest import cli_runner

    return cli_runner(monkeypatch, db_url, "2026-04-12T09:00:00+07:00")


def test_a_central_directive_imports_without_an_agencies_file(cli, engine, tmp_path):
    from sqlmodel import Session, select

    from storage.tables import Task

    src = tmp_path / "cv-310.txt"
    src.write_text(CENTRAL, encoding="utf-8")
    out = tmp_path / "draft.yaml"
    r = cli("extract", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert ngettext("{n} task is left out (commented out in the draft): its lead has no agency in the directory; see "
                    "its REVIEW note.", "{n} tasks are left out (commented out in the draft): their leads have no "
                    "agency in the directory; see their REVIEW notes.", 3) in r.stderr
    assert _("`dondoc import` reads it as it is; review it first all the same.") in r.stderr
    r = cli("import", str(out))
    assert r.exit_code == 0, r.output
    with Session(engine) as s:
        tasks = s.exec(select(Task).where(Task.key.like("310-%"))).all()
    assert [(t.lead_agency, t.deadline_text) for t in tasks] == [("ubnd-tinh", "trước ngày 30/6/2026")]
