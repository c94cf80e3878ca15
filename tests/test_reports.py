"""Reports: a registry with known outcomes, its figures, and every figure read back from the XLSX, the DOCX
and the chart.

Quý III/2026 (1/7 – 30/9), judged on 30/9 (the report is made on 5/10/2026):

| task | lead | due (as written) | what happened | group at 30/9 |
|---|---|---|---|---|
| A1 | Sở Nội vụ | 15/7 | done 10/7 | done on time |
| A2 | Sở Nội vụ | 31/7 (Fri) | done 5/8 | done late, 3 working days |
| B1 | Sở Tài chính | 30/9 | done 2/10 (after the period) | open, in term |
| B2 | Sở Tài chính | 14/8 (Fri) | 50 % on 10/8, still open | open, overdue 31 working days (1-2/9 are holidays) |
| B3 | Sở Tài chính | 20/8 | extended to 15/10 (approved 16/8) | open, in term |
| C1 | Sở Y tế | 20th of each month | July done 18/7, August done 25/8, September open (20/9 is a Sunday → 21/9) | on time, late, overdue |
| C2 | Sở Y tế | 10/9 | reported done 8/9, awaiting confirmation | open, in term |
| D1 | Sở Y tế | Thường xuyên | — | not counted |
| E1 | Sở Nội vụ | 15/10 | — | not in the period |
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from core.i18n import _
from core.workdays import WorkCalendar
from reports import Group, build_report, parse_period, period_between
from reports.figures import PeriodError, current_period
from storage import actions
from storage.actions import Actor
from storage.tables import Agency
from tests.factories import make_directive, make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar.from_file(None)
ACTOR = Actor("Nguyễn Văn A", "1", "cli")
NAMES = {"so-noi-vu": "Sở Nội vụ", "so-tai-chinh": "Sở Tài chính", "so-y-te": "Sở Y tế"}


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, 0, tzinfo=VN)


def seed(session: Session) -> dict:
    for code, name in NAMES.items():
        session.add(Agency(code=code, name=name))
    created = at(date(2026, 1, 10))
    directive = make_directive(session, number="12/KH-UBND", issued=date(2026, 1, 10), subject="Kế hoạch năm 2026")
    other = make_directive(session, number="99/UBND-VX", issued=date(2026, 1, 10))

    def task(key, text, lead, d=directive, **kw):
        return make_task(session, key=key, deadline_text=text, now=created, lead=lead, directive=d,
                         content=f"Nội dung {key}", **kw)

    t = {
        "A1": task("A1", "trước ngày 15/7/2026", "so-noi-vu", position=1),
        "A2": task("A2", "trước ngày 31/7/2026", "so-noi-vu", position=2),
        "B1": task("B1", "trước ngày 30/9/2026", "so-tai-chinh", position=3),
        "B2": task("B2", "trước ngày 14/8/2026", "so-tai-chinh", position=4),
        "B3": task("B3", "trước ngày 20/8/2026", "so-tai-chinh", position=5),
        "C1": task("C1", "trước ngày 20 hằng tháng", "so-y-te", d=other, position=6),
        "C2": task("C2", "trước ngày 10/9/2026", "so-y-te", d=other, position=7),
        "D1": task("D1", "Thường xuyên", "so-y-te", position=8),
        "E1": task("E1", "trước ngày 15/10/2026", "so-noi-vu", position=9),
    }
    actions.mark_done(session, t["A1"], "once", ACTOR, at(date(2026, 7, 10)))
    actions.mark_done(session, t["A2"], "once", ACTOR, at(date(2026, 8, 5)))
    actions.mark_done(session, t["B1"], "once", ACTOR, at(date(2026, 10, 2)))
    actions.record_progress(session, t["B2"], "once", 50, "Đang tổng hợp", ACTOR, at(date(2026, 8, 10)))
    ext = actions.request_extension(session, t["B3"], "once", date(2026, 10, 15), "Chờ số liệu", ACTOR,
                                    at(date(2026, 8, 15)))
    actions.decide_extension(session, ext, True, Actor("Lãnh đạo", "2", "cli"), at(date(2026, 8, 16)))
    actions.mark_done(session, t["C1"], "2026-07-20", ACTOR, at(date(2026, 7, 18)))
    actions.mark_done(session, t["C1"], "2026-08-20", ACTOR, at(date(2026, 8, 25)))
    actions.mark_done(session, t["C2"], "once", ACTOR, at(date(2026, 9, 8)), needs_confirmation=True)
    session.commit()
    return t


@pytest.fixture
def seeded(engine):
    with Session(engine) as s:
        seed(s)
    return engine


def report_of(engine, settings, period_text="Quý III/2026", today=date(2026, 10, 5), cutoff="calendar", **kw):
    with Session(engine) as s:
        return build_report(s, settings=settings, calendar=CAL, period=parse_period(period_text, cutoff),
                            today=today, **kw)


EXPECTED = {  # agency → done on time, done late, open in term, open overdue
    "Sở Nội vụ": (1, 1, 0, 0),
    "Sở Tài chính": (0, 0, 2, 1),
    "Sở Y tế": (1, 1, 1, 1),
}


def counts(c) -> tuple[int, int, int, int]:
    return (c.done_on_time, c.done_late, c.open_in_term, c.open_overdue)


# -- periods ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, start, end", [
    ("Quý III/2026", date(2026, 7, 1), date(2026, 9, 30)),
    ("quý 3 năm 2026", date(2026, 7, 1), date(2026, 9, 30)),
    ("Quy IV/2026", date(2026, 10, 1), date(2026, 12, 31)),
    ("Q1 2026", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    ("6 tháng đầu năm 2026", date(2026, 1, 1), date(2026, 6, 30)),
    ("6 tháng cuối năm 2026", date(2026, 7, 1), date(2026, 12, 31)),
    ("9 tháng đầu năm 2026", date(2026, 1, 1), date(2026, 9, 30)),
    ("năm 2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("tháng 2/2028", date(2028, 2, 1), date(2028, 2, 29)),
    ("H2 2026", date(2026, 7, 1), date(2026, 12, 31)),
])
def test_periods_as_people_write_them(text, start, end):
    p = parse_period(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text, start, end", [
    ("Quý I/2026", date(2025, 12, 15), date(2026, 3, 14)),
    ("Quý III/2026", date(2026, 6, 15), date(2026, 9, 14)),
    ("6 tháng đầu năm 2026", date(2025, 12, 15), date(2026, 6, 14)),
    ("năm 2026", date(2025, 12, 15), date(2026, 12, 14)),
])
def test_nd09_cutoff_periods(text, start, end):
    p = parse_period(text, "nd09")
    assert (p.start, p.end, p.cutoff) == (start, end, "nd09")


def test_period_names_and_errors():
    p = parse_period("quy iii/2026")
    assert p.name("vi") == "Quý III/2026"
    assert p.name("en") == "Q3 2026"
    assert parse_period("6 thang dau nam 2026").name("vi") == "6 tháng đầu năm 2026"
    assert parse_period("năm 2026").name("vi") == "năm 2026"
    for bad in ("Quý V/2026", "tháng 13/2026", "hôm qua", ""):
        with pytest.raises(PeriodError):
            parse_period(bad)
    with pytest.raises(PeriodError):
        period_between(date(2026, 9, 30), date(2026, 7, 1))
    assert current_period(date(2026, 12, 20), cutoff="nd09").code == "2027-Q1"
    assert current_period(date(2026, 12, 20)).code == "2026-Q4"


# -- figures ------------------------------------------------------------------------------------------------

def test_figures_of_a_registry_with_known_outcomes(seeded, settings):
    r = report_of(seeded, settings)
    assert r.as_of == date(2026, 9, 30)
    assert {a.name: counts(a.counts) for a in r.agencies} == EXPECTED
    assert [a.name for a in r.agencies] == ["Sở Nội vụ", "Sở Tài chính", "Sở Y tế"]
    assert counts(r.totals) == (2, 2, 3, 2)
    assert r.totals.total == 9
    assert r.totals.on_time_rate == pytest.approx(2 / 9)
    by_key = {(row.key, row.fact.occurrence_key): row for row in r.rows}
    assert len(by_key) == 9  # D1 (continuous) and E1 (October) do not count
    a2 = by_key[("A2", "once")]
    assert (a2.group, a2.workdays_late, a2.done_on) == (Group.DONE_LATE, 3, date(2026, 8, 5))
    b1 = by_key[("B1", "once")]
    assert b1.group == Group.OPEN_IN_TERM and b1.done_on is None  # done after the period ended
    b3 = by_key[("B3", "once")]
    assert (b3.group, b3.in_force, b3.extended) == (Group.OPEN_IN_TERM, date(2026, 10, 15), True)
    sep = by_key[("C1", "2026-09-20")]
    assert (sep.group, sep.effective_due, sep.workdays_late) == (Group.OPEN_OVERDUE, date(2026, 9, 21), 7)
    assert by_key[("C2", "once")].status.value == "pending_confirmation"
    # The overdue list: the longest overdue first.
    assert [(row.key, row.workdays_late) for row in r.overdue] == [("B2", 31), ("C1", 7)]
    assert r.overdue[0].last_progress.percent == 50


def test_an_extension_approved_after_the_period_does_not_count_in_it(engine, settings):
    with Session(engine) as s:
        t = make_task(s, key="X", deadline_text="trước ngày 14/8/2026", now=at(date(2026, 1, 10)), lead="so-y-te")
        ext = actions.request_extension(s, t, "once", date(2026, 12, 1), "Lý do", ACTOR, at(date(2026, 8, 1)))
        actions.decide_extension(s, ext, True, ACTOR, at(date(2026, 10, 3)))
        s.commit()
    q3 = report_of(engine, settings)
    assert counts(q3.totals) == (0, 0, 0, 1)
    assert q3.overdue[0].extensions[0].decision == "pending"  # as it stood on 30/9
    assert q3.to_json()["overdue"][0]["due_in_force"] == "2026-08-14"
    # The year report made later judges against the extension.
    year = report_of(engine, settings, "năm 2026", today=date(2026, 10, 5))
    assert counts(year.totals) == (0, 0, 1, 0)


def test_an_ongoing_period_is_judged_today(seeded, settings):
    r = report_of(seeded, settings, today=date(2026, 8, 20))
    assert r.as_of == date(2026, 8, 20)
    got = {a.name: counts(a.counts) for a in r.agencies}
    assert got["Sở Nội vụ"] == (1, 1, 0, 0)
    assert got["Sở Tài chính"] == (0, 0, 2, 1)  # B1 not due yet, B2 overdue, B3 extended
    # C1 September not due yet; C2 not reported yet (8/9 is after 20/8).
    assert got["Sở Y tế"] == (1, 0, 3, 0)  # August's report (25/8) is not in yet: in term until 20/8


def test_nd09_cutoff_moves_a_task_between_quarters(engine, settings):
    with Session(engine) as s:
        created = at(date(2026, 1, 10))
        make_task(s, key="JUNE20", deadline_text="trước ngày 20/6/2026", now=created, lead="so-noi-vu")
        make_task(s, key="SEPT30", deadline_text="trước ngày 30/9/2026", now=created, lead="so-noi-vu")
        make_task(s, key="SEPT10", deadline_text="trước ngày 10/9/2026", now=created, lead="so-noi-vu")
        s.commit()

    def keys(text, cutoff):
        return sorted(r.key for r in report_of(engine, settings, text, today=date(2027, 1, 5), cutoff=cutoff).rows)

    assert keys("Quý II/2026", "calendar") == ["JUNE20"]
    assert keys("Quý III/2026", "calendar") == ["SEPT10", "SEPT30"]
    assert keys("Quý II/2026", "nd09") == []
    assert keys("Quý III/2026", "nd09") == ["JUNE20", "SEPT10"]
    assert keys("Quý IV/2026", "nd09") == ["SEPT30"]


def test_filters_by_agency_and_directive(seeded, settings):
    r = report_of(seeded, settings, agencies={"so-tai-chinh"})
    assert [a.code for a in r.agencies] == ["so-tai-chinh"] and r.totals.total == 3
    r = report_of(seeded, settings, directive="99/UBND-VX")
    assert {row.key for row in r.rows} == {"C1", "C2"}


def test_json_has_the_shape_other_systems_read(seeded, settings):
    data = json.loads(json.dumps(report_of(seeded, settings).to_json()))
    assert data["period"]["from"] == "2026-07-01" and data["period"]["to"] == "2026-09-30"
    first = data["agencies"][0]
    assert {k: first[k] for k in ("agency", "code", "done_on_time", "done_late", "open_in_term", "open_overdue")} \
        == {"agency": "Sở Nội vụ", "code": "so-noi-vu", "done_on_time": 1, "done_late": 1, "open_in_term": 0,
            "open_overdue": 0}
    assert {k: data["totals"][k] for k in ("done_on_time", "done_late", "open_in_term", "open_overdue")} == \
        {"done_on_time": 2, "done_late": 2, "open_in_term": 3, "open_overdue": 2}
    assert [o["task"] for o in data["overdue"]] == ["B2", "C1"]
    assert data["overdue"][1]["occurrence"] == "2026-09-20"


# -- XLSX ---------------------------------------------------------------------------------------------------

def _sheet_rows(ws, first=5):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=first) if any(c.value is not None for c in row)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_xlsx_read_back(seeded, settings, lang):
    from openpyxl import load_workbook

    from reports.xlsx import HEADER_ROW, report_xlsx

    report = report_of(seeded, settings)
    wb = load_workbook(io.BytesIO(report_xlsx(report, lang=lang)))
    assert wb.sheetnames == [_("By agency", lang), _("Overdue", lang), _("All tasks", lang), _("Ratings", lang)]
    s1, s2, s3 = (wb[n] for n in wb.sheetnames[:3])

    assert s1.cell(HEADER_ROW, 3).value == _("Done on time", lang)
    assert s1.cell(HEADER_ROW, 6).value == _("Not done, overdue", lang)
    rows = _sheet_rows(s1)
    body, total = rows[:-1], rows[-1]
    assert {r[1]: tuple(r[2:6]) for r in body} == EXPECTED
    for r in body:
        assert r[6] == sum(r[2:6])
        assert r[7] == pytest.approx(r[2] / r[6])
    assert total[1] == _("Total", lang) and total[2:7] == [2, 2, 3, 2, 9]
    assert total[7] == pytest.approx(2 / 9)

    overdue = _sheet_rows(s2)
    assert [(r[1], r[3], r[6].date(), r[7].date(), r[8]) for r in overdue] == [
        ("B2", "Sở Tài chính", date(2026, 8, 14), date(2026, 8, 14), 31),
        ("C1", "Sở Y tế", date(2026, 9, 20), date(2026, 9, 21), 7),
    ]
    assert "50%" in overdue[0][9] and "Đang tổng hợp" in overdue[0][9]

    every = _sheet_rows(s3)
    assert len(every) == 9
    got = {(r[1], r[6].date()): r[8] for r in every}
    assert got[("B3", date(2026, 8, 20))] == _("Not done, within the deadline", lang)
    assert got[("A2", date(2026, 7, 31))] == _("Done late", lang)
    b3 = next(r for r in every if r[1] == "B3")
    assert b3[7].date() == date(2026, 10, 15)  # the deadline in force after the extension

    for ws in (s1, s2, s3):  # formatted for printing
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
        assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.column_dimensions["C"].width > 10
    assert s3.cell(HEADER_ROW + 1, 3).alignment.wrap_text


def test_xlsx_keeps_a_formula_like_content_as_text(engine, settings):
    from openpyxl import load_workbook

    from reports.xlsx import report_xlsx

    with Session(engine) as s:
        make_task(s, key="F1", deadline_text="trước ngày 14/8/2026", now=at(date(2026, 1, 10)),
                  content='=HYPERLINK("http://x","y")')
        s.commit()
    wb = load_workbook(io.BytesIO(report_xlsx(report_of(engine, settings), lang="vi")))
    cell = wb.worksheets[2].cell(5, 3)
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"


# -- DOCX ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["vi", "en"])
def test_docx_read_back(seeded, settings, lang):
    from docx import Document

    from core.i18n import ngettext
    from reports.docx import report_docx
    from reports.figures import format_rate

    report = report_of(seeded, settings)
    doc = Document(io.BytesIO(report_docx(report, lang=lang, issuer="Sở Nội vụ")))
    header, counts, ratings, footer = doc.tables  # the ratings: tests/test_ratings.py
    left, right = (c.text for c in header.rows[0].cells)
    assert _("SOCIALIST REPUBLIC OF VIETNAM", lang) in right
    assert _("Independence - Freedom - Happiness", lang) in right
    assert "SỞ NỘI VỤ" in left and _("No.: …/BC-…", lang) in left
    if lang == "vi":
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right

    text = [p.text for p in doc.paragraphs]
    period = report.period.name(lang)
    assert _("REPORT", lang) in text
    assert _("On task completion in {period}", lang, period=period) in text
    assert ngettext("In the period {n} task was due, of which:", "In the period {n} tasks were due, of which:", 9,
                    lang) in text
    for group, count in zip(("Done on time", "Done late", "Not done, within the deadline", "Not done, overdue"),
                            (2, 2, 3, 2)):
        assert _("- {group}: {count} ({share}).", lang, group=_(group, lang), count=count,
                 share=format_rate(count / 9, lang)) in text
    assert _("The on-time completion rate is {rate}.", lang, rate=format_rate(2 / 9, lang)) in text
    overdue = [t for t in text if t.startswith(("1. Nội dung", "2. Nội dung"))]  # no key prefix (grouping: test_small_things.py)
    assert overdue[0].startswith("1. Nội dung B2") and ngettext("{n} working day late", "{n} working days late", 31,
                                                               lang) in overdue[0]
    assert overdue[1].startswith("2. Nội dung C1") and "21/09/2026" in overdue[1]

    rows = [[c.text for c in r.cells] for r in counts.rows]
    assert rows[0][1] == _("Agency", lang) and rows[0][2] == _("Done on time", lang)
    assert {r[1]: tuple(int(x) for x in r[2:6]) for r in rows[1:-1]} == EXPECTED
    assert [int(x) for x in rows[-1][2:7]] == [2, 2, 3, 2, 9] and rows[-1][7] == format_rate(2 / 9, lang)
    assert _("Recipients:", lang) in footer.rows[0].cells[0].text
    section = doc.sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.5) and section.left_margin.mm == pytest.approx(30, abs=0.1)
    assert section.different_first_page_header_footer and 'w:instr="PAGE"' in section.header._element.xml


# -- chart --------------------------------------------------------------------------------------------------

def test_chart_is_a_png_of_the_expected_size(seeded, settings):
    from PIL import Image

    from reports.chart import chart_size, report_chart

    report = report_of(seeded, settings)
    png = report_chart(report, lang="vi")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == chart_size(3) == (1200, 250 + 44 * 3)
    # Not blank: the bars' colours are drawn.
    colors = {c for _n, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (0x2E, 0x7D, 0x32) in colors and (0xC6, 0x28, 0x28) in colors
    empty = report_chart(report_of(seeded, settings, "Quý I/2020"), lang="en")
    assert Image.open(io.BytesIO(empty)).size == chart_size(0)


def test_the_quarterly_summary_chart(seeded, settings):
    from PIL import Image

    from reports.chart import chart_size
    from reports.summary import parse_quarter_label, summary_chart, summary_report

    with Session(seeded) as s:
        png = summary_chart(s, settings=settings, calendar=CAL, quarter="2026-Q3", today=date(2026, 10, 1), lang="vi")
        report = summary_report(s, settings=settings, calendar=CAL, quarter="2026-Q3", today=date(2026, 10, 1))
    assert Image.open(io.BytesIO(png)).size == chart_size(3)
    assert counts(report.totals) == (2, 2, 3, 2)
    with pytest.raises(ValueError):
        parse_quarter_label("2026-W40")


def test_an_ongoing_period_agrees_with_the_task_lists(seeded, settings):
    """While a period runs, a task's group is its status in `dondoc tasks`, the bot's lists and the web."""
    from storage.views import task_items

    today = date(2026, 8, 20)
    report = report_of(seeded, settings, today=today)
    with Session(seeded) as s:
        items = {(i.task.key, i.occurrence_key): i for i in task_items(s, settings=settings, calendar=CAL, today=today)}
    expected = {"in_time": Group.OPEN_IN_TERM, "due_soon": Group.OPEN_IN_TERM, "overdue": Group.OPEN_OVERDUE,
                "done_on_time": Group.DONE_ON_TIME, "done_late": Group.DONE_LATE}
    checked = 0
    for row in report.rows:
        item = items.get((row.key, row.fact.occurrence_key))
        if item is None:  # a done period of a recurring task the lists no longer show
            continue
        if row.fact.completed_on and row.fact.completed_on > today:  # the seed's future (B1 done 2/10)
            continue
        assert expected[item.status.value] == row.group, row.key
        assert item.effective_due == row.effective_due
        checked += 1
    assert checked == 5  # A1, A2, B2, B3 and C1 of September


def test_a_task_removed_after_the_period_still_counts_in_it(engine, settings):
    with Session(engine) as s:
        kept = make_task(s, key="R1", deadline_text="trước ngày 14/8/2026", now=at(date(2026, 1, 10)))
        gone = make_task(s, key="R2", deadline_text="trước ngày 14/8/2026", now=at(date(2026, 1, 10)))
        kept.removed_at = at(date(2026, 10, 2))
        gone.removed_at = at(date(2026, 9, 1))
        s.commit()
    assert [r.key for r in report_of(engine, settings).rows] == ["R1"]
    # The year has not ended on 5/10: it is judged that day, when both are gone.
    assert report_of(engine, settings, "năm 2026", today=date(2026, 10, 5)).rows == []


# -- the pure core ------------------------------------------------------------------------------------------

def _fact(key, due, lead="a", **kw):
    from reports import DueFact

    return DueFact(task_key=key, occurrence_key="once", content=key, lead=lead, deadline_text="x", due=due, **kw)


def test_awaiting_confirmation_is_overdue_only_if_reported_late():
    from reports import compute_report

    facts = [_fact("early", date(2026, 8, 14), state="pending_confirmation", completed_on=date(2026, 8, 10)),
             _fact("late", date(2026, 8, 14), state="pending_confirmation", completed_on=date(2026, 8, 20)),
             _fact("undated", date(2026, 8, 14), state="done")]
    r = compute_report(facts, period=parse_period("Quý III/2026"), today=date(2026, 10, 1), calendar=CAL)
    got = {row.key: (row.group, row.status.value) for row in r.rows}
    assert got == {"early": (Group.OPEN_IN_TERM, "pending_confirmation"),
                   "late": (Group.OPEN_OVERDUE, "pending_confirmation"),
                   "undated": (Group.DONE_ON_TIME, "done_on_time")}


def test_many_agencies_fold_into_one_bar():
    from PIL import Image

    from reports import compute_report
    from reports.chart import MAX_AGENCIES, chart_size, report_chart

    facts = [_fact(f"K{i}", date(2026, 8, 1 + i % 28), lead=f"ag{i:02d}") for i in range(MAX_AGENCIES + 5)]
    r = compute_report(facts, period=parse_period("Quý III/2026"), today=date(2026, 10, 1), calendar=CAL)
    assert len(r.agencies) == MAX_AGENCIES + 5
    size = Image.open(io.BytesIO(report_chart(r, lang="vi"))).size
    assert size == chart_size(MAX_AGENCIES + 5) == chart_size(MAX_AGENCIES + 1)


def _facts_strategy():
    from hypothesis import strategies as st

    days = st.dates(min_value=date(2026, 6, 1), max_value=date(2026, 11, 30))

    @st.composite
    def fact(draw, i):
        due = draw(days)
        state = draw(st.sampled_from(["open", "done", "pending_confirmation"]))
        completed = draw(days) if state != "open" else None
        return _fact(f"K{i}", due, lead=draw(st.sampled_from(["a", "b", "c"])), state=state, completed_on=completed)

    return st.integers(0, 30).flatmap(lambda n: st.tuples(*[fact(i) for i in range(n)]))


def test_the_groups_partition_the_tasks_of_the_period():
    from hypothesis import given, settings as hsettings
    from hypothesis import strategies as st

    from reports import compute_report

    @hsettings(max_examples=60, deadline=None)
    @given(_facts_strategy(), st.dates(min_value=date(2026, 7, 1), max_value=date(2026, 12, 31)))
    def check(facts, today):
        period = parse_period("Quý III/2026")
        r = compute_report(facts, period=period, today=today, calendar=CAL)
        inside = [f for f in facts if period.contains(f.due)]
        assert len(r.rows) == r.totals.total == len(inside)
        assert sum(a.counts.total for a in r.agencies) == r.totals.total
        for g in Group:
            assert sum(a.counts.get(g) for a in r.agencies) == r.totals.get(g)
        overdue = [row.key for row in r.rows if row.group == Group.OPEN_OVERDUE]
        assert sorted(row.key for row in r.overdue) == sorted(overdue)
        assert [row.workdays_late for row in r.overdue] == sorted((row.workdays_late for row in r.overdue),
                                                                  reverse=True)
        assert all(row.group in (Group.OPEN_IN_TERM, Group.OPEN_OVERDUE) or row.done_on <= r.as_of
                   for row in r.rows if row.done_on)
        assert all((row.workdays_late > 0) == (row.group in (Group.DONE_LATE, Group.OPEN_OVERDUE) and
                                               CAL.workdays_between(row.effective_due, row.done_on or r.as_of) > 0)
                   for row in r.rows if row.fact.state != "pending_confirmation")

    check()
