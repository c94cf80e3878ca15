"""`dondoc extract` on directives it was never tuned on: the held-out set of bench/heldout/ (see its README).

Each source (`h*.src`) becomes three files as a clerk would receive them: the text copied from the issuing portal
(`.txt`, hard line breaks where the source has ⏎), a Word document (`.docx`: one paragraph per source line, the
appendix as a real table) and a PDF with a text layer (reportlab, DejaVu Sans so that the Vietnamese marks survive,
lines wrapped by the page width as a printed PDF has them, the appendix as a ruled table). The drafts are scored
against the hand labels (labels.yaml) with intake.directive.score: task recall and precision, lead accuracy, and
deadline accuracy — the deadline *as read* (the due date, the first dues of a recurring one, continuous, or none)
equal to the label's; the phrase copied exactly is reported beside it. The grammar alone is scored on
phrases.yaml. Nothing here is tuned: a miss is printed, not fixed in the labels.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

HELDOUT = Path(__file__).resolve().parent / "heldout"
# Each set was held out at its first run; their misses have been seen and fixed since (the READMEs keep the log
# and the honest first-run figures), so the rows say "labelled set", not "held-out".
SETS = {" set 1": HELDOUT, " set 2": HELDOUT / "set2", " set 3": HELDOUT / "set3",
        " set 4": HELDOUT / "set4", " set 5": HELDOUT / "set5", " set 6": HELDOUT / "set6", " set 7": HELDOUT / "set7", " set 8": HELDOUT / "set8", " set 9": HELDOUT / "set9", " set 10": HELDOUT / "set10", " set 11": HELDOUT / "set11", " set 12": HELDOUT / "set12"}
BREAK = "⏎"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
GOALS = {"recall": 0.90, "precision": 0.90, "lead": 0.90, "deadline": 0.90}
GRAMMAR_GOAL = 0.95


def sources(folder: Path = HELDOUT) -> list[Path]:
    return sorted(folder.glob("h*.src"))


def _blocks(text: str):
    """("line", text) and ("table", rows) in order: tab-separated lines are a table."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        if rows:
            yield "table", rows
            rows = []
        yield "line", line
    if rows:
        yield "table", rows


def write_txt(src: Path, out: Path) -> Path:
    path = out / f"{src.stem}.txt"
    path.write_text(src.read_text(encoding="utf-8").replace(BREAK, "\n"), encoding="utf-8")
    return path


def write_docx(src: Path, out: Path) -> Path:
    from docx import Document

    doc = Document()
    for kind, value in _blocks(src.read_text(encoding="utf-8").replace(BREAK, " ")):
        if kind == "line":
            if value.strip():
                doc.add_paragraph(value)
            continue
        table = doc.add_table(rows=len(value), cols=len(value[0]))
        table.style = "Table Grid"
        for r, row in enumerate(value):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
    path = out / f"{src.stem}.docx"
    doc.save(path)
    return path


