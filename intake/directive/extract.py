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
from datetime import date

from core.deadline import DeadlineError, parse_deadline
from core.i18n import _
from intake.directive.appendix import _appendix
from intake.directive.deadlines import LEADER_WILL, _governed_deadline, _reading
from intake.directive.header import read_header
from intake.directive.leads import (_ASSIGN, _addressees, _assigned, _coordinators, _intro_lead, _report_to,
                                    _split_duties, _subject, _task_lead, described_only)
from intake.directive.model import Draft, DraftTask, Unread
from intake.directive.outline import _TIME, _Item, _outline, unwrap
from intake.directive.text import Line, fold, to_lines

__all__ = ["Draft", "DraftTask", "extract"]


def extract(raw: list[str] | str, *, issued: date | None = None) -> Draft:
    """Read a directive's text (lines as the source has them) into a draft registry."""
    lines = unwrap(to_lines(raw))
    head = read_header(lines)
    draft = Draft(number=head.number, kind=head.kind, issued=head.issued, issuer=head.issuer, subject=head.subject,
                  review=list(head.review))
    on = issued or head.issued or date(2000, 1, 1)
    roots, preamble, table_at = _outline(lines)
    default = _intro_lead(preamble)
    letter_to = _addressees(preamble)
    if described_only(default) or (not default and any(_ASKS.search(ln.text) for ln in preamble[-3:])):
        # "đề nghị các cơ quan, đơn vị chưa gửi báo cáo …", or "Bộ … đề nghị:" naming no one: a letter's items
        # that name no lead of their own are its addressees' (a letter that asks nothing names no one: no guess)
        default = letter_to

    def walk(items: list[_Item], inherited: str, section_default: str) -> None:
        for item in items:
            if _PURPOSE.match(fold(item.head.text)):
                continue  # "I. MỤC ĐÍCH, YÊU CẦU": what the plan is for, not who does what
            _absorb_paragraphs(item)
            intro = _intro_lead(item.lines)
            intro = section_default if not intro or described_only(intro) else intro
            own = _subject(item.head.text)
            lead_here = own[0] if own else ""
            if item.children and any(_has_duty(c) or lead_here for c in item.children):
                walk(item.children, lead_here or inherited, intro)
                continue
            make_tasks(item, inherited or section_default)

    def make_tasks(item: _Item, inherited: str) -> None:
        handed = _handed_on(item)
        if _IN_FORCE.match(fold(item.head.text)) or _closes(item.head.text) or (handed and not item.body and item.head.text.rstrip().endswith(":")):
            # "10. Chỉ thị này có hiệu lực thi hành sau 10 ngày …": when it takes effect, no duty; a paragraph under
            # it that hands one ("Giao Giám đốc Sở Nội vụ …") still does. A heading whose paragraphs each name
            # their own lead is no duty either.
            add_handed(item, handed)
            return
        lead, text, coords = _task_lead(item, inherited)
        product = ""
        if item.roles:  # "- Cơ quan chủ trì: …" / "- Cơ quan phối hợp: …": the item's own lines say who
            lead, coords, product = _roles(item.roles, lead, coords)
        described = lead if lead and described_only(lead) else ""
        if described:
            # "Yêu cầu các cơ quan, đơn vị xác định …": nobody named; a letter's addressees are who it asks, else
            # the item is listed for the reader as unread
            lead = letter_to
            if not lead:
                draft.unread.append(Unread(item.stt, item.head.no, " ".join(item.text.split())[:300]))
                return
        if not lead and (then := _THEN_GIVES.search(text)) and (given := _assigned(text[then.end():])):
            # "5. Đồng ý chủ trương bố trí tái định cư … . Giao UBND phường X lập phương án …": the decision is no
            # task, the duty it hands on is
            lead, text, coords = given[0], given[1], _coordinators(given[1])
        if LEADER_WILL.match(item.head.text):
            return  # "7. Chủ tịch Ủy ban nhân dân tỉnh sẽ làm việc với …": the issuer's leader's own plan
        if lead and _GENERIC_DUTY.match(fold(text[text.find(lead) + len(lead):] if lead in text else text).strip(" ,")):
            return  # "Các công chức, Trạm Y tế xã … căn cứ nhiệm vụ được giao triển khai thực hiện": no duty of its own
        if not lead and not _ASSIGN.match(fold(item.head.text)):
            if item.kind != "bullet":  # a numbered item nobody is named for: listed for the reader, not dropped
                draft.unread.append(Unread(item.stt, item.head.no, " ".join(item.text.split())[:300]))
            return
        duties = _split_duties(text) if not item.times else [(text, None)]
        tasks: list[DraftTask] = []
        last = max(x.no for x in item.lines + item.times + [r[2] for r in item.roles])  # role lines are its own
        for duty, new_lead in duties:
            dl, notes = _governed_deadline(duty, on)
            if tasks and new_lead is None and (dl is None or tasks[-1].deadline is None):
                tasks[-1].content += "; " + duty
                if tasks[-1].deadline is None and dl:
                    tasks[-1].deadline = dl
                continue
            t = DraftTask(stt=item.stt, content=duty, lead=new_lead or lead,
                          coordinators=coords if not new_lead else [], report_to=_report_to(duty), deadline=dl,
                          lines=(item.head.no, last), review=list(notes), product=product)
            tasks.append(t)
        if item.times:
            phrase = item.times[-1].text
            value = _TIME.match(phrase).group("rest").strip(" .")
            try:
                value = _as_read_alone(value, on)
            except DeadlineError as e:
                tasks[0].review.append(_('the time line "{line}" does not read as a deadline: {reason}', line=phrase,
                                         reason=e))
            for t in tasks:
                t.deadline = value
        for t in tasks:
            if described and t.lead == letter_to:
                t.review.append(_('the item asks "{who}", naming no one: led by the letter\'s addressees, check',
                                  who=described))
            if not t.lead:
                t.review.append(_("no lead agency found: name who leads this task"))
            if t.deadline is None:
                t.review.append(_('no deadline in the text: write one (or "Thường xuyên")'))
        draft.tasks.extend(tasks)
        add_handed(item, handed)

    def add_handed(item: _Item, handed: list) -> None:
        for ln, (who, rest) in handed:  # "… giao Cục Y hướng dẫn …" after the item: a duty of its own
            dl, notes = _governed_deadline(ln.text, on)
            draft.tasks.append(DraftTask(stt=item.stt, content=rest, lead=who, coordinators=_coordinators(rest),
                                         report_to=_report_to(rest), deadline=dl, lines=(ln.no, ln.no),
                                         review=notes + ([] if dl else [_('no deadline in the text: write one (or '
                                                                          '"Thường xuyên")')])))

    walk(roots, "", default)
    while table_at < len(lines):
        # a table of duties, in an appendix or in the body ("IV. NHIỆM VỤ CỤ THỂ" as a table, then "V. TỔ CHỨC
        # THỰC HIỆN" numbered again): the outline goes on after its last row
        end = _table_end(lines, table_at)
        draft.tasks.extend(_appendix(lines[table_at:end], on))
        if end >= len(lines):
            break
        more, _rest, after = _outline(lines[end:])
        walk(more, "", default)
        table_at = end + after
    return draft


