"""Texts of the messages dondoc sends on its own (thông báo): new tasks, reminders, escalations, check-ins,
weekly agendas, quarterly summaries and delivery notices. Through gettext (core.i18n): English msgids,
Vietnamese by default; each function takes the chat's `lang`.

Pure: the caller passes the facts and today's date (and the working days late, which need the calendar).
Texts are rendered when a message is sent, not when it was planned, so a reminder sent late after downtime
says how things stand now. Dates are dd/mm/yyyy — dd/mm alone only for a date of the current year in a list —
and the deadline is also shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Collection, Iterable, Sequence

from bot.i18n import role_label
from core.i18n import _, format_date, ngettext, quarter_numeral, use_language, weekday_name
from core.status import Status
from reports.figures import GroupCounts, Report, ReportRow, format_rate

MAX_TEXT = 4096  # Telegram's limit for one message
CONTENT_CHARS = 400  # a task's content is cut here in a reminder; /task KEY shows all of it


def fmt_date(d: date | None) -> str:
    return format_date(d)


@dataclass(frozen=True)
class Progress:
    """The last progress report (báo cáo tiến độ) of an occurrence."""

    percent: int | None
    note: str | None
    on: date
    by: str | None = None


@dataclass(frozen=True)
class TaskFacts:
    """What a message says about one occurrence of a task."""

    key: str
    content: str
    lead: str  # display name of the lead agency (cơ quan chủ trì); several, for a group item to a coordinator
    deadline_text: str  # as written
    kind: str = "once"  # once | recurring | continuous
    coordinators: tuple[str, ...] = ()  # display names (cơ quan phối hợp)
    directive: str | None = None  # số/ký hiệu
    directive_issued: date | None = None
    due: date | None = None  # as written, for this occurrence
    effective_due: date | None = None  # in force: extension and working-day shift applied
    extended: bool = False
    shift_reason: str | None = None  # why the deadline in force is later than written ("Tết Nguyên Đán")
    period: tuple[date, date] | None = None  # the period a recurring occurrence closes
    last_progress: Progress | None = None
    leads: int = 1  # how many lead agencies `lead` names


@dataclass(frozen=True)
class AgendaLine:
    """One task in a weekly agenda."""

    key: str
    content: str
    agency: str  # display name
    effective_due: date | None
    status: Status
    workdays_late: int = 0
    long_overdue: bool = False  # past the top rung's repeats: "quá hạn kéo dài"


# -- pieces ---------------------------------------------------------------------------------------------------

def weekday(d: date, lang: str | None = None) -> str:
    return weekday_name(d, lang)


def day_label(d: date, today: date, *, weekday: bool = True) -> str:
    """ "03/09 (thứ Ba)" in a list — with the year when it is not the current one ("03/09/2014 (thứ Tư)")."""
    text = format_date(d, year=d.year != today.year)
    return f"{text} ({weekday_name(d)})" if weekday else text


def short(text: str, limit: int = CONTENT_CHARS) -> str:
    from core.text import cut

    return cut(text, limit)


def quarter_label(label: str, lang: str | None = None) -> str:
    """ "2018-Q2" → "Quý II/2018" / "Q2 2018"."""
    year, q = label.split("-Q")
    return _("Q{number} {year}", lang=lang, number=quarter_numeral(int(q), lang), year=year)


def period_name(label: str, lang: str | None = None) -> str:
    """A check-in period label (2018-07, 2018-Q3, 2018-H2, 2018) in words."""
    if "-Q" in label:
        return quarter_label(label, lang)
    if "-H" in label:
        year, h = label.split("-H")
        return (_("First half of {year}", lang=lang, year=year) if h == "1"
                else _("Second half of {year}", lang=lang, year=year))
    if "-" in label:
        year, month = label.split("-")
        return _("Month {month}/{year}", lang=lang, month=int(month), year=year)
    return _("Year {year}", lang=lang, year=label)


def how_near(effective_due: date | None, today: date, workdays_late: int, lang: str | None = None) -> str:
    """ "còn 7 ngày" / "hạn là hôm nay" / "quá hạn 3 ngày làm việc" — how near or late, today."""
    if effective_due is None:
        return _("no deadline", lang=lang)
    days = (effective_due - today).days
    if days > 1:
        return ngettext("{n} day left", "{n} days left", days, lang=lang)
    if days == 1:
        return _("due tomorrow", lang=lang)
    if days == 0:
        return _("due today", lang=lang)
    if workdays_late <= 0:
        return _("past due", lang=lang)
    return ngettext("{n} working day overdue", "{n} working days overdue", workdays_late, lang=lang)


def _deadline_line(f: TaskFacts) -> str:
    if f.kind == "continuous" or f.effective_due is None:
        return _("Deadline: {text} (no deadline)", text=f.deadline_text)
    due = f"{fmt_date(f.effective_due)} ({weekday_name(f.effective_due)})"
    notes = []
    if f.extended:
        notes.append(_("extended"))
    elif f.due is not None and f.effective_due != f.due:
        reason = f" ({f.shift_reason})" if f.shift_reason else ""
        notes.append(_("{date} is a day off{reason}; due the next working day", date=fmt_date(f.due), reason=reason))
    if f.kind == "recurring" and f.period is not None:
        start, end = f.period
        notes.append(_("period {start} – {end}", start=fmt_date(start), end=fmt_date(end)))
    tail = f" — {'; '.join(notes)}" if notes else ""
    return _("Due: {due} · as written: “{text}”", due=due, text=f.deadline_text) + tail


def _agencies_line(f: TaskFacts) -> str:
    if f.leads > 1:
        line = ngettext("Lead ({n} agency): {names}", "Lead ({n} agencies): {names}", f.leads, names=f.lead)
    else:
        line = _("Lead: {name}", name=f.lead)
    if f.coordinators:
        line += " · " + _("Coordinating: {names}", names=", ".join(f.coordinators))
    return line


def _directive_line(f: TaskFacts) -> str | None:
    if not f.directive:
        return None
    if f.directive_issued:
        return _("Directive: {number} of {date}", number=f.directive, date=fmt_date(f.directive_issued))
    return _("Directive: {number}", number=f.directive)


def _progress_line(f: TaskFacts) -> str:
    p = f.last_progress
    if p is None:
        return _("Last report: no progress reported yet")
    parts = []
    if p.percent is not None:
        parts.append(f"{p.percent}%")
    if p.note:
        parts.append(f"“{short(p.note, 200)}”")
    body = " — ".join(parts) or "—"
    return _("Last report: {what} ({date})", what=body, date=fmt_date(p.on))


def _key_line(f: TaskFacts) -> str:
    return _("Key: {key}", key=f.key)


def _join(lines: Iterable[str | None]) -> str:
    return _fit("\n".join(line for line in lines if line))


def _fit(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- task messages --------------------------------------------------------------------------------------------

def new_task(f: TaskFacts, today: date, workdays_late: int = 0, *, coordinating: bool = False, lang: str = "vi") -> str:
    """A task has just been assigned to the agency (nhiệm vụ mới)."""
    with use_language(lang):
        title = _("📌 New task (your agency coordinates)") if coordinating else _("📌 New task (your agency leads)")
        near = how_near(f.effective_due, today, workdays_late) if f.kind != "continuous" else None
        return _join([
            title,
            short(f.content),
            _agencies_line(f),
            _directive_line(f),
            _deadline_line(f) + (f" — {near}" if near else ""),
            _key_line(f),
        ])


def reminder(f: TaskFacts, today: date, workdays_late: int = 0, *, lang: str = "vi") -> str:
    """A reminder before the deadline (nhắc hạn); sent late after downtime it says how late it is now."""
    with use_language(lang):
        return _join([
            _("⏰ Reminder: {when}", when=how_near(f.effective_due, today, workdays_late)),
            short(f.content),
            _agencies_line(f),
            _directive_line(f),
            _deadline_line(f),
            _progress_line(f),
            _key_line(f),
        ])


def escalation(f: TaskFacts, today: date, workdays_late: int, *, level: int, levels: int, role: str,
               repeat: int = 0, repeat_limit: int = 0, lang: str = "vi") -> str:
    """The task is late (quá hạn): who leads it, how late, what was last reported."""
    with use_language(lang):
        late = how_near(f.effective_due, today, workdays_late)
        if repeat:
            title = (_("🔁 Repeat {n} of {limit}: task {late}", n=repeat, limit=repeat_limit, late=late) if repeat_limit
                     else _("🔁 Repeat {n}: task {late}", n=repeat, late=late))
        else:
            title = _("🔺 Task {late}", late=late)
        return _join([
            title,
            short(f.content),
            _agencies_line(f),
            _directive_line(f),
            _deadline_line(f),
            _progress_line(f),
            _("Escalation level {level}/{levels}: {role} informed", level=level, levels=levels,
              role=role_label(role, lang)),
            _key_line(f),
        ])


def checkin(f: TaskFacts, period_label: str, *, lang: str = "vi") -> str:
    """A continuous task's periodic check-in (báo cáo định kỳ)."""
    with use_language(lang):
        return _join([
            _("🗓 Periodic check-in — {period}", period=period_name(period_label)),
            short(f.content),
            _agencies_line(f),
            _directive_line(f),
            _deadline_line(f),
            _progress_line(f),
            _("Please report progress (📈 Progress) or mark it done (✅)."),
            _key_line(f),
        ])