def write_pdf(src: Path, out: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    style = getSampleStyleSheet()["Normal"]
    fold = None
    if FONT.is_file():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT)))
        style.fontName = "DejaVuSans"
    else:  # without a font that has the marks the PDF could not hold them; say so in the row rather than lie
        from bench.extract import _ascii as fold
    cell_style = style.clone("cell", fontSize=8, leading=10)
    story = []
    for kind, value in _blocks(src.read_text(encoding="utf-8").replace(BREAK, " ")):
        if kind == "line":
            if value.strip():
                story.append(Paragraph(escape(fold(value) if fold else value), style))
            continue
        data = [[Paragraph(escape(fold(c) if fold else c), cell_style) for c in row] for row in value]
        table = Table(data, colWidths=_widths(len(value[0])), repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        story.append(table)
    path = out / f"{src.stem}.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def _widths(columns: int) -> list[float]:
    """Column widths of an appendix table on A4 (460 pt): the five-column layout sets 1 and 2 were run with, else a
    narrow STT column, a wide second (the duty) and the rest shared."""
    if columns == 5:
        return [30, 150, 100, 100, 80]
    rest = (460 - 30 - 140) / max(columns - 2, 1)
    return [30, 140] + [rest] * (columns - 2)


WRITERS = {"text": write_txt, "docx": write_docx, "pdf": write_pdf}


# -- reading a deadline the way the label does ---------------------------------------------------------------

def reading(phrase: str | None, issued: date, n: int = 3):
    """What a phrase means, in the labels' terms: None, "continuous", {"once": d}, {"dues": [...]}, or "error"."""
    from core.deadline import DeadlineError, parse_deadline

    if not phrase:
        return None
    try:
        d = parse_deadline(phrase, issued)
    except DeadlineError:
        return "error"
    if d.kind == "once":
        return {"once": d.due}
    if d.kind == "recurring":
        return {"dues": list(d.next_dues(issued, n))}
    return d.kind


def _label_reading(v):
    if isinstance(v, dict) and "dues" in v:
        return {"dues": list(v["dues"])}
    return v


def score_grammar(folder: Path = HELDOUT) -> tuple[int, int, list[str]]:
    doc = yaml.safe_load((folder / "phrases.yaml").read_text(encoding="utf-8"))
    issued = doc["issued"]
    wrong = []
    for p in doc["phrases"]:
        expect = _label_reading(p["expect"])
        got = reading(p["text"], issued, n=len(expect["dues"]) if isinstance(expect, dict) and "dues" in expect else 3)
        if got != expect:
            wrong.append(f"{p['text']!r}: read {got}, labelled {expect}")
    return len(doc["phrases"]) - len(wrong), len(doc["phrases"]), wrong


# -- scoring the drafts --------------------------------------------------------------------------------------

def _same_words(a, b) -> bool:
    from intake.directive.score import _words

    return _words(str(a or "")) == _words(str(b or ""))


def score_format(fmt: str, where: Path, folder: Path = HELDOUT) -> dict:
    from intake.directive import extract
    from intake.directive.readers import read_lines
    from intake.directive.score import score
    from storage.agencies import AgencyDirectory

    labels = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    directory = AgencyDirectory.load(None)
    total = None
    header_ok = header_n = read_ok = paired = 0
    misses: list[str] = []
    for src in sources(folder):
        gold = labels[src.stem]
        issued = gold["directive"]["issued"]
        path = WRITERS[fmt](src, where)
        draft = extract(read_lines(path))
        predicted = [{"stt": t.stt, "content": t.content, "lead": t.lead, "deadline": t.deadline} for t in draft.tasks]
        s = score(gold["tasks"], predicted, directory=directory, on=issued)
        total = s if total is None else total + s
        misses += [f"{src.stem}: {m}" for m in s.misses]
        # the deadline as read: pair again the same way score() does, through its pairs
        for g, p in _pairs(gold["tasks"], predicted):
            paired += 1
            want = _label_reading(g.get("read"))
            n = len(want["dues"]) if isinstance(want, dict) and "dues" in want else 3
            got = reading(p.get("deadline"), issued, n)
            if got == want:
                read_ok += 1
            else:
                misses.append(f"{src.stem}: read {g.get('stt')}: {got} ≠ {want} ({p.get('deadline')!r})")
        g = gold["directive"]
        checks = {"number": _same_words(draft.number, g["number"]), "issued": draft.issued == g["issued"],
                  "issuer": _same_words(draft.issuer, g["issuer"]), "subject": _same_words(draft.subject, g["subject"])}
        header_n += len(checks)
        header_ok += sum(checks.values())
        misses += [f"{src.stem}: header {k}: {getattr(draft, k)!r} ≠ {g[k]!r}" for k, ok in checks.items() if not ok]
    return {"score": total, "deadline_read": read_ok / paired if paired else 0.0, "header": header_ok / header_n,
            "misses": misses}


def _pairs(gold: list[dict], predicted: list[dict]):
    """The (gold, predicted) pairs intake.directive.score.score makes (the same rule, kept in one place there)."""
    from intake.directive.score import pairs

    return pairs(gold, predicted)


def run(quick: bool, verbose: bool = True) -> list[dict]:
    rows = []
    for name, folder in SETS.items():
        rows += _run_set(name, folder, verbose)
    return rows


def _run_set(name: str, folder: Path, verbose: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in WRITERS:
            r = score_format(fmt, Path(tmp), folder)
            s = r["score"]
            figures = {"recall": s.recall, "precision": s.precision, "lead": s.lead, "deadline": r["deadline_read"]}
            met = all(figures[k] >= v for k, v in GOALS.items())
            rows.append({"bench": f"extract, labelled{name} ({fmt})",
                         "case": f"{len(sources(folder))} directives, {s.gold} tasks labelled by hand (first-run figures: "
                                 f"{folder.relative_to(HELDOUT.parent)}/README.md)",
                         **{k: round(v, 2) for k, v in figures.items()},
                         "deadline_phrase_exact": round(s.deadline, 2), "header_fields": round(r["header"], 2),
                         "drafted": s.predicted,
                         "goal": "recall, precision, lead, deadline ≥ 0.90", "met": met})
            if verbose:
                for m in r["misses"]:
                    print(f"   [{fmt}{name}] {m}")
    ok, n, wrong = score_grammar(folder)
    if verbose:
        for w in wrong:
            print(f"   [grammar{name}] {w}")
    rows.append({"bench": f"deadline grammar, labelled{name}", "case": f"{n} phrases labelled by hand",
                 "accuracy": round(ok / n, 3), "right": ok, "phrases": n,
                 "goal": "≥ 95 %", "met": ok / n >= GRAMMAR_GOAL})
    return rows
