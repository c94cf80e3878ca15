"""Old Excel workbooks (.xls, BIFF), read with xlrd: the first sheet, merged cells included.

An .xls sheet has at most 65,536 rows and 256 columns and the file is bounded by IMPORT_MAX_BYTES, so
reading it whole is bounded too; the row and column limits still apply."""

from __future__ import annotations

from core.i18n import _
from intake.limits import FileRefused, Limits
from intake.readers import Row, Table, cell_text, check_cell, check_row_count, check_width
from intake.readers.merges import Merge, MergeFiller


def read_xls(data: bytes, limits: Limits) -> Table:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as e:  # xlrd raises bare errors of many kinds on a file that is not BIFF
        raise FileRefused(_("not an Excel 97-2003 workbook (.xls): {reason}", reason=type(e).__name__)) from None
    try:
        if book.nsheets == 0:
            raise FileRefused(_("the workbook has no sheet"))
        sh = book.sheet_by_index(0)
        merges = [Merge(rlo + 1, clo, rhi, chi - 1) for rlo, rhi, clo, chi in sh.merged_cells]
        filler = MergeFiller(merges, limits.max_columns)
        rows: list[Row] = []
        for r in range(sh.nrows):
            n = r + 1
            check_row_count(n, limits)  # empty rows count too: they cost reading as much as full ones
            values = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        values.append(cell.value)
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    values.append(None)
                else:
                    values.append(cell.value)
            if not any(v not in (None, "") for v in values):
                continue
            cells = [check_cell(cell_text(v), limits, n, i) for i, v in enumerate(check_width(values, limits, n))]
            cells, above, left = filler.fill(n, cells)
            rows.append(Row(n, cells, above, left))
        return Table(rows, part=sh.name)
    finally:
        book.release_resources()