def _table_end(lines, start: int) -> int:
    """Where a table written as rows of cells ends: its first line that is not a row (a table of one cell a line —
    a PDF without rules — runs to the end)."""
    if not lines[start].cells:
        return len(lines)
    return next((i for i in range(start + 1, len(lines)) if not lines[i].cells), len(lines))


# An opening that asks for the items below: "Bộ Nông nghiệp và Môi trường đề nghị:", "… như sau:"
_ASKS = re.compile(r"(?i)\b(?:đề\s+nghị|yêu\s+cầu|như\s+sau|sau\s+đây|sau)\s*:\s*$")
# A decision's next sentence that hands a duty on: "… . Giao Ủy ban nhân dân phường …"
_THEN_GIVES = re.compile(r"[.;]\s+(?=Giao\s)")
# "căn cứ nhiệm vụ được giao (tổ chức) triển khai thực hiện": every body's standing duty, said again, not a task
_GENERIC_DUTY = re.compile(r"^(?:can\s+cu\s+(?:chuc\s+nang,\s+)?nhiem\s+vu\s+(?:duoc\s+giao|duoc\s+phan\s+cong),?\s+)"
                           r"(?:to\s+chuc\s+|khan\s+truong\s+|nghiem\s+tuc\s+)*(?:trien\s+khai\s+)?thuc\s+hien\b(?!\s+\w+\s+\w+\s+\w)")
