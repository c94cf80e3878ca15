"""Who does a duty, as the directive names it (pure): the subject of an item ("Giao Sở X chủ trì …", "Bộ trưởng
Bộ Y tế chỉ đạo …"), the agency heading an item stands under, the addressees of a section's opening
("… thực hiện những nhiệm vụ sau:"), coordinators ("phối hợp với …") and who is reported to."""

from __future__ import annotations

import re

from intake.directive.outline import _Item, _join
from intake.directive.text import Line, fold

# -- agencies as the text names them ----------------------------------------------------------------------
_HEAD = (r"(?:(?:Giám\s+đốc|Thủ\s+trưởng|Chủ\s+tịch|Chánh\s+Văn\s+phòng|Lãnh\s+đạo|Người\s+đứng\s+đầu|Bộ\s+trưởng|"
         r"Thống\s+đốc|Tổng\s+Giám\s+đốc|Chỉ\s+huy\s+trưởng|Trưởng)\b[^:;]{0,40}?"
         r"|)(?:Sở|Ban(?!\s+hành)|Văn\s+phòng|VP|Trạm|"
         # the commune's offices after the 2025 reform ("Phòng Kinh tế", "Phòng Văn hóa - Xã hội"), not "phòng, chống"
         r"Phòng(?!\s*,|\s+(?:chống|ngừa|tránh|cháy|bệnh|dịch|họp|làm\s+việc))|Ủy\s+ban|Uỷ\s+ban|UBND|Đài|Báo(?!\s+(?:cáo|đảm|vệ|quản|hiểm|trì|lưu|tồn|hành|dưỡng)\b)|Thanh\s+tra|Công\s+an|Bộ\s+Chỉ\s+huy|Kho\s+bạc|"
         # the tax office after 2025 ("Thuế tỉnh Lâm Đồng", "Thuế thành phố Huế", "Thuế cơ sở 3"), not "thuế suất"
         r"Thuế(?=\s+(?:tỉnh|thành\s+phố|cơ\s+sở)\b)|"
         # a commune's own people after 2025: "Công chức Tư pháp - Hộ tịch", "Trưởng thôn, tổ dân phố"
         r"Công\s+chức(?=\s+[A-ZĐÂ-Ỹ])|Trưởng\s+(?:thôn|bản|ấp|khu\s+phố|tổ\s+dân\s+phố)|"
         r"Cục|Chi\s+cục|Vụ(?!\s+(?:việc|án|mùa|[ĐđXxHhTt](?:ông|uân|è|hu)\b))|Trung\s+tâm|Hội|Liên\s+đoàn|Tỉnh\s+đoàn|Các|các|Cơ\s+quan|Giám\s+đốc|Thủ\s+trưởng|Chủ\s+tịch|"
         r"Người\s+đứng\s+đầu|"
         # central: ministries and their heads, the Government's leaders, state groups, associations
         r"Bộ(?!\s+(?:phận|máy|thủ\s+tục|tiêu\s+chí|chỉ\s+số|công\s+cụ|hồ\s+sơ|luật|đội|mặt|trí)\b)|Bộ\s+trưởng|Thống\s+đốc|"
         r"Phó\s+Thủ\s+tướng|Thủ\s+tướng|Ngân\s+hàng|Tập\s+đoàn|Tổng\s+công\s+ty|Công\s+ty(?=\s+[A-ZĐÂ-Ỹ])|Tổng\s+cục|Hiệp\s+hội|Kiểm\s+toán|"
         r"Mặt\s+trận|Bảo\s+hiểm\s+xã\s+hội|Viện|Học\s+viện|Hội\s+đồng|Tòa\s+án|Toà\s+án|Bưu\s+điện|Đoàn|Liên\s+minh)\b")
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
    "trực tiếp", "tham gia", "là", "kiện toàn", "khẩn cấp", "bàn giao", "chấn chỉnh", "quán triệt", "tháo gỡ",
    "giải ngân", "thu hồi", "di dời", "gia cố", "cảnh báo", "tuyên truyền", "được giao",
    "cử", "mở", "gắn", "lồng ghép", "bổ sung", "xem xét", "tăng", "giảm", "đăng tải", "phân công", "tiến hành",
    "thành lập", "lắp đặt", "nâng cấp", "biên soạn", "phát động", "xác minh", "phấn đấu", "công khai",
)
# Longest first: "căn cứ" and "cân đối" fold past "cần", and the match is then checked against the marks.
_VERB_RX = re.compile(r"(?:^|[\s,;])(?:" + "|".join(re.escape(fold(v)) for v in sorted(_VERBS, key=len, reverse=True))
                      + r")\b")
