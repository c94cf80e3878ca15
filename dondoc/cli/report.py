"""`dondoc report`: the four groups per agency, the overdue list, and the files the leadership gets
(XLSX, DOCX draft, PNG chart) or the JSON other systems read. docs/reports.md."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from dondoc.cli.common import agency_directory, clock, engine, fail, settings
from core.i18n import N_, _, format_date, use_language

FORMATS = (".xlsx", ".docx", ".png")


def speaks(command):
    """Run a command in LANGUAGE (each invocation on its own: tests run several in one process)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with use_language(settings().language):
            return command(*args, **kwargs)

    return wrapper


def parse_cli_date(text: str, option: str) -> date:
    """dd/mm/yyyy or YYYY-MM-DD; exit 2 saying which option and what is accepted."""
    from intake.table import parse_date  # the one date reader: both forms, the grammar's years

    d = parse_date(text)
    if d is not None:
        return d
    from core.text import impossible_date

    if impossible_date(text):
        fail(_("{option} {value!r}: this day does not exist; give a real date dd/mm/yyyy (e.g. 28/02/2026).",
               option=option, value=text))
    fail(_("{option} {value!r}: accepted: a date written dd/mm/yyyy (e.g. 30/09/2026) or YYYY-MM-DD.",
           option=option, value=text))


def calendar():
    from core.workdays import HolidayFileError, WorkCalendar

    try:
        return WorkCalendar.from_file(settings().holidays_file)
    except HolidayFileError as e:
        fail(f"HOLIDAYS_FILE: {e}")


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename: a reader never sees
    half a file, and a failure leaves the old file as it was."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_period(period: str | None, start: str | None, end: str | None, cutoff: str, today: date):
    from reports.figures import PeriodError, current_period, parse_period, period_between

    if period is not None and (start is not None or end is not None):
        fail(_("Give either --period or --from and --to, not both."))
    try:
        if period is not None:
            return parse_period(period, cutoff)
        if start is not None or end is not None:
            if start is None or end is None:
                fail(_("--from and --to go together: give both dates."))
            return period_between(parse_cli_date(start, "--from"), parse_cli_date(end, "--to"))
    except PeriodError as e:
        fail(f"--period: {e}")
    return current_period(today, "quarter", cutoff)


def agency_codes(text: str, session) -> set[str]:
    """The agencies a name, abbreviation, code or group names (a group: its members, also past ones)."""
    from dondoc.cli.common import match_agencies

    directory = agency_directory(session)
    match = match_agencies(text, session=session, directory=directory)
    codes = set(match.codes)
    for g in match.groups:
        codes.update(directory.members(g))
    if not codes:
        fail(_("--agency {value!r} names no agency.", value=text))
    return codes


def _print_table(report, lang: str) -> None:
    from reports.figures import GROUPS, format_rate

    typer.echo(_("Task completion — {period} ({dates}); status as of {date}", period=report.period.name(lang),
                 dates=report.period.dates(lang), date=format_date(report.as_of)))
    if report.directive_filter:
        typer.echo(_("Directive: {number}", number=report.directive_filter))
    if not report.rows:
        typer.echo(_("No task is due in this period."))
        return
    header = [_("Agency"), *[g.short_label(lang) for g in GROUPS], _("Total"), _("On time")]
    rows = [[a.name, *[str(a.counts.get(g)) for g in GROUPS], str(a.counts.total),
             format_rate(a.counts.on_time_rate, lang)] for a in report.agencies]
    total = [_("Total"), *[str(report.totals.get(g)) for g in GROUPS], str(report.totals.total),
             format_rate(report.totals.on_time_rate, lang)]
    widths = [max(len(r[k]) for r in [header, *rows, total]) for k in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths)))

    typer.echo(line(header))
    typer.echo("  ".join("-" * w for w in widths))
    for r in rows:
        typer.echo(line(r))
    typer.echo("  ".join("-" * w for w in widths))
    typer.echo(line(total))
    _print_ratings(report, lang)
    if report.overdue:
        typer.echo("")
        typer.echo(_("Overdue ({n}):", n=len(report.overdue)))
        from core.i18n import ngettext
        from core.text import cut

        for row in report.overdue:
            occurrence = "" if row.fact.occurrence_key == "once" else f" ({format_date(row.fact.due)})"
            typer.echo(f"  [{row.key}]{occurrence} {cut(row.fact.content, 70)} — {row.lead_name}; "
                       + _("deadline {date}", date=format_date(row.effective_due)) + "; "
                       + ngettext("{n} working day late", "{n} working days late", row.workdays_late))


COLOR_MARKS = {"green": "🟢", "yellow": "🟡", "red": "🔴"}


