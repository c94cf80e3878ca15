"""`dondoc link | unlink | bindings | preview | run`: which chats hear what, what they will hear, and the
service that tells them."""

from __future__ import annotations

import getpass
import re
from datetime import date, datetime, timedelta
from typing import Optional

import typer

from dondoc.cli.common import agency_directory, clock, engine, fail, one_agency, settings

ROLES = ("focal", "manager", "oversight", "leadership")
PLATFORMS = ("telegram", "zalo", "email")
_CHAT_ID = {"telegram": re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}"),
            # Zalo ids are opaque strings; dondoc writes a group as "g:<id>"
            "zalo": re.compile(r"(g:)?[A-Za-z0-9._-]{1,60}")}


def _actor_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "admin"


def _agency(text: str) -> str:
    """One agency code for a name, abbreviation or code; exits 2 with suggestions otherwise."""
    return one_agency(text, why="a chat is linked to one agency at a time")


def _check_role(role: str | None, optional: bool = False) -> str | None:
    if role is None and optional:
        return None
    r = (role or "").strip().lower()
    if r not in ROLES:
        fail(f"--role {role!r}: accepted: {' | '.join(ROLES)}.")
    return r


def _check_chat(platform: str, chat_id: str) -> tuple[str, str]:
    p = platform.strip().lower()
    if p not in PLATFORMS:
        fail(f"--platform {platform!r}: accepted: {' | '.join(PLATFORMS)}.")
    c = chat_id.strip()
    if p == "email":
        from bot.email import valid_address
        from dondoc.i18n import _

        address = valid_address(c)
        if address is None:
            fail(_("ADDRESS '{address}' is not an e-mail address (e.g. someone@snv.example.gov.vn).", address=c))
        return p, address
    if p == "zalo":
        if not _CHAT_ID[p].fullmatch(c):
            from dondoc.i18n import _

            fail(_("CHAT_ID '{chat}' is not a Zalo chat id: the id the bot shows a person who writes to it "
                   "(letters and digits), \"g:<id>\" for a group.", chat=c))
        return p, c
    if not _CHAT_ID[p].fullmatch(c):
        fail(f"CHAT_ID {chat_id!r} is not a Telegram chat id: a number (groups are negative, e.g. -1001234567890) "
             "or a channel's @username.")
    return p, c


def _parse_date(text: str, what: str) -> date:
    s = text.strip()
    from jobs.deadline import MAX_YEAR, MIN_YEAR

    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            d = datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        if MIN_YEAR <= d.year <= MAX_YEAR:  # the registry grammar's years: nothing computed from it overflows
            return d
        break
    fail(f"{what} {text!r}: accepted: a date written dd/mm/yyyy (e.g. 23/05/2018) or YYYY-MM-DD, "
         f"in the years {MIN_YEAR}-{MAX_YEAR}.")


# -- link / unlink / bindings ---------------------------------------------------------------------------------

