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
from web.common import CALENDAR, CLOCK, PERSON, SETTINGS
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
    """(value, label) of the periods offered in the filters, newest first: this quarter and the three before it,
    the halves, nine months and years of this year and the last (once begun), and this year's months so far."""
    from reports import current_period, make_period

    out = []
    q = current_period(today, "quarter", cutoff)
    for _i in range(4):
        out.append(q)
        q = current_period(q.start - timedelta(days=1), "quarter", cutoff)
    year = current_period(today, "year", cutoff).year
    for y in (year, year - 1):
        for p in (make_period("half", y, 1, cutoff), make_period("half", y, 2, cutoff),
                  make_period("nine", y, 1, cutoff), make_period("year", y, 1, cutoff)):
            if p.start <= today:
                out.append(p)
    month = current_period(today, "month", cutoff)
    while month.year == year:
        out.append(month)
        month = current_period(month.start - timedelta(days=1), "month", cutoff)
    seen, choices = set(), []
    for p in out:
        if p.code not in seen:
            seen.add(p.code)
            choices.append((p.code, p.name()))
    return choices


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
                from core.text import impossible_date

                wrong = [t for t in (g("from") or "", g("to") or "") if impossible_date(t)]
                if wrong:
                    raise PeriodError(_("{value} does not exist: give a real date, dd/mm/yyyy.", value=wrong[0]))
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


def build(s: Session, request: web.Request, person: Person, choice: Choice, with_ratings: bool = True):
    from reports import build_report

    allowed = person.visible_agencies()
    agencies = [choice.agency] if choice.agency else allowed
    return build_report(s, settings=request.app[SETTINGS], calendar=request.app[CALENDAR], period=choice.period,
                        today=today_of(request), agencies=agencies, directive=choice.directive,
                        with_ratings=with_ratings)


async def _busy(request: web.Request) -> web.Response:
    """The polite answer past REPORT_HEAVY_PER_PERSON / REPORT_HEAVY_AT_ONCE (web.report_gate)."""
    from web.report_gate import RETRY_AFTER

    response = aiohttp_jinja2.render_template("message.html", request, {
        "title": _("Reports are busy"),
        "text": _("Other reports are being computed right now (yours or other people's); try again in a minute.")},
        status=503)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


async def run_report(request: web.Request, who: str, fn):
    """`fn(session)` through the report gate (its own threads, a few at a time); raises report_gate.Busy."""
    from web.report_gate import GATE

    return await request.app[GATE].run(who, fn)


def _who(request: web.Request) -> str:
    person = request.get(PERSON)
    return f"user:{person.user_id}" if person is not None else f"addr:{request.remote}"


def people_shown(person: Person, report) -> list | None:
    """The people's ratings this person is shown (None: not offered): every person for the oversight body, the
    province's leadership and administrators; an agency's leader (manager) sees their own agency's people only;
    a focal point sees none."""
    if report is None or report.person_ratings is None:
        return None
    if person.is_admin or person.roles & {"oversight", "leadership"}:
        return report.person_ratings
    led = {a for a, r in person.bindings if r == "manager"}
    if not led:
        return None
    return [p for p in report.person_ratings if p.agency in led]


