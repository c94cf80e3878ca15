"""Appendix tables as clerks keep them → task rows (pure: no I/O).

- The header is found wherever it is in the first rows (title rows above it are skipped), one row deep or
  two ("Cơ quan thực hiện" merged over "Chủ trì | Phối hợp"); names are matched without regard to
  diacritics, case, punctuation and the usual variants ("Thời hạn hoàn thành", "Đơn vị chủ trì",
  "Cơ quan/đơn vị phối hợp", "Kết quả/sản phẩm" …).
- The numbering row under the header ("(1) (2) (3) …", "1 2 3 …") and headers repeated after a page
  break are skipped.
- Section rows ("I. NỘI DUNG …", "II.", "A.", "1." spanning the row, with no lead and no deadline) are
  not tasks: they become the `section` of each following task ("I. … › 1. …").
- A row continued over a page break (no STT, no key, part of the fields) or over a merged STT cell is
  joined to the task above it: its text is added to the same fields.
"""

from __future__ import annotations

import re
from datetime import date

from core.i18n import _
from intake.model import COLUMNS, Collector, DirectiveMeta, Parsed, RowFields
from intake.readers import Row, Table
from storage.agencies import fold

__all__ = ["HEADER_SYNONYMS", "parse_date", "rows_from_table"]

# Other headers seen in real appendices, and English ones. Compared folded (no diacritics, no case).
HEADER_SYNONYMS = {
    "key": ["Mã nhiệm vụ", "Mã số", "key", "code"],
    "stt": ["TT", "Số TT", "Số thứ tự", "No", "#"],
    "section": ["Mục", "Lĩnh vực", "section"],
    "content": ["Nội dung nhiệm vụ", "Nội dung công việc", "Nhiệm vụ", "Tên nhiệm vụ", "Nội dung thực hiện",
                "Nhiệm vụ, giải pháp", "Nội dung, nhiệm vụ", "Công việc", "Nhiệm vụ cụ thể", "content", "task"],
    "lead": ["Cơ quan chủ trì thực hiện", "Đơn vị chủ trì", "Chủ trì", "Cơ quan thực hiện", "Đơn vị thực hiện",
             "Cơ quan/đơn vị chủ trì", "Cơ quan, đơn vị chủ trì", "Đơn vị chủ trì thực hiện", "Cơ quan chủ trì",
             "Cơ quan thực hiện Chủ trì", "Đơn vị thực hiện Chủ trì", "lead"],
    "coordinators": ["Đơn vị phối hợp", "Phối hợp", "Cơ quan phối hợp thực hiện", "Cơ quan/đơn vị phối hợp",
                     "Cơ quan, đơn vị phối hợp", "Đơn vị phối hợp thực hiện", "Cơ quan thực hiện Phối hợp",
                     "Đơn vị thực hiện Phối hợp", "coordinators"],
    "deadline": ["Thời hạn", "Thời hạn hoàn thành", "Thời gian thực hiện", "Tiến độ", "Tiến độ hoàn thành",
                 "Thời gian", "Thời hạn thực hiện", "Thời gian hoàn thành", "Hoàn thành", "Thời gian Hoàn thành",
                 "Tiến độ thực hiện", "deadline"],
    "until": ["Kết thúc", "Đến ngày", "Thời gian kết thúc", "until"],
    "start": ["Bắt đầu", "Thời gian bắt đầu", "Từ", "Từ ngày", "start"],
    "product": ["Sản phẩm", "Kết quả/sản phẩm", "Kết quả, sản phẩm", "Sản phẩm đầu ra", "Kết quả", "Hình thức văn bản",
                "Sản phẩm dự kiến", "Hình thức sản phẩm", "product"],
    "report_to": ["Cơ quan nhận báo cáo", "Nơi nhận báo cáo", "report to", "report_to"],
    "document": ["Số văn bản", "Số ký hiệu", "Số/ký hiệu", "Văn bản giao", "document", "directive"],
    "issued": ["Ngày văn bản", "issued", "issue date"],
}
_IGNORED = ("start",)  # known (the start of "Thời gian thực hiện"), so not warned about, but not kept
REQUIRED = ("content", "lead", "deadline")
_HEADER_ROWS = 20  # the header must be within the first rows of the table


def _lookup() -> dict[str, str]:
    out = {}
    for fld, label in COLUMNS.items():
        for name in [label, *HEADER_SYNONYMS.get(fld, [])]:
            out.setdefault(fold(name), fld)
    for fld in _IGNORED:
        for name in HEADER_SYNONYMS[fld]:
            out.setdefault(fold(name), fld)
    out[fold("Mã")] = "key"
    out[fold("STT")] = "stt"
    return out


_LOOKUP = _lookup()


