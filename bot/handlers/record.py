"""/return KEY REASON — the oversight body returns a completion that is not acceptable, with the reason (issue 22).

The task is open again and counted not done; its agency's focal chats are told why through the outbox
(storage.completion.return_completion), like every message the dispatcher sends.
"""

from __future__ import annotations

from sqlmodel import select
from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import flows
from bot.handlers.common import command_args, deps, find_task, load_scope, refuse_unlinked, reply, rest_after
from bot.texts import t
from storage import completion
from storage.actions import ActionError
from storage.tables import OPEN, Occurrence


def do_return(session, d, scope, task, reason: str) -> flows.Outcome:
    if (why := scope.refusal_to_oversee()) is not None:
        return flows.refused(why)
    if not reason:
        return flows.refused(t(scope.lang, "return_usage"))
    if task.deadline_kind == "recurring":  # the period last reported done
        row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.status != OPEN)
                           .order_by(Occurrence.updated_at.desc(), Occurrence.key.desc())).first()
        key = row.key if row is not None else None
    else:
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
