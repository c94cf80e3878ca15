"""`dondoc history | reassign | handovers`: the record an oversight office signs (docs/record.md).

Who acts from the terminal is a person, not the Unix login: `--as NAME`, else DONDOC_ACTOR, else
"the administrator (command line)".
"""

from __future__ import annotations

import json
from datetime import date
from typing import Optional

import typer

from core.i18n import N_, _, format_date
from dondoc.cli.actions import _act, find_task
from dondoc.cli.common import engine, fail, one_agency, settings
from dondoc.cli.report import parse_cli_date, speaks

AS_OPTION = N_("Your name, recorded with the action (default: DONDOC_ACTOR).")


def cli_actor(as_name: str | None = None):
    """The person acting from the terminal (storage.actions.Actor): --as, DONDOC_ACTOR, or the administrator."""
    from dondoc.cli.actions import actor

    return actor(as_name)


@speaks
def history_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    as_json: bool = typer.Option(False, "--json", help=N_("JSON for other systems.")),
) -> None:
    """Everything that happened to a task, oldest first: when, who, from where, what."""
    from sqlmodel import Session

    from storage.agency_table import agency_names
    from storage.history import source_label, task_history
    from storage.responsibility import history, kind_label

    tz = settings().timezone
    with Session(engine()) as session:
        task = find_task(session, key)
        lines = task_history(session, task)
        spans = history(session, task)
        names = agency_names(session)
    if as_json:
        out = {"task": task.key, "lead_today": task.lead_agency,
               "responsibility": [{"since": s.since.isoformat() if s.since else None, "kind": s.kind, "lead": s.lead,
                                   "lead_name": names.get(s.lead, s.lead), "coordinators": list(s.coordinators),
                                   "reason": s.reason, "actor": s.actor} for s in spans],
               "history": [ln.as_dict(tz) for ln in lines]}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(_("Task {key}", key=task.key))
    typer.echo(_("Responsibility:"))
    for s in spans:
        since = format_date(s.since) if s.since else _("from the assignment")
        typer.echo(f"  {since}: {names.get(s.lead, s.lead)} ({kind_label(s.kind)})"
                   + (f" — {s.reason}" if s.reason and s.kind != "written" else ""))
    typer.echo(_("History:"))
    for ln in lines:
        typer.echo(f"  {ln.at.astimezone(tz):%H:%M %d/%m/%Y}  {ln.actor} ({source_label(ln.source)}): {ln.text}")


@speaks
def reassign_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    to: str = typer.Option(..., "--to", help=N_("The agency that takes the task over (name, abbreviation or code).")),
    reason: str = typer.Option(..., "--reason", help=N_("Why (kept in the task's history).")),
    since: Optional[str] = typer.Option(None, "--from", help=N_(
        "From which day the new agency answers for the work, dd/mm/yyyy (default: today; for an agency that ceased "
        "with no successor, the day after its end). Work due before it stays with who led it then.")),
    correction: bool = typer.Option(False, "--correction", help=N_(
        "The lead was recorded wrongly: the new agency leads from the assignment on.")),
    as_name: Optional[str] = typer.Option(None, "--as", help=AS_OPTION),
) -> None:
    """Give a task to another agency (the oversight body's reassignment), kept in the task's history."""
    from storage import responsibility

    if not reason.strip():
        fail(_("--reason: say why the task is given to another agency."))
    start = parse_cli_date(since, "--from") if since else None
    if correction and start is not None:
        fail(_("--correction applies from the assignment on; leave --from out."))

    def do(session, now, today):
        task = find_task(session, key)
        code = one_agency(to, why=_("a task has one lead agency"), session=session, on=today)
        who = cli_actor(as_name)
        if code == task.lead_agency and not correction:
            fail(_("{agency} already leads task {key}.", agency=to, key=task.key))
        if correction:
            responsibility.correct(session, task, code, reason=reason.strip(), actor=who.name, actor_id=who.id,
                                   source="cli", now=now, today=today)
            return task.key, code, None
        day = start or responsibility.default_reassign_since(session, task, today)
        responsibility.reassign(session, task, code, since=day, reason=reason.strip(), actor=who.name,
                                actor_id=who.id, source="cli", now=now, today=today)
        return task.key, code, day

    key_, code, day = _act(do)
    from sqlmodel import Session

    from storage.agency_table import agency_names

    with Session(engine()) as s:
        name = agency_names(s).get(code, code)
    if day is None:
        typer.echo(_("Corrected: {key} is led by {agency} from its assignment on.", key=key_, agency=name))
    else:
        typer.echo(_("Reassigned: {key} is led by {agency} from {date}.", key=key_, agency=name,
                     date=format_date(day)))