def _print_ratings(report, lang: str) -> None:
    """The ratings table, then the agencies grouped by their colour today (red first)."""
    from reports.ratings import format_score, rating_headers

    ratings = report.ratings
    if ratings is None or not ratings.agencies:
        return
    header = rating_headers(lang)[:-1]
    rows = [[str(a.rank or "—"), a.name, str(a.due), str(a.on_time), str(a.late), str(a.open_overdue),
             str(a.returned), format_score(a.score, lang), a.grade.label(lang) if a.grade else "—"]
            for a in ratings.agencies]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    typer.echo("")
    typer.echo(_("Ratings by progress (Decree 335/2025/ND-CP): each delay takes {share} of the points", lang,
                 share=ratings.rule.penalty_text))
    for r in [header, *rows]:
        typer.echo("  ".join(c.ljust(w) if k in (1, 8) else c.rjust(w) for k, (c, w) in enumerate(zip(r, widths))))
    typer.echo("")
    for color, cells in ratings.by_color().items():
        if cells:
            typer.echo(f"{COLOR_MARKS[color.value]} {color.label(lang)} ({len(cells)}): "
                       + ", ".join(name for _code, name in cells))


@speaks
def report_cmd(
    period: Optional[str] = typer.Option(None, "--period", "-p", help=N_('"Quý III/2026", "6 tháng đầu năm 2026", '
                                         '"6 tháng cuối năm 2026", "năm 2026", "tháng 7/2026" (default: this quarter).')),
    start: Optional[str] = typer.Option(None, "--from", help=N_("First day, dd/mm/yyyy or YYYY-MM-DD (with --to).")),
    end: Optional[str] = typer.Option(None, "--to", help=N_("Last day, dd/mm/yyyy or YYYY-MM-DD (with --from).")),
    agency: Optional[str] = typer.Option(None, "--agency", help=N_("Only the tasks this agency (or group) leads.")),
    directive: Optional[str] = typer.Option(None, "--directive", help=N_("Only this directive's tasks, e.g. "
                                            "5099/UBND-HCC.")),
    cutoff: Optional[str] = typer.Option(None, "--cutoff", help=N_("calendar | nd09 (default: REPORT_CUTOFF).")),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=N_("Write report.xlsx, report.docx (a draft "
                                          "báo cáo) or report.png (the chart).")),
    issuer: Optional[str] = typer.Option(None, "--issuer", help=N_("The reporting body, for the DOCX header (e.g. "
                                         '"Sở Nội vụ"); left as a placeholder otherwise.')),
    as_json: bool = typer.Option(False, "--json", help=N_("Print the figures as JSON (for the province's reporting "
                                 "system, LGSP).")),
) -> None:
    """The four groups per agency (done on time / late; not done in term / overdue), totals, on-time rate and
    the overdue list for a period, on screen, as JSON or as a file."""
    from sqlmodel import Session

    from core.clock import local_today
    from reports import ReportTooLarge, build_report

    s = settings()
    lang = s.language
    cut = (cutoff or s.report_cutoff).strip().lower()
    if cut not in ("calendar", "nd09"):
        fail(_("--cutoff {value!r}: accepted: calendar | nd09.", value=cutoff))
    if output is not None:
        if output.suffix.lower() not in FORMATS:
            fail(_("{file}: unknown file type {suffix!r}: accepted {formats}.", file=str(output),
                   suffix=output.suffix, formats=", ".join(FORMATS)))
        if not (output.parent if str(output.parent) else Path(".")).is_dir():
            fail(_("{file}: the folder {folder} does not exist.", file=str(output), folder=str(output.parent)))
    today = local_today(clock(), s.timezone)
    the_period = resolve_period(period, start, end, cut, today)
    with Session(engine()) as session:
        codes = agency_codes(agency, session) if agency is not None else None
        if directive is not None:
            from sqlmodel import select

            from storage.tables import Directive

            if session.exec(select(Directive).where(Directive.number == directive)).first() is None:
                import difflib

                known = list(session.exec(select(Directive.number)).all())
                close = difflib.get_close_matches(directive, known, n=3, cutoff=0.5)
                fail(_("--directive {value!r}: no such directive.", value=directive)
                     + (" " + _("Did you mean: {names}?", names=", ".join(close)) if close else ""))
        try:
            report = build_report(session, settings=s, calendar=calendar(), period=the_period, today=today,
                                  agencies=codes, directive=directive)
        except ReportTooLarge as e:  # past REPORT_MAX_YEARS / REPORT_MAX_OCCURRENCES: what to narrow
            fail(str(e))
    if output is not None:
        suffix = output.suffix.lower()
        if suffix == ".xlsx":
            from reports.xlsx import report_xlsx

            data = report_xlsx(report, lang=lang)
        elif suffix == ".docx":
            from reports.docx import report_docx

            data = report_docx(report, lang=lang, issuer=issuer)
        else:
            from reports.chart import report_chart

            data = report_chart(report, lang=lang)
        try:
            write_atomically(output, data)
        except OSError as e:
            fail(f"{output}: {e.strerror or e}")
        typer.echo(_("Wrote {file}: {n} tasks in {period}.", file=str(output), n=report.totals.total,
                     period=report.period.name(lang)), err=as_json)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif output is None:
        _print_table(report, lang)


def register(app: typer.Typer) -> None:
    app.command("report", help=N_("The four groups per agency and the overdue list for a period; --json, or "
                "-o report.xlsx | report.docx | report.png."))(report_cmd)