async def reports_page(request: web.Request) -> web.Response:
    from reports import ReportTooLarge
    from web.report_gate import Busy

    person: Person = request[PERSON]

    def load(s: Session):
        choices = filter_choices(s, person)
        choice = choose(request, person, choices["agencies"])
        report = None
        if choice.period is not None:
            try:
                report = build(s, request, person, choice)
            except ReportTooLarge as e:  # what to narrow, on the page, like a period that cannot be read
                choice.error = str(e)
        return {**choices, "choice": choice, "report": report, "people": people_shown(person, report),
                "periods": period_choices(today_of(request), request.app[SETTINGS].report_cutoff)}

    try:
        ctx = await run_report(request, _who(request), load)
    except Busy:
        return await _busy(request)
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
        if fmt == "png":  # the chart draws the four groups only: the dashboard's own image, kept like its table
            report = kept_figures_of(s, request, person, choice)
            s.commit()  # the rows it brought up to date stay computed (the report gate's session is not committed)
            report = report or build(s, request, person, choice, with_ratings=False)
        else:
            report = build(s, request, person, choice)
        if fmt == "xlsx":
            from reports.xlsx import report_xlsx

            return report_xlsx(report, lang=lang), report.period.code
        if fmt == "docx":
            from reports.docx import report_docx

            return report_docx(report, lang=lang), report.period.code
        from reports.chart import report_chart

        return report_chart(report, lang=lang), report.period.code

    from reports import ReportTooLarge
    from web.report_gate import Busy

    try:
        body, code = await run_report(request, _who(request), render)
    except Busy:
        return await _busy(request)
    except ReportTooLarge as e:
        raise web.HTTPBadRequest(text=str(e)) from None
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
        from reports.kept_groups import kept_groups

        report = None
        if today == today_of(request):  # counted as of today: the dashboard's kept four groups draw the same chart
            report = kept_groups(s, settings=settings, calendar=request.app[CALENDAR], period=period, today=today)
            s.commit()  # the rows it brought up to date stay computed
        report = report or build_report(s, settings=settings, calendar=request.app[CALENDAR], period=period,
                                        today=today, with_ratings=False)
        return report_chart(report, lang=lang)

    from reports import ReportTooLarge
    from web.report_gate import Busy

    try:
        body = await run_report(request, _who(request), render)
    except Busy:
        return await _busy(request)
    except ReportTooLarge:
        raise web.HTTPNotFound() from None
    return web.Response(body=body, headers={"Content-Type": "image/png",
                                            "Content-Disposition": f'inline; filename="dondoc-report-{code}.png"'})


def kept_figures_of(s: Session, request: web.Request, person: Person, choice: Choice):
    """The four groups of a running period from the groups kept per due date (reports/kept_groups.py), within this
    person's agencies and the filters; None for a period they do not serve (ended, or outside the kept year)."""
    from reports.kept_groups import kept_groups

    allowed = person.visible_agencies()
    return kept_groups(s, settings=request.app[SETTINGS], calendar=request.app[CALENDAR], period=choice.period,
                       today=today_of(request), agencies=[choice.agency] if choice.agency else allowed,
                       directive=choice.directive)


def dashboard_figures(s: Session, request: web.Request, person: Person, choices: dict) -> dict:
    """The dashboard's four groups per agency for the chosen period (the current quarter by default)."""
    choice = choose(request, person, choices["agencies"])
    settings = request.app[SETTINGS]
    periods = period_choices(today_of(request), settings.report_cutoff)
    if choice.period is None:
        return {"report": None, "error": choice.error, "periods": periods, "period": request.query.get("period"),
                "query": choice.query, "title": _("Four groups")}
    from reports import ReportTooLarge
    from web.overview import kept_figures

    allowed = person.visible_agencies()
    # A running period (this quarter by default) is read from the groups kept per due date (reports/kept_groups.py):
    # one GROUP BY, also right after a change. One that has ended is judged at its last day: the report library's.
    # Either is kept, per process, for the day while no record changes (web/overview.py): the views between two
    # changes skip even the GROUP BY. The dashboard shows no ratings.
    key = ("dashboard", today_of(request), choice.period.code, choice.period.start, choice.period.end,
           tuple(sorted(allowed)) if allowed is not None else None, choice.agency, choice.directive)
    try:
        report = kept_figures(s, key, lambda: kept_figures_of(s, request, person, choice)
                              or build(s, request, person, choice, with_ratings=False))
    except ReportTooLarge as e:
        return {"report": None, "error": str(e), "periods": periods, "period": request.query.get("period"),
                "query": choice.query, "title": _("Four groups")}
    return {"report": report, "error": None, "periods": periods, "period": choice.period.code,
            "query": choice.query,
            "title": _("{period}: four groups per agency", period=report.period.name())}


def routes(app: web.Application) -> None:
    from web.common import ENGINE
    from web.report_gate import install

    install(app, app[SETTINGS], app[ENGINE])
    app.router.add_get("/reports", reports_page, name="reports")
    app.router.add_get("/reports/report.{fmt}", report_file, name="report_file")
    app.router.add_get("/reports/chart/{token}.png", report_chart_link, name="report_chart_link")
