"""A table copied from a portal as text: rows whose cells keep their own line breaks (held-out set 5's
Tuyên Quang appendix)."""

from __future__ import annotations

from intake.directive.text import to_lines

HEADER = "STT\tNội dung\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành"


def cells(raw):
    return [ln.cells or ln.text for ln in to_lines(raw)]


def test_a_row_broken_inside_its_cells_is_one_row_again():
    assert cells([HEADER, "1\tXây dựng mô hình giảm nghèo", "gắn với cây dược liệu\tSở Nông nghiệp và Môi trường"
                  "\tUBND các xã\tQuý III/2027"])[1] == (
        "1", "Xây dựng mô hình giảm nghèo gắn với cây dược liệu", "Sở Nông nghiệp và Môi trường", "UBND các xã",
        "Quý III/2027")


def test_a_row_broken_in_three_places_takes_three_lines():
    assert cells([HEADER, "7\tThông tin về chính sách;", "xuất bản ấn phẩm\tSở Văn hóa\tBáo và Phát thanh",
                  "Tuyên Quang\tHằng quý"])[1] == (
        "7", "Thông tin về chính sách; xuất bản ấn phẩm", "Sở Văn hóa", "Báo và Phát thanh Tuyên Quang", "Hằng quý")


def test_lines_that_would_give_a_row_more_cells_than_its_header_are_left_alone():
    got = cells([HEADER, "1\tXây dựng", "a\tb\tc\td\te"])
    assert got[1] == "1 Xây dựng" and got[2] == ("a", "b", "c", "d", "e")


def test_a_signers_block_set_out_with_tabs_is_not_a_row():
    got = cells([HEADER, "1\tRà soát\tSở Tư pháp\t\tQuý I/2027", "Nơi nhận:\tKT. CHỦ TỊCH",
                 "- Như trên;\tPHÓ CHỦ TỊCH", "- Lưu: VT.\t(đã ký)\tNguyễn Văn A"])
    assert "Nơi nhận: KT. CHỦ TỊCH" in got