# "Chỉ thị này có hiệu lực (thi hành) kể từ ngày ký": when the directive takes effect
# "Chỉ thị này", "Kế hoạch này", …: the directive itself, as its closing words name it (folded)
_THIS_PAPER = r"(?:chi\s+thi|ke\s+hoach|cong\s+van|thong\s+bao|quyet\s+dinh|van\s+ban|cong\s+dien)\s+nay"
_IN_FORCE = re.compile(rf"^{_THIS_PAPER}\s+co\s+hieu\s+luc\b")
# A section that states purposes, not duties ("I. MỤC ĐÍCH, YÊU CẦU", "1. Mục tiêu", "Quan điểm").
_PURPOSE = re.compile(r"^(?:(?:muc\s+dich|yeu\s+cau|muc\s+tieu|quan\s+diem)(?:\s*(?:,|va)\s*(?:yeu\s+cau|muc\s+tieu|"
                      r"muc\s+dich))?|"
                      # "I. ĐÁNH GIÁ CHUNG", "Tình hình thực hiện", "Kết quả đạt được": what was done, not who does what
                      r"danh\s+gia\s+(?:chung|tinh\s+hinh|ket\s+qua)|tinh\s+hinh\s+(?:chung|thuc\s+hien)|"
                      r"ket\s+qua\s+(?:dat\s+duoc|thuc\s+hien)|thuc\s+trang|"
                      # "I. THỜI GIAN, ĐỊA ĐIỂM": when and where an event is held
                      r"thoi\s+gian(?:\s*,\s*|\s+va\s+)dia\s+diem|dia\s+diem(?:\s*,\s*|\s+va\s+)thoi\s+gian)\s*[.:]?\s*$")


def _handed_on(item: _Item) -> list:
    """Paragraphs after an item's whole sentence that hand a duty to someone of their own ("Bộ X giao Cục Y hướng
    dẫn …"): taken out of the item's body, each (line, (lead, duty))."""
    if item.head.text.rstrip().endswith(":") and len(item.body) >= 2 and not item.times and not item.children:
        # "2. Các sở, ban, ngành, địa phương theo chức năng, nhiệm vụ:" / "Sở Giáo dục và Đào tạo chỉ đạo …" /
        # "Công an tỉnh …": unnumbered paragraphs, each naming its own lead, each a duty of its own (a line in
        # lower case goes on the paragraph above: a PDF breaks a sentence after its ";")
        paragraphs: list[Line] = []
        for ln in item.body:
            if paragraphs and ln.text[:1].islower():
                paragraphs[-1] = Line(paragraphs[-1].no, f"{paragraphs[-1].text} {ln.text}")
            else:
                paragraphs.append(ln)
        subjects = [_subject(p.text) if p.text[:1].isupper() else None for p in paragraphs]
        if len(paragraphs) >= 2 and all(subjects) and not any(described_only(s[0]) for s in subjects):
            item.body = []
            return list(zip(paragraphs, subjects))
    if not item.body or item.times or item.children or not item.head.text.rstrip().endswith("."):
        return []
    out, kept = [], []
    for ln in item.body:
        a = _assigned(ln.text) if ln.text[:1].isupper() else None
        if a:
            out.append((ln, a))
            continue
        closing = _closing_duties(ln.text)
        out += [(ln, d) for d in closing]
        if not closing:
            kept.append(ln)
    item.body = kept
    return out


# "… nghiêm túc thực hiện Chỉ thị này", "… tổ chức triển khai Kế hoạch này": the closing formula of a directive
_CLOSING = re.compile(rf"\b(?:thuc\s+hien|trien\s+khai)\b[^;]{{0,40}}\b{_THIS_PAPER}\b")
# "… chịu trách nhiệm tổ chức thực hiện nghiêm túc Chỉ thị này." as a numbered item of its own
_ANSWERS_FOR = re.compile(rf"\bchiu\s+trach\s+nhiem\s+(?:to\s+chuc\s+)?(?:thi\s+hanh|thuc\s+hien|trien\s+khai)"
                          rf"(?:\s+nghiem(?:\s+tuc)?)?\s+{_THIS_PAPER}$")


