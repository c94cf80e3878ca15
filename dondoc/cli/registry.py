"""`dondoc import`, `dondoc export`, `dondoc tasks`, `dondoc agencies`: the task registry from a terminal."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from dondoc.cli.common import clock, engine, fail, settings, unknown_agency
from core.i18n import N_, _, format_date, ngettext, set_language
from core.terminal import printable


def _lang() -> str:
    return settings().language


def _directory(session=None, extra: Optional[Path] = None, *, sync: bool = False):
    from intake.directory import directory_for
    from storage.agencies import AgencyFileError

    try:
        return directory_for(settings(), session, [extra] if extra else [], sync=sync)
    except AgencyFileError as e:
        fail(_("Cannot use the agency directory:") + "\n" + str(e))


def _calendar():
    from core.workdays import HolidayFileError, WorkCalendar

    try:
        return WorkCalendar.from_file(settings().holidays_file)
    except HolidayFileError as e:
        fail(f"HOLIDAYS_FILE: {e}")


def _actor() -> str:
    """Who imports, for the history: DONDOC_ACTOR, else the administrator — never the Unix login (issue 22)."""
    from dondoc.cli.actions import actor

    return actor().name


def parse_cli_date(option: str, value: Optional[str]) -> Optional[date]:
    """dd/mm/yyyy or YYYY-MM-DD, within the deadline grammar's years; exit 2 otherwise."""
    from intake.table import parse_date
    from core.deadline import MAX_YEAR, MIN_YEAR

    if value is None:
        return None
    d = parse_date(value)
    from core.text import impossible_date

    if d is None and impossible_date(value):
        fail(_("{option} {value!r}: this day does not exist; give a real date dd/mm/yyyy (e.g. 28/02/2026).",
               option=option, value=value))
    if d is None or not MIN_YEAR <= d.year <= MAX_YEAR:
        fail(_("{option} {value!r}: accepted: a date dd/mm/yyyy or YYYY-MM-DD (years {lo}–{hi}), e.g. 02/03/2012",
               option=option, value=value, lo=MIN_YEAR, hi=MAX_YEAR))
    return d


def import_cmd(
    file: Path = typer.Argument(..., help=N_("Registry file: .yaml/.yml, .csv/.txt, .xlsx, .xls or .docx (its "
                                             "tables).")),
    document: Optional[str] = typer.Option(None, "--document", help=N_("Directive number (số/ký hiệu) the tasks "
                                           "belong to, when the file does not say, e.g. 337/QĐ-UBND.")),
    issued: Optional[str] = typer.Option(None, "--issued", help=N_("The directive's issue date, dd/mm/yyyy or "
                                         "YYYY-MM-DD.")),
    issuer: Optional[str] = typer.Option(None, "--issuer", help=N_("Who issued the directive.")),
    subject: Optional[str] = typer.Option(None, "--subject", help=N_("The directive's subject (trích yếu); "
                                          "\"giai đoạn 2011-2015\" in it ends the plan's recurring duties.")),
    until: Optional[str] = typer.Option(None, "--until", help=N_("The plan's end (dd/mm/yyyy): recurring duties "
                                        "stop there.")),
    prune: bool = typer.Option(False, "--prune", help=N_("Remove the directive's tasks that the file no longer has.")),
    agencies: Optional[Path] = typer.Option(None, "--agencies", help=N_("An agencies file to add to the directory "
                                            "(e.g. the province's districts); kept in the database.")),
    allow_empty_groups: bool = typer.Option(False, "--allow-empty-groups", help=N_("A group with no members in "
                                            "the directory is skipped with a warning instead of an error.")),
    dry_run: bool = typer.Option(False, "--dry-run", help=N_("Say what would change; write nothing.")),
) -> None:
    """Load a task registry into the database — all of it, or nothing."""
    set_language(_lang())
    from intake.importer import ImportOptions, import_file, preview_import
    from intake.limits import Limits
    from intake.model import RegistryErrors
    from storage.db import session_scope

    when = parse_cli_date("--issued", issued)
    end = parse_cli_date("--until", until)
    calendar = _calendar()
    now = clock().now()
    s = settings()
    try:
        with session_scope(engine(create=not dry_run)) as session:
            directory = _directory(session, agencies)
            options = ImportOptions(directory=directory, calendar=calendar, now=now, actor=_actor(),
                                    document=document, issued=when, issuer=issuer, subject=subject, until=end,
                                    prune=prune, allow_empty_groups=allow_empty_groups,
                                    urgent_workdays=s.urgent_workdays, limits=Limits.from_settings(s))
            run = preview_import if dry_run else import_file
            report = run(session, file, options=options)
    except RegistryErrors as e:
        n = len(e.problems)
        typer.echo(ngettext("Nothing imported from {file}: {n} problem; the database is unchanged.",
                            "Nothing imported from {file}: {n} problems; the database is unchanged.", n, file=file),
                   err=True)
        for p in e.problems:
            typer.echo(printable(str(p)), err=True)  # a cell's escape sequences must not reach the terminal
        raise typer.Exit(2)
    if report.encoding and report.encoding not in ("utf-8", "utf-8-sig"):
        typer.echo(_("Encoding detected: {encoding}", encoding=report.encoding), err=True)
    for w in report.warnings:
        typer.echo(_("warning: {warning}", warning=printable(str(w))), err=True)
    if dry_run:
        typer.echo(_("Dry run of {file} (nothing written): {added} to add, {changed} to change, {unchanged} "
                     "unchanged.", file=file, added=len(report.added), changed=len(report.changed),
                     unchanged=len(report.unchanged)))
        for key in report.added:
            typer.echo(f"+ {key}")
        if report.changes:
            from sqlmodel import Session, select

            from storage.agency_table import agency_names
            from storage.history import change_words
            from storage.tables import Directive

            with Session(engine()) as db:
                names = agency_names(db)
                numbers = {d.id: d.number for d in db.exec(select(Directive))}
        for key, changes in report.changes.items():
            # One line per real change, in the file's words: its column, agency names, dd/mm/yyyy.
            for column, (before, after) in change_words(changes, names, numbers).items():
                typer.echo(f"~ {key} · {column}: {before} → {after}")
        for key in report.missing:
            typer.echo(f"- {key}")
        return
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


