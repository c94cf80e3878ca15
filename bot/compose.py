"""Composition (soạn tin): an outbox row — or a planned step, for `dondoc preview` — becomes its text and
buttons, from storage as it is at sending time. The texts themselves are in bot.notifications (task messages,
agendas, summaries, notices) and bot.briefs (the daily brief); the dispatcher only delivers what this returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import briefs
from bot import notifications as texts
from jobs.ports import Composed, PermanentDeliveryError
from bot.i18n import role_label
from core.i18n import _, available_languages, use_language
from core.deadline import Deadline, DeadlineError
from jobs.planner import (
    BRIEF, CHECKIN, DIGEST, GLOBAL_ROLES, NEW, NOTICE, REMINDER, SUMMARY, TASK_KINDS, Policy, Recipient,
    TaskSnapshot, long_overdue_since,
)
from core.status import Status
from core.workdays import WorkCalendar
from storage.tables import CLAIMED, PENDING, SENT, Agency, ChatBinding, Directive, Notification, Occurrence, \
    ProgressUpdate, Task

log = logging.getLogger(__name__)


class Composer:
    """Turns an outbox row (or a planned step, for the preview) into its text and buttons, from the
    database as it is now (the dispatcher's `jobs.ports.Composer`). `cache=True` keeps what it loaded (the
    preview renders many steps at once)."""

    def __init__(self, settings, calendar: WorkCalendar, *, cache: bool = False):
        self.settings = settings
        self.calendar = calendar
        self.policy = Policy.from_settings(settings)
        self.cache = cache
        self._names: dict[str, str] | None = None
        self._directory = None
        self._tasks: dict = {}
        # Which tasks a chat hears of in a message of their own on a day: `(session, chat, day) -> keys`. The
        # outbox says it in `run`; the preview sets this from its plan (nothing of a rehearsal is in the outbox).
        self.told_on = None

    def step_title(self, kind: str, step: str, lang: str) -> str:
        return texts.step_title(kind, step, lang)

    # names and languages
    def agency_name(self, session: Session, code: str) -> str:
        if self._names is None:
            self._names = {a.code: a.name for a in session.exec(select(Agency)).all()}
        name = self._names.get(code)
        if name:
            return name
        if self._directory is None:
            try:
                from storage.agencies import AgencyDirectory

                self._directory = AgencyDirectory.load(self.settings.agencies_file)
            except Exception:  # the directory is for display here; a code is still readable
                self._directory = False
        return self._directory.name(code) if self._directory else code

    def language(self, binding: ChatBinding | Recipient | None) -> str:
        lang = getattr(binding, "language", None) if binding is not None else None
        return lang if lang in available_languages() else self.settings.language  # any language with a catalog

    def describe_chat(self, session: Session, chat: str, lang: str | None = None, bindings=None) -> str:
        """ "Sở Nội vụ · cán bộ đầu mối" — what a chat ("telegram:-100…") is linked to."""
        platform, _sep, chat_id = chat.partition(":")
        rows = bindings if bindings is not None else session.exec(
            select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
            .order_by(ChatBinding.id)).all()
        lang = lang or self.settings.language
        desc = texts.chat_description([self.agency_name(session, b.agency) for b in rows], [b.role for b in rows], lang)
        title = next((b.title for b in rows if getattr(b, "title", None)), None)
        return f"{title} — {desc}" if title else desc

    # task facts
    def _load_task(self, session: Session, task_id: int | None, task_key: str):
        key = task_id or task_key
        if self.cache and key in self._tasks:
            return self._tasks[key]
        task = session.get(Task, task_id) if task_id else session.exec(select(Task).where(Task.key == task_key)).first()
        loaded = None
        if task is not None:
            occs = session.exec(select(Occurrence).where(Occurrence.task_id == task.id)).all()
            directive = session.get(Directive, task.directive_id) if task.directive_id else None
            loaded = (task, occs, directive)
        if self.cache:
            self._tasks[key] = loaded
        return loaded

    def snapshot(self, session: Session, task_id: int | None, task_key: str) -> TaskSnapshot | None:
        loaded = self._load_task(session, task_id, task_key)
        if loaded is None:
            return None
        task, occs, directive = loaded
        try:
            from jobs.person_duties import load_duties

            duties = load_duties(session, [task.id]).get(task.id)  # never cached: an acknowledgement is news
            return TaskSnapshot.from_rows(task, occs, issued=directive.issued if directive else None, duties=duties)
        except DeadlineError:
            return None

    @staticmethod
    def _next_due(task: Task, after: date) -> date | None:
        """A recurring task's first due date after `after` (the held notice names it)."""
        try:
            dues = Deadline.from_dict(task.deadline).next_dues(after + timedelta(days=1), 1)
        except DeadlineError:
            return None
        return dues[0] if dues else None

    def facts(self, session: Session, task: Task, occs, directive: Directive | None, occurrence_key: str,
              *, with_progress: bool = True) -> texts.TaskFacts:
        occ = next((o for o in occs if o.key == occurrence_key), None)
        try:
            deadline = Deadline.from_dict(task.deadline)
        except DeadlineError:
            deadline = None
        if occurrence_key == "once":
            due = task.due
        elif occurrence_key == "continuous":
            due = None
        else:
            due = date.fromisoformat(occurrence_key)
        written = occ.extended_due if occ is not None and occ.extended_due else due
        eff = self.calendar.effective_due(written, shift=self.policy.shift_to_workday) if written else None
        shift_reason = self.calendar.day_off_name(written) if written and eff != written else None
        period = deadline.period_of(due) if deadline is not None and deadline.kind == "recurring" and due else None
        progress = None
        if with_progress and task.id is not None:
            p = session.exec(select(ProgressUpdate).where(ProgressUpdate.task_id == task.id,
                                                          ProgressUpdate.occurrence_key == occurrence_key)
                             .order_by(ProgressUpdate.id.desc())).first()
            if p is not None:
                progress = texts.Progress(p.percent, p.note, p.created_at.astimezone(self.policy.timezone).date(), p.actor)
        return texts.TaskFacts(
            key=task.key, content=task.content, lead=self.agency_name(session, task.lead_agency),
            deadline_text=task.deadline_text, kind=task.deadline_kind,
            coordinators=tuple(self.agency_name(session, a) for a in task.coordinators or ()),
            directive=directive.number if directive else None, directive_issued=directive.issued if directive else None,
            due=due, effective_due=eff, extended=bool(occ is not None and occ.extended_due),
            shift_reason=shift_reason, period=period, last_progress=progress,
        )

    def compose(self, session: Session, row, now: datetime, binding=None) -> Composed:
        """Text and buttons of `row` (an OutboxRow or PlannedStep) as of `now`."""
        lang = self.language(binding)
        today = now.astimezone(self.policy.timezone).date()
        p = row.payload or {}
        if row.kind in TASK_KINDS and p.get("part"):  # a coordinating agency's own part (issue 24)
            from bot.person_messages import compose_part

            text, items = compose_part(self, session, row, now, lang)
            return Composed(text, [], lang, items)
        if row.kind in TASK_KINDS and p.get("role") == "person":  # handed to a person (issue 24)
            from bot.person_messages import compose_person

            text, buttons, items = compose_person(self, session, row, now, lang)
            return Composed(text, buttons, lang, items)
        if row.kind in TASK_KINDS:
            loaded = self._load_task(session, row.task_id, row.task_key)
            if loaded is None:
                return Composed(None, [], lang)
            task, occs, directive = loaded
            f = self.facts(session, task, occs, directive, row.occurrence)
            lead = p.get("lead") or task.lead_agency  # the successor, once the lead ceased to exist
            if lead != task.lead_agency:
                f = replace(f, lead=self.agency_name(session, lead))
            if p.get("leads") and p.get("agency") != lead:
                # A group item to a coordinating agency: once, naming every lead.
                names = [self.agency_name(session, a) for a in p["leads"]]
                f = replace(f, lead=", ".join(names), leads=len(names))
            late = self.calendar.workdays_between(f.effective_due, today) if f.effective_due and today > f.effective_due else 0
            if row.kind == NEW:
                text = texts.new_task(f, today, late, coordinating=p.get("agency") not in (None, lead), lang=lang)
            elif row.kind == REMINDER:
                text = texts.reminder(f, today, late, lang=lang)
            elif row.kind == CHECKIN:
                text = texts.checkin(f, p.get("period") or row.step.split(":", 1)[1], lang=lang)
            else:
                levels = len(self.policy.escalation) or 1
                text = texts.escalation(f, today, late, level=int(p.get("level") or 1), levels=levels,
                                        role=p.get("role") or "manager", repeat=int(p.get("repeat") or 0),
                                        repeat_limit=self.policy.repeat_limit, lang=lang)
            items = list(p.get("items") or [row.task_key])
            # No buttons once the occurrence is done or awaiting confirmation ("Đã nhận" on a done task).
            state = next((o.status for o in occs if o.key == row.occurrence), "open")
            return Composed(text, self._buttons(task, row.occurrence, lang, state,
                                                hand_on=self._hands_on(session, task, p)), lang, items)
        if row.kind == BRIEF:
            return self._brief(session, row, today, lang)
        if row.kind == DIGEST:
            return self._digest(session, row, today, lang)
        if row.kind == SUMMARY:
            return Composed(self._summary(session, row, today, lang), [], lang)
        if row.kind == NOTICE:
            what = p.get("what")
            if what == "held":
                loaded = self._load_task(session, row.task_id, row.task_key)
                if loaded is None:
                    return Composed(None, [], lang)
                task, occs, directive = loaded
                # The notice is about the task, not a period ("held"): a recurring task is told as of its next one.
                key = {"once": "once", "continuous": "continuous"}.get(task.deadline_kind, row.occurrence)
                if key == "held":
                    nxt = self._next_due(task, date.fromisoformat(p["ended"]))
                    key = nxt.isoformat() if nxt else "continuous"
                f = self.facts(session, task, occs, directive, key)
                return Composed(texts.notice_held(f, date.fromisoformat(p["ended"]), lang=lang), [], lang, [task.key])
            if what == "returned":
                loaded = self._load_task(session, row.task_id, row.task_key)
                if loaded is None:
                    return Composed(None, [], lang)
                task, occs, directive = loaded
                from bot.record_notices import notice_returned

                f = self.facts(session, task, occs, directive, row.occurrence)
                return Composed(notice_returned(f, p.get("reason") or "", p.get("by"), lang=lang), [], lang,
                                [task.key])
            if what == "chat_gone":
                text = texts.notice_chat_gone(p.get("chat_desc") or p.get("chat", ""), p.get("error", ""), lang=lang)
            else:
                text = texts.notice_failed(p.get("chat_desc") or p.get("chat", ""), p.get("about", ""),
                                           p.get("error", ""), int(p.get("attempts") or 0), lang=lang)
            return Composed(text, [], lang)
        raise PermanentDeliveryError(f"unknown kind of message {row.kind!r}")

    @staticmethod
    def _hands_on(session: Session, task: Task, payload: dict) -> bool:
        """"Giao việc" under a card in the lead agency's own chats, when it has people or departments."""
        from storage.people import has_people

        return payload.get("agency") == task.lead_agency and payload.get("role") in ("focal", "manager") and \
            has_people(session, task.lead_agency)

    def _buttons(self, task: Task, occurrence_key: str, lang: str, state: str = "open", hand_on: bool = False) -> list:
        try:
            from bot.buttons import task_buttons
        except ImportError:  # the bot's buttons are optional for the scheduler
            return []
        try:
            return task_buttons(task, occurrence_key, lang, self.settings.secret_for_callbacks(), state=state,
                                hand_on=hand_on)
        except Exception:  # a message without buttons beats no message
            log.exception("cannot make buttons for %s %s", task.key, occurrence_key)
            return []

    def _items(self, session: Session, today: date, agency: str | None = None):
        from storage.views import task_items

        return task_items(session, settings=self.settings, calendar=self.calendar, today=today, agency=agency,
                          include_done=True)

    def _line(self, session: Session, item, today: date) -> texts.AgendaLine:
        late = (self.calendar.workdays_between(item.effective_due, today)
                if item.effective_due and today > item.effective_due else 0)
        return texts.AgendaLine(item.task.key, item.task.content, self.agency_name(session, item.task.lead_agency),
                                item.effective_due, item.status, late)

    def _long_overdue(self, item, today: date) -> bool:
        since = long_overdue_since(item.effective_due, self.policy, self.calendar) if item.effective_due else None
        return since is not None and today > since

    def _digest(self, session: Session, row, today: date, lang: str) -> Composed:
        p = row.payload or {}
        platform, _sep, chat_id = row.chat.partition(":")
        role = p.get("role") or "focal"
        if "*" in (p.get("agencies") or ()):
            agencies = [None]  # an oversight or leadership chat: every agency
        else:
            agencies = sorted({b.agency for b in session.exec(select(ChatBinding).where(
                ChatBinding.platform == platform, ChatBinding.chat_id == chat_id, ChatBinding.role == role,
                ChatBinding.active == sa.true())).all()}) or list(p.get("agencies") or [])
        week_start = date.fromisoformat(p["week_start"]) if p.get("week_start") else today - timedelta(days=today.weekday())
        week_end = week_start + timedelta(days=6)
        due, overdue, long_overdue = [], [], []
        for code in agencies:
            for item in self._items(session, today, code):
                if item.status == Status.OVERDUE:
                    line = self._line(session, item, today)
                    if self._long_overdue(item, today):
                        long_overdue.append(replace(line, long_overdue=True))
                    elif role == "focal" or role == "manager":
                        overdue.append(line)
                elif item.status.is_open and item.effective_due and week_start <= item.effective_due <= week_end:
                    due.append(self._line(session, item, today))
        # A task told in its own message (or a brief) to this chat today is not told again here: a focal chat
        # heard the weekly agenda and the same task's due-day reminder at one 08:00 (issue 27). The message of
        # its own is the one with buttons; the agenda says how many it left out.
        told = self._told_separately(session, row.chat, today)
        apart = 0
        if told:
            before = len(due) + len(overdue) + len(long_overdue)
            due, overdue, long_overdue = ([i for i in lst if i.key not in told] for lst in (due, overdue, long_overdue))
            apart = before - len(due) - len(overdue) - len(long_overdue)
        for lst in (due, overdue, long_overdue):
            lst.sort(key=lambda i: (i.effective_due, i.key))
        names = ([self.agency_name(session, a) for a in agencies] if agencies != [None]
                 else [_("every agency", lang=lang)])
        text = texts.weekly_digest(names, week_start, due, overdue, today, lang=lang, long_overdue=long_overdue,
                                   told_apart=apart)
        return Composed(text, [], lang, sorted({i.key for i in due + overdue + long_overdue}))

    def _told_separately(self, session: Session, chat: str, day: date) -> set[str]:
        """Task keys `chat` hears of on `day` in a message of their own or in a brief (not cancelled or folded)."""
        if self.told_on is not None:
            return set(self.told_on(session, chat, day))
        tz = self.policy.timezone
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        rows = session.exec(select(Notification.kind, Notification.task_key, Notification.payload).where(
            Notification.chat == chat, Notification.status.in_((PENDING, CLAIMED, SENT)),
            Notification.kind.in_(tuple(TASK_KINDS) + (BRIEF,)),
            Notification.due_at >= start, Notification.due_at < start + timedelta(days=1))).all()
        keys: set[str] = set()
        for kind, key, payload in rows:
            if kind == BRIEF:
                keys.update(e["task"] for e in (payload or {}).get("entries") or () if e.get("task"))
            elif key:
                keys.add(key)
        return keys

    def _brief(self, session: Session, row, today: date, lang: str) -> Composed:
        """The chat's brief of a day: its entries as they stand now (those done since are left out)."""
        from storage.views import summary_counts, task_items

        p = row.payload or {}
        entries = list(p.get("entries") or ())
        ids = sorted({e["task_id"] for e in entries if e.get("task_id")})
        items = {(i.task.key, i.occurrence_key): i for i in task_items(
            session, settings=self.settings, calendar=self.calendar, today=today, task_ids=ids, include_done=True)}
        out, seen = [], set()
        for e in entries:
            item = items.get((e["task"], e["occurrence"]))
            if item is None or not item.status.is_open or e["task"] in seen:
                continue
            seen.add(e["task"])
            late = (self.calendar.workdays_between(item.effective_due, today)
                    if item.effective_due and today > item.effective_due else 0)
            lp = item.last_progress
            progress = (texts.Progress(lp.percent, lp.note, lp.created_at.astimezone(self.policy.timezone).date(), lp.actor)
                        if lp is not None else None)
            out.append(briefs.BriefEntry(
                key=item.task.key, content=item.task.content, agency=self.agency_name(session, item.task.lead_agency),
                effective_due=item.effective_due, workdays_late=late, level=int(e.get("level") or 0),
                repeat=int(e.get("repeat") or 0), long_overdue=self._long_overdue(item, today), last_progress=progress))
        role = p.get("role") or "manager"
        agencies = [a for a in (p.get("agencies") or ()) if a]
        with use_language(lang):
            if role in GLOBAL_ROLES:
                scope, code = _("every agency"), None
            else:
                scope = ", ".join(self.agency_name(session, a) for a in agencies) or "—"
                code = agencies[0] if len(agencies) == 1 else None
            scoped = self._items(session, today, code) if role in GLOBAL_ROLES or code else [
                i for a in agencies for i in self._items(session, today, a)]
            totals = briefs.totals_of(summary_counts(scoped))
            text = briefs.daily_brief(date.fromisoformat(row.occurrence), role_label(role, lang), scope, out, totals,
                                      today, levels=len(self.policy.escalation) or 1,
                                      repeat_limit=self.policy.repeat_limit)
        return Composed(text, [], lang, [e.key for e in out] if text else [])

    def _summary(self, session: Session, row, today: date, lang: str) -> str:
        """The quarter's figures as `dondoc report` and the chart sent with it give them (reports.summary), and
        how many tasks overdue today are outside the quarter's overdue list."""
        from reports.summary import summary_report
        from storage.views import task_items

        report = summary_report(session, settings=self.settings, calendar=self.calendar, quarter=row.occurrence,
                                today=today)
        listed = {(r.key, r.fact.occurrence_key) for r in report.overdue}
        long_overdue = set()
        for r in report.overdue:  # judged at the quarter's end, as the list's working days late are
            since = long_overdue_since(r.effective_due, self.policy, self.calendar)
            if r.status == Status.OVERDUE and since is not None and report.as_of > since:
                long_overdue.add((r.key, r.fact.occurrence_key))
        earlier = sum(1 for i in task_items(session, settings=self.settings, calendar=self.calendar, today=today,
                                            include_done=False)
                      if i.status == Status.OVERDUE and (i.task.key, i.occurrence_key) not in listed)
        return texts.quarterly_summary(report, long_overdue=long_overdue, earlier_overdue=earlier, lang=lang)
