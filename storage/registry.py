"""The task registry (danh mục nhiệm vụ) in the database: the all-or-nothing write of an import, and export.

Reading files and interpreting them (agencies, deadlines, sections, groups) is `intake/`; what reaches
this module are planned tasks that can no longer fail on the file's content. The caller owns the
transaction.

Re-importing the same file changes nothing. An edited file updates the changed tasks in place (sequence
bumped, re-planned; a new lead agency hears about it as a new assignment) and keeps their progress history;
tasks no longer in the file are reported as missing, and removed (softly: `removed_at`) only with `prune`.

Export writes what `intake` reads back to the same tasks. Text cells that a spreadsheet would evaluate
(beginning with =, +, -, @, tab or carriage return) are written inert: with a leading apostrophe in CSV
(stripped again on import), as string cells in XLSX.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from core.i18n import _, format_date
from storage import audit, responsibility
from storage.agencies import AgencyDirectory, agency_names, sync_directory
from storage.tables import Directive, Task

__all__ = ["COLUMNS", "ImportReport", "PlannedTask", "export_registry", "inert", "uninert", "write_registry"]

# Column headers as written by export (and as the appendix of 337/QĐ-UBND has the first five).
COLUMNS = {
    "key": "Mã",
    "stt": "STT",
    "section": "Mục",
    "content": "Nội dung",
    "lead": "Cơ quan chủ trì",
    "coordinators": "Cơ quan phối hợp",
    "deadline": "Thời gian hoàn thành",
    "until": "Đến",
    "product": "Sản phẩm",
    "report_to": "Báo cáo về",
    "document": "Văn bản",
    "issued": "Ngày ban hành",
}
EXPORT_FORMATS = (".yaml", ".yml", ".csv", ".xlsx")


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
    changes: dict[str, dict[str, list]] = field(default_factory=dict)  # changed key → field → [old, new]
    encoding: str | None = None  # text files: the encoding detected
    dry_run: bool = False


@dataclass
class PlannedTask:
    where: tuple[int, str]  # (row, column) of its key in the file, for messages
    values: dict[str, Any]  # Task fields + "document" (the directive number) + "position"


# Fields that make a task different; position and STT only order it.
_COMPARED = ("directive_id", "section", "content", "product", "lead_agency", "coordinators", "coordinators_note",
             "report_to", "assignee_text", "deadline_text", "deadline", "deadline_kind", "due")


def write_registry(session: Session, planned: list[PlannedTask], directives_meta: dict, *, existing: dict[str, Task],
                   directory: AgencyDirectory, now: datetime, actor: str, prune: bool, file: str,
                   report: ImportReport, rows_without_directive: bool, dry: bool = False) -> ImportReport:
    """Write checked tasks: directives created or updated, tasks added / changed / unchanged, missing ones
    removed with `prune`; every change audited. `directives_meta`: number → (issued, issuer, subject).

    `dry`: the same report, nothing written (the dry run only reads, so it never holds SQLite's write lock)."""
    if not dry:
        sync_directory(session, directory, actor=actor, source="import", now=now, file=file)
    existing_directives = {d.number: d for d in session.exec(
        select(Directive).where(Directive.number.in_(list(directives_meta) or [""]))).all()}
    planned_values = [(p, dict(p.values)) for p in planned]
    directives: dict[str, Directive] = {}
    for number, meta in directives_meta.items():
        d = existing_directives.get(number)
        if d is None and dry:
            report.directives_added.append(number)  # none of its tasks exists yet: they are all added
        elif d is None:
            d = Directive(number=number, issued=meta.issued, issuer=meta.issuer, subject=meta.subject,
                          created_at=now, updated_at=now)
            session.add(d)
            session.flush()
            audit.record(session, at=now, actor=actor, source="import", action="directive.created",
                         entity="directive", entity_key=number, issued=meta.issued, issuer=meta.issuer,
                         subject=meta.subject, file=file)
            report.directives_added.append(number)
        else:
            changes = {}
            for name in ("issued", "issuer", "subject"):  # a plan's end lives in its tasks' deadlines
                new = getattr(meta, name)
                if new is not None and getattr(d, name) != new:
                    changes[name] = [getattr(d, name), new]
                    if not dry:
                        setattr(d, name, new)
            if changes and dry:
                report.directives_changed.append(number)
            elif changes:
                d.updated_at = now
                session.add(d)
                audit.record(session, at=now, actor=actor, source="import", action="directive.changed",
                             entity="directive", entity_key=number, changes=changes, file=file)
                report.directives_changed.append(number)
        directives[number] = d

    leads = responsibility.histories(session, list(existing.values()))
    names = None
    created: list[Task] = []
    seen_keys = set()
    for _p, values in planned_values:
        number = values.pop("document")
        values["directive_id"] = directives[number].id if number and directives[number] is not None else None
        key = values["key"]
        seen_keys.add(key)
        old = existing.get(key)
        if old is None and dry:
            report.added.append(key)
            continue
        if old is None:
            t = Task(**values, assigned_at=now, created_at=now, updated_at=now, sequence=0, next_check_at=None)
            session.add(t)
            created.append(t)
            audit.record(session, at=now, actor=actor, source="import", action="task.created", entity="task",
                         entity_key=key, directive=number, lead=values["lead_agency"],
                         deadline=values["deadline_text"], file=file)
            report.added.append(key)
            continue
        # The lead is compared with the one written, not with today's: a hand-over or reassignment recorded since
        # is history the file does not undo (storage.responsibility).
        lead = responsibility.reconcile_import(leads.get(old.id, []), old.lead_agency, values["lead_agency"])
        file_lead, values["lead_agency"] = values["lead_agency"], lead.store
        if values["assignee_text"] is None and not lead.written_changed:
            # A row naming the agency itself (as export writes it) keeps the group it was assigned through.
            values["assignee_text"] = old.assignee_text
        changes = {f: [getattr(old, f), values[f]] for f in _COMPARED if getattr(old, f) != values[f]}
        if lead.written_changed:
            changes["lead_agency"] = [lead.previous_written, file_lead]
            if not dry:  # the dry run writes nothing
                responsibility.record_written(session, old, file_lead, values["coordinators"], actor=actor, now=now,
                                              file=file, previous=lead.previous_written)
        if lead.kept is not None:
            names = names if names is not None else agency_names(session)
            report.warnings.append(_(
                "task {key}: the file names {lead} as the lead; since {date} the task is led by {current} "
                "({kind}), which stays — `dondoc reassign` gives it to another agency",
                key=key, lead=names.get(file_lead, file_lead), date=format_date(lead.kept.since),
                current=names.get(old.lead_agency, old.lead_agency), kind=responsibility.kind_label(lead.kept.kind)))
        restored = old.removed_at is not None
        if dry:
            if changes or restored:
                report.changed.append(key)
                report.changes[key] = changes
            else:
                report.unchanged.append(key)
            continue
        for f in ("position", "stt"):
            setattr(old, f, values[f])
        if not changes and not restored:
            session.add(old)
            report.unchanged.append(key)
            continue
        moved = old.lead_agency != values["lead_agency"]
        for f in _COMPARED:
            setattr(old, f, values[f])
        if moved:
            old.assigned_at = now  # the new lead agency hears about it as a new assignment
        old.removed_at = None
        old.sequence += 1
        old.updated_at = now
        old.next_check_at = None
        session.add(old)
        audit.record(session, at=now, actor=actor, source="import",
                     action="task.restored" if restored else "task.changed", entity="task", entity_key=key,
                     changes=changes, file=file)
        report.changed.append(key)
        report.changes[key] = changes

    if created:
        session.flush()  # their ids, once for the whole file
        responsibility.record_written_many(session, created, actor=actor, now=now, file=file)

    # Tasks of these directives that the file no longer has.
    scope_ids = [d.id for d in directives.values() if d is not None]
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
        if prune and dry:
            report.removed.append(t.key)
        elif prune:
            t.removed_at = now
            t.sequence += 1
            t.updated_at = now
            t.next_check_at = None
            session.add(t)
            audit.record(session, at=now, actor=actor, source="import", action="task.removed", entity="task",
                         entity_key=t.key, file=file)
            report.removed.append(t.key)
    if not dry:
        session.flush()
    return report


# -- export ------------------------------------------------------------------------------------------------------

_ACTIVE = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """A CSV cell no spreadsheet evaluates (OWASP "CSV injection"): an apostrophe before a leading
    =, +, -, @, tab or carriage return. `intake` strips it again on import."""
    return "'" + text if isinstance(text, str) and text.startswith(_ACTIVE) else text


def uninert(text: str) -> str:
    """The text `inert` was given."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_ACTIVE) else text


# Workbook timestamps are fixed so that the same registry always gives the same bytes.
_FIXED_TIME = "2000-01-01T00:00:00Z"


def export_registry(session: Session, path: Path | str) -> int:
    """Write every task (not removed) to `path`; the format follows the extension (.yaml/.yml, .csv, .xlsx).

    What it writes, `import_registry` reads back to the same tasks: one row per task with its key, the lead
    agency's name, the coordinators' names (and notes), the deadline as written, the directive. Returns the
    number of tasks written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
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

    # The lead as written (or corrected), not today's: the registry is the directive's text, and importing the
    # export again changes nothing after a hand-over (storage.responsibility).
    leads = responsibility.histories(session, tasks)

    def lead_of(t: Task) -> str:
        w = responsibility.written_lead(leads.get(t.id, []))
        return w.lead if w is not None else t.lead_agency

    def until(t: Task) -> str:
        """The plan's end a recurring deadline was bounded by (its RRULE's UNTIL), dd/mm/yyyy."""
        m = re.search(r"UNTIL=(\d{4})(\d{2})(\d{2})", (t.deadline or {}).get("rrule") or "")
        return f"{m[3]}/{m[2]}/{m[1]}" if m else ""

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
            if t.section:
                out["section"] = t.section
            out["content"] = t.content
            if t.product:
                out["product"] = t.product
            out["lead"] = name(lead_of(t))
            coord = coordinator_list(t)
            if coord:
                out["coordinators"] = coord
            if t.report_to:
                out["report_to"] = report_to(t)
            out["deadline"] = t.deadline_text
            if until(t):
                out["until"] = until(t)
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

    fields = ["key", "stt", "content", "lead", "coordinators", "deadline", "report_to", "document", "issued"]
    with_section = any(t.section for _, ts in groups for t in ts)
    with_product = any(t.product for _, ts in groups for t in ts)
    if with_section:
        fields.insert(2, "section")
    if with_product:
        fields.insert(fields.index("deadline") + 1, "product")
    if any(until(t) for _, ts in groups for t in ts):
        fields.insert(fields.index("deadline") + 1, "until")
    header = [COLUMNS[f] for f in fields]
    rows = []
    for d, ts in groups:
        for t in ts:
            cells = {"key": t.key, "stt": t.stt or "", "section": t.section or "", "content": t.content,
                     "lead": name(lead_of(t)), "coordinators": "; ".join(coordinator_list(t)),
                     "deadline": t.deadline_text, "until": until(t), "product": t.product or "", "report_to": report_to(t),
                     "document": d.number if d else "", "issued": d.issued.strftime("%d/%m/%Y") if d and d.issued else ""}
            rows.append([cells[f] for f in fields])
    if suffix == ".csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows([[inert(x) for x in r] for r in rows])
        # UTF-8 with BOM so that Excel opens the Vietnamese text correctly.
        path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
        return count
    path.write_bytes(_xlsx_bytes(header, rows))
    return count


def _xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    from core.spreadsheet import set_text

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value:
                set_text(cell, cell.value)  # text, never a formula: "=HYPERLINK(…)" stays text, even edited
    for letter, width in zip("ABCDEFGHIJK", (28, 6, 60, 28, 40, 24, 24, 18, 14, 24, 24)):
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
