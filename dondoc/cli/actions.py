"""`dondoc done | progress | extend | decide | confirm | extensions`: what a person does to a task, from the
server's terminal — through `storage.actions`, the same functions the bot and the web console use, each
audited with the login name and source "cli". The scheduler's next tick re-plans the task (no reminder after
done; fresh ones after an approved extension).

A command names a task by its key; for recurring work it acts on the current period (the earliest of the
last year not done yet) unless `--occurrence DATE` names one.
"""

from __future__ import annotations

import contextlib
import difflib
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from dondoc.cli.common import actor, clock, engine, fail, settings
from dondoc.cli.report import parse_cli_date, speaks
from core.i18n import N_, _, format_date
from core.terminal import printable

DECISIONS = ("approve", "reject")


def authorise(action: str, task=None) -> None:
    """The one rule of who may do what (core/authority.py), asked for the terminal's operator too, so that a
    change of the rule reaches every surface."""
    from core import authority

    why = authority.refusal(authority.OPERATOR, authority.Action(action),
                            lead=task.lead_agency if task is not None else None)
    if why is not None:  # pragma: no cover - the operator holds the database; kept for a stricter rule
        fail(_("Not allowed from the terminal ({reason}).", reason=why.code))


def find_task(session, key: str):
    """The task with this key (exact, else the only one differing in case); exit 2 with the closest keys."""
    from sqlmodel import select

    from storage.tables import Task

    live = Task.removed_at.is_(None)  # type: ignore[union-attr]
    task = session.exec(select(Task).where(Task.key == key.strip(), live)).first()
    if task is not None:
        return task
    keys = list(session.exec(select(Task.key).where(live)).all())
    folded = [k for k in keys if k.lower() == key.strip().lower()]
    if len(folded) == 1:
        return session.exec(select(Task).where(Task.key == folded[0])).first()
    low = {k.lower(): k for k in keys}
    close = [low[k] for k in difflib.get_close_matches(key.strip().lower(), list(low), n=3, cutoff=0.6)]
    hint = (" " + _("Did you mean: {names}?", names=", ".join(close))) if close else ""
    fail(_("Unknown task {key!r}.", key=key) + hint + " " + _("(`dondoc tasks` lists them.)"))


def occurrence_key(session, task, when: Optional[str], today: date) -> str:
    """--occurrence DATE (a due date of a recurring task), else the current one."""
    from core.deadline import Deadline
    from storage.actions import ActionError, current_occurrence

    if when is None:
        try:
            return current_occurrence(session, task, today)
        except ActionError as e:
            fail(error_text(e, task.key))
    if task.deadline_kind != "recurring":
        fail(_("--period: task {key} has one deadline ({deadline}); leave --period out.", key=task.key,
               deadline=task.deadline_text))
    due = parse_cli_date(when, "--period")
    deadline = Deadline.from_dict(task.deadline)
    if not deadline.occurrences(due, due):
        near = deadline.occurrences(date(due.year - 1, due.month, 1), date(due.year + 1, due.month, 28))
        near = sorted(near, key=lambda d: abs((d - due).days))[:3]
        fail(_("--period {date}: task {key} ({deadline}) is not due that day.", date=format_date(due),
               key=task.key, deadline=task.deadline_text)
             + (" " + _("Due dates near it: {dates}.", dates=", ".join(format_date(d) for d in sorted(near)))
                if near else ""))
    return due.isoformat()


def period_suffix(task, key: str) -> str:
    return "" if key in ("once", "continuous") else " " + _("(period due {date})", date=format_date(date.fromisoformat(key)))


