"""The console's forms of issue 24: add and edit a person (with a Zalo/Telegram invite code and deactivation),
hand a task on from its page (giao việc), and "Nhắc ngay" (remind now).

Each asks the one rule (core/authority.py) first: an agency's focal point or leader keeps their own agency's
people and hands their own agency's work on; the oversight body and the lead agency's leader remind now. A
person of another agency is answered 404 as a page that does not exist; a refused action gets 403 with the
reason. The changes are the CLI's (storage.people, storage.delegation, jobs.remind_now), audited with source
"web" and the signed-in person's name and Telegram id."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from core import authority
from core.i18n import _, format_date
from web.common import CALENDAR, PERSON, SETTINGS, language_of, now, run_db, today_of
from web.pages import load_task, not_found, refusal_text, task_page

FIELDS = ("name", "department", "position", "email", "zalo", "telegram", "phone")


def _forbidden(request: web.Request, text: str) -> web.Response:
    return aiohttp_jinja2.render_template("message.html", request, {"title": _("Not allowed"), "text": text},
                                          status=403)


def _roles(signed):
    """The pairs storage.delegation and jobs.remind_now ask the rule with; None for an administrator."""
    return None if signed.is_admin else list(signed.bindings)


def people_error_text(e) -> str:
    """A storage.people.PeopleError as the console says it (the form's field names, not the CLI's options)."""
    i = e.info
    labels = {"zalo": _("Zalo user id"), "telegram": _("Telegram user id"), "email": _("E-mail"),
              "phone": _("Phone"), "department": _("Department")}
    return {
        "empty_name": lambda: _("A person needs a name."),
        "unknown_department": lambda: _("{agency} has no department {name!r}.", agency=i.get("agency"),
                                        name=i.get("department")),
        "bad_value": lambda: _("{field}: {value!r} is not a valid value.",
                               field=labels.get(i.get("field"), i.get("field")), value=i.get("value")),
        "head_without_department": lambda: _("A department head needs a department."),
        "channel_taken": lambda: _("{channel} {user} is already the channel of {name}.",
                                   channel=labels.get(i.get("channel"), i.get("channel")), user=i.get("user"),
                                   name=i.get("name")),
        "inactive": lambda: _("{name} was deactivated.", name=i.get("name")),
        "too_long": lambda: _("{field}: longer than 300 characters.", field=i.get("field")),
    }.get(e.code, lambda: str(e))()


# -- people ----------------------------------------------------------------------------------------------------

def _agency_choices(session, signed) -> list[tuple[str, str]]:
    from sqlmodel import select

    from storage.tables import Agency

    names = {a.code: a.name for a in session.exec(select(Agency).order_by(Agency.name))}
    codes = list(names) if signed.is_admin else [a for a in signed.own_agencies]
    return [(c, names.get(c, c)) for c in codes]


def _form_context(session, signed, person=None, values=None) -> dict:
    from storage.people import department_name, departments

    agencies = _agency_choices(session, signed)
    agency = person.agency if person is not None else (values or {}).get("agency") or (agencies[0][0] if agencies
                                                                                         else None)
    shown = dict(values or {})
    if person is not None and values is None:
        shown = {"name": person.name, "department": department_name(session, person.department_id) or "",
                 "position": person.position or "", "email": person.email or "", "zalo": person.zalo_user or "",
                 "telegram": person.telegram_user or "", "phone": person.phone or "", "head": person.is_head,
                 "leader": person.is_leader}
    deps = [d.name for d in departments(session)
            if (signed.is_admin or d.agency in signed.own_agencies) and (person is None or d.agency == agency)]
    return {"subject": person, "agencies": agencies, "values": shown, "departments": deps,
            "awaiting": person is not None and person.email and person.email_confirmed_at is None,
            "message": None, "error": None, "invite": None}


async def new_person_page(request: web.Request) -> web.Response:
    signed = request[PERSON]
    ctx = await run_db(request, lambda s: _form_context(s, signed))
    if not ctx["agencies"]:
        return not_found(request)  # no agency of theirs: nothing of anyone's people is shown
    return aiohttp_jinja2.render_template("person_form.html", request, ctx)


async def edit_person_page(request: web.Request) -> web.Response:
    signed = request[PERSON]

    def load(s):
        p = _visible_person(s, signed, int(request.match_info["id"]))
        return None if p is None else _form_context(s, signed, p)

    ctx = await run_db(request, load)
    if ctx is None:
        return not_found(request)
    return aiohttp_jinja2.render_template("person_form.html", request, {**ctx, "message": _message(request)})


def _message(request: web.Request) -> str | None:
    return {"saved": _("Saved."), "added": _("Added."), "deactivated": _("Deactivated."),
            "sent": _("A confirmation link was sent to the address: it receives messages once its owner "
                      "confirms.")}.get(request.query.get("ok", ""))


def _visible_person(session, signed, person_id: int):
    """The person if `signed` keeps their agency's people, else None (another agency's people are not shown)."""
    from storage.people import Person

    p = session.get(Person, person_id)
    if p is None or signed.refusal(authority.Action.MANAGE_PEOPLE, part=p.agency) is not None:
        return None
    return p


def _changes_from(form, *, adding: bool):
    """storage.people.Changes from the form: an empty field clears it; an unticked box is "no" when editing."""
    from storage.people import Changes

    text = {f: str(form.get(f, "")) for f in FIELDS}
    head, leader = form.get("head") == "on", form.get("leader") == "on"
    return Changes(name=text["name"] if not adding else None, department=text["department"],
                   position=text["position"], email=text["email"], zalo=text["zalo"], telegram=text["telegram"],
                   phone=text["phone"], head=(head or None) if adding else head,
                   leader=(leader or None) if adding else leader)


async def submit_person(request: web.Request) -> web.Response:
    """POST /web/people/new and /web/people/{id}: one helper for adding and editing (and the edit page's
    deactivate and invite buttons), so both check, write and answer alike."""
    from storage import people as store

    signed = request[PERSON]
    form = await request.post()
    pid = request.match_info.get("id")
    what = str(form.get("action", "save"))
    settings = request.app[SETTINGS]
    email = str(form.get("email", "")).strip()
    when = now(request)
    actor = f"{signed.name} ({signed.user_id})"

    def work(s):
        person = _visible_person(s, signed, int(pid)) if pid else None
        if pid and person is None:
            return "404", None, None
        agency = person.agency if person is not None else str(form.get("agency", ""))
        why = signed.refusal(authority.Action.MANAGE_PEOPLE, part=agency)
        if why is not None:
            return "403", _("You keep the people of your own agency only; {agency} is not yours.",
                            agency=agency) if why.code == "not_your_agency" else refusal_text(why, None, s), None
        try:
            if what == "deactivate":
                store.deactivate_person(s, person, actor=actor, source="web", now=when,
                                        reason=str(form.get("reason", "")).strip() or None)
                return "ok", "deactivated", person.id
            if what == "invite":
                return "invite", _invite(s, person, actor, when, settings), person.id
            if what != "save":
                return "bad", _("Unknown action."), None
            if email and not settings.smtp_host and (person is None or email.lower() != (person.email or "")):
                return "bad", _("An e-mail address is confirmed by e-mail: the server needs SMTP_HOST (and "
                                "MAIL_FROM) first."), None
            if person is None:
                person = store.add_person(s, str(form.get("name", "")), agency, _changes_from(form, adding=True),
                                          actor=actor, source="web", now=when)
                done = "added"
            else:
                store.edit_person(s, person, _changes_from(form, adding=False), actor=actor, source="web", now=when)
                done = "saved"
            return "ok", done, person.id
        except store.PeopleError as e:
            s.rollback()
            return "bad", people_error_text(e), None

    outcome, detail, person_id = await run_db(request, work)
    if outcome == "404":
        return not_found(request)
    if outcome == "403":
        return _forbidden(request, detail)
    if outcome == "bad":
        values = {k: str(form.get(k, "")) for k in (*FIELDS, "agency")} | {"head": form.get("head") == "on",
                                                                          "leader": form.get("leader") == "on"}

        def again(s):
            return _form_context(s, signed, _visible_person(s, signed, int(pid)) if pid else None, values)

        ctx = await run_db(request, again)
        return aiohttp_jinja2.render_template("person_form.html", request, {**ctx, "error": detail}, status=400)
    if outcome == "invite":
        ctx = await run_db(request, lambda s: _form_context(s, signed, _visible_person(s, signed, person_id)))
        return aiohttp_jinja2.render_template("person_form.html", request, {**ctx, "invite": detail})
    if detail in ("added", "saved") and email and await _send_confirmation(request, person_id):
        detail = "sent"
    url = request.app.router["person"].url_for(id=str(person_id)).with_query(ok=detail)
    return web.Response(status=303, headers={"Location": str(url)})


def _invite(session, person, actor, when, settings) -> dict:
    """A one-time code for the person's own Zalo or Telegram chat (as `dondoc people invite`), shown once."""
    import secrets
    from datetime import timedelta

    from bot.invites import hash_code
    from storage.person_links import create_person_invite

    code = secrets.token_urlsafe(15)  # 120 bits, shown once, stored hashed
    row = create_person_invite(session, person, hash_code(code), actor=actor, source="web", now=when,
                               expires_at=when + timedelta(days=7))
    until = row.expires_at.astimezone(settings.timezone)
    return {"code": code, "until": f"{until:%H:%M} {format_date(until.date())}"}


