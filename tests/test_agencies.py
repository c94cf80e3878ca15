"""The agency directory: matching names as people write them, groups, successors, administrators' files."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.agencies import AgencyDirectory, AgencyFileError, UnknownAgency, sync_directory
from storage.tables import Agency

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
D2018 = date(2018, 5, 23)
D2025 = date(2025, 8, 1)



@pytest.fixture(autouse=True)
def _english():
    """The directory's warnings are read in the source language here."""
    from core.i18n import use_language

    with use_language("en"):
        yield

@pytest.fixture(scope="module")
def directory() -> AgencyDirectory:
    return AgencyDirectory.load()


@pytest.fixture(scope="module")
def dong_nai() -> AgencyDirectory:
    return AgencyDirectory.load(EXAMPLES / "agencies-dong-nai.yaml")


def codes(d: AgencyDirectory, text: str, on: date | None = D2018) -> tuple[str, ...]:
    return d.match(text, on).codes


@pytest.mark.parametrize("text", [
    "Sở Nội vụ", "Sở Nội Vụ", "sở nội vụ", "SỞ NỘI VỤ", "  Sở  Nội vụ. ", "SNV", "Sở NV", "Giám đốc Sở Nội vụ",
    unicodedata.normalize("NFD", "Sở Nội vụ"),
])
def test_spellings_of_one_agency_match_without_warning(directory, text):
    m = directory.match(text, D2018)
    assert m.codes == ("so-noi-vu",)
    assert m.warnings == ()


@pytest.mark.parametrize("text, code", [
    ("Sở TT&TT", "so-thong-tin-truyen-thong"),
    ("Sở Thông tin và Truyền thông", "so-thong-tin-truyen-thong"),
    ("VP UBND tỉnh", "van-phong-ubnd-tinh"),
    ("VP. UBND tỉnh", "van-phong-ubnd-tinh"),
    ("Văn phòng Uỷ ban nhân dân tỉnh", "van-phong-ubnd-tinh"),  # old tone placement
    ("Văn phòng Ủy ban nhân dân tỉnh", "van-phong-ubnd-tinh"),
    ("Sở KH&ĐT", "so-ke-hoach-dau-tu"),
    ("Sở Kế hoạch & Đầu tư", "so-ke-hoach-dau-tu"),
    ("Sở KH&CN", "so-khoa-hoc-cong-nghe"),
    ("Sở Khoa học Công nghệ", "so-khoa-hoc-cong-nghe"),  # as written in 337/QĐ-UBND row 7
    ("Sở VHTT&DL", "so-van-hoa-the-thao-du-lich"),
    ("Sở Văn hoá TT&DL", "so-van-hoa-the-thao-du-lich"),  # row 9
    ("Sở Văn hoá - Thể thao và Du lịch", "so-van-hoa-the-thao-du-lich"),
    ("Sở GD&ĐT", "so-giao-duc-dao-tao"),
    ("Sở LĐ-TB&XH", "so-lao-dong-tbxh"),
    ("Sở Lao động, Thương binh và Xã hội", "so-lao-dong-tbxh"),
    ("Sở TN&MT", "so-tai-nguyen-moi-truong"),
    ("Sở NN&PTNT", "so-nong-nghiep-ptnt"),
    ("Sở Nông nghiệp & Phát triển nông thôn", "so-nong-nghiep-ptnt"),
    ("Sở GTVT", "so-giao-thong-van-tai"),
    ("Ban Quản lý các KCN", "ban-quan-ly-cac-kcn"),
    ("Đài PT-TH tỉnh", "dai-phat-thanh-truyen-hinh"),
    ("Thanh tra tỉnh", "thanh-tra-tinh"),
    ("Chủ tịch UBND tỉnh", "ubnd-tinh"),
    ("so-noi-vu", "so-noi-vu"),  # a code, as exports write it for unknown names
])
def test_abbreviations_and_variants(directory, text, code):
    assert codes(directory, text) == (code,)


def test_name_without_diacritics_matches_with_a_warning(directory):
    m = directory.match("So Noi vu", D2018)
    assert m.codes == ("so-noi-vu",)
    assert m.warning and "without diacritics" in m.warning and "Sở Nội vụ" in m.warning


def test_wrong_diacritics_are_not_guessed(directory):
    with pytest.raises(UnknownAgency) as e:
        directory.match("Sở Nôi vụ", D2018)
    assert e.value.text == "Sở Nôi vụ"
    assert e.value.suggestions[0] == "Sở Nội vụ"
    assert "did you mean: Sở Nội vụ" in str(e.value)


