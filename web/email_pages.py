"""The two pages an e-mail links to, on FEED_BASE_URL: confirm an address (double opt-in) and stop mails.

Opening a link (GET) only shows a page with a button; the button (a POST) acts. Mail scanners and link
previews that fetch every URL in a message therefore confirm and unsubscribe nothing. The stop link also
takes RFC 8058's one-click POST (`List-Unsubscribe=One-Click`) that mail providers send for their
"unsubscribe" button. The signed token in the link is the authority (see `bot.email.make_token`).
"""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from bot.email import AWAITING, PLATFORM, read_token
from core.i18n import _

ENGINE_KEY = "engine"


def add_routes(app: web.Application, settings, engine, clock) -> None:
    app["email_pages"] = (settings, engine, clock)
    app.router.add_get("/email/confirm", confirm_page)
    app.router.add_post("/email/confirm", confirm_action)
    app.router.add_get("/email/stop", stop_page)
    app.router.add_post("/email/stop", stop_action)


def _page(title: str, body: str, lang: str, status: int = 200) -> web.Response:
    doc = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f"<title>{html.escape(title)}</title></head>"
           f'<body style="font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em">'
           f"<h1>{html.escape(title)}</h1>{body}</body></html>")
    return web.Response(text=doc, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                 # Their buttons act: no other site may frame them (clickjacking).
                                 "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "frame-ancestors 'none'; default-src 'none'; "
                                                            "style-src 'unsafe-inline'; form-action 'self'"})


def _invalid(token: str) -> int:
    """400 for a link garbled beyond reading (non-ASCII: a link dondoc makes never is), 404 for one that is
    forged, expired or about a removed address."""
    return 404 if token.isascii() else 400


def _form(action: str, token: str, label: str) -> str:
    return (f'<form method="post" action="{action}"><input type="hidden" name="t" value="{html.escape(token)}">'
            f'<button type="submit" style="font-size:1.1em;padding:.5em 1em">{html.escape(label)}</button></form>')


def _binding(request: web.Request, token: str, purpose: str):
    from sqlmodel import Session

    from storage.tables import ChatBinding

    settings, engine, clock = request.app["email_pages"]
    binding_id = read_token(settings, token, purpose, now=clock.now().timestamp())
    if binding_id is None:
        return settings, None
    with Session(engine, expire_on_commit=False) as s:
        b = s.get(ChatBinding, binding_id)
    if b is None or b.platform != PLATFORM:
        return settings, None
    return settings, b


async def confirm_page(request: web.Request) -> web.Response:
    token = request.query.get("t", "")
    settings, b = await asyncio.to_thread(_binding, request, token, "confirm")
    lang = (b.language if b and b.language else settings.language)
    if b is None or (not b.active and b.disabled_reason != AWAITING):
        return _page(_("Link not valid", lang=lang), "<p>" + html.escape(_(
            "This confirmation link is not valid or has expired. Ask your dondoc administrator to link the "
            "address again.", lang=lang)) + "</p>", lang, status=_invalid(token))
    if b.active:
        return _page(_("Address confirmed", lang=lang), "<p>" + html.escape(_(
            "{address} is already confirmed.", lang=lang, address=b.chat_id)) + "</p>", lang)
    text = _("Confirm that {address} should receive dondoc's messages for {agency}.", lang=lang,
             address=b.chat_id, agency=_agency_name(request, b.agency))
    return _page(_("Confirm your address", lang=lang), f"<p>{html.escape(text)}</p>"
                 + _form("/email/confirm", token, _("Confirm", lang=lang)), lang)


