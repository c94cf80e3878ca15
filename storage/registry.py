"""The task registry (danh mục nhiệm vụ): import from and export to YAML, CSV and XLSX.

Import reads the files administrators already keep — the appendix tables of plans — and is all-or-nothing:
every problem in the file is collected first (unknown agency with the closest names, unreadable deadline,
duplicate key, missing column, unreadable file …), each as `FILE:ROW:COLUMN: message` with ROW as a
spreadsheet user counts it (the header is row 1; for YAML, the line) and COLUMN the header (or YAML field);
if there is any, `RegistryErrors` is raised before the database is touched. The caller owns the transaction.

Re-importing the same file changes nothing. An edited file updates the changed tasks in place (sequence
bumped, re-planned; a new lead agency hears about it as a new assignment) and keeps their progress history;
tasks no longer in the file are reported as missing, and removed (softly: `removed_at`) only with `prune`.

A lead that is a group ("Các sở, ban, ngành") or lists several agencies becomes one task per agency, keyed
`<key>-<agency code>`. Without a `Mã` the key is derived from the directive number and STT (or the file
name when there is no directive), slugified: stable across re-imports of the same file.

The registry is the plan, not the tracking: progress and status never go into these files. The formats are
documented, with examples, in docs/registry.md.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import yaml
from sqlmodel import Session, select

from jobs.deadline import DeadlineError, parse_deadline
from storage import audit
from storage.agencies import (AgencyDirectory, AgencyFileError, UnknownAgency, agency_names,
                              load_yaml_with_lines, normalize, sync_directory)
from storage.tables import Directive, Task

__all__ = ["COLUMNS", "ImportReport", "Problem", "RegistryErrors", "export_registry", "import_registry",
           "derive_key", "slugify"]

# Column headers as written by export (and as the appendix of 337/QĐ-UBND has the first five).
COLUMNS = {
    "key": "Mã",
    "stt": "STT",
    "content": "Nội dung",
    "lead": "Cơ quan chủ trì",
    "coordinators": "Cơ quan phối hợp",
    "deadline": "Thời gian hoàn thành",
    "report_to": "Báo cáo về",
    "document": "Văn bản",
    "issued": "Ngày ban hành",
}
# Other headers seen in real appendices, and English ones.
_HEADER_SYNONYMS = {
    "key": ["Mã nhiệm vụ", "Mã số", "key", "code"],
    "stt": ["TT", "Số TT", "Số thứ tự", "No", "#"],
    "content": ["Nội dung nhiệm vụ", "Nội dung công việc", "Nhiệm vụ", "Tên nhiệm vụ", "content", "task"],
    "lead": ["Cơ quan chủ trì thực hiện", "Đơn vị chủ trì", "Chủ trì", "Cơ quan thực hiện", "Đơn vị thực hiện",
             "lead"],
    "coordinators": ["Đơn vị phối hợp", "Phối hợp", "Cơ quan phối hợp thực hiện", "coordinators"],
    "deadline": ["Thời hạn", "Thời hạn hoàn thành", "Thời gian thực hiện", "Tiến độ", "Tiến độ hoàn thành",
                 "deadline"],
    "report_to": ["Cơ quan nhận báo cáo", "Nơi nhận báo cáo", "report to", "report_to"],
    "document": ["Số văn bản", "Số ký hiệu", "Số/ký hiệu", "Văn bản giao", "document", "directive"],
    "issued": ["Ngày văn bản", "issued", "issue date"],
}
_REQUIRED = ("content", "lead", "deadline")
YAML_TASK_KEYS = ("key", "stt", "content", "lead", "coordinators", "report_to", "deadline")
YAML_DIRECTIVE_KEYS = ("number", "issued", "issuer", "subject")
KEY_MAX = 200


# -- results and errors ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class RegistryErrors(ValueError):
    """Everything wrong with a registry file; nothing was imported. `problems` in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportReport:
    file: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the database, not in the file
    removed: list[str] = field(default_factory=list)  # missing and removed (prune)
    warnings: list[str] = field(default_factory=list)
    directives_added: list[str] = field(default_factory=list)
    directives_changed: list[str] = field(default_factory=list)


# -- keys ------------------------------------------------------------------------------------------------------