def test_unknown_part_of_a_list_is_named_with_suggestions(directory):
    with pytest.raises(UnknownAgency) as e:
        directory.match("Sở Nội vụ, Sở Lao đọng, Thương binh và Xã hội", D2018)
    assert e.value.text == "Sở Lao đọng, Thương binh và Xã hội"
    assert e.value.suggestions == ["Sở Lao động – Thương binh và Xã hội"]


def test_unknown_without_anything_close(directory):
    with pytest.raises(UnknownAgency) as e:
        directory.match("Phòng Cảnh sát PCCC", D2018)
    assert e.value.suggestions == []
    assert "AGENCIES_FILE" in str(e.value)


def test_lists_split_on_commas_semicolons_and_va(directory):
    m = directory.match("Văn phòng UBND tỉnh, Sở Nội vụ, Sở Tài chính và các cơ quan liên quan.", D2018)
    assert m.codes == ("van-phong-ubnd-tinh", "so-noi-vu", "so-tai-chinh")
    assert m.notes == ("các cơ quan liên quan",)
    assert codes(directory, "Sở Y tế; Sở GD&ĐT") == ("so-y-te", "so-giao-duc-dao-tao")
    # names that contain "và" or commas themselves stay whole
    assert codes(directory, "Sở Kế hoạch và Đầu tư, Sở Văn hóa, Thể thao và Du lịch") == (
        "so-ke-hoach-dau-tu", "so-van-hoa-the-thao-du-lich")


@pytest.mark.parametrize("text", ["Cơ quan liên quan", "các cơ quan liên quan", "Các cơ quan có liên quan",
                                  "các đơn vị liên quan", "Các sở, ban, ngành liên quan"])
def test_related_agencies_are_kept_as_text(directory, text):
    m = directory.match(text, D2018)
    assert m.codes == ()
    assert m.notes == (text,)


def test_related_phrase_does_not_swallow_a_named_agency(directory):
    m = directory.match("Ban Quản lý các KCN và các cơ quan liên quan", D2018)
    assert m.codes == ("ban-quan-ly-cac-kcn",)
    assert m.notes == ("các cơ quan liên quan",)


def test_departments_group_follows_the_2025_reorganisation(directory):
    before = codes(directory, "Các sở, ban, ngành", D2018)
    after = codes(directory, "Các sở, ban, ngành", D2025)
    assert {"so-ke-hoach-dau-tu", "so-thong-tin-truyen-thong", "so-lao-dong-tbxh", "so-giao-thong-van-tai",
            "so-tai-nguyen-moi-truong", "so-nong-nghiep-ptnt", "ban-dan-toc"} <= set(before)
    assert "so-nong-nghiep-moi-truong" not in before
    assert {"so-nong-nghiep-moi-truong", "so-dan-toc-ton-giao", "so-tai-chinh", "so-khoa-hoc-cong-nghe"} <= set(after)
    assert not {"so-ke-hoach-dau-tu", "so-thong-tin-truyen-thong", "so-lao-dong-tbxh", "ban-dan-toc"} & set(after)
    assert "van-phong-ubnd-tinh" in before and "thanh-tra-tinh" in before and "ban-quan-ly-cac-kcn" in before
    assert "bao-tinh" not in before and "ubnd-tinh" not in before


@pytest.mark.parametrize("text", ["Các sở, ban, ngành", "Thủ trưởng các sở, ban, ngành",
                                  "Thủ trưởng các sở, ban, ngành thuộc tỉnh", "các Sở, Ban, Ngành"])
def test_department_group_spellings(directory, text):
    m = directory.match(text, D2018)
    assert m.groups == ("so-ban-nganh",)
    assert len(m.codes) == 20


def test_districts_group_expands_to_the_provinces_districts(dong_nai):
    for text in ("UBND các huyện, thị xã, thành phố", "UBND cấp huyện",
                 "Chủ tịch UBND các huyện, thị xã Long Khánh và thành phố Biên Hòa"):
        m = dong_nai.match(text, D2018)
        assert len(m.codes) == 11, text
        assert m.codes[0] == "tp-bien-hoa"
    assert codes(dong_nai, "UBND cấp huyện", D2025) == ()  # the district level ended on 30/06/2025


def test_units_and_localities_is_departments_plus_districts(dong_nai):
    m = dong_nai.match("các đơn vị, địa phương", D2018)
    assert len(m.codes) == 31
    assert m.codes[:2] == ("van-phong-ubnd-tinh", "so-noi-vu") and m.codes[-1] == "huyen-xuan-loc"


def test_empty_group_is_reported(directory):
    m = directory.match("UBND cấp xã", D2018)
    assert m.codes == () and m.empty_groups == ("UBND cấp xã",)
    assert "no members" in m.warning


def test_old_name_keeps_its_code_and_warns_after_it_ceased(directory):
    m = directory.match("Sở KH&ĐT", date(2025, 6, 1))
    assert m.codes == ("so-ke-hoach-dau-tu",)
    assert "Sở Tài chính" in m.warning


