"""The pages a person's e-mails link to (issue 24): "Đã nhận" (received), which stops the fallback to their
next channel, and the confirmation of their address (double opt-in). As for the e-mail pages (web.email_pages), opening the link (GET) only shows a button; the
button (a POST) acts, so mail scanners that fetch every URL acknowledge nothing. The signed token names the
hand-over (storage.delegation.Assignment)."""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from bot.email import read_token
from web.email_pages import _form, _page
from core.i18n import _

PURPOSE = "pack"


def add_routes(app: web.Application, settings, engine, clock) -> None:
    app["person_pages"] = (settings, engine, clock)
    app.router.add_get("/person/ack", ack_page)
    app.router.add_post("/person/ack", ack_action)
    add_confirm_routes(app)


def _load(request: web.Request, token: str, act: bool):
    """(language, task key, person name, done?) for a valid token, else None; `act` acknowledges."""
    from sqlmodel import Session

    from storage import delegation
    from storage.db import session_scope
    from storage.people import Person
    from storage.tables import Task

    settings, engine, clock = request.app["person_pages"]
    assignment_id = read_token(settings, token, PURPOSE, now=clock.now().timestamp())
    if assignment_id is None:
        return None
    with (session_scope(engine) if act else Session(engine)) as s:
        a = s.get(delegation.Assignment, assignment_id)
        person = s.get(Person, a.person_id) if a is not None and a.person_id else None
        if a is None or a.removed_at is not None or person is None or not person.active:
            return None
        task = s.get(Task, a.task_id)
        if act:
            delegation.acknowledge(s, a, actor=person.name, actor_id=f"person:{person.id}", source="email",
                                   now=clock.now())
        return (person.language or settings.language, task.key, person.name, a.acknowledged_at is not None)


def _invalid(lang: str) -> web.Response:
    return _page(_("Link not valid", lang=lang), "<p>" + html.escape(_(
        "This link is not valid or has expired.", lang=lang)) + "</p>", lang, status=404)


async def _answer(request: web.Request, load, act: bool, render) -> web.Response:
    """The four pages alike: the token from the link (GET) or the button's form (POST), loaded (and acted on
    for a POST) off the event loop, `render(*found)` for a valid one, else "not valid"."""
    settings = request.app["person_pages"][0]
    token = str((await request.post()).get("t", "")) if act else request.query.get("t", "")
    found = await asyncio.to_thread(load, request, token, act)
    return _invalid(settings.language) if found is None else render(token, *found)


def _said(title: str, text: str, lang: str) -> web.Response:
    return _page(title, "<p>" + html.escape(text) + "</p>", lang)


def _ack_asked(token, lang, key, name, done) -> web.Response:
    if done:
        return _said(_("Received", lang=lang), _("{name}, you already said you received task {key}.", lang=lang,
                                                  name=name, key=key), lang)
    text = _("{name}, tell dondoc that you received task {key}: no more reminders on your other channels.",
             lang=lang, name=name, key=key)
    return _page(_("Received?", lang=lang), f"<p>{html.escape(text)}</p>"
                 + _form("/person/ack", token, _("Received", lang=lang)), lang)


async def ack_page(request: web.Request) -> web.Response:
    return await _answer(request, _load, False, _ack_asked)


async def ack_action(request: web.Request) -> web.Response:
    return await _answer(request, _load, True, lambda _t, lang, key, name, _d: _said(_("Received", lang=lang), _(
        "Thank you, {name}: task {key} is marked received.", lang=lang, name=name, key=key), lang))


# -- confirming a person's e-mail address (double opt-in) --------------------------------------------------------

def add_confirm_routes(app: web.Application) -> None:
    app.router.add_get("/person/confirm", confirm_page)
    app.router.add_post("/person/confirm", confirm_action)


def _confirm(request: web.Request, token: str, act: bool):
    """(language, name, address, confirmed?) for a valid token, else None; `act` confirms (audited, and the
    person's tasks are planned again so the address hears from the next tick)."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from bot.person_messages import read_person_confirm
    from storage import audit
    from storage.db import session_scope
    from storage.delegation import Assignment
    from storage.people import Person
    from storage.tables import Task

    settings, engine, clock = request.app["person_pages"]
    with (session_scope(engine) if act else Session(engine)) as s:
        def email_of(pid):
            p = s.get(Person, pid)
            return p.email if p is not None and p.active else None

        pid = read_person_confirm(settings, token, email_of, now=clock.now().timestamp())
        if pid is None:
            return None
        p = s.get(Person, pid)
        if act and p.email_confirmed_at is None:
            now = clock.now()
            p.email_confirmed_at, p.updated_at = now, now
            s.add(p)
            audit.record(s, at=now, actor=p.email, source="email", action="person.email_confirmed", entity="person",
                         entity_key=str(p.id), agency=p.agency)
            s.execute(sa.update(Task).where(Task.id.in_(sa.select(Assignment.task_id).where(
                Assignment.person_id == p.id, Assignment.removed_at.is_(None)))).values(next_check_at=None))
        return (p.language or settings.language, p.name, p.email, p.email_confirmed_at is not None)


def _confirm_asked(token, lang, name, address, done) -> web.Response:
    if done:
        return _said(_("Address confirmed", lang=lang), _("{address} is already confirmed.", lang=lang,
                                                           address=address), lang)
    text = _("{name}: confirm that {address} should receive the reminders of the tasks handed to you.", lang=lang,
             name=name, address=address)
    return _page(_("Confirm your address", lang=lang), f"<p>{html.escape(text)}</p>"
                 + _form("/person/confirm", token, _("Confirm", lang=lang)), lang)


async def confirm_page(request: web.Request) -> web.Response:
    return await _answer(request, _confirm, False, _confirm_asked)


async def confirm_action(request: web.Request) -> web.Response:
    return await _answer(request, _confirm, True, lambda _t, lang, _n, address, _d: _said(
        _("Address confirmed", lang=lang), _("Thank you. {address} will now receive dondoc's messages.", lang=lang,
                                             address=address), lang))
