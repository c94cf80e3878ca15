"""Scanned directives: page images and PDFs without a text layer, read with Tesseract's Vietnamese model.
The scans are made here: Vietnamese text drawn with DejaVu at a scanner's resolution (tests/scans.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.i18n import _
from intake.directive import extract
from intake.directive.ocr import OcrLimits, Reader, ScanReadError, data_to_lines
from intake.directive.readers import DirectiveReadError, read_lines
from tests.conftest import cli_runner
from tests.scans import crop_to_text, noise, render_pages, scanned_pdf

DIRECTIVE = [
    "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
    "Số: 1234/UBND-KGVX",
    "V/v triển khai công tác chuyển đổi số năm 2020",
    "Đồng Nai, ngày 10 tháng 01 năm 2020",
    "Chủ tịch UBND tỉnh yêu cầu các sở, ban, ngành thực hiện các nội dung sau:",
    "1. Giao Sở Nội vụ chủ trì rà soát thủ tục hành chính, báo cáo trước ngày 15/3/2020.",
    "2. Giao Sở Tài chính bố trí kinh phí thực hiện, hoàn thành trước ngày 30/6/2020.",
]


def scan_png(tmp_path: Path, lines=DIRECTIVE, dpi: int = 200, name: str = "scan.png") -> Path:
    path = tmp_path / name
    crop_to_text(render_pages(lines, dpi=dpi)[0]).save(path)
    return path


def test_a_page_image_is_read_and_drafted(tmp_path):
    lines = read_lines(scan_png(tmp_path))
    text = "\n".join(lines)
    assert "Giao Sở Nội vụ chủ trì rà soát thủ tục hành chính" in text
    d = extract(lines)
    assert (d.number, d.issued) == ("1234/UBND-KGVX", date(2020, 1, 10))
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [
        ("1", "Sở Nội vụ", "trước ngày 15/3/2020"), ("2", "Sở Tài chính", "trước ngày 30/6/2020")]


def test_a_jpeg_too(tmp_path):
    path = tmp_path / "scan.jpg"
    crop_to_text(render_pages(DIRECTIVE[5:], dpi=200)[0]).save(path, quality=85)
    assert [t.lead for t in extract(read_lines(path)).tasks] == ["Sở Nội vụ", "Sở Tài chính"]


def test_a_scanned_pdf_of_two_pages(tmp_path):
    pages = [crop_to_text(render_pages(DIRECTIVE[:5], dpi=200)[0]),
             crop_to_text(render_pages(DIRECTIVE[5:], dpi=200)[0])]
    path = scanned_pdf(tmp_path / "scan.pdf", pages)
    import pdfplumber

    with pdfplumber.open(path) as pdf:  # a scan indeed: no text layer at all
        assert all(not p.chars for p in pdf.pages)
    d = extract(read_lines(path, ocr=OcrLimits(dpi=200)))
    assert d.number == "1234/UBND-KGVX"
    assert [(t.lead, t.deadline) for t in d.tasks] == [("Sở Nội vụ", "trước ngày 15/3/2020"),
                                                       ("Sở Tài chính", "trước ngày 30/6/2020")]


def test_dondoc_extract_reads_a_scanned_pdf(engine, db_url, monkeypatch, tmp_path):
    cli = cli_runner(monkeypatch, db_url, "2020-01-12T09:00:00+07:00")
    path = scanned_pdf(tmp_path / "scan.pdf", [crop_to_text(render_pages(DIRECTIVE, dpi=200)[0])])
    out = tmp_path / "draft.yaml"
    r = cli("extract", str(path), "-o", str(out), OCR_DPI="200")
    assert r.exit_code == 0, r.stderr
    import yaml

    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["directive"]["number"] == "1234/UBND-KGVX"
    assert [(t["lead"], t["deadline"]) for t in data["tasks"]] == [("Sở Nội vụ", "trước ngày 15/3/2020"),
                                                                   ("Sở Tài chính", "trước ngày 30/6/2020")]


def test_a_scan_too_poor_to_trust_is_refused_with_its_confidence(tmp_path):
    path = scan_png(tmp_path, DIRECTIVE[5:] * 3, dpi=50)  # print too small for the scanner: letters guessed
    with pytest.raises(DirectiveReadError) as err:
        read_lines(path)
    message = str(err.value)
    assert message.startswith(_("{file}: the scan is too poor to trust what was read (mean word confidence {confidence} "
                                "%, below {threshold} %, OCR_MIN_CONFIDENCE); scan the paper again at 300 dpi, "
                                "straight and sharp, or use the .docx or a PDF with a text layer",
                                file="scan.png", confidence="X", threshold="70").split("X")[0])
    # the same scan is taken when the administrator lowers the threshold on purpose
    assert read_lines(path, ocr=OcrLimits(min_confidence=10))


@pytest.mark.parametrize("image", ["noise", "blank"])
def test_noise_or_a_blank_page_has_no_text(tmp_path, image):
    from PIL import Image

    path = tmp_path / f"{image}.png"
    (noise() if image == "noise" else Image.new("L", (800, 600), 255)).save(path)
    with pytest.raises(DirectiveReadError) as err:
        read_lines(path)
    assert str(err.value) == _("{file}: no text found on the scan; check that it is a page of the directive, the "
                               "right way up, or use the .docx or a PDF with a text layer", file=path.name)


def test_page_limit_refuses_before_reading_a_page(tmp_path, monkeypatch):
    import pytesseract

    def no_reading(*args, **kwargs):
        raise AssertionError("a page was read")

    monkeypatch.setattr(pytesseract, "image_to_data", no_reading)
    page = crop_to_text(render_pages(DIRECTIVE[5:6], dpi=100)[0])
    path = scanned_pdf(tmp_path / "long.pdf", [page, page, page], dpi=100)
    with pytest.raises(DirectiveReadError) as err:
        read_lines(path, ocr=OcrLimits(max_pages=2, dpi=100))
    assert str(err.value) == _("{file}: more than {limit} pages to read with OCR (OCR_MAX_PAGES); send the pages with "
                               "the tasks only, or raise the limit", file="long.pdf", limit=2)


def test_time_limit_is_the_readings_own_budget(tmp_path):
    """The budget is spent by the pages read before: a fake monotonic clock says 100 s passed per page."""
    page = crop_to_text(render_pages(DIRECTIVE[5:6], dpi=100)[0])
    ticks = iter(range(0, 10_000, 100))
    reader = Reader(tmp_path / "slow.pdf", OcrLimits(timeout_seconds=250), monotonic=lambda: next(ticks))
    reader.page(page)  # at 100 s
    reader.page(page)  # at 200 s
    with pytest.raises(ScanReadError) as err:
        reader.page(page)  # at 300 s: past the budget before it starts
    assert str(err.value) == _("{file}: reading the scan took longer than {seconds} seconds (OCR_TIMEOUT_SECONDS), at "
                               "page {page}; send fewer pages or raise the limit", file="slow.pdf", seconds="250",
                               page=3)


def test_without_the_vietnamese_model_it_says_what_to_install(tmp_path, monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    with pytest.raises(DirectiveReadError) as err:
        read_lines(scan_png(tmp_path))
    assert "tesseract-ocr-vie" in str(err.value) and "scan.png" in str(err.value)


def test_data_to_lines_keeps_reading_order_and_paragraphs():
    data = {"text": ["", "1.", "Giao", "", "Sở", "Nội", "vụ", "  ", "2."],
            "conf": [-1, 96, 91.5, -1, 90, 88, 93, 10, 95],
            "block_num": [1, 1, 1, 1, 1, 1, 1, 1, 2], "par_num": [1, 1, 1, 1, 1, 1, 1, 1, 1],
            "line_num": [1, 1, 1, 2, 2, 2, 2, 2, 1]}
    lines, confidences = data_to_lines(data)
    assert lines == ["1. Giao", "Sở Nội vụ", "", "2."]  # no boxes: nothing is known to be wrapped
    assert confidences == [96, 91.5, 90, 88, 93, 95]


def test_a_sentence_wrapped_by_the_margin_is_one_line_again():
    # x from 100 to 1000: line 1 reaches the margin, line 2 continues at the left margin; line 3 opens an item
    # though line 2 is full too; line 4 is short, so line 5 starts a line of its own.
    words = [("3.", 100, 1, 1), ("Sở", 140, 1, 1), ("Tài", 960, 1, 1),
             ("nguyên", 100, 1, 2), ("trì", 955, 1, 2),
             ("4.", 100, 1, 3), ("Sở", 140, 1, 3), ("Y", 400, 1, 3),
             ("Kính", 100, 2, 1), ("gửi", 160, 2, 1)]
    data = {"text": [w for w, *_ in words], "conf": [95] * len(words), "left": [x for _, x, *_ in words],
            "width": [40] * len(words), "block_num": [1] * len(words), "par_num": [p for *_, p, _ in words],
            "line_num": [n for *_, n in words]}
    lines, _ = data_to_lines(data)
    assert lines == ["3. Sở Tài nguyên trì", "4. Sở Y", "", "Kính gửi"]
    data["text"][8] = "f?)"  # a speck beside an item's letter
    assert data_to_lines(data)[0][-1] == "f) gửi"
    data["text"][8:10] = ["II", "NỘI"]  # the dot after a part's number lost
    assert data_to_lines(data)[0][-1] == "II. NỘI"
    data["text"][8:10] = ["II", "nội"]
    assert data_to_lines(data)[0][-1] == "II nội"
    for read, meant in (("11/2013", "II/2013"), ("I1/2013", "II/2013"), ("1/2013", "1/2013"), ("1V/2013", "IV/2013"),
                        ("III/2013", "III/2013")):
        data["text"][8:10] = ["Quý", read]
        assert data_to_lines(data)[0][-1] == f"Quý {meant}"
    data["text"][8:10] = ["Quý", "12/2013"]  # not a quarter's number: left alone
    assert data_to_lines(data)[0][-1] == "Quý 12/2013"


def test_wrapped_sentences_of_a_scan_come_back_whole(tmp_path):
    lead = "Sở Tài nguyên và Môi trường"
    text = (f"3. Giao {lead} chủ trì, phối hợp với Ủy ban nhân dân các huyện, thị xã Long Khánh, thành phố Biên Hòa "
            "rà soát thủ tục hành chính thuộc thẩm quyền giải quyết, báo cáo trước ngày 15/3/2020.")
    lines = read_lines(scan_png(tmp_path, [DIRECTIVE[5], text, DIRECTIVE[6]]))
    assert text in lines  # wrapped on the page, one line again
    assert [t.lead for t in extract(lines).tasks] == ["Sở Nội vụ", lead, "Sở Tài chính"]


APPENDIX = [
    "Số: 77/UBND-HCC", "Đồng Nai, ngày 10 tháng 01 năm 2020",
    "1. Giao Sở Nội vụ chủ trì tổng hợp, báo cáo trước ngày 15/3/2020.",
    "PHỤ LỤC",
    "STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành",
    "1\tXây dựng đề án số hóa hồ sơ, tài liệu lưu trữ của các cơ quan nhà nước trên địa bàn tỉnh\tSở Tư pháp\t"
    "Các sở, ban, ngành\tQuý IV/2020",
    "2\tTổ chức tập huấn nghiệp vụ kiểm soát thủ tục hành chính\tVăn phòng UBND tỉnh\tCác sở, ban, ngành\tTháng 6/2020",
]


def test_an_appendix_table_on_a_scan_gives_its_rows(tmp_path):
    """Ruled, the header centred, cells wrapping onto several printed rows: one task a row, as from a PDF."""
    lines = read_lines(scan_png(tmp_path, APPENDIX))
    header = next(ln for ln in lines if ln.startswith("STT\t"))
    assert header.split("\t") == ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
    d = extract(lines)
    assert [(t.stt, t.lead, t.deadline) for t in d.tasks] == [
        ("1", "Sở Nội vụ", "trước ngày 15/3/2020"), ("PL.1", "Sở Tư pháp", "Quý IV/2020"),
        ("PL.2", "Văn phòng UBND tỉnh", "Tháng 6/2020")]
    assert d.tasks[1].content.startswith("Xây dựng đề án số hóa hồ sơ, tài liệu lưu trữ của các cơ quan nhà nước")


def test_a_sentence_going_on_over_a_page_break_is_one_line(tmp_path):
    item = ("3. Giao Sở Tài nguyên và Môi trường chủ trì, phối hợp với Ủy ban nhân dân các huyện, thị xã Long Khánh, "
            "thành phố Biên Hòa rà soát thủ tục hành chính thuộc thẩm quyền giải quyết, báo cáo trước ngày 15/3/2020.")
    pages = render_pages([DIRECTIVE[5], item], dpi=200, page_inches=(8.27, 1.6), margin_inches=0.5)
    assert len(pages) >= 2  # the item is cut by the page's end
    lines = read_lines(scanned_pdf(tmp_path / "scan.pdf", pages), ocr=OcrLimits(dpi=200))
    assert item in lines
    assert [t.lead for t in extract(lines).tasks] == ["Sở Nội vụ", "Sở Tài nguyên và Môi trường"]


@pytest.mark.parametrize("angle", [-1.5, 0.8, 2.5])
def test_the_angle_of_a_page_fed_askew_is_found(angle):
    from PIL import Image

    from intake.directive.page_cleanup import skew_angle

    page = render_pages(DIRECTIVE + APPENDIX, dpi=150)[0]
    assert abs(skew_angle(page.rotate(angle, resample=Image.BICUBIC, fillcolor=255)) + angle) <= 0.1
    assert abs(skew_angle(page)) <= 0.1  # a level page is left level


def test_an_appendix_table_scanned_askew_and_stamped_still_gives_its_rows(tmp_path):
    """A clerk's copy: 1.5° askew, a received stamp over the number, a red seal over the signer, photocopy grain,
    JPEG. The table's ruling lines slant across its rows unless the page is levelled first, and the seal's words
    read as one more row unless its ink is taken off (both seen in `python -m bench.scans --office`)."""
    from PIL import Image

    from tests.scans import office_copy

    signed = APPENDIX + ["", "", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "Nguyễn Văn A"]
    page = render_pages(signed, dpi=200)[0].rotate(1.5, resample=Image.BICUBIC, fillcolor=255)
    [copy] = office_copy([page], max_skew=0)  # stamps, grain and JPEG; the skew is the 1.5° above
    copy.save(tmp_path / "askew.jpg")
    d = extract(read_lines(tmp_path / "askew.jpg"))
    # the seal's words ("ỦY BAN NHÂN DÂN … TỈNH") and the signer are no row of the table (spaces aside: at
    # 200 dpi through JPEG, Tesseract runs "Sở Tư pháp" together; the directory matches either)
    assert [(t.stt, t.lead.replace(" ", ""), t.deadline) for t in d.tasks] == [
        ("1", "SởNộivụ", "trước ngày 15/3/2020"), ("PL.1", "SởTưpháp", "Quý IV/2020"),
        ("PL.2", "VănphòngUBNDtỉnh", "Tháng 6/2020")]
