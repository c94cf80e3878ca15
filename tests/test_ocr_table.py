"""Appendix tables on scanned pages, pure: printed rows of word boxes → the table's rows of cells."""

from __future__ import annotations

import pytest

from intake.directive import ocr_table as t


def word(text, x0, top, width=60, height=30):
    return {"i": 0, "text": text, "x0": x0, "x1": x0 + width, "top": top, "bottom": top + height}


COLUMNS = [0.0, 100.0, 600.0, 800.0]  # STT | Nội dung | Cơ quan chủ trì | Thời gian


def test_rows_are_words_whose_middles_meet_despite_vietnamese_marks():
    rows = t.visual_rows([word("Ủy", 110, 96, height=38), word("ban", 180, 104), word("1", 10, 104),
                          word("hai", 110, 150)])
    assert [[w["text"] for w in r] for r in rows] == [["1", "Ủy", "ban"], ["hai"]]


def test_the_header_wraps_and_cells_wrap_onto_more_printed_rows():
    rows = [
        [word("STT", 10, 0), word("Nội", 300, 0), word("dung", 370, 0), word("Chủ", 650, 0), word("trì", 710, 0),
         word("Thời", 820, 0)],
        [word("gian", 820, 40)],  # the header's last cell, wrapped
        [word("1", 10, 100), word("Rà", 110, 100), word("soát", 170, 100), word("Sở", 610, 100), word("Quý", 810, 100)],
        [word("thủ", 110, 140), word("tục", 170, 140), word("Nội", 610, 140), word("IV/2020", 810, 140)],
        [word("2_", 10, 200), word("Báo", 110, 200), word("cáo", 170, 200), word("Sở", 610, 200)],
    ]
    assert t.find_header(rows) == 0
    assert t.table_rows(rows, COLUMNS, 0) == [
        ["STT", "Nội dung", "Chủ trì", "Thời gian"],
        ["1", "Rà soát thủ tục", "Sở Nội", "Quý IV/2020"],
        ["2", "Báo cáo", "Sở", ""]]


def test_a_page_going_on_with_the_table():
    rest = [[word("hành", 110, 0), word("chính", 170, 0), word("Tháng", 810, 0)], [word("3", 10, 60), word("Họp", 110, 60)]]
    assert t.continues_table(rest, COLUMNS)
    assert t.table_rows(rest, COLUMNS, None) == [["", "hành chính", "", "Tháng"], ["3", "Họp", "", ""]]
    prose = [[word("Nơi", 10, 0), word("nhận:", 80, 0)]]
    assert not t.continues_table(prose, COLUMNS)


@pytest.mark.parametrize("number", ["1.2", "2.1.3", "IV", "3."])
def test_a_page_starting_with_a_sub_numbered_row_goes_on_with_the_table(number):
    """An appendix numbers its rows under its groups: a page that opens on row "1.2" is the table going on
    (set 4's Lâm Đồng appendix lost its last ten rows over a page break before this)."""
    rest = [[word(number, 10, 0), word("Xây", 110, 0), word("dựng", 170, 0), word("Sở", 610, 0)]]
    assert t.continues_table(rest, COLUMNS)


def test_a_page_starting_with_a_date_is_not_a_table_row():
    assert not t.continues_table([[word("20/10/2026", 10, 0, width=90), word("Sở", 610, 0)]], COLUMNS)


def test_no_header_no_table():
    assert t.find_header([[word("Số:", 10, 0), word("12/UBND", 80, 0)]]) is None


@pytest.mark.parametrize("first, found", [("STT", True), ("SIT", True), ("5TT", True), ("Số", False), ("Sở", False)])
def test_a_header_whose_stt_the_scan_blurred_is_still_the_header(first, found):
    """Grain and JPEG turn "STT" into "SIT" (and "phối hợp" into "phốihợp"): the row is still the header;
    a sentence starting "Sở …" that names duties is not."""
    from intake.directive.ocr_table import find_header

    def row(*texts):
        return [{"text": t, "x0": 10 * k, "x1": 10 * k + 8, "top": 0, "bottom": 10} for k, t in enumerate(texts)]

    rows = [row(first, "Nội", "dung", "Cơ", "quan", "chủ", "trì", "Cơ", "quan", "phối", "hợp", "Thời", "gian"),
            row("hoàn", "thành")]
    assert (find_header(rows) == 0) is found


