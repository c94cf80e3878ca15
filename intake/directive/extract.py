"""A draft registry from a directive's own text (pure: lines in, `Draft` out; no files, no database).

The extractor never invents: a task's `lead` is the words of the directive that name who does it (its own
subject — "Giao Sở X chủ trì …", "Sở X chủ trì, phối hợp với Y …", "Đề nghị …" — or the agency heading it
stands under, or the addressees of its section's opening "… thực hiện những nhiệm vụ sau:"); its
`deadline` is the time phrase as written, and only one the text governs ("trước", "chậm nhất", "vào … ",
a "Thời gian:" line, "định kỳ … hằng quý", a deadline column). Dates of cited documents, targets
("đến năm 2030"), "trước khi ban hành" and "theo tiến độ quy định" are not deadlines. What it could not
find or was unsure of goes to the task's `review` notes with the source line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from core.i18n import _
from intake.directive.header import read_header
from intake.directive.text import Line, fold, to_lines
from core.deadline import DeadlineError, parse_deadline


@dataclass
class DraftTask:
    stt: str
    content: str
    lead: str = ""
    coordinators: list[str] = field(default_factory=list)
    report_to: str = ""
    deadline: str | None = None
    lines: tuple[int, int] = (0, 0)  # first and last source line
    review: list[str] = field(default_factory=list)


@dataclass
class Draft:
    number: str = ""
    issued: date | None = None
    issuer: str = ""
    subject: str = ""
    tasks: list[DraftTask] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # about the directive itself


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


# -- agencies as the text names them ----------------------------------------------------------------------
_HEAD = (r"(?:(?:Giám\s+đốc|Thủ\s+trưởng|Chủ\s+tịch|Chánh\s+Văn\s+phòng|Lãnh\s+đạo|Người\s+đứng\s+đầu)\b[^:;]{0,40}?"
         r"|)(?:Sở|Ban|Văn\s+phòng|VP|Ủy\s+ban|Uỷ\s+ban|UBND|Đài|Báo(?!\s+cáo)|Thanh\s+tra|Công\s+an|Bộ\s+Chỉ\s+huy|Kho\s+bạc|"
         r"Cục|Chi\s+cục|Trung\s+tâm|Hội|Liên\s+đoàn|Tỉnh\s+đoàn|Các|các|Cơ\s+quan|Giám\s+đốc|Thủ\s+trưởng|Chủ\s+tịch|"
         r"Người\s+đứng\s+đầu)\b")
# Matched on the folded text (same length as NFC input), so "So Noi vu" typed without marks is read too.
_HEAD_RX = re.compile(r"^" + fold(_HEAD).replace("\\b", r"\b"))
# Where the subject ends: the first verb of the duty.
_VERBS = (
    "chủ trì", "phối hợp", "có trách nhiệm", "chịu trách nhiệm", "tiếp tục", "tăng cường", "tập trung", "khẩn trương",
    "xây dựng", "thực hiện", "tổ chức", "triển khai", "nâng cao", "đẩy mạnh", "đẩy nhanh", "theo dõi", "bố trí",
    "làm đầu mối", "cần có", "cần", "rà soát", "tham mưu", "hướng dẫn", "kiểm tra", "nghiên cứu", "chủ động",
    "cân đối", "gửi", "báo cáo", "đảm bảo", "bảo đảm", "quan tâm", "phản ánh", "hoàn thành", "kết nối", "căn cứ",
    "thường xuyên", "định kỳ", "duy trì", "lập", "ban hành", "đôn đốc", "giúp", "phổ biến",
    "chuẩn bị", "sẵn sàng", "tiếp nhận", "giải quyết", "quản lý", "tổng hợp", "xử lý", "vận động", "đánh giá",
    "cung cấp", "ứng phó", "hỗ trợ", "sửa đổi", "khắc phục", "huy động", "chỉ đạo", "nghiêm túc",
    "công bố", "thẩm định", "đề xuất", "rà soát", "khảo sát", "điều tra", "thống kê", "cập nhật", "sắp xếp",
    "số hóa", "số hoá", "ứng dụng", "phát triển", "thúc đẩy", "hoàn thiện", "đổi mới", "kiểm soát", "phủ sóng",
    "trình", "ký", "thanh tra", "giám sát", "bồi dưỡng", "đào tạo", "áp dụng", "lựa chọn", "xác định",
)
_VERB_RX = re.compile(r"(?:^|[\s,;])(?:" + "|".join(re.escape(fold(v)) for v in _VERBS) + r")\b")
_ASSIGN = re.compile(r"^(?:giao(?:\s+cho)?|yeu\s+cau|de\s+nghi)\s+", re.I)
_PAREN = re.compile(r"\s*\([^()]*\)")


def _subject(text: str) -> tuple[str, str] | None:
    """(lead as written, the rest) when `text` opens with who does it; None otherwise."""
    t = text.strip()
    f = fold(t)
    m = _ASSIGN.match(f)
    if m:
        t, f = t[m.end():], f[m.end():]
    if not _HEAD_RX.match(f):
        return None
    # The first duty verb written in lower case: in an agency's name the same words are capitalised
    # ("Sở Nông nghiệp và Phát triển nông thôn", "Sở Giáo dục & Đào tạo").
    v = next((m for m in _VERB_RX.finditer(f) if t[m.end() - len(m.group().lstrip(" ,;"))].islower()), None)
    colon = t.find(":")
    end = v.start() if v else len(t)
    if 0 <= colon < end:
        end = colon
    lead = _PAREN.sub("", t[:end]).strip(" ,;:-–")
    lead = re.split(r"\s+[-–]\s+(?=cơ\s+quan\b)", lead, maxsplit=1)[0]  # "Sở Nội vụ - cơ quan thường trực …"
    if not lead or len(lead) > 220:
        return None
    return lead, t[end:].strip(" ,;:")


def _is_heading_only(item: _Item) -> bool:
    """ "2. Sở Nội vụ", "8. Đài Phát thanh - Truyền hình tỉnh, Báo Đồng Nai": an agency and nothing more."""
    s = _subject(item.head.text)
    if s is None:
        return False
    lead, rest = s
    if item.head.text.rstrip().endswith(".") and len(item.head.text) > 80:
        return False  # a sentence whose verb the list does not know, not a heading
    return not rest or rest.startswith(("-", "–")) and len(rest) < 80


_COORD = re.compile(r"ph[ốo]i\s+h[ợo]p(?:\s+(?:với|cùng))?\s+(?P<who>.+?)(?=\s+(?:" +
                    "|".join(re.escape(v) for v in ("tham mưu", "thẩm định", "theo dõi", "tổ chức", "nghiên cứu",
                                                   "xây dựng", "triển khai", "thực hiện", "hướng dẫn", "rà soát",
                                                   "giúp", "đề xuất", "trong", "để")) + r")\b|[.;:]|$)", re.I)


def _coordinators(rest: str) -> list[str]:
    m = _COORD.search(rest[:400])
    if not m:
        return []
    who = _PAREN.sub("", m.group("who")).strip(" ,")
    if not _HEAD_RX.match(fold(who)) or len(who) > 200:
        return []
    return [who]


_REPORT_TO = re.compile(
    r"(?<![Cc]hương\s)\b(?:gửi|báo\s+cáo|trình)\b[^.;]{0,120}?\b(?:về|cho|lên|đến)?\s*"
    r"(?P<to>(?:Ủy\s+ban\s+nhân\s+dân|UBND|Chủ\s+tịch|Sở|Văn\s+phòng|Bộ|Thủ\s+tướng)[^,.;()]*?(?:\s*\(qua\s+[^)]*\))?)"
    r"(?=\s*(?:trước|để|trong|theo|tình\s+hình|kết\s+quả|đúng|[,.;(]|$))"
)


def _report_to(text: str) -> str:
    m = _REPORT_TO.search(text)
    if not m:
        return ""
    to = " ".join(m.group("to").split())
    # "báo cáo UBND tỉnh bố trí kinh phí": the addressee ends where what it is asked to do begins
    return re.split(r"\s+(?=(?:bố\s+trí|phê\s+duyệt|công\s+bố|nắm|tổng\s+hợp|giao|xem\s+xét|quyết\s+định|và|để|về)\b)",
                    to, maxsplit=1)[0]


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


# -- the section's addressees ------------------------------------------------------------------------------
_INTRO = re.compile(r"(?P<who>(?:các|Các|Giám\s+đốc|Thủ\s+trưởng)[^:]{3,200}?)\s+(?:tập\s+trung\s+)?(?:triển\s+khai\s+)?"
                    r"thực\s+hiện\s+(?:nghiêm\s+)?(?:một\s+số|những|các)\s+(?:nội\s+dung|nhiệm\s+vụ)[^:]*sau(?:\s+đây)?\s*:\s*$")


def _intro_lead(lines: list[Line]) -> str:
    for ln in reversed(lines[-3:]):
        m = _INTRO.search(ln.text)
        if m:
            who = m.group("who")
            start = re.search(r"(?:[Cc]ác\s+[Ss]ở|Thủ\s+trưởng|Giám\s+đốc|UBND|Ủy\s+ban)", who)
            who = who[start.start():] if start else who
            who = re.sub(r"^.*\byêu\s+cầu\s+", "", who)
            return _PAREN.sub("", who).strip(" ,")
    return ""


# -- tasks ------------------------------------------------------------------------------------------------
def _task_lead(item: _Item, inherited: str) -> tuple[str, str, list[str]]:
    """(lead, the duty's text, coordinators)."""
    s = _subject(item.head.text)
    if s and not _is_heading_only(item):
        lead, rest = s
        return lead, item.text, _coordinators(rest)
    if _is_heading_only(item) and item.body:
        lead = s[0]
        body = _join(x.text for x in item.body)
        return lead, body, _coordinators(body)
    s2 = _subject(item.body[0].text) if item.body and item.body[0].text[:1].isupper() else None
    if s2 is None and re.match(r"(?:Trên\s+cơ\s+sở|Căn\s+cứ|Để|Nhằm)\b", item.head.text):
        # "Trên cơ sở …, Thủ trưởng các Sở … khẩn trương xây dựng …": the subject after the opening clause
        for m in re.finditer(r",\s+(?=[A-ZĐÂ-Ỹ])", item.head.text[:300]):
            s2 = _subject(item.head.text[m.end():])
            if s2:
                return s2[0], item.text, _coordinators(s2[1])
    if s2:  # a title line, then "Các Sở, Ban, ngành … tiếp tục …"
        return s2[0], item.text, _coordinators(s2[1])
    return inherited, item.text, _coordinators(item.text)


def _split_duties(text: str) -> list[tuple[str, str | None]]:
    """Clauses that start a duty of their own: "…; đồng thời, báo cáo … trước ngày …", "…; yêu cầu Sở X …".
    (text, new lead or None)."""
    parts = re.split(r";\s*(?=(?:đồng\s+thời|yêu\s+cầu|giao|đề\s+nghị)\b)", text, flags=re.I)
    out: list[tuple[str, str | None]] = []
    for i, p in enumerate(parts):
        s = _subject(p) if i and _ASSIGN.match(fold(p)) else None
        out.append((p.strip(), s[0] if s else None))
    return out


def extract(raw: list[str] | str, *, issued: date | None = None) -> Draft:
    """Read a directive's text (lines as the source has them) into a draft registry."""
    lines = to_lines(raw)
    head = read_header(lines)
    draft = Draft(number=head.number, issued=head.issued, issuer=head.issuer, subject=head.subject,
                  review=list(head.review))
    on = issued or head.issued or date(2000, 1, 1)
    roots, preamble, table_at = _outline(lines)
    default = _intro_lead(preamble)

    def walk(items: list[_Item], inherited: str, section_default: str) -> None:
        for item in items:
            intro = _intro_lead(item.lines) or section_default
            own = _subject(item.head.text)
            lead_here = own[0] if own else ""
            if item.children and any(_has_duty(c) or lead_here for c in item.children):
                walk(item.children, lead_here or inherited, intro)
                continue
            make_tasks(item, inherited or section_default)

    def make_tasks(item: _Item, inherited: str) -> None:
        lead, text, coords = _task_lead(item, inherited)
        if not lead and not _ASSIGN.match(fold(item.head.text)):
            return
        duties = _split_duties(text) if not item.times else [(text, None)]
        tasks: list[DraftTask] = []
        for duty, new_lead in duties:
            dl, notes = _governed_deadline(duty, on)
            if tasks and new_lead is None and (dl is None or tasks[-1].deadline is None):
                tasks[-1].content += "; " + duty
                if tasks[-1].deadline is None and dl:
                    tasks[-1].deadline = dl
                continue
            t = DraftTask(stt=item.stt, content=duty, lead=new_lead or lead,
                          coordinators=coords if not new_lead else [], report_to=_report_to(duty), deadline=dl,
                          lines=(item.head.no, (item.body or [item.head])[-1].no), review=list(notes))
            tasks.append(t)
        if item.times:
            phrase = item.times[-1].text
            value = _TIME.match(phrase).group("rest").strip(" .")
            try:
                value = parse_deadline(value, on).matched
            except DeadlineError as e:
                tasks[0].review.append(_('the time line "{line}" does not read as a deadline: {reason}', line=phrase,
                                         reason=e))
            for t in tasks:
                t.deadline = value
        for t in tasks:
            if not t.lead:
                t.review.append(_("no lead agency found: name who leads this task"))
            if t.deadline is None:
                t.review.append(_('no deadline in the text: write one (or "Thường xuyên")'))
        draft.tasks.extend(tasks)

    walk(roots, "", default)
    if table_at < len(lines):
        draft.tasks.extend(_appendix(lines[table_at:], on))
    return draft


def _has_duty(item: _Item) -> bool:
    return bool(_subject(item.head.text) or item.children or item.times or
                (item.body and _subject(item.body[0].text)))


# -- the appendix table -----------------------------------------------------------------------------------
_COLUMNS = (("stt", ("stt", "tt", "so tt")), ("content", ("noi dung", "nhiem vu", "ten nhiem vu")),
            ("coordinators", ("phoi hop",)), ("lead", ("chu tri", "thuc hien")),
            ("deadline", ("thoi gian", "thoi han", "tien do")))


def _field_of(header: str) -> str | None:
    f = fold(header)
    for name, keys in _COLUMNS:
        if any(k in f for k in keys):
            return name
    return None


def _appendix(lines: list[Line], on: date) -> list[DraftTask]:
    rows: list[tuple[list[str], int, int]] = []  # cells, first line, last line
    if lines[0].cells:
        fields = [_field_of(c) for c in lines[0].cells]
        for ln in lines[1:]:
            if not ln.cells or _field_of(ln.cells[0]) == "stt":
                continue  # not a row, or the header repeated on the next page
            cells = list(ln.cells) + [""] * (len(fields) - len(ln.cells))
            if not cells[0].strip() and rows:  # a row split over two pages: the rest of the one before
                prev = rows[-1][0]
                rows[-1] = ([(a + " " + b).strip() for a, b in zip(prev, cells)], rows[-1][1], ln.no)
                continue
            rows.append((cells, ln.no, ln.no))
    else:
        fields = []
        i = 0
        while i < len(lines) and not re.fullmatch(r"\d{1,3}", lines[i].text):
            fields.append(_field_of(lines[i].text))
            i += 1
        n = len(fields)
        while i < len(lines):
            cells = [lines[i].text]
            first = lines[i].no
            i += 1
            while i < len(lines) and len(cells) < n and not re.fullmatch(r"\d{1,3}", lines[i].text):
                cells.append(lines[i].text)
                i += 1
            rows.append((cells + [""] * (n - len(cells)), first, lines[i - 1].no))
    out = []
    for cells, first, last in rows:
        v = {f: c for f, c in zip(fields, cells) if f}
        stt = v.get("stt", "").strip(" .")
        if not stt or not v.get("content"):
            continue
        t = DraftTask(stt=f"PL.{stt}", content=v.get("content", ""), lead=v.get("lead", ""),
                      coordinators=[v["coordinators"]] if v.get("coordinators") else [],
                      deadline=v.get("deadline") or None, lines=(first, last))
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
