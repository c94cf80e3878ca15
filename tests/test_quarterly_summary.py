"""The quarterly summary's text tells the quarter's figures — those of the chart sent with it and of
`dondoc report --period "Quý II/2018"` — not the current status of every task.

Quý II/2018 (1/4 – 30/6), summary read on Wednesday 4/7/2018 (sent late: caught up on the first tick):

| task | lead | due (as written) | what happened | quarter (at 30/6) | today (4/7) |
|---|---|---|---|---|---|
| A1 | Sở Nội vụ | 15/2 | open | not counted (Q1) | overdue |
| A2 | Sở Nội vụ | 20/4 | done 18/4 | done on time | done on time |
| A3 | Sở Nội vụ | 15/6 | done 1/7 (after the quarter) | open, overdue | done late |
| A4 | Sở Nội vụ | 2/4 | open | open, overdue, long overdue | overdue |
| D1 | Sở Nội vụ | 30/6 (Saturday → 2/7) | open | open, in term | overdue |
| B1 | Sở Tài chính | 10/5 | extended to 20/7 (approved 9/5) | open, in term | in term |
| B2 | Sở Tài chính | 27/6 | open | open, overdue | overdue |
| B3 | Sở Tài chính | 15/8 | open | not counted (Q3) | in term |
| F1 | Sở Tài chính | 3/7 | open | not counted (Q3) | overdue |
| C1 | Sở Y tế | 20th of each month | Q1 open; 20/4 done 19/4; 20/5 (Sunday → 21/5) done 25/5; 20/6 open | on time, late, overdue | Q1 ×3 and June overdue |
| E1 | Sở Y tế | 25/6 | extended to 31/7, approved 1/7 (after the quarter) | open, overdue | in term |
| G1 | Sở Y tế | 10/5 | extended to 15/6 (approved 9/5), open | open, overdue (extended) | overdue |
| H1 | Sở Y tế | 20/6 | reported done 25/6, awaiting confirmation | open, overdue | awaiting confirmation |

Overdue today but not in the quarter's overdue list: A1, C1's three Q1 periods, D1, F1 — 6.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlmodel import Session

from core.clock import FixedClock
from core.i18n import _, ngettext
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from core.status import Status
from core.workdays import WorkCalendar
from reports.figures import format_rate
from reports.summary import summary_report
from storage import actions
from storage.db import session_scope
from storage.tables import Agency
from storage.views import summary_counts, task_items
from tests.conftest import VN
from tests.factories import make_binding, make_directive, make_task
from tests.test_dispatcher import ScriptedChannel

ACTOR = actions.Actor("Nguyễn Văn A", "1", "cli")
BOSS = actions.Actor("Lãnh đạo", "2", "cli")
NAMES = {"so-noi-vu": "Sở Nội vụ", "so-tai-chinh": "Sở Tài chính", "so-y-te": "Sở Y tế"}
TODAY = date(2018, 7, 4)


def at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, 0, tzinfo=VN)


def seed(engine) -> None:
    created = at(date(2018, 1, 10))
    with session_scope(engine) as s:
        for code, name in NAMES.items():
            s.add(Agency(code=code, name=name))
        d = make_directive(s, number="12/KH-UBND", issued=date(2018, 1, 10), now=created)

        def task(key, text, lead):
            return make_task(s, key=key, deadline_text=text, now=created, lead=lead, directive=d,
                             content=f"Nội dung {key}")

        t = {key: task(key, text, lead) for key, text, lead in [
            ("A1", "trước ngày 15/2/2018", "so-noi-vu"), ("A2", "trước ngày 20/4/2018", "so-noi-vu"),
            ("A3", "trước ngày 15/6/2018", "so-noi-vu"), ("A4", "trước ngày 2/4/2018", "so-noi-vu"),
            ("D1", "trước ngày 30/6/2018", "so-noi-vu"),
            ("B1", "trước ngày 10/5/2018", "so-tai-chinh"), ("B2", "trước ngày 27/6/2018", "so-tai-chinh"),
            ("B3", "trước ngày 15/8/2018", "so-tai-chinh"), ("F1", "trước ngày 3/7/2018", "so-tai-chinh"),
            ("C1", "trước ngày 20 hằng tháng", "so-y-te"), ("E1", "trước ngày 25/6/2018", "so-y-te"),
            ("G1", "trước ngày 10/5/2018", "so-y-te"), ("H1", "trước ngày 20/6/2018", "so-y-te"),
        ]}
        actions.mark_done(s, t["A2"], "once", ACTOR, at(date(2018, 4, 18)))
        actions.mark_done(s, t["A3"], "once", ACTOR, at(date(2018, 7, 1)))
        for key, requested, new_due, decided in [("B1", date(2018, 5, 8), date(2018, 7, 20), date(2018, 5, 9)),
                                                 ("G1", date(2018, 5, 8), date(2018, 6, 15), date(2018, 5, 9)),
                                                 ("E1", date(2018, 6, 28), date(2018, 7, 31), date(2018, 7, 1))]:
            ext = actions.request_extension(s, t[key], "once", new_due, "Chờ số liệu", ACTOR, at(requested))
            actions.decide_extension(s, ext, True, BOSS, at(decided))
        actions.mark_done(s, t["C1"], "2018-04-20", ACTOR, at(date(2018, 4, 19)))
        actions.mark_done(s, t["C1"], "2018-05-20", ACTOR, at(date(2018, 5, 25)))
        actions.mark_done(s, t["H1"], "once", ACTOR, at(date(2018, 6, 25)), needs_confirmation=True)
        make_binding(s, chat_id=-1003, agency="van-phong-ubnd-tinh", role="oversight", now=created)
        make_binding(s, chat_id=-1004, agency="ubnd-tinh", role="leadership", now=created, language="en")


def figures(text: str, label: str) -> list[str]:
    """The numbers of the line for `label` (an agency, or "Total"), as written: total, the four groups, rate."""
    [line] = [line for line in text.splitlines() if line.removeprefix("• ").startswith(label + ": ")]
    return re.findall(r"\d+(?:[.,]\d+)?%|\d+", line.removeprefix("• ")[len(label) + 2:])


def expected(counts, lang: str) -> list[str]:
    return [str(n) for n in (counts.total, counts.done_on_time, counts.done_late, counts.open_in_term,
                             counts.open_overdue)] + [format_rate(counts.on_time_rate, lang)]


async def test_the_summary_text_tells_the_quarters_figures(engine, db_url):
    seed(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    calendar = WorkCalendar.from_file(settings.holidays_file)
    ch = ScriptedChannel()
    await make_scheduler(engine, settings, FixedClock(at(TODAY, 8)), {"telegram": ch}, calendar=calendar).tick()
    texts = {lang: [t for t in ch.texts_to(chat) if t.startswith("📊")] for lang, chat in (("vi", -1003), ("en", -1004))}
    assert [len(t) for t in texts.values()] == [1, 1]
    with Session(engine) as s:
        report = summary_report(s, settings=settings, calendar=calendar, quarter="2018-Q2", today=TODAY)
        current = summary_counts(task_items(s, settings=settings, calendar=calendar, today=TODAY))
    # The registry tells the two apart: today Sở Nội vụ has 3 tasks overdue (A1, A4, D1), at the quarter's end 2 were (A3, A4).
    assert current["so-noi-vu"][Status.OVERDUE] == 3 and report.agencies[0].counts.open_overdue == 2
    assert [(a.name, a.counts.total) for a in report.agencies] == [("Sở Nội vụ", 4), ("Sở Tài chính", 2),
                                                                    ("Sở Y tế", 6)]

    for lang, [text] in texts.items():
        lines = text.splitlines()
        assert lines[0] == "📊 " + _("Task completion — {period} ({dates}); status as of {date}", lang,
                                     period=report.period.name(lang), dates=report.period.dates(lang),
                                     date="30/06/2018")
        # every agency's figures and the totals, read back from the text, are the report's (and the chart's)
        for a in report.agencies:
            assert figures(text, a.name) == expected(a.counts, lang)
        assert figures(text, _("Total", lang)) == expected(report.totals, lang)
        assert [line.split(": ")[0].removeprefix("• ") for line in lines[1:5]] == [
            "Sở Nội vụ", "Sở Tài chính", "Sở Y tế", _("Total", lang)]  # the report's order, then the total
        # the quarter's overdue list, longest overdue first, as the report lists it
        start = lines.index(_("Overdue on {date} ({n}):", lang, date="30/06/2018", n=len(report.overdue)))
        listed = [re.search(r"\[(\w+)\]$", line).group(1) for line in lines[start + 1:start + 1 + len(report.overdue)]]
        assert listed == [r.key for r in report.overdue] and sorted(listed) == ["A3", "A4", "B2", "C1", "E1", "G1",
                                                                                "H1"]
        assert listed[0] == "A4" and _("long overdue", lang) in lines[start + 1]  # 2/4: past every repeat by 30/6
        assert not any(_("long overdue", lang) in line for line in lines[start + 2:])
        # then one line for the tasks overdue today that the quarter does not list
        assert lines[-1] == ngettext(
            "Also overdue today but not counted as overdue in this quarter: {n} task (due in an earlier quarter, or "
            "overdue since the quarter ended) — /overdue lists every overdue task.",
            "Also overdue today but not counted as overdue in this quarter: {n} tasks (due in earlier quarters, or "
            "overdue since the quarter ended) — /overdue lists every overdue task.", 6, lang)

    vi = texts["vi"][0].splitlines()
    assert "• hạn 15/06 (thứ Sáu), đã gia hạn — quá hạn 10 ngày làm việc — Sở Y tế — Nội dung G1 [G1]" in vi
    assert ("• hạn 20/06 (thứ Tư) — báo hoàn thành muộn 3 ngày làm việc, đang chờ xác nhận — Sở Y tế — Nội dung H1 "
            "[H1]") in vi
    assert ("Sở Tài chính: 2 nhiệm vụ — đã hoàn thành đúng hạn 0, đã hoàn thành quá hạn 0, chưa hoàn thành trong hạn 1, "
            "chưa hoàn thành quá hạn 1; tỷ lệ đúng hạn 0,0%") in texts["vi"][0]
    en = texts["en"][0]
    assert ("Sở Tài chính: 2 tasks — done on time 0, done late 0, not done within the deadline 1, overdue 1; on-time "
            "rate 0.0%") in en and "Also overdue today" in en


# -- the text alone, from plain figures (bot.notifications is pure) ------------------------------------------

def quarter_report(agencies: int, tasks_each: int, today: date = TODAY):
    """`agencies` agencies with `tasks_each` open tasks each, due 2/4/2018 … in Quý II/2018: all overdue."""
    from reports.figures import DueFact, compute_report, make_period

    facts = [DueFact(task_key=f"K{a}-{k}", occurrence_key="once", content="Nội dung rất dài " * 10, lead=f"a{a:03}",
                     deadline_text="trước ngày 2/4/2018", due=date(2018, 4, 2 + k % 20))
             for a in range(agencies) for k in range(tasks_each)]
    return compute_report(facts, period=make_period("quarter", 2018, 2), today=today,
                          calendar=WorkCalendar.from_file(None),
                          names={f"a{a:03}": f"Ủy ban nhân dân huyện số {a}" for a in range(agencies)})


def test_an_empty_quarter_says_so_and_still_counts_the_earlier_overdue():
    from bot.notifications import quarterly_summary

    report = quarter_report(0, 0)
    for lang in ("vi", "en"):
        text = quarterly_summary(report, earlier_overdue=1, lang=lang)
        assert text.splitlines()[1:] == [_("No task is due in this period.", lang), ngettext(
            "Also overdue today but not counted as overdue in this quarter: {n} task (due in an earlier quarter, or "
            "overdue since the quarter ended) — /overdue lists every overdue task.",
            "Also overdue today but not counted as overdue in this quarter: {n} tasks (due in earlier quarters, or "
            "overdue since the quarter ended) — /overdue lists every overdue task.", 1, lang)]
    assert quarterly_summary(report, lang="vi").splitlines()[1:] == ["Không có nhiệm vụ nào đến hạn trong kỳ."]


def test_many_agencies_fit_in_one_message_with_the_totals_and_the_earlier_overdue_line():
    from bot.notifications import MAX_TEXT, quarterly_summary

    # 45 agencies (a province's departments and districts): the full wording would not fit; the compact lines
    # (after a legend) do, every one of them
    report = quarter_report(45, 4)
    text = quarterly_summary(report, earlier_overdue=3, lang="vi")
    lines = text.splitlines()
    assert len(text) <= MAX_TEXT
    assert lines[1] == _("Per agency: tasks — done on time / done late / not done within the deadline / overdue; "
                         "on-time rate", "vi")
    for a in report.agencies:
        assert figures(text, a.name) == expected(a.counts, "vi")
    assert figures(text, _("Total", "vi")) == expected(report.totals, "vi") and report.totals.total == 180
    # the overdue list is cut where the message ends, pointing at the report that has all of it
    shown = sum(1 for line in lines if line.endswith("]"))
    assert 0 < shown < 180
    assert lines[-2] == ngettext("… and {n} more ({command} for all)", "… and {n} more ({command} for all)",
                                 180 - shown, "vi", command="/report Quý II/2018")
    assert lines[-1].startswith("Ngoài ra, hiện có 3 nhiệm vụ")

    # 400 agencies: even the compact lines are cut, never the totals or the last line
    text = quarterly_summary(quarter_report(400, 1), earlier_overdue=2, lang="en")
    assert len(text) <= MAX_TEXT
    lines = text.splitlines()
    agencies = sum(1 for line in lines if line.startswith("• Ủy ban"))
    assert agencies < 400 and f"… and {400 - agencies} more agencies (/report Q2 2018 for all)" in lines
    assert figures(text, "Total")[0] == "400" and lines[-1].startswith("Also overdue today")