def link_cmd(
    agency: str = typer.Argument(..., help="Agency name, abbreviation or code (see the agency directory)."),
    chat_id: str = typer.Argument(..., help="Chat id (a Telegram group's id is negative: -100…)."),
    role: str = typer.Option(..., "--role", help="focal | manager | oversight | leadership"),
    platform: str = typer.Option("telegram", "--platform", help="Chat platform."),
    title: Optional[str] = typer.Option(None, "--title", help="What the chat is called, for people reading lists."),
    language: Optional[str] = typer.Option(None, "--language", help="vi | en (default: LANGUAGE)."),
) -> None:
    """Link a chat to an agency in a role: it then hears that agency's reminders (focal), its escalations
    (manager), every agency's escalations and the quarterly summary (oversight, leadership)."""
    from sqlmodel import select

    from jobs.scheduler import invalidate_for_binding
    from storage import audit
    from storage.db import session_scope
    from storage.tables import ChatBinding

    r = _check_role(role)
    p, c = _check_chat(platform, chat_id)
    if language is not None and language not in ("vi", "en"):
        fail(f"--language {language!r}: accepted: vi | en.")
    code = _agency(agency)
    now = clock().now()
    with session_scope(engine()) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.platform == p, ChatBinding.chat_id == c,
                                             ChatBinding.agency == code, ChatBinding.role == r)).first()
        if b is not None and b.active:
            typer.echo(f"{p}:{c} is already linked to {code} as {r}.")
            return
        if p == "email":  # double opt-in: active only once the address confirms (bot.email)
            st = settings()
            if not st.smtp_host:
                from dondoc.i18n import _

                fail(_("E-mail needs SMTP_HOST (and MAIL_FROM) in the settings: see .env.example."))
            b = _link_email(s, b, c, code, r, title, language, now)
            s.flush()
            audit.record(s, at=now, actor=_actor_name(), source="cli", action="binding.invited", entity="binding",
                         entity_key=f"{p}:{c}:{code}:{r}", agency=code, role=r, chat=f"{p}:{c}")
            binding_id, lang = b.id, b.language or st.language
        elif b is None:
            b = ChatBinding(platform=p, chat_id=c, agency=code, role=r, title=title, language=language,
                            created_at=now, updated_at=now)
        else:  # re-linked: like a new link, it starts from now (no history replayed into it)
            b.active, b.disabled_reason, b.created_at, b.updated_at = True, None, now, now
            b.title = title or b.title
            b.language = language or b.language
        if p != "email":
            s.add(b)
            s.flush()
            audit.record(s, at=now, actor=_actor_name(), source="cli", action="binding.linked", entity="binding",
                         entity_key=f"{p}:{c}:{code}:{r}", agency=code, role=r, chat=f"{p}:{c}", title=title)
            n = invalidate_for_binding(s, code, r)
    if p == "email":  # after the commit: a failed send leaves the binding waiting, not lost
        _send_confirmation(st, c, binding_id, lang, agency_directory().name(code))
        return
    from bot.i18n import role_label

    typer.echo(f"Linked {p}:{c} to {agency_directory().name(code)} ({code}) as {r} ({role_label(r)}); "
               f"{n} task(s) will be re-planned on the next tick.")


def _link_email(s, b, address: str, code: str, role: str, title, language, now):
    """An e-mail binding waits, inactive, for its address to confirm (a re-link sends a fresh link)."""
    from bot.email import AWAITING
    from storage.tables import ChatBinding

    if b is None:
        b = ChatBinding(platform="email", chat_id=address, agency=code, role=role, title=title, language=language,
                        created_at=now, updated_at=now)
    b.active, b.disabled_reason, b.updated_at = False, AWAITING, now
    b.title = title or b.title
    b.language = language or b.language
    s.add(b)
    return b


def _send_confirmation(st, address: str, binding_id: int, lang: str, agency_name: str) -> None:
    import asyncio

    from bot.email import EmailChannel, confirm_url
    from dondoc.i18n import _

    url = confirm_url(st, binding_id, now=clock().now().timestamp())
    text = _("dondoc: please confirm your address\n\nAn administrator linked {address} to {agency}. To receive "
             "dondoc's reminders and briefs at this address, open the link below and press “Confirm”:\n{url}\n\n"
             "If you did not expect this, ignore this e-mail: nothing will be sent.", lang=lang, address=address,
             agency=agency_name, url=url)
    try:
        asyncio.run(EmailChannel(st).send(address, text, key=f"confirm|{binding_id}|{url}"))
    except Exception as e:  # noqa: BLE001 - the binding stays awaiting; the administrator can link again
        fail(_("The confirmation e-mail to {address} could not be sent ({error}); the link waits. Fix the SMTP "
               "settings and run the same `dondoc link` again.", lang=lang, address=address, error=e))
    typer.echo(_("Sent a confirmation link to {address}: it receives messages for {agency} once it confirms.",
                 lang=lang, address=address, agency=agency_name))


def unlink_cmd(
    agency: str = typer.Argument(..., help="Agency name, abbreviation or code."),
    chat_id: str = typer.Argument(..., help="Chat id."),
    role: Optional[str] = typer.Option(None, "--role", help="Only this role (default: every role of the agency)."),
    platform: str = typer.Option("telegram", "--platform", help="Chat platform."),
) -> None:
    """Unlink a chat from an agency (the link is kept, disabled, for the record)."""
    from sqlmodel import select

    from jobs.scheduler import invalidate_for_binding
    from storage import audit
    from storage.db import session_scope
    from storage.tables import ChatBinding

    r = _check_role(role, optional=True)
    p, c = _check_chat(platform, chat_id)
    code = _agency(agency)
    now = clock().now()
    with session_scope(engine()) as s:
        q = select(ChatBinding).where(ChatBinding.platform == p, ChatBinding.chat_id == c, ChatBinding.agency == code,
                                      ChatBinding.active == True)  # noqa: E712
        if r:
            q = q.where(ChatBinding.role == r)
        found = s.exec(q).all()
        if not found:
            fail(f"{p}:{c} is not linked to {code}" + (f" as {r}" if r else "") + " (`dondoc bindings` lists the links).")
        for b in found:
            b.active, b.disabled_reason, b.updated_at = False, f"unlinked by {_actor_name()} (cli)", now
            s.add(b)
            audit.record(s, at=now, actor=_actor_name(), source="cli", action="binding.unlinked", entity="binding",
                         entity_key=f"{p}:{c}:{code}:{b.role}", agency=code, role=b.role, chat=f"{p}:{c}")
            invalidate_for_binding(s, code, b.role)
    typer.echo(f"Unlinked {p}:{c} from {code} ({', '.join(b.role for b in found)}).")