async def confirm_action(request: web.Request) -> web.Response:
    form = await request.post()
    token = str(form.get("t", ""))
    settings, b = await asyncio.to_thread(_binding, request, token, "confirm")
    lang = (b.language if b and b.language else settings.language)
    ok = b is not None and await asyncio.to_thread(_set_state, request, b.id, True)
    if not ok:
        return _page(_("Link not valid", lang=lang), "<p>" + html.escape(_(
            "This confirmation link is not valid or has expired. Ask your dondoc administrator to link the "
            "address again.", lang=lang)) + "</p>", lang, status=_invalid(token))
    return _page(_("Address confirmed", lang=lang), "<p>" + html.escape(_(
        "Thank you. {address} will now receive dondoc's messages.", lang=lang, address=b.chat_id)) + "</p>", lang)


async def stop_page(request: web.Request) -> web.Response:
    token = request.query.get("t", "")
    settings, b = await asyncio.to_thread(_binding, request, token, "stop")
    lang = (b.language if b and b.language else settings.language)
    if b is None:
        return _page(_("Link not valid", lang=lang), "<p>" + html.escape(_("This link is not valid.", lang=lang))
                     + "</p>", lang, status=_invalid(token))
    if not b.active:
        return _page(_("No more e-mails", lang=lang), "<p>" + html.escape(_(
            "{address} does not receive dondoc's messages any more.", lang=lang, address=b.chat_id)) + "</p>", lang)
    text = _("Stop sending dondoc's messages for {agency} to {address}?", lang=lang, address=b.chat_id,
             agency=_agency_name(request, b.agency))
    return _page(_("Stop e-mails", lang=lang), f"<p>{html.escape(text)}</p>"
                 + _form("/email/stop?t=" + html.escape(token), token, _("Stop e-mails", lang=lang)), lang)


async def stop_action(request: web.Request) -> web.Response:
    form = await request.post()
    token = str(form.get("t") or request.query.get("t", ""))
    settings, b = await asyncio.to_thread(_binding, request, token, "stop")
    lang = (b.language if b and b.language else settings.language)
    if b is None:
        return _page(_("Link not valid", lang=lang), "<p>" + html.escape(_("This link is not valid.", lang=lang))
                     + "</p>", lang, status=_invalid(token))
    await asyncio.to_thread(_set_state, request, b.id, False)
    return _page(_("No more e-mails", lang=lang), "<p>" + html.escape(_(
        "{address} does not receive dondoc's messages any more.", lang=lang, address=b.chat_id)) + "</p>", lang)


def _agency_name(request: web.Request, code: str) -> str:
    from sqlmodel import Session

    from storage.tables import Agency

    _settings, engine, _clock = request.app["email_pages"]
    with Session(engine) as s:
        a = s.get(Agency, code)
        return a.name if a is not None else code


def _set_state(request: web.Request, binding_id: int, confirm: bool) -> bool:
    """Confirm an address awaiting confirmation, or stop one; audited. False when nothing may change."""
    from jobs.scheduler import invalidate_for_binding
    from storage import audit
    from storage.db import session_scope
    from storage.tables import ChatBinding

    _settings, engine, clock = request.app["email_pages"]
    now = clock.now()
    with session_scope(engine) as s:
        b = s.get(ChatBinding, binding_id)
        if b is None:
            return False
        if confirm:
            if b.active:
                return True
            if b.disabled_reason != AWAITING:
                return False  # unlinked, bounced or stopped since: an old link does not bring it back
            b.active, b.disabled_reason, action = True, None, "binding.confirmed"
        else:
            if not b.active and b.disabled_reason != AWAITING:
                return True
            b.active, b.disabled_reason, action = False, "unsubscribed", "binding.unsubscribed"
        b.updated_at = now
        s.add(b)
        audit.record(s, at=now, actor=b.chat_id, source=PLATFORM, action=action, entity="binding",
                     entity_key=f"{PLATFORM}:{b.chat_id}", agency=b.agency, role=b.role)
        # A confirmed address hears about its tasks from the next tick, as a chat linked by invite does;
        # a stopped one is left out of the plan at once (no row planned for it waits in vain).
        invalidate_for_binding(s, b.agency, b.role)
    return True
