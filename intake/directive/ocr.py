"""Reading a scanned directive (bản scan): page images and PDFs without a text layer, with Tesseract's
Vietnamese model (Debian's `tesseract-ocr-vie`) through pytesseract.

pytesseract rather than OCRmyPDF: we want the words and their confidences, not a new PDF; pytesseract's
`image_to_data` gives both in one call per page with a per-call timeout, and needs nothing but the
`tesseract` program, where OCRmyPDF also needs Ghostscript (and qpdf, unpaper, …) and writes a PDF we would
have to read back. PDF pages become images with pypdfium2 (what pdfplumber itself renders with).

Limits (settings OCR_MAX_PAGES, OCR_TIMEOUT_SECONDS, OCR_MIN_CONFIDENCE, OCR_DPI): too many pages or too long
is refused before or while reading; a scan whose mean word confidence is below the threshold is refused with
a message that says how to get a better one, because a draft read from a bad scan would look plausible and
be wrong. The time budget is the reading's own (a wall-clock limit on outside work, like a socket timeout).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.i18n import _
from intake.directive.page_cleanup import straighten, without_stamp_ink

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


class ScanReadError(Exception):
    """A scan that cannot be read (or not well enough to trust); the message says why and what to do."""


@dataclass(frozen=True)
class OcrLimits:
    max_pages: int = 30
    timeout_seconds: float = 300.0  # the whole document
    min_confidence: float = 70.0  # mean word confidence, 0–100, below which the text is not trusted
    dpi: int = 300  # PDF pages are rendered at this resolution
    language: str = "vie"

    @classmethod
    def from_settings(cls, settings) -> "OcrLimits":
        return cls(max_pages=settings.ocr_max_pages, timeout_seconds=settings.ocr_timeout_seconds,
                   min_confidence=settings.ocr_min_confidence, dpi=settings.ocr_dpi)


@dataclass
class OcrResult:
    lines: list[str] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)  # one per word read
    pages: int = 0

    @property
    def mean_confidence(self) -> float:
        return sum(self.confidences) / len(self.confidences) if self.confidences else 0.0


# A line that opens an item of the outline ("1.", "1.1.", "(2)", "a)", "II.", "-", "+") never continues the one
# above it, however full that one is.
_OPENS_ITEM = re.compile(r"^(?:\(?\d{1,3}(?:\.\d{1,3})*[.)]|[a-zđ]\)|[IVXLC]{1,6}\.|[-–+•*]\s|Phần\s|Điều\s)", re.I)
_MARKER_SPECK = re.compile(r"^([a-zđ])[^\w\s)]{1,2}\)")  # "f?)", "b')": a speck read beside an item's letter
_ROMAN_NO_DOT = re.compile(r"^([IVX]{1,4})\s+(\S+)")


def _heading_dot(text: str) -> str:
    """ "II NỘI DUNG …" → "II. NỘI DUNG …": the dot after a part's Roman number is the speck OCR loses most."""
    m = _ROMAN_NO_DOT.match(text)
    if m and len(m.group(2)) >= 2 and m.group(2).isupper():
        return f"{m.group(1)}. {text[m.start(2):]}"
    return text


_QUARTER = re.compile(r"\b(Quý)\s+([1lI|]{2,3}|[1lI|]V)(?=\s*/|\s+năm|\b)")


def _quarters(text: str) -> str:
    """ "Quý 11/2013", "Quý I1/2013" → "Quý II/2013": a quarter's Roman I read as the digit 1 or an l (there
    is no quarter 11). "Quý 1" is left as read: it means the first quarter either way."""
    return _QUARTER.sub(lambda m: f"{m.group(1)} {re.sub('[1l|]', 'I', m.group(2))}", text)


FULL_LINE = 0.12  # a line ending this close to the right margin (share of the text's width) was wrapped
AT_MARGIN = 0.03  # a wrapped line's continuation starts this close to the left margin


def _line_rows(data: dict) -> tuple[list[dict], list[float]]:
    """Tesseract's lines with their extent (pixels), and each word's confidence."""
    rows: list[dict] = []
    confidences: list[float] = []
    current: tuple | None = None
    for i, text in enumerate(data.get("text", [])):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:  # a block, paragraph or line record, or an empty box
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        left = int(data.get("left", [0] * (i + 1))[i])
        right = left + int(data.get("width", [0] * (i + 1))[i])
        if key != current:
            rows.append({"key": key, "words": [], "x0": left, "x1": right})
            current = key
        row = rows[-1]
        row["words"].append(text)
        row["x0"], row["x1"] = min(row["x0"], left), max(row["x1"], right)
        confidences.append(conf)
    return rows, confidences