def test_successor_of(directory):
    assert directory.successor_of("so-ke-hoach-dau-tu", D2018) == "so-ke-hoach-dau-tu"
    assert directory.successor_of("so-ke-hoach-dau-tu", date(2025, 3, 1)) == "so-tai-chinh"
    assert directory.successor_of("so-thong-tin-truyen-thong", D2025) == "so-khoa-hoc-cong-nghe"
    assert directory.successor_of("so-lao-dong-tbxh", D2025) == "so-noi-vu"
    assert directory.successor_of("so-giao-thong-van-tai", D2025) == "so-xay-dung"
    assert directory.successor_of("so-tai-nguyen-moi-truong", D2025) == "so-nong-nghiep-moi-truong"
    assert directory.successor_of("so-nong-nghiep-ptnt", D2025) == "so-nong-nghiep-moi-truong"
    assert directory.successor_of("ban-dan-toc", D2025) == "so-dan-toc-ton-giao"
    assert directory.successor_of("unknown-code", D2025) == "unknown-code"
    assert directory.name("so-noi-vu") == "Sở Nội vụ" and directory.name("unknown-code") == "unknown-code"


def test_agencies_file_extends_the_builtin_one(tmp_path, directory):
    f = tmp_path / "agencies.yaml"
    f.write_text(
        "agencies:\n"
        "  - code: huyen-a\n    name: UBND huyện A\n    kind: ubnd-cap-huyen\n"
        "  - code: so-noi-vu\n    name: Sở Nội vụ\n    aliases: [Sở Nội vụ tỉnh X]\n"
        "groups:\n"
        "  - code: ubnd-cap-huyen\n    name: UBND cấp huyện\n    aliases: [\"Các huyện A, B\"]\n",
        encoding="utf-8")
    d = AgencyDirectory.load(f)
    assert codes(d, "UBND huyện A") == ("huyen-a",)
    assert codes(d, "Sở Nội vụ tỉnh X") == codes(d, "SNV") == ("so-noi-vu",)  # aliases added, not replaced
    assert codes(d, "Các huyện A, B") == ("huyen-a",)
    assert codes(d, "Sở Tư pháp") == ("so-tu-phap",)
    assert d.get("huyen-a").kind == "ubnd-cap-huyen"
    assert directory.get("huyen-a") is None  # the built-in one is untouched


def test_agencies_file_can_replace_the_builtin_one(tmp_path):
    f = tmp_path / "agencies.yaml"
    f.write_text("replace: true\nagencies:\n  - code: co-quan-a\n    name: Cơ quan A\n", encoding="utf-8")
    d = AgencyDirectory.load(f)
    assert [a.code for a in d.agencies] == ["co-quan-a"]
    with pytest.raises(UnknownAgency):
        d.match("Sở Nội vụ")


def test_agencies_file_errors_name_file_and_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "agencies:\n"
        "  - code: Bad Code\n    name: X\n"
        "  - code: so-moi\n    name: Sở Mới\n    successor: khong-co\n"
        "  - code: so-khac\n    name: Sở Khác\n    colour: red\n",
        encoding="utf-8")
    with pytest.raises(AgencyFileError) as e:
        AgencyDirectory.load(f)
    text = str(e.value)
    assert f"{f}:2: code: 'Bad Code'" in text
    assert f"{f}:4: agency 'so-moi': successor 'khong-co' is not in the directory" in text
    assert f"{f}:9: unknown key 'colour'" in text
    with pytest.raises(AgencyFileError, match="agencies file not found"):
        AgencyDirectory.load(tmp_path / "missing.yaml")


def test_a_name_meaning_two_agencies_is_refused(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text("agencies:\n  - code: so-noi-vu-2\n    name: Sở Nội vụ\n", encoding="utf-8")
    with pytest.raises(AgencyFileError, match="means several entries"):
        AgencyDirectory.load(f)


def test_sync_directory_upserts_once(engine, dong_nai):
    with Session(engine) as s:
        assert sync_directory(s, dong_nai) == len(dong_nai.agencies)
        s.commit()
    with Session(engine) as s:
        assert sync_directory(s, dong_nai) == 0
        row = s.exec(select(Agency).where(Agency.code == "so-ke-hoach-dau-tu")).one()
        assert row.name == "Sở Kế hoạch và Đầu tư" and row.successor == "so-tai-chinh"
        assert row.valid_to == date(2025, 2, 28)
        assert "so-ban-nganh" in row.groups
        assert s.exec(select(Agency).where(Agency.code == "huyen-xuan-loc")).one().groups == [
            "ubnd-cap-huyen", "ubnd-cap-huyen-xa", "don-vi-dia-phuong"]
