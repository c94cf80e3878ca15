"""/web — a one-time sign-in link to the web console, sent only in a private chat."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update
from telegram.ext import ContextTypes

from bot.handlers.common import deps, load_scope, reply
from dondoc.i18n import _, use_language


async def web_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from web.auth import create_signin_link, person_for, signin_url

    d = deps(context)
    user = update.effective_user
    with d.session() as session:
        scope = load_scope(session, update, d)
        with use_language(scope.lang):
            if scope.chat_type != "private" or user is None:
                # A link in a group could be used by anyone who sees it first.
                await reply(update, _("For your safety, sign-in links are sent only in a private chat: "
                                      "write /web to me directly."))
                return
            if person_for(session, str(user.id), user.full_name, d.settings.admin_user_ids) is None:
                await reply(update, _("This chat is not linked to any agency yet, so the web console has nothing "
                                      "to show you. Ask the administrator for an invite."))
                return
            token, _row = create_signin_link(session, str(user.id), name=user.full_name, created_by=user.full_name
                                             or str(user.id), source="telegram", now=d.now(),
                                             minutes=d.settings.signin_link_minutes)
            session.commit()
            # No link preview: a preview fetch must not be mistaken for the person (the page asks for a click
            # anyway, so the link stays unused until they sign in).
            await reply(update, _("Your sign-in link to the web console (works once, for {minutes} minutes):\n{url}",
                                  minutes=d.settings.signin_link_minutes,
                                  url=signin_url(d.settings.feed_base_url, token)),
                        link_preview_options=LinkPreviewOptions(is_disabled=True))
