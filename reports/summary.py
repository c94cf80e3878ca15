"""The chart the quarterly summary carries (outbox row `summary:quarterly`, occurrence "2018-Q2").

The summary's text (bot.compose → bot.notifications.quarterly_summary) tells the figures of `summary_report`;
to attach the chart the dispatcher calls

    png = summary_chart(session, settings=settings, calendar=calendar, quarter=row.occurrence, today=today,
                        lang=lang)

and sends it as a photo after the text (Telegram), or attaches it (e-mail). A chat that takes pictures by URL
only (Zalo) gets `summary_chart_url(...)` below instead: a signed link to the console, which draws this
same chart (same period, language and as-of day) when the platform fetches it.
The figures are those of `dondoc report --period "Quý II/2018"` under REPORT_CUTOFF.
"""

from __future__ import annotations

import re
from datetime import date

from reports.chart import report_chart
from reports.figures import Period, Report, make_period
from reports.load import build_report

__all__ = ["summary_chart", "summary_period", "summary_report", "parse_quarter_label"]

_LABEL = re.compile(r"(\d{4})-Q([1-4])")


def parse_quarter_label(label: str) -> tuple[int, int]:
    """"2018-Q2" (jobs.planner.period_label) → (2018, 2); ValueError otherwise."""
    m = _LABEL.fullmatch(label.strip())
    if not m:
        raise ValueError(f"not a quarter label like 2018-Q2: {label!r}")
    return int(m.group(1)), int(m.group(2))


def summary_period(settings, quarter: str) -> Period:
    """The reporting period a summary row names: that quarter under REPORT_CUTOFF."""
    year, number = parse_quarter_label(quarter)
    return make_period("quarter", year, number, getattr(settings, "report_cutoff", "calendar"))


def summary_report(session, *, settings, calendar, quarter: str, today: date) -> Report:
    return build_report(session, settings=settings, calendar=calendar, period=summary_period(settings, quarter),
                        today=today)


def summary_chart(session, *, settings, calendar, quarter: str, today: date, lang: str | None = None) -> bytes:
    """PNG bytes of the four groups per agency for the quarter a summary row names."""
    return report_chart(summary_report(session, settings=settings, calendar=calendar, quarter=quarter, today=today),
                        lang=lang)


def summary_chart_url(settings, quarter: str, lang: str, *, today: date, now: float) -> str:
    """The link to the quarterly summary's chart for a chat that takes pictures by URL (Zalo): the picture
    behind it is `reports.summary.summary_chart(quarter=quarter, today=today, lang=lang)`, byte for byte."""
    from core.links import chart_url

    return chart_url(settings, summary_period(settings, quarter).code, lang, as_of=today, now=now)