_VERB_SET = frozenset(_VERBS) | {v.replace("oá", "óa") for v in _VERBS} | {v.replace("óa", "oá") for v in _VERBS}


def _written_verb(t: str, m: re.Match) -> bool:
    """Whether the match of _VERB_RX (on the folded text) is a duty verb as `t` writes it: in lower case (in an
    agency's name the same words are capitalised) and with its own marks — "mở" (open) folds as "mỏ" (a mine)
    does, "cử" (send) as "cũ" (old). Text typed without marks is taken as it folds."""
    start = m.end() - len(m.group().lstrip(" ,;"))
    word = t[start:m.end()]
    return word[:1].islower() and (word.lower() in _VERB_SET or word == fold(word))
_ASSIGN = re.compile(r"^(?:giao(?:\s+cho)?|yeu\s+cau|de\s+nghi)\s+(?:dong\s+chi\s+)?", re.I)
# "CÁC NHIỆM VỤ KHÁC", "Các giải pháp chủ yếu": a group of duties, not who does them.
_GROUP = re.compile(r"^cac\s+(?:nhiem\s+vu|noi\s+dung|giai\s+phap|cong\s+viec|van\s+de|hoat\s+dong|bien\s+phap|"
                    r"chuong\s+trinh|du\s+an|muc\s+tieu|yeu\s+cau|linh\s+vuc|de\s+an|chi\s+tieu)\b")


def _names_list(text: str) -> bool:
    """ "Cao Bằng, Điện Biên, Lai Châu", "Lạng Sơn và Lào Cai": proper names only, after a lead's colon."""
    parts = [p.strip() for p in re.split(r",|\bvà\b", text)]
    return bool(text.strip()) and all(p and all(w[:1].isupper() or w in "-–" for w in p.split()) for p in parts)
def _names_after_colon(t: str, colon: int) -> int | None:
    """Where a list of names after "các Bộ:", "các thành phố:" ends, when more words follow it in the same sentence
    ("Bộ trưởng các Bộ: Xây dựng, Công an theo chức năng …", "các thành phố: Hà Nội, …, Cần Thơ trước ngày …").
    A name opens with a capital ("Xây dựng", "Nông nghiệp và Môi trường"); the last one ends at a preposition
    or a time word. None when the colon does not close a plural of agencies or no name follows."""
    if not _PLURAL_COLON.search(fold(t[:colon])):
        return None
    end = None
    at = colon + 1
    for part in t[colon + 1:].split(","):
        name = part.strip()
        if not name[:1].isupper():
            break
        cut = _AFTER_NAMES.search(part)  # with its marks: "tại" (at) is not "Tài" of "Tài chính"
        if cut:
            if cut.start() > len(part) - len(part.lstrip()):
                end = at + len(part[:cut.start()].rstrip())
            break
        end = at + len(part.rstrip())
        at += len(part) + 1
    return end


# Words that follow a list of names rather than belong to one: "theo chức năng", "trước ngày", "trong tháng".
_AFTER_NAMES = re.compile(r"\s(?:theo|trước|trong|chậm\s+nhất|vào|căn\s+cứ|để|khi|tại|đối\s+với|khẩn\s+trương|"
                          r"nghiêm|ngay|chủ\s+trì|phối\s+hợp|chỉ\s+đạo|thực\s+hiện|tổ\s+chức|tăng\s+cường|có\s+trách)\b")


# "… các Bộ:", "… các tỉnh, thành phố:", "… các thành phố trực thuộc trung ương:": a plural whose names follow.
_PLURAL_COLON = re.compile(r"\bcac\s+(?:bo|tinh|thanh\s+pho|so|xa|phuong|dac\s+khu|dia\s+phuong|tap\s+doan|"
                           r"tong\s+cong\s+ty|ngan\s+hang|co\s+quan|hiep\s+hoi)\b[^:;.]{0,40}$")
_PAREN = re.compile(r"\s*\([^()]*\)")
# "Riêng Sở Y tế, Sở Xây dựng gửi …": the item names its own leads, apart from the section's addressees
# ("Riêng đối với các xã ven biển, …" names a case, not who leads it)
_ONLY = re.compile(r"^rieng\s+(?!doi\s+voi\b)(?=\S)")


