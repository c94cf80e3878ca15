"""The page a person's e-mail links to (issue 24): "Đã nhận" (received), which stops the fallback to their
next channel. As for the e-mail pages (web.email_pages), opening the link (GET) only shows a button; the
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


async def ack_page(request: web.Request) -> web.Response:
    settings = request.app["person_pages"][0]
    token = request.query.get("t", "")
    found = await asyncio.to_thread(_load, request, token, False)
    if found is None:
        return _invalid(settings.language)
    lang, key, name, done = found
    if done:
        return _page(_("Received", lang=lang), "<p>" + html.escape(_(
            "{name}, you already said you received task {key}.", lang=lang, name=name, key=key)) + "</p>", lang)
    text = _("{name}, tell dondoc that you received task {key}: no more reminders on your other channels.",
             lang=lang, name=name, key=key)
    return _page(_("Received?", lang=lang), f"<p>{html.escape(text)}</p>"
                 + _form("/person/ack", token, _("Received", lang=lang)), lang)


async def ack_action(request: web.Request) -> web.Response:
    settings = request.app["person_pages"][0]
    form = await request.post()
    found = await asyncio.to_thread(_load, request, str(form.get("t", "")), True)
    if found is None:
        return _invalid(settings.language)
    lang, key, name, _done = found
    return _page(_("Received", lang=lang), "<p>" + html.escape(_(
        "Thank you, {name}: task {key} is marked received.", lang=lang, name=name, key=key)) + "</p>", lang)
