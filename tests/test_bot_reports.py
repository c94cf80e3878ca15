"""/report end to end against the fake Bot API: the XLSX and the chart in an oversight or leadership chat, a
polite refusal elsewhere, a clear answer to a period it cannot read.

The harness's registry on 1/6/2018 (Quý II/2018 has not ended): 5099-1 due 14/6 (open, in term), 5099-2 due
30/6 (quarterly, in term), 5099-3 continuous (not counted), 5099-4 of Sở Y tế due 20/5 (overdue)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image

from core.i18n import _, pgettext
from reports.chart import chart_size
from tests.bot_harness import (  # noqa: F401 — `bot` is a fixture
    ADMIN, FOCAL_CHAT, LEADERSHIP_CHAT, OVERSIGHT_CHAT, STRANGER_CHAT, bot,
)


async def test_report_in_the_oversight_chat_sends_the_xlsx_and_the_chart(bot):
    reaction = await bot.say(OVERSIGHT_CHAT, "/report Quý II/2018")
    (doc,) = bot.tg.documents
    (photo,) = bot.tg.photos
    assert doc["chat_id"] == photo["chat_id"] == OVERSIGHT_CHAT
    assert doc["filename"] == pgettext("file name", "report", "vi") + "-2018-Q2.xlsx"
    caption = reaction.texts(OVERSIGHT_CHAT)[0]
    assert caption == _(
        "Report {period} ({dates}; status as of {date}): {total} tasks — done on time {done_on_time}, done late "
        "{done_late}, not done within the deadline {open_in_term}, overdue {open_overdue}; on-time rate {rate}.", "vi",
        period="Quý II/2018", dates=_("from {start} to {end}", "vi", start="01/04/2018", end="30/06/2018"),
        date="01/06/2018", total=3, done_on_time=0, done_late=0, open_in_term=2, open_overdue=1, rate="0,0%")
    wb = load_workbook(io.BytesIO(doc["content"]))
    rows = [[c.value for c in r] for r in wb.worksheets[0].iter_rows(min_row=5) if r[1].value]
    assert {r[1]: tuple(r[2:6]) for r in rows[:-1]} == {"Sở Nội vụ": (0, 0, 2, 0), "Sở Y tế": (0, 0, 0, 1)}
    assert rows[-1][2:7] == [0, 0, 2, 1, 3]
    assert [r[1].value for r in wb.worksheets[1].iter_rows(min_row=5)] == ["5099-4"]
    image = Image.open(io.BytesIO(photo["content"]))
    assert image.format == "PNG" and image.size == chart_size(2)


async def test_report_without_a_period_is_this_quarter_in_the_chat_language(bot):
    await bot.say(LEADERSHIP_CHAT, "/lang en")
    reaction = await bot.say(LEADERSHIP_CHAT, "/report")
    assert bot.tg.documents[-1]["filename"] == "report-2018-Q2.xlsx"
    assert reaction.texts(LEADERSHIP_CHAT)[0].startswith("Report Q2 2018")


async def test_report_is_refused_politely_in_other_chats(bot):
    reaction = await bot.say(FOCAL_CHAT, "/report Quý II/2018")
    assert bot.tg.documents == [] and bot.tg.photos == []
    assert reaction.text == _("Sorry, reports cover every agency, so they are made in the oversight body's and the "
                              "leadership's chats. Your agency's tasks: /tasks, /overdue.", "vi")
    reaction = await bot.say(STRANGER_CHAT, "/report")
    assert bot.tg.documents == [] and "Sở Y tế" not in reaction.text
    # An administrator in an agency's group gets no province-wide report posted there either.
    reaction = await bot.say(FOCAL_CHAT, "/report Quý II/2018", user_id=ADMIN)
    assert bot.tg.documents == [] and bot.tg.photos == [] and "Sở Y tế" not in reaction.text


async def test_an_administrator_may_ask_anywhere_and_a_bad_period_is_explained(bot):
    reaction = await bot.say(ADMIN, "/report Quý V/2018", user_id=ADMIN)
    assert "Quý V/2018" in reaction.text and "Quý III/2026" in reaction.text and bot.tg.documents == []
    await bot.say(ADMIN, "/report năm 2018", user_id=ADMIN)
    assert bot.tg.documents[-1]["filename"].endswith("-2018.xlsx")


async def test_help_lists_report_where_it_works(bot):
    assert "/report" in (await bot.say(OVERSIGHT_CHAT, "/help")).text
    assert "/report" in (await bot.say(LEADERSHIP_CHAT, "/help")).text
    assert "/report" not in (await bot.say(FOCAL_CHAT, "/help")).text
