"""Texts of the messages dondoc sends on its own (thông báo): new tasks, reminders, escalations, check-ins,
weekly agendas, quarterly summaries and delivery notices. Vietnamese by default, English available.

Pure: the caller passes the facts and today's date (and the working days late, which need the calendar).
Texts are rendered when a message is sent, not when it was planned, so a reminder sent late after downtime
says how things stand now. Dates are dd/mm/yyyy and the deadline is also shown as written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

from bot.i18n import fmt_date, pick, role_label
from jobs.status import Status, status_label

MAX_TEXT = 4096  # Telegram's limit for one message
CONTENT_CHARS = 400  # a task's content is cut here in a reminder; /task KEY shows all of it
_WEEKDAYS = {
    "vi": ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


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
    lead: str  # display name of the lead agency (cơ quan chủ trì)
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


@dataclass(frozen=True)
class AgendaLine:
    """One task in a weekly agenda or a summary's overdue list."""

    key: str
    content: str
    agency: str  # display name
    effective_due: date | None
    status: Status
    workdays_late: int = 0


# -- pieces ---------------------------------------------------------------------------------------------------

def weekday(d: date, lang: str) -> str:
    return _WEEKDAYS.get(lang, _WEEKDAYS["vi"])[d.weekday()]


def short(text: str, limit: int = CONTENT_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quarter_label(label: str, lang: str) -> str:
    """ "2018-Q2" → "Quý II/2018" / "Q2 2018"."""
    year, q = label.split("-Q")
    return pick(lang, f"Quý {_ROMAN[int(q)]}/{year}", f"Q{q} {year}")


def period_name(label: str, lang: str) -> str:
    """A check-in period label (2018-07, 2018-Q3, 2018-H2, 2018) in words."""
    if "-Q" in label:
        return quarter_label(label, lang)
    if "-H" in label:
        year, h = label.split("-H")
        return pick(lang, f"6 tháng {'đầu' if h == '1' else 'cuối'} năm {year}", f"{'First' if h == '1' else 'Second'} half of {year}")
    if "-" in label:
        year, month = label.split("-")
        return pick(lang, f"Tháng {int(month)}/{year}", f"{date(int(year), int(month), 1):%B %Y}")
    return pick(lang, f"Năm {label}", f"Year {label}")


def how_near(effective_due: date | None, today: date, workdays_late: int, lang: str) -> str:
    """ "còn 7 ngày" / "hạn là hôm nay" / "quá hạn 3 ngày làm việc" — how near or late, today."""
    if effective_due is None:
        return pick(lang, "không có hạn", "no deadline")
    days = (effective_due - today).days
    if days > 1:
        return pick(lang, f"còn {days} ngày", f"{days} days left")
    if days == 1:
        return pick(lang, "hạn là ngày mai", "due tomorrow")
    if days == 0:
        return pick(lang, "hạn là hôm nay", "due today")
    if workdays_late <= 0:
        return pick(lang, "đã quá hạn", "past due")
    return pick(lang, f"quá hạn {workdays_late} ngày làm việc", f"{workdays_late} working day{'s' if workdays_late != 1 else ''} overdue")


def _deadline_line(f: TaskFacts, lang: str) -> str:
    if f.kind == "continuous" or f.effective_due is None:
        return pick(lang, f"Thời hạn: {f.deadline_text} (không có hạn)", f"Deadline: {f.deadline_text} (no deadline)")
    due = f"{fmt_date(f.effective_due)} ({weekday(f.effective_due, lang)})"
    notes = []
    if f.extended:
        notes.append(pick(lang, "đã gia hạn", "extended"))
    elif f.due is not None and f.effective_due != f.due:
        reason = f" ({f.shift_reason})" if f.shift_reason else ""
        notes.append(pick(lang, f"{fmt_date(f.due)} là ngày nghỉ{reason}, hạn lùi sang ngày làm việc kế tiếp",
                          f"{fmt_date(f.due)} is a day off{reason}; due the next working day"))
    if f.kind == "recurring" and f.period is not None:
        start, end = f.period
        notes.append(pick(lang, f"kỳ {fmt_date(start)} – {fmt_date(end)}", f"period {fmt_date(start)} – {fmt_date(end)}"))
    tail = f" — {'; '.join(notes)}" if notes else ""
    return pick(lang, f"Hạn: {due} · ghi trong văn bản: “{f.deadline_text}”{tail}",
                f"Due: {due} · as written: “{f.deadline_text}”{tail}")


def _agencies_line(f: TaskFacts, lang: str) -> str:
    line = pick(lang, f"Chủ trì: {f.lead}", f"Lead: {f.lead}")
    if f.coordinators:
        line += pick(lang, " · Phối hợp: ", " · Coordinating: ") + ", ".join(f.coordinators)
    return line


def _directive_line(f: TaskFacts, lang: str) -> str | None:
    if not f.directive:
        return None
    issued = f" {pick(lang, 'ngày', 'of')} {fmt_date(f.directive_issued)}" if f.directive_issued else ""
    return pick(lang, "Văn bản: ", "Directive: ") + f.directive + issued


def _progress_line(f: TaskFacts, lang: str) -> str:
    p = f.last_progress
    if p is None:
        return pick(lang, "Báo cáo gần nhất: chưa có báo cáo tiến độ", "Last report: no progress reported yet")
    parts = []
    if p.percent is not None:
        parts.append(f"{p.percent}%")
    if p.note:
        parts.append(f"“{short(p.note, 200)}”")
    body = " — ".join(parts) or "—"
    return pick(lang, f"Báo cáo gần nhất: {body} ({fmt_date(p.on)})", f"Last report: {body} ({fmt_date(p.on)})")


def _key_line(f: TaskFacts, lang: str) -> str:
    return pick(lang, f"Mã: {f.key}", f"Key: {f.key}")


def _join(lines: Iterable[str | None]) -> str:
    return _fit("\n".join(line for line in lines if line))


def _fit(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- task messages --------------------------------------------------------------------------------------------

def new_task(f: TaskFacts, today: date, workdays_late: int = 0, *, coordinating: bool = False, lang: str = "vi") -> str:
    """A task has just been assigned to the agency (nhiệm vụ mới)."""
    role = pick(lang, "phối hợp", "coordinating") if coordinating else pick(lang, "chủ trì", "lead")
    title = pick(lang, f"📌 Nhiệm vụ mới (đơn vị {role})", f"📌 New task (your agency: {role})")
    near = how_near(f.effective_due, today, workdays_late, lang) if f.kind != "continuous" else None
    return _join([
        title,
        short(f.content),
        _agencies_line(f, lang),
        _directive_line(f, lang),
        _deadline_line(f, lang) + (f" — {near}" if near else ""),
        _key_line(f, lang),
    ])


def reminder(f: TaskFacts, today: date, workdays_late: int = 0, *, lang: str = "vi") -> str:
    """A reminder before the deadline (nhắc hạn); sent late after downtime it says how late it is now."""
    near = how_near(f.effective_due, today, workdays_late, lang)
    return _join([
        pick(lang, f"⏰ Nhắc hạn: {near}", f"⏰ Reminder: {near}"),
        short(f.content),
        _agencies_line(f, lang),
        _directive_line(f, lang),
        _deadline_line(f, lang),
        _progress_line(f, lang),
        _key_line(f, lang),
    ])


def escalation(f: TaskFacts, today: date, workdays_late: int, *, level: int, levels: int, role: str,
               repeat: int = 0, lang: str = "vi") -> str:
    """The task is late (quá hạn): who leads it, how late, what was last reported."""
    late = how_near(f.effective_due, today, workdays_late, lang)
    if repeat:
        title = pick(lang, f"🔁 Nhắc lại lần {repeat}: nhiệm vụ {late}", f"🔁 Reminder #{repeat}: task {late}")
    else:
        title = pick(lang, f"🔺 Nhiệm vụ {late}", f"🔺 Task {late}")
    rung = pick(lang, f"Cấp đôn đốc {level}/{levels}: báo {role_label(role, lang)}",
                f"Escalation level {level}/{levels}: {role_label(role, lang)} informed")
    return _join([
        title,
        short(f.content),
        _agencies_line(f, lang),
        _directive_line(f, lang),
        _deadline_line(f, lang),
        _progress_line(f, lang),
        rung,
        _key_line(f, lang),
    ])


def checkin(f: TaskFacts, period_label: str, *, lang: str = "vi") -> str:
    """A continuous task's periodic check-in (báo cáo định kỳ)."""
    return _join([
        pick(lang, f"🗓 Cập nhật định kỳ — {period_name(period_label, lang)}",
             f"🗓 Periodic check-in — {period_name(period_label, lang)}"),
        short(f.content),
        _agencies_line(f, lang),
        _directive_line(f, lang),
        _deadline_line(f, lang),
        _progress_line(f, lang),
        pick(lang, "Đề nghị cập nhật tiến độ (📈 Tiến độ) hoặc báo hoàn thành (✅).",
             "Please report progress (📈 Progress) or mark it done (✅)."),
        _key_line(f, lang),
    ])


# -- digests --------------------------------------------------------------------------------------------------

def _agenda_line(item: AgendaLine, today: date, lang: str, with_agency: bool) -> str:
    due = fmt_date(item.effective_due)[:5] if item.effective_due else "—"
    when = f"{due} ({weekday(item.effective_due, lang)})" if item.effective_due else due
    parts = [when]
    if item.status == Status.OVERDUE:
        parts.append(how_near(item.effective_due, today, item.workdays_late, lang))
    if with_agency:
        parts.append(item.agency)
    parts.append(short(item.content, 120))
    return "• " + " — ".join(parts) + f" [{item.key}]"


def _limited(lines: list[str], budget: int, lang: str) -> list[str]:
    out, used = [], 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            rest = len(lines) - i
            out.append(pick(lang, f"… và {rest} nhiệm vụ khác (/tasks để xem đủ)", f"… and {rest} more (/tasks for all)"))
            break
        out.append(line)
        used += len(line) + 1
    return out


def weekly_digest(agencies: Sequence[str], week_start: date, due_this_week: Sequence[AgendaLine],
                  overdue: Sequence[AgendaLine], today: date, *, lang: str = "vi") -> str | None:
    """The weekly agenda (lịch việc tuần) of a focal chat; None when there is nothing to say."""
    if not due_this_week and not overdue:
        return None
    week_end = week_start + timedelta(days=6)
    span = f"{fmt_date(week_start)[:5]} – {fmt_date(week_end)}"
    many = len(agencies) > 1
    lines = [pick(lang, f"📋 Lịch việc tuần {span} — {', '.join(agencies)}",
                  f"📋 Week of {span} — {', '.join(agencies)}")]
    body: list[str] = []
    if due_this_week:
        body.append(pick(lang, f"Đến hạn trong tuần ({len(due_this_week)}):", f"Due this week ({len(due_this_week)}):"))
        body += [_agenda_line(i, today, lang, many) for i in due_this_week]
    if overdue:
        body.append(pick(lang, f"Quá hạn ({len(overdue)}):", f"Overdue ({len(overdue)}):"))
        body += [_agenda_line(i, today, lang, many) for i in overdue]
    lines += _limited(body, MAX_TEXT - len(lines[0]) - 120, lang)
    return _fit("\n".join(lines))


SUMMARY_ORDER = (Status.DONE_ON_TIME, Status.DONE_LATE, Status.IN_TIME, Status.DUE_SOON, Status.OVERDUE,
                 Status.NO_DEADLINE, Status.PENDING_CONFIRMATION)


def quarterly_summary(quarter: str, as_of: date, counts: Mapping[str, Counter], overdue: Sequence[AgendaLine],
                      *, lang: str = "vi") -> str:
    """The quarterly summary for the oversight body and the province leadership: counts per agency in the
    Government Office's statuses, then the overdue list ("định kỳ hàng quý tổng hợp kết quả")."""
    title = pick(lang, f"📊 Tổng hợp kết quả thực hiện nhiệm vụ — {quarter_label(quarter, lang)} (đến {fmt_date(as_of)})",
                 f"📊 Task summary — {quarter_label(quarter, lang)} (as of {fmt_date(as_of)})")
    lines = [title]
    total: Counter = Counter()
    body: list[str] = []
    for agency in sorted(counts):
        c = counts[agency]
        total.update(c)
        body.append(f"• {agency}: " + "; ".join(f"{status_label(s, lang)} {c[s]}" for s in SUMMARY_ORDER if c.get(s)))
    if not body:
        body.append(pick(lang, "Chưa có nhiệm vụ nào.", "No tasks yet."))
    else:
        body.append(pick(lang, "Tổng: ", "Total: ") + "; ".join(
            f"{status_label(s, lang)} {total[s]}" for s in SUMMARY_ORDER if total.get(s)))
    if overdue:
        body.append(pick(lang, f"Danh sách quá hạn ({len(overdue)}):", f"Overdue ({len(overdue)}):"))
        body += [_agenda_line(i, as_of, lang, True) for i in overdue]
    lines += _limited(body, MAX_TEXT - len(title) - 120, lang)
    return _fit("\n".join(lines))


# -- delivery notices (to the oversight chats) ----------------------------------------------------------------

def notice_failed(chat: str, what: str, error: str, attempts: int, *, lang: str = "vi") -> str:
    """A message could not be delivered after every attempt."""
    return _join([
        pick(lang, f"⚠️ Không gửi được tin nhắn sau {attempts} lần thử",
             f"⚠️ A message could not be delivered after {attempts} attempts"),
        pick(lang, f"Tới: {chat}", f"To: {chat}"),
        pick(lang, f"Tin nhắn: {what}", f"Message: {what}"),
        pick(lang, f"Lỗi: {short(error, 300)}", f"Error: {short(error, 300)}"),
    ])


def notice_chat_gone(chat: str, error: str, *, lang: str = "vi") -> str:
    """The bot cannot write to a linked chat any more; its binding was disabled."""
    return _join([
        pick(lang, "⚠️ Không còn gửi được tin vào một nhóm đã liên kết",
             "⚠️ dondoc can no longer write to a linked chat"),
        pick(lang, f"Nhóm: {chat}", f"Chat: {chat}"),
        pick(lang, f"Lý do: {short(error, 300)} (bot bị xóa khỏi nhóm, bị chặn, hoặc nhóm không còn)",
             f"Reason: {short(error, 300)} (the bot was removed or blocked, or the chat is gone)"),
        pick(lang, "Liên kết này đã được tắt. Để nhận lại nhắc việc: thêm bot vào nhóm và liên kết lại "
                   "(dondoc invite hoặc dondoc link).",
             "The link was disabled. To get reminders again, add the bot back and re-link the chat "
             "(dondoc invite or dondoc link)."),
    ])


def step_title(kind: str, step: str, lang: str = "vi") -> str:
    """A short name for an outbox step ("nhắc hạn 7 ngày trước", "quá hạn – cấp 2"), for notices and logs."""
    parts = step.split(":")
    if kind == "new":
        return pick(lang, "thông báo nhiệm vụ mới", "new task notice")
    if parts[0] == "remind":
        return pick(lang, f"nhắc hạn {parts[1]} ngày trước hạn", f"reminder {parts[1]} days before")
    if parts[0] == "escalate":
        return pick(lang, f"đôn đốc quá hạn cấp {parts[1]}", f"escalation level {parts[1]}")
    if parts[0] == "repeat":
        return pick(lang, f"nhắc lại quá hạn lần {parts[1]}", f"overdue repeat #{parts[1]}")
    if parts[0] == "checkin":
        return pick(lang, f"cập nhật định kỳ {period_name(parts[1], lang)}", f"check-in {period_name(parts[1], lang)}")
    if parts[0] == "digest":
        return pick(lang, "lịch việc tuần", "weekly agenda")
    if parts[0] == "summary":
        return pick(lang, "tổng hợp quý", "quarterly summary")
    return step


def chat_description(agency_names: Iterable[str], roles: Iterable[str], lang: str = "vi") -> str:
    """ "Sở Nội vụ · cán bộ đầu mối" — what a chat is linked to."""
    pairs = [f"{a} · {role_label(r, lang)}" for a, r in zip(agency_names, roles)]
    return "; ".join(pairs) if pairs else pick(lang, "chưa liên kết", "not linked")
