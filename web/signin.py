"""Sign-in pages: a one-time link (GET shows a button, POST spends the link — so a chat's link preview, which
fetches the URL, cannot use it up), the Telegram Login Widget's redirect, sign-out and the language switch."""

from __future__ import annotations

import hmac
from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web

from core.i18n import _
from storage import signin as auth
from web.common import COOKIE, LANG_COOKIE, NONCE_COOKIE, SESSION, SETTINGS, language_of, now, run_db, set_cookie


def _next(request: web.Request, value: str | None) -> str:
    """Where to go after signing in: a page of the console only (never another site)."""
    # No control character: CR/LF would split the Location header (aiohttp refuses it with an exception).
    if value and value.startswith("/web/") and not value.startswith("//") and \
            not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return value
    return "/web/"


def refusal(code: str) -> str:
    return {
        "malformed": _("This sign-in link is not valid. Ask the bot for a new one with /web."),
        "unknown": _("This sign-in link is not valid. Ask the bot for a new one with /web."),
        "used": _("This sign-in link has already been used; each link works once. Ask the bot for a new one "
                  "with /web."),
        "expired": _("This sign-in link has expired. Ask the bot for a new one with /web."),
        "forged": _("The Telegram sign-in could not be verified."),
        "stale": _("The Telegram sign-in is too old; sign in again."),
        "no_bot": _("Sign-in with Telegram is not set up on this server (no bot token)."),
        "other_browser": _("This Telegram sign-in did not start in this browser. Open the sign-in page and press "
                           "Telegram's button here."),
        "no_role": _("Your Telegram account is not linked to any agency yet. Ask the administrator for an "
                     "invite, then send /web to the bot."),
    }.get(code, _("Sign-in refused."))


def _refused(request: web.Request, code: str) -> web.Response:
    return aiohttp_jinja2.render_template("signin.html", request, {"error": refusal(code), "next": "/web/",
                                                                  "widget": None}, status=403)


# The Telegram Login Widget's payload is signed by Telegram but says nothing of the browser it is used in: a
# payload of someone else's, opened in your browser, would sign you in as them (login CSRF). The sign-in page
# therefore puts a random state in a cookie and in the widget's return address; the return must carry both.
TG_STATE_COOKIE = "dondoc_tg_state"


def _widget(request: web.Request, state: str) -> dict | None:
    s = request.app[SETTINGS]
    if not (s.telegram_bot_token and s.telegram_bot_username):
        return None
    url = request.app.router["signin_telegram"].url_for().with_query(state=state)
    return {"bot": s.telegram_bot_username, "auth_url": s.feed_base_url.rstrip("/") + str(url)}


async def signin_page(request: web.Request) -> web.Response:
    state = auth.new_token()
    widget = _widget(request, state)
    response = aiohttp_jinja2.render_template("signin.html", request, {
        "error": None, "next": _next(request, request.query.get("next")), "widget": widget})
    if widget is not None:
        s_ = request.app[SETTINGS]
        set_cookie(response, s_, TG_STATE_COOKIE, state, s_.signin_link_minutes * 60)
    return response


async def link_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]

    def check(s):
        try:
            return auth.peek_signin_link(s, token, now(request)), None
        except auth.SigninError as e:
            return None, e.code

    row, code = await run_db(request, check)
    if row is None:
        return _refused(request, code)
    # The button's form carries a nonce that must match a cookie set here, so another site cannot post a link
    # of its own choosing from someone's browser and sign them in as somebody else (login CSRF).
    nonce = auth.new_token()
    response = aiohttp_jinja2.render_template("signin_link.html", request, {"name": row.name or row.user_id,
                                                                           "token": token, "nonce": nonce})
    set_cookie(response, request.app[SETTINGS], NONCE_COOKIE, nonce, 30 * 60)
    return response


