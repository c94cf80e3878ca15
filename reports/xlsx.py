"""The report as an Excel workbook (openpyxl), formatted for printing.

Sheet 1: one row per agency with the four groups, the total and the on-time rate, then the totals.
Sheet 2: the overdue tasks (key, content, lead, deadline as written and in force, working days late, last
progress, extensions). Sheet 3: every due date counted, with its status.
Each sheet: title lines, the header row frozen and repeated on every printed page, filters, column widths,
wrapped text, A4 landscape fitted to the page width. Dates are real dates shown dd/mm/yyyy; a text that
starts like a formula ("=", "+", "-", "@") stays text.
"""

from __future__ import annotations

import io
from copy import copy

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.i18n import N_, _, current_language, format_date, pgettext
from core.spreadsheet import set_text
from core.status import status_label
from reports.figures import GROUPS, Report, ReportRow
from reports.ratings import person_rating_headers, rating_headers

__all__ = ["report_xlsx", "HEADER_ROW", "SHEET_TITLES", "RATINGS_SHEET_TITLE"]

HEADER_ROW = 4  # rows 1-2: title and period; row 4: column headers; data from row 5
DATE_FORMAT = "DD/MM/YYYY"
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
_TOP = Alignment(vertical="top", wrap_text=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
SHEET_TITLES = (N_("By agency"), N_("Overdue"), N_("All tasks"))
RATINGS_SHEET_TITLE = N_("Ratings")
PEOPLE_SHEET_TITLE = N_("Ratings per person")
_COLOR_FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}


def _text(cell, value: str | None) -> None:
    """A string stays a string, even "=SUM(…)" typed into a task's content, and after the cell is edited."""
    set_text(cell, value)


def _date(cell, value) -> None:
    cell.value = value
    if value is not None:
        cell.number_format = DATE_FORMAT


def _title(ws: Worksheet, report: Report, title: str, lang: str, width: int) -> None:
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    sub = _("Period: {name} ({dates})", lang, name=report.period.name(lang), dates=report.period.dates(lang))
    if report.period.cutoff == "nd09" and report.period.kind != "range":
        sub += " — " + _("data cut-off of Decree 09/2019/ND-CP", lang)
    sub += "; " + _("status as of {date}", lang, date=format_date(report.as_of))
    if report.directive_filter:
        sub += "; " + _("directive {number}", lang, number=report.directive_filter)
    _text(ws.cell(row=2, column=1), sub)
    ws.cell(row=2, column=1).font = Font(italic=True)
    for r in (1, 2):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        ws.cell(row=r, column=1).alignment = Alignment(wrap_text=False)


def _header(ws: Worksheet, headers: list[str], widths: list[int], last_row: int) -> None:
    for col, (h, w) in enumerate(zip(headers, widths), start=1):
        c = ws.cell(row=HEADER_ROW, column=col)
        _text(c, h)
        c.font = Font(bold=True)
        c.fill = _HEAD_FILL
        c.alignment = _CENTER
        c.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = w
    last_col = get_column_letter(len(headers))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{max(last_row, HEADER_ROW)}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _body(ws: Worksheet, first_row: int, last_row: int, n_cols: int) -> None:
    """Borders and top-aligned wrapped text on every body cell. Assigning a style object hashes it against the
    workbook's list of styles, which dominates the time of a 10,000-row sheet: each distinct starting style is
    styled once and its resulting style indices copied to the cells that start the same."""
    done: dict[tuple, object] = {}
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, max_col=n_cols):
        for c in row:
            before = tuple(c._style) if c._style is not None else ()
            styled = done.get(before)
            if styled is None:
                c.border = _BORDER
                if c.alignment is None or not c.alignment.wrap_text:
                    c.alignment = _TOP
                done[before] = copy(c._style)
            else:
                c._style = copy(styled)


def _extensions_text(row: ReportRow, lang: str) -> str:
    parts = []
    for e in row.extensions:
        decision = {"approved": _("approved", lang), "rejected": _("rejected", lang)}.get(e.decision,
                                                                                        _("pending", lang))
        parts.append(_("{previous} → {requested} ({decision}): {reason}", lang,
                       previous=format_date(e.previous_due), requested=format_date(e.requested_due),
                       decision=decision, reason=e.reason))
    return "\n".join(parts)


