"""The Reports page and the dashboard's four groups: the report library's figures (`reports`), the same ones
`dondoc report` and the chat's /report give, on screen and as XLSX / DOCX / PNG downloads.

Everyone signed in sees reports within their role: every agency for administrators, the oversight body and
the leadership; their own agencies for a focal point or manager."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session

from core.i18n import _, current_language
from core.links import read_chart_token
from web.common import CALENDAR, CLOCK, PERSON, SETTINGS, run_db
from storage.signin import Person
from web.common import _parse_date, filter_choices, today_of


@dataclass
class Choice:
    period: object | None  # reports.Period
    error: str | None
    agency: str | None
    directive: str | None
    query: dict[str, str]  # what to repeat in the download links


def period_choices(today: date, cutoff: str) -> list[tuple[str, str]]:
    """(value, label) of the periods offered in the filters: this and last quarter, the half, the year."""
    from reports import current_period

    q = current_period(today, "quarter", cutoff)
    last_q = current_period(q.start - timedelta(days=1), "quarter", cutoff)
    h = current_period(today, "half", cutoff)
    y = current_period(today, "year", cutoff)
    return [(p.code, p.name()) for p in (q, last_q, h, y)]


def choose(request: web.Request, person: Person, agencies: list[tuple[str, str]]) -> Choice:
    """The period and filters asked for (the current quarter by default)."""
    from reports import PeriodError, current_period, parse_period, period_between

    settings = request.app[SETTINGS]
    g = request.query.get
    today = today_of(request)
    error = None
    period = None
    query: dict[str, str] = {}
    try:
        if g("from") or g("to"):
            start, end = _parse_date(g("from") or ""), _parse_date(g("to") or "")
            if start is None or end is None:
                raise PeriodError(_("Give both dates as dd/mm/yyyy."))
            period = period_between(start, end)
            query.update({"from": start.isoformat(), "to": end.isoformat()})
        elif g("period"):
            period = parse_period(g("period"), settings.report_cutoff)
            query["period"] = g("period")
        else:
            period = current_period(today, "quarter", settings.report_cutoff)
    except PeriodError as e:
        error = str(e)
    agency = g("agency") if g("agency") in dict(agencies) else None
    directive = g("directive") or None
    for k, v in (("agency", agency), ("directive", directive)):
        if v:
            query[k] = v
    return Choice(period, error, agency, directive, query)


def build(s: Session, request: web.Request, person: Person, choice: Choice):
    from reports import build_report

    allowed = person.visible_agencies()
    agencies = [choice.agency] if choice.agency else allowed
    return build_report(s, settings=request.app[SETTINGS], calendar=request.app[CALENDAR], period=choice.period,
                        today=today_of(request), agencies=agencies, directive=choice.directive)


async def reports_page(request: web.Request) -> web.Response:
    person: Person = request[PERSON]

    def load(s: Session):
        choices = filter_choices(s, person)
        choice = choose(request, person, choices["agencies"])
        report = build(s, request, person, choice) if choice.period is not None else None
        return {**choices, "choice": choice, "report": report,
                "periods": period_choices(today_of(request), request.app[SETTINGS].report_cutoff)}

    ctx = await run_db(request, load)
    return aiohttp_jinja2.render_template("reports.html", request, ctx, status=400 if ctx["choice"].error else 200)


FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
}


async def report_file(request: web.Request) -> web.Response:
    person: Person = request[PERSON]
    fmt = request.match_info["fmt"]
    if fmt not in FORMATS:
        raise web.HTTPNotFound()
    lang = current_language()

    def render(s: Session):
        choice = choose(request, person, filter_choices(s, person)["agencies"])
        if choice.period is None:
            return None, None
        report = build(s, request, person, choice)
        if fmt == "xlsx":
            from reports.xlsx import report_xlsx

            return report_xlsx(report, lang=lang), report.period.code
        if fmt == "docx":
            from reports.docx import report_docx

            return report_docx(report, lang=lang), report.period.code
        from reports.chart import report_chart

        return report_chart(report, lang=lang), report.period.code

    body, code = await run_db(request, render)
    if body is None:
        raise web.HTTPBadRequest(text=_("Cannot read the period."))
    name = f"dondoc-report-{code.replace('..', '_')}.{fmt}"
    disposition = "inline" if fmt == "png" else "attachment"
    return web.Response(body=body, headers={"Content-Type": FORMATS[fmt],
                                            "Content-Disposition": f'{disposition}; filename="{name}"'})


async def report_chart_link(request: web.Request) -> web.Response:
    """The chart behind a signed link (no sign-in: a chat platform fetches it to show it in the chat)."""
    from core.i18n import available_languages
    from reports import PeriodError, build_report, parse_period

    settings = request.app[SETTINGS]
    found = read_chart_token(settings, request.match_info["token"], now=request.app[CLOCK].now().timestamp())
    if found is None or found.lang not in available_languages():
        raise web.HTTPNotFound()
    code, lang = found.period_code, found.lang
    today = found.as_of or today_of(request)
    try:
        period = parse_period(code, settings.report_cutoff)
    except PeriodError:
        raise web.HTTPNotFound() from None

    def render(s: Session) -> bytes:
        from reports.chart import report_chart

        report = build_report(s, settings=settings, calendar=request.app[CALENDAR], period=period, today=today)
        return report_chart(report, lang=lang)

    body = await run_db(request, render)
    return web.Response(body=body, headers={"Content-Type": "image/png",
                                            "Content-Disposition": f'inline; filename="dondoc-report-{code}.png"'})


def dashboard_figures(s: Session, request: web.Request, person: Person, choices: dict) -> dict:
    """The dashboard's four groups per agency for the chosen period (the current quarter by default)."""
    choice = choose(request, person, choices["agencies"])
    settings = request.app[SETTINGS]
    periods = period_choices(today_of(request), settings.report_cutoff)
    if choice.period is None:
        return {"report": None, "error": choice.error, "periods": periods, "period": request.query.get("period"),
                "query": choice.query, "title": _("Four groups")}
    report = build(s, request, person, choice)
    return {"report": report, "error": None, "periods": periods, "period": choice.period.code,
            "query": choice.query,
            "title": _("{period}: four groups per agency", period=report.period.name())}


def routes(app: web.Application) -> None:
    app.router.add_get("/reports", reports_page, name="reports")
    app.router.add_get("/reports/report.{fmt}", report_file, name="report_file")
    app.router.add_get("/reports/chart/{token}.png", report_chart_link, name="report_chart_link")
