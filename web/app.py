"""The web console's aiohttp application, mounted under /web on the calendar feeds' server (one HTTP server).

    web.feeds.make_app(settings, engine, clock, extend=[web.app.mount])

`mount` adds a sub-application at /web with its own middleware (so the feeds keep theirs):
- the session cookie is read and the person's roles loaded from the database on every request;
- pages other than sign-in need a session (else a redirect to the sign-in page);
- every POST must carry the session's CSRF token (`csrf` form field), else 403 — so a page of another site
  cannot make a signed-in browser act;
- responses are never cached and may not be framed;
- the language is the session's (a switch in the header), Vietnamese by default.

Database work is synchronous SQLAlchemy, run in a worker thread (`run_db`), as the feed server does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlmodel import Session

from core import i18n
from core.links import CONSOLE_MOUNT
from storage import signin as auth

from web.common import (
    CALENDAR, CLOCK, COOKIE, CSP, ENGINE, HERE, LANG, MAX_UPLOAD, PERSON, PUBLIC, SESSION, SETTINGS, UPLOADS,
    language_of, now, run_db,
)


async def refused(request: web.Request, text: str) -> web.Response:
    """403 with a page that says why (nothing was changed). Rendered here, before aiohttp_jinja2's own
    middleware has filled the request's context, so the context is added by hand."""
    ctx = {**await context(request), "title": i18n._("Not allowed"), "text": text}
    return aiohttp_jinja2.render_template("message.html", request, ctx, status=403)


