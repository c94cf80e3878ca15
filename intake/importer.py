"""Import a registry file: read it, interpret it, check it against the database, then write it — all of it,
or nothing.

Every problem in the file is collected first (unknown agency with the closest names, unreadable deadline,
duplicate key, missing column, unreadable file …), each as `FILE:ROW:COLUMN: message` with ROW as a
spreadsheet user counts it (the header is row 1; for YAML, the line) and COLUMN the header (or YAML field);
if there is any, `RegistryErrors` is raised before the database is touched.

Two entry points for every caller (CLI, web console):

    preview_import(session, source, filename=None, options=ImportOptions(...)) -> ImportReport   # dry run
    import_file(session, source, filename=None, options=ImportOptions(...)) -> ImportReport      # writes

`source` is a path or the file's bytes (an upload; then `filename` gives its name and type). The caller
owns the transaction (commit on success; on RegistryErrors nothing was written).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from core.i18n import _
from intake.limits import FileRefused, Limits
from intake.model import COLUMNS, Collector, DirectiveMeta, Parsed, RegistryErrors
from intake.readers import read_bytes, read_table
from intake.table import rows_from_table
from intake.tasks import derive_key, plan_end_from_subject, tasks_of_row
from intake.yaml_registry import rows_from_yaml
from storage.agencies import AgencyDirectory, AgencyFileError, load_yaml_with_lines
from storage.registry import ImportReport, PlannedTask, write_registry
from storage.tables import Directive, Task

__all__ = ["ImportOptions", "import_file", "import_registry", "preview_import"]

SUFFIXES = (".yaml", ".yml", ".csv", ".txt", ".tsv", ".xlsx", ".xls", ".docx")
# Formats offices also keep, and what to save them as (the Lạng Sơn appendix came as "Phu luc kem theo.doc").
_SAVE_AS = {".doc": ".docx", ".ods": ".xlsx", ".odt": ".docx", ".xlsm": ".xlsx", ".rtf": ".docx"}


@dataclass
class ImportOptions:
    """What the administrator says besides the file (CLI options, the web console's form)."""

    directory: AgencyDirectory
    now: datetime
    actor: str
    calendar: Any = None
    document: str | None = None
    issued: date | None = None
    issuer: str | None = None
    subject: str | None = None
    until: date | None = None
    prune: bool = False
    allow_empty_groups: bool = False
    urgent_workdays: int = 5  # URGENT_WORKDAYS: "Khẩn trương" is due this many working days after the issue date
    limits: Limits = field(default_factory=Limits)


def preview_import(session: Session, source: Path | str | bytes, filename: str | None = None, *,
                   options: ImportOptions) -> ImportReport:
    """What importing `source` would do — added, changed (with field diffs), unchanged, missing (to be
    removed with prune) — without writing anything. Raises RegistryErrors like `import_file`."""
    # Nothing is written, not even to be rolled back: a check of 20,000 tasks must not hold SQLite's write lock
    # (for seconds) while focal points record progress; it only reads.
    report = _import(session, source, filename, options=options, dry=True)
    report.dry_run = True
    return report


def import_file(session: Session, source: Path | str | bytes, filename: str | None = None, *,
                options: ImportOptions) -> ImportReport:
    """Import `source` (a path, or bytes with `filename`) into the session (not committed)."""
    return _import(session, source, filename, options=options, dry=False)


def _import(session: Session, source: Path | str | bytes, filename: str | None, *, options: ImportOptions,
            dry: bool) -> ImportReport:
    if isinstance(source, (bytes, bytearray)):
        shown = filename or "upload"
        path = None
    else:
        path = Path(source)
        shown = str(path)
    name = Path(filename or shown).name
    c = Collector(shown)
    o = options
    document = unicodedata.normalize("NFC", o.document).strip() if o.document else None
    suffix = Path(name).suffix.lower()
    if suffix in _SAVE_AS:
        c.error(0, 0, _("{suffix} files are not read: open it and save it as {other} (accepted: {accepted})",
                        suffix=suffix, other=_SAVE_AS[suffix], accepted=", ".join(SUFFIXES)))
        raise RegistryErrors(c.problems)
    if suffix not in SUFFIXES:
        c.error(0, 0, _("unknown file type {suffix!r}: accepted {accepted}", suffix=suffix,
                        accepted=", ".join(SUFFIXES)))
        raise RegistryErrors(c.problems)
    try:
        data = bytes(source) if path is None else read_bytes(path, o.limits)
        if len(data) > o.limits.max_bytes:
            raise FileRefused(_("the file has {size} bytes, more than {n} (IMPORT_MAX_BYTES)", size=len(data),
                                n=o.limits.max_bytes))
        if suffix in (".yaml", ".yml"):
            from intake.readers.csv import decode

            text, _enc = decode(data)
            parsed = rows_from_yaml(text.lstrip("\ufeff"), c, document, path)
        else:
            table = read_table(data, name, o.limits)
            parsed = rows_from_table(table, c, document)
    except FileRefused as e:
        c.error(e.row, e.column, e.message)
        raise RegistryErrors(c.problems) from None
    if parsed is None:
        raise RegistryErrors(c.problems)
    is_yaml = suffix in (".yaml", ".yml")

    directory = o.directory
    if parsed.agencies_file is not None:
        directory = _with_registry_agencies(directory, parsed, c, o.limits)

    _complete_directives(session, parsed, c, o, document, is_yaml)
    planned = _plan_tasks(parsed, c, o, directory, is_yaml, Path(name).stem)
    existing = _check_keys_against_database(session, planned, c)
    if c.problems:
        c.problems.sort(key=lambda p: p.row)  # file order; within a row, the order the checks ran
        raise RegistryErrors(c.problems)

    report = ImportReport(file=shown, warnings=c.warnings, encoding=getattr(parsed, "encoding", None))
    return write_registry(session, planned, parsed.directives, existing=existing, directory=directory,
                          now=o.now, actor=o.actor, prune=o.prune, file=name, report=report,
                          rows_without_directive=any(not r.document for r in parsed.rows), dry=dry)


def import_registry(session: Session, path: Path | str, *, directory: AgencyDirectory, calendar=None,
                    now: datetime, actor: str, document: str | None = None, issued: date | None = None,
                    issuer: str | None = None, subject: str | None = None, prune: bool = False,
                    allow_empty_groups: bool = False, limits: Limits | None = None) -> ImportReport:
    """`import_file` with keyword options (the original signature)."""
    return import_file(session, path, options=ImportOptions(
        directory=directory, calendar=calendar, now=now, actor=actor, document=document, issued=issued,
        issuer=issuer, subject=subject, prune=prune, allow_empty_groups=allow_empty_groups,
        limits=limits or Limits()))


# -- steps ------------------------------------------------------------------------------------------------------

def _with_registry_agencies(directory: AgencyDirectory, parsed: Parsed, c: Collector,
                            limits: Limits) -> AgencyDirectory:
    """The directory extended by the agencies file the registry names (a sibling file, checked already).
    A file that is not an agencies file is refused in one line, without echoing what it holds."""
    path, row = parsed.agencies_file, parsed.agencies_row
    shown = path.name
    try:
        data = read_bytes(path, limits)
        text = data.decode("utf-8-sig")
        content = load_yaml_with_lines(text)
    except FileRefused as e:
        c.error(row, "agencies", _("cannot use the agencies file {file}: {reason}", file=shown, reason=e.message))
        return directory
    except (UnicodeDecodeError, Exception):  # noqa: BLE001 - YAML errors, binary content: say no more
        c.error(row, "agencies", _("{file} is not an agencies file (YAML with agencies:, groups:)", file=shown))
        return directory
    if not isinstance(content, dict) or not set(content) <= {"replace", "kinds", "agencies", "groups"}:
        c.error(row, "agencies", _("{file} is not an agencies file (YAML with agencies:, groups:)", file=shown))
        return directory
    try:
        return directory.merged(content, shown)
    except AgencyFileError as e:
        for p in e.problems:
            c.error(row, "agencies", _("cannot use the agencies file: {problem}", problem=p))
        return directory


def _complete_directives(session: Session, parsed: Parsed, c: Collector, o: ImportOptions, document: str | None,
                         is_yaml: bool) -> None:
    """The directives: what the file says, completed (never contradicted) by the options and the database."""
    issued_column = "issued" if is_yaml else COLUMNS["issued"]
    if document and document not in parsed.directives:
        if any(r.document for r in parsed.rows):
            c.error(1, "directive" if is_yaml else COLUMNS["document"],
                    _("--document {document}: every task of the file names another directive", document=document))
        else:
            parsed.directives[document] = DirectiveMeta(document, row=1, column=issued_column)
    options = {k: v for k, v in (("issued", o.issued), ("issuer", o.issuer), ("subject", o.subject),
                                 ("until", o.until)) if v is not None}
    if options and not document and len(parsed.directives) > 1:
        c.error(1, "directive" if is_yaml else COLUMNS["document"],
                _("the file has several directives ({numbers}): pass --document to say which one {options} "
                  "describe", numbers=", ".join(parsed.directives), options="--" + "/--".join(options)))
    elif options:
        for number, meta in parsed.directives.items():
            for name, given in options.items():
                value = getattr(meta, name)
                if value is not None and value != given:
                    fmt = (lambda x: x.strftime("%d/%m/%Y") if isinstance(x, date) else x)
                    c.error(meta.row, name if is_yaml else COLUMNS.get(name, name),
                            _("the file says {file!r} but --{option} says {given!r}", file=fmt(value), option=name,
                              given=fmt(given)))
                else:
                    setattr(meta, name, given)
    existing = {d.number: d for d in session.exec(
        select(Directive).where(Directive.number.in_(list(parsed.directives) or [""]))).all()}
    parsed.existing_directives = existing  # type: ignore[attr-defined]
    for number, meta in parsed.directives.items():
        db = existing.get(number)
        if meta.issued is None and db is not None and db.issued is not None:
            meta.issued = db.issued
        if meta.subject is None and db is not None:
            meta.subject = db.subject
        if meta.issued is None:
            c.error(meta.row, meta.column,
                    _("no issue date for directive {number}: deadlines are read from it; pass --issued dd/mm/yyyy",
                      number=number)
                    + ("" if is_yaml else _(" or add a {column!r} column", column=COLUMNS["issued"])))
    without = [r for r in parsed.rows if not r.document]
    if without and o.issued is None:
        c.error(without[0].row, "directive" if is_yaml else COLUMNS["document"],
                _("no directive for this task, so no issue date to read its deadline from: pass --document NUMBER "
                  "--issued dd/mm/yyyy (or add a 'directive:' / 'Văn bản' column)"))


def _plan_tasks(parsed: Parsed, c: Collector, o: ImportOptions, directory: AgencyDirectory, is_yaml: bool,
                stem: str) -> list[PlannedTask]:
    """Every row → one task per lead agency. Keys are checked whatever else is wrong with a row."""
    planned: list[PlannedTask] = []
    keys_at: dict[str, int] = {}
    row_word = _("line") if is_yaml else _("row")
    position = 0
    for r in parsed.rows:
        meta = parsed.directives.get(r.document) if r.document else None
        on = meta.issued if meta and meta.issued else o.issued
        plan_end = (meta.until or plan_end_from_subject(meta.subject)) if meta else (o.until or None)
        key_field = "key" if r.values.get("key") else "stt"
        base = r.values.get("key") or (derive_key(r.document, r.values["stt"], stem) if r.values.get("stt") else "")
        duplicate = base and base in keys_at
        if duplicate:
            c.error(*r.where(key_field), _("duplicate key {key!r} (also on {row_word} {row})", key=base,
                                           row_word=row_word, row=keys_at[base]))
        elif base:
            keys_at[base] = r.where(key_field)[0]
        for task in tasks_of_row(r, base, on, directory, o.calendar, c, plan_end=plan_end,
                                 allow_empty_groups=o.allow_empty_groups, urgent_workdays=o.urgent_workdays):
            if duplicate:
                continue
            if len(planned) >= o.limits.max_tasks:
                # Checked as the rows expand, not after: 20,000 rows led by a group of 14 would be 280,000
                # tasks in memory before any count could refuse them.
                c.error(*r.where("lead"), _(
                    "the file makes more than {n} tasks (a row whose lead is a group makes one task per member "
                    "agency) (IMPORT_MAX_TASKS)", n=o.limits.max_tasks))
                raise RegistryErrors(c.problems)
            task["position"] = position
            position += 1
            key = task["key"]
            if key != base and key in keys_at:
                c.error(*r.where(key_field), _("duplicate key {key!r} (also on {row_word} {row})", key=key,
                                               row_word=row_word, row=keys_at[key]))
                continue
            keys_at.setdefault(key, r.where(key_field)[0])
            planned.append(PlannedTask(r.where(key_field), task))
    return planned


def _check_keys_against_database(session: Session, planned: list[PlannedTask], c: Collector) -> dict[str, Task]:
    """Keys already used by another directive's task would silently move that task: refuse."""
    existing: dict[str, Task] = {}
    all_keys = [p.values["key"] for p in planned]
    for i in range(0, len(all_keys), 500):
        for t in session.exec(select(Task).where(Task.key.in_(all_keys[i:i + 500]))).all():
            existing[t.key] = t
    numbers: dict[int, str] = {}
    for p in planned:
        old = existing.get(p.values["key"])
        if old is None:
            continue
        old_number = None
        if old.directive_id is not None:
            if old.directive_id not in numbers:
                d = session.get(Directive, old.directive_id)
                numbers[old.directive_id] = d.number if d else None
            old_number = numbers[old.directive_id]
        if (old_number or None) != (p.values["document"] or None):
            c.error(*p.where, _("key {key!r} already belongs to a task of {other}; give this task another key",
                                key=p.values["key"], other=old_number or _("no directive")))
    return existing
