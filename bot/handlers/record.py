"""/return KEY REASON — the oversight body returns a completion that is not acceptable, with the reason (issue 22);
and the ↩️ button under a completion awaiting review, which asks for the reason first.

The task is open again and counted not done; its agency's focal chats are told why through the outbox
(storage.completion.return_completion), like every message the dispatcher sends.

The button's question (ForceReply) is kept in `chat_data` per person: the next text message of the person who
pressed, in that chat, is the reason — whether or not it is sent as a reply, since a reason typed without
replying is still the answer. /cancel, or no answer within RETURN_ASK_FOR (on the bot's clock), leaves the
completion as it is. Like the extension prompt, the question lives in memory: after a restart the answer gets a
"press again" instead of a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select
from telegram import ForceReply, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.handlers import flows
from bot.handlers.common import (
    command_args, deps, find_task, keyboard, load_scope, refuse_unlinked, reply, rest_after,
)
from bot.texts import fmt_datetime, split_message, t
from core.i18n import N_, _, available_languages
from storage import completion
from storage.actions import ActionError
from storage.tables import OPEN, Occurrence, Task


RETURN_ASKS = "return_asks"  # chat_data key: user id -> ReturnAsk
RETURN_ASK_FOR = timedelta(minutes=30)  # an unanswered question lapses: the completion stays as it is
_ASK = N_("↩️ Why is the completion of task {key}{period} returned? {name}, answer with the reason: the agency is told it. /cancel to leave it as it is.")
# How the question begins, in every language: an answer to one we no longer remember gets "press again".
ASK_STARTS = tuple(_(_ASK, lang=lang).split("{", 1)[0] for lang in available_languages())


@dataclass
class ReturnAsk:
    task_id: int
    key: str
    asked_at: datetime
    prompt_id: int
    origin_id: int | None  # the completion message the button was under: edited once it is returned
    origin_text: str
    status: str  # the period's state when asked: decided otherwise meanwhile, the answer returns nothing


def do_return(session, d, scope, task, reason: str, key: str | None = None) -> flows.Outcome:
    """Return the completion of `key` (default: the period last reported done) with `reason`."""
    if (why := scope.refusal_to_oversee()) is not None:
        return flows.refused(why)
    if not reason:
        return flows.refused(t(scope.lang, "return_usage"))
    if key is None and task.deadline_kind == "recurring":  # the period last reported done
        row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.status != OPEN)
                           .order_by(Occurrence.updated_at.desc(), Occurrence.key.desc())).first()
        key = row.key if row is not None else None
    elif key is None:
        key = task.deadline_kind
    if key is None:
        return flows.refused(t(scope.lang, "return_nothing", key=task.key))
    try:
        completion.return_completion(session, task, key, reason, scope.actor, d.now())
    except ActionError as e:
        if e.code == "not_done":
            return flows.refused(t(scope.lang, "return_nothing", key=task.key))
        return flows._fail(e, task, key, scope, d)
    return flows.Outcome(True, t(scope.lang, "return_ok", key=task.key + flows.period_text(task, key, scope.lang)))


async def return_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/return KEY REASON"""
    d = deps(context)
    args, raw = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        if len(args) < 2:
            await reply(update, t(scope.lang, "return_usage"))
            return
        task, problem = find_task(session, scope, args[0])
        if task is None:
            await reply(update, problem)
            return
        await scope.learn_membership(context.bot)  # a decision: is the person an administrator of this group?
        outcome = do_return(session, d, scope, task, rest_after(raw, 1))
        if outcome.ok:
            session.commit()
        else:
            session.rollback()
    await reply(update, outcome.text)


# -- the ↩️ button: ask, then return ------------------------------------------------------------------------