def _subject(text: str) -> tuple[str, str] | None:
    """(lead as written, the rest) when `text` opens with who does it; None otherwise."""
    t = text.strip()
    f = fold(t)
    m = _ASSIGN.match(f) or _ONLY.match(f)
    if m:
        t, f = t[m.end():], f[m.end():]
    if not _HEAD_RX.match(f):
        return None
    # The first duty verb written in lower case: in an agency's name the same words are capitalised
    # ("Sở Nông nghiệp và Phát triển nông thôn", "Sở Giáo dục & Đào tạo").
    v = next((m for m in _VERB_RX.finditer(f) if _written_verb(t, m)
              and not _not_a_verb(f, m.end() - len(m.group().lstrip(" ,;")))), None)
    colon = t.find(":")
    end = v.start() if v else len(t)
    if 0 <= colon < end and not (v and _names_list(t[colon + 1:end])):  # "Ủy ban nhân dân các tỉnh: Cao Bằng, …"
        names = _names_after_colon(t, colon)
        end = names if names is not None and names <= end else colon
    lead = _PAREN.sub("", t[:end]).strip(" ,;:-–")
    lead = re.split(r"\s+[-–]\s+(?=cơ\s+quan\b)", lead, maxsplit=1)[0]  # "Sở Nội vụ - cơ quan thường trực …"
    if not lead or len(lead) > 220:
        return None
    if _GROUP.match(fold(lead)) or (lead.isupper() and len(lead) > 6):  # a group heading, not an agency
        return None
    return lead, t[end:].strip(" ,;:")


def _not_a_verb(f: str, start: int) -> bool:
    """A duty verb's words used as a noun inside a name: after "các" ("và các tổ chức chính trị - xã hội"), or
    inside a parenthesis ("Các chủ rừng (Ban quản lý …)")."""
    before = f[:start].rstrip()
    # "Ban Quản lý dự án đầu tư xây dựng công trình …": the board's name, lower case, goes on past "xây dựng"
    if before.endswith("du an dau tu"):
        return True
    # "công trình", "chương trình", "quy trình": "trình" (submit) as the end of a noun
    if f.startswith("trinh", start) and before.rsplit(" ", 1)[-1] in ("cong", "chuong", "quy", "lo", "tien", "hanh",
                                                                        "giao"):
        return True
    return before.endswith((" cac", "(cac")) or before == "cac" or before.count("(") > before.count(")")


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
    # "phối hợp với Bộ Tài chính cân đối, bố trí vốn …": the coordinators end where the duty's verb begins
    f = fold(who)
    verb = next((v for v in _VERB_RX.finditer(f) if v.start() > 0 and _written_verb(who, v)), None)
    if verb:
        who = who[:verb.start()].strip(" ,;")
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


# -- the section's addressees ------------------------------------------------------------------------------
_INTRO = re.compile(r"(?P<who>(?:các|Các|Giám\s+đốc|Thủ\s+trưởng|Ủy\s+ban|Uỷ\s+ban|UBND|Chủ\s+tịch)[^:]{3,200}?)\s+"
                    # "… thực hiện", "… chỉ đạo, triển khai", "… khẩn trương tổ chức thực hiện" the duties below
                    r"(?:(?:tập\s+trung|khẩn\s+trương|quan\s+tâm|chỉ\s+đạo|triển\s+khai|thực\s+hiện|tổ\s+chức|nghiêm\s+túc|"
                    r"nghiêm)(?:\s*,\s*|\s+và\s+|\s+))+(?:một\s+số|những|các)\s+(?:nội\s+dung|nhiệm\s+vụ|công\s+việc|việc|"
                    r"giải\s+pháp|biện\s+pháp)[^:]*sau(?:\s+đây)?\s*:\s*$")


