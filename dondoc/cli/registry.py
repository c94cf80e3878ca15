"""`dondoc import`, `dondoc export`, `dondoc tasks`, `dondoc agencies`: the task registry from a terminal."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from dondoc.cli.common import clock, engine, fail, settings
from dondoc.i18n import _, format_date, ngettext


def _directory(extra: Optional[Path] = None):
    from storage.agencies import AgencyDirectory, AgencyFileError

    try:
        d = AgencyDirectory.load(settings().agencies_file)
        return d.extended(extra) if extra else d
    except AgencyFileError as e:
        fail(_("Cannot use the agency directory:") + "\n" + str(e))


def _calendar():
    from jobs.workdays import HolidayFileError, WorkCalendar

    try:
        return WorkCalendar.from_file(settings().holidays_file)
    except HolidayFileError as e:
        fail(f"HOLIDAYS_FILE: {e}")


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "admin"


def _parse_issued(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(_("--issued {value!r}: accepted: a date YYYY-MM-DD, e.g. 2012-03-02", value=value))


def import_cmd(
    file: Path = typer.Argument(..., help="Registry file: .yaml/.yml, .csv or .xlsx."),
    document: Optional[str] = typer.Option(None, "--document", help="Directive number (số/ký hiệu) the tasks "
                                           "belong to, when the file does not say, e.g. 337/QĐ-UBND."),
    issued: Optional[str] = typer.Option(None, "--issued", help="The directive's issue date, YYYY-MM-DD."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Who issued the directive."),
    subject: Optional[str] = typer.Option(None, "--subject", help="The directive's subject (trích yếu)."),
    prune: bool = typer.Option(False, "--prune", help="Remove the directive's tasks that the file no longer has."),
    agencies: Optional[Path] = typer.Option(None, "--agencies", help="An agencies file to add to the directory "
                                            "(e.g. the province's districts)."),
) -> None:
    """Load a task registry (YAML, CSV or XLSX) into the database — all of it, or nothing."""
    from storage.db import session_scope
    from storage.registry import RegistryErrors, import_registry

    when = _parse_issued(issued)
    directory = _directory(agencies)
    calendar = _calendar()
    now = clock().now()
    try:
        with session_scope(engine()) as session:
            report = import_registry(session, file, directory=directory, calendar=calendar, now=now,
                                     actor=_actor(), document=document, issued=when, issuer=issuer,
                                     subject=subject, prune=prune)
    except RegistryErrors as e:
        n = len(e.problems)
        typer.echo(ngettext("Nothing imported from {file}: {n} problem; the database is unchanged.",
                            "Nothing imported from {file}: {n} problems; the database is unchanged.", n, file=file),
                   err=True)
        for p in e.problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(2)
    for w in report.warnings:
        typer.echo(_("warning: {warning}", warning=w), err=True)
    typer.echo(_("Imported {file}: {added} added, {changed} changed, {unchanged} unchanged.", file=file,
                 added=len(report.added), changed=len(report.changed), unchanged=len(report.unchanged)))
    for number in report.directives_added:
        typer.echo(_("New directive: {number}", number=number))
    for number in report.directives_changed:
        typer.echo(_("Directive updated: {number}", number=number))
    if report.removed:
        typer.echo(ngettext("Removed {n} task no longer in the file: {keys}",
                            "Removed {n} tasks no longer in the file: {keys}", len(report.removed),
                            keys=", ".join(report.removed)))
    elif report.missing:
        typer.echo(ngettext("{n} task is no longer in the file (kept; --prune removes it): {keys}",
                            "{n} tasks are no longer in the file (kept; --prune removes them): {keys}",
                            len(report.missing), keys=", ".join(report.missing)))


def export_cmd(file: Path = typer.Argument(..., help="Where to write: .yaml/.yml, .csv or .xlsx.")) -> None:
    """Write the registry to a file that `dondoc import` reads back (format from the extension)."""
    from sqlmodel import Session

    from storage.registry import export_registry

    if file.suffix.lower() not in (".yaml", ".yml", ".csv", ".xlsx"):
        fail(_("{file}: unknown file type {suffix!r}; accepted: .yaml, .yml, .csv, .xlsx", file=file, suffix=file.suffix))
    with Session(engine()) as session:
        try:
            n = export_registry(session, file)
        except OSError as e:
            fail(f"{file}: {e.strerror or e}")
    typer.echo(ngettext("Wrote {n} task to {file}.", "Wrote {n} tasks to {file}.", n, file=file))


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def tasks_cmd(
    agency: Optional[str] = typer.Option(None, "--agency", help="Only the tasks this agency leads (a name, an "
                                         "abbreviation, a code or a group)."),
    status: Optional[str] = typer.Option(None, "--status", help="Only this status: in_time, due_soon, overdue, "
                                         "done_on_time, done_late, no_deadline, pending_confirmation (or its "
                                         "label)."),
    directive: Optional[str] = typer.Option(None, "--directive", help="Only this directive's tasks, e.g. "
                                            "5099/UBND-HCC."),
) -> None:
    """List the tasks: key, content, lead agency, deadline as written, due date and status."""
    from sqlmodel import Session

    from dondoc.clock import local_today
    from jobs.status import parse_status, status_label
    from storage.agencies import UnknownAgency, agency_names
    from storage.views import task_items

    s = settings()
    wanted = None
    if status is not None:
        try:
            wanted = parse_status(status)
        except ValueError as e:
            fail(f"--status: {e}")
    today = local_today(clock(), s.timezone)
    with Session(engine()) as session:
        names = agency_names(session)
        codes = None
        if agency is not None:
            directory = _directory().with_known_agencies(session)
            try:
                m = directory.match(agency, today)
            except UnknownAgency as e:
                fail(f"--agency: {e}")
            except ValueError:
                fail(_("--agency: empty agency name"))
            if m.warning:
                typer.echo(_("warning: {warning}", warning=m.warning), err=True)
            codes = set(m.codes)
            if not codes and m.groups:
                # A group with no member today (e.g. districts after 2025) may still have old tasks.
                codes = {c for g in m.groups for c in directory.members(g)}
            for code in codes:
                names.setdefault(code, directory.name(code))
        items = task_items(session, settings=s, calendar=_calendar(), today=today,
                           agency=next(iter(codes)) if codes and len(codes) == 1 else None, directive=directive)
    if codes is not None:
        items = [i for i in items if i.task.lead_agency in codes]
    if wanted is not None:
        items = [i for i in items if i.status == wanted]
    if not items:
        typer.echo(_("No tasks."))
        return

    written = _("written")
    rows = []
    for i in items:
        if i.effective_due is None:
            due = "—"
        elif i.due is not None and i.effective_due != i.due:
            due = f"{format_date(i.effective_due)} ({written}: {format_date(i.due)})"
        else:
            due = format_date(i.effective_due)
        rows.append([i.task.key, _cut(i.task.content, 40), _cut(names.get(i.task.lead_agency, i.task.lead_agency), 30),
                     _cut(i.task.deadline_text, 24), due, status_label(i.status)])
    header = [_("Key"), _("Content"), _("Lead agency"), _("Deadline (as written)"), _("Due"), _("Status")]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    typer.echo(line(header))
    typer.echo("  ".join("-" * w for w in widths))
    for r in rows:
        typer.echo(line(r))
    typer.echo(ngettext("{n} item (today {today})", "{n} items (today {today})", len(rows), today=format_date(today)))


def agencies_cmd(
    search: Optional[str] = typer.Argument(None, help="Part of a name, an abbreviation or a code."),
    agencies: Optional[Path] = typer.Option(None, "--agencies", help="An agencies file to add to the directory."),
) -> None:
    """List the agency directory (built-in, AGENCIES_FILE, --agencies): codes, names, validity, successors."""
    from storage.agencies import normalize

    d = _directory(agencies)
    found = d.search(search or "")
    for a in found:
        extra = []
        if a.valid_from:
            extra.append(_("from {date}", date=format_date(a.valid_from)))
        if a.valid_to:
            extra.append(_("until {date}", date=format_date(a.valid_to)))
        if a.successor:
            extra.append("→ " + d.name(a.successor))
        line = f"{a.code:<32} {a.name}"
        if extra:
            line += "  (" + ", ".join(extra) + ")"
        typer.echo(line)
        if a.aliases:
            typer.echo(" " * 33 + _("also: {aliases}", aliases=", ".join(a.aliases)))
    needle = normalize(search) if search else ""
    groups = [g for g in d.groups if not needle or any(needle in normalize(n) for n in (g.name, *g.aliases))
              or search.strip().lower() in g.code]
    if groups:
        typer.echo("")
        typer.echo(_("Groups (each member gets its own task):"))
        for g in groups:
            members = ngettext("{n} member", "{n} members", len(d.members(g.code)))
            typer.echo(f"{g.code:<32} {g.name}  ({members})")
    if not found and not groups:
        typer.echo(_("Nothing found."))


def register(app: typer.Typer) -> None:
    app.command("import", help="Load a task registry (YAML, CSV or XLSX) into the database — all of it, or "
                "nothing.")(import_cmd)
    app.command("export", help="Write the registry to a YAML, CSV or XLSX file that `dondoc import` reads "
                "back.")(export_cmd)
    app.command("tasks", help="List the tasks with their deadline, due date and status.")(tasks_cmd)
    app.command("agencies", help="List or search the agency directory.")(agencies_cmd)
