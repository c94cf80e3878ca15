"""`dondoc people list|add|edit|deactivate`, `dondoc departments list|add|import` and `dondoc assign`: the
people below an agency, its departments, and handing a task to them (storage.people, storage.delegation).
Every change is audited with the login name and source "cli"."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import List, Optional

import typer

from core.i18n import N_, _, format_date
from dondoc.cli.actions import actor, authorise, find_task, occurrence_key
from dondoc.cli.common import clock, engine, fail, one_agency, settings
from dondoc.cli.report import parse_cli_date, speaks

people_app = typer.Typer(help=N_("People of an agency (officers, department heads, leaders) and their channels."),
                         no_args_is_help=True)
departments_app = typer.Typer(help=N_("An agency's departments."), no_args_is_help=True)


def people_error(e) -> str:
    """A storage.people.PeopleError or storage.delegation.DelegationError in the user's language."""
    i = e.info
    texts = {
        "empty_name": lambda: _("A person needs a name."),
        "empty_department": lambda: _("A department needs a name."),
        "too_long": lambda: _("{field}: longer than 300 characters.", field=i.get("field")),
        "unknown_department": lambda: _("--department {name!r}: {agency} has no such department. Known: {known}. "
                                        "(`dondoc departments add` adds one.)", name=i.get("department"),
                                        agency=i.get("agency"), known=", ".join(i.get("known") or []) or "—"),
        "bad_value": lambda: _("--{field} {value!r}: not a valid value.", field=i.get("field"), value=i.get("value")),
        "bad_channel": lambda: _("--order: unknown channel {value!r}; accepted: {known}.", value=i.get("value"),
                                 known=", ".join(i.get("known") or [])),
        "head_without_department": lambda: _("--head: a department head needs a --department."),
        "channel_taken": lambda: _("--{channel} {user}: already the channel of {name}.", channel=i.get("channel"),
                                   user=i.get("user"), name=i.get("name")),
        "inactive": lambda: _("{name} was deactivated.", name=i.get("name")),
        "bad_line": lambda: _("line {line}: expected 'agency; department', found {text!r}.", line=i.get("line"),
                              text=i.get("text")),
        "bad_role": lambda: _("--role {role!r}: accepted: {known}.", role=i.get("role"),
                              known=", ".join(i.get("known") or [])),
        "not_on_task": lambda: _("{agency} neither leads nor coordinates this task.", agency=i.get("agency")),
        "not_your_agency": lambda: _("Only the lead agency's focal point or leader hands this task on; a "
                                     "coordinating agency hands on only its own part."),
        "oversight_does_not_delegate": lambda: _("The oversight body follows the task; the lead agency hands "
                                                 "it on."),
        "no_target": lambda: _("--to: name a person or a department of the lead agency."),
        "after_agency_due": lambda: _("--due {due}: after the agency's deadline {agency_due}; the internal "
                                      "deadline is on or before it.", due=format_date(i.get("due")),
                                      agency_due=format_date(i.get("agency_due"))),
        "due_in_past": lambda: _("--due {due}: in the past.", due=format_date(i.get("due"))),
        "no_part": lambda: _("{agency} has no open part of this task.", agency=i.get("agency")),
    }
    make = texts.get(e.code)
    return make() if make else _("Cannot do that: {reason}.", reason=str(e))


def _write(do):
    """Run `do(session, now)` in one transaction; a refusal exits 2 with nothing written."""
    from storage.db import session_scope
    from storage.delegation import DelegationError
    from storage.people import PeopleError

    try:
        with session_scope(engine()) as session:
            return do(session, clock().now())
    except (PeopleError, DelegationError) as e:
        fail(people_error(e))


def _changes(**kw):
    from storage.people import Changes

    order = kw.pop("order")
    return Changes(**kw, order=tuple(x.strip() for x in order.split(",") if x.strip()) if order is not None else None)


