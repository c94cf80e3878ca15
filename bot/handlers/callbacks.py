"""Button presses: ✅ Hoàn thành, 📈 Tiến độ (25/50/75 %), ⏳ Xin gia hạn, 👀 Đã nhận under reminders;
Confirm/Reject and Approve/Reject in oversight chats; page turns; the /feed confirmation.

Order of checks for every press: the payload's signature (forged or garbled → refused), the chat's right
to do it (refused with the reason, as an alert only the presser sees), the task's sequence (a message
older than the task's last change is refreshed to the current state instead of acting on it), then the
action. A successful press edits the message in place, so the whole chat sees the new state, and is
answered with a short confirmation.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import buttons as btn
from bot.handlers import flows, record
from bot.handlers.common import ChatScope, Deps, deps, edit, load_scope
from bot.handlers.tasks import _send_notices, send_extension_prompt
from bot.texts import shorten, t
from core.i18n import _
from storage.tables import DONE, PENDING_CONFIRMATION, Extension, Task

log = logging.getLogger(__name__)

OVERSIGHT_ACTIONS = (btn.CONFIRM_DONE, btn.REJECT_DONE, btn.APPROVE_EXTENSION, btn.REJECT_EXTENSION)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    d = deps(context)
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        try:
            payload = btn.verify_payload(query.data, d.settings.secret_for_callbacks())
        except btn.InvalidPayload as e:
            log.warning("refused button payload from user %s in chat %s: %s", scope.actor.id, scope.chat_id, e)
            await query.answer(t(lang, "cb_invalid"), show_alert=True)
            return
        if payload.action == btn.PAGE:
            from bot.handlers.lists import turn_page

            await turn_page(update, context, session, scope, payload)
            return
        if payload.action == btn.FEED:
            from bot.handlers.calendar import send_feed_link

            await query.answer()
            await send_feed_link(update, context, session, scope)
            return
        if not scope.linked and not scope.is_admin:
            await query.answer(shorten(t(lang, "unlinked"), 200), show_alert=True)
            return
        task = session.get(Task, payload.task_id)
        if task is None or task.removed_at is not None:
            await query.answer(t(lang, "cb_invalid"), show_alert=True)
            return
        scope.know(session, task)
        message = query.message if isinstance(query.message, Message) else None
        if payload.action in OVERSIGHT_ACTIONS:  # decisions: the person, not only the chat (getChatMember)
            await scope.learn_membership(context.bot)
        if payload.action in (btn.APPROVE_EXTENSION, btn.REJECT_EXTENSION):
            await _decide(update, context, session, d, scope, task, payload, message)
            return
        if payload.action in btn.HAND_ACTIONS:  # giao việc: the rule of who hands work on, not of who reports
            from bot.handlers.hand_on import on_hand_button

            await on_hand_button(update, context, session, d, scope, task, payload, message)
            return

        why = scope.refusal_to_oversee() if payload.action in OVERSIGHT_ACTIONS else scope.refusal_to_act(task)
        if why is not None:
            await query.answer(shorten(why, 200), show_alert=True)
            return
        key = payload.occurrence_key
        if payload.sequence != task.sequence:
            await _refresh(session, d, scope, task, key, payload.action, message)
            await query.answer(shorten(t(lang, "cb_stale"), 200), show_alert=True)
            return

        if payload.action == btn.PROGRESS_MENU:
            if message is not None:
                await edit(message, None, btn.progress_buttons(task, key, lang, d.settings.secret_for_callbacks()))
            await query.answer(t(lang, "cb_pick_percent"))
            return
        if payload.action == btn.BACK:
            if message is not None:
                await edit(message, None, flows.reminder_keyboard(session, d, task, key, lang, scope))
            await query.answer()
            return
        if payload.action == btn.EXTEND:
            state = flows.occurrence_state(session, d, task, key)
            if state.pending_extension is not None or state.in_force is None or \
                    (state.row is not None and state.row.status != "open"):
                # Say now what /extend would refuse later, rather than asking for a date in vain.
                from storage.actions import ActionError

                code = ("extension_pending" if state.pending_extension is not None else
                        "no_deadline" if state.in_force is None else "already_done")
                err = ActionError(code, code, extension=state.pending_extension)
                await query.answer(shorten(flows.action_error_text(err, task, key, lang, d.settings.timezone), 200),
                                   show_alert=True)
                return
            await query.answer(t(lang, "cb_extend"))
            await send_extension_prompt(context, int(scope.chat_id), scope, task, key, state.in_force,
                                        reply_to=message.message_id if message else None)
            return

        if payload.action == btn.REJECT_DONE:  # a return needs its reason: ask for it first (bot/handlers/record.py)
            state = flows.occurrence_state(session, d, task, key)
            if state.row is None or state.row.status not in (DONE, PENDING_CONFIRMATION):
                await _refresh(session, d, scope, task, key, payload.action, message)
                await query.answer(shorten(t(lang, "return_nothing", key=task.key), 200), show_alert=True)
                return
            await query.answer(shorten(_("Say why in the chat: the question is below.", lang=lang), 200))
            await record.ask_reason(context, d, scope, task, key, message, state.row.status)
            return

        if payload.action == btn.DONE:
            outcome = flows.do_done(session, d, scope, task, key, None)
        elif payload.action == btn.PROGRESS:
            try:
                percent = int(payload.arg)
            except ValueError:
                percent = -1
            if percent not in btn.PROGRESS_STEPS:
                await query.answer(t(lang, "cb_invalid"), show_alert=True)
                return
            outcome = flows.do_progress(session, d, scope, task, key, percent, None)
        elif payload.action == btn.ACK:
            outcome = flows.do_ack(session, d, scope, task, key)
        elif payload.action == btn.CONFIRM_DONE:
            outcome = flows.do_confirm(session, d, scope, task, key, approve=True)
        else:  # pragma: no cover - every action is handled above
            await query.answer(t(lang, "cb_invalid"), show_alert=True)
            return

        if not outcome.ok:
            session.rollback()
            await _refresh(session, d, scope, task, key, payload.action, message)
            await query.answer(shorten(outcome.text, 200), show_alert=True)
            return
        session.commit()
        if message is not None:
            if payload.action in (btn.CONFIRM_DONE, btn.REJECT_DONE):
                await edit(message, _append(message.text, outcome.text), None)
            else:
                await edit(message, flows.with_state(message.text, flows.state_block(session, d, task, key, lang)),
                           flows.reminder_keyboard(session, d, task, key, lang, scope))
    await query.answer(shorten(outcome.short, 200))
    await _send_notices(context, outcome)


async def _decide(update: Update, context: ContextTypes.DEFAULT_TYPE, session, d: Deps, scope: ChatScope, task: Task,
                  payload: btn.Payload, message: Message | None) -> None:
    """Approve / Reject an extension. Judged on the request's own state (still pending?), not on the task's
    sequence: progress reported while the request waits must not make the oversight body's buttons stale."""
    query = update.callback_query
    try:
        ext = session.get(Extension, btn.extension_id(payload))
    except btn.InvalidPayload:
        ext = None
    if ext is None or ext.task_id != task.id:
        await query.answer(t(scope.lang, "cb_invalid"), show_alert=True)
        return
    outcome = flows.do_decide(session, d, scope, ext, approve=payload.action == btn.APPROVE_EXTENSION)
    if not outcome.ok:
        session.rollback()
        if ext.decision != "pending" and message is not None:
            await edit(message, None, None)  # already decided elsewhere: the buttons are of no use any more
        await query.answer(shorten(outcome.text, 200), show_alert=True)
        return
    session.commit()
    if message is not None:
        await edit(message, _append(message.text, outcome.text), None)
    await query.answer(shorten(outcome.short, 200))
    await _send_notices(context, outcome)


async def _refresh(session, d: Deps, scope: ChatScope, task: Task, key: str, action: str, message: Message | None) -> None:
    """Show the task's current state with fresh buttons, without acting."""
    if message is None:
        return
    lang = scope.lang
    if action in (btn.CONFIRM_DONE, btn.REJECT_DONE):
        state = flows.occurrence_state(session, d, task, key)
        rows = (btn.confirmation_buttons(task, key, lang, d.settings.secret_for_callbacks())
                if state.row is not None and state.row.status == PENDING_CONFIRMATION else None)
        await edit(message, None, rows)
        return
    await edit(message, flows.with_state(message.text, flows.state_block(session, d, task, key, lang)),
               flows.reminder_keyboard(session, d, task, key, lang, scope))


def _append(text: str | None, line: str) -> str:
    return f"{(text or '').rstrip()}\n\n{line}"
