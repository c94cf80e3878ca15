"""Ratings per person (issue 23, Nghị định 335 rates civil servants too): a person handed an occurrence as chủ trì
with an internal deadline is rated against that deadline by the agencies' rule. Hand-made cases, read back from
the JSON, the XLSX; then through the database and `dondoc report --json`; who sees them on the Reports page.

| person | task | internal due (agency's) | what happened | outcome | points |
|---|---|---|---|---|---|
| Lan | P1 | 10/7 (15/7) | done 8/7 | on time | 100 |
| Lan | P2 | 10/7 (15/7) | done 12/7: on time for the agency | late | 75 |
| Minh | P3 | 10/7 (15/7) | agency's extension to 31/7 approved 5/7; open | open overdue | 0 |
| Minh | P4 | 20/7 (31/7) | returned 18/7, done again 19/7 | on time, one return | 75 |
| Minh | P5 | 30/10 (30/10) | open | in term (not scored) | — |
| Lan | P6 | 10/7 (15/7) | now led by another agency | not hers | — |
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from core.i18n import _
from reports.ratings import Delegate, RatingRule, rate_people
from storage.signin import Person as SignedIn
from tests.test_ratings import PERIOD, extension, fact, hand_made_report
from tests.test_reports import at, seed

LAN = Delegate(1, "Nguyễn Thị Lan", "so-a", date(2026, 7, 10), "Phòng Tổng hợp")
MINH = Delegate(2, "Trần Văn Minh", "so-a", date(2026, 7, 10))
AS_OF = date(2026, 9, 30)

FACTS = [
    fact("P1", "so-a", state="done", completed_on=date(2026, 7, 8)),
    fact("P2", "so-a", state="done", completed_on=date(2026, 7, 12)),
    fact("P3", "so-a", extensions=extension(date(2026, 7, 1), date(2026, 7, 5)), extended_due=date(2026, 7, 31)),
    fact("P4", "so-a", due=date(2026, 7, 31), returns=(date(2026, 7, 18),), state="done",
         completed_on=date(2026, 7, 19)),
    fact("P5", "so-a", due=date(2026, 10, 30)),
    fact("P6", "so-b", state="done", completed_on=date(2026, 7, 20)),
]
DELEGATES = {("P1", "once"): LAN, ("P2", "once"): LAN, ("P3", "once"): MINH,
             ("P4", "once"): Delegate(2, MINH.name, "so-a", date(2026, 7, 20)),
             ("P5", "once"): Delegate(2, MINH.name, "so-a", date(2026, 10, 30)), ("P6", "once"): LAN}
# person → (due, on time, late, open overdue, returned, score, grade, rank)
EXPECTED = {"Nguyễn Thị Lan": (2, 1, 1, 0, 0, 87.5, "good", 1),
            "Trần Văn Minh": (3, 1, 0, 1, 1, 37.5, "not_complete", 2)}


class Row:
    def __init__(self, f):
        self.fact = f


def figures(people) -> dict:
    return {p.name: (p.due, p.on_time, p.late, p.open_overdue, p.returned, p.score,
                     p.grade.value if p.grade else None, p.rank) for p in people}


def test_each_case_against_the_internal_deadline():
    people = rate_people([Row(f) for f in FACTS], DELEGATES, as_of=AS_OF, names={"so-a": "Sở A"})
    assert figures(people) == EXPECTED
    assert [p.name for p in people] == ["Nguyễn Thị Lan", "Trần Văn Minh"]
    minh = people[1]
    assert {i.task_key: i.outcome for i in minh.items} == {"P3": "open_overdue", "P4": "on_time", "P5": "in_term"}
    assert people[0].agency_name == "Sở A" and people[0].department == "Phòng Tổng hợp"


def test_the_rule_is_the_agencies_setting():
    people = rate_people([Row(f) for f in FACTS], DELEGATES, as_of=AS_OF,
                         rule=RatingRule(delay_penalty=0.5, returned_is_delay=False))
    assert {p.name: p.score for p in people} == {"Nguyễn Thị Lan": 75.0, "Trần Văn Minh": 50.0}


def test_nobody_handed_nothing_rated():
    assert rate_people([Row(f) for f in FACTS], {}, as_of=AS_OF) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_read_back_from_json_and_xlsx(lang):
    from reports.ratings import Grade
    from reports.xlsx import HEADER_ROW, PEOPLE_SHEET_TITLE, RATINGS_SHEET_TITLE, report_xlsx

    report = hand_made_report()
    before = json.loads(json.dumps(report.to_json()))
    report.person_ratings = rate_people([Row(f) for f in FACTS], DELEGATES, as_of=AS_OF, names={"so-a": "Sở A"})
    data = json.loads(json.dumps(report.to_json()))
    assert {k: v for k, v in data.items() if k != "person_ratings"} == before  # no existing key changed
    got = {p["name"]: (p["due"], p["done_on_time"], p["done_late"], p["open_overdue"], p["returned"], p["score"],
                       p["grade"], p["rank"]) for p in data["person_ratings"]}
    assert got == EXPECTED
    wb = load_workbook(io.BytesIO(report_xlsx(report, lang=lang)))
    assert _(RATINGS_SHEET_TITLE, lang)[:31] in wb.sheetnames
    ws = wb[_(PEOPLE_SHEET_TITLE, lang)[:31]]
    grades = {g.label(lang): g.value for g in Grade}
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    got = {r[1].split(" (")[0]: (r[3], r[4], r[5], r[6], r[7], r[8], grades[r[9]], r[0]) for r in rows}
    assert got == EXPECTED
    assert rows[0][2] == "Sở A" and rows[0][1] == "Nguyễn Thị Lan (Phòng Tổng hợp)"


# -- through the database ------------------------------------------------------------------------------------

@pytest.fixture
def handed(engine):
    """tests/test_reports.py's registry, with A1, A2 (Sở Nội vụ) handed to Lan and B2, B3 (Sở Tài chính) to Minh."""
    from storage.delegation import Assignment
    from storage.people import Person

    with Session(engine) as s:
        t = seed(s)
        made = dict(created_at=at(date(2026, 6, 1)), updated_at=at(date(2026, 6, 1)))
        lan = Person(name="Nguyễn Thị Lan", agency="so-noi-vu", **made)
        minh = Person(name="Trần Văn Minh", agency="so-tai-chinh", **made)
        s.add(lan)
        s.add(minh)
        s.flush()
        for key, person, agency, due in (("A1", lan, "so-noi-vu", date(2026, 7, 8)),    # done 10/7: late
                                         ("A2", lan, "so-noi-vu", date(2026, 7, 31)),   # done 5/8: late
                                         ("B2", minh, "so-tai-chinh", date(2026, 8, 10)),  # open: overdue
                                         ("B3", minh, "so-tai-chinh", date(2026, 8, 20))):  # extended; open
            s.add(Assignment(task_id=t[key].id, agency=agency, person_id=person.id, role="chu-tri", due=due,
                             assigned_by="Lãnh đạo", assigned_at=at(date(2026, 7, 1))))
        # a withdrawn hand-over and a contributor are not rated
        s.add(Assignment(task_id=t["A1"].id, agency="so-noi-vu", person_id=minh.id, role="phoi-hop",
                         due=date(2026, 7, 1), assigned_by="x", assigned_at=at(date(2026, 7, 1))))
        s.add(Assignment(task_id=t["C2"].id, agency="so-y-te", person_id=minh.id, role="chu-tri",
                         due=date(2026, 7, 1), assigned_by="x", assigned_at=at(date(2026, 7, 1)),
                         removed_at=at(date(2026, 7, 2))))
        s.commit()
    return engine