def _field(text: str) -> str | None:
    return _LOOKUP.get(fold(text)) if text else None


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also . or -) or YYYY-MM-DD; None when it is not a date."""
    from core.deadline import MAX_YEAR, MIN_YEAR  # the grammar's years bound every date a file gives

    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        d = date(int(m[3]), int(m[2]), int(m[1])) if m else date.fromisoformat(text)
    except ValueError:
        return None
    return d if MIN_YEAR <= d.year <= MAX_YEAR else None


# -- the header ----------------------------------------------------------------------------------------------

def _known_count(row: Row) -> int:
    return len({_field(x) for x in row.cells if _field(x)})


def _is_subheader(row: Row, top: Row) -> bool:
    """The second row of a two-row header: every own cell is a header name (of a column under a merged one)."""
    own = [(i, x) for i, x in enumerate(row.cells) if x and i not in row.merged_above
           and not (i < len(top.cells) and top.cells[i] == x)]
    return bool(own) and all(_field(x) or _field(_get(top.cells, i) + " " + x) for i, x in own)


def _get(cells: list[str], i: int) -> str:
    return cells[i] if i < len(cells) else ""


class _Header:
    def __init__(self, top: Row, sub: Row | None, c: Collector):
        self.fields: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.rows = [top] + ([sub] if sub else [])
        self.signature = [tuple(fold(x) for x in r.cells if x) for r in self.rows]
        self.firsts = {sig[0] for sig in self.signature if sig}
        width = max(len(r.cells) for r in self.rows)
        where = (sub or top).number
        for i in range(width):
            t = _get(top.cells, i)
            s = _get(sub.cells, i) if sub else ""
            if sub and (i in sub.merged_above or s == t):
                s = ""
            candidates = ([f"{t} {s}", s] if s else []) + ([t] if t else [])
            fld, label = None, None
            for cand in candidates:
                fld = _field(cand.strip())
                if fld:
                    label = s if s and cand != t else t
                    break
            if fld is None:
                if (s or t) and not (i in top.merged_left and not s):
                    c.warn(where, s or t, _("column not used by dondoc; ignored"))
                continue
            if fld in _IGNORED:
                continue
            if fld in self.fields:
                if i in top.merged_left and not s:
                    continue  # the rest of a merged header cell
                c.error(where, label, _("the column {column!r} appears twice (also {other!r})",
                                        column=COLUMNS[fld], other=self.labels[fld]))
                continue
            self.fields[fld] = i
            self.labels[fld] = label
        self.number = where

    def repeats(self, row: Row) -> bool:
        first = next((x for x in row.cells if x), "")
        if len(first) > 60 or fold(first) not in self.firsts:  # cheap: most rows are tasks
            return False
        return tuple(fold(x) for x in row.cells if x) in self.signature


def _find_header(rows: list[Row]) -> int | None:
    for i, r in enumerate(rows[:_HEADER_ROWS]):
        if _known_count(r) >= 2:
            return i
        # a top row of a two-row header may name only one known column ("Nội dung" + "Cơ quan thực hiện")
        if i + 1 < len(rows) and _known_count(r) >= 1 and _is_subheader(rows[i + 1], r):
            return i
    return None


# -- the kinds of rows below it ---------------------------------------------------------------------------------

_NUMBER_CELL = re.compile(r"^\(\s*[0-9A-Za-z]{1,3}\s*\)$|^[0-9]{1,2}$")
_ROMAN = re.compile(r"^(?=[IVXLC])M{0,3}(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})\.?$")
_HEADING = re.compile(r"^(?:(?P<roman>[IVXLC]+)|(?P<letter>[A-ZĐ])|(?P<num>\d{1,2}))[.)]\s+\S")


def _is_numbering(row: Row) -> bool:
    cells = [x for x in row.cells if x]
    if len(cells) < 3 or not all(_NUMBER_CELL.match(x) for x in cells):
        return False
    if all(x.startswith("(") for x in cells):
        return True
    nums = [int(x) for x in cells if x.isdigit()]
    return len(nums) == len(cells) and nums == list(range(nums[0], nums[0] + len(nums)))


def _section_level(stt: str, text: str) -> int | None:
    """0 for I, II …; 1 for A, B …; 2 for 1., 2. …; None when the row is not a heading."""
    s = stt.strip()
    if s:
        if _ROMAN.match(s):
            return 0
        if re.fullmatch(r"[A-ZĐ]\.?", s):
            return 1
        if re.fullmatch(r"\d{1,2}\.", s):
            return 2
        return None
    m = _HEADING.match(text)
    if m:
        return 0 if m["roman"] else 1 if m["letter"] else 2
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(letters) > 3:
        return 0
    return None


def rows_from_table(table: Table, c: Collector, documents: str | None) -> Parsed:
    parsed = Parsed(encoding=table.encoding)
    rows = table.rows
    at = _find_header(rows)
    if at is None:
        if not rows:
            c.error(1, 0, _("the file has no rows; expected a header row with {columns}",
                            columns=", ".join(COLUMNS[f] for f in ("stt", *REQUIRED))))
            return parsed
        at = 0
    top = rows[at]
    sub = rows[at + 1] if at + 1 < len(rows) and _is_subheader(rows[at + 1], top) else None
    header = _Header(top, sub, c)
    found = ", ".join(x for x in dict.fromkeys(x for r in header.rows for x in r.cells) if x) or _("nothing")
    for fld in REQUIRED:
        if fld not in header.fields:
            if fld == "deadline" and "until" in header.fields:
                continue
            c.error(header.number, COLUMNS[fld], _("missing column {column!r} (the header row has: {found})",
                                                   column=COLUMNS[fld], found=found))
    if "key" not in header.fields and "stt" not in header.fields:
        c.error(header.number, COLUMNS["stt"], _("missing column {stt!r}: without a {key!r} column it makes the "
                                                 "task keys", stt=COLUMNS["stt"], key=COLUMNS["key"]))
    if "deadline" not in header.fields and "until" in header.fields:
        # "Bắt đầu | Kết thúc" and nothing else: the end is the deadline.
        header.fields["deadline"] = header.fields.pop("until")
        header.labels["deadline"] = header.labels.pop("until")
    parsed.has_key_column = "key" in header.fields
    parsed.has_issued_column = "issued" in header.fields
    if any(f not in header.fields for f in REQUIRED) or not ({"key", "stt"} & set(header.fields)):
        return parsed

    fields = header.fields
    sections: list[tuple[int, str]] = []
    last: RowFields | None = None
    start = at + (2 if sub else 1)
    for r in rows[start:]:
        if not any(r.cells) or _is_numbering(r) or header.repeats(r):
            continue
        values = {fld: _get(r.cells, idx) for fld, idx in fields.items()}
        key_idx = fields.get("key", fields.get("stt"))
        own = {fld: v for fld, v in values.items() if v and fields[fld] not in r.merged_above}
        distinct = {x for x in r.cells if x}
        stt, content = values.get("stt", ""), values.get("content", "")
        no_task = not own.get("lead") and not own.get("deadline") and not values.get("key")
        # A row continued over a merged STT/key cell, or (no STT, no key, not a heading) over a page break.
        if last is not None and key_idx in r.merged_above:
            _join(last, own, r.number)
            continue
        spanning = len(distinct) == 1 and len([x for x in r.cells if x]) > 1
        # "II | Cải cách thể chế" with the title merged across the rest of the table: a section numbered I, II, A…,
        # not a task whose lead and deadline are copies of its title.
        originals = [i for i, x in enumerate(r.cells) if x and i not in r.merged_left and i != key_idx]
        if stt and not spanning and len(originals) == 1 and r.merged_left and \
                _section_level(stt, "") in (0, 1) and not values.get("key" if "key" in fields else "_"):
            text = r.cells[originals[0]]
            heading = f"{stt} {text}" if stt.endswith((".", ")")) else f"{stt}. {text}"
            level = _section_level(stt, "")
            sections = [s for s in sections if s[0] < level] + [(level, heading)]
            last = None
            continue
        heading_text = next(iter(distinct)) if spanning else \
            (f"{stt}. {content}" if stt and content and not stt.endswith((".", ")")) else
             " ".join(x for x in (stt, content) if x))
        level = _section_level("" if spanning else stt, heading_text if spanning else content)
        if (no_task and level is not None) or spanning:
            level = level if level is not None else 0
            sections = [s for s in sections if s[0] < level] + [(level, heading_text)]
            last = None
            continue
        if last is not None and not values.get("stt") and not values.get("key") \
                and not (own.get("lead") and own.get("deadline")):
            _join(last, own, r.number)  # a task going on after a page break: part of its fields, no STT
            continue
        values = {k: v for k, v in values.items()}
        if sections:
            values["section"] = values.get("section") or " › ".join(t for _, t in sections)
        document = values.get("document") or documents
        last = RowFields(r.number, values, dict(header.labels), {}, document or None)
        parsed.rows.append(last)
        if document:
            meta = parsed.directives.setdefault(document, DirectiveMeta(
                document, row=r.number, column=header.labels.get("issued", COLUMNS["issued"])))
            issued_text = values.get("issued", "")
            if issued_text:
                issued = parse_date(issued_text)
                if issued is None:
                    c.error(r.number, header.labels["issued"],
                            _("{text!r} is not a date (dd/mm/yyyy)", text=issued_text))
                elif meta.issued is None:
                    meta.issued, meta.row = issued, r.number
                elif meta.issued != issued:
                    c.error(r.number, header.labels["issued"],
                            _("{document}: issue date {date} differs from {other} on row {row}", document=document,
                              date=f"{issued:%d/%m/%Y}", other=f"{meta.issued:%d/%m/%Y}", row=meta.row))
    return parsed


_JOINERS = {"content": " ", "lead": ", ", "coordinators": ", ", "deadline": " ", "product": " ", "until": " ",
            "report_to": ", "}


def _join(task: RowFields, own: dict[str, str], number: int) -> None:
    for fld, text in own.items():
        if fld in ("stt", "key", "document", "issued", "section"):
            continue
        before = task.values.get(fld) or ""
        task.values[fld] = (before + _JOINERS.get(fld, " ") + text) if before else text
        if not before:
            task.rows.setdefault(fld, number)
