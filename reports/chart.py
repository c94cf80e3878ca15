"""The chart of a report: one horizontal stacked bar per agency in the four groups, as PNG bytes for a chat
and the web console. matplotlib's Agg backend (no display); a figure object per call, no global pyplot
state, so threads may draw at the same time. DejaVu Sans (matplotlib's own font) has Vietnamese letters.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.i18n import _, current_language, format_date
from reports.figures import GROUPS, Group, Report

__all__ = ["report_chart", "chart_size", "COLORS", "MAX_AGENCIES"]

DPI = 100
WIDTH_PX = 1200
MAX_AGENCIES = 40  # beyond this the smallest agencies are folded into "other agencies"
COLORS = {
    Group.DONE_ON_TIME: "#2e7d32",
    Group.DONE_LATE: "#f9a825",
    Group.OPEN_IN_TERM: "#1565c0",
    Group.OPEN_OVERDUE: "#c62828",
}


def chart_size(n_agencies: int) -> tuple[int, int]:
    """(width, height) in pixels of the chart of a report with `n_agencies` agencies."""
    bars = min(max(n_agencies, 1), MAX_AGENCIES + 1)
    return WIDTH_PX, 250 + 44 * bars


def _bars(report: Report, lang: str) -> list[tuple[str, list[int]]]:
    rows = [(a.name, [a.counts.get(g) for g in GROUPS]) for a in report.agencies]
    if len(rows) > MAX_AGENCIES:
        rows.sort(key=lambda r: -sum(r[1]))
        kept, rest = rows[:MAX_AGENCIES], rows[MAX_AGENCIES:]
        folded = [sum(r[1][k] for r in rest) for k in range(len(GROUPS))]
        rows = kept + [(_("{n} other agencies", lang, n=len(rest)), folded)]
    return rows


def report_chart(report: Report, *, lang: str | None = None) -> bytes:
    """PNG bytes, `chart_size(len(report.agencies))` pixels."""
    lang = lang or current_language()
    rows = _bars(report, lang)
    width, height = chart_size(len(report.agencies))
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    bottom, top = 130, 70  # pixels: the axis label and a two-row legend below, the titles above
    ax = fig.add_axes((0.3, bottom / height, 0.66, 1 - (bottom + top) / height))
    labels = ["\n".join(textwrap.wrap(name, 38)[:2]) for name, _values in rows] or [_("(no tasks)", lang)]
    positions = list(range(len(labels)))[::-1]  # the first agency on top
    left = [0] * len(labels)
    for k, g in enumerate(GROUPS):
        values = [v[k] for _name, v in rows] or [0]
        bars = ax.barh(positions, values, left=left, color=COLORS[g], label=g.label(lang), height=0.6)
        ax.bar_label(bars, labels=[str(v) if v else "" for v in values], label_type="center", color="white",
                     fontsize=9, fontweight="bold")
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel(_("Tasks", lang))
    ax.set_xlim(0, max(max(left, default=0), 1) * 1.05)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    title = _("Task completion — {period}", lang, period=report.period.name(lang))
    fig.suptitle(title, fontsize=13, fontweight="bold", y=1 - 18 / height)
    fig.text(0.5, 1 - 48 / height, report.period.dates(lang) + " · " +
             _("status as of {date}", lang, date=format_date(report.as_of)), ha="center", fontsize=9)
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, 8 / height), ncol=2, fontsize=9, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
