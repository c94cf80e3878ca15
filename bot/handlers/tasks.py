"""/task KEY — one task in full; /done, /progress, /extend — the updates a focal point sends; and the reply
to a "⏳ Xin gia hạn" prompt.

Extension by button (documented in docs/bot.md): the bot posts a prompt with ForceReply naming the task;
whoever answers it with "dd/mm/yyyy reason" files the request. The prompt → task link is kept in
`chat_data` (memory): after a restart, answering an old prompt gets a clear "press again" instead of a guess.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select
from telegram import ForceReply, Update
from telegram.ext import ContextTypes

from bot.handlers import flows
from bot.handlers.common import (
    agency_names, command_args, date_refusal, deps, example_key, find_task, load_scope, parse_date, parse_percent, refuse_unlinked,
    reply, rest_after,
    send,
)
from bot.texts import TEXTS, fmt_datetime, shorten, t
from core.i18n import _, available_languages
from core.i18n import format_date as fmt_date
from core.status import status_label
from storage.tables import Directive, Extension, Occurrence, ProgressUpdate, Task

PROMPTS = "extension_prompts"  # chat_data key: prompt message id -> (task id, occurrence key)
MAX_PROMPTS = 50
# How our prompts begin, in every language: a reply to one we no longer remember gets "press again".
PROMPT_STARTS = tuple(_(TEXTS["extend_prompt"], lang=lang).split("{", 1)[0] for lang in available_languages())


async def task_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/task KEY"""
    d = deps(context)
    args, _ = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        if not args:
            await reply(update, t(scope.lang, "task_usage", example=example_key(session, scope)))
            return
        task, problem = find_task(session, scope, args[0])
        if task is None:
            await reply(update, problem)
            return
        text = describe_task(session, d, scope, task)
    await reply(update, text)


def describe_task(session, d, scope, task: Task) -> str:
    lang, tz = scope.lang, d.settings.timezone
    names = agency_names(session, {task.lead_agency, *(task.coordinators or [])})
    lines = [t(lang, "task_title", key=task.key), task.content, ""]
    if task.directive_id is not None:
        directive = session.get(Directive, task.directive_id)
        if directive is not None:
            issued = t(lang, "task_issued", date=fmt_date(directive.issued)) if directive.issued else ""
            subject = f" — {shorten(directive.subject, 300)}" if directive.subject else ""
            lines.append(t(lang, "task_directive", number=directive.number, issued=issued, subject=subject))
    lines.append(t(lang, "task_lead", lead=names.get(task.lead_agency, task.lead_agency)))
    coordinators = [names.get(c, c) for c in task.coordinators or []]
    if task.coordinators_note:
        coordinators.append(task.coordinators_note)
    if coordinators:
        lines.append(t(lang, "task_coordinators", names=", ".join(coordinators)))
    if task.report_to:
        lines.append(t(lang, "task_report_to", to=names.get(task.report_to, task.report_to)))
    lines.append(t(lang, "task_deadline", text=task.deadline_text))

    # The occurrences that matter now: the current one, and any other with recorded state.
    keys = [flows.current_occurrence(session, d, task)]
    for occ in session.exec(select(Occurrence).where(Occurrence.task_id == task.id).order_by(Occurrence.key)):
        if occ.key not in keys:
            keys.append(occ.key)
    if task.deadline_kind == "recurring":
        keys = sorted(keys)[-6:]
    for key in keys:
        s = flows.occurrence_state(session, d, task, key)
        period = f"{t(lang, 'period', due=fmt_date(s.due))}: " if task.deadline_kind == "recurring" else ""
        effective = t(lang, "task_extended", date=fmt_date(s.in_force)) if s.in_force != s.due else ""
        if s.effective_due != s.in_force:
            effective += t(lang, "task_shifted", date=fmt_date(s.effective_due))
        lines.append(t(lang, "task_occurrence", period=period, due=fmt_date(s.due), effective=effective,
                       status=status_label(s.status, lang)))
        if s.row is not None and s.row.acknowledged_at is not None:
            lines.append("  " + t(lang, "acknowledged_by", who=s.row.acknowledged_by,
                                  when=fmt_datetime(s.row.acknowledged_at, tz)))

    progress = list(session.exec(select(ProgressUpdate).where(ProgressUpdate.task_id == task.id)
                                 .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc()).limit(10)))  # type: ignore[union-attr]
    lines += ["", t(lang, "task_progress_title") if progress else t(lang, "task_no_progress")]
    for p in reversed(progress):
        what = " — ".join(x for x in (f"{p.percent} %" if p.percent is not None else "", p.note or "") if x)
        lines.append(t(lang, "task_progress_line", when=fmt_datetime(p.created_at, tz), who=p.actor, what=what))
    extensions = list(session.exec(select(Extension).where(Extension.task_id == task.id).order_by(Extension.id)))
    if extensions:
        lines += ["", t(lang, "task_extensions_title")]
        for e in extensions:
            decision = t(lang, f"decision_{e.decision}", who=e.decided_by or "—")
            lines.append(t(lang, "task_extension_line", asked=fmt_datetime(e.requested_at, tz), who=e.requested_by,
                           requested=fmt_date(e.requested_due), reason=e.reason, decision=decision))
    return "\n".join(lines)


