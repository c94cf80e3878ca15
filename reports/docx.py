"""A draft "Báo cáo tình hình thực hiện nhiệm vụ" (python-docx), laid out as Nghị định 30/2020/NĐ-CP
(Phụ lục I) lays out an administrative document, for the clerk to finish:

- the header: the issuing body (tên cơ quan chủ quản / ban hành) with số, ký hiệu on the left, the national
  title (quốc hiệu "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") and motto (tiêu ngữ "Độc lập - Tự do - Hạnh phúc")
  with place and date on the right;
- the document type "BÁO CÁO" and its summary (trích yếu);
- the figures in prose and a table per agency, the overdue tasks, a section left for assessments;
- nơi nhận on the left and the signature block on the right.

Times New Roman 13-14 pt on A4 with the decree's margins (top and bottom 20 mm, left 30 mm, right 15 mm).
What only the clerk knows (the body's name, the number, the date of signing, the signer) is left as "…".
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from core.i18n import _, current_language, format_date, ngettext, pgettext
from reports.figures import GROUPS, Report, format_rate
from reports.ratings import format_score, rating_headers

__all__ = ["report_docx"]

FONT = "Times New Roman"


def _font(run, size: float = 13, bold: bool = False, italic: bool = False):
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    rpr = run._element.get_or_add_rPr()  # East-Asian font slot too, so Word does not substitute
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return run


def _para(container, text: str = "", *, size: float = 13, bold: bool = False, italic: bool = False,
          align=None, space_after: float = 3, indent: bool = False):
    p = container.add_paragraph()
    if text:
        _font(p.add_run(text), size, bold, italic)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.space_before = Pt(0)
    if indent:
        p.paragraph_format.first_line_indent = Mm(10)
    return p


def _cell_para(cell, text: str, **kw):
    """The cell's first (empty) paragraph gets the first text; later texts add paragraphs."""
    p = cell.paragraphs[0] if not cell.paragraphs[0].text and len(cell.paragraphs) == 1 and not \
        cell.paragraphs[0].runs else cell.add_paragraph()
    _font(p.add_run(text), kw.get("size", 13), kw.get("bold", False), kw.get("italic", False))
    p.alignment = kw.get("align", WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.space_after = Pt(kw.get("space_after", 0))
    return p


def _header(doc, report: Report, lang: str, issuer: str | None, parent: str | None, place: str | None) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Mm(68), Mm(100)
    _cell_para(left, (parent or _("PARENT BODY", lang)).upper(), size=12)
    _cell_para(left, (issuer or _("REPORTING BODY", lang)).upper(), size=12, bold=True)
    _cell_para(left, "———", size=12)
    _cell_para(left, _("No.: …/BC-…", lang), size=13)
    _cell_para(right, _("SOCIALIST REPUBLIC OF VIETNAM", lang), size=12, bold=True)
    _cell_para(right, _("Independence - Freedom - Happiness", lang), size=13, bold=True)
    _cell_para(right, "———————————", size=12)
    _cell_para(right, _("{place}, date … month … year …", lang, place=place or "…"), size=13, italic=True)


def _counts_table(doc, report: Report, lang: str) -> None:
    headers = [pgettext("table column", "No.", lang), _("Agency", lang), *[g.label(lang) for g in GROUPS],
               _("Total", lang), _("On-time rate", lang)]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        _cell_para(cell, text, size=11, bold=True)
    body = [(str(i), a.name, a.counts) for i, a in enumerate(report.agencies, start=1)]
    body.append(("", _("Total", lang), report.totals))
    for number, name, c in body:
        cells = table.add_row().cells
        bold = number == ""
        _cell_para(cells[0], number, size=11)
        _cell_para(cells[1], name, size=11, bold=bold, align=WD_ALIGN_PARAGRAPH.LEFT)
        for k, g in enumerate(GROUPS, start=2):
            _cell_para(cells[k], str(c.get(g)), size=11, bold=bold)
        _cell_para(cells[6], str(c.total), size=11, bold=bold)
        _cell_para(cells[7], format_rate(c.on_time_rate, lang), size=11, bold=bold)
    widths = [Mm(10), Mm(55), Mm(20), Mm(20), Mm(22), Mm(22), Mm(15), Mm(18)]
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = w


def _ratings_table(doc, report: Report, lang: str) -> None:
    headers = rating_headers(lang)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        _cell_para(cell, text, size=10, bold=True)
    for a in report.ratings.agencies:
        cells = table.add_row().cells
        values = [str(a.rank) if a.rank else "—", a.name, str(a.due), str(a.on_time), str(a.late),
                  str(a.open_overdue), str(a.returned), format_score(a.score, lang),
                  a.grade.label(lang) if a.grade else "—", a.color.label(lang) if a.color else ""]
        for k, (cell, text) in enumerate(zip(cells, values)):
            _cell_para(cell, text, size=10, align=WD_ALIGN_PARAGRAPH.LEFT if k == 1 else WD_ALIGN_PARAGRAPH.CENTER)
    widths = [Mm(10), Mm(40), Mm(12), Mm(13), Mm(13), Mm(14), Mm(12), Mm(14), Mm(19), Mm(18)]
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = w


def overdue_groups(rows) -> list[list]:
    """The overdue rows, those with the same content, deadline as written and deadline in force together (a plan
    gives one duty to every district: one line naming them all), in the order of their first row."""
    groups: dict[tuple, list] = {}
    for r in rows:
        key = (" ".join(r.fact.content.split()).casefold(), r.fact.deadline_text, r.effective_due)
        groups.setdefault(key, []).append(r)
    return list(groups.values())


def _footer(doc, lang: str) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Mm(80), Mm(85)
    _cell_para(left, _("Recipients:", lang), size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in (_("- Provincial People's Committee (to report);", lang), "- …;",
                 _("- Archived: VT, ….", lang)):
        _cell_para(left, line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell_para(right, _("AUTHORITY AND POSITION OF THE SIGNER", lang), size=13, bold=True)
    _cell_para(right, _("(Signature and seal)", lang), size=13, italic=True, space_after=48)
    _cell_para(right, _("Full name", lang), size=13, bold=True)


def _page_numbers(section) -> None:
    """Page numbers at the top centre from the second page on, as the decree places them."""
    from docx.oxml import OxmlElement

    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    p._p.append(field)


def report_docx(report: Report, *, lang: str | None = None, issuer: str | None = None, parent: str | None = None,
                place: str | None = None) -> bytes:
    """The draft's bytes. `issuer` (the reporting body), `parent` (its parent body) and `place` (where it is
    signed) fill the header when given; placeholders otherwise."""
    lang = lang or current_language()
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    _page_numbers(section)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    doc.core_properties.title = _("Report on task completion", lang) + " — " + report.period.name(lang)
    doc.core_properties.author = "dondoc"

    _header(doc, report, lang, issuer, parent, place)
    period = report.period.name(lang)
    _para(doc, "", space_after=6)
    _para(doc, _("REPORT", lang), size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, _("On task completion in {period}", lang, period=period), size=14, bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, "———————", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)

    t = report.totals
    _para(doc, _("Following the periodic reporting regime, {issuer} reports on the implementation of the tasks "
                 "due in {period} ({dates}; status as of {as_of}) as follows:", lang,
                 issuer=issuer or "…", period=period, dates=report.period.dates(lang),
                 as_of=format_date(report.as_of)), indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    if report.directive_filter:
        _para(doc, _("Tasks assigned by document {number}.", lang, number=report.directive_filter), indent=True)
    _para(doc, _("I. RESULTS", lang), bold=True, space_after=3)
    _para(doc, ngettext("In the period {n} task was due, of which:", "In the period {n} tasks were due, of which:",
                        t.total, lang), indent=True)
    for g in GROUPS:
        _para(doc, _("- {group}: {count} ({share}).", lang, group=g.label(lang), count=t.get(g),
                     share=format_rate(t.get(g) / t.total if t.total else None, lang)), indent=True)
    _para(doc, _("The on-time completion rate is {rate}.", lang, rate=format_rate(t.on_time_rate, lang)),
          indent=True)
    if report.agencies:
        _para(doc, _("Results by agency:", lang), indent=True)
        _counts_table(doc, report, lang)
        _para(doc, "", space_after=3)
    if report.ratings is not None and report.ratings.agencies:
        rule = report.ratings.rule
        _para(doc, _("Ratings by progress (Decree 335/2025/ND-CP): on time {points} points, each delay takes {share} "
                     "of them; open and overdue at the end of the period: 0.", lang,
                     points=f"{rule.on_time_points:g}", share=rule.penalty_text), indent=True,
              align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        _ratings_table(doc, report, lang)
        _para(doc, "", space_after=3)

    _para(doc, _("II. TASKS NOT DONE AND OVERDUE", lang), bold=True, space_after=3)
    if not report.overdue:
        _para(doc, _("No task is overdue.", lang), indent=True)
    for i, group in enumerate(overdue_groups(report.overdue), start=1):
        first = group[0]
        f = first.fact
        leads = list(dict.fromkeys(r.lead_name for r in group))
        late = [r.workdays_late for r in group]
        late_text = (ngettext("{n} working day late", "{n} working days late", late[0], lang) if min(late) == max(late)
                     else _("{low} to {high} working days late", lang, low=min(late), high=max(late)))
        lead = ", ".join(leads) if len(leads) == 1 else ngettext(
            "{names} ({n} agency)", "{names} ({n} agencies)", len(leads), lang, names=", ".join(leads))
        _para(doc, _("{n}. {content} — lead: {lead}; deadline: {deadline} (in force: {due}); {late}.", lang, n=i,
                     content=f.content, lead=lead, deadline=f.deadline_text, due=format_date(first.effective_due),
                     late=late_text), indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _para(doc, _("III. ASSESSMENT AND PROPOSALS", lang), bold=True, space_after=3)
    _para(doc, _("(To be completed by the reporting body: causes of delays, difficulties, proposals.)", lang),
          italic=True, indent=True, space_after=12)
    _footer(doc, lang)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
