"""Telegram commands of issue 24: /nhac KEY (remind now: the oversight body and the lead agency's leader),
/danhan KEY ("đã nhận", typed rather than pressed: a person's hand-over, or the agency's task) and
/giao KEY PERSON [dd/mm/yyyy] (hand a task on: the lead agency's focal point or leader)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import flows
from bot.handlers.common import command_args, deps, example_key, find_task, load_scope, refuse_unlinked, reply
from core.i18n import _


async def _with_task(update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, act) -> None:
    d = deps(context)
    args, _raw = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        if not args and usage == "danhan" and len(scope.person_tasks) == 1:
            from storage.tables import Task

            task = session.get(Task, next(iter(scope.person_tasks)))
            args = [task.key] if task is not None else args
        if not args:
            await reply(update, _("Usage: /{command} KEY, e.g. /{command} {example}", lang=scope.lang, command=usage,
                                  example=example_key(session, scope)))
            return
        task, problem = find_task(session, scope, args[0])
        if task is None:
            await reply(update, problem)
            return
        text, ok = act(session, d, scope, task)
        session.commit() if ok else session.rollback()
    await reply(update, text)


async def nhac_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nhac KEY"""
    from bot.person_messages import remind_from_chat

    await _with_task(update, context, "nhac", remind_from_chat)


async def danhan_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/danhan [KEY]"""
    def act(session, d, scope, task):
        out = flows.do_ack(session, d, scope, task, flows.current_occurrence(session, d, task))
        return out.text, out.ok

    await _with_task(update, context, "danhan", act)


async def giao_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/giao KEY PERSON [dd/mm/yyyy]"""
    from bot.person_messages import delegate_from_chat

    args, _raw = command_args(update)

    def act(session, d, scope, task):
        return delegate_from_chat(session, d, scope, task, args[1:])

    await _with_task(update, context, "giao", act)
