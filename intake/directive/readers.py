"""The edge of `dondoc extract`: a directive file → its text lines (.docx, PDF, plain text; scans — page images
and PDF pages without a text layer — through OCR, `intake.directive.ocr`).

Table rows come out as one line with tab-separated cells, in document order, which is what
`intake.directive.extract` reads as an appendix table.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.i18n import _


class DirectiveReadError(ValueError):
    """The file cannot be read as a directive; the message says why, in the user's language."""


def read_lines(path: Path | str, *, ocr=None) -> list[str]:
    """`ocr`: the OcrLimits of reading a scan (OCR_* settings); the defaults when None."""
    from intake.directive.ocr import IMAGE_SUFFIXES, OcrLimits, ScanReadError, read_image

    path = Path(path)
    if not path.is_file():
        raise DirectiveReadError(_("{file}: no such file", file=path))
    suffix = path.suffix.lower()
    ocr = ocr or OcrLimits()
    try:
        if suffix == ".docx":
            return _docx(path)
        if suffix == ".pdf":
            return _pdf(path, ocr)
        if suffix in IMAGE_SUFFIXES:
            return read_image(path, ocr)
    except ScanReadError as e:
        raise DirectiveReadError(str(e)) from None
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
    numbering = _Numbering(doc)
    for block in doc.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Paragraph):
            label = numbering.label(block)  # "1.", "a)" when Word numbers the paragraph itself
            text = block.text.split("\n")
            if label and text and not (label == "-" and text[0].lstrip()[:1] in "-–+•"):
                text[0] = f"{label} {text[0]}"
            lines.extend(text)
        elif isinstance(block, Table):
            lines.extend(_docx_table(block))
    return lines


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _Numbering:
    """Word's automatic numbering, written out as the printed document shows it ("1.", "a)", "II."), because
    the outline of a directive is its numbering and python-docx gives only the paragraph's own text."""

    def __init__(self, doc):
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.counters: dict[str, list[int]] = {}
        self._by_style: dict = {}
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract = {}
        for an in root.findall(_W + "abstractNum"):
            levels = {}
            for lvl in an.findall(_W + "lvl"):
                fmt, text, start = lvl.find(_W + "numFmt"), lvl.find(_W + "lvlText"), lvl.find(_W + "start")
                i = int(lvl.get(_W + "ilvl", "0"))
                levels[i] = (fmt.get(_W + "val") if fmt is not None else "decimal",
                             text.get(_W + "val") if text is not None else f"%{i + 1}.",
                             int(start.get(_W + "val")) if start is not None else 1)
            abstract[an.get(_W + "abstractNumId")] = levels
        for num in root.findall(_W + "num"):
            ref = num.find(_W + "abstractNumId")
            if ref is not None:
                self.levels[num.get(_W + "numId")] = abstract.get(ref.get(_W + "val"), {})

    def _num_pr(self, paragraph):
        ppr = paragraph._p.pPr
        if ppr is not None and ppr.numPr is not None:
            return ppr.numPr
        if not self.levels:
            return None
        style_id = ppr.style if ppr is not None else None
        if style_id not in self._by_style:  # looking a style up is slow: once per style
            found, style = None, paragraph.style
            while style is not None:  # numbering set by the paragraph's style (or the style it is based on)
                sppr = style.element.pPr
                if sppr is not None and sppr.numPr is not None:
                    found = sppr.numPr
                    break
                style = style.base_style
            self._by_style[style_id] = found
        return self._by_style[style_id]

    def label(self, paragraph) -> str:
        num_pr = self._num_pr(paragraph)
        if num_pr is None or num_pr.numId is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, [])
        while len(counts) <= ilvl:
            counts.append(levels.get(len(counts), ("decimal", "", 1))[2] - 1)
        counts[ilvl] += 1
        del counts[ilvl + 1:]  # a deeper level starts again under the next item
        fmt, text, _ = levels[ilvl]
        if fmt == "bullet":
            return "-"
        if fmt == "none":
            return ""
        for k in range(ilvl + 1, 0, -1):
            if f"%{k}" in text:
                level_fmt = levels.get(k - 1, ("decimal", "", 1))[0]
                text = text.replace(f"%{k}", _format_number(counts[k - 1] if k - 1 < len(counts) else 1, level_fmt))
        return text.strip()


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            s = chr(97 + r) + s
        return s if fmt == "lowerLetter" else s.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        out = ""
        for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                               (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
            while n >= value:
                out, n = out + letters, n - value
        return out if fmt == "lowerRoman" else out.upper()
    return str(n)


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


_SCAN_CHARS = 20  # a page with fewer characters in its text layer is a scan (a stamp's or signature's label)


def _pdf(path: Path, ocr) -> list[str]:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    from intake.directive.ocr import Reader, render_pdf_page

    lines: list[str] = []
    columns: list[float] | None = None  # a borderless table's column starts, carried over to the next page
    scanned: Reader | None = None
    try:
        with pdfplumber.open(str(path)) as pdf:
            scans = [n for n, page in enumerate(pdf.pages)
                     if sum(not c["text"].isspace() for c in page.chars) < _SCAN_CHARS]
            if scans:
                scanned = Reader(path, ocr)
                scanned.expect(len(scans))  # too many pages: refused before any is read
            for number, page in enumerate(pdf.pages):
                if number in scans:
                    scanned.page(render_pdf_page(path, number, ocr.dpi), lines)
                    columns = None
                    continue
                # Table finding is most of the cost of a page; a page without ruling lines has no table.
                tables = page.find_tables() if (page.lines or page.rects) else []
                if not tables:
                    text = page.extract_text() or ""
                    if columns is None and not re.search(r"\b(?:STT|TT)\b", text):
                        lines.extend(text.splitlines())  # plain text: the common page, read once
                        continue
                    found = _borderless(page, columns)
                    if found is not None:
                        before, rows, columns = found
                        lines.extend(before)
                        lines.extend(rows)
                        continue
                columns = None
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
    if scanned is not None:
        scanned.finish()  # refuses a scan too poor to trust, even beside pages with a text layer
    elif not any(x.strip() for x in lines):
        raise DirectiveReadError(_("{file}: the PDF has no pages with text", file=path))
    return lines


from intake.directive.ocr_table import HEADER_WORDS as _HEADER_WORDS  # noqa: E402 - one list for PDFs and scans
_CELL_GAP = 8.0  # points between two words of different cells (a word space is about 3)


def _word_lines(words: list[dict]) -> list[list[dict]]:
    out: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if out and abs(out[-1][0]["top"] - w["top"]) <= 3:
            out[-1].append(w)
        else:
            out.append([w])
    return [sorted(line, key=lambda w: w["x0"]) for line in out]


def _borderless(page, columns: list[float] | None):
    """An appendix table drawn without lines: its text interleaves the cells of a row whose cells wrap.
    The header row ("STT  Nội dung  Cơ quan chủ trì …") gives where each column starts; every word then
    goes to its column, and a row starts where the STT column holds a number. A page after such a table
    goes on with the same columns (a row split over two pages continues with an empty STT, joined later).
    None when the page has no such table."""
    from intake.directive.text import fold

    lines = _word_lines(page.extract_words())
    start = None
    header: list[str] = []
    for i, ws in enumerate(lines):
        folded = fold(" ".join(w["text"] for w in ws))
        if folded.startswith(("stt", "tt ")) and sum(k in folded for k in _HEADER_WORDS) >= 3:
            groups: list[list[dict]] = [[ws[0]]]
            for a, b in zip(ws, ws[1:]):
                (groups.append([b]) if b["x0"] - a["x1"] > _CELL_GAP else groups[-1].append(b))
            columns = [g[0]["x0"] for g in groups]
            header = [" ".join(w["text"] for w in g) for g in groups]
            start = i
            break
    if start is None and columns is None:
        return None
    before: list[str] = []
    if start is not None and start > 0:
        top = lines[start][0]["top"]
        before = (page.crop((0, 0, page.width, max(top - 1, 1))).extract_text() or "").splitlines()
    rows: list[list[str]] = [header] if header else []
    body = lines[start + 1:] if start is not None else lines
    # Rows are told apart by the space between them (cell padding) being larger than a line's step inside a
    # wrapped cell; the row number may stand on any line of its row (cells align top, middle or bottom).
    steps = [b[0]["top"] - a[0]["top"] for a, b in zip(body, body[1:])]
    step = min(steps) if steps else 0
    blocks: list[list[list[dict]]] = []
    for i, ws in enumerate(body):
        if not blocks or (i and body[i][0]["top"] - body[i - 1][0]["top"] > step * 1.25):
            blocks.append([])
        blocks[-1].append(ws)
    for block in blocks:
        numbered = [ws for ws in block if re.fullmatch(r"\d{1,3}\.?", _cells(ws, columns)[0])]
        parts = [block] if len(numbered) <= 1 else _split_at(block, numbered)  # rows without padding: split
        for part in parts:
            cells = [""] * len(columns)
            for ws in part:
                for j, c in enumerate(_cells(ws, columns)):
                    if c:
                        cells[j] = f"{cells[j]} {c}".strip()
            rows.append(cells)  # no number: the rest of a row from the page before (joined later)
    return before, ["\t".join(r) for r in rows], columns


def _cells(ws: list[dict], columns: list[float]) -> list[str]:
    cells = [""] * len(columns)
    for w in ws:
        k = max([j for j, x in enumerate(columns) if x <= w["x0"] + 3] or [0])
        cells[k] = f"{cells[k]} {w['text']}".strip()
    return cells


def _split_at(block: list[list[dict]], numbered: list[list[dict]]) -> list[list[list[dict]]]:
    parts: list[list[list[dict]]] = []
    for ws in block:
        if ws in numbered or not parts:
            parts.append([])
        parts[-1].append(ws)
    return parts