@speaks
def return_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    reason: str = typer.Option(..., "--reason", help=N_("Why the completion is not acceptable (the agency is told).")),
    occurrence: Optional[str] = typer.Option(None, "--period", help=N_(
        "A recurring task's period: its due date (dd/mm/yyyy); default: the latest period reported done.")),
    as_name: Optional[str] = typer.Option(None, "--as", help=AS_OPTION),
) -> None:
    """Return a completion (trả lại): the task is open again, its agency is told why, reports count it not done."""
    from sqlmodel import select

    from dondoc.cli.actions import occurrence_key, period_suffix
    from storage import completion
    from storage.tables import OPEN, Occurrence

    if not reason.strip():
        fail(_("--reason: say why the completion is returned."))

    def do(session, now, today):
        task = find_task(session, key)
        if occurrence is None and task.deadline_kind == "recurring":
            done = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.status != OPEN)
                                .order_by(Occurrence.updated_at.desc(), Occurrence.key.desc())).first()
            if done is None:
                fail(_("Task {key} is not reported done: there is nothing to return.", key=task.key))
            occ = done.key
        else:
            occ = occurrence_key(session, task, occurrence, today)
        from dondoc.cli.actions import _raise_for, authorise

        authorise('confirm', task)  # "xác nhận / trả lại": the one rule (core/authority.py)
        with _raise_for(task):
            completion.return_completion(session, task, occ, reason, cli_actor(as_name), now)
        return task.key + period_suffix(task, occ)

    what = _act(do)
    typer.echo(_("Returned {key}: open again; its agency is told why.", key=what))


@speaks
def orphans_cmd() -> None:
    """Tasks whose lead ceased to exist with no successor and that still have work: give each to another agency
    with `dondoc reassign KEY --to AGENCY --reason …`."""
    from sqlmodel import Session

    from core.clock import local_today
    from dondoc.cli.common import clock
    from storage.agency_table import agency_names
    from storage.responsibility import orphaned_tasks

    with Session(engine()) as session:
        found = orphaned_tasks(session, local_today(clock(), settings().timezone))
        names = agency_names(session)
    if not found:
        typer.echo(_("No task waits to be reassigned."))
        return
    for o in found:
        typer.echo(_("{key}: {agency} ceased to exist on {date} — {content}", key=o.task.key,
                     agency=names.get(o.task.lead_agency, o.task.lead_agency), date=format_date(o.ended),
                     content=o.task.content[:80]))
    typer.echo(_("Give each to another agency: dondoc reassign KEY --to AGENCY --reason TEXT"))


def register(app: typer.Typer) -> None:
    app.command("history", help=N_("A task's history: responsibility over time and every action."))(history_cmd)
    app.command("orphans", help=N_("Tasks whose lead ceased to exist with no successor: to reassign."))(orphans_cmd)
    app.command("return", help=N_("Return a completion that is not acceptable: KEY --reason TEXT."))(return_cmd)
    app.command("reassign", help=N_("Give a task to another agency: KEY --to AGENCY --reason TEXT."))(reassign_cmd)