def error_text(e, key: str) -> str:
    """An ActionError (storage.actions) about task `key`, in the user's language."""
    info = e.info
    texts = {
        "bad_percent": lambda: _("The percent must be a whole number from 0 to 100."),
        "empty_progress": lambda: _("A progress report needs a percent or a note."),
        "already_done": lambda: _("Task {key} is already marked done.", key=key),
        "already_pending": lambda: _("Task {key} is already awaiting confirmation.", key=key),
        "not_pending": lambda: _("Task {key} is not awaiting confirmation.", key=key),
        "no_reason": lambda: _("An extension request needs a reason."),
        "no_deadline": lambda: _("Task {key} has no deadline to extend.", key=key),
        "date_not_later": lambda: _("The new date must be after the deadline in force ({date}).",
                                    date=format_date(info.get("current"))),
        "date_in_past": lambda: _("The new date is in the past (today is {date}).", date=format_date(info.get("today"))),
        "extension_pending": lambda: _("An extension to {date} is already awaiting a decision (number {id}).",
                                       date=format_date(info["extension"].requested_due), id=info["extension"].id),
        "already_decided": lambda: _("This request was already decided: {decision} by {who}.",
                                     decision=decision_label(info.get("decision")), who=info.get("by") or "—"),
        "removed": lambda: _("Task {key} was removed from the registry.", key=key),
        "done_in_future": lambda: _("--on {date}: the work cannot be done after today ({today}).",
                                    date=format_date(info.get("on")), today=format_date(info.get("today"))),
        "done_before_assigned": lambda: _("--on {date}: that is before the task was given ({first}).",
                                          date=format_date(info.get("on")), first=format_date(info.get("first"))),
        "document_in_future": lambda: _("--document-date {date}: that is after today ({today}).",
                                        date=format_date(info.get("on")), today=format_date(info.get("today"))),
        "document_too_long": lambda: _("--document: a document number has at most 120 characters."),
        "no_return_reason": lambda: _("--reason: say why the completion is returned."),
        "not_done": lambda: _("Task {key} is not reported done: there is nothing to return.", key=key),
    }
    make = texts.get(e.code)
    return make() if make else _("Cannot do that: {reason}.", reason=str(e))


def decision_label(decision: str | None) -> str:
    return {"approved": _("approved"), "rejected": _("rejected")}.get(decision or "", _("pending"))


def _act(do):
    """Run `do(session, now, today)` in one transaction; an ActionError exits 2 with nothing written."""
    from core.clock import local_today
    from storage.actions import ActionError
    from storage.db import session_scope

    now = clock().now()
    today = local_today(clock(), settings().timezone)
    try:
        with session_scope(engine()) as session:
            return do(session, now, today)
    except ActionError as e:
        fail(error_text(e, getattr(e, "task_key", "?")))


@contextlib.contextmanager
def _raise_for(task):
    """Name the task in an ActionError raised inside, for its text."""
    from storage.actions import ActionError

    try:
        yield
    except ActionError as e:
        e.task_key = task.key
        raise


PERIOD_HELP = N_("A recurring task's period: its due date (dd/mm/yyyy); default: the current period — the open "
                  "one whose deadline is the nearest not yet passed, else the latest passed one still open.")


@speaks
def done_cmd(
    key: str = typer.Argument(..., help=N_("The task's key, e.g. 5099-3.")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("A note or a link to the result.")),
    occurrence: Optional[str] = typer.Option(None, "--period", "--occurrence", help=PERIOD_HELP),
    on: Optional[str] = typer.Option(None, "--on", help=N_("The day the work was done, dd/mm/yyyy (default: today; "
                                     "not after today nor before the task was given).")),
    document: Optional[str] = typer.Option(None, "--document", help=N_('The report document\'s number, e.g. '
                                           '"123/BC-SNV".')),
    document_date: Optional[str] = typer.Option(None, "--document-date", help=N_("The report document's date, "
                                                "dd/mm/yyyy.")),
    files: Optional[list[Path]] = typer.Option(None, "--file", help=N_("A file kept as evidence (may be given "
                                               "several times); EVIDENCE_TYPES, at most EVIDENCE_MAX_MB.")),
    as_name: Optional[str] = typer.Option(None, "--as", help=N_("Your name, recorded with the action (default: "
                                          "DONDOC_ACTOR).")),
) -> None:
    """Mark a task done: on a day (default today), with its report document, files and a note. Judged on time
    against the deadline in force."""
    from storage import completion
    from storage.evidence import EvidenceStore

    day = parse_cli_date(on, "--on") if on else None
    doc_day = parse_cli_date(document_date, "--document-date") if document_date else None
    attachments = []
    store = EvidenceStore.from_settings(settings())
    for path in files or ():
        try:
            data = path.read_bytes()
        except OSError as e:
            fail(_("--file {path}: cannot read it ({reason}).", path=path, reason=e.strerror or e))
        try:
            store.check(path.name, len(data))
        except ValueError as e:
            fail(_("--file: {problem}.", problem=e))
        attachments.append(completion.Attachment(path.name, data))

    def do(session, now, today):
        task = find_task(session, key)
        occ = occurrence_key(session, task, occurrence, today)
        with _raise_for(task):
            authorise('done', task)
            row = completion.report_completion(session, task, occ, actor(as_name), now, on=day, document=document,
                                               document_date=doc_day, note=note, files=attachments, store=store,
                                               tz=settings().timezone)
        return task.key + period_suffix(task, occ), row.completed_on

    what, on_day = _act(do)
    typer.echo(_("Marked {key} done on {date}.", key=what, date=format_date(on_day)))
    if document:
        typer.echo(_("Document: {number}", number=document) + (f" ({format_date(doc_day)})" if doc_day else ""))
    for a in attachments:
        typer.echo(_("File kept: {name}", name=a.filename))