def export_cmd(file: Path = typer.Argument(..., help=N_("Where to write: .yaml/.yml, .csv or .xlsx."))) -> None:
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
    agency: Optional[str] = typer.Option(None, "--agency", help=N_("Only the tasks this agency leads (a name, an "
                                         "abbreviation, a code or a group).")),
    status: Optional[str] = typer.Option(None, "--status", help=N_("Only this status: in_time, due_soon, overdue, "
                                         "done_on_time, done_late, no_deadline, pending_confirmation (or its "
                                         "label).")),
    directive: Optional[str] = typer.Option(None, "--directive", help=N_("Only this directive's tasks, e.g. "
                                            "5099/UBND-HCC.")),
) -> None:
    """List the tasks: key, content, lead agency, deadline as written, due date and status."""
    set_language(_lang())
    from sqlmodel import Session

    from core.clock import local_today
    from core.status import parse_status, status_label
    from core.urgent import describe_urgent, is_urgent
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
            directory = _directory(session)
            try:
                m = directory.match(agency, today)
            except UnknownAgency as e:
                fail("--agency: " + unknown_agency(e))
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
        elif is_urgent(i.task.deadline):
            due = describe_urgent(i.effective_due, _lang())
        elif i.due is not None and i.effective_due != i.due:
            due = f"{format_date(i.effective_due)} ({written}: {format_date(i.due)})"
        else:
            due = format_date(i.effective_due)
        rows.append([printable(c) for c in (
            i.task.key, _cut(printable(i.task.content), 40),
            _cut(printable(names.get(i.task.lead_agency, i.task.lead_agency)), 30),
            _cut(printable(i.task.deadline_text), 24), due, status_label(i.status))])
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
    search: Optional[str] = typer.Argument(None, help=N_("Part of a name, an abbreviation or a code.")),
    agencies: Optional[Path] = typer.Option(None, "--agencies", help=N_("An agencies file to show on top of the "
                                            "directory (not stored; `dondoc import --agencies` stores it).")),
    add: Optional[str] = typer.Option(None, "--add", help=N_("Add an agency with this name (with --code, "
                                      "--kind, --alias).")),
    rename: Optional[str] = typer.Option(None, "--rename", help=N_("Rename this agency (a name or code) to "
                                         "--name; the old name stays an alias.")),
    name: Optional[str] = typer.Option(None, "--name", help=N_("The new name, with --rename.")),
    code: Optional[str] = typer.Option(None, "--code", help=N_("The code of the agency --add adds, e.g. "
                                       "ubnd-xa-cao-loc (default: made from the name).")),
    kind: str = typer.Option("khac", "--kind", help=N_("Its kind, with --add: so, ban, ubnd-cap-huyen, "
                             "ubnd-cap-xa, bao-chi, khac …")),
    alias: list[str] = typer.Option([], "--alias", help=N_("Another name or abbreviation (repeatable).")),
) -> None:
    """List or search the agency directory (built-in, AGENCIES_FILE, PROVINCE, the database); add or rename
    an agency (audited). Messages, exports, feeds and the bot show the names it holds."""
    set_language(_lang())
    from sqlmodel import Session

    from storage.db import session_scope

    if add is not None or rename is not None:
        if add is not None and rename is not None:
            fail(_("--add and --rename: one at a time"))
        with session_scope(engine()) as session:
            if add is not None:
                _agency_add(session, add, code, kind, alias)
            else:
                if not name:
                    fail(_("--rename needs --name NEW NAME"))
                _agency_rename(session, rename, name, alias)
        return
    with Session(engine()) as session:
        d = _directory(session, agencies)
    _list_agencies(d, search)


