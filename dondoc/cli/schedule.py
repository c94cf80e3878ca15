"""`dondoc link | unlink | bindings | preview | run`: which chats hear what, what they will hear, and the
service that tells them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Optional

import typer

from dondoc.cli.common import agency_directory, clock, engine, fail, one_agency, settings
from core.i18n import N_, _, available_languages, format_date, ngettext

ROLES = ("focal", "manager", "oversight", "leadership")
PLATFORMS = ("telegram", "zalo", "email")
_CHAT_ID = {"telegram": re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}"),
            # Zalo ids are opaque strings; dondoc writes a group as "g:<id>"
            "zalo": re.compile(r"(g:)?[A-Za-z0-9._-]{1,60}")}


def _actor_name() -> str:
    from dondoc.cli.common import actor

    return actor().name


def _agency(text: str) -> str:
    """One agency code for a name, abbreviation or code; exits 2 with suggestions otherwise."""
    return one_agency(text, why=_("a chat is linked to one agency at a time"))


def _check_role(role: str | None, optional: bool = False) -> str | None:
    if role is None and optional:
        return None
    r = (role or "").strip().lower()
    if r not in ROLES:
        fail(_("--role {role!r}: accepted: {accepted}.", role=role, accepted=" | ".join(ROLES)))
    return r


def _check_chat(platform: str, chat_id: str) -> tuple[str, str]:
    p = platform.strip().lower()
    if p not in PLATFORMS:
        fail(_("--platform {value!r}: accepted: {accepted}.", value=platform, accepted=" | ".join(PLATFORMS)))
    c = chat_id.strip()
    if p == "email":
        from bot.email import valid_address

        address = valid_address(c)
        if address is None:
            fail(_("ADDRESS '{address}' is not an e-mail address (e.g. someone@snv.example.gov.vn).", address=c))
        return p, address
    if p == "zalo":
        if not _CHAT_ID[p].fullmatch(c):
            fail(_("CHAT_ID '{chat}' is not a Zalo chat id: the id the bot shows a person who writes to it "
                   "(letters and digits), \"g:<id>\" for a group.", chat=c))
        return p, c
    if not _CHAT_ID[p].fullmatch(c):
        fail(_("CHAT_ID {value!r} is not a Telegram chat id: a number (groups are negative, e.g. -1001234567890) "
               "or a channel's @username.", value=chat_id))
    return p, c


def _parse_date(text: str, what: str) -> date:
    from intake.table import parse_date  # the one date reader: both forms, the grammar's years
    from core.deadline import MAX_YEAR, MIN_YEAR

    d = parse_date(text)
    if d is not None:
        return d
    fail(_("{option} {value!r}: accepted: a date written dd/mm/yyyy (e.g. 23/05/2018) or YYYY-MM-DD, in the years "
           "{first}-{last}.", option=what, value=text, first=MIN_YEAR, last=MAX_YEAR))


def _authorise_links() -> None:
    """`link` and `unlink` ask the one rule (core/authority.py) like every surface, for the terminal's operator."""
    from dondoc.cli.actions import authorise

    authorise("links")


# -- link / unlink / bindings ---------------------------------------------------------------------------------