def _margins(rows: list[dict]) -> tuple[float, float, float]:
    left, right = min(r["x0"] for r in rows), max(r["x1"] for r in rows)
    return left, right, max(right - left, 1)


def _full(row: dict, margins) -> bool:
    left, right, width = margins
    return right > left and row["x1"] >= right - FULL_LINE * width


def _continues(row: dict, margins) -> bool:
    left, right, width = margins
    return right > left and row["x0"] <= left + AT_MARGIN * width and not _OPENS_ITEM.match(" ".join(row["words"]))


def page_edges(data: dict) -> tuple[bool, bool]:
    """(the page's last line reaches the right margin, its first line may continue the page before's)."""
    rows, _ = _line_rows(data)
    if not rows:
        return False, False
    margins = _margins(rows)
    return _full(rows[-1], margins), _continues(rows[0], margins)


def data_to_lines(data: dict) -> tuple[list[str], list[float]]:
    """pytesseract's `image_to_data` dict → the page's lines in reading order and each word's confidence.
    Pure.

    A printed page wraps a sentence wherever the margin falls ("3. Sở Tài / nguyên và Môi trường"); a .docx
    or a text copy has it on one line. So a line that reaches the right margin is joined with the next one
    when that one starts at the left margin and opens no item of the outline: what comes out is one line
    per paragraph, as the other readers give. A blank line separates Tesseract's paragraphs otherwise."""
    rows, confidences = _line_rows(data)
    if not rows:
        return [], confidences
    margins = _margins(rows)
    lines: list[str] = []
    previous: dict | None = None
    for row in rows:
        text = _quarters(_heading_dot(_MARKER_SPECK.sub(r"\1)", " ".join(row["words"]))))
        if previous is not None:
            if row["key"][0] == previous["key"][0] and _full(previous, margins) and _continues(row, margins):
                lines[-1] = f"{lines[-1]} {text}"
                previous = row
                continue
            if row["key"][:2] != previous["key"][:2]:
                lines.append("")
        lines.append(text)
        previous = row
    return lines, confidences


def _middle(word: dict) -> float:
    return (word["top"] + word["bottom"]) / 2


