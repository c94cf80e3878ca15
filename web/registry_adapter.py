"""The one place where the web console calls the registry import: a dry run, the real import, the file's
own table (to show errors on it) and the export.

The import is the registry intake's (`intake`): `preview_import` for the check (nothing written, field
diffs of the changed tasks), `import_file` for the import (all or nothing), `intake.readers.read_table` for the
file's rows as the person counts them (CSV/TXT in any of the encodings it detects, XLSX, XLS, the tables of
a DOCX); problems are `FILE:ROW:COLUMN: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import intake
from intake.importer import SUFFIXES
from sqlmodel import Session, select

from storage import registry


def accepted_suffixes() -> tuple[str, ...]:
    """The file types the import reads (its own list, so the form and the import never disagree)."""
    return tuple(SUFFIXES)


@dataclass
class Options:
    """What the upload form says besides the file: the plan's details and an agencies file (its groups, districts,
    merged departments) to add to the directory already stored."""

    document: str | None = None
    issued: date | None = None
    prune: bool = False
    issuer: str | None = None
    subject: str | None = None
    until: date | None = None  # the plan's end: recurring duties stop there
    agencies: Path | None = None
    folder: Path | None = None  # the upload's own folder (where the stored agencies are written to be read)


@dataclass(frozen=True)
class PageProblem:
    """A problem of the agencies file, shown like a registry's (row = its line)."""

    file: str
    row: int
    column: str
    message: str


@dataclass
class Outcome:
    """What an import did — or, for a dry run, would do."""

    problems: list = field(default_factory=list)  # intake.Problem: file, row, column, message
    added: list[str] = field(default_factory=list)
    changed: list[tuple[str, dict[str, list[Any]]]] = field(default_factory=list)  # key, field → [old, new]
    unchanged: list[str] = field(default_factory=list)
    to_remove: list[str] = field(default_factory=list)  # missing from the file (removed only with prune)
    warnings: list[str] = field(default_factory=list)
    directives_added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def import_directory(session: Session, settings, options: Options):
    """The one directory an upload is imported with: built-in, AGENCIES_FILE, PROVINCE, what earlier imports
    stored, this upload's file. Raises storage.agencies.AgencyFileError when a file cannot be used."""
    from intake.directory import directory_for

    extra = [options.agencies] if options.agencies else []
    if not extra and options.folder is not None:
        # No file with this upload: the agencies stored before (earlier imports' files, edits on this page) are
        # in play as if uploaded again, so their districts count in the groups a plan names ("UBND các huyện").
        # Without this, agencies known only from the database are named but never expand a group.
        from storage.agency_export import has_stored_agencies, stored_agencies_yaml

        if has_stored_agencies(session):
            stored = options.folder / "stored-agencies.yaml"
            stored.write_text(stored_agencies_yaml(session), encoding="utf-8")
            extra = [stored]
    return directory_for(settings, session, extra)


def _run(session: Session, path: Path, *, settings, calendar, now: datetime, actor: str, options: Options,
         dry: bool, limits: intake.Limits | None = None) -> Outcome:
    from intake.tasks import ADVICE
    from storage.agencies import AgencyFileError

    try:
        directory = import_directory(session, settings, options)
    except AgencyFileError as e:
        return Outcome(problems=agency_file_problems(e, options.agencies))
    opts = intake.ImportOptions(directory=directory, now=now, actor=actor, calendar=calendar,
                                document=options.document, issued=options.issued, prune=options.prune,
                                issuer=options.issuer, subject=options.subject, until=options.until,
                                urgent_workdays=getattr(settings, "urgent_workdays", 5),
                                limits=limits or intake.Limits())
    token = ADVICE.set("web")
    try:
        report = (intake.preview_import if dry else intake.import_file)(session, path, options=opts)
    except intake.RegistryErrors as e:
        return Outcome(problems=list(e.problems))
    finally:
        ADVICE.reset(token)
    changes = report.changes or {}
    from storage.agency_table import agency_names
    from storage.history import change_words
    from storage.tables import Directive

    names = agency_names(session)
    numbers = {d.id: d.number for d in session.exec(select(Directive))}
    return Outcome(added=report.added,
                   changed=[(k, change_words(changes.get(k, {}), names, numbers)) for k in report.changed],
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
        out = _run(session, path, dry=False, **kwargs)
        if out.ok:
            session.commit()
        else:
            session.rollback()
        return out


def agency_file_problems(e: Exception, path: Path | None) -> list[PageProblem]:
    """An agencies file that cannot be used, one problem per line of the error ("FILE:LINE: message")."""
    import re

    from core.i18n import _

    name = path.name if path else "agencies"
    out = []
    for line in str(e).splitlines():
        m = re.match(r".*?:(\d+):\s*(.*)", line)
        row, text = (int(m.group(1)), m.group(2)) if m else (1, line)
        if text.strip():
            out.append(PageProblem(name, row, _("Agencies file"), _(
                "{problem} — fix it in the agencies file and choose it again.", problem=text.strip())))
    return out or [PageProblem(name, 1, _("Agencies file"), str(e))]


def read_table(path: Path, limits: intake.Limits | None = None) -> list[tuple[int, list[str]]] | None:
    """The file as the person sees it — (row number as they count it, cells) for a table (row 1 = the
    header), (line number, [line]) for YAML — so each problem is shown on its own row and column. None when
    it cannot be read."""
    from intake.readers import read_table as intake_table

    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            lines = path.read_text(encoding="utf-8").splitlines()[:(limits or intake.Limits()).max_rows]
            return [(n, [line]) for n, line in enumerate(lines, 1)]
        limits = limits or intake.Limits()
        return [(r.number, list(r.cells)) for r in intake_table(path.read_bytes(), path.name, limits).rows]
    except Exception:  # noqa: BLE001 - an unreadable file is shown by its problems alone
        return None


def export(session: Session, suffix: str, folder: Path) -> bytes:
    """The registry as a file (.yaml, .csv or .xlsx) that the import reads back."""
    path = folder / f"registry{suffix}"
    registry.export_registry(session, path)
    return path.read_bytes()