def link_cmd(
    agency: str = typer.Argument(..., help=N_("Agency name, abbreviation or code (see the agency directory).")),
    chat_id: str = typer.Argument(..., help=N_("Chat id (a Telegram group's id is negative: -100…).")),
    role: str = typer.Option(..., "--role", help=N_("focal | manager | oversight | leadership")),
    platform: str = typer.Option("telegram", "--platform", help=N_("Chat platform.")),
    title: Optional[str] = typer.Option(None, "--title", help=N_("What the chat is called, for people reading lists.")),
    language: Optional[str] = typer.Option(None, "--language", help=N_("vi | en (default: LANGUAGE).")),
) -> None:
    from sqlmodel import select

    from jobs.scheduler import invalidate_for_binding
    from storage import audit
    from storage.db import session_scope
    from storage.tables import ChatBinding

    _authorise_links()
    r = _check_role(role)
    p, c = _check_chat(platform, chat_id)
    if language is not None and language not in available_languages():
        fail(_("--language {value!r}: accepted: {accepted}.", value=language, accepted=" | ".join(available_languages())))
    code = _agency(agency)
    now = clock().now()
    with session_scope(engine()) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.platform == p, ChatBinding.chat_id == c,
                                             ChatBinding.agency == code, ChatBinding.role == r)).first()
        if b is not None and b.active:
            typer.echo(_("{chat} is already linked to {agency} as {role}.", chat=f"{p}:{c}", agency=code, role=r))
            return
        if p == "email":  # double opt-in: active only once the address confirms (bot.email)
            st = settings()
            if not st.smtp_host:
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

    typer.echo(_("Linked {chat} to {agency} ({code}) as {role} ({role_label}).", chat=f"{p}:{c}",
                 agency=agency_directory().name(code), code=code, role=r, role_label=role_label(r)) + " "
               + ngettext("{n} task will be re-planned on the next tick.", "{n} tasks will be re-planned on the next "
                                                                           "tick.", n))


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
    agency: str = typer.Argument(..., help=N_("Agency name, abbreviation or code.")),
    chat_id: str = typer.Argument(..., help=N_("Chat id.")),
    role: Optional[str] = typer.Option(None, "--role", help=N_("Only this role (default: every role of the agency).")),
    platform: str = typer.Option("telegram", "--platform", help=N_("Chat platform.")),
) -> None:
    from sqlmodel import select

    from jobs.scheduler import invalidate_for_binding
    from storage import audit
    from storage.db import session_scope
    from storage.tables import ChatBinding

    _authorise_links()
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
            fail((_("{chat} is not linked to {agency} as {role}", chat=f"{p}:{c}", agency=code, role=r) if r else
                  _("{chat} is not linked to {agency}", chat=f"{p}:{c}", agency=code))
                 + " " + _("(`dondoc bindings` lists the links)."))
        for b in found:
            b.active, b.disabled_reason, b.updated_at = False, f"unlinked by {_actor_name()} (cli)", now
            s.add(b)
            audit.record(s, at=now, actor=_actor_name(), source="cli", action="binding.unlinked", entity="binding",
                         entity_key=f"{p}:{c}:{code}:{b.role}", agency=code, role=b.role, chat=f"{p}:{c}")
            invalidate_for_binding(s, code, b.role)
    typer.echo(_("Unlinked {chat} from {agency} ({roles}).", chat=f"{p}:{c}", agency=code,
                 roles=", ".join(b.role for b in found)))


def bindings_cmd(
    all_: bool = typer.Option(False, "--all", help=N_("Also the disabled links.")),
) -> None:
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
        typer.echo(_("No chat is linked yet: `dondoc link AGENCY CHAT_ID --role focal` or a `dondoc invite` code."))
        return
    directory = agency_directory()
    table = [(_("CHAT"), _("AGENCY"), _("ROLE"), _("SINCE"), _("STATE"), _("TITLE"))]
    for b in rows:
        state = _("active") if b.active else _("disabled: {reason}", reason=b.disabled_reason or "")
        since = format_date(b.created_at.astimezone(st.timezone).date()) if b.created_at else ""
        table.append((f"{b.platform}:{b.chat_id}", f"{directory.name(b.agency)} ({b.agency})",
                      f"{b.role} ({role_label(b.role)})", since, state, b.title or ""))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])


# -- preview --------------------------------------------------------------------------------------------------