def bindings_cmd(
    all_: bool = typer.Option(False, "--all", help="Also the disabled links."),
) -> None:
    """The chats linked to agencies."""
    from sqlmodel import Session, select

    from bot.i18n import role_label
    from storage.tables import ChatBinding

    st = settings()
    with Session(engine()) as s:
        q = select(ChatBinding).order_by(ChatBinding.agency, ChatBinding.role, ChatBinding.id)
        if not all_:  # active links, and e-mail addresses still to confirm (they will be active soon)
            from bot.email import AWAITING

            q = q.where((ChatBinding.active == True) | (ChatBinding.disabled_reason == AWAITING))  # noqa: E712
        rows = s.exec(q).all()
    if not rows:
        typer.echo("No chat is linked yet: `dondoc link AGENCY CHAT_ID --role focal` or a `dondoc invite` code.")
        return
    directory = agency_directory()
    table = [("CHAT", "AGENCY", "ROLE", "SINCE", "STATE", "TITLE")]
    for b in rows:
        state = "active" if b.active else f"disabled: {b.disabled_reason or ''}"
        since = b.created_at.astimezone(st.timezone).strftime("%d/%m/%Y") if b.created_at else ""
        table.append((f"{b.platform}:{b.chat_id}", f"{directory.name(b.agency)} ({b.agency})",
                      f"{b.role} ({role_label(b.role, st.language)})", since, state, b.title or ""))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])


# -- preview --------------------------------------------------------------------------------------------------