def slugify(text: str) -> str:
    """ASCII, lower case, '-' between words: "337/QĐ-UBND" → "337-qd-ubnd"."""
    s = unicodedata.normalize("NFD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def derive_key(document: str | None, stt: str, source_name: str) -> str:
    """The key of a row without `Mã`: directive number (or the file name) + STT."""
    return f"{slugify(document) if document else slugify(source_name)}-{slugify(stt)}"


# -- reading files into rows -----------------------------------------------------------------------------------

@dataclass
class _Row:
    row: int  # spreadsheet row, or YAML line of the task
    values: dict[str, Any]
    columns: dict[str, str]  # field → column label for messages (header as written, or YAML key)
    rows: dict[str, int]  # field → row/line for messages
    document: str | None = None  # directive number (from a Văn bản cell or the YAML directive)

    def where(self, fld: str) -> tuple[int, str]:
        return self.rows.get(fld, self.row), self.columns.get(fld, COLUMNS.get(fld, fld))


@dataclass
class _DirectiveMeta:
    number: str
    issued: date | None = None
    issuer: str | None = None
    subject: str | None = None
    row: int = 1
    column: str = "issued"  # where to point when its issue date is missing


@dataclass
class _Parsed:
    rows: list[_Row] = field(default_factory=list)
    directives: dict[str, _DirectiveMeta] = field(default_factory=dict)
    agencies_file: Path | None = None
    agencies_row: int = 0
    has_key_column: bool = True
    has_issued_column: bool = False


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def error(self, row: int, column: str | int, message: str) -> None:
        self.problems.append(Problem(self.file, row, str(column), message))

    def warn(self, row: int, column: str | int, message: str) -> None:
        self.warnings.append(str(Problem(self.file, row, str(column), message)))


def _text(v: Any) -> str:
    """A cell as text: numbers without '.0', dates as dd/mm/yyyy, NFC, trimmed."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        v = v.date()
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool):
        v = "true" if v else "false"
    return unicodedata.normalize("NFC", str(v)).replace("\r\n", "\n").strip()


def _parse_date(text: str) -> date | None:
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Header:
    fields: dict[str, int]  # field → column index
    labels: dict[str, str]  # field → header as written


def _header_lookup() -> dict[str, str]:
    out = {}
    for fld, label in COLUMNS.items():
        for name in [label, *_HEADER_SYNONYMS.get(fld, [])]:
            out[normalize(name)] = fld
    return out


def _match_header(cells: list[str], c: _Collector, row: int) -> _Header:
    lookup = _header_lookup()
    fields: dict[str, int] = {}
    labels: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if not cell:
            continue
        fld = lookup.get(normalize(cell))
        if fld is None:
            c.warn(row, cell, "column not used by dondoc; ignored")
            continue
        if fld in fields:
            c.error(row, cell, f"the column {COLUMNS[fld]!r} appears twice (also {labels[fld]!r})")
            continue
        fields[fld] = i
        labels[fld] = cell
    return _Header(fields, labels)


def _rows_from_table(records: list[list[str]], c: _Collector, documents: str | None) -> _Parsed:
    parsed = _Parsed()
    # The header is the first row naming at least two known columns (title rows above it are skipped).
    lookup = _header_lookup()
    header_at = None
    for i, cells in enumerate(records[:20]):
        if sum(1 for x in cells if x and normalize(x) in lookup) >= 2:
            header_at = i
            break
    if header_at is None:
        first = next((i for i, cells in enumerate(records) if any(cells)), None)
        if first is None:
            c.error(1, 0, "the file has no rows; expected a header row with "
                    + ", ".join(COLUMNS[f] for f in ("stt", *_REQUIRED)))
            return parsed
        header_at = first
    header_row = header_at + 1
    header = _match_header(records[header_at], c, header_row)
    found = ", ".join(x for x in records[header_at] if x) or "nothing"
    for fld in _REQUIRED:
        if fld not in header.fields:
            c.error(header_row, COLUMNS[fld], f"missing column {COLUMNS[fld]!r} (the header row has: {found})")
    if "key" not in header.fields and "stt" not in header.fields:
        c.error(header_row, COLUMNS["stt"], f"missing column {COLUMNS['stt']!r}: without a {COLUMNS['key']!r} "
                "column it makes the task keys")
    parsed.has_key_column = "key" in header.fields
    parsed.has_issued_column = "issued" in header.fields
    if any(f not in header.fields for f in _REQUIRED) or not ({"key", "stt"} & set(header.fields)):
        return parsed

    for i in range(header_at + 1, len(records)):
        cells = records[i]
        if not any(cells):
            continue
        values = {fld: (cells[idx] if idx < len(cells) else "") for fld, idx in header.fields.items()}
        n = i + 1
        document = values.get("document") or documents
        parsed.rows.append(_Row(n, values, dict(header.labels), {}, document or None))
        if document:
            meta = parsed.directives.setdefault(document, _DirectiveMeta(
                document, row=n, column=header.labels.get("issued", COLUMNS["issued"])))
            issued_text = values.get("issued", "")
            if issued_text:
                issued = _parse_date(issued_text)
                if issued is None:
                    c.error(n, header.labels["issued"], f"{issued_text!r} is not a date (dd/mm/yyyy)")
                elif meta.issued is None:
                    meta.issued, meta.row = issued, n
                elif meta.issued != issued:
                    c.error(n, header.labels["issued"], f"{document}: issue date {issued:%d/%m/%Y} differs from "
                            f"{meta.issued:%d/%m/%Y} on row {meta.row}")
    return parsed


def _read_csv(path: Path, c: _Collector, document: str | None) -> _Parsed | None:
    try:
        data = path.read_bytes()
    except OSError as e:
        c.error(0, 0, f"cannot read the file: {e.strerror or e}")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        c.error(line, 0, f"not UTF-8 text (byte 0x{data[e.start]:02x}); save it as \"CSV UTF-8\"")
        return None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    delimiter = max((";", ",", "\t"), key=lambda d: (unquoted.count(d), d == ","))
    try:
        records = [[_text(x) for x in rec] for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as e:
        c.error(0, 0, f"not a readable CSV file: {e}")
        return None
    return _rows_from_table(records, c, document)


def _read_xlsx(path: Path, c: _Collector, document: str | None) -> _Parsed | None:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except FileNotFoundError:
        c.error(0, 0, "cannot read the file: No such file or directory")
        return None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        c.error(0, 0, f"not an Excel workbook (.xlsx): {e}")
        return None
    ws = wb.worksheets[0]
    grid: list[list[Any]] = [list(r) for r in ws.iter_rows(values_only=True)]
    # A merged cell (e.g. one lead for several rows) holds its value in the top-left cell only.
    for rng in ws.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else None
        for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            for col in range(rng.min_col - 1, rng.max_col):
                if col < len(grid[r]):
                    grid[r][col] = top
    records = [[_text(v) for v in row] for row in grid]
    return _rows_from_table(records, c, document)


def _read_yaml(path: Path, c: _Collector, document: str | None) -> _Parsed | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        c.error(0, 0, f"not UTF-8 text: {e.reason}")
        return None
    except OSError as e:
        c.error(0, 0, f"cannot read the file: {e.strerror or e}")
        return None
    try:
        data = load_yaml_with_lines(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        c.error(mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                f"not valid YAML: {getattr(e, 'problem', None) or e}")
        return None
    parsed = _Parsed()
    if not isinstance(data, dict):
        c.error(1, 0, "expected a mapping with `directive:` and `tasks:` (see docs/registry.md)")
        return None
    for k, line in getattr(data, "duplicates", []):
        c.error(line, k, f"{k!r} given twice")
    for k in data:
        if k not in ("directive", "directives", "agencies", "tasks"):
            c.error(data.lines.get(k, 1), k, "unknown key (accepted: directive, directives, agencies, tasks)")
    if "agencies" in data:
        v = data["agencies"]
        if not isinstance(v, str) or not v.strip():
            c.error(data.lines["agencies"], "agencies", "expected the path of an agencies file")
        else:
            parsed.agencies_file = (path.parent / v.strip())
            parsed.agencies_row = data.lines["agencies"]

    def directive_meta(d: Any, line: int, key: str) -> _DirectiveMeta | None:
        if not isinstance(d, dict):
            c.error(line, key, "expected a mapping with number, issued, issuer, subject")
            return None
        for k, kline in getattr(d, "duplicates", []):
            c.error(kline, k, f"{k!r} given twice")
        allowed = YAML_DIRECTIVE_KEYS + (("tasks",) if key == "directives" else ())
        for k in d:
            if k not in allowed:
                c.error(d.lines.get(k, line), k, f"unknown key (accepted: {', '.join(allowed)})")
        number = _text(d.get("number"))
        if not number:
            c.error(d.lines.get("number", line), "number", "the directive's number (số/ký hiệu) is missing")
            return None
        issued = None
        if d.get("issued") not in (None, ""):
            raw = d["issued"]
            issued = raw if isinstance(raw, date) and not isinstance(raw, datetime) else _parse_date(_text(raw))
            if issued is None:
                c.error(d.lines["issued"], "issued", f"{_text(raw)!r} is not a date (YYYY-MM-DD or dd/mm/yyyy)")
        meta = _DirectiveMeta(number, issued, _text(d.get("issuer")) or None, _text(d.get("subject")) or None,
                              row=d.lines.get("issued", d.line), column="issued")
        if number in parsed.directives:
            c.error(d.lines.get("number", line), "number", f"directive {number} is given twice")
        parsed.directives[number] = meta
        return meta

    def tasks_of(seq: Any, line: int, number: str | None) -> None:
        if seq is None:
            return
        if not isinstance(seq, list):
            c.error(line, "tasks", "expected a list of tasks")
            return
        for i, item in enumerate(seq):
            tline = seq.lines[i] if i < len(getattr(seq, "lines", [])) else line
            if not isinstance(item, dict):
                c.error(tline, "tasks", "each task is a mapping (key, content, lead, coordinators, report_to, "
                        "deadline)")
                continue
            for k, kline in getattr(item, "duplicates", []):
                c.error(kline, k, f"{k!r} given twice")
            for k in item:
                if k not in YAML_TASK_KEYS:
                    c.error(item.lines.get(k, tline), k, f"unknown field (accepted: {', '.join(YAML_TASK_KEYS)})")
            values: dict[str, Any] = {}
            for k in YAML_TASK_KEYS:
                v = item.get(k)
                if k == "coordinators" and isinstance(v, list):
                    values[k] = [_text(x) for x in v if _text(x)]
                elif isinstance(v, (dict, list)):
                    c.error(item.lines.get(k, tline), k, "expected text")
                    values[k] = ""
                else:
                    values[k] = _text(v)
            rows = {k: item.lines[k] for k in item.lines}
            parsed.rows.append(_Row(tline, values, {k: k for k in YAML_TASK_KEYS}, rows, number))

    top_number = None
    if "directive" in data:
        meta = directive_meta(data["directive"], data.lines["directive"], "directive")
        top_number = meta.number if meta else None
    if document:
        if top_number and top_number != document:
            c.error(data.lines["directive"], "directive",
                    f"the file is directive {top_number} but --document says {document}")
        elif not top_number:
            top_number = document
            parsed.directives.setdefault(document, _DirectiveMeta(document, row=1, column="directive"))
    if "directives" in data:
        seq = data["directives"]
        if not isinstance(seq, list):
            c.error(data.lines["directives"], "directives", "expected a list of directives, each with its tasks")
        else:
            for i, d in enumerate(seq):
                dline = seq.lines[i] if i < len(seq.lines) else data.lines["directives"]
                meta = directive_meta(d, dline, "directives")
                if meta is not None:
                    tasks_of(d.get("tasks"), d.lines.get("tasks", dline), meta.number)
    tasks_of(data.get("tasks"), data.lines.get("tasks", 1), top_number)
    if not parsed.rows and not c.problems:
        c.error(data.lines.get("tasks", 1), "tasks", "no tasks in the file")
    return parsed


_READERS = {".yaml": _read_yaml, ".yml": _read_yaml, ".csv": _read_csv, ".xlsx": _read_xlsx}


# -- import ------------------------------------------------------------------------------------------------------

# Fields that make a task different; position and STT only order it.
_COMPARED = ("directive_id", "content", "lead_agency", "coordinators", "coordinators_note", "report_to",
             "assignee_text", "deadline_text", "deadline", "deadline_kind", "due")


def import_registry(
    session: Session,
    path: Path | str,
    *,
    directory: AgencyDirectory,
    calendar=None,
    now: datetime,
    actor: str,
    document: str | None = None,
    issued: date | None = None,
    issuer: str | None = None,
    subject: str | None = None,
    prune: bool = False,
) -> ImportReport:
    """Import the registry at `path` (.yaml/.yml, .csv, .xlsx) into the session (not committed).

    `document`/`issued`/`issuer`/`subject` describe the directive when the file does not (CSV/XLSX); they
    must agree with what the file says. Raises RegistryErrors listing every problem; then nothing is written.
    """
    path = Path(path)
    shown = str(path)
    c = _Collector(shown)
    document = unicodedata.normalize("NFC", document).strip() if document else None
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        c.error(0, 0, f"unknown file type {path.suffix!r}: accepted .yaml, .yml, .csv, .xlsx")
        raise RegistryErrors(c.problems)
    parsed = reader(path, c, document)
    if parsed is None:
        raise RegistryErrors(c.problems)

    if parsed.agencies_file is not None:
        try:
            directory = directory.extended(parsed.agencies_file)
        except AgencyFileError as e:
            for p in e.problems:
                c.error(parsed.agencies_row, "agencies", f"cannot use the agencies file: {p}")

    # The directives: what the file says, completed (never contradicted) by the options and the database.
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    issued_column = "issued" if is_yaml else COLUMNS["issued"]
    if document and document not in parsed.directives:
        if any(r.document for r in parsed.rows):
            c.error(1, "directive" if is_yaml else COLUMNS["document"],
                    f"--document {document}: every task of the file names another directive")
        else:
            parsed.directives[document] = _DirectiveMeta(document, row=1, column=issued_column)
    options = {k: v for k, v in (("issued", issued), ("issuer", issuer), ("subject", subject)) if v is not None}
    if options and not document and len(parsed.directives) > 1:
        c.error(1, "directive" if is_yaml else COLUMNS["document"],
                "the file has several directives (" + ", ".join(parsed.directives) + "): pass --document to say "
                "which one --" + "/--".join(options) + " describe")
    elif options:
        for number, meta in parsed.directives.items():
            for name, given in options.items():
                value = getattr(meta, name)
                if value is not None and value != given:
                    fmt = (lambda x: x.strftime("%d/%m/%Y") if isinstance(x, date) else x)
                    c.error(meta.row, name if is_yaml else COLUMNS.get(name, name),
                            f"the file says {fmt(value)!r} but --{name} says {fmt(given)!r}")
                else:
                    setattr(meta, name, given)
    existing_directives = {d.number: d for d in session.exec(
        select(Directive).where(Directive.number.in_(list(parsed.directives) or [""]))).all()}
    for number, meta in parsed.directives.items():
        db = existing_directives.get(number)
        if meta.issued is None and db is not None and db.issued is not None:
            meta.issued = db.issued
        if meta.issued is None:
            c.error(meta.row, meta.column,
                    f"no issue date for directive {number}: deadlines are read from it; pass --issued YYYY-MM-DD"
                    + ("" if is_yaml else f" or add a {COLUMNS['issued']!r} column"))
    rows_without_directive = [r for r in parsed.rows if not r.document]
    if rows_without_directive and issued is None:
        r = rows_without_directive[0]
        c.error(r.row, "directive" if is_yaml else COLUMNS["document"],
                "no directive for this task, so no issue date to read its deadline from: pass --document NUMBER "
                "--issued YYYY-MM-DD (or add a 'directive:' / 'Văn bản' column)")

    # Every row → one task per lead agency. Keys are checked whatever else is wrong with a row.
    planned: list[tuple[_Row, dict[str, Any]]] = []
    keys_at: dict[str, int] = {}
    row_word = "line" if is_yaml else "row"
    position = 0
    for r in parsed.rows:
        meta = parsed.directives.get(r.document) if r.document else None
        on = meta.issued if meta and meta.issued else issued
        key_field = "key" if r.values.get("key") else "stt"
        base = r.values.get("key") or (derive_key(r.document, r.values["stt"], path.stem)
                                       if r.values.get("stt") else "")
        duplicate = base and base in keys_at
        if duplicate:
            c.error(*r.where(key_field), f"duplicate key {base!r} (also on {row_word} {keys_at[base]})")
        elif base:
            keys_at[base] = r.where(key_field)[0]
        for task in _tasks_of_row(r, base, on, directory, calendar, c):
            if duplicate:
                continue
            task["position"] = position
            position += 1
            key = task["key"]
            if key != base and key in keys_at:
                c.error(*r.where(key_field), f"duplicate key {key!r} (also on {row_word} {keys_at[key]})")
                continue
            keys_at.setdefault(key, r.where(key_field)[0])
            planned.append((r, task))

    # Keys already used by another directive's task would silently move that task: refuse.
    existing: dict[str, Task] = {}
    all_keys = [t["key"] for _, t in planned]
    for i in range(0, len(all_keys), 500):
        for t in session.exec(select(Task).where(Task.key.in_(all_keys[i:i + 500]))).all():
            existing[t.key] = t
    directive_ids = {d.number: d.id for d in existing_directives.values()}
    numbers_by_id = {v: k for k, v in directive_ids.items()}
    for r, task in planned:
        old = existing.get(task["key"])
        if old is None:
            continue
        number = task["document"]
        old_number = numbers_by_id.get(old.directive_id) if old.directive_id else None
        if old.directive_id is not None and old_number is None:
            d = session.get(Directive, old.directive_id)
            old_number = d.number if d else None
        if (old_number or None) != (number or None):
            row, col = r.where("key" if r.values.get("key") else "stt")
            c.error(row, col, f"key {task['key']!r} already belongs to a task of "
                    f"{old_number or 'no directive'}; give this task another key")

    if c.problems:
        c.problems.sort(key=lambda p: p.row)  # file order; within a row, the order the checks ran
        raise RegistryErrors(c.problems)

    # -- nothing below can fail on the file's content: write ----------------------------------------------
    report = ImportReport(file=shown, warnings=c.warnings)
    sync_directory(session, directory)
    directives: dict[str, Directive] = {}
    for number, meta in parsed.directives.items():
        d = existing_directives.get(number)
        if d is None:
            d = Directive(number=number, issued=meta.issued, issuer=meta.issuer, subject=meta.subject,
                          created_at=now, updated_at=now)
            session.add(d)
            session.flush()
            audit.record(session, at=now, actor=actor, source="import", action="directive.created",
                         entity="directive", entity_key=number, issued=meta.issued, issuer=meta.issuer,
                         subject=meta.subject, file=path.name)
            report.directives_added.append(number)
        else:
            changes = {}
            for name in ("issued", "issuer", "subject"):
                new = getattr(meta, name)
                if new is not None and getattr(d, name) != new:
                    changes[name] = [getattr(d, name), new]
                    setattr(d, name, new)
            if changes:
                d.updated_at = now
                session.add(d)
                audit.record(session, at=now, actor=actor, source="import", action="directive.changed",
                             entity="directive", entity_key=number, changes=changes, file=path.name)
                report.directives_changed.append(number)
        directives[number] = d

    seen_keys = set()
    for r, values in planned:
        number = values.pop("document")
        values["directive_id"] = directives[number].id if number else None
        key = values["key"]
        seen_keys.add(key)
        old = existing.get(key)
        if old is None:
            t = Task(**values, assigned_at=now, created_at=now, updated_at=now, sequence=0, next_check_at=None)
            session.add(t)
            audit.record(session, at=now, actor=actor, source="import", action="task.created", entity="task",
                         entity_key=key, directive=number, lead=values["lead_agency"],
                         deadline=values["deadline_text"], file=path.name)
            report.added.append(key)
            continue
        if values["assignee_text"] is None and values["lead_agency"] == old.lead_agency:
            # A row naming the agency itself (as export writes it) keeps the group it was assigned through.
            values["assignee_text"] = old.assignee_text
        changes = {f: [getattr(old, f), values[f]] for f in _COMPARED if getattr(old, f) != values[f]}
        restored = old.removed_at is not None
        for f in ("position", "stt"):
            setattr(old, f, values[f])
        if not changes and not restored:
            session.add(old)
            report.unchanged.append(key)
            continue
        for f in _COMPARED:
            setattr(old, f, values[f])
        if "lead_agency" in changes:
            old.assigned_at = now  # the new lead agency hears about it as a new assignment
        old.removed_at = None
        old.sequence += 1
        old.updated_at = now
        old.next_check_at = None
        session.add(old)
        audit.record(session, at=now, actor=actor, source="import",
                     action="task.restored" if restored else "task.changed", entity="task", entity_key=key,
                     changes=changes, file=path.name)
        report.changed.append(key)

    # Tasks of these directives that the file no longer has.
    scope_ids = [d.id for d in directives.values()]
    query = select(Task).where(Task.removed_at.is_(None))
    if rows_without_directive:
        conds = Task.directive_id.in_(scope_ids) | Task.directive_id.is_(None) if scope_ids else \
            Task.directive_id.is_(None)
    else:
        conds = Task.directive_id.in_(scope_ids or [-1])
    for t in session.exec(query.where(conds).order_by(Task.position, Task.key)).all():
        if t.key in seen_keys:
            continue
        report.missing.append(t.key)
        if prune:
            t.removed_at = now
            t.sequence += 1
            t.updated_at = now
            t.next_check_at = None
            session.add(t)
            audit.record(session, at=now, actor=actor, source="import", action="task.removed", entity="task",
                         entity_key=t.key, file=path.name)
            report.removed.append(t.key)
    session.flush()
    return report


def _tasks_of_row(r: _Row, base: str, on: date | None, directory: AgencyDirectory, calendar,
                  c: _Collector) -> list[dict[str, Any]]:
    v = r.values
    ok = True

    def need(fld: str, what: str) -> str:
        nonlocal ok
        text = v.get(fld) or ""
        if not text:
            c.error(*r.where(fld), f"empty: {what}")
            ok = False
        return text

    content = need("content", "what is the task?")
    lead_text = need("lead", "which agency leads this task?")
    deadline_text = need("deadline", "when is it due? (e.g. \"trước ngày 14/6/2018\", \"Quý III/2013\", "
                                     "\"Thường xuyên\")")
    key_text = v.get("key") or ""
    stt = v.get("stt") or ""
    if not key_text and not stt:
        c.error(*r.where("stt"), f"empty: the task needs a {COLUMNS['key']!r} or an {COLUMNS['stt']!r} "
                "to make its key")
        ok = False

    lead_codes: tuple[str, ...] = ()
    expand = False
    if lead_text:
        try:
            m = directory.match(lead_text, on)
        except UnknownAgency as e:
            c.error(*r.where("lead"), str(e))
            ok = False
        else:
            if m.warning:
                c.warn(*r.where("lead"), m.warning)
            if not m.codes:
                what = (f"the group {m.empty_groups[0]!r} has no members in the agency directory; list them in "
                        "AGENCIES_FILE or pass --agencies FILE") if m.empty_groups else \
                    f"{lead_text!r} names no agency that can lead a task"
                c.error(*r.where("lead"), what)
                ok = False
            elif m.notes:
                c.error(*r.where("lead"), f"{m.notes[0]!r} is not an agency; name the lead agency")
                ok = False
            lead_codes = m.codes
            expand = m.is_group or len(m.codes) > 1

    coordinators: list[str] = []
    notes: list[str] = []
    raw_coord = v.get("coordinators") or []
    for text in ([raw_coord] if isinstance(raw_coord, str) else raw_coord):
        if not text:
            continue
        try:
            m = directory.match(text, on)
        except UnknownAgency as e:
            c.error(*r.where("coordinators"), str(e))
            ok = False
            continue
        if m.warning:
            c.warn(*r.where("coordinators"), m.warning)
        coordinators.extend(x for x in m.codes if x not in coordinators)
        notes.extend(m.notes + m.empty_groups)

    report_to = v.get("report_to") or None
    if report_to:
        try:
            m = directory.match(report_to, on)
            if len(m.codes) == 1 and not m.is_group and not m.notes:
                report_to = m.codes[0]
            elif m.warning:
                c.warn(*r.where("report_to"), m.warning)
        except UnknownAgency:
            pass  # kept as written, e.g. "UBND tỉnh (qua Sở Nội vụ)"

    deadline = None
    if deadline_text:
        if on is None:
            ok = False  # reported once for the directive
        else:
            try:
                deadline = parse_deadline(deadline_text, on, calendar) if calendar is not None else \
                    parse_deadline(deadline_text, on)
            except DeadlineError as e:
                c.error(*r.where("deadline"), f"cannot read the deadline: {e}")  # the error quotes the text
                ok = False

    if key_text and len(key_text) > KEY_MAX - 40:
        c.error(*r.where("key"), f"key longer than {KEY_MAX - 40} characters")
        ok = False
    if not ok or deadline is None:
        return []

    out = []
    for code in lead_codes:
        out.append(dict(
            key=f"{base}-{code}" if expand else base,
            document=r.document,
            stt=stt or None,
            content=content,
            lead_agency=code,
            coordinators=[x for x in coordinators if x != code],
            coordinators_note="; ".join(dict.fromkeys(notes)) or None,
            report_to=report_to,
            assignee_text=lead_text if expand else None,
            deadline_text=deadline_text,
            deadline=deadline.to_dict(),
            deadline_kind=deadline.kind,
            due=deadline.due,
        ))
    return out


# -- export ------------------------------------------------------------------------------------------------------

# Workbook timestamps are fixed so that the same registry always gives the same bytes.
_FIXED_TIME = "2000-01-01T00:00:00Z"


def export_registry(session: Session, path: Path | str) -> int:
    """Write every task (not removed) to `path`; the format follows the extension (.yaml/.yml, .csv, .xlsx).

    What it writes, `import_registry` reads back to the same tasks: one row per task with its key, the lead
    agency's name, the coordinators' names (and notes), the deadline as written, the directive. Returns the
    number of tasks written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise ValueError(f"{path}: unknown file type {path.suffix!r}: accepted .yaml, .yml, .csv, .xlsx")
    names = agency_names(session)
    directives = sorted(session.exec(select(Directive)).all(), key=lambda d: (d.issued or date.min, d.number))
    tasks = session.exec(select(Task).where(Task.removed_at.is_(None))).all()
    by_directive: dict[int | None, list[Task]] = {}
    for t in tasks:
        by_directive.setdefault(t.directive_id, []).append(t)
    for lst in by_directive.values():
        lst.sort(key=lambda t: (t.position, t.key))

    def name(code: str) -> str:
        return names.get(code, code)

    def coordinator_list(t: Task) -> list[str]:
        return [name(x) for x in t.coordinators] + ([t.coordinators_note] if t.coordinators_note else [])

    def report_to(t: Task) -> str:
        return name(t.report_to) if t.report_to in names else (t.report_to or "")

    groups: list[tuple[Directive | None, list[Task]]] = [(d, by_directive[d.id]) for d in directives
                                                         if d.id in by_directive]
    if None in by_directive:
        groups.append((None, by_directive[None]))
    count = sum(len(ts) for _, ts in groups)

    if suffix in (".yaml", ".yml"):
        def task_dict(t: Task) -> dict:
            out: dict[str, Any] = {"key": t.key}
            if t.stt:
                out["stt"] = t.stt
            out["content"] = t.content
            out["lead"] = name(t.lead_agency)
            coord = coordinator_list(t)
            if coord:
                out["coordinators"] = coord
            if t.report_to:
                out["report_to"] = report_to(t)
            out["deadline"] = t.deadline_text
            return out

        def directive_dict(d: Directive) -> dict:
            out: dict[str, Any] = {"number": d.number}
            if d.issued:
                out["issued"] = d.issued
            if d.issuer:
                out["issuer"] = d.issuer
            if d.subject:
                out["subject"] = d.subject
            return out

        data: dict[str, Any] = {}
        with_directive = [(d, ts) for d, ts in groups if d is not None]
        without = [ts for d, ts in groups if d is None]
        if len(with_directive) == 1:
            d, ts = with_directive[0]
            data["directive"] = directive_dict(d)
            data["tasks"] = [task_dict(t) for t in ts] + [task_dict(t) for lst in without for t in lst]
            if without:
                # Tasks without a directive cannot share the file with one directive's tasks: list form.
                data = {"directives": [{**directive_dict(d), "tasks": [task_dict(t) for t in ts]}],
                        "tasks": [task_dict(t) for lst in without for t in lst]}
        else:
            if with_directive:
                data["directives"] = [{**directive_dict(d), "tasks": [task_dict(t) for t in ts]}
                                      for d, ts in with_directive]
            if without or not with_directive:
                data["tasks"] = [task_dict(t) for lst in without for t in lst]
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100,
                              indent=2)
        text = ("# dondoc task registry (export). Edit it and load it again with `dondoc import`;\n"
                "# the format is described in docs/registry.md. Progress and status are not part of it.\n" + body)
        path.write_text(text, encoding="utf-8", newline="\n")
        return count

    header = [COLUMNS[f] for f in ("key", "stt", "content", "lead", "coordinators", "deadline", "report_to",
                                   "document", "issued")]
    rows = []
    for d, ts in groups:
        for t in ts:
            rows.append([t.key, t.stt or "", t.content, name(t.lead_agency), "; ".join(coordinator_list(t)),
                         t.deadline_text, report_to(t), d.number if d else "",
                         d.issued.strftime("%d/%m/%Y") if d and d.issued else ""])
    if suffix == ".csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(rows)
        # UTF-8 with BOM so that Excel opens the Vietnamese text correctly.
        path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
        return count
    path.write_bytes(_xlsx_bytes(header, rows))
    return count


def _xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    for letter, width in zip("ABCDEFGHI", (28, 6, 60, 28, 40, 24, 24, 18, 14)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.properties.creator = "dondoc"
    raw = io.BytesIO()
    wb.save(raw)
    return _stable_zip(raw.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times and document timestamps, so equal content → equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                                 rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<3>", content)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()
