"""The outline of a directive (pure): its numbered items as a tree — "Phần I", "II.", "1.", "1.1.", "1.1.1.",
"(1)", "a)", dash and plus paragraphs — the lines before the first item, and where an appendix table starts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from intake.directive.text import Line, fold

# -- numbering --------------------------------------------------------------------------------------------
_PHAN = re.compile(r"^Phần\s+(?P<n>\d+|[IVX]+)\b\.?\s*(?P<rest>.*)$", re.I)
_ROMAN = re.compile(r"^(?P<n>[IVX]{1,4})\s*[.)]\s+(?P<rest>.+)$")
_NUM = re.compile(r"^(?P<n>\d{1,2})\s*[.)]\s+(?P<rest>.+)$")
_LETTER = re.compile(r"^(?P<n>[a-zđ])\s*\)\s*(?P<rest>.+)$")
_BULLET = re.compile(r"^[-–+•]\s*(?P<rest>.+)$")
_TIME = re.compile(r"^(?:Thời\s+gian|Thời\s+hạn|Tiến\s+độ)(?:\s+(?:hoàn\s+thành|thực\s+hiện))?\s*:\s*(?P<rest>.+)$", re.I)
_STOP = re.compile(r"^(?:Nơi\s+nhận|Đính\s+kèm)\b", re.I)
_LEVELS = {"phan": 0, "roman": 1, "num": 2, "letter": 3, "bullet": 4}


@dataclass
class _Item:
    level: int
    stt: str
    head: Line
    body: list[Line] = field(default_factory=list)
    times: list[Line] = field(default_factory=list)
    children: list["_Item"] = field(default_factory=list)
    parent: "_Item | None" = None

    @property
    def lines(self) -> list[Line]:
        return [self.head] + self.body

    @property
    def text(self) -> str:
        return _join(x.text for x in self.lines)


def _join(parts) -> str:
    """Lines of one item as one text: a title line and the paragraph under it become two sentences; a line
    broken by the page ("… để triển khai" / "các giải pháp …") is joined back with a space."""
    out = ""
    for p in parts:
        if out and p[:1].isupper() and not out.rstrip().endswith((".", ";", ":", ",", "!", "?", "…")):
            out += "."
        out = f"{out} {p}" if out else p
    return out


# -- the outline ------------------------------------------------------------------------------------------
def _outline(lines: list[Line]) -> tuple[list[_Item], list[Line], int]:
    """Numbered items as a tree, the lines before the first item, and where an appendix table starts."""
    roots: list[_Item] = []
    preamble: list[Line] = []
    stack: list[_Item] = []
    skipping = False
    for i, ln in enumerate(lines):
        if _is_table_start(lines, i):
            return roots, preamble, i
        t = ln.text
        if _STOP.match(t):
            skipping = True
            continue
        if skipping:
            if _BULLET.match(t) or len(t) < 60:
                continue
            skipping = False
        kind, m = None, None
        for k, rx in (("phan", _PHAN), ("roman", _ROMAN), ("num", _NUM), ("letter", _LETTER), ("bullet", _BULLET)):
            m = rx.match(t)
            if m:
                kind = k
                break
        tm = _TIME.match(t)
        if tm and stack:
            stack[-1].times.append(ln)
            continue
        if kind == "bullet" and not stack:
            kind = None
        if kind is None:
            if stack:
                stack[-1].body.append(ln)
            else:
                preamble.append(ln)
            continue
        level = _LEVELS[kind]
        n = m.groupdict().get("n") or ""
        while stack and stack[-1].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        if kind == "phan":
            stt = f"P{n}"
        elif kind == "bullet":
            stt = parent.stt if parent else ""
        else:
            stt = f"{parent.stt}.{n}" if parent and parent.stt else n
        rest = m.group("rest") if kind != "phan" else t
        item = _Item(level, stt, Line(ln.no, rest if kind != "phan" else t), parent=parent)
        (parent.children if parent else roots).append(item)
        stack.append(item)
    return roots, preamble, len(lines)


def _is_table_start(lines: list[Line], i: int) -> bool:
    ln = lines[i]
    if ln.cells:
        return fold(ln.cells[0]) in ("stt", "tt", "so tt")
    return fold(ln.text) in ("stt", "tt") and i + 1 < len(lines) and fold(lines[i + 1].text).startswith("noi dung")