def test_a_ruling_line_read_as_letters_is_no_row():
    assert t.only_rule_marks(["lL", "I", "I", "I", "I ."])
    assert not t.only_rule_marks(["1", "Lập kế hoạch", "Sở Nội vụ", "", "Quý I/2012"])


def _page_with(*boxes):
    from PIL import Image, ImageDraw

    page = Image.new("L", (1200, 1600), 255)
    draw = ImageDraw.Draw(page)
    for box in boxes:
        draw.rectangle(box, fill=0)
    return page


def test_a_tables_ruling_lines_are_whitened():
    page = _page_with((100, 300, 1100, 303), (100, 300, 103, 900))  # a rule across and one down
    out = t.without_rules(page)
    assert out.getpixel((600, 301)) == 255 and out.getpixel((101, 600)) == 255


def test_a_page_without_a_table_is_left_as_it_is():
    """Bold letters with grain can fill a bin of ink a rule would; without a rule four bins long the page has no
    table, and whitening that bin made Tesseract drop the whole line (set 5's clerk's copy, "than,")."""
    page = _page_with((300, 500, 420, 540))  # a blot of ink the size of a bold word
    assert t.without_rules(page).tobytes() == page.convert("L").tobytes()


def test_a_page_whose_rules_stand_where_the_tables_columns_were_goes_on_with_it():
    """The first row's number a speck on a clerk's copy ("3" read "Sẵi"): the rules down the row still say the
    table goes on."""
    page = _page_with(*[(x, 0, x + 3, 400) for x in (100, 200, 700, 900, 1100)])
    row = [word("Sẵi", 110, 100), word("Chuyển", 210, 100)]
    assert not t.continues_table([row], [100.0, 200.0, 700.0, 900.0])
    assert t.same_rules(page, [100.0, 200.0, 700.0, 900.0], [row])
    assert not t.same_rules(page, [100.0, 300.0, 700.0, 900.0], [row])


def test_a_header_whose_stt_is_lost_is_found_by_the_cells_drawn_round_it():
    """On a clerk's copy "STT" came back "si DỊ" (held-out set 8, h40): the row names the header's words and
    ruling lines stand down it, so it is the header; the same words in a sentence, not drawn in cells, are not."""
    def row(*texts):
        return [{"text": t, "x0": 100 * k, "x1": 100 * k + 80, "top": 300, "bottom": 340} for k, t in enumerate(texts)]

    rows = [row("si", "DỊ", "Nội", "dung", "Cơquan", "Cơ", "quan", "Thời", "gian", "Sản"),
            row("chủtrì", "phốihợp", "hoàn", "thành", "phẩm")]
    assert t.find_header(rows) is None
    assert t.find_header(rows, boxed=lambda i: False) is None
    assert t.find_header(rows, boxed=lambda i: i == 0) == 0


def test_ruling_lines_down_a_row_and_beyond_it_make_it_ruled_but_letters_strokes_do_not():
    ruled = _page_with(*[(x, 200, x + 3, 500) for x in (100, 200, 700, 900, 1100)])
    assert t.ruled(ruled, 300, 340)
    strokes = _page_with(*[(x, 300, x + 4, 340) for x in range(100, 1100, 50)])  # tall letters' stems, no more
    assert not t.ruled(strokes, 300, 340)


def test_a_speck_on_the_tables_top_rule_does_not_hide_that_the_table_goes_on():
    """A "¬" read on the top rule of a page going on with the table (set 8, h40) was the page's first row:
    neither a number nor text in two cells, so the table was dropped there."""
    rows = [[word("¬", 1050, 0, height=10)],
            [word("Vận", 110, 30), word("UBND", 610, 30), word("Trước", 810, 30)]]
    assert t.continues_table(rows, COLUMNS)
    assert t.only_rule_marks(["", "", "", "¬"])
    page = _page_with(*[(x, 0, x + 3, 400) for x in (100, 200, 700, 900, 1100)], (100, 0, 1100, 3))
    rows = [[word("¬", 1050, 0, height=10)], [word("Vận", 210, 100)]]
    assert t.same_rules(page, [100.0, 200.0, 700.0, 900.0], rows)


def test_the_rules_across_a_table_make_its_rows():
    page = _page_with((100, 100, 1100, 103), (100, 400, 1100, 402), (100, 405, 1100, 406), (100, 900, 1100, 903),
                      (200, 600, 700, 640))  # three rules (one doubled) and a line of bold words between them
    found = t.across_rules(page, 0, 1600, 100, 1100)
    assert found == [102, 403, 902]
    assert t.bands(found) == [(102, 403), (403, 902)]
    assert t.bands([101, 110, 403]) == [(110, 403)]


