"""The header block of a directive: số/ký hiệu, loại văn bản, issue date, issuer, trích yếu — as printed, never
guessed; what is not printed is marked for review.

Central documents ("THỦ TƯỚNG CHÍNH PHỦ", "VĂN PHÒNG CHÍNH PHỦ", "BỘ Y TẾ") as well as provincial ones ("ỦY BAN
NHÂN DÂN / TỈNH X", a department under its committee: "UBND TỈNH X / SỞ NỘI VỤ"). The issue date is the one on
the "Hà Nội, ngày … tháng … năm …" line (its year may have been on the next line: the caller joins broken lines,
`intake.directive.outline.unwrap`), not a meeting's date in the text.
"""

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
_PLACE_DATED = re.compile(r"^[^\d,;:]{2,40},\s*ng[àa]y\s+\d", re.I)  # "Hà Nội, ngày 20 tháng 9 năm 2024"
_ISSUER = re.compile(r"^(?:(?:ỦY|UỶ|UY)\s+BAN\s+NH[ÂA]N\s+D[ÂA]N|UBND)"
                     r"(?:\s+(?P<where>(?:T[ỈI]NH|TH[ÀA]NH\s+PH[ỐO]|HUY[ỆE]N|X[ÃA]|PH[ƯU][ỜO]NG)\s+.+))?$", re.I)
_PLACE = ("tinh ", "thanh pho ", "huyen ", "xa ", "phuong ")
# Central issuers, as their header prints them (folded) → as a text names them.
_CENTRAL = {"thu tuong chinh phu": "Thủ tướng Chính phủ", "chinh phu": "Chính phủ",
            "van phong chinh phu": "Văn phòng Chính phủ", "ngan hang nha nuoc viet nam": "Ngân hàng Nhà nước Việt Nam"}
_MINISTRY = re.compile(r"^(?P<head>BỘ|ỦY BAN|UỶ BAN|THANH TRA|KIỂM TOÁN)\s+(?P<rest>[^\d:]+)$")
_DEPARTMENT = re.compile(r"^(?P<head>SỞ|BAN|VĂN PHÒNG|THANH TRA|CÔNG AN|BỘ CHỈ HUY)\s+(?P<rest>[^\d:]+)$")
_TYPES = ("KẾ HOẠCH", "CHỈ THỊ", "QUYẾT ĐỊNH", "THÔNG BÁO", "CHƯƠNG TRÌNH", "CÔNG ĐIỆN", "CÔNG VĂN", "NGHỊ QUYẾT",
          "HƯỚNG DẪN", "KẾT LUẬN")
_ABOUT = re.compile(r"^(?:V/v|Về\s+việc|V\.v\.?)\s*:?\s*", re.I)
# "CHỈ THỊ / Về tăng cường …": the subject under a document's type, its "Về" dropped as "Về việc" is
_ABOUT_UNDER_TYPE = re.compile(r"^(?:V/v|Về\s+việc|V\.v\.?|Về)\s*:?\s+", re.I)
_HEADER_LINES = 40


@dataclass
class Header:
    number: str = ""
    kind: str = ""
    issued: date | None = None
    issuer: str = ""
    subject: str = ""
    review: list[str] = field(default_factory=list)


def _title(s: str) -> str:
    """ "TỈNH ĐỒNG NAI" → "tỉnh Đồng Nai" (a province's name as administrative text writes it)."""
    words = s.split()
    return " ".join([words[0].lower()] + [w.capitalize() for w in words[1:]]) if words else ""


def _sentence(s: str) -> str:
    """ "NÔNG NGHIỆP VÀ MÔI TRƯỜNG" → "Nông nghiệp và Môi trường": a body's name in running text (the first word and
    the first after "và", "-" or a comma capitalised — "Văn hóa, Thể thao và Du lịch" —, "Việt Nam" as a name)."""
    words = s.lower().split()
    out = []
    for i, w in enumerate(words):
        out.append(w.capitalize() if i == 0 or words[i - 1] in ("và", "-") or words[i - 1].endswith(",") else w)
    return re.sub(r"\bviệt nam\b", "Việt Nam", " ".join(out))


def _split_columns(text: str) -> str:
    # Two header columns flattened into one line: "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI …", "TỈNH X Độc lập - …"
    return re.split(r"\s+(?=CỘNG\s+HÒA|CỘNG\s+HOÀ|Độc\s+lập\s+-)", text, maxsplit=1)[0].strip(" -_*")