class Reader:
    """One document's OCR: pages read so far, the time budget, the words' confidences."""

    def __init__(self, file: Path, limits: OcrLimits, *, monotonic=time.monotonic):
        self.file, self.limits, self.monotonic = file, limits, monotonic
        self.started = monotonic()
        self.result = OcrResult()
        self.columns: list[float] | None = None  # an appendix table's columns, carried to the next page
        self.last_full = False  # the page before ended on a line reaching the right margin
        _check_tesseract(file, limits.language)

    def expect(self, pages: int) -> None:
        """Refuse at once a document with more pages to read than the limit (before spending minutes on it)."""
        if pages > self.limits.max_pages:
            raise ScanReadError(_(
                "{file}: more than {limit} pages to read with OCR (OCR_MAX_PAGES); send the pages with the tasks "
                "only, or raise the limit", file=self.file.name, limit=self.limits.max_pages))

    def page(self, image, out: list[str] | None = None) -> list[str]:
        """Read one page image and add its lines to `out` (the document's lines so far; this reader's own
        when None): a sentence or a table row the page before left unfinished is finished there."""
        import pytesseract

        out = self.result.lines if out is None else out

        self.result.pages += 1
        self.expect(self.result.pages)
        left = self.limits.timeout_seconds - (self.monotonic() - self.started)
        if left <= 0:
            self._too_long()
        image = without_stamp_ink(image)  # grey, seals and stamps off: their words are not the directive's
        image = straighten(image)  # a page fed askew: its lines (and a table's rules) level again
        try:
            from intake.directive.ocr_table import without_rules

            data = pytesseract.image_to_data(without_rules(image), lang=self.limits.language, timeout=left,
                                             output_type=pytesseract.Output.DICT)
        except RuntimeError as e:  # pytesseract's timeout
            if "timeout" in str(e).lower():
                self._too_long()
            raise
        except pytesseract.TesseractError as e:
            raise ScanReadError(_("{file}: Tesseract could not read page {page} ({reason})", file=self.file.name,
                                  page=self.result.pages, reason=e.message or e.status)) from None
        lines, confidences = data_to_lines(data)
        ends_full, continues = page_edges(data)
        lines = self._table(data, image, lines, out)
        while out and not out[-1]:
            out.pop()
        if self.last_full and continues and self.columns is None and lines and out and "\t" not in out[-1]:
            out[-1] = f"{out[-1]} {lines.pop(0)}"  # a sentence going on over the page break
        self.last_full = ends_full and self.columns is None
        out.extend(lines)
        out.append("")
        self.result.confidences.extend(confidences)
        return lines

    def _table(self, data: dict, image, lines: list[str], out: list[str]) -> list[str]:
        """The page's lines, with an appendix table on it (or going on from the page before) as rows of
        tab-separated cells."""
        from intake.directive import ocr_table as t

        words = t.words_of(data)
        rows = t.visual_rows(words)

        def boxed(i: int) -> bool:  # ruling lines down the row and beyond it: a header drawn in cells
            top, bottom = min(w["top"] for w in rows[i]), max(w["bottom"] for w in rows[i])
            return t.ruled(image, top, bottom)

        at = t.find_header(rows, boxed)
        # Where the table ends: its lowest rule. The rows printed below it (the signer's block, "Nơi nhận")
        # are lines of text again, and the table does not go on over the page.
        after: list[list[dict]] = []
        bottom = None
        span = ((min(w["x0"] for w in rows[at]), max(w["x1"] for w in rows[at])) if at is not None
                else (self.columns[0], self.columns[-1]) if self.columns and len(self.columns) >= 2 else None)
        if span is not None and rows:
            top = min(w["top"] for w in rows[at]) if at is not None else 0
            bottom = t.table_bottom(image, top, *span)
            if bottom is not None:
                after = [r for r in rows if min(w["top"] for w in r) > bottom]
                rows = [r for r in rows if min(w["top"] for w in r) <= bottom]
                words = [w for r in rows for w in r]
        columns = self.columns
        if at is not None:
            head_top, words_bottom = min(w["top"] for w in rows[at]), max(w["bottom"] for w in rows[-1])
            columns = t.columns_of(rows[at], image, head_top, words_bottom)
        if columns is None or len(columns) < 2 or not rows:
            self.columns = None
            return lines
        # The STT column again, on its own: Tesseract passes over a lone "1" in a narrow cell.
        region_top = max(w["bottom"] for w in rows[at]) + 2 if at is not None else 0
        region_bottom = max(w["bottom"] for w in rows[-1]) + 10
        if bottom is not None:  # down to the table's last rule, whole (a rule cut in two reads as marks)
            region_bottom = max(region_bottom, bottom + 8)
        # The rules across the table, where it has them, say where each row ends (not the words, whose number a
        # clerk's copy can lose) and where each STT cell is, to be read on its own.
        spans = t.bands(t.across_rules(image, (min(w["top"] for w in rows[at]) - 60) if at is not None else 0,
                                       region_bottom, columns[0], columns[-1]))
        below_header = (sum(_middle(w) for w in rows[at]) / len(rows[at])) if at is not None else -1
        cells = [(a, b) for a, b in spans if a > below_header]
        numbers = (self._cell_numbers(image, columns, cells) if spans
                   else self._numbers(image, columns, region_top, region_bottom))
        if numbers:
            # The page's own reading of an STT cell stays where this second look found nothing beside it.
            def second_look(w) -> bool:
                return any(n["top"] <= w["bottom"] and w["top"] <= n["bottom"] for n in numbers)

            words = [w for w in words if w["top"] < region_top or (w["x0"] + w["x1"]) / 2 >= columns[1]
                     or not second_look(w)] + numbers
            rows = t.visual_rows(words)
        if at is None and not t.continues_table(rows, columns) and not t.same_rules(image, columns, rows):
            self.columns = None
            return lines
        self.columns = columns
        before: list[str] = []
        if at is not None:
            before = data_to_lines(t.subset(data, {w["i"] for r in rows[:at] for w in r}))[0]
        table = t.table_rows(rows, self.columns, at, spans)
        if at is not None and table:
            table[0][0] = "STT"  # the header it was found by, whatever the scan made of the word ("SIT")
            table[0] = [t.spaced_header(c) for c in table[0]]
        table = [cells for cells in table if not t.only_rule_marks(cells)]
        if at is None and table and not table[0][0]:  # the rest of the last row of the page before
            last = max((k for k, ln in enumerate(out) if ln.count("\t") >= 2), default=None)
            if last is not None:
                cells = out[last].split("\t")
                out[last] = "\t".join(f"{a} {b}".strip() for a, b in zip(cells, table.pop(0)))
        below: list[str] = []
        if after:
            self.columns = None  # the table ended on this page
            below = data_to_lines(t.subset(data, {w["i"] for r in after for w in r}))[0]
        return before + ["\t".join(_quarters(c) for c in cells) for cells in table] + below

    def _numbers(self, image, columns: list[float], top: int, bottom: int) -> list[dict]:
        """The words of the STT column between `top` and `bottom`, read as a block of numbers."""
        import pytesseract

        from intake.directive.ocr_table import without_rules, words_of

        x0, x1 = int(columns[0]) + 3, int(columns[1]) - 3
        left = self.limits.timeout_seconds - (self.monotonic() - self.started)
        if x1 - x0 < 8 or bottom - top < 8 or left <= 0:
            return []
        try:
            data = pytesseract.image_to_data(without_rules(image.crop((x0, top, x1, bottom))), timeout=left,
                                             lang=self.limits.language, output_type=pytesseract.Output.DICT,
                                             config="--psm 6 -c tessedit_char_whitelist=0123456789IVX.")
        except (RuntimeError, pytesseract.TesseractError):
            return []  # the page as read is still there
        return [{**w, "i": -1, "x0": w["x0"] + x0, "x1": w["x1"] + x0, "top": w["top"] + top,
                 "bottom": w["bottom"] + top} for w in words_of(data)]

    def _cell_numbers(self, image, columns: list[float], spans: list[tuple[int, int]]) -> list[dict]:
        """The STT cell of each row the rules draw, read on its own: made black and white (grain and JPEG
        gone), its first line of ink cut out, and read as one word. A lone "5" in a tall empty cell of a
        clerk's copy came back as nothing, read with the whole column or the page; cut out, it is read."""
        import pytesseract
        from PIL import Image

        from intake.directive.ocr_table import first_line_box, words_of

        x0, x1 = int(columns[0]) + 4, int(columns[1]) - 4
        out: list[dict] = []
        for a, b in spans:
            left = self.limits.timeout_seconds - (self.monotonic() - self.started)
            if x1 - x0 < 8 or b - a < 12 or left <= 0:
                continue
            cell = image.convert("L").crop((x0, a + 4, x1, b - 4)).point(lambda v: 255 if v >= 150 else 0)
            box = first_line_box(cell)
            if box is None:
                continue
            pad = 16
            line = Image.new("L", (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad), 255)
            line.paste(cell.crop(box), (pad, pad))
            try:
                data = pytesseract.image_to_data(line, timeout=left, lang=self.limits.language,
                                                 output_type=pytesseract.Output.DICT,
                                                 config="--psm 8 -c tessedit_char_whitelist=0123456789IVX.")
            except (RuntimeError, pytesseract.TesseractError):
                continue  # the page's own reading of the cell is still there
            dx, dy = x0 + box[0] - pad, a + 4 + box[1] - pad
            out += [{**w, "i": -1, "x0": w["x0"] + dx, "x1": w["x1"] + dx, "top": w["top"] + dy,
                     "bottom": w["bottom"] + dy} for w in words_of(data)]
        return out

    def _too_long(self):
        raise ScanReadError(_(
            "{file}: reading the scan took longer than {seconds} seconds (OCR_TIMEOUT_SECONDS), at page {page}; "
            "send fewer pages or raise the limit", file=self.file.name, seconds=f"{self.limits.timeout_seconds:g}",
            page=self.result.pages))

    def finish(self) -> list[str]:
        """The lines read, or ScanReadError when there are none or they are not to be trusted."""
        r = self.result
        if not r.confidences:
            raise ScanReadError(_(
                "{file}: no text found on the scan; check that it is a page of the directive, the right way up, "
                "or use the .docx or a PDF with a text layer", file=self.file.name))
        if r.mean_confidence < self.limits.min_confidence:
            raise ScanReadError(_(
                "{file}: the scan is too poor to trust what was read (mean word confidence {confidence} %, below "
                "{threshold} %, OCR_MIN_CONFIDENCE); scan the paper again at 300 dpi, straight and sharp, or use "
                "the .docx or a PDF with a text layer", file=self.file.name,
                confidence=f"{r.mean_confidence:.0f}", threshold=f"{self.limits.min_confidence:g}"))
        while r.lines and not r.lines[-1]:
            r.lines.pop()
        return r.lines


def _check_tesseract(file: Path, language: str) -> None:
    import pytesseract

    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, OSError):
        languages = None
    if languages is None or language not in languages:
        raise ScanReadError(_(
            "{file}: reading a scan needs Tesseract with its Vietnamese model, which is not installed here "
            "(Debian: apt-get install tesseract-ocr tesseract-ocr-vie)", file=file.name))


def read_image(path: Path, limits: OcrLimits) -> list[str]:
    """A page image (.png, .jpg, or a multi-page .tif) → its lines."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    reader = Reader(path, limits)
    try:
        with Image.open(path) as im:
            reader.expect(getattr(im, "n_frames", 1))
            for frame in ImageSequence.Iterator(im):
                reader.page(frame)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as e:
        raise ScanReadError(_("{file}: not a readable image ({reason})", file=path.name, reason=e)) from None
    return reader.finish()


def render_pdf_page(path: Path, index: int, dpi: int):
    """Page `index` of a PDF as a PIL image at `dpi`."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return pdf[index].render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
