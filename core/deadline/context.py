"""What the words around a time expression say about it (issue 25): the context rules of the grammar, on the
folded text (`core.deadline.text`), pure.

- a reporting period or data cut-off ("số liệu … tính từ ngày 15 tháng 12 năm trước đến hết ngày 14 tháng 12 năm
  báo cáo"), or the day the figures stop ("số liệu chốt đến hết ngày 30/11/2026"), names the data a report covers,
  never a deadline;
- "thường xuyên" after a noun ("các công việc thường xuyên", "chi thường xuyên") describes the noun, not a duty
  that never ends;
- a plan year ("hoàn thành 100% kế hoạch vốn năm 2026", "đạt kế hoạch thu ngân sách năm 2027 được giao") is due
  at the year's end;
- a date range written with a dash and no keyword ("Tổng kết công tác năm 2025: 10/12/2025 – 20/12/2025") is the
  time the work is given, due at its end;
- a year a target is set for ("phấn đấu đến năm 2030 đạt 95% …", "đến năm 2030 giảm 30% …", "đạt 90% vào năm
  2030") is not a deadline.
"""

from __future__ import annotations

import re

# "số liệu (báo cáo năm) được tính từ …", "thời gian chốt số liệu: từ …", "kỳ báo cáo 6 tháng tính từ …": up to
# the end of the clause.
_CUTOFF = re.compile(
    r"\b(?:(?:thoi\s+(?:gian|diem)\s+)?(?:chot|lay)\s+so\s+lieu|so\s+lieu|ky\s+bao\s+cao)\b"
    r"[^;]{0,80}?\b(?:tinh\s+tu|tu\s+ngay|tu)\b[^;]*?(?=;|\.(?:\s|$)|$)"
)
# "số liệu chốt đến hết ngày 30/11/2026", "số liệu (báo cáo) tính đến ngày …", "chốt số liệu đến ngày …": the day
# the figures stop, up to the end of the clause or a comma (a deadline may follow: ", gửi Sở trước ngày …").
# "số liệu báo cáo quý được chốt vào ngày 15 của tháng cuối quý", "chốt số liệu vào ngày 15/6": the day they are closed.
_CUTOFF_TO = re.compile(
    r"\b(?:(?:chot|lay)\s+so\s+lieu|so\s+lieu(?:\s+[a-z]+){0,4}?\s+(?:chot|tinh|lay))\s+(?:den|toi|vao)(?:\s+het)?\b"
    r"[^;,]*?(?=[;,]|\.(?:\s|$)|$)"
)

# Nouns "thường xuyên" describes: work that recurs as a kind ("các việc thường xuyên, đột xuất"; not the verb "làm việc"), spending ("chi", not the "chí" of "báo chí"), standing
# forces.
_NOUN = re.compile(
    r"(?:^|\s)(?P<noun>(?:cong\s+)?(?<!lam\s)viec|nhiem\s+vu|hoat\s+dong|(?<!bao\s)chi|kinh\s+phi|du\s+toan|von|nguon|luc\s+luong|"
    r"thanh\s+vien|can\s+bo|cong\s+tac\s+vien|khach\s+hang|dien)\s*$"
)

# "hoàn thành (100%) kế hoạch (vốn đầu tư công) năm 2026", "giải ngân hết kế hoạch vốn năm 2026".
_PLAN_YEAR = re.compile(
    # "hoàn thành (vượt) dự toán thu ngân sách trên địa bàn được giao năm 2026": a budget estimate is a plan too
    r"(?<![a-z])(?:(?P<verb>hoan\s+thanh|giai\s+ngan)\s+(?:(?:het|du|vuot|\d{1,3}\s*%)\s+)?(?:cac\s+)?"
    r"(?:ke\s+hoach|chi\s+tieu|du\s+toan)"
    # "(thực hiện) đạt (100%) kế hoạch thu ngân sách năm 2027 (được giao)": a plan to complete by the year's end.
    # A bare share ("đạt 90% vào năm 2030") or "chỉ tiêu" after "đạt" stays a target: only a plan or an estimate.
    r"|(?P<reach>dat)\s+(?:(?:vuot\s+)?\d{1,3}\s*%\s+)?(?:cac\s+)?(?:ke\s+hoach|du\s+toan))"
    r"(?:\s+[a-z]+){0,8}\s*$"
)


