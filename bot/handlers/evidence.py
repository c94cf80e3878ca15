"""A file sent to the chat as the evidence of a completion (tài liệu kiểm chứng, issue 22).

Two ways, both one message, so a completion and its file are recorded together or not at all:

- the file with the caption "/done KEY [note: report number, its date, the day done]";
- the file sent as a reply to a reminder of the task (the message with the task's buttons), the caption — if any —
  being the note ("/done" in it is allowed and ignored).

Before anything is downloaded the chat's right to report the task done is checked (core/authority.py, as for
/done), then the file's type and the size Telegram announces against EVIDENCE_TYPES and EVIDENCE_MAX_MB. A file
refused for its type or size, or one Telegram does not hand over, records nothing: the reply says why and that the
completion was not reported. A file with any other caption, or none, that answers no reminder is not ours to
take (a group shares many files) and gets no answer.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import buttons as btn
from bot.handlers import flows
from bot.handlers.common import deps, find_task, load_scope, refuse_unlinked, reply
from bot.handlers.tasks import _send_notices
from bot.texts import t
from core.i18n import _, use_language
from storage.completion import Attachment
from storage.evidence import EvidenceError, EvidenceStore
from storage.tables import Task

log = logging.getLogger(__name__)

# Telegram's Bot API hands bots files up to this size (getFile); a larger one cannot be fetched whatever
# EVIDENCE_MAX_MB says.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


def caption_command(message: Message) -> tuple[bool, list[str], str]:
    """(the caption is "/done …", its words after the command, the raw text after the command)."""
    caption = (message.caption or "").strip()
    first, _sep, rest = caption.partition(" ")
    if first.split("@", 1)[0].lower() != "/done":
        return False, caption.split(), caption
    return True, rest.split(), rest.strip()


def reminder_target(message: Message, secret: bytes) -> tuple[int, str] | None:
    """(task id, occurrence key) of the reminder `message` replies to: read from its signed buttons."""
    replied = message.reply_to_message
    if replied is None or replied.reply_markup is None:
        return None
    for row in replied.reply_markup.inline_keyboard:
        for b in row:
            if not b.callback_data:
                continue
            try:
                payload = btn.verify_payload(str(b.callback_data), secret)
            except btn.InvalidPayload:
                continue
            if payload.task_id and payload.occurrence_key:
                return payload.task_id, payload.occurrence_key
    return None


def _the_file(message: Message) -> tuple[str, str, int | None] | None:
    """(file id, the file's name, the size Telegram announces) of a document or a photo."""
    if message.document is not None:
        doc = message.document
        return doc.file_id, doc.file_name or "file", doc.file_size
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        return photo.file_id, f"anh-{photo.file_unique_id}.jpg", photo.file_size
    return None


async def file_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    found = _the_file(message) if message is not None else None
    if found is None:
        return
    d = deps(context)
    is_done, words, raw = caption_command(message)
    target = reminder_target(message, d.settings.secret_for_callbacks())
    if not is_done and target is None:
        return  # a file shared in the chat, not a report
    file_id, filename, announced = found
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        lang = scope.lang
        named = words[0] if is_done and words else None
        if target is not None and (named is None or _names_target(session, named, target)):
            task = session.get(Task, target[0])
            if task is None or task.removed_at is not None or not scope.can_see(task):
                await reply(update, t(lang, "cb_invalid"))
                return
            scope.know(session, task)
            key = target[1]
            note = _after_first_word(raw) if named is not None else raw
        elif named is not None:
            task, problem = find_task(session, scope, named)
            if task is None:
                await reply(update, problem)
                return
            key = flows.current_occurrence(session, d, task)
            note = _after_first_word(raw)
        else:
            await reply(update, _("Send the file with the caption “/done KEY” (the task's key, then the report "
                                  "number and its date if you like), or as a reply to the task's reminder.",
                                  lang=lang))
            return
        # Who may report it done, before anything is fetched (core/authority.py through the chat's scope).
        if (why := scope.refusal_to_act(task)) is not None:
            await reply(update, why)
            return
        store = EvidenceStore.from_settings(d.settings)
        try:
            with use_language(lang):
                store.check(filename, announced if announced else 1)
        except EvidenceError as e:
            await reply(update, _refused(lang, str(e), task.key))
            return
        data = await _download(context, file_id, announced)
        if data is None:
            await reply(update, _refused(lang, _("Telegram did not hand the file over (bots can fetch files of at "
                                                 "most 20 MB).", lang=lang), task.key))
            return
        with use_language(lang):
            outcome = flows.do_done(session, d, scope, task, key, note or None, files=[Attachment(filename, data)])
        if outcome.ok:
            session.commit()
        else:
            session.rollback()
            if not outcome.text.endswith(_("Nothing was recorded.", lang=lang)):
                outcome.text += "\n" + _("Nothing was recorded.", lang=lang)
    await reply(update, outcome.text)
    if outcome.ok:
        await _send_notices(context, outcome)


def _after_first_word(text: str) -> str:
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _names_target(session, key: str, target: tuple[int, str]) -> bool:
    task = session.get(Task, target[0])
    return task is not None and task.key.lower() == key.strip().lower()


def _refused(lang: str, why: str, key: str) -> str:
    return why + "\n" + _("Nothing was recorded: task {key} is not reported done. Send an accepted file again, "
                          "or /done {key} without a file.", lang=lang, key=key)


async def _download(context: ContextTypes.DEFAULT_TYPE, file_id: str, announced: int | None) -> bytes | None:
    if announced is not None and announced > TELEGRAM_DOWNLOAD_LIMIT:
        return None
    try:
        f = await context.bot.get_file(file_id)
        return bytes(await f.download_as_bytearray())
    except TelegramError:
        log.warning("could not fetch file %s from Telegram", file_id, exc_info=True)
        return None
