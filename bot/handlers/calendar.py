"""/ics — this chat's deadlines as an .ics file; /feed — a secret subscription URL (in a group only after a
warning that every member will see it); /feed revoke — revoke this chat's URLs."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot import buttons as btn
from bot.handlers.common import ChatScope, command_args, deps, load_scope, refuse_unlinked, reply
from bot.texts import t
from core.i18n import ngettext
from feeds import service
from storage import feed_tokens as tokens

log = logging.getLogger(__name__)


async def ics_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ics"""
    d = deps(context)
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        if await refuse_unlinked(update, scope):
            return
        if scope.bindings:
            binding = scope.bindings[0]
            data = service.calendar_for_binding(session, binding.id, d.settings, d.now())
            slug = "tat-ca" if scope.sees_all else binding.agency
            label = scope.scope_label()
        else:  # an administrator in a chat that is not linked: every agency
            data = service.calendar_for_all(session, d.settings, d.now())
            slug, label = "tat-ca", t(lang, "all_agencies")
    await update.effective_message.reply_document(
        document=InputFile(data, filename=f"dondoc-{slug}.ics"), caption=t(lang, "ics_caption", agency=label))


async def feed_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feed, /feed revoke"""
    d = deps(context)
    args, _ = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        if await refuse_unlinked(update, scope):
            return
        if args and args[0].lower() not in ("revoke", "thuhoi", "thu-hoi"):
            await reply(update, t(lang, "feed_usage"))
            return
        if args:
            revoked = []
            for b in scope.bindings:
                revoked += tokens.revoke(session, binding_id=b.id, actor=scope.actor, now=d.now())
            session.commit()
            await reply(update, ngettext("Revoked {n} calendar link of this chat; it no longer works.",
                                             "Revoked {n} calendar links of this chat; the old links no longer work.",
                                             len(revoked), lang=lang) if revoked else t(lang, "feed_nothing_to_revoke"))
            return
        if scope.chat_type != "private":
            data = btn.sign_payload(btn.Payload(btn.FEED), d.settings.secret_for_callbacks())
            await reply(update, t(lang, "feed_group_warning"), [[btn.Button(t(lang, "feed_group_button"), data)]])
            return
        await send_feed_link(update, context, session, scope)


async def send_feed_link(update: Update, context: ContextTypes.DEFAULT_TYPE, session, scope: ChatScope) -> None:
    """Issue a token for this chat (or, for an administrator in an unlinked chat, the oversight feed) and
    send its URLs. Plain tokens are never stored, so every call issues a new one; /feed revoke ends them all."""
    d = deps(context)
    lang = scope.lang
    if await refuse_unlinked(update, scope):
        return
    if scope.bindings:
        token = tokens.issue_token(session, "binding", binding_id=scope.bindings[0].id, actor=scope.actor, now=d.now())
        label = scope.scope_label()
    else:
        token = tokens.issue_token(session, "oversight", actor=scope.actor, now=d.now())
        label = t(lang, "all_agencies")
    session.commit()
    url, todo_url = tokens.feed_urls(d.settings.feed_base_url, token)
    from core.i18n import _
    from core.links import webcal_url

    text = t(lang, "feed_url", scope=label, url=url, todo_url=todo_url)
    text += "\n" + _("Subscribe with one click (Apple Calendar, Outlook): {url}", lang=lang, url=webcal_url(url))
    await reply(update, text)
