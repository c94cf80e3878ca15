"""/report [period] — in an oversight or leadership chat (or an administrator's): the report's XLSX and its
chart, with the figures in the captions. Every other chat is told politely where reports are made.

The period is written as in `dondoc report --period`: "Quý III/2026", "6 tháng đầu năm 2026", "năm 2026" …;
without one, the current quarter (under REPORT_CUTOFF).
"""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.handlers.common import OVERSEEING_ROLES, command_args, deps, load_scope, refuse_unlinked, reply
from core.i18n import _, pgettext
from reports import ReportTooLarge, build_report, current_period, parse_period
from reports.figures import PERIOD_EXAMPLES, PeriodError, Report, format_rate

CAPTION_LIMIT = 1024  # Telegram's limit for a document's or photo's caption


def may_see_reports(scope) -> bool:
    """Reports cover every agency: the oversight body's and the leadership's chats, and an administrator in a
    private chat with the bot — never another group, whoever asks there (a group is not one person)."""
    return bool(scope.roles & set(OVERSEEING_ROLES)) or (scope.is_admin and scope.is_private)


def not_allowed_text(lang: str) -> str:
    """What a chat that may not see reports hears (Telegram's and Zalo's /report)."""
    return _("Sorry, reports cover every agency, so they are made in the oversight body's and the leadership's "
             "chats. Your agency's tasks: /tasks, /overdue.", lang)


def period_problem(text: str, lang: str) -> str:
    """What to say about a period /report cannot read."""
    return _("I cannot read the period {text!r}. Write it like {examples}, e.g. /report Quý III/2026.", lang,
             text=text.strip()[:60], examples=", ".join(PERIOD_EXAMPLES[:5]))


def caption(report: Report, lang: str) -> str:
    """One paragraph with every figure of the totals."""
    t = report.totals
    text = _("Report {period} ({dates}; status as of {date}): {total} tasks — done on time {done_on_time}, done "
             "late {done_late}, not done within the deadline {open_in_term}, overdue {open_overdue}; on-time "
             "rate {rate}.", lang, period=report.period.name(lang), dates=report.period.dates(lang),
             date=report.as_of.strftime("%d/%m/%Y"), total=t.total, done_on_time=t.done_on_time,
             done_late=t.done_late, open_in_term=t.open_in_term, open_overdue=t.open_overdue,
             rate=format_rate(t.on_time_rate, lang))
    return text[:CAPTION_LIMIT]


def make(d, period, lang: str) -> tuple[Report, bytes, bytes]:
    """(report, XLSX, PNG) — seconds of database and CPU work at 10k tasks, so it runs in a worker thread with
    its own session and the bot keeps answering meanwhile."""
    from reports.chart import report_chart
    from reports.xlsx import report_xlsx

    with d.session() as session:
        report = build_report(session, settings=d.settings, calendar=d.calendar, period=period, today=d.today())
    return report, report_xlsx(report, lang=lang), report_chart(report, lang=lang)


def file_name(report: Report, lang: str) -> str:
    stem = pgettext("file name", "report", lang) + "-" + report.period.code.replace("..", "_")
    return f"{stem}.xlsx"


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report [period]"""
    d = deps(context)
    _args, raw = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        if await refuse_unlinked(update, scope):
            return
        if not may_see_reports(scope):
            await reply(update, not_allowed_text(lang))
            return
        cutoff = d.settings.report_cutoff
        try:
            period = parse_period(raw, cutoff) if raw.strip() else current_period(d.today(), "quarter", cutoff)
        except PeriodError:
            await reply(update, period_problem(raw, lang))
            return
    from reports.slots import shared

    slots = shared(d.settings)  # REPORT_HEAVY_PER_PERSON / REPORT_HEAVY_AT_ONCE, with the console's reports
    who = f"telegram:{update.effective_user.id if update.effective_user else update.effective_chat.id}"
    if not slots.take(who):
        await reply(update, _("Other reports are being computed right now (yours or other people's); try again in "
                              "a minute.", lang))
        return
    try:
        report, xlsx, png = await asyncio.to_thread(make, d, period, lang)
    except ReportTooLarge as e:  # past REPORT_MAX_YEARS / REPORT_MAX_OCCURRENCES: what to narrow
        await reply(update, str(e))
        return
    finally:
        slots.give_back(who)
    message = update.effective_message
    text = caption(report, lang)
    await message.reply_document(document=InputFile(xlsx, filename=file_name(report, lang)), caption=text)
    await message.reply_photo(photo=InputFile(png, filename=file_name(report, lang)[:-5] + ".png"),
                              caption=_("The four groups per agency — {period}.", lang,
                                        period=report.period.name(lang)))