async def _send_confirmation(request: web.Request, person_id: int) -> bool:
    """After the commit, as the CLI: the confirmation e-mail of an address that waits for it. False when none
    waits or the send failed (the address keeps waiting; saving the same address again sends a new link)."""
    import logging

    from bot.email import EmailChannel
    from bot.person_messages import confirmation_text, person_confirm_url
    from storage.agencies import agency_names
    from storage.people import Person

    settings = request.app[SETTINGS]

    def load(s):
        p = s.get(Person, person_id)
        if p is None or not p.email or p.email_confirmed_at is not None:
            return None
        return p.email, p.name, agency_names(s, {p.agency}).get(p.agency, p.agency), p.language or settings.language

    found = await run_db(request, load)
    if found is None or not settings.smtp_host:
        return False
    email, name, agency, lang = found
    url = person_confirm_url(settings, person_id, email, now=now(request).timestamp())
    try:
        await EmailChannel(settings).send(email, confirmation_text(settings, name, email, agency, url, lang),
                                          key=f"pconfirm|{person_id}|{url}")
    except Exception:  # noqa: BLE001 - the address keeps waiting; the page says nothing was sent
        logging.getLogger(__name__).warning("confirmation e-mail to person %s not sent", person_id, exc_info=True)
        return False
    return True


