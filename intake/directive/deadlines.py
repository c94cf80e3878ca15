"""The deadline a duty's text governs (pure): verbatim, and only one the text sets for the duty ("trước",
"chậm nhất", "vào …", "hoàn thành trong …", a report schedule); dates of cited documents, targets and "trước khi"
are passed over with a note."""

from __future__ import annotations

import re
from datetime import date

from core.deadline import DeadlineError, parse_deadline
from core.deadline.context import describes_work
from core.i18n import _
from intake.directive.text import fold

# -- deadlines the text governs ---------------------------------------------------------------------------
_STRONG = re.compile(r"^(?:truoc|cham\s+nhat|muon\s+nhat|tre\s+nhat|khong\s+qua|khong\s+muon\s+hon|han\s+chot|vao|"
                     r"(?:ngay\s+)?trong\s+ngay|den\s+het\s+ngay)\b")
_REPORTING = re.compile(r"\b(?:dinh\s+ky|bao\s+cao|che\s+do)\b")
_NOT_DEADLINE = re.compile(r"\b(?:truoc\s+khi|theo\s+tien\s+do|theo\s+quy\s+dinh)\b")
# "báo cáo … trong tháng 3 năm 2026", "đóng điện trong quý IV năm 2024": a month or quarter of a year the duty is
# done within ("trong năm 2026" alone is the year a focus holds, not a deadline).
_WITHIN = re.compile(r"^trong\s+(?:thang\s+\d{1,2}|qu[yi]\s+[ivx\d]+|tuan\s+\w+(?:\s+\w+)?\s+(?:cua\s+)?thang\s+\d{1,2})\b.*\d{4}")
# "hoàn thành 100% kế hoạch vốn năm 2026", "đạt kế hoạch thu … năm 2027": a plan year
_PLAN_YEAR = re.compile(r"^(?:hoan\s+thanh|giai\s+ngan|dat\s+(?:\d+\s*%\s+)?(?:ke\s+hoach|du\s+toan))\b")
# "(canh gác) từ ngày 01/3/2026 đến hết ngày 31/5/2026", "từ ngày 15/01 - 15/02/2027": the days the duty is done
# in, due on the last
_PERIOD = re.compile(r"^tu\s+(?:ngay|thang)\s+\d(?:.*\bden\s+(?:het\s+)?(?:ngay|thang)\s+\d|[\d/]*\s*[-–]\s*\d)")
# "đạt 90% vào năm 2030": a target. Read on the text with its marks: "giá đất" folds to the same letters as "đạt".
_TARGET = re.compile(r"(?:\bđạt\b[^,;]{0,60}|\d\s*%[^,;]{0,30}|phấn\s+đấu\b[^;]{0,80}\d\s*%[^;]{0,100})$")
# "hoàn thành điều tra các vụ việc còn tồn đọng trong năm 2026": a year the duty is to be finished within
_YEAR_WITHIN = re.compile(r"^trong\s+nam\s+\d{4}$")
_FINISH = re.compile(r"\b(?:hoan\s+thanh|xong|dut\s+diem|ket\s+thuc)\b")
# "ngay sau khi ban hành", "ngay sau khi phát hiện …": when, but no date — kept for a person to set one
_RIGHT_AFTER = re.compile(r"(?i)\bngay\s+(?:sau\s+)?khi\b[^,;.()]*?(?=\s+để\b|[,;.()]|$)")
# "trong vòng 24 giờ kể từ khi nhận được tin báo", "trong thời hạn 10 ngày làm việc kể từ ngày nhận được quyết
# định …": a limit counted from an event (the grammar reads only "kể từ ngày ký / ban hành")
_SINCE_EVENT = re.compile(r"(?i)\b(?:trong\s+(?:vòng|thời\s+hạn)|chậm\s+nhất(?:\s+sau)?|không\s+quá)\s+\d+\s+(?:ngày(?:\s+làm\s+việc)?|giờ|"
                          r"tuần|tháng)\s+(?:kể\s+từ|sau)\s+(?:khi|ngày)\b[^,;.()]*")
