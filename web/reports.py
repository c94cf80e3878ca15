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
from web.app import CALENDAR, CLOCK, PERSON, SETTINGS, run_db
from web.auth import Person
from web.pages import _parse_date, filter_choices, today_of


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


# -- links for chats that cannot carry files (Zalo) ---------------------------------------------------------

CHART_LINK_HOURS = 24  # how long a chart link works: the chat platform fetches the picture when it is sent


def reports_page_url(settings, period_code: str) -> str:
    """The console's Reports page for a period (sign-in needed): where the XLSX is downloaded."""
    from web.app import MOUNT

    return f"{settings.feed_base_url.rstrip('/')}{MOUNT}/reports?period={quote(period_code)}"


def _chart_key(settings) -> bytes:
    return hashlib.sha256(b"dondoc-report-chart:" + settings.secret_for_callbacks()).digest()


def _chart_sig(settings, body: str) -> str:
    digest = hmac.new(_chart_key(settings), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class ChartLink(NamedTuple):
    """What a valid chart token names: the period, the language, and the day the figures are as of (None in
    links made before tokens carried it: then the day the picture is fetched)."""

    period_code: str
    lang: str
    as_of: date | None


def chart_token(settings, period_code: str, lang: str, *, as_of: date | None = None, now: float | None = None,
                hours: int = CHART_LINK_HOURS) -> str:
    """A signed, expiring name for the chart of the whole report of a period (every agency: only made for
    chats that may see every agency's figures). Nothing is stored; the signature is the permission.

    `as_of`: the day the figures are counted as of, so the picture is the one the message was sent with
    even when the platform fetches it the next day (or the console's clock disagrees with the sender's)."""
    expires = int((now if now is not None else time.time()) + hours * 3600)
    fields = [period_code, lang] + ([as_of.isoformat()] if as_of is not None else []) + [str(expires)]
    body = "~".join(fields)
    return f"{body}~{_chart_sig(settings, body)}"


def read_chart_token(settings, token: str, *, now: float | None = None) -> ChartLink | None:
    """What a valid, unexpired chart token names; None if forged, garbled or old."""
    parts = (token or "").split("~")
    if (len(parts) not in (4, 5) or not parts[-2].isascii() or not parts[-2].isdigit() or len(parts[-2]) > 12
            or not parts[-1].isascii()):  # compare_digest takes ASCII text only
        return None
    body = "~".join(parts[:-1])
    if not hmac.compare_digest(_chart_sig(settings, body), parts[-1]):
        return None
    if int(parts[-2]) < (now if now is not None else time.time()):
        return None
    as_of = None
    if len(parts) == 5:
        try:
            as_of = date.fromisoformat(parts[2])
        except ValueError:
            return None
    return ChartLink(parts[0], parts[1], as_of)


def chart_url(settings, period_code: str, lang: str, *, as_of: date | None = None, now: float | None = None) -> str:
    from web.app import MOUNT

    token = chart_token(settings, period_code, lang, as_of=as_of, now=now)
    return f"{settings.feed_base_url.rstrip('/')}{MOUNT}/reports/chart/{quote(token, safe='~')}.png"


def summary_chart_url(settings, quarter: str, lang: str, *, today: date, now: float) -> str:
    """The link to the quarterly summary's chart for a chat that takes pictures by URL (Zalo): the picture
    behind it is `reports.summary.summary_chart(quarter=quarter, today=today, lang=lang)`, byte for byte."""
    from reports.summary import summary_period

    return chart_url(settings, summary_period(settings, quarter).code, lang, as_of=today, now=now)


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