def _one_person(session, text: str, agency: str | None = None):
    from storage.people import find_people

    found = find_people(session, text, agency=agency)
    if not found:
        fail(_("Unknown person {name!r}. (`dondoc people list` lists them.)", name=text))
    if len(found) > 1:
        fail(_("{name!r} names {n} people ({ids}); give their number, e.g. #{first}.", name=text, n=len(found),
               ids=", ".join(f"#{p.id} {p.agency}" for p in found), first=found[0].id))
    authorise("people")  # keeping an agency's people: the one rule (core/authority.py)
    return found[0]


def _describe(session, p) -> str:
    from storage.people import channels_of, department_name

    dep = department_name(session, p.department_id)
    parts = [f"#{p.id}", p.name, p.agency]
    if dep:
        parts.append(dep + (" (" + _("head") + ")" if p.is_head else ""))
    if p.position:
        parts.append(p.position)
    if p.is_leader:
        parts.append(_("leader"))
    chans = [f"{c}:{a}" for c, a in channels_of(p)]
    if p.email and p.email_confirmed_at is None:
        chans.append(_("email:{address} (awaiting confirmation)", address=p.email))
    if p.phone:
        chans.append(_("phone:{number}", number=p.phone))
    parts.append(", ".join(chans) or _("no channel"))
    if not p.active:
        parts.append(_("deactivated"))
    return " · ".join(parts)


@speaks
def people_list(agency: Optional[str] = typer.Option(None, "--agency", help=N_("Only this agency's people.")),
                all_: bool = typer.Option(False, "--all", help=N_("Deactivated people too."))) -> None:
    """List people and the channels each can be reached on."""
    from sqlmodel import Session

    from storage.people import people

    with Session(engine()) as s:
        code = one_agency(agency, why=_("people belong to one agency"), session=s) if agency else None
        rows = people(s, code, include_inactive=all_)
        for p in rows:
            typer.echo(_describe(s, p))
        if not rows:
            typer.echo(_("No people yet. `dondoc people add NAME --agency AGENCY` adds one."))


_ORDER_HELP = N_("The order channels are tried in, e.g. zalo,email (default zalo,telegram,email).")


@speaks
def people_add(
    name: str = typer.Argument(..., help=N_("The person's full name.")),
    agency: str = typer.Option(..., "--agency", help=N_("Their agency (name, abbreviation or code).")),
    department: Optional[str] = typer.Option(None, "--department", help=N_("Their department in that agency.")),
    position: Optional[str] = typer.Option(None, "--position", help=N_("Their position, e.g. Chuyên viên.")),
    zalo: Optional[str] = typer.Option(None, "--zalo", help=N_("Their Zalo user id (for the Zalo bot).")),
    telegram: Optional[str] = typer.Option(None, "--telegram", help=N_("Their Telegram user id.")),
    email: Optional[str] = typer.Option(None, "--email", help=N_("Their e-mail address (used once confirmed).")),
    phone: Optional[str] = typer.Option(None, "--phone", help=N_("Their phone number (kept for later use).")),
    head: bool = typer.Option(False, "--head", help=N_("The department's head: the rung above its officers.")),
    leader: bool = typer.Option(False, "--leader", help=N_("One of the agency's leaders.")),
    order: Optional[str] = typer.Option(None, "--order", help=_ORDER_HELP),
) -> None:
    """Add a person to an agency."""
    from storage.people import add_person

    _needs_smtp(email)
    def do(s, now):
        code = one_agency(agency, why=_("a person belongs to one agency"), session=s)
        authorise("people")
        p = add_person(s, name, code, _changes(department=department, position=position, zalo=zalo,
                                               telegram=telegram, email=email, phone=phone, head=head or None,
                                               leader=leader or None, order=order),
                       actor=actor().name, source="cli", now=now)
        return _describe(s, p), p.id

    text, pid = _write(do)
    typer.echo(_("Added: {person}", person=text))
    if email:
        _send_person_confirmation(pid)


