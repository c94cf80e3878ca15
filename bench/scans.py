"""`python -m bench.scans [--dpi 300] [FILE.txt ...]` — how much of a directive's draft survives scanning.

Each directive's text (default: the repository's five, ../shared/directives/*.txt) is printed the way a
scanner sees it — DejaVu Serif 13 pt on A4 pages at `--dpi`, bold/italic marks of the Markdown copy
dropped, rasterised into a PDF of images without a text layer (tests/scans.py) — then read back through
`dondoc extract`'s own path (OCR with Tesseract's Vietnamese model, then the extractor). The draft of the
scan is scored against the draft of the text (intake.directive.score: tasks paired by STT, else by content):
task recall and precision, and among paired tasks the share with the same lead and the same deadline phrase.
Where hand labels exist (tests/data/directives/NNN.yaml) both drafts are scored against them too.

`--heldout bench/heldout/setN` scans a labelled set's sources instead (the ⏎ marks are not ink: the printed
page wraps the line where it will; an appendix written with tabs is a ruled table) and scores both drafts
against that set's labels.yaml: issue 25's "on scanned PDFs of the same documents recall ≥ 0.85".

Slow on purpose (OCR of every page, about 3-10 s a page on one core): not part of `python -m bench`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT.parent / "shared" / "directives"
LABELS = ROOT / "tests" / "data" / "directives"


def printed_lines(text: str) -> list[str]:
    """The lines a printed copy shows: Markdown's emphasis marks are not ink."""
    return [re.sub(r"\*+", "", line) for line in text.splitlines()]


def _tasks(draft) -> list[dict]:
    return [{"stt": t.stt, "content": t.content, "lead": t.lead, "deadline": t.deadline} for t in draft.tasks]


def _labels(src: Path) -> list[dict] | None:
    import yaml

    if src.suffix == ".src":  # a held-out set's source: its labels sit beside it, one entry per source
        doc = yaml.safe_load((src.parent / "labels.yaml").read_text(encoding="utf-8"))
        return (doc.get(src.stem) or {}).get("tasks") or []
    path = LABELS / f"{src.name[:3]}.yaml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("tasks") or []


def measure(files: list[Path], dpi: int, office: bool = False) -> dict:
    from intake.directive import extract
    from intake.directive.ocr import OcrLimits
    from intake.directive.readers import read_lines
    from intake.directive.score import Score, score
    from storage.agencies import AgencyDirectory
    from tests.scans import office_copy, render_pages, scanned_pdf

    directory = AgencyDirectory.load(None)
    zero = Score(0, 0, 0, 0, 0, [])
    totals = {"scan_vs_text": zero, "text_vs_labels": zero, "scan_vs_labels": zero}
    rows = []
    pages_read = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for src in files:
            if src.suffix == ".src":  # as the portal's text, then printed with the page's own wrapping
                from bench.extract_heldout import write_txt

                text_draft = extract(read_lines(write_txt(src, Path(tmp))))
                printed = src.read_text(encoding="utf-8").replace("⏎", " ")
            else:
                text_draft = extract(read_lines(src))
                printed = src.read_text(encoding="utf-8")
            pages = render_pages(printed_lines(printed), dpi=dpi, points=13)
            if office:
                pages = office_copy(pages, seed=sum(src.name.encode()))
            pdf = scanned_pdf(Path(tmp) / f"{src.stem}.pdf", pages, dpi=dpi)
            scan_draft = extract(read_lines(pdf, ocr=OcrLimits(dpi=dpi, timeout_seconds=3600, max_pages=200)))
            pages_read += len(pages)
            s = score(_tasks(text_draft), _tasks(scan_draft), directory=directory, on=text_draft.issued)
            totals["scan_vs_text"] += s
            row = {"file": src.name, "pages": len(pages), "text_tasks": len(text_draft.tasks),
                   "scan_tasks": len(scan_draft.tasks), "recall": s.recall, "precision": s.precision,
                   "lead": s.lead, "deadline": s.deadline, "misses": s.misses}
            gold = _labels(src)
            if gold is not None:
                for key, draft in (("text_vs_labels", text_draft), ("scan_vs_labels", scan_draft)):
                    g = score(gold, _tasks(draft), directory=directory, on=text_draft.issued)
                    totals[key] += g
                    row[key] = {"recall": g.recall, "precision": g.precision, "lead": g.lead,
                                "deadline": g.deadline}
            rows.append(row)
            print(f"{src.name}: {len(pages)} pages, text {len(text_draft.tasks)} tasks, scan {len(scan_draft.tasks)}; "
                  f"recall {s.recall:.2f} precision {s.precision:.2f} lead {s.lead:.2f} deadline {s.deadline:.2f}",
                  file=sys.stderr)
            for m in s.misses:
                print(f"    {m}", file=sys.stderr)
    summary = {k: {"recall": v.recall, "precision": v.precision, "lead": v.lead, "deadline": v.deadline,
                   "gold": v.gold, "predicted": v.predicted, "paired": v.paired} for k, v in totals.items() if v.gold}
    return {"dpi": dpi, "office_copy": office, "pages": pages_read, "seconds": round(time.monotonic() - started, 1), "files": rows,
            "summary": summary}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scans", description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path, help="directives as text (default: ../shared/directives/*.txt)")
    p.add_argument("--dpi", type=int, default=300)
    p.add_argument("--office", action="store_true",
                   help="scan an office copy: seal and received stamp, skew, grain, specks, JPEG (tests/scans.office_copy)")
    p.add_argument("--heldout", type=Path, metavar="DIR",
                   help="scan a labelled set's sources (bench/heldout/setN/h*.src) and score against its labels.yaml")
    args = p.parse_args(argv)
    files = args.files or (sorted(args.heldout.glob("h*.src")) if args.heldout else sorted(SOURCES.glob("*.txt")))
    if not files:
        p.error(f"no directive to scan in {args.heldout or SOURCES}" + (" (a labelled set holds h*.src files)"
                                                                        if args.heldout else ""))
    result = measure(files, args.dpi, office=args.office)
    print(f"{'measure':<16}{'recall':>8}{'precision':>11}{'lead':>7}{'deadline':>10}")
    for k, v in result["summary"].items():
        print(f"{k:<16}{v['recall']:>8.3f}{v['precision']:>11.3f}{v['lead']:>7.3f}{v['deadline']:>10.3f}")
    print(f"{result['pages']} pages at {result['dpi']} dpi in {result['seconds']} s"
          + (" (office copies: stamps, skew, grain, JPEG)" if result["office_copy"] else " (clean renderings)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