def _progress_text(row: ReportRow, lang: str) -> str:
    p = row.last_progress
    if p is None:
        return ""
    what = " — ".join(x for x in (f"{p.percent}%" if p.percent is not None else "", p.note or "") if x)
    return _("{date} ({who}): {what}", lang, date=format_date(p.on), who=p.by, what=what)


def _agencies_sheet(ws: Worksheet, report: Report, lang: str) -> None:
    headers = [pgettext("table column", "No.", lang), _("Agency", lang), *[g.label(lang) for g in GROUPS],
               _("Total", lang), _("On-time rate", lang)]
    widths = [6, 40, 16, 16, 18, 18, 10, 12]
    _title(ws, report, _("Task completion by agency", lang), lang, len(headers))
    r = HEADER_ROW
    for i, a in enumerate(report.agencies, start=1):
        r += 1
        ws.cell(row=r, column=1, value=i)
        _text(ws.cell(row=r, column=2), a.name)
        for k, g in enumerate(GROUPS, start=3):
            ws.cell(row=r, column=k, value=a.counts.get(g))
        ws.cell(row=r, column=7, value=a.counts.total)
        rate = ws.cell(row=r, column=8, value=a.counts.on_time_rate)
        rate.number_format = "0.0%"
    last_data = r
    r += 1
    _text(ws.cell(row=r, column=2), _("Total", lang))
    for k, g in enumerate(GROUPS, start=3):
        ws.cell(row=r, column=k, value=report.totals.get(g))
    ws.cell(row=r, column=7, value=report.totals.total)
    ws.cell(row=r, column=8, value=report.totals.on_time_rate).number_format = "0.0%"
    for c in ws[r]:
        c.font = Font(bold=True)
    _header(ws, headers, widths, last_data)
    _body(ws, HEADER_ROW + 1, r, len(headers))


def _overdue_sheet(ws: Worksheet, report: Report, lang: str) -> None:
    headers = [pgettext("table column", "No.", lang), _("Key", lang), _("Content", lang), _("Lead agency", lang),
               _("Directive", lang),
               _("Deadline as written", lang), _("Due date", lang), _("Deadline in force", lang),
               _("Working days late", lang), _("Last progress", lang), _("Extensions", lang)]
    widths = [6, 14, 50, 26, 16, 22, 12, 12, 10, 30, 34]
    _title(ws, report, _("Overdue tasks", lang), lang, len(headers))
    r = HEADER_ROW
    for i, row in enumerate(report.overdue, start=1):
        r += 1
        f = row.fact
        ws.cell(row=r, column=1, value=i)
        for col, value in ((2, f.task_key), (3, f.content), (4, row.lead_name), (5, f.directive),
                           (6, f.deadline_text)):
            _text(ws.cell(row=r, column=col), value)
        _date(ws.cell(row=r, column=7), f.due)
        _date(ws.cell(row=r, column=8), row.effective_due)
        ws.cell(row=r, column=9, value=row.workdays_late)
        _text(ws.cell(row=r, column=10), _progress_text(row, lang))
        _text(ws.cell(row=r, column=11), _extensions_text(row, lang))
    _header(ws, headers, widths, r)
    _body(ws, HEADER_ROW + 1, r, len(headers))


def _all_sheet(ws: Worksheet, report: Report, lang: str) -> None:
    headers = [pgettext("table column", "No.", lang), _("Key", lang), _("Content", lang), _("Lead agency", lang),
               _("Directive", lang),
               _("Deadline as written", lang), _("Due date", lang), _("Deadline in force", lang),
               _("Group", lang), _("Status", lang), _("Completed on", lang), _("Working days late", lang),
               _("Report document", lang), _("Evidence files", lang)]
    widths = [6, 14, 50, 26, 16, 22, 12, 12, 22, 22, 12, 10, 22, 30]
    _title(ws, report, _("All tasks of the period", lang), lang, len(headers))
    r = HEADER_ROW
    for i, row in enumerate(report.rows, start=1):
        r += 1
        f = row.fact
        ws.cell(row=r, column=1, value=i)
        for col, value in ((2, f.task_key), (3, f.content), (4, row.lead_name), (5, f.directive),
                           (6, f.deadline_text), (9, row.group.label(lang)), (10, status_label(row.status, lang))):
            _text(ws.cell(row=r, column=col), value)
        _date(ws.cell(row=r, column=7), f.due)
        _date(ws.cell(row=r, column=8), row.effective_due)
        _date(ws.cell(row=r, column=11), row.done_on)
        ws.cell(row=r, column=12, value=row.workdays_late)
        _text(ws.cell(row=r, column=13), f.document if row.done_on else None)
        _text(ws.cell(row=r, column=14), "; ".join(f.files) if row.done_on and f.files else None)
    _header(ws, headers, widths, r)
    _body(ws, HEADER_ROW + 1, r, len(headers))


