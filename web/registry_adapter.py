"""The one place where the web console calls the registry import: a dry run, the real import, the file's
own table (to show errors on it) and the export.

With the registry intake (`intake`: DOCX/XLS/encodings, `preview_import` for the dry run, `import_file`)
installed, it is used. Without it, `storage.registry.import_registry` — all-or-nothing, raising
`RegistryErrors` with FILE:ROW:COLUMN problems — makes the dry run by importing inside a transaction that is
rolled back, reading the field-by-field changes from the audit entries the import wrote.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from storage import registry
from storage.tables import AuditEntry

try:  # the registry intake, once merged (it brings DOCX, XLS and its own dry run)
    import intake
    from intake.importer import SUFFIXES as _INTAKE_SUFFIXES
except ImportError:  # pragma: no cover - depends on what is installed
    intake = None


def accepted_suffixes() -> tuple[str, ...]:
    """The file types the import reads (its own list, so the form and the import never disagree)."""
    if intake is not None:
        return tuple(_INTAKE_SUFFIXES)
    return tuple(sorted(registry._READERS))  # noqa: SLF001


@dataclass
class Options:
    document: str | None = None
    issued: date | None = None
    prune: bool = False


@dataclass
class Outcome:
    """What an import did — or, for a dry run, would do."""

    problems: list[registry.Problem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[tuple[str, dict[str, list[Any]]]] = field(default_factory=list)  # key, field → [old, new]
    unchanged: list[str] = field(default_factory=list)
    to_remove: list[str] = field(default_factory=list)  # missing from the file (removed only with prune)
    warnings: list[str] = field(default_factory=list)
    directives_added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _run_intake(session: Session, path: Path, *, directory, calendar, now: datetime, actor: str,
                options: Options, dry: bool) -> Outcome:
    opts = intake.ImportOptions(directory=directory, now=now, actor=actor, calendar=calendar,
                                document=options.document, issued=options.issued, prune=options.prune)
    try:
        fn = intake.preview_import if dry else intake.import_file
        report = fn(session, path, options=opts)
    except intake.RegistryErrors as e:
        return Outcome(problems=list(e.problems))
    changes = getattr(report, "changes", {}) or {}
    return Outcome(added=report.added, changed=[(k, changes.get(k, {})) for k in report.changed],
                   unchanged=report.unchanged, to_remove=report.missing, warnings=report.warnings,
                   directives_added=report.directives_added)


def _run(session: Session, path: Path, *, directory, calendar, now: datetime, actor: str,
         options: Options, dry: bool = False) -> Outcome:
    if intake is not None:
        return _run_intake(session, path, directory=directory, calendar=calendar, now=now, actor=actor,
                           options=options, dry=dry)
    from sqlalchemy import func
    from sqlmodel import select

    before = session.exec(select(func.max(AuditEntry.id))).one() or 0
    try:
        report = registry.import_registry(session, path, directory=directory, calendar=calendar, now=now,
                                          actor=actor, document=options.document, issued=options.issued,
                                          prune=options.prune)
    except registry.RegistryErrors as e:
        return Outcome(problems=list(e.problems))
    session.flush()
    # The import writes what changed, field by field, into its audit entries: read them back.
    changes = {e.entity_key: e.detail.get("changes", {}) for e in session.exec(select(AuditEntry).where(
        AuditEntry.id > before, AuditEntry.action.in_(("task.changed", "task.restored")))).all()}
    return Outcome(added=report.added, changed=[(k, changes.get(k, {})) for k in report.changed],
                   unchanged=report.unchanged, to_remove=report.missing, warnings=report.warnings,
                   directives_added=report.directives_added)


def dry_run(engine, path: Path, **kwargs) -> Outcome:
    """What importing `path` would do; the database is left as it was."""
    with Session(engine) as session:
        try:
            return _run(session, path, dry=True, **kwargs)
        finally:
            session.rollback()


def apply(engine, path: Path, **kwargs) -> Outcome:
    """Import `path` for real (all or nothing)."""
    with Session(engine) as session:
        out = _run(session, path, **kwargs)
        if out.ok:
            session.commit()
        else:
            session.rollback()
        return out


def read_table(path: Path) -> list[tuple[int, list[str]]] | None:
    """The file as the person sees it — (row number as they count it, cells) for a table (row 1 = the
    header), (line number, [line]) for YAML — so each problem is shown on its own row and column. None when
    it cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            return [(n, [line]) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
        if intake is not None:
            from intake.readers import read_table as intake_table

            return [(r.number, list(r.cells)) for r in intake_table(path.read_bytes(), path.name, intake.Limits()).rows]
        if suffix == ".csv":
            text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
            first = next((ln for ln in text.splitlines() if ln.strip()), "")
            delimiter = max((";", ",", "\t"), key=lambda d: (first.count(d), d == ","))
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            return [(n, [c.strip() for c in row]) for n, row in enumerate(rows, 1)]
        if suffix == ".xlsx":
            import openpyxl

            ws = openpyxl.load_workbook(path, data_only=True, read_only=True).worksheets[0]
            return [(n, ["" if v is None else str(v) for v in row])
                    for n, row in enumerate(ws.iter_rows(values_only=True), 1)]
    except Exception:  # noqa: BLE001 - an unreadable file is shown by its problems alone
        return None
    return None


def export(session: Session, suffix: str, folder: Path) -> bytes:
    """The registry as a file (.yaml, .csv or .xlsx) that the import reads back."""
    path = folder / f"registry{suffix}"
    registry.export_registry(session, path)
    return path.read_bytes()
