"""/web — a one-time sign-in link to the web console, always delivered in a private chat.

In a private chat the link comes back there; its roles are the private chat's bindings. Written in a linked
group, the link is sent to the person privately (a link posted in the group could be used by anyone who saw
it first) and also carries the group's roles: writing there shows they are in it, and in the chat anyone in
a linked group already acts for it.
"""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.handlers.common import deps, load_scope, reply
from core.i18n import _, use_language

# No link preview: a preview fetch must not be mistaken for the person (the page asks for a click anyway).
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def web_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from storage.signin import create_signin_link, person_for, signin_url

    d = deps(context)
    user = update.effective_user
    with d.session() as session:
        scope = load_scope(session, update, d)
        with use_language(scope.lang):
            if user is None:
                return
            private = scope.chat_type == "private"
            via_chat = None if private else scope.chat_id
            if not private:  # the console decides as the chat does: a group's administrators only
                await scope.learn_membership(context.bot)
            if person_for(session, str(user.id), user.full_name, d.settings.admin_user_ids, via_chat) is None:
                await reply(update, _("This chat is not linked to any agency yet, so the web console has nothing "
                                      "to show you. Ask the administrator for an invite."))
                return
            token, _row = create_signin_link(session, str(user.id), name=user.full_name, created_by=user.full_name
                                             or str(user.id), source="telegram", now=d.now(),
                                             minutes=d.settings.signin_link_minutes, via_chat=via_chat,
                                             via_chat_admin=scope.member_status in ("creator", "administrator"))
            text = _("Your sign-in link to the web console (works once, for {minutes} minutes):\n{url}",
                     minutes=d.settings.signin_link_minutes, url=signin_url(d.settings.feed_base_url, token))
            if private:
                session.commit()
                await reply(update, text, link_preview_options=NO_PREVIEW)
                return
            try:
                await context.bot.send_message(chat_id=user.id, text=text, link_preview_options=NO_PREVIEW)
            except Forbidden:  # they never opened a private chat with the bot, or blocked it
                session.rollback()
                await reply(update, _("I cannot write to you privately yet: open a private chat with me, press "
                                      "Start, then send /web here again."))
                return
            session.commit()
            await reply(update, _("I have sent you a sign-in link in a private chat."))
