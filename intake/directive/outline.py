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
_DEEP = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(?P<rest>.+)$")  # "1.1.", "2.1.3" (not "15.3.2026")
_PAREN_NUM = re.compile(r"^\((?P<n>\d{1,2})\)\s*(?P<rest>.+)$")  # "(1)"
_LETTER = re.compile(r"^(?P<n>[a-zđ])\s*\)\s*(?P<rest>.+)$")
_BULLET = re.compile(r"^[-–+•]\s*(?P<rest>.+)$")
# The mark before a labelled line of an item: a dash, or a letter "a)" ("a) Cơ quan chủ trì: …")
_LABEL_MARK = re.compile(r"^(?:[-–+•]|[a-zđ]\))\s*")
_TIME = re.compile(r"^(?:Thời\s+gian|Thời\s+hạn|Tiến\s+độ)(?:\s+(?:hoàn\s+thành|thực\s+hiện))?\s*:\s*(?P<rest>.+)$", re.I)
# An item's role lines: "- Cơ quan chủ trì: Sở X." / "+ Phối hợp: …" / "Sản phẩm: …" — who leads it, who helps and
# what it yields, written as labelled lines under the item's heading instead of in its sentence.
_ROLE = re.compile(r"^(?:[-–+•]\s*)?(?:(?:Cơ\s+quan|Đơn\s+vị)(?:\s*,\s*đơn\s+vị)?\s+)?"
                   r"(?P<role>chủ\s+trì|phối\s+hợp|thực\s+hiện|sản\s+phẩm)(?:\s+thực\s+hiện)?\s*:\s*(?P<rest>.+)$",
                   re.I)
# Where a second role starts on the same line: "…; cơ quan phối hợp: …", "…; Sản phẩm: …"
_ROLE_SPLIT = re.compile(r";\s*(?=(?:(?:[Cc]ơ\s+quan|[Đđ]ơn\s+vị)\s+)?(?:[Cc]hủ\s+trì|[Pp]hối\s+hợp|[Ss]ản\s+phẩm)\b[^:;]{0,20}:)")
_STOP = re.compile(r"^(?:Nơi\s+nhận|Đính\s+kèm)\b", re.I)
_LEVELS = {"phan": 0, "roman": 1, "num": 2, "deep": 2, "paren": 3, "letter": 3, "bullet": 4}
_KINDS = (("phan", _PHAN), ("roman", _ROMAN), ("deep", _DEEP), ("num", _NUM), ("paren", _PAREN_NUM),
          ("letter", _LETTER), ("bullet", _BULLET))


@dataclass
class _Item:
    level: float
    stt: str
    head: Line
    kind: str = ""
    body: list[Line] = field(default_factory=list)
    times: list[Line] = field(default_factory=list)
    roles: list[tuple[str, str, Line]] = field(default_factory=list)  # ("lead"|"coordinators"|"product", text, line)
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
        for k, rx in _KINDS:
            m = rx.match(t)
            if m:
                kind = k
                break
        labelled = _LABEL_MARK.sub("", t, count=1)  # "- Thời gian …", "c) Thời gian hoàn thành: …"
        tm = _TIME.match(t) or _TIME.match(labelled)
        if tm and stack:  # "Thời gian thực hiện: …", also as a dash line under the item's heading
            stack[-1].times.append(Line(ln.no, tm.group(0)))
            continue
        rm = _ROLE.match(t) or (_ROLE.match(labelled) if labelled != t and kind == "letter" else None)
        if rm and fold(rm.group("role")).startswith("thuc") and not re.match(r"^(?:[-–+•]\s*)?(?:Cơ|Đơn)\b", t):
            rm = None  # a bare "Thực hiện: …" may be anything; "Cơ quan thực hiện: …" names who does it
        if rm and stack:
            # "Cơ quan chủ trì: Sở X; cơ quan phối hợp: Sở Y, Sở Z." — two roles on one line
            first, *more = _ROLE_SPLIT.split(rm.group("rest"))
            stack[-1].roles.append((_role_of(rm.group("role")), first.strip(" .;"), ln))
            for part in more:
                pm = _ROLE.match(part.strip())
                if pm:
                    stack[-1].roles.append((_role_of(pm.group("role")), pm.group("rest").strip(" .;"), ln))
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
        if kind == "deep":  # "1.1." under "1.", "1.1.1." under "1.1."
            level += 0.25 * n.count(".")
        while stack and stack[-1].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        if kind == "phan":
            stt = f"P{n}"
        elif kind == "bullet":
            stt = parent.stt if parent else ""
        elif kind == "deep":  # the number says its place; only a section's "II." goes before it
            section = next((a for a in _ancestors(parent) if a.kind in ("phan", "roman")), None)
            stt = f"{section.stt}.{n}" if section else n
        else:
            stt = f"{parent.stt}.{n}" if parent and parent.stt else n
        rest = m.group("rest") if kind != "phan" else t
        item = _Item(level, stt, Line(ln.no, rest if kind != "phan" else t), kind, parent=parent)
        (parent.children if parent else roots).append(item)
        stack.append(item)
    return roots, preamble, len(lines)


def _role_of(word: str) -> str:
    f = fold(word)
    return "coordinators" if f.startswith("phoi") else "product" if f.startswith("san") else "lead"


def _ancestors(item: "_Item | None"):
    while item is not None:
        yield item
        item = item.parent


