"""The header block of a directive: số/ký hiệu, issue date, issuer, trích yếu — as printed, never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from core.i18n import _
from intake.directive.text import Line, fold

_NUMBER = re.compile(r"^S[ốôo]\s*:?\s*(?P<n>\d+[\w./-]*/[\w./&-]+)", re.I)
_CITED = re.compile(r"kèm\s+theo\s+(?:Quyết\s+định|Kế\s+hoạch|Chỉ\s+thị|Công\s+văn)\s+số\s+(?P<n>\d+[\w./-]*/[\w./&-]+)"
                    r"(?:\s+ngày\s+(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4}))?", re.I)
_DATED = re.compile(r"ng[àa]y\s+(?P<d>\d{1,2})\s+th[áa]ng\s+(?P<m>\d{1,2})\s+n[ăa]m\s+(?P<y>\d{4})", re.I)
_ISSUER = re.compile(r"^(?:ỦY|UỶ|UY)\s+BAN\s+NH[ÂA]N\s+D[ÂA]N(?:\s+(?P<where>(?:T[ỈI]NH|TH[ÀA]NH\s+PH[ỐO]|HUY[ỆE]N)\s+.+))?$",
                     re.I)
_TYPES = ("KẾ HOẠCH", "CHỈ THỊ", "QUYẾT ĐỊNH", "THÔNG BÁO", "CHƯƠNG TRÌNH")
_HEADER_LINES = 40


@dataclass
class Header:
    number: str = ""
    issued: date | None = None
    issuer: str = ""
    subject: str = ""
    review: list[str] = field(default_factory=list)


def _title(s: str) -> str:
    """ "TỈNH ĐỒNG NAI" → "tỉnh Đồng Nai" (a province's name as administrative text writes it)."""
    words = s.split()
    return " ".join([words[0].lower()] + [w.capitalize() for w in words[1:]]) if words else ""


def read_header(lines: list[Line]) -> Header:
    h = Header()
    top = lines[:_HEADER_LINES]
    for i, ln in enumerate(top):
        # Two header columns flattened into one line: "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI …", "TỈNH X Độc lập - …"
        t = re.split(r"\s+(?=CỘNG\s+HÒA|CỘNG\s+HOÀ|Độc\s+lập\s+-)", ln.text, maxsplit=1)[0]
        if not h.number and (m := _NUMBER.match(t)):
            h.number = m.group("n").rstrip(".")
        if h.issued is None and (m := _DATED.search(t)) and len(t) < 80:
            try:
                h.issued = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                h.review.append(_('line {line}: "{text}" is not a date', line=ln.no, text=t))
        if not h.issuer and (m := _ISSUER.match(t)):
            where = m.group("where")
            if not where and i + 1 < len(top) and fold(top[i + 1].text).startswith(("tinh ", "thanh pho ", "huyen ")):
                where = re.split(r"\s+(?=Độc\s+lập\s+-)", top[i + 1].text, maxsplit=1)[0]
            h.issuer = "UBND " + _title(where) if where else "UBND"
        if not h.subject and fold(t).startswith("v/v"):
            parts = [t[3:].strip()]
            for nxt in top[i + 1:i + 4]:
                if nxt.text.isupper() or _DATED.search(nxt.text) or fold(nxt.text).startswith(("kinh gui", "so:")):
                    break
                parts.append(nxt.text)
            h.subject = " ".join(parts).rstrip(".")
        if not h.subject and t.upper() == t and t.strip(" .") in _TYPES and i + 1 < len(top):
            h.subject = top[i + 1].text
    for ln in lines:
        m = _CITED.search(ln.text)
        if m and not h.number:
            h.number = m.group("n")
            if h.issued is None and m.group("y"):
                h.issued = date(int(m["y"]), int(m["m"]), int(m["d"]))
            break
    if not h.number:
        h.review.append(_("no số/ký hiệu in the header: write the directive's number"))
    if h.issued is None:
        h.review.append(_("no issue date in the header: write it (deadlines are read from it)"))
    if not h.issuer:
        h.review.append(_("no issuer in the header"))
    if not h.subject:
        h.review.append(_("no trích yếu (subject) in the header"))
    return h