def _agency_add(session, name: str, code: Optional[str], kind: str, aliases: list[str]) -> None:
    import re

    from intake.tasks import slugify
    from storage import audit
    from storage.agencies import AgencyInfo, UnknownAgency, sync_directory

    d = _directory(session)
    name = " ".join(name.split())
    code = code or slugify(name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", code or "") or len(code) > 80:
        fail(_("--code {code!r}: accepted: lower-case letters, digits and '-', e.g. ubnd-xa-cao-loc", code=code))
    if d.get(code) is not None:
        fail(_("{code} is already in the directory ({name}); use --rename to change its name",
               code=code, name=d.name(code)))
    for text in (name, *aliases):
        try:
            m = d.match(text)
        except (UnknownAgency, ValueError):
            continue
        if m.codes or m.groups:
            fail(_("{text!r} already names {what} in the directory", text=text,
                   what=", ".join(d.name(c) for c in (m.codes or m.groups))))
    info = AgencyInfo(code=code, name=name, kind=kind, aliases=tuple(dict.fromkeys(aliases)), source="cli")
    sync_directory(session, d.with_agencies([info], "cli"))
    audit.record(session, at=clock().now(), actor=_actor(), source="cli", action="agency.added", entity="agency",
                 entity_key=code, name=name, kind=kind, aliases=list(aliases))
    typer.echo(_("Added {name} ({code}).", name=name, code=code))


def _agency_rename(session, which: str, new_name: str, aliases: list[str]) -> None:
    from dataclasses import replace

    from storage import audit
    from storage.agencies import AgencyDirectory, UnknownAgency, sync_directory

    d = _directory(session)
    try:
        m = d.match(which)
    except UnknownAgency as e:
        fail("--rename: " + unknown_agency(e))
    except ValueError:
        fail(_("--rename: empty agency name"))
    if len(m.codes) != 1 or m.groups:
        fail(_("--rename {text!r}: names {n} agencies; give one name or code", text=which, n=len(m.codes)))
    code = m.codes[0]
    old = d.get(code)
    new_name = " ".join(new_name.split())
    if old.source == "file" and settings().agencies_file is not None and \
            AgencyDirectory.load(settings().agencies_file).get(code) != AgencyDirectory.load().get(code):
        fail(_("{code} is defined in AGENCIES_FILE ({file}): change its name there", code=code,
               file=settings().agencies_file))
    kept = tuple(a for a in dict.fromkeys((*old.aliases, old.name, *aliases)) if a != new_name)
    info = replace(old, name=new_name, aliases=kept, source="cli")
    others = [a for a in d.agencies if a.code != code]
    sync_directory(session, AgencyDirectory([*others, info], d.groups, d.kinds))
    audit.record(session, at=clock().now(), actor=_actor(), source="cli", action="agency.renamed", entity="agency",
                 entity_key=code, changes={"name": [old.name, new_name]})
    typer.echo(_("Renamed {code}: {old} → {new}.", code=code, old=old.name, new=new_name))


def _list_agencies(d, search: Optional[str]) -> None:
    from storage.agencies import normalize

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
    app.command("import", help=N_("Load a task registry (YAML, CSV, XLSX, XLS or DOCX) into the database — all of "
                "it, or nothing."))(import_cmd)
    app.command("export", help=N_("Write the registry to a YAML, CSV or XLSX file that `dondoc import` reads "
                "back."))(export_cmd)
    app.command("tasks", help=N_("List the tasks with their deadline, due date and status."))(tasks_cmd)
    app.command("agencies", help=N_("List, search, add or rename agencies of the directory."))(agencies_cmd)