def preview_cmd(
    from_: Optional[str] = typer.Option(None, "--from", help=N_("First day (dd/mm/yyyy or YYYY-MM-DD; default "
                                                                "today).")),
    to: Optional[str] = typer.Option(None, "--to", help=N_("Last day, included (default: 30 days after --from).")),
    agency: Optional[str] = typer.Option(None, "--agency", help=N_("Only this agency's tasks and chats.")),
    short: bool = typer.Option(False, "--short", help=N_("One line per message, without its text.")),
    as_json: bool = typer.Option(False, "--json", help=N_("One JSON object per message (at, chat, role, agency, step, "
                                 "task, items, text), for other tools.")),
    stats: bool = typer.Option(False, "--stats", help=N_("Per chat: messages in the window, the busiest day and its "
                               "count, the median per working day.")),
) -> None:
    import json

    from sqlmodel import Session

    from bot.i18n import role_label
    from core.i18n import _, format_date
    from bot.compose import Composer
    from jobs.noise import noise
    from jobs.planner import BRIEF, TASK_KINDS
    from jobs.preview import items_of, plan_preview
    from core.workdays import WorkCalendar

    st = settings()
    tz = st.timezone
    now = clock().now()
    today = now.astimezone(tz).date()
    first = _parse_date(from_, "--from") if from_ else today
    last = _parse_date(to, "--to") if to else first + timedelta(days=30)
    if last < first:
        fail(_("--to {to} is before --from {first}.", to=to, first=from_ or format_date(first)))
    code = _agency(agency) if agency else None
    calendar = WorkCalendar.from_file(st.holidays_file)
    composer = Composer(st, calendar, cache=True)

    with Session(engine()) as s:
        plan = plan_preview(s, st, calendar, now, first, last, code)
        by_chat: dict[str, list] = {}
        for r in plan.bindings.all:
            by_chat.setdefault(r.chat, []).append(r)

        def who(chat: str) -> str:
            rs = by_chat.get(chat, [])
            if chat.startswith("unlinked:"):
                r = rs[0]
                name = _("every agency") if r.agency == "*" else composer.agency_name(s, r.agency)
                return _("(no chat linked)") + f" {name} · {role_label(r.role)}"
            return f"{chat} ({composer.describe_chat(s, chat, bindings=rs)})"

        # What each chat hears of in messages of their own, per day: the weekly agenda leaves those out in `run`
        # (read from the outbox there); a rehearsal's plan is not in the outbox, so the preview says it here.
        told: dict[tuple[str, date], set[str]] = {}
        for x in plan.steps:
            if x.kind in TASK_KINDS or x.kind == BRIEF:
                told.setdefault((x.chat, x.due_at.astimezone(tz).date()), set()).update(
                    items_of(x) if x.kind == BRIEF else [x.task_key])
        composer.told_on = lambda _session, chat, day: told.get((chat, day), set())

        rendered = []  # (step, text or None, buttons, items)
        for x in plan.steps:
            binding = by_chat.get(x.chat, [None])[0]
            try:
                composed = composer.compose(s, x, x.due_at, binding if binding and binding.platform != "unlinked" else None)
                rendered.append((x, composed.text, composed.buttons, composed.items or items_of(x)))
            except Exception as e:  # noqa: BLE001 - a preview shows what it can
                rendered.append((x, _("(cannot render: {error})", error=e), [], items_of(x)))

        if as_json:
            for x, text, _b, items in rendered:
                if not text or (plan.live and x.chat.startswith("unlinked:")):
                    continue  # nothing to report, or no chat linked: `run` sends nothing either
                rs = by_chat.get(x.chat, [])
                p = x.payload or {}
                typer.echo(json.dumps({
                    "at": x.due_at.astimezone(tz).isoformat(), "chat": x.chat,
                    "role": p.get("role") or (rs[0].role if rs else None),
                    "agency": p.get("agency") or (",".join(p["agencies"]) if p.get("agencies") else None)
                    or (rs[0].agency if rs else None),
                    "step": x.step, "task": x.task_key or None, "items": items, "text": text,
                    **({"person": p.get("to_name") or p["person_name"], "person_id": p.get("to_person") or p["person"],
                        "channel": p.get("channel")} if p.get("person") else {}),  # issue 24: a person's delivery
                }, ensure_ascii=False))
            return

        sent = [(x, t) for x, t, _b, _i in rendered if t]
        window = f"{format_date(first)} – {format_date(last)}" + (f", {composer.agency_name(s, code)}" if code else "")
        chats = ngettext("{n} chat", "{n} chats", len({x.chat for x, _t in sent}))
        typer.echo(ngettext("Preview {window}: {n} message to {chats}; nothing is sent.",
                            "Preview {window}: {n} messages to {chats}; nothing is sent.", len(sent),
                            window=window, chats=chats)
                   + ("" if plan.live else " " + _("(a rehearsal: as if running since each directive was issued)")))
        if plan.unreadable:
            typer.echo(ngettext("Skipped {n} task whose stored deadline cannot be read: {keys}",
                                "Skipped {n} tasks whose stored deadline cannot be read: {keys}", len(plan.unreadable),
                                keys=", ".join(plan.unreadable[:10])), err=True)
        if stats:
            figures = noise([(x.due_at, x.chat, (x.payload or {}).get("role") or "") for x, _t in sent], tz, calendar,
                            first, last)
            table = [(_("CHAT"), _("ROLE"), _("MESSAGES"), _("BUSIEST DAY"), _("THAT DAY"), _("MEDIAN/WORKING DAY"))]
            for n in figures:
                table.append((who(n.chat), n.role, str(n.messages), format_date(n.busiest_day), str(n.busiest),
                              f"{n.median_per_workday:g}"))
            widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
            for row in table:
                typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            return
        for x, text, buttons, _items in rendered:
            when = x.due_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
            line = f"{when}  {who(x.chat)}  {x.step}" + (f"  [{x.task_key}]" if x.task_key else f"  [{x.occurrence}]")
            if not text:
                continue  # nothing to report (an empty agenda, a brief whose tasks were all done): not sent
            typer.echo(line)
            if short:
                continue
            for tl in text.splitlines():
                typer.echo("    " + tl)
            for row in buttons:
                typer.echo("    " + "  ".join(f"[{b.label}]" for b in row))
            typer.echo("")


