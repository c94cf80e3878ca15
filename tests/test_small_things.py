"""The small things that cost trust: texts cut at a word with "…", impossible dates said to be impossible,
periods refused in the user's language, the DOCX's overdue duties grouped, more periods on the report page, a QR
code and an explanation when the bot has no @name."""

from __future__ import annotations

import io
from datetime import date

import pytest

from core.i18n import _, ngettext
from core.text import cut, impossible_date
from reports import DueFact, compute_report, parse_period
from tests.test_reports import CAL


@pytest.mark.parametrize("text, limit, expected", [
    ("Rà soát thủ tục hành chính", 100, "Rà soát thủ tục hành chính"),
    ("Báo cáo kết quả 2.500.000 đồng", 24, "Báo cáo kết quả…"),  # never "2.50…"
    ("Báo cáo   kết quả\nthực hiện", 14, "Báo cáo kết…"),
    ("Supercalifragilistic", 10, "Supercali…"),  # one word longer than the room: cut inside it
    ("a, b, c, d", 6, "a, b…"),
])
def test_cut_at_a_word(text, limit, expected):
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit


@pytest.mark.parametrize("text, impossible", [("31/02/2026", True), ("29/02/2027", True), ("2026-13-01", True),
                                              ("29/02/2028", False), ("30/09/2026", False), ("hôm qua", False),
                                              ("", False)])
def test_impossible_dates(text, impossible):
    assert impossible_date(text) is impossible


def test_report_cli_speaks_the_users_language_and_names_impossible_days(engine, db_url, monkeypatch):
    from tests.conftest import cli_runner

    cli = cli_runner(monkeypatch, db_url, "2026-10-05T09:00:00+07:00")
    r = cli("report", "--period", "Quý 5/2026", LANGUAGE="vi")
    assert r.exit_code == 2
    assert _("quarter {number} does not exist: a year has quarters 1 to {last} (I to IV)", "vi", number=5,
             last=4) in r.output
    assert "does not exist" not in r.output  # not the English msgid
    r = cli("report", "--from", "31/02/2026", "--to", "01/03/2026", LANGUAGE="vi")
    assert r.exit_code == 2
    assert _("{option} {value!r}: this day does not exist; give a real date dd/mm/yyyy (e.g. 28/02/2026).", "vi",
             option="--from", value="31/02/2026") in r.output


def test_docx_groups_the_same_duty_of_many_agencies_without_key_prefixes():
    from docx import Document

    from reports.docx import report_docx

    facts = [DueFact(task_key=f"62-1-{code}", occurrence_key="once", content="Rà soát thủ tục hành chính",
                     lead=code, deadline_text="trước ngày 31/8/2026", due=date(2026, 8, 31)) for code in ("a", "b", "c")]
    facts.append(DueFact(task_key="62-2", occurrence_key="once", content="Báo cáo kết quả", lead="a",
                         deadline_text="trước ngày 15/8/2026", due=date(2026, 8, 15)))
    names = {"a": "UBND huyện Cao Lộc", "b": "UBND huyện Lộc Bình", "c": "UBND huyện Đình Lập"}
    report = compute_report(facts, period=parse_period("Quý III/2026"), today=date(2026, 10, 20), calendar=CAL,
                            names=names)
    text = [p.text for p in Document(io.BytesIO(report_docx(report, lang="vi"))).paragraphs]
    lines = [t for t in text if t[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert len(lines) == 2 and not any("[" in t for t in lines)
    grouped = next(t for t in lines if "Rà soát" in t)
    assert all(n in grouped for n in names.values())
    assert ngettext("{names} ({n} agency)", "{names} ({n} agencies)", 3, "vi",
                    names="UBND huyện Cao Lộc, UBND huyện Đình Lập, UBND huyện Lộc Bình") in grouped  # the report's order


def test_more_periods_on_the_report_page():
    from web.reports import period_choices

    codes = [code for code, _label in period_choices(date(2026, 8, 10), "calendar")]
    assert codes[:4] == ["2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"]
    assert {"2026-H1", "2026-H2", "2026-9M", "2026", "2025", "2025-H2", "2026-08", "2026-01"} <= set(codes)
    assert "2026-09" not in codes and len(codes) == len(set(codes))
    for code in codes:
        parse_period(code)  # every choice is read back by the page


async def test_an_invite_without_a_bot_name_gets_a_qr_of_its_code_and_why(engine, db_url):
    from core.clock import FixedClock
    from dondoc.settings import load_settings
    from tests.web_harness import ADMIN, NOW, console, seed

    seed(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))
    assert settings.telegram_bot_username is None
    async with console(engine, settings, FixedClock(NOW)) as c:
        await c.sign_in(ADMIN)
        r = await c.client.post("/web/chats/invite", data={"csrf": await c.csrf("/web/chats"), "agency": "so-noi-vu",
                                                           "role": "focal", "expires": "7d"})
        page = await r.text()
        assert r.status == 200 and 'id="code-qr"' in page and 'src="data:image/svg+xml' in page
        assert "TELEGRAM_BOT_USERNAME" in page[page.index('id="no-link"'):]