@speaks
def people_edit(
    person: str = typer.Argument(..., help=N_("The person: their number (#12) or name.")),
    name: Optional[str] = typer.Option(None, "--name", help=N_("A new name.")),
    department: Optional[str] = typer.Option(None, "--department", help=N_("Their department (\"\" for none).")),
    position: Optional[str] = typer.Option(None, "--position", help=N_("Their position (\"\" for none).")),
    zalo: Optional[str] = typer.Option(None, "--zalo", help=N_("Their Zalo user id (\"\" removes it).")),
    telegram: Optional[str] = typer.Option(None, "--telegram", help=N_("Their Telegram user id (\"\" removes it).")),
    email: Optional[str] = typer.Option(None, "--email", help=N_("Their e-mail address (\"\" removes it).")),
    phone: Optional[str] = typer.Option(None, "--phone", help=N_("Their phone number (\"\" removes it).")),
    head: Optional[bool] = typer.Option(None, "--head/--not-head", help=N_("The department's head, or not.")),
    leader: Optional[bool] = typer.Option(None, "--leader/--not-leader", help=N_("An agency leader, or not.")),
    order: Optional[str] = typer.Option(None, "--order", help=_ORDER_HELP),
) -> None:
    """Change a person's details or channels."""
    from storage.people import edit_person

    _needs_smtp(email)
    def do(s, now):
        p = _one_person(s, person)
        changed = edit_person(s, p, _changes(name=name, department=department, position=position, zalo=zalo,
                                             telegram=telegram, email=email, phone=phone, head=head, leader=leader,
                                             order=order), actor=actor().name, source="cli", now=now)
        return changed, _describe(s, p), p.id

    changed, text, pid = _write(do)
    typer.echo(_("Changed: {person}", person=text) if changed else _("Nothing to change: {person}", person=text))
    if email:  # a new address, or the same one again: a fresh confirmation link if it still waits
        _send_person_confirmation(pid)


def _send_person_confirmation(person_id: int) -> None:
    """After the commit: the confirmation e-mail of a person's address that waits for it (double opt-in). A
    failed send leaves the address waiting; the same command sends a fresh link."""
    import asyncio

    from sqlmodel import Session

    from bot.person_messages import confirmation_text, person_confirm_url
    from dondoc.cli.common import agency_directory
    from storage.people import Person

    with Session(engine()) as s:
        p = s.get(Person, person_id)
        if p is None or not p.email or p.email_confirmed_at is not None:
            return
        email, name, agency, lang = p.email, p.name, p.agency, p.language or settings().language
    st = settings()
    url = person_confirm_url(st, person_id, email, now=clock().now().timestamp())
    text = confirmation_text(st, name, email, agency_directory().name(agency), url, lang)
    try:
        asyncio.run(_channel(st).send(email, text, key=f"pconfirm|{person_id}|{url}"))
    except Exception as e:  # noqa: BLE001 - the address stays waiting; the administrator can send again
        fail(_("The confirmation e-mail to {address} could not be sent ({error}); the address waits. Fix the SMTP "
               "settings and give the same --email again.", address=email, error=e))
    typer.echo(_("Sent a confirmation link to {address}: it receives messages once it confirms.", address=email))


def _needs_smtp(email: str | None) -> None:
    """An address is confirmed by e-mail (double opt-in): without a mail server, refuse before writing."""
    if email and email.strip() and not settings().smtp_host:
        fail(_("--email: e-mail needs SMTP_HOST (and MAIL_FROM) in the settings: see .env.example."))


def _channel(st):
    from bot.email import EmailChannel

    return EmailChannel(st)


@speaks
def people_deactivate(
    person: str = typer.Argument(..., help=N_("The person: their number (#12) or name.")),
    reason: Optional[str] = typer.Option(None, "--reason", help=N_("Why (kept in the audit log).")),
) -> None:
    """Deactivate a person: nothing is sent to them any more; their history stays."""
    from storage.people import deactivate_person

    def do(s, now):
        p = _one_person(s, person)
        return deactivate_person(s, p, actor=actor().name, source="cli", now=now, reason=reason), p.name

    done, name = _write(do)
    typer.echo(_("Deactivated {name}.", name=name) if done else _("{name} was already deactivated.", name=name))