def _closes(text: str) -> bool:
    """ "7. Thủ trưởng các cơ quan, đơn vị …, Giám đốc các sở … chịu trách nhiệm tổ chức thực hiện nghiêm túc Chỉ
    thị này.": the closing formula, numbered — one sentence, nothing but the formula after who it names."""
    f = fold(text).rstrip(" ./")
    return ";" not in f and bool(_ANSWERS_FOR.search(f))


def _closing_duties(text: str) -> list[tuple[str, str]]:
    """(lead, duty) of the clauses a closing sentence hands to one body after its formula: "Giám đốc các sở …
    nghiêm túc thực hiện Chỉ thị này; Văn phòng UBND tỉnh tổng hợp kết quả thực hiện, báo cáo …". The formula
    itself, and clauses of bodies named as a group ("các sở, ngành …"), are not duties of their own."""
    parts = text.split(";")
    if len(parts) < 2 or not _CLOSING.search(fold(parts[0])):
        return []
    out = []
    for part in parts[1:]:
        s = _subject(part.strip())
        if s and not fold(s[0]).startswith("cac ") and s[1]:
            out.append((s[0], s[1].rstrip(" ./")))
    return out


def _absorb_paragraphs(item: _Item) -> None:
    """ "2. Công an tỉnh:" / "- Chủ trì …" / "- Tổ chức …": dash and plus paragraphs that name no one of their own
    are paragraphs of the numbered item above them — one duty, its deadline wherever a paragraph gives it."""
    bullets = [c for c in item.children if c.kind == "bullet"]
    if item.level < 2 or not bullets or len(bullets) != len(item.children):
        return
    if any(_subject(c.head.text) for c in bullets):
        # "- Sở Nội vụ chủ trì …": each its own task; a paragraph naming no one right after another that names
        # no one is a paragraph of that one ("3. UBND các tỉnh:" / "- Rà soát …;" / "- Chỉ đạo …;" / "- Chủ tịch …")
        kept: list[_Item] = []
        for c in item.children:
            prev = kept[-1] if kept else None
            if (prev is not None and c.kind == "bullet" and prev.kind == "bullet" and not _subject(c.head.text)
                    and not _subject(prev.head.text) and not c.children and not prev.children):
                prev.body += c.lines
                prev.times += c.times
                continue
            kept.append(c)
        item.children = kept
        return
    for c in bullets:
        item.body += c.lines
        item.times += c.times
    item.children = []


def _as_read_alone(value: str, on: date) -> str:
    """A time line's deadline words: the phrase the grammar matched, unless alone it reads otherwise ("định kỳ hằng
    năm, trước ngày 15 tháng 01 năm sau" is yearly; its tail alone is one day) — then the line as written."""
    d = parse_deadline(value, on)
    try:
        if _reading(parse_deadline(d.matched, on)) == _reading(d):
            return d.matched
    except DeadlineError:
        pass
    return value


def _roles(roles: list, lead: str, coords: list[str]) -> tuple[str, list[str], str]:
    """(lead, coordinators, product) from an item's role lines; a line not given keeps what the sentence said."""
    got: dict[str, list[str]] = {}
    for role, text, _line in roles:
        got.setdefault(role, []).append(text)
    if got.get("lead"):
        lead = "; ".join(got["lead"])
    if got.get("coordinators"):
        coords = [c.strip() for part in got["coordinators"] for c in part.split(";") if c.strip()]
    return lead, coords, "; ".join(got.get("product", []))


def _has_duty(item: _Item) -> bool:
    return bool(_subject(item.head.text) or item.children or item.times or item.roles or
                (item.body and _subject(item.body[0].text)) or _THEN_GIVES.search(item.text)
                or _task_lead(item, "")[0])  # "Đối với …, Sở X hướng dẫn …": after an opening clause
