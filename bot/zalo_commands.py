"""The bot's commands as text, for Zalo (no buttons there): /tasks, /task KEY, /done KEY, /progress KEY 50,
/extend KEY 30/12/2026 lý do, /upcoming, /overdue, /confirm KEY, /approve ID, /reject ID, /report [period],
/lang, /help; an invite code (or /start CODE, /link CODE) links the chat.

The actions and their authorisation are the Telegram bot's own (`bot.handlers.flows`, `ChatScope`), so a
Zalo chat may do exactly what a Telegram chat with the same bindings may do. `handle_text` takes one
message and returns the replies; the receiver (`bot.zalo_receiver`) sends them.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field

from bot import buttons as btn
from bot import invites
from bot.handlers import flows
from bot.handlers.common import (
    ChatScope,
    Deps,
    active_bindings,
    agency_names,
    example_key,
    find_task,
    parse_date,
    parse_percent,
    resolve_lang,
    rest_after,
)
from bot.handlers.reports import may_see_reports  # the same chats as Telegram's /report
from core.i18n import _
from storage.actions import Actor
from storage.tables import Extension

log = logging.getLogger(__name__)

PLATFORM = "zalo"
UNLINKED_REPLY_EVERY = 300.0  # seconds: an unlinked chat is told how to link at most this often


@dataclass
class Incoming:
    chat_id: str  # as dondoc stores it: the Zalo id, "g:<id>" for a group
    user_id: str
    name: str
    text: str


@dataclass
class Reply:
    text: str
    notify: list[tuple[str, str, list | None]] = field(default_factory=list)  # (chat, text, buttons) after commit
    photo: tuple[str, str] | None = None  # (URL Zalo fetches the picture from, caption), sent after the text
    stranger: bool = False  # an answer to an unlinked chat: sent only when no linked chat's message waits


# "Đã nhận" (received) as people type it, diacritics or not.
ACK_WORDS = ("da nhan", "ok da nhan")


def _folded(text: str) -> str:
    import unicodedata

    d = unicodedata.normalize("NFD", text.strip().lower().rstrip(".!"))
    return "".join(c for c in d if not unicodedata.combining(c)).replace("đ", "d")


def commands_footer(buttons, lang: str | None = None, key: str | None = None) -> str:
    """The one-line commands that do what a message's buttons do on Telegram."""
    if not buttons:
        return ""
    lines: list[str] = []
    for row in buttons:
        for b in row:
            line = _command_for(b.data, key)
            if line and line not in lines:
                lines.append(line)
    if not lines:
        return ""
    return _("Reply with a command:", lang=lang) + "\n" + "\n".join(lines)


# What each Telegram button does, as the command line that does it on Zalo.
_BUTTON_COMMANDS = {
    btn.DONE: "/done {key}",
    btn.PROGRESS_MENU: "/progress {key} 50",
    btn.EXTEND: "/extend {key} dd/mm/yyyy …",
    btn.CONFIRM_DONE: "/confirm {key}",
    btn.REJECT_DONE: "/sendback {key} …",  # with the reason (issue 22)
    btn.APPROVE_EXTENSION: "/approve {arg}",
    btn.REJECT_EXTENSION: "/reject {arg}",
    btn.HAND: "/giao {key} … dd/mm/yyyy",  # Giao việc: a person or department, then the internal deadline
}


def _command_for(data: str, key: str | None) -> str | None:
    parts = (data or "").split(".")
    if len(parts) < 5 or parts[0] not in _BUTTON_COMMANDS:
        return None
    return _BUTTON_COMMANDS[parts[0]].format(key=key or "KEY", arg=parts[4])