@speaks
def people_invite(
    person: str = typer.Argument(..., help=N_("The person: their number (#12) or name.")),
    expires: str = typer.Option("7d", "--expires", help=N_("How long the code works, e.g. 7d, 12h.")),
) -> None:
    """Make a one-time code a person sends to the bot in a private chat on Zalo or Telegram to link it."""
    import secrets

    from bot.invites import hash_code, parse_duration
    from storage.person_links import create_person_invite

    try:
        delta = parse_duration(expires)
    except ValueError as e:
        fail(f"--expires: {e}")
    code = secrets.token_urlsafe(15)  # 120 bits, shown once, stored hashed

    def do(s, now):
        p = _one_person(s, person)
        row = create_person_invite(s, p, hash_code(code), actor=actor().name, source="cli", now=now,
                                   expires_at=now + delta)
        return p.name, row.expires_at

    name, until = _write(do)
    when = until.astimezone(settings().timezone)
    typer.echo(_("Invite code for {name} (once, until {time} {date}): {code}\nThey send it to the dondoc bot in a "
                 "private chat on Zalo or Telegram; that chat becomes theirs.", name=name, time=when.strftime("%H:%M"),
                 date=format_date(when.date()), code=code))


@speaks
def departments_list(agency: Optional[str] = typer.Option(None, "--agency", help=N_("Only this agency's."))) -> None:
    """List the departments of each agency."""
    from sqlmodel import Session

    from storage.people import departments

    with Session(engine()) as s:
        code = one_agency(agency, why=_("departments belong to one agency"), session=s) if agency else None
        rows = departments(s, code)
        for d in rows:
            typer.echo(f"{d.agency}: {d.name}")
        if not rows:
            typer.echo(_("No departments yet."))


@speaks
def departments_add(
    agency: str = typer.Argument(..., help=N_("The agency (name, abbreviation or code).")),
    names: List[str] = typer.Argument(..., help=N_("One or more department names.")),
) -> None:
    """Add departments to an agency."""
    from storage.people import add_department

    def do(s, now):
        code = one_agency(agency, why=_("a department belongs to one agency"), session=s)
        return [add_department(s, code, n, actor=actor().name, source="cli", now=now).name for n in names]

    for n in _write(do):
        typer.echo(n)


@speaks
def departments_import(path: Path = typer.Argument(..., help=N_("A text file, one 'agency; department' a line."))) -> None:
    """Add the departments a file lists (all or none: a bad line changes nothing)."""
    from storage.people import add_department, read_departments_file

    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeError) as e:
        fail(_("Cannot read {path}: {reason}", path=path, reason=e))

    def do(s, now):
        from storage.people import PeopleError

        rows = read_departments_file(lines)
        made = []
        for n, agency_text, name in rows:
            try:
                code = one_agency(agency_text, why=_("a department belongs to one agency"), session=s)
            except typer.Exit:
                raise PeopleError("bad_line", "unknown agency", line=n, text=agency_text) from None
            made.append(add_department(s, code, name, actor=actor().name, source="cli", now=now))
        return len(made)

    n = _write(do)
    typer.echo(_("{path}: {n} departments.", path=path.name, n=n))