async def _send_notices(context: ContextTypes.DEFAULT_TYPE, outcome: flows.Outcome) -> None:
    """Tell other chats (oversight, the asker) after the change is committed; a chat that cannot be reached
    does not undo the change (the failure is logged)."""
    import logging

    channels = context.application.bot_data.get("channels") or {}
    for chat_id, text, rows in outcome.notify:
        try:
            platform, qualified, other_id = chat_id.partition(":")
            if qualified and platform in channels:  # a chat on another platform (e.g. "zalo:…")
                await channels[platform].send(other_id, text, rows)
                continue
            await send(context.bot, chat_id, text, rows)
        except Exception:  # noqa: BLE001 — one unreachable chat must not hide the others
            logging.getLogger(__name__).exception("could not tell chat %s", chat_id)


async def _run(update: Update, context: ContextTypes.DEFAULT_TYPE, usage_key: str, min_args: int, act) -> None:
    """Common shape of /done, /progress, /extend: parse, find the task, authorise, act, reply, notify."""
    d = deps(context)
    args, raw = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        if len(args) < min_args:
            await reply(update, t(scope.lang, usage_key, example=example_key(session, scope)))
            return
        task, problem = find_task(session, scope, args[0])
        if task is None:
            await reply(update, problem)
            return
        outcome = act(session, d, scope, task, args, raw)
        if outcome.ok:
            session.commit()
        else:
            session.rollback()
    await reply(update, outcome.text)
    if outcome.ok:
        await _send_notices(context, outcome)


async def done_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/done KEY [note or link]"""
    def act(session, d, scope, task, args, raw):
        key = flows.current_occurrence(session, d, task)
        return flows.do_done(session, d, scope, task, key, rest_after(raw, 1))

    await _run(update, context, "done_usage", 1, act)


async def progress_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/progress KEY PERCENT [note]"""
    def act(session, d, scope, task, args, raw):
        try:
            percent = parse_percent(args[1])
        except ValueError:
            return flows.refused(t(scope.lang, "bad_percent", text=args[1]))
        key = flows.current_occurrence(session, d, task)
        return flows.do_progress(session, d, scope, task, key, percent, rest_after(raw, 2))

    await _run(update, context, "progress_usage", 2, act)


async def extend_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/extend KEY DATE REASON — or /extend KEY alone, which asks for the date and reason."""
    args, _ = command_args(update)
    if len(args) == 1:
        await _prompt_from_command(update, context, args[0])
        return

    def act(session, d, scope, task, args, raw):
        try:
            new_due = parse_date(args[1])
        except ValueError:
            return flows.refused(date_refusal(scope.lang, args[1]))
        reason = rest_after(raw, 2)
        if not reason:
            return flows.refused(t(scope.lang, "err_no_reason") + "\n" + t(scope.lang, "extend_usage", example=task.key))
        key = flows.current_occurrence(session, d, task)
        return flows.do_request_extension(session, d, scope, task, key, new_due, reason)

    await _run(update, context, "extend_usage", 2, act)


# -- the ForceReply conversation --------------------------------------------------------------------------

async def _prompt_from_command(update: Update, context: ContextTypes.DEFAULT_TYPE, task_key: str) -> None:
    d = deps(context)
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        task, problem = find_task(session, scope, task_key)
        if task is None:
            await reply(update, problem)
            return
        if (why := scope.refusal_to_act(task)) is not None:
            await reply(update, why)
            return
        key = flows.current_occurrence(session, d, task)
        state = flows.occurrence_state(session, d, task, key)
    await send_extension_prompt(context, update.effective_chat.id, scope, task, key, state.in_force,
                                reply_to=update.effective_message.message_id)


async def send_extension_prompt(context: ContextTypes.DEFAULT_TYPE, chat_id: int, scope, task: Task, key: str,
                                in_force: date | None, reply_to: int | None = None) -> None:
    lang = scope.lang
    today = deps(context).today()
    example = max(in_force or today, today) + timedelta(days=14)
    text = t(lang, "extend_prompt", key=task.key, period=flows.period_text(task, key, lang), due=fmt_date(in_force),
             name=scope.actor.name, example_date=fmt_date(example))
    message = await context.bot.send_message(
        chat_id=chat_id, text=text, reply_to_message_id=reply_to,
        reply_markup=ForceReply(selective=True, input_field_placeholder=t(lang, "extend_placeholder")))
    prompts = context.chat_data.setdefault(PROMPTS, {})
    prompts[message.message_id] = (task.id, key)
    while len(prompts) > MAX_PROMPTS:  # keep memory bounded in a busy chat
        prompts.pop(next(iter(prompts)))


async def extension_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to one of our messages: if it answers a "⏳ Xin gia hạn" prompt, file the request."""
    message = update.effective_message
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    prompts = context.chat_data.get(PROMPTS, {})
    d = deps(context)
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        target = prompts.get(replied.message_id)
        if target is None:
            if (replied.text or "").startswith(PROMPT_STARTS):
                await reply(update, t(lang, "extend_prompt_expired"))
            return
        task = session.get(Task, target[0])
        if task is None or task.removed_at is not None:
            await reply(update, t(lang, "cb_invalid"))
            return
        words = (message.text or "").split(maxsplit=1)
        if not words:
            await reply(update, t(lang, "extend_reply_missing_reason"))
            return
        try:
            new_due = parse_date(words[0])
        except ValueError:
            await reply(update, date_refusal(lang, words[0]))
            return
        reason = words[1].strip() if len(words) > 1 else ""
        if not reason:
            await reply(update, t(lang, "extend_reply_missing_reason"))
            return
        outcome = flows.do_request_extension(session, d, scope, task, target[1], new_due, reason)
        if outcome.ok:
            session.commit()
            prompts.pop(replied.message_id, None)
        else:
            session.rollback()
    await reply(update, outcome.text)
    if outcome.ok:
        await _send_notices(context, outcome)