# -- hard line breaks -----------------------------------------------------------------------------------
_MARKER_START = re.compile(r"^(?:Phần\s|[IVX]{1,4}\s*[.)]\s|\d{1,2}(?:\.\d{1,2}){0,3}\s*[.)]?\s|\(\d{1,2}\)|"
                           r"[a-zđ]\s*\)|[-–+•*])")
# Words a sentence does not end on: a line ending in one was broken by the page ("… báo cáo" / "Thủ tướng …").
# (Folded, so only words no name ends on: not "tư" of "Đầu tư", "la" of "Gia Lai"; not "báo cáo", on which
# headings end: "4. Chế độ báo cáo".)
_OPEN_END = re.compile(r"(?:\s|^)(?:va|cua|cac|voi|ve|cho|tai|tren|theo|den|gui|trinh|nhung|duoc|"
                       r"thuoc|trong|giua|nhan|uy\s+ban|hoi\s+dong|phoi\s+hop)$")


# The first word of an agency's name, as written (with its marks: "Sở", not "số").
_NAME_STARTS = frozenset({"Ban", "Sở", "Bộ", "Cục", "Vụ", "Viện", "Phòng", "Trung"})


# A line ending on a unit of time that wants its number, and a line starting with that number (not an item's).
_UNIT_END = re.compile(r"(?:\s|^)(?:quy|thang|ngay|nam|tuan)$")
_NUMBER_START = re.compile(r"^(?:(?:[IVX]{1,4}|\d{1,2})\s*[/.-]\s*\d{1,4}(?:[/.-]\d{1,4})?|\d{4})(?!\w)")


# "(Ban hành kèm theo Quyết định số …)", "(Kèm theo …)": a line of its own under a title
_ATTACHED = re.compile(r"^\((?:ban\s+hanh\s+)?(?:kem|dinh\s+kem)\b")


def _continues(prev: str, cur: str) -> bool:
    """Whether `cur` goes on the sentence `prev` left open, as text copied from a web page or a PDF breaks it."""
    if not prev or not cur or prev.rstrip().endswith((".", ";", ":", "!", "?", "/")):
        return False
    if _MARKER_START.match(cur) or _STOP.match(cur) or _TIME.match(cur) or _ROLE.match(cur):
        return False
    if cur[0].islower():
        return True
    if (cur[0] == "(" and cur[1:2].isalpha() and prev.split()[-1].isalpha() and prev.split()[-1].islower()
            and not _ATTACHED.match(fold(cur))):
        return True  # "… cơ quan công tác dân tộc cấp tỉnh" / "(Sở Dân tộc và Tôn giáo hoặc …) thực hiện …"
    if prev.rstrip().endswith(("-", "–")) and cur[0].isdigit():
        return True  # "… mùa khô năm 2026 -" / "2027 tại các tỉnh …": a range the page broke
    if _UNIT_END.search(fold(prev)) and _NUMBER_START.match(cur):
        return True  # "… trong quý" / "I/2027.", "… trước ngày" / "15/12/2026": a period and its number
    if not (cur[0].isupper() and not cur.isupper()):
        return False
    # "… Hải Phòng, Đà Nẵng," / "Cần Thơ trước ngày …": a list goes on; "… chỉ đạo Ban" / "Giám sát đầu tư …": a
    # name the page broke after its first word; "… (qua" / "Phòng Kinh tế …)": a parenthesis still open
    return (bool(_OPEN_END.search(fold(prev))) or prev.rstrip().endswith(",") or prev.rfind("(") > prev.rfind(")")
            or (len(prev) >= _WRAPPED and (prev.split()[-1] in _NAME_STARTS or _names_go_on(prev, cur))))


# A line at least this long was wrapped by the page; a shorter one ending on "Sở" is a heading ("6. Văn phòng Sở").
_WRAPPED = 50


def _names_go_on(prev: str, cur: str) -> bool:
    """ "… các tỉnh: Cần Thơ, Vĩnh Long, Đồng Tháp, An" / "Giang, Cà Mau:": a list of names broken inside one —
    the line ends on a list whose last three names are capitalised, and the next opens with a capital."""
    tail = [p.strip() for p in prev.rsplit(":", 1)[-1].split(",")]
    return len(tail) >= 3 and all(p[:1].isupper() for p in tail[-3:]) and cur.split()[0][:1].isupper()


def unwrap(lines: list[Line]) -> list[Line]:
    """Lines as sentences: a line the page broke ("3. Sở Tài" / "nguyên và Môi trường …", "Hà Nội, ngày 20 tháng 9"
    / "năm 2024") joined to the one before, which keeps its number. Table rows and new items stay apart."""
    out: list[Line] = []
    for i, ln in enumerate(lines):
        if _is_table_start(lines, i):  # an appendix's cells, one per line, are not sentences
            return out + lines[i:]
        if out and not ln.cells and not out[-1].cells and _continues(out[-1].text, ln.text):
            out[-1] = Line(out[-1].no, f"{out[-1].text} {ln.text}")
        else:
            out.append(ln)
    return out


def _is_table_start(lines: list[Line], i: int) -> bool:
    ln = lines[i]
    if ln.cells:
        return fold(ln.cells[0]) in ("stt", "tt", "so tt")
    return fold(ln.text) in ("stt", "tt") and i + 1 < len(lines) and fold(lines[i + 1].text).startswith("noi dung")