@speaks
def progress_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    percent: str = typer.Argument(..., help=N_("How far it is, 0 to 100.")),
    note: Optional[str] = typer.Argument(None, help=N_("What was done (optional).")),
    occurrence: Optional[str] = typer.Option(None, "--period", "--occurrence", help=PERIOD_HELP),
) -> None:
    """Record progress on a task: a percent and an optional note."""
    from storage import actions

    text = percent.strip().rstrip("%").strip()
    if not text.isdigit() or not 0 <= int(text) <= 100:
        fail(_("PERCENT {value!r}: accepted: a whole number from 0 to 100.", value=percent))

    def do(session, now, today):
        task = find_task(session, key)
        occ = occurrence_key(session, task, occurrence, today)
        with _raise_for(task):
            authorise('progress', task)
            actions.record_progress(session, task, occ, int(text), note, actor(), now)
        return task.key + period_suffix(task, occ)

    what = _act(do)
    typer.echo(_("Recorded progress of {percent} percent on {key}.", percent=int(text), key=what))


@speaks
def extend_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    new_date: str = typer.Argument(..., metavar="DATE", help=N_("The new deadline, dd/mm/yyyy or YYYY-MM-DD.")),
    reason: str = typer.Argument(..., help=N_("Why more time is needed.")),
    approve: bool = typer.Option(False, "--approve", help=N_("Approve it at once (the oversight body deciding).")),
    occurrence: Optional[str] = typer.Option(None, "--period", "--occurrence", help=PERIOD_HELP),
) -> None:
    """Ask for more time (xin gia hạn); the request waits for `dondoc decide` unless --approve."""
    from storage import actions

    due = parse_cli_date(new_date, "DATE")
    if not reason.strip():
        fail(_("An extension request needs a reason."))

    def do(session, now, today):
        task = find_task(session, key)
        occ = occurrence_key(session, task, occurrence, today)
        who = actor()
        with _raise_for(task):
            authorise('extend', task)
            ext = actions.request_extension(session, task, occ, due, reason, who, now, tz=settings().timezone)
            if approve:
                actions.decide_extension(session, ext, True, who, now)
        return task.key + period_suffix(task, occ), ext.id, ext.previous_due

    what, ext_id, previous = _act(do)
    if approve:
        typer.echo(_("Extended {key} from {previous} to {date} (request {id}, approved).", key=what,
                     previous=format_date(previous), date=format_date(due), id=ext_id))
    else:
        typer.echo(_("Asked to extend {key} from {previous} to {date}: request {id}. Decide with "
                     "`dondoc decide {id} approve|reject`.", key=what, previous=format_date(previous),
                     date=format_date(due), id=ext_id))


@speaks
def decide_cmd(
    extension_id: int = typer.Argument(..., help=N_("The request's number (`dondoc extensions` lists them).")),
    decision: str = typer.Argument(..., help=N_("approve | reject")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("A note kept with the decision.")),
) -> None:
    """Approve or reject a request for more time."""
    from storage import actions
    from storage.tables import Extension, Task

    d = decision.strip().lower()
    if d not in DECISIONS:
        fail(_("DECISION {value!r}: accepted: approve | reject.", value=decision))

    def do(session, now, today):
        ext = session.get(Extension, extension_id)
        if ext is None:
            fail(_("No extension request number {id} (`dondoc extensions` lists the pending ones).",
                   id=extension_id))
        task = session.get(Task, ext.task_id)
        with _raise_for(task):
            authorise('decide', None)
            actions.decide_extension(session, ext, d == "approve", actor(), now, note=note)
        return task.key + period_suffix(task, ext.occurrence_key), ext.requested_due, ext.previous_due

    what, requested, previous = _act(do)
    if d == "approve":
        typer.echo(_("Approved: {key} is now due {date}.", key=what, date=format_date(requested)))
    else:
        typer.echo(_("Rejected: {key} stays due {date}.", key=what, date=format_date(previous)))


