"""Ratings (Nghị định 335/2025): the rule on hand-made cases, read back from the JSON, the XLSX and the DOCX;
the colours of today; and the same through `dondoc report` on a database.

Quý III/2026, judged on 30/9 (the report is made on 5/10/2026). One agency per case:

| agency | due | what happened | four groups | progress points |
|---|---|---|---|---|
| on-time | 15/7 | done 10/7 | done on time | 100 |
| late | 15/7 | done 20/7 | done late | 75 (one delay) |
| ext-before | 15/7 | extension to 31/7 asked 10/7, approved 13/7; done 30/7 | done on time | 100 |
| ext-after | 15/7 | extension to 31/7 asked 14/7, approved 17/7 (deadline passed); done 30/7 | done on time | 75 |
| overdue | 15/7 | open | open, overdue | 0 |
| returned | 15/7 | returned 12/7, done again 14/7 | done on time | 75 (the return is a delay) |
| mixed | 15/7, 10/9, 30/9 | done 14/7; done 20/9; open (due on the judging day) | 1 / 1 / 1 / 0 | (100 + 75) / 2 |
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from core.i18n import _
from reports import DueFact, ExtensionFact, compute_report, parse_period
from reports.ratings import Color, Grade, OpenItem, RatingRule, agency_colors, grade_of, rate
from tests.conftest import cli_runner
from tests.test_reports import ACTOR, CAL, at, seed

PERIOD = parse_period("Quý III/2026")
TODAY = date(2026, 10, 5)
AGENCIES = ("on-time", "late", "ext-before", "ext-after", "overdue", "returned", "mixed")
NAMES = {code: f"Sở {code}" for code in AGENCIES}


def fact(key, lead, due=date(2026, 7, 15), **kw) -> DueFact:
    return DueFact(task_key=key, occurrence_key="once", content=f"Nội dung {key}", lead=lead,
                   deadline_text=f"trước ngày {due:%d/%m/%Y}", due=due, **kw)


def done(on: date) -> dict:
    return {"state": "done", "completed_on": on}


def extension(asked: date, approved: date, to: date = date(2026, 7, 31)) -> tuple[ExtensionFact]:
    return (ExtensionFact(requested_on=asked, previous_due=date(2026, 7, 15), requested_due=to, reason="Chờ số liệu",
                          decision="approved", decided_on=approved, decided_by="Lãnh đạo", id=1),)


FACTS = [
    fact("T1", "on-time", **done(date(2026, 7, 10))),
    fact("T2", "late", **done(date(2026, 7, 20))),
    fact("T3", "ext-before", extensions=extension(date(2026, 7, 10), date(2026, 7, 13)),
         extended_due=date(2026, 7, 31), **done(date(2026, 7, 30))),
    fact("T4", "ext-after", extensions=extension(date(2026, 7, 14), date(2026, 7, 17)),
         extended_due=date(2026, 7, 31), **done(date(2026, 7, 30))),
    fact("T5", "overdue"),
    fact("T6", "returned", returns=(date(2026, 7, 12),), **done(date(2026, 7, 14))),
    fact("T7", "mixed", **done(date(2026, 7, 14))),
    fact("T8", "mixed", due=date(2026, 9, 10), **done(date(2026, 9, 20))),
    fact("T9", "mixed", due=date(2026, 9, 30)),
]

EXPECTED = {  # agency → (score, grade, rank, on time, late, open overdue, returned)
    "on-time": (100.0, "excellent", 1, 1, 0, 0, 0),
    "ext-before": (100.0, "excellent", 1, 1, 0, 0, 0),
    "mixed": (87.5, "good", 3, 1, 1, 0, 0),
    "ext-after": (75.0, "good", 4, 0, 1, 0, 0),
    "late": (75.0, "good", 4, 0, 1, 0, 0),
    "returned": (75.0, "good", 4, 1, 0, 0, 1),
    "overdue": (0.0, "not_complete", 7, 0, 0, 1, 0),
}
TODAY_OPEN = [OpenItem("overdue", date(2026, 7, 15)), OpenItem("mixed", date(2026, 10, 7)),
              OpenItem("late", date(2026, 10, 30))]
COLORS = {"overdue": "red", "mixed": "yellow"}  # every other agency: green


def hand_made_report(rule: RatingRule = RatingRule(), facts=FACTS):
    report = compute_report(facts, period=PERIOD, today=TODAY, calendar=CAL, names=NAMES)
    colors = agency_colors(TODAY_OPEN, today=TODAY, calendar=CAL, within_workdays=rule.within_workdays,
                           agencies=AGENCIES)
    report.ratings = rate(report.rows, as_of=report.as_of, rule=rule, calendar=CAL, colors=colors, names=NAMES)
    return report


def test_the_rule_on_each_case():
    ratings = hand_made_report().ratings
    got = {a.code: (a.score, a.grade.value, a.rank, a.on_time, a.late, a.open_overdue, a.returned)
           for a in ratings.agencies}
    assert got == EXPECTED
    assert [a.code for a in ratings.agencies][:2] == ["ext-before", "on-time"]  # equal scores: by name
    assert ratings.agencies[-1].code == "overdue"
    mixed = ratings.of("mixed")
    assert (mixed.due, mixed.in_term, mixed.scored) == (3, 1, 2)  # due on the judging day: not scored yet


def test_the_four_groups_still_judge_against_the_deadline_in_force():
    """An extension approved after the deadline passed keeps the delay in the rating only."""
    report = hand_made_report()
    groups = {r.key: r.group.value for r in report.rows}
    assert groups["T4"] == groups["T3"] == "done_on_time"


def test_open_overdue_while_the_period_runs_scores_zero():
    report = compute_report(FACTS, period=PERIOD, today=date(2026, 7, 20), calendar=CAL, names=NAMES)
    ratings = rate(report.rows, as_of=report.as_of, calendar=CAL)
    assert ratings.of("overdue").score == 0.0
    assert ratings.of("mixed").score == 100.0  # 10/9 and 30/9 not due yet on 20/7: only T7 is scored
    assert ratings.of("late").score == 75.0


def test_the_rule_is_a_setting():
    harsh = hand_made_report(RatingRule(delay_penalty=0.5, returned_is_delay=False)).ratings
    assert harsh.of("late").score == 50.0 and harsh.of("late").grade == Grade.COMPLETE
    assert harsh.of("returned").score == 100.0
    lenient = hand_made_report(RatingRule(late_extension_excuses=True)).ratings
    assert lenient.of("ext-after").score == 100.0

    class Settings:
        rating_delay_penalty = 40
        rating_return_is_delay = False
        color_due_soon_workdays = 1

    rule = RatingRule.from_settings(Settings())
    assert (rule.delay_penalty, rule.returned_is_delay, rule.within_workdays) == (0.4, False, 1)
    # two returns and a late completion: three delays of 40 % → never below 0
    worst = fact("T10", "late", returns=(date(2026, 7, 1), date(2026, 7, 5)), **done(date(2026, 7, 20)))
    assert hand_made_report(RatingRule(delay_penalty=0.4), [worst]).ratings.of("late").score == 0.0


@pytest.mark.parametrize("score, grade", [(100, "excellent"), (90, "excellent"), (89.9, "good"), (70, "good"),
                                          (69.9, "complete"), (50, "complete"), (49.9, "not_complete"),
                                          (0, "not_complete")])
def test_grades(score, grade):
    assert grade_of(score).value == grade
    assert grade_of(None) is None


def test_colors_today():
    colors = {code: c.value for code, c in hand_made_report().ratings.colors.items()}
    assert colors == {code: COLORS.get(code, "green") for code in AGENCIES}
    # 5/10/2026 is a Monday: 7/10 is 2 working days ahead (yellow at 3, green at 1); done work never colours
    assert agency_colors([OpenItem("x", date(2026, 10, 7))], today=TODAY, calendar=CAL,
                         within_workdays=1) == {"x": Color.GREEN}
    assert agency_colors([OpenItem("x", date(2026, 10, 1), done=True), OpenItem("x", None)], today=TODAY,
                         calendar=CAL) == {"x": Color.GREEN}
    assert agency_colors([OpenItem("x", TODAY)], today=TODAY, calendar=CAL) == {"x": Color.YELLOW}


def by_code(report, rows) -> dict:
    names = {v: k for k, v in NAMES.items()}
    return {names[r[0]]: r[1:] for r in rows}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_read_back_from_json_xlsx_and_docx(lang):
    from docx import Document

    from reports.docx import report_docx
    from reports.xlsx import HEADER_ROW, RATINGS_SHEET_TITLE, report_xlsx

    report = hand_made_report()
    data = json.loads(json.dumps(report.to_json()))
    from_json = {a["code"]: (a["score"], a["grade"], a["rank"], a["done_on_time"], a["done_late"],
                             a["open_overdue"], a["returned"]) for a in data["agencies"]}
    # the four groups' done_on_time / done_late in "agencies"; the rating's own counts in "ratings"
    ranking = {r["code"]: (r["score"], r["grade"], r["rank"], r["done_on_time"], r["done_late"], r["open_overdue"],
                           r["returned"]) for r in data["ratings"]["ranking"]}
    assert ranking == EXPECTED
    assert {k: v[:3] for k, v in from_json.items()} == {k: v[:3] for k, v in EXPECTED.items()}
    assert {a["code"]: a["color"] for a in data["agencies"]} == {c: COLORS.get(c, "green") for c in AGENCIES}
    assert data["ratings"]["rule"]["delay_penalty"] == 0.25

    grade_labels = {g.label(lang): g.value for g in Grade}
    wb = load_workbook(io.BytesIO(report_xlsx(report, lang=lang)))
    ws = wb[_(RATINGS_SHEET_TITLE, lang)[:31]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    got = {NAMES_BACK[r[1]]: (r[7], grade_labels[r[8]], r[0], r[3], r[4], r[5], r[6]) for r in rows}
    assert got == EXPECTED

    doc = Document(io.BytesIO(report_docx(report, lang=lang)))
    table = next(t for t in doc.tables if _("Progress score", lang) in [c.text for c in t.rows[0].cells])
    cells = [[c.text for c in row.cells] for row in table.rows[1:]]
    got = {NAMES_BACK[r[1]]: (float(r[7].replace(",", ".")), grade_labels[r[8]], int(r[0]), int(r[3]), int(r[4]),
                              int(r[5]), int(r[6])) for r in cells}
    assert got == EXPECTED
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "335/2025" in text


NAMES_BACK = {v: k for k, v in NAMES.items()}


# -- through the database and the command line ---------------------------------------------------------------

@pytest.fixture
def cli(engine, db_url, monkeypatch):
    with Session(engine) as s:
        seed(s)
    return cli_runner(monkeypatch, db_url, "2026-10-05T09:00:00+07:00")


def ratings_of(cli, **env) -> dict:
    r = cli("report", "--period", "Quý III/2026", "--json", **env)
    assert r.exit_code == 0, r.output
    return {a["agency"]: (a["score"], a["grade"], a["color"], a["returned"]) for a in json.loads(r.stdout)["agencies"]}


def test_report_json_from_the_database(cli):
    """tests/test_reports.py's registry: Sở Nội vụ on time and 3 days late; Sở Tài chính one task overdue and two
    not due (one extended before its deadline); Sở Y tế 100 + 75 + 0 (September overdue) + 100 (reported on time,
    awaiting confirmation)."""
    assert ratings_of(cli) == {
        "Sở Nội vụ": (87.5, "good", "green", 0),  # E1 due 15/10: 8 working days ahead
        "Sở Tài chính": (0.0, "not_complete", "red", 0),
        "Sở Y tế": (68.8, "complete", "red", 0),
    }
    assert ratings_of(cli, RATING_DELAY_PENALTY="50")["Sở Nội vụ"][:2] == (75.0, "good")


def test_a_returned_completion_counts_as_a_delay(cli, engine):
    from sqlmodel import select

    from storage import actions
    from storage.tables import Task

    with Session(engine) as s:
        c2 = s.exec(select(Task).where(Task.key == "C2")).one()
        actions.confirm_completion(s, c2, "once", ACTOR, at(date(2026, 9, 9)), approve=False)
        actions.mark_done(s, c2, "once", ACTOR, at(date(2026, 9, 10)))
        s.commit()
    # C2 now done 10/9, on its deadline, after one return: 75 → (100 + 75 + 0 + 75) / 4
    assert ratings_of(cli)["Sở Y tế"] == (62.5, "complete", "red", 1)


def test_console_table_and_colour_grid(cli):
    r = cli("report", "--period", "Quý III/2026")
    assert r.exit_code == 0, r.output
    assert _("Progress score", "vi") in r.stdout and "87,5" in r.stdout
    red = next(line for line in r.stdout.splitlines() if line.startswith("🔴"))
    assert "Sở Tài chính" in red and "Sở Y tế" in red and "Sở Nội vụ" not in red
    assert any(line.startswith("🟢") and "Sở Nội vụ" in line for line in r.stdout.splitlines())


def test_quarterly_summary_carries_the_ranking():
    from bot.notifications import quarterly_summary

    text = quarterly_summary(hand_made_report(), lang="vi")
    line = next(x for x in text.splitlines() if "335/2025" in x)
    assert line.index("Sở ext-before 100,0") < line.index("Sở mixed 87,5") < line.index("Sở overdue 0,0")
    assert Grade.EXCELLENT.label("vi") in line