def _ratings_sheet(ws: Worksheet, report: Report, lang: str) -> None:
    headers = rating_headers(lang)
    widths = [8, 40, 10, 12, 12, 14, 10, 12, 18, 22]
    rule = report.ratings.rule
    _title(ws, report, _("Ratings by progress (Decree 335/2025/ND-CP): each delay takes {share} of the points",
                         lang, share=rule.penalty_text), lang, len(headers))
    r = HEADER_ROW
    for a in report.ratings.agencies:
        r += 1
        ws.cell(row=r, column=1, value=a.rank)
        _text(ws.cell(row=r, column=2), a.name)
        for col, value in ((3, a.due), (4, a.on_time), (5, a.late), (6, a.open_overdue), (7, a.returned),
                           (8, a.score)):
            ws.cell(row=r, column=col, value=value)
        ws.cell(row=r, column=8).number_format = "0.0"
        _text(ws.cell(row=r, column=9), a.grade.label(lang) if a.grade else "—")
        color = ws.cell(row=r, column=10)
        _text(color, a.color.label(lang) if a.color else "")
        if a.color:
            color.fill = PatternFill("solid", fgColor=_COLOR_FILLS[a.color.value])
    _header(ws, headers, widths, r)
    _body(ws, HEADER_ROW + 1, r, len(headers))


def _people_sheet(ws: Worksheet, report: Report, lang: str) -> None:
    headers = person_rating_headers(lang)
    widths = [8, 36, 36, 10, 12, 12, 14, 10, 12, 18]
    _title(ws, report, _("Ratings per person: work handed as lead with an internal deadline", lang), lang,
           len(headers))
    r = HEADER_ROW
    for p in report.person_ratings:
        r += 1
        ws.cell(row=r, column=1, value=p.rank)
        _text(ws.cell(row=r, column=2), p.name + (f" ({p.department})" if p.department else ""))
        _text(ws.cell(row=r, column=3), p.agency_name)
        for col, value in ((4, p.due), (5, p.on_time), (6, p.late), (7, p.open_overdue), (8, p.returned),
                           (9, p.score)):
            ws.cell(row=r, column=col, value=value)
        ws.cell(row=r, column=9).number_format = "0.0"
        _text(ws.cell(row=r, column=10), p.grade.label(lang) if p.grade else "—")
    _header(ws, headers, widths, r)
    _body(ws, HEADER_ROW + 1, r, len(headers))


def report_xlsx(report: Report, *, lang: str | None = None) -> bytes:
    """The workbook's bytes (write them with a temporary file and a rename: nothing half-written)."""
    lang = lang or current_language()
    wb = Workbook()
    sheets = [wb.active, wb.create_sheet(), wb.create_sheet()]
    for ws, title in zip(sheets, SHEET_TITLES):
        ws.title = _(title, lang)[:31]
    _agencies_sheet(sheets[0], report, lang)
    _overdue_sheet(sheets[1], report, lang)
    _all_sheet(sheets[2], report, lang)
    if report.ratings is not None:
        ws = wb.create_sheet(_(RATINGS_SHEET_TITLE, lang)[:31])
        _ratings_sheet(ws, report, lang)
    if report.person_ratings:  # only when work was handed to people (issue 24's delegation)
        ws = wb.create_sheet(_(PEOPLE_SHEET_TITLE, lang)[:31])
        _people_sheet(ws, report, lang)
    wb.properties.title = _("Task completion report", lang) + " — " + report.period.name(lang)
    wb.properties.creator = "dondoc"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