@speaks
def assign_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    to: str = typer.Option(..., "--to", help=N_("A person (#12 or name), a department, or a coordinating agency "
                                                "(its part).")),
    period: Optional[str] = typer.Option(None, "--period", help=N_("One period of a recurring task (its due date); "
                                                                   "default: every period.")),
    due: Optional[str] = typer.Option(None, "--due", help=N_("The internal deadline, dd/mm/yyyy, on or before the "
                                                             "agency's.")),
    role: str = typer.Option("chu-tri", "--role", help=N_("chu-tri (leads), phoi-hop (contributes) or theo-doi "
                                                          "(kept informed).")),
) -> None:
    """Hand a task, or one period of it, to a person or department (or give a coordinating agency its part)."""
    from core.clock import local_today
    from storage import delegation
    from storage.actions import deadline_in_force
    from storage.people import find_department, find_people
    from storage.tables import Occurrence

    internal = parse_cli_date(due, "--due") if due is not None else None

    def do(s, now):
        today = local_today(clock(), settings().timezone)
        task = find_task(s, key)
        occ = occurrence_key(s, task, period, today) if period is not None else None
        if occ is None and internal is not None and task.deadline_kind == "recurring":
            fail(_("--due: task {key} recurs; name the period it is for with --period.", key=task.key))
        target = _target(s, task, to, find_people, find_department)
        authorise("delegate", task)  # the one rule (core/authority.py), for the terminal's operator too
        agency_due = None
        if target.agency == task.lead_agency:
            key_ = occ or ("once" if task.deadline_kind == "once" else None)
            if key_ is not None:
                row = s.exec(_occ_query(Occurrence, task.id, key_)).first()
                agency_due = deadline_in_force(task, row, key_)
        row = delegation.assign(s, task, target, occurrence=occ, due=internal, agency_due=agency_due, role=role,
                                actor=actor().name, source="cli", now=now)
        who = target.person.name if target.person else (target.department.name if target.department else target.agency)
        return task.key, who, row.due

    k, who, d = _write(do)
    typer.echo(_("Assigned {key} to {who}", key=k, who=who)
               + (" " + _("(internal deadline {date})", date=format_date(d)) if d else "") + ".")


@speaks
def remind_cmd(
    key: str = typer.Argument(..., help=N_("The task's key.")),
    occurrence: Optional[str] = typer.Option(None, "--occurrence", help=N_("A recurring task's period (its due "
                                                                           "date); default: the current one.")),
) -> None:
    """Send one reminder about a task now: to the person it was handed to, else to the agency's focal chats."""
    from core.clock import local_today
    from core.workdays import WorkCalendar
    from jobs.policy import Policy
    from jobs.remind_now import RemindRefused, remind_now
    from storage.actions import deadline_in_force
    from storage.db import session_scope
    from storage.tables import Occurrence

    today = local_today(clock(), settings().timezone)
    try:
        with session_scope(engine()) as s:
            task = find_task(s, key)
            authorise("remind", task)
            occ = occurrence_key(s, task, occurrence, today)
            row = s.exec(_occ_query(Occurrence, task.id, occ)).first()
            due = deadline_in_force(task, row, occ)
            done = remind_now(s, task, occ, policy=Policy.from_settings(settings()),
                              calendar=WorkCalendar.from_file(settings().holidays_file), actor=actor().name,
                              actor_id=None, source="cli", now=clock().now(),
                              effective_due=due.isoformat() if due else None)
    except RemindRefused as e:
        fail(e.words(key))
    when = done.at.astimezone(settings().timezone)
    typer.echo(_("Reminder about {key} to {who} at {time} {date}.", key=key, who=done.person or ", ".join(done.chats),
                 time=when.strftime("%H:%M"), date=format_date(when.date())))


