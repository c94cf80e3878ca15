"""Word documents (.docx): the rows of the document's tables, in order, as one table.

A plan's appendix often runs over several pages, sometimes as several tables, repeating its header; the
interpretation skips repeated headers. Row numbers run through all the tables (the first table's first
row is row 1). A merged cell (horizontal `gridSpan`, vertical `vMerge`) comes back as the same cell
object in every position it covers; those positions are marked as copies."""

from __future__ import annotations

import io

from core.i18n import _
from intake.limits import FileRefused, Limits
from intake.readers import Row, Table, cell_text, check_cell, check_row_count, check_width
from intake.readers.zipcheck import checked_zip


def read_docx(data: bytes, limits: Limits) -> Table:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    checked_zip(data, limits, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise FileRefused(_("not a Word document (.docx): {reason}", reason=type(e).__name__)) from None
    except Exception as e:  # lxml's XMLSyntaxError and friends
        raise FileRefused(_("not a Word document (.docx): {reason}", reason=type(e).__name__)) from None
    if not document.tables:
        raise FileRefused(_("the document has no table; the registry is the appendix table of the plan"))
    rows: list[Row] = []
    n = 0
    for table in document.tables:
        previous: list = []
        for tr in table.rows:
            n += 1
            check_row_count(n, limits)
            cells_obj = list(tr.cells)
            if len(cells_obj) > limits.max_columns:
                check_width([c.text for c in cells_obj], limits, n)
            above, left, texts = set(), set(), []
            for i, cell in enumerate(cells_obj):
                if i > 0 and cell._tc is cells_obj[i - 1]._tc:
                    left.add(i)
                elif i < len(previous) and cell._tc is previous[i]._tc:
                    above.add(i)
                texts.append(check_cell(cell_text(cell.text), limits, n, i))
            previous = cells_obj
            if any(texts):
                rows.append(Row(n, texts, frozenset(above), frozenset(left)))
    return Table(rows, part="table")