class ZaloConversation:
    """Answers the text commands of Zalo chats."""

    def __init__(self, deps: Deps, *, monotonic=time.monotonic):
        self.d = deps
        self._monotonic = monotonic  # the refusals' budget runs on it (tests pass their own)
        self._told_unlinked: dict[str, float] = {}  # chat → when it was last told (oldest first)
        self._recent_refusals: deque[float] = deque()  # when each refusal of the last minute went out

    def scope(self, session, msg: Incoming) -> ChatScope:
        bindings = active_bindings(session, msg.chat_id, PLATFORM)
        scope = ChatScope(
            chat_id=msg.chat_id, chat_type="group" if msg.chat_id.startswith("g:") else "private", title=None,
            bindings=bindings, user=None, is_admin=False, lang=resolve_lang(bindings, None, self.d.settings),
            actor=Actor(msg.name or msg.user_id, msg.user_id, PLATFORM), platform=PLATFORM,
        )
        scope.names = agency_names(session, {b.agency for b in bindings})
        if scope.is_private:  # a person handed tasks (issue 24) acts on those from their own chat
            from storage.delegation import tasks_of_person

            scope.person_tasks = tasks_of_person(session, PLATFORM, msg.chat_id)
        return scope

    def handle_text(self, msg: Incoming) -> list[Reply]:
        text = (msg.text or "").strip()
        if not text:
            return []
        if not text.startswith("/"):
            if invites.CODE_RE.fullmatch(text):
                return [self._link(msg, text)]
            command, args, raw = "help", [], ""
            if _folded(text) in ACK_WORDS:  # "Đã nhận" typed as it is said (issue 24)
                command = "danhan"
        else:
            head, _sep, raw = text.partition(" ")
            command = head[1:].split("@", 1)[0].lower()
            args = raw.split()
        handler = getattr(self, f"cmd_{command}", None)
        with self.d.session() as session:
            scope = self.scope(session, msg)
            if command in ("start", "link") and args:
                return [self._link(msg, args[0])]
            if not scope.linked:  # whatever a stranger writes, the one answer on the refusals' budget
                return self._unlinked(scope)
            if handler is None:
                return [Reply(_("Unknown command /{command}. Send /help to see what you can do here.",
                                lang=scope.lang, command=command))]
            if command in ("help", "start", "link"):
                return [self.cmd_help(session, scope, args, raw)]
            reply = handler(session, scope, args, raw)
            return [reply] if reply else []

    # -- linking and help --------------------------------------------------------------------------------
    def _unlinked(self, scope: ChatScope) -> list[Reply]:
        return [Reply(_unlinked_text(scope.lang), stranger=True)] if self._may_refuse(scope.chat_id) else []

    def _may_refuse(self, chat_id: str) -> bool:
        """The refusals' own budget: each unlinked chat is told at most once per UNLINKED_REPLY_EVERY, and all
        of them together at most ZALO_UNLINKED_REPLIES_PER_MINUTE times a minute (400 strangers writing at
        once must not fill Zalo's queue ahead of the members)."""
        now = self._monotonic()
        while self._told_unlinked:  # forget chats told long enough ago (the dict stays small)
            oldest, at = next(iter(self._told_unlinked.items()))
            if now - at < UNLINKED_REPLY_EVERY:
                break
            del self._told_unlinked[oldest]
        if chat_id in self._told_unlinked:
            return False  # told recently: a flood from an unlinked chat gets one answer per few minutes
        while self._recent_refusals and now - self._recent_refusals[0] >= 60.0:
            self._recent_refusals.popleft()
        if len(self._recent_refusals) >= self.d.settings.zalo_unlinked_replies_per_minute:
            log.info("Zalo: not answering unlinked chat %s (ZALO_UNLINKED_REPLIES_PER_MINUTE reached)", chat_id)
            return False
        self._recent_refusals.append(now)
        self._told_unlinked[chat_id] = now
        return True

    def _link(self, msg: Incoming, code: str) -> Reply:
        from core.i18n import format_datetime

        with self.d.session() as session:
            scope = self.scope(session, msg)
            from bot.person_messages import person_link  # a person's own code (issue 24), else an agency's

            said = person_link(session, code, platform=PLATFORM, chat_id=msg.chat_id, private=scope.is_private,
                               actor=scope.actor, now=self.d.now(), lang=scope.lang)
            if said is not None:
                session.commit()
                return Reply(said)
            try:
                result = invites.redeem_invite(session, code, platform=PLATFORM, chat_id=msg.chat_id,
                                               title=msg.name, actor=scope.actor, now=self.d.now())
            except invites.InviteError as e:
                session.rollback()
                if e.code == "expired":
                    when = format_datetime(e.info.get("expires_at").astimezone(self.d.settings.timezone)
                                           if e.info.get("expires_at") else None)
                    return Reply(_("This invite code expired at {when}. Ask the administrator for a new one.",
                                   lang=scope.lang, when=when))
                if e.code == "used":
                    return Reply(_("This invite code has already been used. Each code works once; ask the "
                                   "administrator for a new one.", lang=scope.lang))
                return Reply(_("That invite code is not known. Check it (copy it exactly) or ask the "
                               "administrator for a new one.", lang=scope.lang))
            session.commit()
            b = result.binding
            name = agency_names(session, {b.agency}).get(b.agency, b.agency)
            self._told_unlinked.pop(msg.chat_id, None)
            return Reply(_("✅ This chat is now linked to {agency} as {role}.\nSend /help to see what you can do "
                           "here.", lang=scope.lang, agency=name, role=_role(b.role, scope.lang)))

    def cmd_help(self, session, scope: ChatScope, args, raw) -> Reply:
        lang = scope.lang
        if not scope.linked:
            return Reply(_unlinked_text(lang))
        lines = [_("This chat is linked to:", lang=lang)]
        lines += [f"• {scope.name(b.agency)} — {_role(b.role, lang)}" for b in scope.bindings]
        lines += ["", _("Commands:", lang=lang),
                  _("/tasks — the tasks of your agency", lang=lang),
                  _("/task KEY — one task in full", lang=lang),
                  _("/upcoming [DAYS] — due in the coming days", lang=lang),
                  _("/overdue — overdue tasks", lang=lang)]
        if scope.roles & {"focal", "manager"}:
            lines += [_("/done KEY [note] — report a task done", lang=lang),
                      _("/progress KEY PERCENT [note] — report progress", lang=lang),
                      _("/extend KEY DD/MM/YYYY REASON — ask for more time", lang=lang)]
        if "oversight" in scope.roles:
            lines += [_("/confirm KEY — confirm a completion; /sendback KEY REASON — send it back, the agency told why",
                        lang=lang),
                      _("/approve ID, /reject ID — decide an extension request", lang=lang)]
        if may_see_reports(scope):
            from reports.figures import PERIOD_EXAMPLES

            lines.append(_("/report [PERIOD] — the report's figures, e.g. /report {example}", lang=lang,
                           example=PERIOD_EXAMPLES[0].strip('"')))
        lines.append(_("/lang vi|en — the language of this chat", lang=lang))
        return Reply("\n".join(lines))

    def cmd_lang(self, session, scope: ChatScope, args, raw) -> Reply:
        from storage import audit

        from bot.handlers.linking import language_choices
        from core.i18n import available_languages

        choice = args[0].lower() if args else ""
        if choice not in available_languages():  # every language with a catalog, as /lang on Telegram
            return Reply(_("Usage: /lang {choices}", lang=scope.lang, choices=language_choices()))
        now = self.d.now()
        for b in scope.bindings:
            b.language = choice
            b.updated_at = now
            session.add(b)
        audit.record(session, at=now, actor=scope.actor.name, actor_id=scope.actor.id, source=PLATFORM,
                     action="binding.language", entity="binding", entity_key=f"{PLATFORM}:{scope.chat_id}",
                     language=choice)
        session.commit()
        return Reply(_("I will now answer this chat in {language}.", lang=choice,
                       language=_("Vietnamese", lang=choice) if choice == "vi" else _("English", lang=choice)))

    # -- lists --------------------------------------------------------------------------------------------
    def _list(self, session, scope: ChatScope, kind: str, days: int | None = None) -> Reply:
        from bot.handlers import lists

        days = days or lists.DEFAULT_UPCOMING_DAYS
        items = lists.collect(session, self.d, scope, kind, days)
        text, _rows = lists.render(self.d, scope, kind, items, 0, days)
        pages = lists.paginate([lists.task_line(item, scope, n + 1) for n, item in enumerate(items)])
        if len(pages) > 1:
            text += "\n" + _("Only the first page fits here; open a task with /task KEY.", lang=scope.lang)
        return Reply(text)

    def cmd_tasks(self, session, scope, args, raw) -> Reply:
        from bot.handlers.lists import TASKS

        return self._list(session, scope, TASKS)

    def cmd_overdue(self, session, scope, args, raw) -> Reply:
        from bot.handlers.lists import OVERDUE

        return self._list(session, scope, OVERDUE)

    def cmd_upcoming(self, session, scope, args, raw) -> Reply:
        from bot.handlers.lists import UPCOMING

        days = None
        if args:
            if not (args[0].isascii() and args[0].isdigit() and len(args[0]) <= 3 and 1 <= int(args[0]) <= 366):
                return Reply(_("Usage: /upcoming [DAYS], DAYS from 1 to 366", lang=scope.lang))
            days = int(args[0])
        return self._list(session, scope, UPCOMING, days)

    def cmd_task(self, session, scope, args, raw) -> Reply:
        from bot.handlers.tasks import describe_task

        if not args:
            return Reply(_("Usage: /task KEY, e.g. /task {example}", lang=scope.lang,
                           example=example_key(session, scope)))
        task, problem = find_task(session, scope, args[0])
        if task is None:
            return Reply(problem)
        return Reply(describe_task(session, self.d, scope, task))

    # -- actions ------------------------------------------------------------------------------------------
    def _act(self, session, scope, args, min_args: int, usage: str, act) -> Reply:
        if len(args) < min_args:
            return Reply(usage)
        task, problem = find_task(session, scope, args[0])
        if task is None:
            return Reply(problem)
        outcome = act(task)
        if outcome.ok:
            session.commit()
        else:
            session.rollback()
        return Reply(outcome.text, list(outcome.notify) if outcome.ok else [])

    def cmd_nhac(self, session, scope, args, raw) -> Reply:
        """/nhac KEY: remind now (issue 24) — the oversight body and the lead agency's leader."""
        from bot.person_messages import remind_from_chat

        if not args:
            return Reply(_("Usage: /nhac KEY, e.g. /nhac {example}", lang=scope.lang,
                           example=example_key(session, scope)))
        task, problem = find_task(session, scope, args[0])
        if task is None:
            return Reply(problem)
        text, ok = remind_from_chat(session, self.d, scope, task)
        session.commit() if ok else session.rollback()
        return Reply(text)

    def cmd_giao(self, session, scope, args, raw) -> Reply:
        """/giao KEY PERSON [dd/mm/yyyy]: hand a task on (issue 24)."""
        from bot.person_messages import delegate_from_chat

        if len(args) < 2:
            return Reply(_("Usage: /giao KEY PERSON [dd/mm/yyyy], e.g. /giao {key} #12 08/06/2018",
                           lang=scope.lang, key=example_key(session, scope)))
        task, problem = find_task(session, scope, args[0])
        if task is None:
            return Reply(problem)
        text, ok = delegate_from_chat(session, self.d, scope, task, args[1:])
        session.commit() if ok else session.rollback()
        return Reply(text)

    def cmd_danhan(self, session, scope, args, raw) -> Reply:
        """/danhan [KEY]: "đã nhận" (received) — stops a person's fallback to their next channel (issue 24)."""
        if not args and len(scope.person_tasks) == 1:
            from storage.tables import Task

            task = session.get(Task, next(iter(scope.person_tasks)))
            args = [task.key] if task is not None else args
        usage = _("Usage: /danhan KEY, e.g. /danhan {example}", lang=scope.lang, example=example_key(session, scope))
        return self._act(session, scope, args, 1, usage, lambda task: flows.do_ack(
            session, self.d, scope, task, flows.current_occurrence(session, self.d, task)))

    def cmd_done(self, session, scope, args, raw) -> Reply:
        usage = _("Usage: /done KEY [note], e.g. /done {example}", lang=scope.lang, example=example_key(session, scope))
        return self._act(session, scope, args, 1, usage, lambda task: flows.do_done(
            session, self.d, scope, task, flows.current_occurrence(session, self.d, task), rest_after(raw, 1)))

    def cmd_progress(self, session, scope, args, raw) -> Reply:
        usage = _("Usage: /progress KEY PERCENT [note], e.g. /progress {example} 50", lang=scope.lang,
                  example=example_key(session, scope))

        def act(task):
            try:
                percent = parse_percent(args[1])
            except ValueError:
                return flows.refused(_("“{text}” is not a percentage from 0 to 100.", lang=scope.lang, text=args[1][:20]))
            return flows.do_progress(session, self.d, scope, task, flows.current_occurrence(session, self.d, task),
                                     percent, rest_after(raw, 2))

        return self._act(session, scope, args, 2, usage, act)

    def cmd_extend(self, session, scope, args, raw) -> Reply:
        usage = _("Usage: /extend KEY DD/MM/YYYY REASON, e.g. /extend {example} 30/12/2026 waiting for the figures",
                  lang=scope.lang, example=example_key(session, scope))

        def act(task):
            try:
                new_due = parse_date(args[1])
            except ValueError:
                return flows.refused(_("“{text}” is not a date; write it as dd/mm/yyyy.", lang=scope.lang,
                                       text=args[1][:20]))
            reason = rest_after(raw, 2)
            if not reason:
                return flows.refused(_("Please give a reason for the extension.", lang=scope.lang) + "\n" + usage)
            return flows.do_request_extension(session, self.d, scope, task,
                                              flows.current_occurrence(session, self.d, task), new_due, reason)

        return self._act(session, scope, args, 2, usage, act)

    def _confirm(self, session, scope, args, approve: bool) -> Reply:
        usage = _("Usage: /confirm KEY or /sendback KEY", lang=scope.lang)
        return self._act(session, scope, args, 1, usage, lambda task: flows.do_confirm(
            session, self.d, scope, task, flows.current_occurrence(session, self.d, task), approve))

    def cmd_confirm(self, session, scope, args, raw) -> Reply:
        return self._confirm(session, scope, args, True)

    def cmd_sendback(self, session, scope, args, raw) -> Reply:
        """/sendback KEY REASON: as /return on Telegram — returned with its reason, the agency told why."""
        from bot.handlers.record import do_return

        usage = _("Usage: /sendback KEY REASON — the completion is returned and the agency is told why",
                  lang=scope.lang)
        return self._act(session, scope, args, 2, usage,
                         lambda task: do_return(session, self.d, scope, task, rest_after(raw, 1)))

    def _decide(self, session, scope, args, approve: bool) -> Reply:
        if not args or not (args[0].isascii() and args[0].isdigit() and len(args[0]) <= 12):
            return Reply(_("Usage: /approve ID or /reject ID (the number in the extension request)", lang=scope.lang))
        extension = session.get(Extension, int(args[0]))
        if extension is None:
            return Reply(_("There is no extension request number {id}.", lang=scope.lang, id=args[0]))
        outcome = flows.do_decide(session, self.d, scope, extension, approve)
        if outcome.ok:
            session.commit()
        else:
            session.rollback()
        return Reply(outcome.text, list(outcome.notify) if outcome.ok else [])

    def cmd_approve(self, session, scope, args, raw) -> Reply:
        return self._decide(session, scope, args, True)

    def cmd_reject(self, session, scope, args, raw) -> Reply:
        return self._decide(session, scope, args, False)

    # -- report -------------------------------------------------------------------------------------------
    def cmd_report(self, session, scope, args, raw) -> Reply:
        """/report [period]: what Telegram's /report gives, as far as Zalo can carry it — the figures as text
        (Zalo takes no files, so no XLSX), the console's Reports page to download the XLSX, and the chart as a
        picture behind a signed link (Zalo's sendPhoto takes a URL only). Same chats as on Telegram."""
        from bot.handlers.reports import not_allowed_text, period_problem
        from core.links import web_console_installed
        from reports import ReportTooLarge, build_report, current_period, parse_period
        from reports.figures import PeriodError

        lang = scope.lang
        if not may_see_reports(scope):
            return Reply(not_allowed_text(lang))
        cutoff = self.d.settings.report_cutoff
        try:
            period = (parse_period(raw, cutoff) if raw.strip()
                      else current_period(self.d.today(), "quarter", cutoff))
        except PeriodError:
            return Reply(period_problem(raw, lang))
        from reports.slots import shared

        slots = shared(self.d.settings)  # REPORT_HEAVY_PER_PERSON / REPORT_HEAVY_AT_ONCE, with the console's
        who = f"zalo:{scope.actor.id}"
        if not slots.take(who):
            return Reply(_("Other reports are being computed right now (yours or other people's); try again in a "
                           "minute.", lang=lang))
        try:
            report = build_report(session, settings=self.d.settings, calendar=self.d.calendar, period=period,
                                  today=self.d.today())
        except ReportTooLarge as e:  # past REPORT_MAX_YEARS / REPORT_MAX_OCCURRENCES: what to narrow
            return Reply(str(e))
        finally:
            slots.give_back(who)
        page = chart = None
        if web_console_installed():  # the console serves the XLSX (signed in) and the chart (signed link)
            from core.links import chart_url, reports_page_url

            page = reports_page_url(self.d.settings, period.code)
            chart = (chart_url(self.d.settings, period.code, lang, as_of=self.d.today(),  # the text's day
                               now=self.d.now().timestamp()),
                     _("The four groups per agency — {period}.", lang, period=period.name(lang)))
        return Reply(report_text(report, lang, page), photo=chart)


def report_text(report, lang: str, page_url: str | None = None) -> str:
    """The report's figures as a chat text: the totals as Telegram's /report captions them, the four groups
    of every agency (what the chart and the XLSX show), and where to download the XLSX."""
    from bot.handlers.reports import caption
    from reports.figures import GROUPS

    lines = [caption(report, lang)]
    if report.agencies:
        lines += ["", _("Per agency ({groups}):", lang, groups=" / ".join(g.label(lang) for g in GROUPS))]
        lines += [f"• {a.name}: " + " / ".join(str(a.counts.get(g)) for g in GROUPS) for a in report.agencies]
    if page_url:
        lines += ["", _("The report as an XLSX file: in the web console (sign in first), {url}", lang, url=page_url)]
    return "\n".join(lines)


def _unlinked_text(lang: str) -> str:
    return _("This chat is not linked to any agency yet, so I cannot show or update any task here.\n"
             "To link it: ask your dondoc administrator for an invite code for your agency, then send the code "
             "here.", lang=lang)


def _role(role: str, lang: str) -> str:
    from bot.i18n import role_label

    return role_label(role, lang)