def test_dondoc_report_json_has_the_people(handed, db_url, monkeypatch):
    from tests.conftest import cli_runner

    cli = cli_runner(monkeypatch, db_url, "2026-10-05T09:00:00+07:00")
    r = cli("report", "--period", "Quý III/2026", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    people = {p["name"]: (p["agency"], p["due"], p["done_on_time"], p["done_late"], p["open_overdue"], p["score"],
                          p["grade"], p["rank"]) for p in data["person_ratings"]}
    assert people == {"Nguyễn Thị Lan": ("Sở Nội vụ", 2, 0, 2, 0, 75.0, "good", 1),
                      "Trần Văn Minh": ("Sở Tài chính", 2, 0, 0, 2, 0.0, "not_complete", 2)}
    assert {a["agency"]: a["score"] for a in data["agencies"]}["Sở Nội vụ"] == 87.5  # the agency's own unchanged


def test_who_sees_whom_on_the_reports_page(handed, settings):
    from core.workdays import WorkCalendar
    from reports import build_report
    from web.reports import people_shown

    with Session(handed) as s:
        report = build_report(s, settings=settings, calendar=WorkCalendar.from_file(None), period=PERIOD,
                              today=date(2026, 10, 5))
    names = lambda shown: None if shown is None else sorted(p.name for p in shown)  # noqa: E731
    oversight = SignedIn("1", "o", bindings=[("so-noi-vu", "oversight")])
    leader = SignedIn("2", "l", bindings=[("so-tai-chinh", "manager"), ("so-noi-vu", "focal")])
    focal = SignedIn("3", "f", bindings=[("so-noi-vu", "focal")])
    assert names(people_shown(oversight, report)) == ["Nguyễn Thị Lan", "Trần Văn Minh"]
    assert names(people_shown(SignedIn("4", "a", is_admin=True), report)) == ["Nguyễn Thị Lan", "Trần Văn Minh"]
    assert names(people_shown(leader, report)) == ["Trần Văn Minh"]  # the agency they lead, not the one they serve
    assert people_shown(focal, report) is None