async def too_large(request: web.Request, name: str | None) -> web.Response:
    """413 with a page naming the limit (nothing was changed): the evidence form's follows EVIDENCE_MAX_MB."""
    from web.record import EVIDENCE_FILES_PER_FORM

    if name == "record_done":
        text = i18n._("The files are larger than the console takes: at most {n} files of {mb} MB each "
                      "(EVIDENCE_MAX_MB). Nothing was recorded; go back and send smaller files.",
                      n=EVIDENCE_FILES_PER_FORM, mb=request.app[SETTINGS].evidence_max_mb)
    else:
        text = i18n._("The file is larger than the console takes ({mb} MB). Nothing was changed.",
                      mb=MAX_UPLOAD // (1024 * 1024))
    ctx = {**await context(request), "title": i18n._("File too large"), "text": text}
    return aiohttp_jinja2.render_template("message.html", request, ctx, status=413)


def upload_limit(name: str | None, settings) -> int:
    """The largest request body a form takes: the evidence form's follows EVIDENCE_MAX_MB (its files and a margin
    for the form's fields); every other form takes a registry file of up to MAX_UPLOAD."""
    if name == "record_done":
        from web.record import EVIDENCE_FILES_PER_FORM

        return EVIDENCE_FILES_PER_FORM * settings.evidence_max_mb * 1024 * 1024 + 1024 * 1024
    return MAX_UPLOAD


@web.middleware
async def middleware(request: web.Request, handler):
    name = request.match_info.route.name
    settings = request.app[SETTINGS]
    if request.method == "POST":
        request = request.clone(client_max_size=upload_limit(name, settings))
    token = request.cookies.get(COOKIE)
    row = person = None
    if token:
        def load(s: Session):
            r = auth.load_session(s, token, now(request))
            p = (auth.person_for(s, r.user_id, r.name, settings.admin_user_ids, r.via_chat,
                                 oversight_user_ids=settings.oversight_user_ids, via_chat_admin=r.via_chat_admin)
                 if r is not None else None)
            return r, p

        row, person = await run_db(request, load)
        if person is None:
            row = None
    request[SESSION] = row
    request[PERSON] = person
    lang = language_of(request)
    with i18n.use_language(lang):
        request[LANG] = lang
        if name not in PUBLIC:
            if person is None:
                if request.method == "GET":
                    raise web.HTTPFound(request.app.router["signin"].url_for()
                                        .with_query(next=str(request.rel_url)))
                return await refused(request, i18n._("Your session has ended; sign in again."))
        if request.method == "POST" and name != "signin_link_post":  # a link proves itself
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:  # aiohttp's limit (upload_limit): say so, with the limit
                form = None
                response = await too_large(request, name)
            if form is None:
                pass
            elif row is None or not auth.csrf_ok(row, form.get("csrf")):
                response = await refused(request, i18n._("This form has expired or did not come from this site; "
                                                   "reload the page and try again."))
            else:
                response = await handler(request)
        else:
            response = await handler(request)
    # Pages are personal: never cached. The stylesheet is the same for everyone.
    response.headers.setdefault("Cache-Control", "public, max-age=3600" if name == "static" else "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # No inline script or style anywhere; the only outside code is Telegram's login widget (a script that
    # opens an iframe of oauth.telegram.org); QR codes are data: images.
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


async def context(request: web.Request) -> dict[str, Any]:
    row = request.get(SESSION)
    return {
        "person": request.get(PERSON),
        "csrf": row.csrf_token if row is not None else "",
        "lang": request.get(LANG, "vi"),
        "languages": i18n.available_languages(),
        "url": lambda name, **parts: str(request.app.router[name].url_for(**parts)),
        "path": str(request.rel_url),
        "settings": request.app[SETTINGS],
        "request": request,
        "groups": _groups(),
        "rate": _rate,
    }


def _groups():
    from reports import Group

    return tuple(Group)


def _rate(value) -> str:
    from reports import format_rate

    return format_rate(value)


def _gettext(msgid: str, **values) -> str:
    return i18n._(msgid, **values)


def _ngettext(singular: str, plural: str, n: int, **values) -> str:
    return i18n.ngettext(singular, plural, n, **values)


def make_web_app(settings, engine, clock) -> web.Application:
    from core.workdays import WorkCalendar
    from web import admin, drafts, pages, record, reports, signin, workbench

    app = web.Application(middlewares=[middleware])
    app[SETTINGS], app[ENGINE], app[CLOCK] = settings, engine, clock
    app[CALENDAR] = WorkCalendar.from_file(settings.holidays_file)
    app[UPLOADS] = {}
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(str(HERE / "templates")), context_processors=[context],
        autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    # Texts are core.i18n's: `_("… {name}", name=x)` and `ngettext(…)` in the current request's language.
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    from reports.ratings import format_score, person_rating_headers, rating_headers

    env.globals.update(score=format_score, rating_headers=rating_headers, person_rating_headers=person_rating_headers)  # the ratings' table (_ratings.html)
    from core.text import cut

    env.filters["truncate"] = lambda text, length=255, *_a, **_k: cut(text, length)  # at a word, with "…"
    env.filters.update(date=i18n.format_date, status=pages.status_text, role=pages.role_text)
    env.tests["rowof"] = lambda key, number: key[0] == number  # marks|select('rowof', n): problems on row n
    signin.routes(app)
    workbench.routes(app)  # before pages: /tasks/export.xlsx is not a task's key
    from web import remind_bulk

    remind_bulk.routes(app)  # remind now on the task list's selection (issue 23)
    pages.routes(app)
    admin.routes(app)
    drafts.routes(app)
    reports.routes(app)
    record.routes(app)
    from web.api import console as integrations

    integrations.routes(app)  # other systems: API tokens and webhooks (web/api/console.py)
    from web import people_forms, people_pages

    people_pages.routes(app)  # issue 24
    people_forms.routes(app)
    app.router.add_static("/static", HERE / "static", name="static")

    async def drop_uploads(app: web.Application) -> None:
        import shutil

        for _user, path in app[UPLOADS].values():  # registry files checked but never confirmed
            shutil.rmtree(path.parent, ignore_errors=True)

    app.on_cleanup.append(drop_uploads)

    async def sweep_uploads(app: web.Application) -> None:
        from web import upload_files

        await asyncio.to_thread(upload_files.sweep_orphans)  # unconfirmed uploads of a process that crashed

    app.on_startup.append(sweep_uploads)
    return app


MOUNT = CONSOLE_MOUNT  # where the console lives on the one HTTP server (core.links)


def mount(app: web.Application) -> None:
    """Add the console to the feeds' application at /web (the hook web.feeds.make_app calls)."""
    from web.feeds import CLOCK_KEY, ENGINE_KEY, SETTINGS_KEY

    settings = app[SETTINGS_KEY]
    sub = make_web_app(settings, app[ENGINE_KEY], app[CLOCK_KEY])
    app.add_subapp(MOUNT, sub)
    logging.getLogger("dondoc.web").info("web console at %s/web/ (sign in: /web to the bot, or dondoc web-link)",
                                         settings.feed_base_url.rstrip("/"))

    async def to_console(request: web.Request) -> web.Response:
        raise web.HTTPFound("/web/")

    app.router.add_get("/", to_console)
