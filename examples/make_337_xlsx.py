"""Regenerate examples/337-QD-UBND.xlsx from examples/337-QD-UBND.csv (same cells; STT as numbers, as
spreadsheets keep them). Run: .venv/bin/python examples/make_337_xlsx.py"""

import csv
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from storage.registry import _stable_zip

HERE = Path(__file__).resolve().parent


def main() -> None:
    with open(HERE / "337-QD-UBND.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    ws.append(rows[0])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows[1:]:
        ws.append([int(r[0]), *r[1:]])
    for letter, width in zip("ABCDE", (6, 60, 30, 40, 18)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    import io

    raw = io.BytesIO()
    wb.save(raw)
    (HERE / "337-QD-UBND.xlsx").write_bytes(_stable_zip(raw.getvalue()))


if __name__ == "__main__":
    main()
