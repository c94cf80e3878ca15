"""An appendix table of tasks (pure): STT | Nội dung | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian, as table
rows (cells) or as one cell per line (a PDF without ruling lines)."""

from __future__ import annotations

import re
from datetime import date

from core.deadline import DeadlineError, parse_deadline
from core.i18n import _
from intake.directive.model import DraftTask
from intake.directive.text import Line, fold

# -- the appendix table -----------------------------------------------------------------------------------
_COLUMNS = (("stt", ("stt", "tt", "so tt")), ("content", ("noi dung", "nhiem vu", "ten nhiem vu")),
            ("coordinators", ("phoi hop",)), ("lead", ("chu tri", "thuc hien")),
            ("deadline", ("thoi gian", "thoi han", "tien do")), ("product", ("san pham", "ket qua")))


# The number of a group row: a Roman numeral or a capital letter ("I", "IV", "A").
_GROUP_ROW = re.compile(r"[IVXLC]{1,6}|[A-Z]")


# A row's number when each cell is a line of its own: "3", "1.2", "2.1.3".
_ROW_NO = re.compile(r"\d{1,3}(?:\.\d{1,2}){0,3}\.?")


def _field_of(header: str) -> str | None:
    f = fold(header)
    for name, keys in _COLUMNS:
        if any(k in f for k in keys):
            return name
    return None


def _appendix(lines: list[Line], on: date) -> list[DraftTask]:
    rows: list[tuple[list[str], int, int, list]] = []  # cells, first line, last line, the columns they are read by
    if lines[0].cells:
        fields = [_field_of(c) for c in lines[0].cells]
        header = [fold(c) for c in lines[0].cells]
        for ln in lines[1:]:
            if ln.cells and _field_of(ln.cells[0]) == "stt" and [fold(c) for c in ln.cells] != header:
                # another table's header ("STT | Chỉ tiêu | Đơn vị tính | …", a second appendix of indicators):
                # its rows are read by its own columns — and without a duty or a lead column they are no tasks
                fields, header = [_field_of(c) for c in ln.cells], [fold(c) for c in ln.cells]
                continue
            if not ln.cells or _field_of(ln.cells[0]) == "stt":
                continue  # not a row, or the header repeated on the next page
            cells = list(ln.cells) + [""] * (len(fields) - len(ln.cells))
            if not cells[0].strip() and rows:  # a row split over two pages: the rest of the one before
                prev = rows[-1][0]
                rows[-1] = ([(a + " " + b).strip() for a, b in zip(prev, cells)], rows[-1][1], ln.no, fields)
                continue
            rows.append((cells, ln.no, ln.no, fields))
    else:
        fields = []
        i = 0
        while i < len(lines) and not _ROW_NO.fullmatch(lines[i].text):
            fields.append(_field_of(lines[i].text))
            i += 1
        n = len(fields)
        while i < len(lines):
            cells = [lines[i].text]
            first = lines[i].no
            i += 1
            while i < len(lines) and len(cells) < n and not _ROW_NO.fullmatch(lines[i].text):
                cells.append(lines[i].text)
                i += 1
            rows.append((cells + [""] * (n - len(cells)), first, lines[i - 1].no, fields))
    out = []
    numbers = [{f: c for f, c in zip(cols, cells) if f}.get("stt", "").strip(" .") for cells, _a, _b, cols in rows]
    for i, (cells, first, last, fields) in enumerate(rows):
        v = {f: c for f, c in zip(fields, cells) if f}
        stt = numbers[i]
        if not stt or not v.get("content"):
            continue
        bare = not v.get("lead", "").strip() and not v.get("deadline", "").strip()
        if bare and (_GROUP_ROW.fullmatch(stt) or _has_subrows(stt, numbers[i + 1:])):
            # "I | Hoàn thiện thể chế |  |  |", "1 | Hoàn thiện cơ chế |  |" above "1.1", "1.2": the heading of the
            # rows below it, not a task
            continue
        t = DraftTask(stt=f"PL.{stt}", content=v.get("content", ""), lead=v.get("lead", ""),
                      coordinators=[v["coordinators"]] if v.get("coordinators") else [],
                      deadline=v.get("deadline") or None, lines=(first, last), product=v.get("product", "").strip())
        if t.deadline:
            try:
                parse_deadline(t.deadline, on)
            except DeadlineError as e:
                t.review.append(_("the deadline does not read: {reason}", reason=e))
        else:
            t.review.append(_("no deadline in the table row"))
        if not t.lead:
            t.review.append(_("no lead agency in the table row"))
        out.append(t)
    return out


def _has_subrows(stt: str, later: list[str]) -> bool:
    """Whether a row numbered "1" (or "2.1") has rows "1.1", "1.2" (or "2.1.1") under it."""
    return any(n.startswith(stt + ".") for n in later)
