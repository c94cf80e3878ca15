"""`dondoc deadline "TEXT" [--issued YYYY-MM-DD]`: how dondoc reads one deadline, as JSON.

Other tools rely on the output (issue 3): one JSON object on stdout and exit 0, or — text it cannot
read — nothing on stdout, a one-line reason on stderr and exit 2.
"""

from __future__ import annotations

import json
from datetime import date

import typer

from core.i18n import N_, _, use_language
from core.deadline import Deadline, DeadlineError, parse_deadline
from core.workdays import HolidayFileError, WorkCalendar


def deadline_json(d: Deadline, issued: date, calendar: WorkCalendar, shift: bool) -> dict:
    """The contract's object: kind, due / effective_due (once), next, rrule (+ rrules when several), matched."""
    out: dict = {"kind": d.kind}
    if d.kind == "once":
        out["due"] = d.due.isoformat()
        out["effective_due"] = calendar.effective_due(d.due, shift=shift).isoformat()
        out["next"] = [d.due.isoformat()]
    elif d.kind == "recurring":
        out["next"] = [x.isoformat() for x in d.next_dues(issued, 3)]
        out["rrule"] = d.rrule
        if d.rrules:  # several schedules in one duty: every rule; `next` is their merged due dates
            out["rrules"] = list(d.rrules)
    else:
        out["next"] = []
    out["matched"] = d.matched
    return out


def register(app: typer.Typer) -> None:
    @app.command("deadline", help=N_('Read one deadline and print it as JSON (kind, due, effective_due, next, rrule, '
                                     'matched).'))
    def deadline(
        text: str = typer.Argument(..., metavar="TEXT", help=N_('The deadline as written, e.g. "trước ngày 14/6/2018" '
                                                                'or "Quý III/2013".')),
        issued: str = typer.Option(
            None, "--issued", metavar="DATE",
            help=N_("The directive's issue date, dd/mm/yyyy or YYYY-MM-DD (year-less dates and relative periods "
                 "count from it). Default: today in TIMEZONE."),
        ),
    ) -> None:
        from dondoc.cli import common

        settings = common.settings()
        if issued is None:
            from core.clock import local_today

            issued_on = local_today(common.clock(), settings.timezone)
        else:  # every command takes dd/mm/yyyy and YYYY-MM-DD alike, within the grammar's years
            from dondoc.cli.registry import parse_cli_date

            issued_on = parse_cli_date("--issued", issued)
        try:
            calendar = WorkCalendar.from_file(settings.holidays_file)
        except HolidayFileError as e:
            common.fail(f"HOLIDAYS_FILE: {e}", code=1)
        try:
            with use_language(settings.language):  # the reason is for a person: LANGUAGE (vi by default)
                d = parse_deadline(text, issued_on, calendar)
        except DeadlineError as e:
            common.fail(" ".join(str(e).split()))  # one line, whatever the text held
        typer.echo(json.dumps(deadline_json(d, issued_on, calendar, settings.deadline_shift_to_workday),
                              ensure_ascii=False))
