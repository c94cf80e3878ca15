"""The deadline a duty's text governs (pure): verbatim, and only one the text sets for the duty ("trước",
"chậm nhất", "vào …", "hoàn thành trong …", a report schedule); dates of cited documents, targets and "trước khi"
are passed over with a note."""

from __future__ import annotations

import re
from datetime import date

from core.deadline import DeadlineError, parse_deadline
from core.i18n import _
from intake.directive.text import fold

# -- deadlines the text governs ---------------------------------------------------------------------------
_STRONG = re.compile(r"^(?:truoc|cham\s+nhat|muon\s+nhat|tre\s+nhat|khong\s+qua|khong\s+muon\s+hon|han\s+chot|vao)\b")
_REPORTING = re.compile(r"\b(?:dinh\s+ky|bao\s+cao|che\s+do)\b")
_NOT_DEADLINE = re.compile(r"\b(?:truoc\s+khi|theo\s+tien\s+do|theo\s+quy\s+dinh)\b")


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"(?<=[;.])\s+|;", text) if c.strip()]


def _governed_deadline(text: str, issued: date) -> tuple[str | None, list[str]]:
    """The deadline phrase the text governs, verbatim, and notes on phrases passed over."""
    found: list[str] = []
    notes: list[str] = []
    for clause in _clauses(text):
        try:
            d = parse_deadline(clause, issued)
        except DeadlineError:
            continue
        f = fold(d.matched)
        before = fold(clause[: clause.find(d.matched)]) if d.matched in clause else ""
        ok = False
        if d.kind == "once":
            # "trước/chậm nhất/vào …", "(quý III/2013)", "hoàn thành trong quý III/2020"
            ok = (bool(_STRONG.match(f)) or f"({f}" in fold(clause).replace("( ", "(")
                  or bool(re.search(r"\b(?:hoan\s+thanh|xong)\s*:?\s*$", before)))
        elif d.kind == "recurring":
            ok = bool(_REPORTING.search(before[-120:] + " " + f))
        elif d.kind == "continuous":
            ok = not before.strip(" -+")
        if ok and not _NOT_DEADLINE.match(fold(clause[clause.find(d.matched) + len(d.matched):]).strip()):
            found.append(d.matched)
        else:
            notes.append(d.matched)
    if not found:
        # Say what was passed over ("hàng năm" of a plan's name, "trong năm 2013" of a focus): the reader judges.
        return None, ([_("time phrases not taken as the deadline: {phrases}",
                         phrases=", ".join(f'"{x}"' for x in dict.fromkeys(notes)))] if notes else [])
    extra = [x for x in found[1:] if x != found[0]]
    return found[0], ([_("other time phrases: {phrases}", phrases=", ".join(f'"{x}"' for x in extra))]
                      if extra else [])