# -- the task page: hand it on, remind now -----------------------------------------------------------------------

async def delegate(request: web.Request) -> web.Response:
    """POST /web/delegate/{key}: hand the task (or its current period) to a person, a department or a
    coordinating agency, with an internal deadline on or before the agency's, a role and a reason."""
    from bot.person_messages import delegation_refusal_text
    from storage import delegation
    from storage.actions import current_occurrence
    from storage.people import Department, Person
    from web.common import _parse_date
    from web.task_people import agency_due_of

    signed = request[PERSON]
    form = await request.post()
    lang = language_of(request)
    today = today_of(request)
    when = now(request)

    def work(s):
        task = load_task(s, signed, request.match_info["key"])
        if task is None:
            return "404", None
        kind, _sep, ref = str(form.get("to", "")).partition(":")
        target = None
        if kind == "p" and ref.isdigit() and (p := s.get(Person, int(ref))) is not None and p.active:
            target = delegation.Target(p.agency, person=p)
        elif kind == "d" and ref.isdigit() and (d := s.get(Department, int(ref))) is not None:
            target = delegation.Target(d.agency, department=d)
        elif kind == "a" and ref in (task.coordinators or ()):
            target = delegation.Target(ref)
        if target is None or target.agency not in (task.lead_agency, *(task.coordinators or ())):
            return "bad", _("Choose whom to hand the task to.")
        why = signed.refusal(authority.Action.DELEGATE, task, part=target.agency)
        if why is not None:
            return "403", delegation_refusal_text(delegation.DelegationError(
                "oversight_does_not_delegate" if why.code == "oversight_does_not_delegate" else "not_your_agency",
                why.code), lang)
        due_text = str(form.get("due", "")).strip()
        due = _parse_date(due_text) if due_text else None
        if due_text and due is None:
            return "bad", _("Give the internal deadline as dd/mm/yyyy.")
        occ = None
        if task.deadline_kind == "recurring":
            occ = current_occurrence(s, task, today)
        agency_due = agency_due_of(s, task, occ) if target.agency == task.lead_agency else None
        try:
            delegation.assign(s, task, target, occurrence=occ, due=due, agency_due=agency_due,
                              role=str(form.get("role", "chu-tri")), actor=signed.name, source="web", now=when,
                              roles=_roles(signed), reason=str(form.get("reason", "")).strip() or None)
        except delegation.DelegationError as e:
            s.rollback()
            return "bad", delegation_refusal_text(e, lang)
        return "ok", "assigned"

    return await _answer(request, await run_db(request, work))