# -- digests --------------------------------------------------------------------------------------------------

def _agenda_line(item: AgendaLine, today: date, with_agency: bool) -> str:
    parts = [day_label(item.effective_due, today) if item.effective_due else "—"]
    if item.long_overdue:
        parts.append(_("long overdue") + ", " + how_near(item.effective_due, today, item.workdays_late))
    elif item.status == Status.OVERDUE:
        parts.append(how_near(item.effective_due, today, item.workdays_late))
    if with_agency:
        parts.append(item.agency)
    parts.append(short(item.content, 120))
    return "• " + " — ".join(parts) + f" [{item.key}]"


def _limited(lines: list[str], budget: int, more: str = "/tasks", rest_line=None) -> list[str]:
    """The lines that fit in `budget` characters, then "… and N more (/tasks for all)" (or `rest_line(N)`)."""
    out, used = [], 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            rest = len(lines) - i
            out.append(rest_line(rest) if rest_line else ngettext(
                "… and {n} more ({command} for all)", "… and {n} more ({command} for all)", rest, command=more))
            break
        out.append(line)
        used += len(line) + 1
    return out


def weekly_digest(agencies: Sequence[str], week_start: date, due_this_week: Sequence[AgendaLine],
                  overdue: Sequence[AgendaLine], today: date, *, lang: str = "vi",
                  long_overdue: Sequence[AgendaLine] = (), told_apart: int = 0) -> str | None:
    """The weekly agenda (lịch việc tuần) of a chat; None when there is nothing to say. `long_overdue`: the
    tasks past the top rung's repeats, which now live here and in the briefs, not as messages. `told_apart`:
    tasks left out because the chat hears of them in their own message today."""
    if not due_this_week and not overdue and not long_overdue:
        return None
    with use_language(lang):
        week_end = week_start + timedelta(days=6)
        span = f"{format_date(week_start, year=False)} – {fmt_date(week_end)}"
        many = len(agencies) != 1
        lines = [_("📋 Week of {span} — {agencies}", span=span, agencies=", ".join(agencies))]
        body: list[str] = []
        if due_this_week:
            body.append(_("Due this week ({n}):", n=len(due_this_week)))
            body += [_agenda_line(i, today, many) for i in due_this_week]
        if overdue:
            body.append(_("Overdue ({n}):", n=len(overdue)))
            body += [_agenda_line(i, today, many) for i in overdue]
        if long_overdue:
            body.append(_("Long overdue, no longer repeated ({n}):", n=len(long_overdue)))
            body += [_agenda_line(i, today, many) for i in long_overdue]
        if told_apart:
            body.append(ngettext("(and {n} task in its own message today)",
                                 "(and {n} tasks in their own messages today)", told_apart))
        lines += _limited(body, MAX_TEXT - len(lines[0]) - 120, "/overdue" if long_overdue or overdue else "/tasks")
        return _fit("\n".join(lines))