def _issuer(top: list[Line], i: int, t: str) -> str:
    nxt = _split_columns(top[i + 1].text) if i + 1 < len(top) else ""
    m = _ISSUER.match(t)
    if m:
        where = m.group("where")
        if not where and fold(nxt).startswith(_PLACE):
            where, nxt = nxt, _split_columns(top[i + 2].text) if i + 2 < len(top) else ""
        committee = "UBND " + _title(where) if where else "UBND"
        d = _DEPARTMENT.match(nxt) if nxt.isupper() else None
        if where and fold(nxt).strip(" -_") == "van phong":  # "UBND TỈNH NGHỆ AN / VĂN PHÒNG": the committee's office
            return f"Văn phòng {committee}"
        if d and where:  # "UBND TỈNH LÂM ĐỒNG / SỞ NỘI VỤ": the department issues, of that province
            return f"{_sentence(d.group('head'))} {_sentence(d.group('rest'))} {_title(where)}"
        return committee
    if not t.isupper():
        return ""
    central = _CENTRAL.get(" ".join(fold(t).split()))
    if central:
        return central
    m = _MINISTRY.match(t)
    if m and not t.startswith(("CỘNG", "ĐỘC")):
        rest = m.group("rest")
        if nxt.isupper() and fold(nxt).startswith("va "):  # "BỘ NÔNG NGHIỆP" / "VÀ MÔI TRƯỜNG": one name, two lines
            rest = f"{rest} {nxt}"
        return f"{_sentence(m.group('head'))} {_sentence(rest)}"
    return ""


_BODY_START = re.compile(r"^(?:Kính\s+gửi|Căn\s+cứ|Thực\s+hiện|Ngày|Số|Để|Trong|Thời\s+gian|Qua)\b|^[-–+•(]", re.I)


def _subject_goes_on(text: str) -> bool:
    """ "Về việc … dịp Tết Nguyên đán" / "Bính Ngọ 2026": a few words that end no sentence and open no paragraph."""
    return (len(text.split()) <= 8 and not text.isupper() and not text.rstrip().endswith((".", ":", ";"))
            and not _BODY_START.match(text) and not _DATED.search(text))


def read_header(lines: list[Line]) -> Header:
    h = Header()
    top = lines[:_HEADER_LINES]
    dated_any: tuple[int, date] | None = None
    for i, ln in enumerate(top):
        t = _split_columns(ln.text)
        if not h.number and (m := _NUMBER.match(t)):
            h.number = m.group("n").rstrip(".")
        if h.issued is None and (m := _DATED.search(t)) and len(t) < 80:
            try:
                d = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                h.review.append(_('line {line}: "{text}" is not a date', line=ln.no, text=t))
            else:
                if _PLACE_DATED.match(t) or fold(t).startswith("ngay"):
                    h.issued = d
                elif dated_any is None:
                    dated_any = (ln.no, d)
        if not h.issuer and i < 6:
            h.issuer = _issuer(top, i, t)
        if not h.subject and _ABOUT.match(t) and fold(t).startswith(("v/v", "v.v")):
            parts = [_ABOUT.sub("", t)]
            for nxt in top[i + 1:i + 4]:
                if nxt.text.isupper() or _DATED.search(nxt.text) or fold(nxt.text).startswith(("kinh gui", "so:")):
                    break
                parts.append(nxt.text)
                break  # broken lines are joined already; one more line at most (a subject set on two)
            h.subject = " ".join(parts).rstrip(".")
        if not h.kind and t.upper() == t and t.strip(" .:") in _TYPES:
            h.kind = t.strip(" .:").capitalize()
            if not h.subject and i + 1 < len(top):
                parts = [_ABOUT_UNDER_TYPE.sub("", top[i + 1].text)]
                for nxt in top[i + 2:i + 4]:  # a subject set on more lines than the page's width
                    if not _subject_goes_on(nxt.text):
                        break
                    parts.append(nxt.text)
                h.subject = " ".join(parts).rstrip(".")
    if h.issued is None and dated_any:
        h.issued = dated_any[1]
    if not h.kind and h.number:
        # "Số: 2315/UBND-KT" with a "V/v" line is a công văn; the type's abbreviation is in the number otherwise
        abbrev = {"ct": "Chỉ thị", "kh": "Kế hoạch", "qd": "Quyết định", "tb": "Thông báo", "cd": "Công điện",
                  "nq": "Nghị quyết", "hd": "Hướng dẫn", "ctr": "Chương trình"}
        code = fold(h.number.split("/", 1)[1].split("-", 1)[0]) if "/" in h.number else ""
        h.kind = abbrev.get(code, "Công văn" if h.subject and any(fold(x.text).startswith("v/v") for x in top) else "")
    for ln in lines:
        m = _CITED.search(ln.text)
        if m and not h.number:
            h.number = m.group("n")
            if h.issued is None and m.group("y"):
                h.issued = date(int(m["y"]), int(m["m"]), int(m["d"]))
            break
    if not h.number:
        h.review.append(_("no số/ký hiệu in the header: write the directive's number"))
    if not h.kind:
        h.review.append(_("no loại văn bản (document type) in the header: write it (Chỉ thị, Kế hoạch, Công văn …)"))
    if h.issued is None:
        h.review.append(_("no issue date in the header: write it (deadlines are read from it)"))
    if not h.issuer:
        h.review.append(_("no issuer in the header"))
    if not h.subject:
        h.review.append(_("no trích yếu (subject) in the header"))
    return h
