"""The actions behind commands and buttons, shared by both: authorise, act (storage.actions), say what
happened, and list the messages other chats must get once the change is committed (oversight chats for
a completion or an extension request; the asker's chat for a decision)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

from sqlmodel import Session, select

from bot import buttons as btn
from bot.handlers.common import PLATFORM, ChatScope, Deps, active_bindings, agency_names, resolve_lang
from bot.texts import TEXTS, fmt_datetime, shorten, t
from core.i18n import _, available_languages
from core.i18n import format_date as fmt_date
from core.status import Status, compute_status, status_label
from core.completion_text import read_completion
from storage import actions, completion
from storage.actions import ActionError
from storage.evidence import EvidenceError, EvidenceStore
from storage.tables import OPEN, ChatBinding, Extension, Occurrence, ProgressUpdate, Task

# The line that starts the state block, in every language: a new block replaces the old one.
STATE_MARKERS = tuple(_(TEXTS["state_header"], lang=lang) for lang in available_languages())


@dataclass
class Outcome:
    ok: bool
    text: str  # the reply in the chat (a command) or the refusal (a button: shown as an alert)
    short: str = ""  # the answer to a button press (answerCallbackQuery, ≤ 200 characters)
    notify: list[tuple[str, str, list[list[btn.Button]] | None]] = field(default_factory=list)  # after commit


def refused(text: str) -> Outcome:
    return Outcome(False, text, text)


# -- one occurrence's state -------------------------------------------------------------------------------

@dataclass
class OccurrenceState:
    key: str
    due: date | None  # as written
    in_force: date | None  # after approved extensions
    effective_due: date | None  # and the day-off shift
    status: Status
    row: Occurrence | None
    last_progress: ProgressUpdate | None
    pending_extension: Extension | None


def occurrence_state(session: Session, d: Deps, task: Task, key: str) -> OccurrenceState:
    row = actions.get_occurrence(session, task, key)
    due = actions.occurrence_due(task, key)
    in_force = actions.deadline_in_force(task, row, key)
    effective = (d.calendar.effective_due(in_force, shift=d.settings.deadline_shift_to_workday)
                 if in_force is not None else None)
    status = compute_status(effective_due=effective, today=d.today(), state=row.status if row else OPEN,
                            completed_on=row.completed_on if row else None, due_soon_days=d.settings.due_soon_days)
    progress = session.exec(select(ProgressUpdate).where(
        ProgressUpdate.task_id == task.id, ProgressUpdate.occurrence_key == key
    ).order_by(ProgressUpdate.id.desc())).first()  # type: ignore[union-attr]
    pending = session.exec(select(Extension).where(
        Extension.task_id == task.id, Extension.occurrence_key == key, Extension.decision == "pending")).first()
    return OccurrenceState(key, due, in_force, effective, status, row, progress, pending)


def current_occurrence(session: Session, d: Deps, task: Task) -> str:
    """The occurrence a command means when it names only the task (storage.actions.current_occurrence, on
    the bot's today)."""
    return actions.current_occurrence(session, task, d.today())


def period_text(task: Task, key: str, lang: str) -> str:
    if task.deadline_kind != "recurring":
        return ""
    return f" ({t(lang, 'period', due=fmt_date(date.fromisoformat(key)))})"


def state_block(session: Session, d: Deps, task: Task, key: str, lang: str) -> str:
    """The lines added under a reminder after a press, so the whole chat sees where the task stands."""
    s = occurrence_state(session, d, task, key)
    tz = d.settings.timezone
    lines = [t(lang, "state_header"), t(lang, "state_status", status=status_label(s.status, lang) + period_text(task, key, lang))]
    if s.effective_due is not None:
        lines.append(t(lang, "state_due", date=fmt_date(s.effective_due)))
    if s.last_progress is not None:
        p = s.last_progress
        when = fmt_datetime(p.created_at, tz)
        if p.percent is not None:
            lines.append(t(lang, "state_progress", percent=p.percent, who=p.actor, when=when))
        else:
            lines.append(t(lang, "state_progress_note", note=shorten(p.note or "", 80), who=p.actor, when=when))
    if s.row is not None and s.row.acknowledged_at is not None:
        lines.append(t(lang, "acknowledged_by", who=s.row.acknowledged_by, when=fmt_datetime(s.row.acknowledged_at, tz)))
    if s.pending_extension is not None:
        lines.append(t(lang, "state_extension", date=fmt_date(s.pending_extension.requested_due)))
    return "\n".join(lines)


def with_state(original: str | None, block: str) -> str:
    base = original or ""
    for marker in STATE_MARKERS:
        if marker in base:
            base = base.split(marker, 1)[0]
    base = base.rstrip()
    return f"{base}\n\n{block}" if base else block


def reminder_keyboard(session: Session, d: Deps, task: Task, key: str, lang: str,
                      scope: ChatScope | None = None) -> list[list[btn.Button]] | None:
    """The task buttons while the occurrence is open; none once it is done or awaiting confirmation. "Giao
    việc" as on the card the bot composed: in the lead agency's own chat, when it has people or departments."""
    from storage.people import has_people

    row = actions.get_occurrence(session, task, key)
    return btn.task_buttons(task, key, lang, d.settings.secret_for_callbacks(), state=row.status if row else OPEN,
                            hand_on=scope is not None and task.lead_agency in scope.own_agencies
                            and has_people(session, task.lead_agency)) or None


# -- helpers ----------------------------------------------------------------------------------------------

def _chats_with_role(session: Session, role: str, agency: str | None = None) -> list[ChatBinding]:
    """Active bindings in `role` on every platform (one per chat); notices name them with `target`."""
    q = select(ChatBinding).where(ChatBinding.role == role, ChatBinding.active == True)  # noqa: E712
    if agency is not None:
        q = q.where(ChatBinding.agency == agency)
    seen, out = set(), []
    for b in session.exec(q.order_by(ChatBinding.id)):
        if (b.platform, b.chat_id) not in seen:
            seen.add((b.platform, b.chat_id))
            out.append(b)
    return out


def target(b: ChatBinding) -> str:
    """Where a notice goes: a Telegram chat id as it is, another platform's chat as "platform:id"."""
    return b.chat_id if b.platform == PLATFORM else f"{b.platform}:{b.chat_id}"


def _binding_lang(b: ChatBinding, d: Deps) -> str:
    return b.language if b.language in available_languages() else d.settings.language


def action_error_text(e: ActionError, task: Task, key: str, lang: str, tz) -> str:
    info = e.info
    values = {"key": task.key, "period": period_text(task, key, lang) if key else "", "message": str(e)}
    if e.code == "date_not_later":
        values["current"] = fmt_date(info.get("current"))
    elif e.code == "date_in_past":
        values.update(date="", today=fmt_date(info.get("today")))
    elif e.code == "extension_pending":
        values["date"] = fmt_date(info["extension"].requested_due)
    elif e.code == "already_decided":
        values.update(decision=t(lang, f"decision_{info.get('decision')}", who=info.get("by") or "—")
                      if info.get("decision") in ("approved", "rejected") else info.get("decision"),
                      who=info.get("by") or "—")
    elif e.code == "already_acknowledged":
        values.update(who=info.get("by") or "—", when=fmt_datetime(info.get("at"), tz))
    key_name = f"err_{e.code}"
    if key_name not in TEXTS:
        return t(lang, "err_generic", message=str(e))
    try:
        return t(lang, key_name, **values)
    except KeyError:
        return t(lang, "err_generic", message=str(e))


def _fail(e: ActionError, task: Task, key: str, scope: ChatScope, d: Deps) -> Outcome:
    return refused(action_error_text(e, task, key, scope.lang, d.settings.timezone))


# -- the actions ------------------------------------------------------------------------------------------

def do_progress(session: Session, d: Deps, scope: ChatScope, task: Task, key: str, percent: int,
                note: str | None) -> Outcome:
    if (why := scope.refusal_to_act(task)) is not None:
        return refused(why)
    try:
        actions.record_progress(session, task, key, percent, note or None, scope.actor, d.now())
    except ActionError as e:
        return _fail(e, task, key, scope, d)
    period = period_text(task, key, scope.lang)
    return Outcome(True, t(scope.lang, "progress_ok", percent=percent, key=task.key, period=period),
                   t(scope.lang, "cb_progress", percent=percent))


def do_done(session: Session, d: Deps, scope: ChatScope, task: Task, key: str, note: str | None,
            files: Sequence[completion.Attachment] = ()) -> Outcome:
    """Report `task` done; `files` (a file sent to the chat) are kept in the evidence store on the completion,
    or nothing is recorded at all."""
    if not files:  # a file is evidence of the task's completion, never of a coordinating agency's part
        part = _part_done(session, d, scope, task)  # a coordinating agency's own part (issue 24)
        if part is not None:
            return part
    if (why := scope.refusal_to_act(task)) is not None:
        return refused(why)
    needs = d.settings.confirm_completion
    words = read_completion(note)  # "xong ngày 15/12/2013, báo cáo số 123/BC-SNV ngày 16/12/2013"
    try:
        completion.report_completion(session, task, key, scope.actor, d.now(), note=note or None, on=words.on,
                                     document=words.document, document_date=words.document_date,
                                     files=files, store=EvidenceStore.from_settings(d.settings) if files else None,
                                     needs_confirmation=needs, tz=d.settings.timezone)  # a completion row, as the CLI's
        occ = actions.get_occurrence(session, task, key)
    except EvidenceError as e:
        return refused(str(e) + "\n" + _("Nothing was recorded.", lang=scope.lang))
    except ActionError as e:
        if e.code in ("done_in_future", "done_before_assigned", "document_in_future"):
            return refused(t(scope.lang, "err_" + e.code, today=fmt_date(e.info.get("today")),
                             first=fmt_date(e.info.get("first")), date=fmt_date(e.info.get("on"))))
        return _fail(e, task, key, scope, d)
    lang = scope.lang
    period = period_text(task, key, lang)
    kept = "".join("\n" + _("📎 Evidence kept: {name}", lang=lang, name=f.filename) for f in files)
    if not needs:
        status = occurrence_state(session, d, task, key).status
        return Outcome(True, t(lang, "done_ok", key=task.key, period=period, status=status_label(status, lang),
                               name=scope.actor.name) + kept, t(lang, "cb_done"))
    out = Outcome(True, t(lang, "done_pending", key=task.key, period=period) + kept, t(lang, "cb_done_pending"))
    names = agency_names(session, {task.lead_agency})
    due = occurrence_state(session, d, task, key).effective_due
    for b in _chats_with_role(session, "oversight"):
        bl = _binding_lang(b, d)
        text = t(bl, "completion_request", key=task.key + period_text(task, key, bl), content=shorten(task.content, 600),
                 lead=names.get(task.lead_agency, task.lead_agency), due=fmt_date(due),
                 completed=fmt_date(occ.completed_on),
                 note=t(bl, "note_line", note=occ.completion_note) if occ.completion_note else "",
                 who=scope.actor.name)
        text += "".join("\n" + _("📎 Evidence: {name}", lang=bl, name=f.filename) for f in files)
        out.notify.append((target(b), text, btn.confirmation_buttons(task, key, bl, d.settings.secret_for_callbacks())))
    return out


def _part_done(session: Session, d: Deps, scope: ChatScope, task: Task) -> Outcome | None:
    """/done from a coordinating agency's chat when that agency has an open part of the task: the part is done
    and the lead's focal chats are told (a part reports to the lead). None: not such a case."""
    from storage import delegation

    mine = [a for a in scope.own_agencies if a != task.lead_agency and a in (task.coordinators or ())]
    for agency in mine:
        if any(a.status != "done" for a in delegation.current(session, task.id, agency=agency)):
            delegation.complete_part(session, task, agency, occurrence=None, actor=scope.actor.name,
                                     source=scope.platform, now=d.now(), roles={(agency, "focal")})
            names = agency_names(session, {agency, task.lead_agency})
            out = Outcome(True, _("Your part of {key} is marked done; {lead} is told.", lang=scope.lang,
                                  key=task.key, lead=names.get(task.lead_agency, task.lead_agency)),
                          _("Done", lang=scope.lang))
            for b in _chats_with_role(session, "focal", task.lead_agency):
                out.notify.append((target(b), _("🧩 {agency} completed its part of {key}: {content}",
                                                lang=_binding_lang(b, d), agency=names.get(agency, agency),
                                                key=task.key, content=shorten(task.content, 300)), None))
            return out
    return None


def do_ack(session: Session, d: Deps, scope: ChatScope, task: Task, key: str) -> Outcome:
    if (why := scope.refusal_to_act(task)) is not None:
        return refused(why)
    if task.id in scope.person_tasks:  # the person handed the task: their own "đã nhận" (issue 24)
        from storage import delegation

        a = session.get(delegation.Assignment, scope.person_tasks[task.id])
        delegation.acknowledge(session, a, actor=scope.actor.name, actor_id=scope.actor.id, source=scope.platform,
                               now=d.now())
        return Outcome(True, t(scope.lang, "ack_ok", name=scope.actor.name, key=task.key,
                               period=period_text(task, key, scope.lang)), t(scope.lang, "cb_ack"))
    try:
        actions.acknowledge(session, task, key, scope.actor, d.now())
    except ActionError as e:
        return _fail(e, task, key, scope, d)
    return Outcome(True, t(scope.lang, "ack_ok", name=scope.actor.name, key=task.key,
                           period=period_text(task, key, scope.lang)), t(scope.lang, "cb_ack"))


def do_request_extension(session: Session, d: Deps, scope: ChatScope, task: Task, key: str, new_due: date,
                         reason: str) -> Outcome:
    if (why := scope.refusal_to_act(task)) is not None:
        return refused(why)
    try:
        ext = actions.request_extension(session, task, key, new_due, reason, scope.actor, d.now(),
                                        chat=f"{scope.platform}:{scope.chat_id}", tz=d.settings.timezone)
    except ActionError as e:
        out = _fail(e, task, key, scope, d)
        if e.code == "date_in_past":
            out = refused(t(scope.lang, "err_date_in_past", date=fmt_date(new_due), today=fmt_date(e.info["today"])))
        return out
    lang = scope.lang
    text = t(lang, "extend_asked", key=task.key, period=period_text(task, key, lang), date=fmt_date(new_due))
    oversight = _chats_with_role(session, "oversight")
    if not oversight:
        text += "\n" + t(lang, "no_oversight_chat")
    out = Outcome(True, text, text[:190])
    names = agency_names(session, {task.lead_agency})
    for b in oversight:
        bl = _binding_lang(b, d)
        msg = t(bl, "extension_request", key=task.key + period_text(task, key, bl), content=shorten(task.content, 600),
                lead=names.get(task.lead_agency, task.lead_agency), previous=fmt_date(ext.previous_due),
                requested=fmt_date(ext.requested_due), reason=ext.reason, who=scope.actor.name)
        out.notify.append((target(b), msg, btn.extension_buttons(task, ext, bl, d.settings.secret_for_callbacks())))
    return out


def do_confirm(session: Session, d: Deps, scope: ChatScope, task: Task, key: str, approve: bool) -> Outcome:
    if (why := scope.refusal_to_oversee()) is not None:
        return refused(why)
    try:
        # through storage.completion: the completion keeps the decision, who made it and when
        (completion.confirm if approve else completion.reject)(session, task, key, scope.actor, d.now())
    except ActionError as e:
        return _fail(e, task, key, scope, d)
    lang = scope.lang
    note_key = "completion_confirmed_note" if approve else "completion_rejected_note"
    out = Outcome(True, t(lang, note_key, who=scope.actor.name, when=fmt_datetime(d.now(), d.settings.timezone)),
                  t(lang, "cb_confirmed" if approve else "cb_rejected"))
    status = occurrence_state(session, d, task, key).status
    for b in _chats_with_role(session, "focal", task.lead_agency):
        bl = _binding_lang(b, d)
        if approve:
            msg = t(bl, "completion_confirmed_tell", key=task.key + period_text(task, key, bl),
                    status=status_label(status, bl))
        else:
            msg = t(bl, "completion_rejected_tell", key=task.key + period_text(task, key, bl))
        out.notify.append((target(b), msg, None))
    return out


def do_decide(session: Session, d: Deps, scope: ChatScope, extension: Extension, approve: bool) -> Outcome:
    task = session.get(Task, extension.task_id)
    if (why := scope.refusal_to_oversee()) is not None:
        return refused(why)
    try:
        actions.decide_extension(session, extension, approve, scope.actor, d.now())
    except ActionError as e:
        return _fail(e, task, extension.occurrence_key, scope, d)
    lang = scope.lang
    now_text = fmt_datetime(d.now(), d.settings.timezone)
    note_key = "extension_approved_note" if approve else "extension_rejected_note"
    out = Outcome(True, t(lang, note_key, who=scope.actor.name, when=now_text),
                  t(lang, "cb_approved" if approve else "cb_denied"))
    if extension.platform and extension.chat_id:
        # The asker may be on another platform (a Zalo chat): such a notice names its platform.
        bl = resolve_lang(active_bindings(session, extension.chat_id, extension.platform), None, d.settings)
        key = task.key + period_text(task, extension.occurrence_key, bl)
        if approve:
            msg = t(bl, "extension_approved_tell", key=key, date=fmt_date(extension.requested_due), who=scope.actor.name)
        else:
            msg = t(bl, "extension_rejected_tell", key=key, date=fmt_date(extension.previous_due), who=scope.actor.name)
        where = extension.chat_id if extension.platform == PLATFORM else f"{extension.platform}:{extension.chat_id}"
        out.notify.append((where, msg, None))
    return out
