"""What every console page shares: the application's and request's keys, cookies, the language of a request,
running a unit of work off the event loop, and the filters' choices. web/app.py builds the application from the
pages (web/pages.py, admin.py, reports.py, signin.py); they import this, never web/app.py, so the console has no
import circle.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any, Callable

from aiohttp import web
from sqlmodel import Session, select

from core import i18n
from core.clock import local_today
from storage.agencies import agency_names
from storage.signin import Person
from storage.tables import Directive, Task

HERE = Path(__file__).parent
COOKIE = "dondoc_session"
LANG_COOKIE = "dondoc_lang"
NONCE_COOKIE = "dondoc_signin"  # ties a sign-in link's button to the browser that opened the link
MAX_UPLOAD = 20 * 1024 * 1024  # a registry file

SETTINGS = web.AppKey("web_settings", object)
ENGINE = web.AppKey("web_engine", object)
CLOCK = web.AppKey("web_clock", object)
CALENDAR = web.AppKey("web_calendar", object)
UPLOADS = web.AppKey("web_uploads", object)
SESSION = web.RequestKey("web_session", object)  # storage.tables.WebSession | None
PERSON = web.RequestKey("person", object)  # storage.signin.Person | None
LANG = web.RequestKey("lang", str)

CSP = ("default-src 'self'; script-src 'self' https://telegram.org; frame-src https://oauth.telegram.org; "
       "img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

# report_chart_link: a signed, expiring link to a report's chart, fetched by Zalo's servers (web/reports.py)
PUBLIC = ("signin", "signin_link", "signin_link_post", "signin_telegram", "lang", "static", "report_chart_link")


async def in_session(engine, fn: Callable[[Session], Any]) -> Any:
    """Run `fn(session)` in a worker thread; the session is committed when `fn` returns (rolled back when it
    raises). The console's pages and the API both use it."""
    def work():
        with Session(engine, expire_on_commit=False) as s:
            out = fn(s)
            s.commit()
            return out

    return await asyncio.to_thread(work)


async def run_db(request: web.Request, fn: Callable[[Session], Any]) -> Any:
    """Run `fn(session)` on the console's database in a worker thread (`in_session`)."""
    return await in_session(request.app[ENGINE], fn)


def now(request: web.Request):
    return request.app[CLOCK].now()


def secure_cookies(settings) -> bool:
    return settings.feed_base_url.startswith("https://")


def set_cookie(response: web.StreamResponse, settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/web", httponly=True, samesite="Lax",
                        secure=secure_cookies(settings))


def language_of(request: web.Request) -> str:
    row = request.get(SESSION)
    lang = (row.language if row is not None else None) or request.cookies.get(LANG_COOKIE)
    if lang not in i18n.available_languages():
        lang = request.app[SETTINGS].language
    return lang


def today_of(request: web.Request) -> date:
    return local_today(request.app[CLOCK], request.app[SETTINGS].timezone)


def filter_choices(s: Session, person: Person) -> dict:
    names = agency_names(s)
    allowed = person.visible_agencies()
    used = set(s.exec(select(Task.lead_agency).where(Task.removed_at.is_(None)).distinct()).all())
    codes = sorted(used if allowed is None else set(allowed), key=lambda c: names.get(c, c))
    return {"agencies": [(c, names.get(c, c)) for c in codes],
            "directives": list(s.exec(select(Directive.number).order_by(Directive.number)).all()),
            "names": names}


def _parse_date(text: str) -> date | None:
    from datetime import datetime

    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((text or "").strip(), fmt).date()
        except ValueError:
            continue
    return None


def selected_boxes(form) -> list[tuple[str, str]]:
    """(task key, occurrence key) of every ticked box ("key|occurrence", as the workbench's boxes say it)."""
    out = []
    for value in form.getall("sel", []):
        key, _sep, occurrence = str(value).rpartition("|")
        if key:
            out.append((key, occurrence))
    return out