@speaks
def confirm_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    reject: bool = typer.Option(False, "--reject", help=N_("Send it back: not done after all (with --note, the "
                                                           "reason the agency is told).")),
    note: Optional[str] = typer.Option(None, "--note", help=N_("A note kept with the decision.")),
    occurrence: Optional[str] = typer.Option(None, "--period", "--occurrence", help=PERIOD_HELP),
) -> None:
    """Confirm a completion awaiting the oversight body (chờ xác nhận), or send it back with --reject."""
    from sqlmodel import select

    from storage import actions, completion
    from storage.tables import PENDING_CONFIRMATION, Occurrence

    def do(session, now, today):
        task = find_task(session, key)
        if occurrence is None:
            pending = list(session.exec(select(Occurrence).where(Occurrence.task_id == task.id,
                                                                 Occurrence.status == PENDING_CONFIRMATION)
                                        .order_by(Occurrence.key)))
            if not pending:
                fail(_("Task {key} is not awaiting confirmation.", key=task.key))
            if len(pending) > 1:
                fail(_("Task {key} has several periods awaiting confirmation ({dates}); name one with "
                       "--period.", key=task.key, dates=", ".join(format_date(o.due) for o in pending)))
            occ = pending[0].key
        else:
            occ = occurrence_key(session, task, occurrence, today)
        with _raise_for(task):
            authorise('confirm', task)
            if reject:  # a return is made with its reason, told to the agency (as `dondoc return`)
                if not (note or "").strip():
                    fail(_("A completion is sent back with its reason, which the agency is told: add --note "
                           "\"…\" (or use dondoc return {key} --reason \"…\").", key=task.key))
                completion.return_completion(session, task, occ, note, actor(), now)
            else:
                completion.confirm(session, task, occ, actor(), now, note=note)
        return task.key + period_suffix(task, occ)

    what = _act(do)
    typer.echo(_("Sent {key} back: not done.", key=what) if reject else _("Confirmed {key} done.", key=what))


@speaks
def extensions_cmd(
    all_: bool = typer.Option(False, "--all", help=N_("Also the decided requests.")),
) -> None:
    """The requests for more time: number, task, dates, reason, who asked, decision."""
    from sqlmodel import Session, select

    from storage.tables import Extension, Task

    with Session(engine()) as session:
        q = select(Extension, Task).join(Task, Task.id == Extension.task_id).order_by(Extension.id)
        if not all_:
            q = q.where(Extension.decision == "pending")
        rows = list(session.exec(q))
    if not rows:
        typer.echo(_("No extension request.") if all_ else _("No extension request is waiting for a decision."))
        return
    for ext, task in rows:
        typer.echo(_("{id}. {key}{period}: {previous} → {date} — {reason} ({who}); {decision}", id=ext.id,
                     key=task.key, period=period_suffix(task, ext.occurrence_key),
                     previous=format_date(ext.previous_due), date=format_date(ext.requested_due),
                     reason=printable(ext.reason or ""), who=printable(ext.requested_by or ""),
                     decision=decision_label(ext.decision)))


def register(app: typer.Typer) -> None:
    app.command("done", help=N_("Mark a task done."))(done_cmd)
    app.command("progress", help=N_("Record progress on a task: KEY PERCENT [NOTE]."))(progress_cmd)
    app.command("extend", help=N_("Ask for more time on a task: KEY DATE REASON."))(extend_cmd)
    app.command("decide", help=N_(
        "Approve or reject a request for more time: EXTENSION_ID approve|reject."))(decide_cmd)
    app.command("confirm", help=N_("Confirm a completion awaiting the oversight body (or --reject it)."))(confirm_cmd)
    app.command("extensions", help=N_("List the requests for more time waiting for a decision."))(extensions_cmd)