def _intro_lead(lines: list[Line]) -> str:
    for ln in reversed(lines[-3:]):
        m = _INTRO.search(ln.text)
        if m:
            who = m.group("who")
            # "…, Bộ Nội vụ đề nghị các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh … triển khai thực hiện …":
            # the addressees start after the verb that asks them
            asked = list(re.finditer(r"\b(?:yêu\s+cầu|đề\s+nghị)\s+", who))
            if asked:
                who = who[asked[-1].end():]
            start = re.search(r"(?:[Cc]ác\s+[Ss]ở|[Cc]ác\s+[Bb]ộ|Thủ\s+trưởng|Giám\s+đốc|UBND|Ủy\s+ban)", who)
            who = who[start.start():] if start else who
            # "… Ủy ban nhân dân các tỉnh chỉ đạo các cơ quan, địa phương thực hiện …": the addressees end at their verb
            f = fold(who)
            verb = next((v for v in _VERB_RX.finditer(f) if v.start() > 0 and _written_verb(who, v)
                         and not _not_a_verb(f, v.end() - len(v.group().lstrip(" ,;")))), None)
            if verb:
                who = who[:verb.start()]
            return _PAREN.sub("", who).strip(" ,")
    return ""


# "các cơ quan, đơn vị chưa gửi báo cáo": who is asked, described, not named — no agency to remind
_DESCRIBED = re.compile(r"^(?:cac\s+|nhung\s+)?(?:co\s+quan|don\s+vi|dia\s+phuong)(?:\s*,\s*(?:co\s+quan|don\s+vi|"
                        r"dia\s+phuong|to\s+chuc|khu\s+pho|to\s+dan\s+pho|thon|ap))*(?:\s+(?:chua|con|khong|nao|co\s+lien\s+quan|lien\s+quan)\b.*)?$")


def described_only(who: str) -> bool:
    """Whether an opening's addressees are a description ("các cơ quan, đơn vị chưa …"), not agencies."""
    return bool(who) and bool(_DESCRIBED.match(fold(who).strip()))


_TO = re.compile(r"^kinh\s+gui\s*:?\s*(?P<rest>.*)$")


def _addressees(lines: list[Line]) -> str:
    """The agencies under "Kính gửi:" ("- Các sở, ban, ngành tỉnh;" / "- Ủy ban nhân dân các xã, phường."), "; "-joined."""
    out: list[str] = []
    for i, ln in enumerate(lines):
        m = _TO.match(fold(ln.text))
        if not m:
            continue
        first = ln.text[len(ln.text) - len(m.group("rest")):].strip()
        parts = [first] if first else []
        for nxt in lines[i + 1:]:
            if not re.match(r"^[-–+•]\s*", nxt.text):
                break
            parts.append(re.sub(r"^[-–+•]\s*", "", nxt.text))
        for p in parts:
            out += [x.strip(" ;.,") for x in p.split(";") if x.strip(" ;.,")]
        break
    return "; ".join(x for x in out if _HEAD_RX.match(fold(x)))


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
    s2 = (_subject(item.body[0].text) if item.body and item.body[0].text[:1].isupper()
          and not item.head.text.rstrip().endswith(".") else None)  # a whole sentence is no title line
    if s2 is None and re.match(r"(?:Trên\s+cơ\s+sở|Căn\s+cứ|Để|Nhằm|Đối\s+với)\b", item.head.text):
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
        if s and (_NOT_A_BODY.match(fold(s[0])) or described_only(s[0])):
            s = None  # "…; yêu cầu các cơ sở sản xuất lắp đặt …": the lead's own duty is to require it of them
        out.append((p.strip(), s[0] if s else None))
    return out


# Those a lead requires something of who are not public bodies: facilities, firms, investors, households.
_NOT_A_BODY = re.compile(r"^(?:cac\s+|nhung\s+)?(?:co\s+so|doanh\s+nghiep|chu\s+dau\s+tu|nha\s+(?:may|thau|dau\s+tu)|"
                         r"ho\s+gia\s+dinh|ho\s+kinh\s+doanh|to\s+chuc,\s+ca\s+nhan|chu\s+(?:rung|tau|phuong\s+tien))\b")


_GIVES = re.compile(r"\s+giao\s+(?:cho\s+)?(?=\S)")


def _assigned(text: str) -> tuple[str, str] | None:
    """(lead, the rest) of a paragraph that hands a duty to someone: "Bộ X giao Cục Y hướng dẫn …", "Giao Sở Y …"."""
    if _ASSIGN.match(fold(text)) and fold(text).startswith("giao"):
        return _subject(text)
    m = _GIVES.search(text[:120])
    if m and _HEAD_RX.match(fold(text)) and _subject(text[:m.start()] + " chủ trì") is not None:
        return _subject(text[m.end():])
    return None