async def remind(request: web.Request) -> web.Response:
    """POST /web/remind/{key}: one reminder now to the task's person, else its agency's focal chats."""
    from bot.person_messages import remind_refusal_text
    from jobs.policy import Policy
    from jobs.remind_now import RemindRefused, remind_now
    from storage.actions import current_occurrence
    from web.task_people import agency_due_of

    signed = request[PERSON]
    settings, lang, when = request.app[SETTINGS], language_of(request), now(request)
    calendar = request.app[CALENDAR]

    def work(s):
        task = load_task(s, signed, request.match_info["key"])
        if task is None:
            return "404", None
        why = signed.refusal(authority.Action.REMIND_NOW, task)
        if why is not None:
            return "403", remind_refusal_text(RemindRefused("not_allowed", why.code), task.key, lang)
        occ = current_occurrence(s, task, today_of(request))
        due = agency_due_of(s, task, occ)
        try:
            remind_now(s, task, occ, policy=Policy.from_settings(settings),
                       calendar=calendar, actor=signed.name,
                       actor_id=signed.user_id, source="web", now=when, roles=_roles(signed),
                       effective_due=due.isoformat() if due else None)
        except RemindRefused as e:
            s.rollback()
            return "bad", remind_refusal_text(e, task.key, lang)
        return "ok", "reminded"

    return await _answer(request, await run_db(request, work))


async def _answer(request: web.Request, result) -> web.Response:
    """The task page's forms answer alike: 404, 403 with the reason, the page again with the error, or back to
    the page with a message."""
    outcome, detail = result
    if outcome == "404":
        return not_found(request)
    if outcome == "403":
        return _forbidden(request, detail)
    if outcome == "bad":
        return await task_page(request, error=detail, status=400)
    url = request.app.router["task"].url_for(key=request.match_info["key"]).with_query(ok=detail)
    return web.Response(status=303, headers={"Location": str(url)})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/people/new", new_person_page, name="person_new")
    r.add_post("/people/new", submit_person, name="person_add")
    r.add_get("/people/{id:\\d+}", edit_person_page, name="person")
    r.add_post("/people/{id:\\d+}", submit_person, name="person_edit")
    r.add_post("/delegate/{key:.+}", delegate, name="delegate")
    r.add_post("/remind/{key:.+}", remind, name="remind")