def preview_cmd(
    from_: Optional[str] = typer.Option(None, "--from", help="First day (dd/mm/yyyy or YYYY-MM-DD; default today)."),
    to: Optional[str] = typer.Option(None, "--to", help="Last day, included (default: 30 days after --from)."),
    agency: Optional[str] = typer.Option(None, "--agency", help="Only this agency's tasks and chats."),
    short: bool = typer.Option(False, "--short", help="One line per message, without its text."),
) -> None:
    """Every message the policy would send in a window — date and time, chat, step, text — as if nobody
    acted in it. Nothing is sent. Chats not linked yet show as "(no chat linked)"."""
    from sqlmodel import Session, select

    from bot.i18n import role_label
    from jobs.deadline import DeadlineError
    from jobs.dispatcher import Composer
    from jobs.planner import GLOBAL_ROLES, Bindings, Policy, Recipient, TaskSnapshot, timeline
    from jobs.workdays import WorkCalendar
    from storage.tables import ChatBinding, Directive, Occurrence, Task

    st = settings()
    tz = st.timezone
    today = clock().now().astimezone(tz).date()
    first = _parse_date(from_, "--from") if from_ else today
    last = _parse_date(to, "--to") if to else first + timedelta(days=30)
    if last < first:
        fail(f"--to {to} is before --from {from_ or first.strftime('%d/%m/%Y')}.")
    code = _agency(agency) if agency else None
    calendar = WorkCalendar.from_file(st.holidays_file)
    policy = Policy.from_settings(st)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    composer = Composer(st, calendar, cache=True)

    with Session(engine()) as s:
        tasks = s.exec(select(Task).where(Task.removed_at.is_(None)).order_by(Task.position, Task.id)).all()
        if code:
            tasks = [t for t in tasks if t.lead_agency == code or code in (t.coordinators or [])]
        occs: dict[int, list] = {}
        for o in s.exec(select(Occurrence)).all():
            occs.setdefault(o.task_id, []).append(o)
        issued = {d.id: d.issued for d in s.exec(select(Directive)).all()}
        snaps, unreadable = [], []
        for t in tasks:
            try:
                snaps.append(TaskSnapshot.from_rows(t, occs.get(t.id, ()), issued=issued.get(t.directive_id)))
            except DeadlineError:
                unreadable.append(t.key)
        rows = s.exec(select(ChatBinding).where(ChatBinding.active == True)).all()  # noqa: E712
        real = [Recipient.from_row(b) for b in rows]
        # Who would hear it if nobody is linked yet: a stand-in per (agency, role) without a chat.
        have = {(r.agency, r.role) for r in real}
        have_roles = {r.role for r in real}
        standins = []
        wanted = set()
        for t in snaps:
            wanted |= {(t.lead, "focal"), (t.lead, "manager")} | {(a, "focal") for a in t.coordinators}
        for a, role in sorted(wanted):
            if (a, role) not in have:
                standins.append(Recipient("unlinked", f"{a}:{role}", a, role))
        for role in GLOBAL_ROLES:
            if role not in have_roles:
                standins.append(Recipient("unlinked", f"*:{role}", "*", role))
        bindings = Bindings(real + standins)
        steps = timeline(snaps, bindings, policy, calendar, start, end)
        if code:
            own_chats = {r.chat for r in bindings.all if r.agency == code}
            steps = [x for x in steps if x.task_key or x.chat in own_chats]

        by_chat: dict[str, list] = {}
        for r in bindings.all:
            by_chat.setdefault(r.chat, []).append(r)

        def who(chat: str) -> str:
            rs = by_chat.get(chat, [])
            if chat.startswith("unlinked:"):
                r = rs[0]
                name = "mọi cơ quan" if r.agency == "*" else composer.agency_name(s, r.agency)
                return f"(no chat linked) {name} · {role_label(r.role, st.language)}"
            return f"{chat} ({composer.describe_chat(s, chat, bindings=rs)})"

        typer.echo(f"Preview {first:%d/%m/%Y} – {last:%d/%m/%Y}"
                   + (f", {composer.agency_name(s, code)}" if code else "")
                   + f": {len(steps)} message(s) to {len({x.chat for x in steps})} chat(s); nothing is sent.")
        if unreadable:
            typer.echo(f"Skipped {len(unreadable)} task(s) whose stored deadline cannot be read: {', '.join(unreadable[:10])}",
                       err=True)
        for x in steps:
            when = x.due_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
            line = f"{when}  {who(x.chat)}  {x.step}" + (f"  [{x.task_key}]" if x.task_key else f"  [{x.occurrence}]")
            if short:
                typer.echo(line)
                continue
            binding = by_chat.get(x.chat, [None])[0]
            try:
                composed = composer.compose(s, x, x.due_at, binding if binding and binding.platform != "unlinked" else None)
                text = composed.text or "(nothing to report: not sent)"
                buttons = composed.buttons
            except Exception as e:  # noqa: BLE001 - a preview shows what it can
                text, buttons = f"(cannot render: {e})", []
            typer.echo(line)
            for tl in text.splitlines():
                typer.echo("    " + tl)
            for row in buttons:
                typer.echo("    " + "  ".join(f"[{b.label}]" for b in row))
            typer.echo("")


# -- run ------------------------------------------------------------------------------------------------------

def run_cmd(
    role: str = typer.Option("all", "--role", help="all | bot | dispatcher | feeds | web — what this process runs (web: the console and the feeds)."),
) -> None:
    """Run dondoc: the Telegram bot, the scheduler (reminders, escalations, digests) and the calendar feeds.
    Stops cleanly on Ctrl-C / SIGTERM, finishing or releasing the messages it is sending."""
    from dondoc import service

    if role not in service.ROLES:
        fail(f"--role {role!r}: accepted: {' | '.join(service.ROLES)}.")
    st = settings()
    if role != "all" and st.is_sqlite:
        fail(f"--role {role}: SQLite serves one dondoc process, which runs everything (--role all, the default). "
             "To split the bot, the dispatchers and the feeds over several processes, use PostgreSQL "
             "(DATABASE_URL=postgresql+psycopg://…; see docs/deploy.md).")
    eng = engine()  # upgrades the database first
    from storage.locks import AlreadyReceiving

    try:
        code = service.run(st, eng, clock(), role)
    except AlreadyReceiving as e:
        fail(f"dondoc run: {e}", 2)
    except (ValueError, OSError) as e:
        fail(f"dondoc run: {e}", 1)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    unknown = {"ignore_unknown_options": True}  # a negative chat id is an argument, not an option
    app.command("link", context_settings=unknown)(link_cmd)
    app.command("unlink", context_settings=unknown)(unlink_cmd)
    app.command("bindings")(bindings_cmd)
    app.command("preview")(preview_cmd)
    app.command("run")(run_cmd)
