"""The edge of `dondoc extract`: a directive file → its text lines (.docx, PDF with a text layer, plain text).

Table rows come out as one line with tab-separated cells, in document order, which is what
`intake.directive.extract` reads as an appendix table.
"""

from __future__ import annotations

from pathlib import Path

from dondoc.i18n import _


class DirectiveReadError(ValueError):
    """The file cannot be read as a directive; the message says why, in the user's language."""


def read_lines(path: Path | str) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise DirectiveReadError(_("{file}: no such file", file=path))
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx(path)
    if suffix == ".pdf":
        return _pdf(path)
    if suffix in (".doc", ".rtf", ".odt"):
        raise DirectiveReadError(_("{file}: {suffix} files cannot be read; save the directive as .docx, PDF or text",
                                   file=path, suffix=suffix))
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise DirectiveReadError(_("{file}: not UTF-8 text; save it as UTF-8, .docx or PDF", file=path)) from None


def _docx(path: Path) -> list[str]:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as e:
        raise DirectiveReadError(_("{file}: not a Word .docx document ({reason})", file=path, reason=e)) from None
    lines: list[str] = []
    for block in doc.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Paragraph):
            lines.extend(block.text.split("\n"))
        elif isinstance(block, Table):
            lines.extend(_docx_table(block))
    return lines


def _docx_table(table) -> list[str]:
    """A data table (an appendix: STT | Nội dung | …) → one tab-separated line per row; a layout table (the
    two-column header block "ỦY BAN NHÂN DÂN … Số: … | CỘNG HÒA … ngày …") → each cell's lines, cell by cell."""
    rows: list[list[tuple[str, list[str]]]] = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:
                continue  # a merged cell repeats itself
            previous = cell._tc
            cells.append((" ".join(cell.text.split()), cell.text.split("\n")))
        rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    first = rows[0][0][0].strip(" .").lower() if rows and rows[0] else ""
    if width <= 2 and first not in ("stt", "tt", "số tt"):
        return [line for row in rows for _, cell_lines in row for line in cell_lines]
    return ["\t".join(text for text, _ in row) if len(row) > 1 else (row[0][0] if row else "") for row in rows]


def _pdf(path: Path) -> list[str]:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    lines: list[str] = []
    try:
        with pdfplumber.open(str(path)) as pdf:
            for page in pdf.pages:
                # Table finding is most of the cost of a page; a page without ruling lines has no table.
                tables = page.find_tables() if (page.lines or page.rects) else []
                boxes = [t.bbox for t in tables]

                def outside(obj, boxes=boxes) -> bool:  # the text of the page, less what its tables hold
                    if obj.get("object_type") != "char":
                        return True
                    x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
                    return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

                lines.extend(((page.filter(outside) if boxes else page).extract_text() or "").splitlines())
                for t in tables:
                    for row in t.extract():
                        lines.append("\t".join(" ".join((c or "").split()) for c in row))
    except (PDFSyntaxError, ValueError) as e:
        raise DirectiveReadError(_("{file}: not a readable PDF ({reason})", file=path, reason=e)) from None
    if not any(x.strip() for x in lines):
        raise DirectiveReadError(_("{file}: the PDF has no text layer (a scan); run OCR on it first or use the "
                                   ".docx", file=path))
    return lines