# "… phục vụ buổi làm việc lại …, dự kiến vào đầu tháng 4/2027": when a meeting is expected, not a deadline
_EXPECTED_MEETING = re.compile(r"\b(?:hop|lam\s+viec|hoi\s+nghi|kiem\s+tra)\b[^;]{0,120}\bdu\s+kien\s*$")
# "… nhất là trong các giờ cao điểm từ tháng 4 đến tháng 7": when something happens, not when the duty is due
_WHEN_IT_HAPPENS = re.compile(r"\b(?:gio\s+cao\s+diem|thoi\s+gian\s+cao\s+diem|mua\s+(?:mua|kho|lu|du\s+lich|he|thi)|"
                              r"dip\s+(?:nghi\s+)?(?:he|tet|le)|nhat\s+la|dac\s+biet\s+la)\s*$")  # "nhất là trong tháng 01 …"
# "Phó Thủ tướng Chính phủ sẽ kiểm tra lại … vào tháng 5 năm 2027": the issuer's leader's own plan, no one's deadline
LEADER_WILL = re.compile(r"(?:Phó\s+)?(?:Thủ\s+tướng|Chủ\s+tịch|Bộ\s+trưởng)\b[^;.]{0,60}?\s+sẽ\b", re.I)
# "… một lần" after a period: how often the work is done, a schedule of its own
_TIMES = re.compile(r"\b(?:mot|1)\s+lan$")
_DUTY_VERBS = (r"thong\s+tin|theo\s+doi|kiem\s+tra|cap\s+nhat|ra\s+soat|don\s+doc|tuyen\s+truyen|phoi\s+hop|bao\s+cao|"
               r"giam\s+sat|huong\s+dan|chi\s+dao|to\s+chuc|trao\s+doi|dua\s+tin")
_DUTY_VERB = re.compile(rf"(?:{_DUTY_VERBS})\b")
_DUTY_VERB_END = re.compile(rf"(?:^|\s)(?:{_DUTY_VERBS})\s*$")
# "kế hoạch kiểm tra định kỳ hằng năm", "quy chế giao ban hằng quý": a paper about recurring work, so the
# recurring words name the work's kind. After the work itself ("báo cáo Bộ Y tế hằng tháng", "công bố giá vật
# liệu … định kỳ hằng quý") they are the duty's own schedule.
_PAPER_OF_WORK = re.compile(r"\b(?:ke\s+hoach|quy\s+che|chuong\s+trinh|lich|quy\s+dinh|de\s+an|che\s+do|noi\s+quy|"
                            r"quy\s+trinh)(?:\s+\S+){0,4}\s*$")
_CUE = re.compile(r"(?i)\b(?:báo\s+cáo|định\s+kỳ)\b")
# "Hằng tháng, báo cáo … gửi Sở Nội vụ trước ngày 05 của tháng tiếp theo": the period opening the duty, kept as
# "Hằng tháng, … trước ngày 05 của tháng tiếp theo" so the draft's deadline reads alone as it does in the text
_PERIOD_CUE = re.compile(r"(?i)\b(?:định\s+kỳ\s+)?(?:hằng|hàng|mỗi)\s+(?:tháng|quý|năm|tuần)\b,?")


def _reading(d) -> tuple:
    return d.kind, d.due, d.rrules


def _standalone(clause: str, d, issued: date) -> str:
    """The phrase, from the report it belongs to when the words alone would read otherwise: "chậm nhất ngày 20 của
    tháng tiếp theo" is one day, "Báo cáo 6 tháng gửi … chậm nhất ngày 20 của tháng tiếp theo" every half-year —
    and the draft's deadline is imported on its own."""
    try:
        if _reading(parse_deadline(d.matched, issued)) == _reading(d):
            return d.matched
    except DeadlineError:
        pass
    at = clause.find(d.matched)
    if at < 0:
        return d.matched
    for m in _PERIOD_CUE.finditer(clause, 0, at):
        gap = clause[m.end():at]
        phrase = clause[m.start():at + len(d.matched)] if not gap.strip() else f"{m.group()} … {d.matched}"
        try:
            if _reading(parse_deadline(phrase, issued)) == _reading(d):
                return phrase
        except DeadlineError:
            continue
    for m in reversed(list(_CUE.finditer(clause, 0, at))):
        phrase = clause[m.start():at + len(d.matched)]
        try:
            if _reading(parse_deadline(phrase, issued)) == _reading(d):
                return phrase
        except DeadlineError:
            continue
    return d.matched


def _clauses(text: str) -> list[str]:
    """The text's clauses: its sentences and ";" parts, and a report's sending after a data cut-off ("số liệu
    cập nhật đến ngày 15 hằng tháng, gửi Bộ trước ngày 20 hằng tháng": the cut-off is no deadline, the sending is)."""
    out = []
    for c in re.split(r"(?<=[;.])\s+|;", text):
        out += _AFTER_CUT_OFF.split(c) if re.search(r"(?i)\bsố\s+liệu\b", c) else [c]
    return [c for c in out if c.strip()]