# -- the quarterly summary ------------------------------------------------------------------------------------

SUMMARY_SLACK = 120  # room for the two "… and N more" lines the limits may add
SUMMARY_OVERDUE_ROOM = 600  # what the overdue list keeps at least (a few lines) when the agencies are many


def _figures_line(label: str, counts: GroupCounts) -> str:
    """ "Sở Nội vụ: 3 nhiệm vụ — đã hoàn thành đúng hạn 1, …; tỷ lệ đúng hạn 33,3%" — the four groups in the
    wording of /report's caption."""
    return _("{agency}: {tasks} — done on time {done_on_time}, done late {done_late}, not done within the deadline "
             "{open_in_term}, overdue {open_overdue}; on-time rate {rate}", agency=label,
             tasks=ngettext("{n} task", "{n} tasks", counts.total), done_on_time=counts.done_on_time,
             done_late=counts.done_late, open_in_term=counts.open_in_term, open_overdue=counts.open_overdue,
             rate=format_rate(counts.on_time_rate))


def _compact_line(label: str, counts: GroupCounts) -> str:
    """ "• Sở Nội vụ: 3 — 1 / 0 / 1 / 1; 33,3%" — the same figures in the order the legend names them, for a
    quarter with too many agencies for the full wording."""
    return (f"• {label}: {counts.total} — {counts.done_on_time} / {counts.done_late} / {counts.open_in_term} / "
            f"{counts.open_overdue}; {format_rate(counts.on_time_rate)}")


