"""Make the small .xls fixtures (Excel 97-2003) the intake tests read: run once, commit the .xls files.

    .venv/bin/pip install xlwt && .venv/bin/python tests/data/make_xls.py

xlwt (a writer of the old BIFF format, not a dependency of dondoc) stands in for an old Excel here.
The tables are shaped like a province's plan appendix: a title, a two-row header with merged cells
("Cơ quan thực hiện" over "Chủ trì | Phối hợp"), a numbering row, section rows, a task continued over
a merged STT cell, and a header without diacritics.
"""

from pathlib import Path

import xlwt

HERE = Path(__file__).resolve().parent


def appendix(ws, rows, *, plain_header=False):
    ws.write_merge(0, 0, 0, 5, "PHỤ LỤC: DANH MỤC NHIỆM VỤ")
    if plain_header:
        for c, h in enumerate(["STT", "Noi dung nhiem vu", "Co quan chu tri", "Co quan phoi hop", "Thoi gian hoan thanh",
                               "San pham"]):
            ws.write(1, c, h)
        first = 2
    else:
        ws.write_merge(1, 2, 0, 0, "TT")
        ws.write_merge(1, 2, 1, 1, "Nội dung nhiệm vụ")
        ws.write_merge(1, 1, 2, 3, "Cơ quan thực hiện")
        ws.write(2, 2, "Chủ trì")
        ws.write(2, 3, "Phối hợp")
        ws.write_merge(1, 2, 4, 4, "Thời hạn hoàn thành")
        ws.write_merge(1, 2, 5, 5, "Kết quả/sản phẩm")
        for c in range(6):
            ws.write(3, c, f"({c + 1})")
        first = 4
    r = first
    for row in rows:
        if isinstance(row, str):
            ws.write_merge(r, r, 0, 5, row)
        elif row and row[0] == "merge-above":
            # the task above continues: STT, content and deadline merged over both rows, another lead here
            _, lead = row
            ws.write(r, 2, lead)
        else:
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
        r += 1
    return first


def main() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Phu luc")
    appendix(ws, [
        "I. CẢI CÁCH THỂ CHẾ",
        ["1", "Rà soát văn bản quy phạm pháp luật", "Sở Tư pháp", "Sở Nội vụ", "Quý III/2013", "Báo cáo"],
        ["2", "Công bố thủ tục hành chính", "Sở Nội vụ", None, "Tháng 12/2013", "Quyết định"],
        ["merge-above", "Sở Y tế"],
        "II. CẢI CÁCH TỔ CHỨC BỘ MÁY",
        ["3", "Tổng hợp kết quả", "Sở Nội vụ", "Văn phòng UBND tỉnh", "Hàng quý", None],
    ])
    # rows 8-9 (0-based 5, 6): task 2 over two rows, its STT/content/deadline/product merged
    for c in (0, 1, 4, 5):
        ws.merge(6, 7, c, c)
    wb.save(str(HERE / "plan-merged-header.xls"))

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    appendix(ws, [
        ["1", "Rà soát văn bản", "Sở Nôi vụ", None, "Quý III/2013", None],
        ["2", "Công bố", "Sở Tư pháp", None, "Quý V/2013", None],
    ], plain_header=True)
    wb.save(str(HERE / "plan-bad.xls"))


if __name__ == "__main__":
    main()