def test_a_row_whose_number_the_copy_lost_still_ends_at_its_rule():
    """Set 8's h40 on a clerk's copy: row 7's "7" lost, its deadline "Hằng tháng" ran into row 6's
    ("Từ tháng 4 đến hết tháng 6/2027 Hằng tháng Tháng 12/2027"). The rule across the table ends row 6."""
    rows = [[word("6", 10, 110), word("Kiểm", 110, 110), word("Từ", 810, 110)],
            [word("tra", 110, 150), word("tháng", 810, 150)],
            [word("Xử", 110, 310), word("lý", 170, 310), word("Hằng", 810, 310)],
            [word("8", 10, 510), word("Tổng", 110, 510), word("Tháng", 810, 510)]]
    assert t.table_rows(rows, COLUMNS, None) == [
        ["6", "Kiểm tra Xử lý", "", "Từ tháng Hằng"], ["8", "Tổng", "", "Tháng"]]
    spans = [(100, 300), (300, 500), (500, 700)]
    assert t.table_rows(rows, COLUMNS, None, spans) == [
        ["6", "Kiểm tra", "", "Từ tháng"], ["", "Xử lý", "", "Hằng"], ["8", "Tổng", "", "Tháng"]]


def test_a_header_and_its_wrapped_words_stay_one_row_between_the_rules():
    rows = [[word("STT", 10, 20), word("Nội", 110, 20), word("Thời", 810, 20)], [word("gian", 810, 60)],
            [word("1", 10, 110), word("Rà", 110, 110), word("Quý", 810, 110)], [word("soát", 110, 150)]]
    assert t.table_rows(rows, COLUMNS, 0, [(0, 100), (100, 300)]) == [
        ["STT", "Nội", "", "Thời gian"], ["1", "Rà soát", "", "Quý"]]


def test_an_stt_cells_number_is_cut_out_from_the_cell_and_its_rule():
    from PIL import Image, ImageDraw

    cell = Image.new("L", (160, 600), 255)
    draw = ImageDraw.Draw(cell)
    draw.rectangle((0, 0, 2, 599), fill=0)  # the rule down the cell's edge, caught by the crop
    draw.rectangle((30, 40, 55, 80), fill=0)  # the number
    draw.point((100, 300), fill=0)  # a speck of grain
    assert t.first_line_box(cell) == (30, 40, 56, 81)
    assert t.first_line_box(Image.new("L", (160, 600), 255)) is None


def test_a_speck_read_as_a_sign_is_no_word_but_a_dash_between_dates_is():
    data = {"text": ["¬", "Tin,", "–", "~", "30/6/2027"], "conf": [40, 90, 80, 30, 90], "left": [0, 10, 20, 30, 40],
            "top": [0] * 5, "width": [5] * 5, "height": [5] * 5}
    assert [w["text"] for w in t.words_of(data)] == ["Tin,", "–", "30/6/2027"]


def test_a_header_cells_lost_space_is_put_back_so_its_column_is_known():
    """Set 8's h40 on a clerk's copy: "Cơquan chủtrì", "Cơ quan phốihợp" — the extractor did not know the lead's
    column, and all eight leads came back empty."""
    assert t.spaced_header("Cơquan chủtrì") == "Cơ quan chủ trì"
    assert t.spaced_header("Cơ quan phốihợp") == "Cơ quan phối hợp"
    assert t.spaced_header("Thờigian hoànthành") == "Thời gian hoàn thành"
    assert t.spaced_header("Nội dung") == "Nội dung"
    assert t.spaced_header("Sảnphẩm khác") == "Sản phẩm khác"


def test_a_clerks_copy_is_the_same_whatever_was_made_before_it():
    """The scans bench compares runs: the copy's grain must come from its seed, not from C's rand() (PIL's
    effect_noise), or a document's copy changes with the documents made before it."""
    from PIL import Image

    from tests.scans import office_copy

    page = _page_with((100, 300, 1100, 340)).convert("RGB")
    first = office_copy([page], seed=5)[0].tobytes()
    Image.effect_noise((64, 64), 18)  # what another document's copy, made before, would have drawn
    assert office_copy([page], seed=5)[0].tobytes() == first
