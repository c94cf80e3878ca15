"""Excel workbooks (.xlsx): the first sheet, streamed row by row (openpyxl's read-only mode).

The sheet's declared size is ignored (a 4 KB file may declare A1:XFD1048576); rows are read as they come,
empty ones skipped (but counted against IMPORT_MAX_ROWS), and the limits checked on each. Merged cells are read from the sheet's XML first
(read-only mode does not report them), streaming too."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

from core.i18n import _
from intake.limits import FileRefused, Limits
from intake.readers import Row, Table, cell_text, check_cell, check_row_count, check_width
from intake.readers.merges import Merge, MergeFiller
from intake.readers.zipcheck import checked_zip


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)\"")


def _merges(z: zipfile.ZipFile, path: str, limits: Limits) -> list[Merge]:
    """The sheet's merged ranges, found by scanning its XML in chunks (they sit after the rows; parsing the
    whole sheet twice would double the reading time)."""
    from openpyxl.utils.cell import range_boundaries

    out: list[Merge] = []
    tail = b""
    with z.open(path.lstrip("/")) as fp:
        while chunk := fp.read(1 << 20):
            buf = tail + chunk
            last = 0
            for m in _MERGE.finditer(buf):
                c1, r1, c2, r2 = range_boundaries(m[1].decode())
                out.append(Merge(r1, c1 - 1, r2 or r1, (c2 or c1) - 1))
                last = m.end()
                if len(out) > 2 * limits.max_rows:
                    raise FileRefused(_("more than {n} merged cells", n=2 * limits.max_rows))
            tail = buf[max(last, len(buf) - 200):]
    return out


def read_xlsx(data: bytes, limits: Limits) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    z = checked_zip(data, limits, "XLSX")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, ET.ParseError) as e:
        raise FileRefused(_("not an Excel workbook (.xlsx): {reason}", reason=type(e).__name__)) from None
    try:
        if not wb.worksheets:
            raise FileRefused(_("the workbook has no sheet"))
        ws = wb.worksheets[0]
        filler = MergeFiller(_merges(z, ws._worksheet_path, limits), limits.max_columns)
        ws.reset_dimensions()
        rows: list[Row] = []
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            # Every row read counts, empty ones too: 2 million empty styled rows cost as much to read as
            # full ones, so they stop the reading at IMPORT_MAX_ROWS like any other.
            check_row_count(n, limits)
            if not values or not any(v is not None and v != "" for v in values):
                continue
            cells = [check_cell(cell_text(v), limits, n, i) for i, v in enumerate(check_width(values, limits, n))]
            cells, above, left = filler.fill(n, cells)
            rows.append(Row(n, cells, above, left))
        return Table(rows, part=ws.title)
    except ET.ParseError:
        raise FileRefused(_("not an Excel workbook (.xlsx): the sheet is not valid XML")) from None
    finally:
        wb.close()