def _overdue_row_line(row: ReportRow, as_of: date, long_overdue: bool) -> str:
    """One task of the quarter's overdue list: its deadline in force, how late at the quarter's end, the lead,
    the content and the key (as the weekly agenda writes them)."""
    deadline = _("deadline {date}", date=day_label(row.effective_due, as_of))
    if row.extended:
        deadline += ", " + _("extended")
    parts = [deadline]
    if row.status == Status.PENDING_CONFIRMATION:  # reported done after the deadline, not yet confirmed
        parts.append(ngettext("reported done {n} working day late, awaiting confirmation",
                              "reported done {n} working days late, awaiting confirmation", row.workdays_late))
    elif long_overdue:
        parts.append(_("long overdue") + ", " + how_near(row.effective_due, as_of, row.workdays_late))
    else:
        parts.append(how_near(row.effective_due, as_of, row.workdays_late))
    parts += [row.lead_name, short(row.fact.content, 120)]
    return "• " + " — ".join(parts) + f" [{row.key}]"


def _lines_length(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


RATINGS_LINE_ROOM = 700  # the ranking is cut with "…" past this: the overdue list matters more


def _ratings_line(report: Report) -> list[str]:
    """ "Xếp loại (Nghị định 335/2025): 1. Sở Nội vụ 100,0 (Xuất sắc); 2. …" — the ranking, in one line."""
    from reports.ratings import format_score

    ratings = report.ratings
    if ratings is None or not any(a.score is not None for a in ratings.agencies):
        return []
    parts = [f"{a.rank}. {a.name} {format_score(a.score)} ({a.grade.label()})"
             for a in ratings.agencies if a.score is not None]
    return [short(_("Ratings (Decree 335/2025/ND-CP): {ranking}", ranking="; ".join(parts)), RATINGS_LINE_ROOM)]


def quarterly_summary(report: Report, *, long_overdue: Collection[tuple[str, str]] = (), earlier_overdue: int = 0,
                      lang: str = "vi") -> str:
    """The quarterly summary for the oversight body and the province leadership ("định kỳ hàng quý tổng hợp kết
    quả"): the figures of `dondoc report` for the quarter — the four groups and the on-time rate per agency and in
    total, then the tasks open and overdue at the quarter's end, longest overdue first — and how many tasks are
    overdue today outside that list (`earlier_overdue`: due in an earlier quarter, or overdue since the quarter
    ended), so the list is not taken for every late task. `long_overdue`: (task key, occurrence key) of the
    listed tasks that had used up their repeats by the quarter's end ("quá hạn kéo dài")."""
    with use_language(lang):
        period = report.period
        more = f"/report {period.name()}"
        title = "📊 " + _("Task completion — {period} ({dates}); status as of {date}", period=period.name(),
                          dates=period.dates(), date=fmt_date(report.as_of))
        tail = []
        if earlier_overdue:
            tail.append(ngettext(
                "Also overdue today but not counted as overdue in this quarter: {n} task (due in an earlier "
                "quarter, or overdue since the quarter ended) — /overdue lists every overdue task.",
                "Also overdue today but not counted as overdue in this quarter: {n} tasks (due in earlier "
                "quarters, or overdue since the quarter ended) — /overdue lists every overdue task.",
                earlier_overdue))
        if not report.rows:
            return _fit("\n".join([title, _("No task is due in this period."), *tail]))
        total = _figures_line(_("Total"), report.totals)
        ratings = _ratings_line(report)
        heading = _("Overdue on {date} ({n}):", date=fmt_date(report.as_of), n=len(report.overdue))
        room = MAX_TEXT - _lines_length([title, total, *ratings, heading, *tail]) - SUMMARY_SLACK
        listed = set(long_overdue)
        overdue = [_overdue_row_line(r, report.as_of, (r.key, r.fact.occurrence_key) in listed)
                   for r in report.overdue]
        agencies = ["• " + _figures_line(a.name, a.counts) for a in report.agencies]
        agency_room = room - min(_lines_length(overdue), SUMMARY_OVERDUE_ROOM)  # the figures come first
        if _lines_length(agencies) > agency_room:
            agencies = [_("Per agency: tasks — done on time / done late / not done within the deadline / overdue; "
                          "on-time rate")] + [_compact_line(a.name, a.counts) for a in report.agencies]
        agencies = _limited(agencies, agency_room, rest_line=lambda n: ngettext(
            "… and {n} more agency ({command} for all)", "… and {n} more agencies ({command} for all)", n,
            command=more))
        body = [title, *agencies, total, *ratings]
        if overdue:
            body += [heading, *_limited(overdue, room - _lines_length(agencies), more)]
        return _fit("\n".join(body + tail))


# -- delivery notices (to the oversight chats) ----------------------------------------------------------------

def notice_failed(chat: str, what: str, error: str, attempts: int, *, lang: str = "vi") -> str:
    """A message could not be delivered after every attempt."""
    with use_language(lang):
        return _join([
            ngettext("⚠️ A message could not be delivered after {n} attempt",
                     "⚠️ A message could not be delivered after {n} attempts", attempts),
            _("To: {chat}", chat=chat),
            _("Message: {what}", what=what),
            _("Error: {error}", error=short(error, 300)),
        ])


def notice_chat_gone(chat: str, error: str, *, lang: str = "vi") -> str:
    """The bot cannot write to a linked chat any more; its binding was disabled."""
    with use_language(lang):
        return _join([
            _("⚠️ dondoc can no longer write to a linked chat"),
            _("Chat: {chat}", chat=chat),
            _("Reason: {error} (the bot was removed or blocked, or the chat is gone)", error=short(error, 300)),
            _("The link was disabled. To get reminders again, add the bot back and re-link the chat "
              "(dondoc invite or dondoc link)."),
        ])


def notice_held(f: TaskFacts, ended: date, *, lang: str = "vi") -> str:
    """The lead agency ceased to exist and the directory names no successor: the task is held."""
    with use_language(lang):
        return _join([
            _("⏸ Task held: {agency} ceased to exist on {date} and no agency took over its work",
              agency=f.lead, date=fmt_date(ended)),
            short(f.content),
            _directive_line(f),
            _("No more reminders go out for it. Assign it to another agency in the registry (dondoc import) or "
              "name a successor in the agency directory."),
            _key_line(f),
        ])


def step_title(kind: str, step: str, lang: str = "vi") -> str:
    """A short name for an outbox step ("nhắc hạn 7 ngày trước", "quá hạn – cấp 2"), for notices and logs."""
    parts = step.split(":")
    with use_language(lang):
        if kind == "new":
            return _("new task notice")
        if parts[0] == "remind":
            return _("reminder {n} days before", n=parts[1])
        if parts[0] == "escalate":
            return _("escalation level {n}", n=parts[1])
        if parts[0] == "repeat":
            return _("overdue repeat #{n}", n=parts[1])
        if parts[0] == "checkin":
            return _("check-in {period}", period=period_name(parts[1]))
        if parts[0] == "digest":
            return _("weekly agenda")
        if parts[0] == "summary":
            return _("quarterly summary")
        if parts[0] == "brief":
            return _("daily brief")
        return step


def chat_description(agency_names: Iterable[str], roles: Iterable[str], lang: str = "vi") -> str:
    """ "Sở Nội vụ · cán bộ đầu mối" — what a chat is linked to."""
    pairs = [f"{a} · {role_label(r, lang)}" for a, r in zip(agency_names, roles)]
    return "; ".join(pairs) if pairs else _("not linked", lang=lang)
