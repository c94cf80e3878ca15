"""Telegram command and button handlers, one small function each (python-telegram-bot examples style).

`register(application)` adds them all; `bot.app.build_application` calls it.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.handlers import calendar, callbacks, evidence, linking, lists, people, record, reports, tasks, web


def register(app: Application) -> None:
    commands = {
        "start": linking.start,
        "link": linking.link,
        "help": linking.help_command,
        "lang": linking.lang_command,
        "tasks": lists.tasks_command,
        "upcoming": lists.upcoming_command,
        "overdue": lists.overdue_command,
        "summary": lists.summary_command,
        "task": tasks.task_command,
        "done": tasks.done_command,
        "progress": tasks.progress_command,
        "extend": tasks.extend_command,
        "return": record.return_command,
        "cancel": record.cancel_command,  # leave the ↩️ button's question unanswered
        "ics": calendar.ics_command,
        "feed": calendar.feed_command,
        "report": reports.report_command,
        "web": web.web_command,
        "nhac": people.nhac_command,  # remind now (issue 24)
        "danhan": people.danhan_command,  # "đã nhận", typed (issue 24)
        "giao": people.giao_command,  # hand a task on (issue 24)
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(callbacks.on_button))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, linking.chat_migrated))
    # Plain text: the reason the ↩️ button asked for (the next message of the person who pressed it), else the
    # answer to a "⏳ Xin gia hạn" prompt (ForceReply: a reply to one of our messages).
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, record.text_message))
    # A file sent as completion evidence: caption "/done KEY …", or a reply to the task's reminder.
    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO, evidence.file_message))
