"""`dondoc extract` speed: the five directives of tests/data/directives/ as text, .docx and PDF.

Pages per second, reading the file included. A PDF's pages are its own (reportlab lays the text out on A4,
without Vietnamese marks since its built-in font has none); a text or .docx directive counts one page per
2 000 characters — about what an A4 page of a directive in 13–14 pt Times holds. Every run must draft the
same number of tasks from each file; a directive that stops reading fails the benchmark rather than making
it look faster.
"""

from __future__ import annotations

import math
import tempfile
import time
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from intake.directive import extract
from intake.directive.readers import read_lines

SOURCES = Path(__file__).resolve().parent.parent / "tests" / "data" / "directives"
CHARS_PER_PAGE = 2000


def _ascii(s: str) -> str:
    s = unicodedata.normalize("NFD", s).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in s if not unicodedata.combining(c))


def _files(where: Path) -> dict[str, list[tuple[Path, int]]]:
    from docx import Document
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate
    import pdfplumber

    out: dict[str, list[tuple[Path, int]]] = {"text": [], "docx": [], "pdf": []}
    style = getSampleStyleSheet()["Normal"]
    for src in sorted(SOURCES.glob("00[0-4].txt")):
        text = src.read_text(encoding="utf-8")
        pages = math.ceil(len(text) / CHARS_PER_PAGE)
        out["text"].append((src, pages))
        doc = Document()
        for line in text.splitlines():
            doc.add_paragraph(line)
        docx = where / f"{src.stem}.docx"
        doc.save(docx)
        out["docx"].append((docx, pages))
        pdf = where / f"{src.stem}.pdf"
        SimpleDocTemplate(str(pdf), pagesize=A4).build(
            [Paragraph(escape(_ascii(line)), style) for line in text.splitlines() if line.strip()])
        with pdfplumber.open(str(pdf)) as p:
            out["pdf"].append((pdf, len(p.pages)))
    return out


def run(quick: bool) -> list[dict]:
    from bench import extract_heldout

    rows = extract_heldout.run(quick)  # how well it reads, on directives it was never tuned on
    rows += _speed(quick)
    return rows


def _speed(quick: bool) -> list[dict]:
    repeats = 1 if quick else 5
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(tmp))
        for fmt, items in files.items():
            expected = {path: len(extract(read_lines(path)).tasks) for path, _ in items}  # warm-up, and the count
            if fmt != "pdf" and not all(expected.values()):
                raise AssertionError(f"extract drafted no task from a {fmt} directive: {expected}")
            pages = sum(p for _, p in items) * repeats
            t0 = time.perf_counter()
            read_s = 0.0
            for _ in range(repeats):
                for path, _ in items:
                    r0 = time.perf_counter()
                    lines = read_lines(path)
                    read_s += time.perf_counter() - r0
                    if len(extract(lines).tasks) != expected[path]:
                        raise AssertionError(f"extract changed its mind on {path.name}")
            seconds = time.perf_counter() - t0
            rows.append({
                "bench": f"extract ({fmt}, 5 directives)",
                "pages": pages,
                "seconds": round(seconds, 3),
                "pages_per_s": round(pages / seconds, 1),
                "reading_share": f"{read_s / seconds:.0%}",
            })
    return rows