_AFTER_CUT_OFF = re.compile(r",\s+(?=(?:gửi|nộp|báo\s+cáo)\b)")


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
        raw_before = clause[: clause.find(d.matched)].lower() if d.matched in clause else ""
        before = fold(raw_before)
        ok = False
        if d.kind == "once":
            # "trước/chậm nhất/vào …", "(quý III/2013)", "hoàn thành trong quý III/2020", "trong tháng 3 năm 2026",
            # a plan year, a dashed range after a label's colon
            ok = (bool(_STRONG.match(f)) or f"({f}" in fold(clause).replace("( ", "(")
                  or bool(re.search(r"\b(?:hoan\s+thanh|xong)\s*:?\s*$", before))
                  or bool(_WITHIN.match(f)) or bool(_PLAN_YEAR.match(f))
                  or ((before.rstrip().endswith(":") or before.rstrip().endswith("thoi gian"))
                      and bool(re.search(r"\d\s*[-–—]\s*\d", d.matched)))
                  # "từ 7 giờ 00 ngày 19/12/2026 đến 22 giờ 00 ngày 20/12/2026": a span's end, its hours kept
                  or (f.startswith("den ") and bool(re.search(r"\btu\s+\d{1,2}\s+gio\b[^;]{0,40}$", before)))
                  or bool(_PERIOD.match(f))
                  or (bool(_YEAR_WITHIN.match(f)) and bool(_FINISH.search(before))))
            if (_TARGET.search(raw_before.rstrip()) or _EXPECTED_MEETING.search(before)
                    or _WHEN_IT_HAPPENS.search(before) or LEADER_WILL.search(raw_before)):
                ok = False
        elif d.kind == "recurring":
            ok = bool(_REPORTING.search(before[-120:] + " " + f) or _STRONG.match(f) or _TIMES.search(f)
                      or not before.strip(" -+,"))  # "…; hằng tháng cung cấp …": the schedule opens the duty
            if (ok and not re.search(r"\d", f) and not _TIMES.search(f) and not _STRONG.match(f)
                    and describes_work(before, len(before.rstrip())) and _PAPER_OF_WORK.search(before)):
                ok = False  # "kế hoạch kiểm tra định kỳ hằng năm": the kind of work, not when this duty is due
        elif d.kind == "continuous":
            # "Thường xuyên", "thường xuyên kiểm tra …" opening the duty, or right before the duty's verb
            # ("chỉ đạo các cơ quan báo chí thường xuyên thông tin …"); the grammar passes over a noun's.
            after = fold(clause[clause.find(d.matched) + len(d.matched):]).strip()
            ok = (not before.strip(" -+") or bool(_DUTY_VERB.match(after))
                  or before.rstrip().endswith(("thuc hien", "duy tri", "trien khai"))  # "thực hiện thường xuyên"
                  or bool(_DUTY_VERB_END.search(before)))  # "đưa tin thường xuyên": the duty's verb, then how often
        if ok and not _NOT_DEADLINE.match(fold(clause[clause.find(d.matched) + len(d.matched):]).strip()):
            phrase = _standalone(clause, d, issued)
            if phrase == d.matched and re.search(r"(?i)\bngay\s+$", clause[:clause.find(d.matched)]):
                phrase = "ngay " + phrase  # "ngay trong tháng 12": the urgency is part of the phrase as written
            found.append(phrase)
        else:
            notes.append(d.matched)
    # "trong vòng 24 giờ kể từ khi nhận được tin báo", "ngay sau khi ban hành": the text's own "when", counted
    # from an event it cannot date; kept as written, and a person sets the date
    if not found and (event := _SINCE_EVENT.search(text) or _RIGHT_AFTER.search(text)):
        phrase = event.group().strip()
        return phrase, [_('"{phrase}" names no date: set the deadline', phrase=phrase)]
    if not found:
        # Say what was passed over ("hàng năm" of a plan's name, "trong năm 2013" of a focus): the reader judges.
        return None, ([_("time phrases not taken as the deadline: {phrases}",
                         phrases=", ".join(f'"{x}"' for x in dict.fromkeys(notes)))] if notes else [])
    extra = [x for x in found[1:] if x != found[0]]
    return found[0], ([_("other time phrases: {phrases}", phrases=", ".join(f'"{x}"' for x in extra))]
                      if extra else [])
