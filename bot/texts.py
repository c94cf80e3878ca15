"""What the bot says in reply to commands and buttons: English msgids, translated through the gettext
catalogs (core/locale; see docs/i18n.md).

The conversational replies are named here (`N_` marks them for extraction) because several handlers and
the button answers share them; `t(lang, key, **values)` translates one into `lang` and fills it in.
New texts elsewhere are written in place with `_()` / `ngettext()` from core.i18n.
`split_message(text)` cuts a long text at Telegram's 4,096 characters, on line breaks where it can.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.i18n import N_, _, format_datetime

TELEGRAM_LIMIT = 4096

TEXTS: dict[str, str] = {
    # -- linking ---------------------------------------------------------------------------------------
    "unlinked": N_("This chat is not linked to any agency yet, so I cannot show or update any task here.\n"
        "To link it: ask your dondoc administrator for an invite code for your agency, then send /link CODE "
        "here (or open the invite link they send you)."),
    "welcome": N_("Hello! I am dondoc, the deadline assistant: I send reminders and take progress reports, "
        "completions and extension requests right in the chat."),
    "link_usage": N_("Usage: /link CODE (the code your dondoc administrator gave you)."),
    "linked": N_("✅ This chat is now linked to {agency} as {role}.\nSend /help to see what you can do here."),
    "already_linked": N_("This chat was already linked to {agency} as {role}; the invite code was not used up."),
    "invite_malformed": N_("That is not a valid invite code. Check it (copy it exactly) or ask the administrator for a new one."),
    "invite_unknown": N_("That invite code is not known. Check it (copy it exactly) or ask the administrator for a new one."),
    "invite_used": N_("This invite code has already been used. Each code works once; ask the administrator for a new one."),
    "invite_expired": N_("This invite code expired at {when}. Ask the administrator for a new one."),

    # -- help and language ----------------------------------------------------------------------------
    "help_linked": N_("This chat is linked to:\n{bindings}\n\nWhat you can do here:\n{commands}"),
    "help_buttons": N_("Every reminder has buttons: ✅ Done, 📈 Progress, ⏳ Ask for more time, 👀 Got it."),
    "help_admin": N_("You are a dondoc administrator: you may act on every task."),
    "lang_usage": N_("Usage: /lang {choices}"),
    "lang_set": N_("I will now answer this chat in English."),

    # -- tasks: finding them --------------------------------------------------------------------------
    "task_usage": N_("Usage: /task TASK_KEY, e.g. /task {example}"),
    "unknown_task": N_("No task has the key “{key}”."),
    "unknown_task_suggest": N_("No task has the key “{key}”. Did you mean: {suggestions}?"),
    "not_in_scope": N_("Task {key} is outside this chat's scope (this chat is linked to {scope})."),
    "only_lead": N_("Only the lead agency ({lead}) can update task {key}; this chat is linked to {scope}."),
    "role_cannot_act": N_("A {role} chat does not report progress or completion; the lead agency's focal point "
                        "or leaders do."),
    "only_oversight": N_("Only the oversight body's chat confirms completions and decides extensions."),
    "summary_not_allowed": N_("/summary is for agency leaders', oversight and province leadership chats."),

    # -- tasks: lists ---------------------------------------------------------------------------------
    "list_tasks": N_("📋 Open tasks — {scope} ({n})"),
    "list_overdue": N_("⚠️ Overdue tasks — {scope} ({n})"),
    "list_empty_tasks": N_("No open tasks. 🎉"),
    "list_empty_overdue": N_("Nothing is overdue. 👍"),
    "page": N_("Page {page}/{pages}"),
    "upcoming_usage": N_("The number of days must be a whole number from 1 to 366, e.g. /upcoming 14."),
    "all_agencies": N_("all agencies"),
    "coordinating": N_("coordinating"),
    "due": N_("Due"),
    "due_as_written": N_("as written: {text}"),
    "period": N_("period {due}"),

    # -- /task ----------------------------------------------------------------------------------------
    "task_title": N_("📌 Task {key}"),
    "task_directive": N_("Directive: {number}{issued}{subject}"),
    "task_issued": N_(" of {date}"),
    "task_lead": N_("Lead: {lead}"),
    "task_coordinators": N_("Coordinating: {names}"),
    "task_report_to": N_("Report to: {to}"),
    "task_deadline": N_("Deadline (as written): {text}"),
    "task_occurrence": N_("• {period}due {due}{effective} — {status}"),
    "task_extended": N_(" (extended to {date})"),
    "task_shifted": N_(" (a day off: due {date})"),
    "task_progress_title": N_("Progress:"),
    "task_progress_line": N_("• {when} — {who}: {what}"),
    "task_no_progress": N_("No progress reported yet."),
    "task_extensions_title": N_("Extensions:"),
    "task_extension_line": N_("• {asked} — {who} asked for {requested} ({reason}): {decision}"),
    "decision_pending": N_("awaiting a decision"),
    "decision_approved": N_("approved ({who})"),
    "decision_rejected": N_("rejected ({who})"),
    "acknowledged_by": N_("👀 Acknowledged by {who} at {when}"),

    # -- actions --------------------------------------------------------------------------------------
    "done_usage": N_("Usage: /done TASK_KEY [note or link]"),
    "progress_usage": N_("Usage: /progress TASK_KEY PERCENT [note], e.g. /progress {example} 50 draft ready"),
    "extend_usage": N_("Usage: /extend TASK_KEY DATE REASON, e.g. /extend {example} 30/06/2018 waiting for district figures"),
    "bad_percent": N_("Progress “{text}” is not valid: give a whole number from 0 to 100 (a percent sign may follow), e.g. 50."),
    "bad_date": N_("The date “{text}” is not valid. Write it as day/month/year (dd/mm/yyyy), e.g. 30/06/2018."),
    "done_ok": N_("✅ Task {key}{period} recorded as done — {status}. Thank you, {name}!"),
    "done_pending": N_("🕓 Completion of task {key}{period} reported: awaiting the oversight body's confirmation."),
    "progress_ok": N_("📈 Progress recorded for task {key}{period}: {percent}%."),
    "ack_ok": N_("👀 Noted: {name} has seen task {key}{period}."),
    "extend_prompt": N_("⏳ More time for task {key}{period} (deadline in force {due}).\n{name}, reply to this message with "
                      "the new date (dd/mm/yyyy) and the reason, e.g.:\n{example_date} Waiting for district figures"),
    "extend_placeholder": N_("dd/mm/yyyy reason"),
    "extend_reply_missing_reason": N_("The reason is missing. Reply to the request again: the new date (dd/mm/yyyy), then the reason."),
    "extend_prompt_expired": N_("This request has lapsed (the bot may have restarted). Press ⏳ again or send "
                              "/extend TASK_KEY DATE REASON."),
    "extend_asked": N_("⏳ Your request to extend task {key}{period} to {date} went to the oversight body. "
                     "I will tell this chat when they decide."),
    "no_oversight_chat": N_("Note: no oversight chat is linked yet to decide it; please tell the administrator."),
    "extension_request": N_("⏳ Extension request\nTask {key}: {content}\nLead: {lead}\nDeadline in force: {previous} → "
                          "asked: {requested}\nReason: {reason}\nAsked by: {who}"),
    "extension_approved_note": N_("✔️ Extension approved — {who}, {when}"),
    "extension_rejected_note": N_("✖️ Extension rejected — {who}, {when}"),
    "extension_approved_tell": N_("✔️ The oversight body approved more time for task {key}: new deadline {date} ({who})."),
    "extension_rejected_tell": N_("✖️ The oversight body rejected the extension of task {key}; the deadline stays {date} ({who})."),
    "completion_request": N_("🕓 Completion awaiting confirmation\nTask {key}: {content}\nLead: {lead}\nDue: {due}\n"
                           "Reported done on: {completed}{note}\nReported by: {who}"),
    "note_line": N_("\nNote: {note}"),
    "completion_confirmed_note": N_("✔️ Completion confirmed — {who}, {when}"),
    "completion_rejected_note": N_("↩️ Sent back — {who}, {when}"),
    "completion_confirmed_tell": N_("✔️ The oversight body confirmed task {key} as done — {status}."),
    "completion_rejected_tell": N_("↩️ The oversight body did not confirm task {key} as done; it is open again."),
    "err_done_in_future": N_("The day it was done ({date}) is after today ({today}); nothing recorded."),
    "err_done_before_assigned": N_("The day it was done ({date}) is before the task was given ({first}); nothing "
                                   "recorded."),
    "err_document_in_future": N_("The document's date ({date}) is after today ({today}); nothing recorded."),
    "return_usage": N_("Usage: /return TASK_KEY REASON — the completion is returned and the agency is told why"),
    "return_ok": N_("↩️ Completion of task {key} returned: it is open again; the agency is told why."),
    "return_nothing": N_("Task {key} is not reported done: there is nothing to return."),

    # -- action refusals (storage.actions.ActionError codes) ------------------------------------------
    "err_already_done": N_("Task {key}{period} was already marked done; nothing changed."),
    "err_already_pending": N_("Task {key}{period} is already awaiting the oversight body's confirmation."),
    "err_not_pending": N_("Task {key}{period} is not awaiting confirmation; nothing changed."),
    "err_no_deadline": N_("Task {key} is ongoing and has no deadline to extend."),
    "err_date_not_later": N_("The new date must be after the deadline in force ({current})."),
    "err_date_in_past": N_("The new date {date} is in the past; pick today ({today}) or later."),
    "err_extension_pending": N_("A request for {date} is already awaiting a decision; please wait for the oversight body."),
    "err_already_decided": N_("This request was already decided ({decision}, {who})."),
    "err_already_acknowledged": N_("{who} already acknowledged this at {when}."),
    "err_removed": N_("Task {key} was removed from the registry."),
    "err_no_reason": N_("Please give a reason for the extension."),
    "err_generic": N_("Could not do it: {message}"),
    "nothing_open": N_("Task {key} has no open period."),

    # -- buttons (answerCallbackQuery: short) ---------------------------------------------------------
    "cb_invalid": N_("This button is not valid (or no longer valid)."),
    "cb_stale": N_("This message was out of date: the task changed. It now shows the latest state — press again if needed."),
    "cb_done": N_("Recorded as done ✅"),
    "cb_done_pending": N_("Reported done, awaiting confirmation 🕓"),
    "cb_progress": N_("Recorded {percent}%"),
    "cb_pick_percent": N_("Pick the progress"),
    "cb_ack": N_("Noted: you have seen it 👀"),
    "cb_extend": N_("Reply to the message I just sent: new date and reason"),
    "cb_confirmed": N_("Confirmed ✔️"),
    "cb_rejected": N_("Sent back ↩️"),
    "cb_approved": N_("Extension approved ✔️"),
    "cb_denied": N_("Extension rejected ✖️"),
    "cb_page": N_("Page {page}"),

    # -- the state block added under a reminder after a press -----------------------------------------
    "state_header": N_("— Update —"),
    "state_status": N_("Status: {status}"),
    "state_progress": N_("📈 Progress: {percent}% ({who}, {when})"),
    "state_progress_note": N_("📈 Progress: {note} ({who}, {when})"),
    "state_extension": N_("⏳ Extension to {date} requested: awaiting a decision"),
    "state_due": N_("Deadline in force: {date}"),

    # -- summary --------------------------------------------------------------------------------------
    "summary_title": N_("📊 Task status summary as of {today} — {scope}"),
    "summary_total": N_("Total"),
    "summary_overdue": N_("Overdue tasks ({n}):"),
    "summary_empty": N_("No tasks yet."),

    # -- calendars ------------------------------------------------------------------------------------
    "ics_caption": N_("📅 Deadlines of {agency}. Open the file to add them to your calendar; for a calendar that stays "
                    "up to date, use /feed."),
    "feed_group_warning": N_("⚠️ A calendar link is a secret: anyone who has it can see the deadlines. Sent in this group, "
                           "every member will see it. You can message me privately to get it, or press the button "
                           "below to send it here."),
    "feed_group_button": N_("I understand, send it here"),
    "feed_url": N_("🔗 Calendar subscription link for {scope}:\n{url}\n\nAdd it in Google Calendar/Outlook/Apple Calendar "
                 "with \"Add calendar from URL\". As tasks (Thunderbird): {todo_url}\nRevoke every link of this chat: "
                 "/feed revoke"),
    "feed_nothing_to_revoke": N_("This chat has no active calendar link."),
    "feed_usage": N_("Usage: /feed to get the calendar link, /feed revoke to revoke it."),

    # -- generic --------------------------------------------------------------------------------------
    "internal_error": N_("Sorry, something went wrong handling that; nothing was changed. The administrator can check the log."),
}

# The commands registered with set_my_commands, and what /help lists, in order; roles that may use each.
COMMANDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("help", N_("What this chat is linked to and can do"), ()),
    ("tasks", N_("Open tasks, soonest first"), ()),
    ("task", N_("One task in detail: /task KEY"), ()),
    ("upcoming", N_("Due soon: /upcoming [days]"), ()),
    ("overdue", N_("Overdue tasks"), ()),
    ("done", N_("Report done: /done KEY [note]"), ("focal", "manager")),
    ("progress", N_("Report progress: /progress KEY PERCENT [note]"),
     ("focal", "manager")),
    ("extend", N_("Ask for more time: /extend KEY DATE REASON"), ("focal", "manager")),
    ("return", N_("Return a completion: /return KEY REASON"), ("oversight",)),
    ("ics", N_("The .ics calendar file of the deadlines"), ()),
    ("feed", N_("Calendar subscription link (/feed revoke)"), ()),
    ("summary", N_("Counts per status and the overdue list"),
     ("manager", "oversight", "leadership")),
    ("report", N_("Report for a period (XLSX, chart): /report [Q3 2026]"), ("oversight", "leadership")),
    ("web", N_("A sign-in link to the web console (sent in a private chat)"), ()),
    ("lang", N_("Language: /lang {choices}"), ()),
]


def t(lang: str | None, name: str, /, **values: object) -> str:
    """The text named `name` in `lang` (None: the current language), with `{values}` filled in."""
    return _(TEXTS[name], lang=lang, **values)


def fmt_datetime(dt: datetime | None, tz: ZoneInfo) -> str:
    """HH:MM dd/mm/yyyy in local time."""
    return format_datetime(None if dt is None else dt.astimezone(tz))


def shorten(text: str, limit: int) -> str:
    from core.text import cut

    return cut(text, limit)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut `text` into pieces of at most `limit` characters: at the last line break of the window if that
    keeps the piece at least half full, else at a space, else hard; no piece is empty."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", limit // 2, limit + 1)
        if cut <= 0:
            cut = limit
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if head:
            pieces.append(head)
    if rest.strip():
        pieces.append(rest)
    return pieces or [""]