@speaks
def assignments_cmd(key: str = typer.Argument(..., help=N_("The task's key."))) -> None:
    """The lead's view of a task: to whom it was handed within the agency, and the coordinating agencies'
    parts with their own deadlines and state."""
    from sqlmodel import Session

    from core.clock import local_today
    from storage import delegation
    from storage.people import Person, department_name

    today = local_today(clock(), settings().timezone)
    roles = {"chu-tri": _("leads"), "phoi-hop": _("contributes"), "theo-doi": _("follows")}
    states = {"open": _("open"), "done": _("done"), "overdue": _("overdue")}
    with Session(engine()) as s:
        task = find_task(s, key)
        rows = delegation.current(s, task.id)
        own = [a for a in rows if a.agency == task.lead_agency]
        typer.echo(_("{key} — led by {agency}", key=task.key, agency=task.lead_agency))
        for a in own:
            p = s.get(Person, a.person_id) if a.person_id else None
            who = ", ".join(x for x in (p.name if p else None, department_name(s, a.department_id)) if x)
            extra = [roles.get(a.role, a.role)]
            if a.occurrence:
                extra.append(_("period {date}", date=format_date(date.fromisoformat(a.occurrence))))
            if a.due:
                extra.append(_("internal deadline {date}", date=format_date(a.due)))
            if a.acknowledged_at:
                extra.append(_("received"))
            typer.echo(f"  • {who} ({'; '.join(extra)})")
        if not own:
            typer.echo("  " + _("Not handed to anyone in the agency."))
        parts = delegation.parts_of(s, task, today)
        if parts:
            typer.echo(_("Coordinating agencies' parts:"))
        for part in parts:
            who = ", ".join(x for x in (part.person, part.department) if x)
            due = _("due {date}", date=format_date(part.due)) if part.due else _("no deadline of its own")
            typer.echo(f"  • {part.agency}{' — ' + who if who else ''}: {due}, {states.get(part.state, part.state)}")


def _occ_query(Occurrence, task_id, key_):
    from sqlmodel import select

    return select(Occurrence).where(Occurrence.task_id == task_id, Occurrence.key == key_)


def _target(s, task, text, find_people, find_department):
    from storage.delegation import Target

    agencies = [task.lead_agency, *[c for c in (task.coordinators or ()) if c != task.lead_agency]]
    found = [p for a in agencies for p in find_people(s, text, agency=a)]
    if len(found) > 1:
        fail(_("{name!r} names {n} people ({ids}); give their number, e.g. #{first}.", name=text, n=len(found),
               ids=", ".join(f"#{p.id} {p.agency}" for p in found), first=found[0].id))
    if found:
        return Target(found[0].agency, person=found[0])
    for a in agencies:
        d = find_department(s, a, text)
        if d is not None:
            return Target(a, department=d)
    from storage.agencies import UnknownAgency

    from dondoc.cli.common import agency_directory

    try:
        codes = agency_directory(s).match(text).codes
    except (UnknownAgency, ValueError):
        codes = []
    if len(codes) == 1 and codes[0] in agencies:
        return Target(codes[0])
    fail(_("--to {name!r}: no person or department of {agencies} by that name, nor an agency on this task.",
           name=text, agencies=", ".join(agencies)))


def register(app: typer.Typer) -> None:
    people_app.command("list", help=N_("List people and the channels each can be reached on."))(people_list)
    people_app.command("add", help=N_("Add a person to an agency."))(people_add)
    people_app.command("edit", help=N_("Change a person's details or channels."))(people_edit)
    people_app.command("invite", help=N_("Make a one-time code that links a person's own Zalo or Telegram chat."))(
        people_invite)
    people_app.command("deactivate", help=N_("Deactivate a person: nothing is sent to them any more; their history "
                                             "stays."))(people_deactivate)
    departments_app.command("list", help=N_("List the departments of each agency."))(departments_list)
    departments_app.command("add", help=N_("Add departments to an agency."))(departments_add)
    departments_app.command("import", help=N_("Add the departments a file lists (all or none: a bad line changes "
                                              "nothing)."))(departments_import)
    app.add_typer(people_app, name="people")
    app.add_typer(departments_app, name="departments")
    app.command("remind", help=N_("Send one reminder about a task now (audited, within the daily budget)."))(
        remind_cmd)
    app.command("assignments", help=N_("To whom a task was handed, and its coordinating agencies' parts."))(
        assignments_cmd)
    app.command("assign", help=N_("Hand a task, or one period of it, to a person or department with an internal "
                                  "deadline."))(assign_cmd)