def cutoff_spans(fold: str) -> list[tuple[int, int]]:
    """Where the text states a reporting period or a data cut-off."""
    return [(m.start(), m.end()) for rx in (_CUTOFF, _CUTOFF_TO) for m in rx.finditer(fold)]


def inside(spans: list[tuple[int, int]], start: int) -> bool:
    return any(a <= start < b for a, b in spans)


def noun_described(fold: str, start: int) -> str | None:
    """The noun "thường xuyên" at `start` describes, if it stands after one."""
    m = _NOUN.search(fold[max(0, start - 40):start])
    return m.group("noun") if m else None


def plan_year_start(before: str) -> int | None:
    """Offset in `before` (the text up to a "năm 2026") where a plan year's words start, or None."""
    m = _PLAN_YEAR.search(before)
    return (m.start("verb") if m.group("verb") else m.start("reach")) if m else None


def keywordless_range(fold: str, start: int, end: int, dashed: bool) -> bool:
    """A dashed range standing alone after a label's colon (or alone in the text): "…: 10/12/2025 – 20/12/2025"."""
    if not dashed:
        return False
    head = fold[:start].rstrip()
    tail = fold[end:].strip(" .;,)")
    return (not head or head.endswith(":")) and not tail


# After these the recurring words start the duty's own schedule: a reporting verb, or a conjunction opening a new
# duty ("đôn đốc việc thực hiện và định kỳ hàng quý tổng hợp kết quả").
_REPORTING_VERB = re.compile(r"(?:^|\s)(?:bao\s+cao|gui|nop|thuc\s+hien|tong\s+hop|to\s+chuc|va|hoac|dong\s+thoi|"
                             r"can|phai|duoc)$")


def describes_work(fold: str, start: int) -> bool:
    """A recurring word right after the work it qualifies ("kế hoạch kiểm tra định kỳ hằng năm", "quy chế giao
    ban hằng quý"), not standing as the duty's own schedule (", định kỳ hằng quý", "báo cáo hằng quý")."""
    before = fold[:start].rstrip()
    return bool(before) and before[-1].isalpha() and not _REPORTING_VERB.search(before)


# A target is a change to reach by a year: a verb of change or reaching with a quantity, after the year ("(phấn
# đấu) đến năm 2030 giảm 30% …", "… tăng gấp đôi …", "… đưa tỷ lệ hộ nghèo xuống còn dưới 1%", "đạt 95%") or before
# it ("giảm 15% lượng rác thải vào năm 2029", "đạt (tỷ lệ) 90% vào năm 2030"). The verb alone is not enough:
# "phấn đấu đến năm 2015" (tests/test_deadline_directives.py, 003) and "đến năm 2027 hoàn thành …" stay the
# year's end, and so does "tăng cường", "hạ tầng" (words, not changes).
_PERCENT = r"(?:ty\s+le\s+)?(?:tren\s+|it\s+nhat\s+|toi\s+thieu\s+)?\d+(?:[.,]\d+)?\s*%"
_CHANGE = (r"(?<![a-z])(?:giam|tang(?!\s+cuong)|dat|nang|ha(?!\s+tang)|dua|keo|rut\s+ngan|vuot|con)\b")
_QUANTITY = (r"(?:\d+(?:[.,]\d+)?\s*(?:%|lan\b)|(?:mot\s+)?nua\b|(?:mot|hai|ba)\s+phan\s+(?:hai|ba|tu|nam)\b"
             r"|gap\s+(?:doi|hai|ba|bon|nam|muoi|\d+)\b"
             r"|(?:len|xuong|con)\s+(?:(?:muc|duoi|tren|khong\s+qua|it\s+nhat|toi\s+thieu|con)\s+)*\d)")
# Not across a comma: "đạt 95% số hồ sơ, hoàn thành trong năm 2027" gives the year to the clause after it.
_TARGET_BEFORE = re.compile(_CHANGE + r"[^;.]{0,30}?" + _QUANTITY + r"[^;.,]{0,40}$")
_TARGET_AFTER = re.compile(r"\s*,?\s*(?:(?:phan\s+dau|can|phai)\s+)?(?:co\s+" + _PERCENT + r"|" + _CHANGE
                           + r"[^;.]{0,60}?(?<![a-z])" + _QUANTITY + r")")


def target_year(fold: str, start: int, end: int) -> bool:
    """Whether the year at `start`:`end` is the year of a target, not the duty's deadline."""
    return bool(_TARGET_BEFORE.search(fold[max(0, start - 60):start]) or _TARGET_AFTER.match(fold, end))