async def ask_reason(context: ContextTypes.DEFAULT_TYPE, d, scope, task, key: str, origin, status: str) -> None:
    """Ask the person who pressed ↩️ why (ForceReply, selective: only they are asked to answer)."""
    lang = scope.lang
    text = _(_ASK, lang=lang, key=task.key, period=flows.period_text(task, key, lang), name=scope.actor.name)
    sent = await context.bot.send_message(
        chat_id=int(scope.chat_id), text=text, reply_to_message_id=origin.message_id if origin else None,
        reply_markup=ForceReply(selective=True, input_field_placeholder=_("Reason for returning", lang=lang)[:64]))
    asks = context.chat_data.setdefault(RETURN_ASKS, {})
    asks[scope.user.id] = ReturnAsk(task.id, key, d.now(), sent.message_id, origin.message_id if origin else None,
                                    (origin.text or "") if origin else "", status)


async def reason_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """The person's answer to the ↩️ question: return with it. False when no question waits for them."""
    user, message = update.effective_user, update.effective_message
    asks = context.chat_data.get(RETURN_ASKS, {}) if context.chat_data is not None else {}
    ask = asks.get(user.id) if user is not None else None
    if ask is None:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.message_id != ask.prompt_id and replied.from_user is not None \
            and replied.from_user.id == context.bot.id:
        return False  # an answer to another of our questions (an extension's date)
    del asks[user.id]
    d = deps(context)
    reason = (message.text or "").strip()
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        if d.now() - ask.asked_at > RETURN_ASK_FOR:
            await reply(update, _("The question was asked more than {minutes} minutes ago: nothing was returned. "
                                  "Press ↩️ again to return the completion.", lang=lang,
                                  minutes=int(RETURN_ASK_FOR.total_seconds() // 60)))
            return True
        task = session.get(Task, ask.task_id)
        if task is None or task.removed_at is not None:
            await reply(update, t(lang, "cb_invalid"))
            return True
        row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id,
                                                    Occurrence.key == ask.key)).first()
        if row is None or row.status != ask.status:  # confirmed (or returned) by someone else meanwhile
            await reply(update, _("Task {key} was decided meanwhile: nothing was returned.", lang=lang, key=task.key))
            return True
        await scope.learn_membership(context.bot)  # still allowed to decide now?
        outcome = do_return(session, d, scope, task, reason, key=ask.key)
        if outcome.ok:
            session.commit()
        else:
            session.rollback()
    if outcome.ok and ask.origin_id is not None:
        line = _("↩️ Returned — {who}, {when}: {reason}", lang=lang, who=scope.actor.name,
                 when=fmt_datetime(d.now(), d.settings.timezone), reason=reason)
        try:  # the completion message shows the decision and loses its buttons, as after ✔️
            await context.bot.edit_message_text(chat_id=int(scope.chat_id), message_id=ask.origin_id,
                                                text=split_message(f"{ask.origin_text.rstrip()}\n\n{line}")[0],
                                                reply_markup=keyboard(None))
        except BadRequest:
            pass
    await reply(update, outcome.text)
    return True


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: the reason a ↩️ question waits for, else the answer to an extension prompt."""
    if await reason_message(update, context):
        return
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return
    replied = message.reply_to_message
    if replied.from_user is not None and replied.from_user.id == context.bot.id \
            and (replied.text or "").startswith(ASK_STARTS):
        d = deps(context)
        with d.session() as session:
            lang = load_scope(session, update, d).lang
        await reply(update, _("This question is no longer open (it was answered, cancelled or the bot restarted): "
                              "nothing was returned. Press ↩️ again.", lang=lang))
        return
    from bot.handlers.tasks import extension_reply

    await extension_reply(update, context)


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: drop the ↩️ question waiting for this person in this chat."""
    d = deps(context)
    user = update.effective_user
    asks = context.chat_data.get(RETURN_ASKS, {}) if context.chat_data is not None else {}
    ask = asks.pop(user.id, None) if user is not None else None
    with d.session() as session:
        lang = load_scope(session, update, d).lang
    if ask is None:
        await reply(update, _("Nothing is waiting for an answer from you here.", lang=lang))
    else:
        await reply(update, _("Cancelled: the completion was not returned.", lang=lang))