async def _start_session(request: web.Request, user_id: str, name: str | None, via: str, redirect: str,
                         via_chat: str | None = None, via_chat_admin: bool = False):
    """Open a session for a person who has a role, else refuse; both in one transaction."""
    s_ = request.app[SETTINGS]
    lang = language_of(request)

    def work(s):
        person = auth.person_for(s, user_id, name, s_.admin_user_ids, via_chat,
                                 oversight_user_ids=s_.oversight_user_ids, via_chat_admin=via_chat_admin)
        if person is None:
            return None
        token, _row = auth.open_session(s, user_id, name=name, via=via, now=now(request),
                                        minutes=s_.web_session_minutes, language=lang, via_chat=via_chat,
                                        via_chat_admin=via_chat_admin)
        return token

    token = await run_db(request, work)
    if token is None:
        return _refused(request, "no_role")
    response = web.Response(status=303, headers={"Location": redirect})
    set_cookie(response, s_, COOKIE, token, s_.web_session_minutes * 60)
    response.del_cookie(NONCE_COOKIE, path="/web")
    response.del_cookie(TG_STATE_COOKIE, path="/web")  # a state is good for one sign-in
    return response


async def link_signin(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    form = await request.post()
    cookie = request.cookies.get(NONCE_COOKIE)
    if not cookie or not hmac.compare_digest(cookie, str(form.get("nonce", ""))):
        raise web.HTTPForbidden(text=_("This form has expired or did not come from this site; reload the page and "
                                       "try again."))

    def redeem(s):
        try:
            row = auth.redeem_signin_link(s, token, now(request))
            return (row.user_id, row.name, row.via_chat, row.via_chat_admin), None
        except auth.SigninError as e:
            return None, e.code

    who, code = await run_db(request, redeem)
    if who is None:
        return _refused(request, code)
    return await _start_session(request, who[0], who[1], "link", "/web/", via_chat=who[2],
                                via_chat_admin=who[3])


async def telegram_signin(request: web.Request) -> web.StreamResponse:
    s_ = request.app[SETTINGS]
    data = dict(request.query)
    state = str(data.pop("state", ""))  # ours, not Telegram's: not part of the signed fields
    try:
        fields = auth.verify_telegram_login(data, s_.telegram_bot_token, now(request),
                                            timedelta(minutes=s_.signin_link_minutes))
    except auth.SigninError as e:
        return _refused(request, e.code)
    cookie = request.cookies.get(TG_STATE_COOKIE, "")
    if not cookie or not state or not hmac.compare_digest(cookie.encode(), state.encode("utf-8", "replace")):
        return _refused(request, "other_browser")
    name = " ".join(x for x in (fields.get("first_name"), fields.get("last_name")) if x) or fields.get("username")
    return await _start_session(request, fields["id"], name, "telegram", "/web/")


async def signout(request: web.Request) -> web.StreamResponse:
    row = request[SESSION]

    def close(s):
        from storage.tables import WebSession

        r = s.get(WebSession, row.id)
        r.revoked_at = now(request)
        s.add(r)

    await run_db(request, close)
    response = web.Response(status=303, headers={"Location": str(request.app.router["signin"].url_for())})
    response.del_cookie(COOKIE, path="/web")
    return response


async def switch_language(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    from core.i18n import available_languages

    if lang not in available_languages():
        raise web.HTTPNotFound()
    row = request.get(SESSION)
    if row is not None:
        def save(s):
            from storage.tables import WebSession

            r = s.get(WebSession, row.id)
            r.language = lang
            s.add(r)

        await run_db(request, save)
    response = web.Response(status=303, headers={"Location": _next(request, request.query.get("next"))})
    set_cookie(response, request.app[SETTINGS], LANG_COOKIE, lang, 365 * 86400)
    return response


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/signin", signin_page, name="signin")
    r.add_get("/signin/telegram", telegram_signin, name="signin_telegram")
    r.add_get("/signin/{token}", link_page, name="signin_link")
    r.add_post("/signin/{token}", link_signin, name="signin_link_post")
    r.add_post("/signout", signout, name="signout")
    r.add_get("/lang/{lang}", switch_language, name="lang")
