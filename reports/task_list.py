"""A list of tasks as an Excel workbook: the console's filtered task list, or a selection of it, exported.

One sheet: key, content, lead agency, directive, deadline as written, due date (in force, off days off), status,
completed on, last progress. Formatted like the report's sheets (header frozen and repeated, filters, A4
landscape); a content that starts like a formula stays text."""

from __future__ import annotations

import io
from typing import Iterable, Mapping

from openpyxl import Workbook

from core.i18n import _, current_language, pgettext
from core.status import status_label
from reports.xlsx import HEADER_ROW, _body, _date, _header, _text

__all__ = ["task_list_xlsx"]


def task_list_xlsx(items: Iterable, *, names: Mapping[str, str], directives: Mapping[int, str] | None = None,
                   title: str | None = None, lang: str | None = None) -> bytes:
    """`items`: storage.views.TaskItem; `names`: agency code → name; `directives`: directive id → number."""
    lang = lang or current_language()
    directives = directives or {}
    wb = Workbook()
    ws = wb.active
    ws.title = _("Task list", lang)[:31]
    headers = [pgettext("table column", "No.", lang), _("Key", lang), _("Content", lang), _("Lead agency", lang),
               _("Directive", lang), _("Deadline as written", lang), _("Due", lang), _("Status", lang),
               _("Completed on", lang), _("Last progress", lang)]
    widths = [6, 14, 60, 28, 16, 24, 12, 22, 12, 30]
    ws.cell(row=1, column=1, value=title or _("Task list", lang))
    r = HEADER_ROW
    for i, item in enumerate(items, start=1):
        r += 1
        t = item.task
        ws.cell(row=r, column=1, value=i)
        p = item.last_progress
        progress = "" if p is None else " — ".join(x for x in (f"{p.percent}%" if p.percent is not None else "",
                                                               p.note or "") if x)
        for col, value in ((2, t.key), (3, t.content), (4, names.get(t.lead_agency, t.lead_agency)),
                           (5, directives.get(t.directive_id, "")), (6, t.deadline_text),
                           (8, status_label(item.status, lang)), (10, progress)):
            _text(ws.cell(row=r, column=col), value)
        _date(ws.cell(row=r, column=7), item.effective_due)
        _date(ws.cell(row=r, column=9), item.completed_on)
    _header(ws, headers, widths, r)
    _body(ws, HEADER_ROW + 1, r, len(headers))
    wb.properties.creator = "dondoc"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
