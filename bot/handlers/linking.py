"""/start, /link: linking a chat with an invite code; /help and /lang."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import invites
from bot.handlers.common import PLATFORM, command_args, deps, load_scope, may_tell_unlinked, reply
from bot.i18n import role_label
from bot.texts import COMMANDS, fmt_datetime, t
from core.i18n import _, available_languages
from storage import audit


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [CODE] — Telegram sends the deep link's code as the argument."""
    if context.args:
        await _link(update, context, context.args[0])
        return
    await help_command(update, context, welcome=True)


async def link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link CODE"""
    if not context.args:
        d = deps(context)
        with d.session() as session:
            scope = load_scope(session, update, d)
        await reply(update, t(scope.lang, "link_usage"))
        return
    await _link(update, context, context.args[0])


async def _link(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    d = deps(context)
    chat = update.effective_chat
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        from bot.person_messages import person_link  # a person's own code (issue 24), else an agency's

        said = person_link(session, code, platform=PLATFORM, chat_id=str(update.effective_user.id if
                           update.effective_user else chat.id), private=chat.type == "private", actor=scope.actor,
                           now=d.now(), lang=lang)
        if said is not None:
            session.commit()
            await reply(update, said)
            return
        try:
            result = invites.redeem_invite(session, code, platform=PLATFORM, chat_id=str(chat.id),
                                           title=chat.title or chat.full_name, actor=scope.actor, now=d.now(),
                                           chat_type=chat.type)
        except invites.InviteError as e:
            session.rollback()
            if e.code == "group_only":
                await reply(update, _("This invite is for the oversight body's group: add me to that group and "
                                      "send /link CODE there. The code is still valid.", lang=lang))
                return
            when = fmt_datetime(e.info.get("expires_at"), d.settings.timezone) if e.code == "expired" else ""
            await reply(update, t(lang, f"invite_{e.code}", when=when))
            return
        session.commit()
        binding = result.binding
        from bot.handlers.common import agency_names

        name = agency_names(session, {binding.agency}).get(binding.agency, binding.agency)
        key = "already_linked" if result.already_linked else "linked"
        await reply(update, t(lang, key, agency=name, role=role_label(binding.role, lang)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE, welcome: bool = False) -> None:
    """/help — what this chat is linked to and what it can do here."""
    d = deps(context)
    with d.session() as session:
        scope = load_scope(session, update, d)
    lang = scope.lang
    if not scope.linked and not scope.is_admin:
        text = t(lang, "unlinked")
        if may_tell_unlinked(scope):
            await reply(update, (t(lang, "welcome") + "\n\n" + text) if welcome else text)
        return
    lines = []
    for name, description, roles in COMMANDS:
        if roles and not scope.is_admin and not (scope.roles & set(roles)):
            continue
        lines.append(f"/{name} — {_(description, lang=lang, choices=language_choices())}")
    bindings = "\n".join(scope.binding_lines()) or "—"
    text = t(lang, "help_linked", bindings=bindings, commands="\n".join(lines))
    if scope.roles & {"focal", "manager"} or scope.is_admin:
        text += "\n\n" + t(lang, "help_buttons")
    if scope.is_admin:
        text += "\n" + t(lang, "help_admin")
    if welcome:
        text = t(lang, "welcome") + "\n\n" + text
    await reply(update, text)


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lang vi|en — the language of this chat's messages (stored on its bindings)."""
    d = deps(context)
    args, _ = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        choice = args[0].lower() if args else ""
        if choice not in available_languages():
            await reply(update, t(scope.lang, "lang_usage", choices=language_choices()))
            return
        if not scope.linked:
            if may_tell_unlinked(scope):
                await reply(update, t(choice, "unlinked"))
            return
        now = d.now()
        for b in scope.bindings:
            b.language = choice
            b.updated_at = now
            session.add(b)
        audit.record(session, at=now, actor=scope.actor.name, actor_id=scope.actor.id, source=scope.actor.source,
                     action="binding.language", entity="binding", entity_key=f"{PLATFORM}:{scope.chat_id}",
                     language=choice)
        session.commit()
    await reply(update, t(choice, "lang_set"))


def language_choices() -> str:
    """The languages /lang accepts: every language with a catalog ("vi | en")."""
    return " | ".join(available_languages())


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup and got a new id: its bindings and outbox history follow it (merged with
    what the new id already has — storage.chat_moves), so reminders keep arriving and none is sent twice.
    Telegram posts two service messages (migrate_to in the old group, migrate_from in the new one); either
    does the move, the other finds nothing left."""
    from sqlalchemy.exc import IntegrityError

    from storage.chat_moves import move_chat

    message = update.effective_message
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    d = deps(context)
    for attempt in (1, 2):  # the dispatcher may be moving the same chat at this moment: then once more
        with d.session() as session:
            try:
                move_chat(session, PLATFORM, str(old), str(new), now=d.now())
                session.commit()
                return
            except IntegrityError:
                session.rollback()
                if attempt == 2:
                    raise