# -- run ------------------------------------------------------------------------------------------------------

def run_cmd(
    role: str = typer.Option("all", "--role", help=N_("all | bot | dispatcher | feeds | web — what this process runs "
                                                      "(web: the console and the feeds).")),
) -> None:
    from dondoc import service

    if role not in service.ROLES:
        fail(_("--role {role!r}: accepted: {accepted}.", role=role, accepted=" | ".join(service.ROLES)))
    st = settings()
    if role != "all" and st.is_sqlite:
        fail(_("--role {role}: SQLite serves one dondoc process, which runs everything (--role all, the default). "
               "To split the bot, the dispatchers and the feeds over several processes, use PostgreSQL "
               "(DATABASE_URL=postgresql+psycopg://…; see docs/deploy.md).", role=role))
    eng = engine()  # upgrades the database first
    from storage.locks import AlreadyReceiving

    try:
        code = service.run(st, eng, clock(), role)
    except AlreadyReceiving as e:
        fail(_("dondoc run: {error}", error=e), 2)
    except (ValueError, OSError) as e:
        fail(_("dondoc run: {error}", error=e), 1)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    unknown = {"ignore_unknown_options": True}  # a negative chat id is an argument, not an option
    app.command("link", context_settings=unknown, help=N_(
        "Link a chat to an agency in a role: it then hears that agency's reminders (focal), its escalations\n"
        "(manager), every agency's escalations and the quarterly summary (oversight, leadership)."))(link_cmd)
    app.command("unlink", context_settings=unknown, help=N_(
        "Unlink a chat from an agency (the link is kept, disabled, for the record)."))(unlink_cmd)
    app.command("bindings", help=N_("The chats linked to agencies."))(bindings_cmd)
    app.command("preview", help=N_(
        "Every message dondoc would send in a window — date and time, chat, step, text — nothing is sent.\n"
        "From today on: exactly what `dondoc run` started now sends (its first tick's catch-up, new-task notices,\n"
        "briefs, agendas), the same planning path. A window in the past: a rehearsal, as if dondoc had run since\n"
        "the directive was issued with every chat linked and nobody acting. Chats not linked yet show as\n"
        '"(no chat linked)".'))(preview_cmd)
    app.command("run", help=N_(
        "Run dondoc: the Telegram bot, the scheduler (reminders, escalations, digests) and the calendar feeds.\n"
        "Stops cleanly on Ctrl-C / SIGTERM, finishing or releasing the messages it is sending."))(run_cmd)
