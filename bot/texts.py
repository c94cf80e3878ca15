"""What the bot says in reply to commands and buttons, in Vietnamese (default) and English.

Reminder and escalation texts live in `bot/notifications.py`; these are the conversational replies.
`t(lang, key, **values)` formats one text; `split_message(text)` cuts a long text at Telegram's 4,096
characters, on line breaks where it can.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TELEGRAM_LIMIT = 4096

TEXTS: dict[str, tuple[str, str]] = {
    # -- linking ---------------------------------------------------------------------------------------
    "unlinked": (
        "Nhóm này chưa được liên kết với cơ quan nào, nên tôi chưa thể cho xem hay cập nhật nhiệm vụ ở đây.\n"
        "Để liên kết: đề nghị quản trị viên dondoc tạo mã mời cho cơ quan của bạn, rồi gửi /link MÃ_MỜI "
        "tại đây (hoặc bấm đường dẫn mời quản trị viên gửi).",
        "This chat is not linked to any agency yet, so I cannot show or update any task here.\n"
        "To link it: ask your dondoc administrator for an invite code for your agency, then send /link CODE "
        "here (or open the invite link they send you).",
    ),
    "welcome": (
        "Xin chào! Tôi là dondoc — trợ lý đôn đốc thực hiện nhiệm vụ: nhắc hạn, nhận báo cáo tiến độ, "
        "hoàn thành và đề nghị gia hạn ngay trong nhóm chat.",
        "Hello! I am dondoc, the deadline assistant: I send reminders and take progress reports, "
        "completions and extension requests right in the chat.",
    ),
    "link_usage": ("Cách dùng: /link MÃ_MỜI (mã do quản trị viên dondoc cấp).",
                   "Usage: /link CODE (the code your dondoc administrator gave you)."),
    "linked": ("✅ Đã liên kết nhóm này với {agency} — vai trò {role}.\nGõ /help để xem các lệnh dùng được ở đây.",
               "✅ This chat is now linked to {agency} as {role}.\nSend /help to see what you can do here."),
    "already_linked": ("Nhóm này đã được liên kết với {agency} — vai trò {role} từ trước; mã mời chưa bị dùng.",
                       "This chat was already linked to {agency} as {role}; the invite code was not used up."),
    "invite_malformed": ("Mã mời không hợp lệ. Hãy kiểm tra lại mã (chép nguyên văn) hoặc xin quản trị viên mã mới.",
                         "That is not a valid invite code. Check it (copy it exactly) or ask the administrator for a new one."),
    "invite_unknown": ("Mã mời không đúng. Hãy kiểm tra lại mã (chép nguyên văn) hoặc xin quản trị viên mã mới.",
                       "That invite code is not known. Check it (copy it exactly) or ask the administrator for a new one."),
    "invite_used": ("Mã mời này đã được dùng. Mỗi mã chỉ dùng được một lần; hãy xin quản trị viên mã mới.",
                    "This invite code has already been used. Each code works once; ask the administrator for a new one."),
    "invite_expired": ("Mã mời đã hết hạn lúc {when}. Hãy xin quản trị viên mã mới.",
                       "This invite code expired at {when}. Ask the administrator for a new one."),

    # -- help and language ----------------------------------------------------------------------------
    "help_linked": ("Nhóm này được liên kết với:\n{bindings}\n\nCác lệnh dùng được ở đây:\n{commands}",
                    "This chat is linked to:\n{bindings}\n\nWhat you can do here:\n{commands}"),
    "help_buttons": ("Dưới mỗi tin nhắc hạn có các nút ✅ Hoàn thành, 📈 Tiến độ, ⏳ Xin gia hạn, 👀 Đã nhận.",
                     "Every reminder has buttons: ✅ Done, 📈 Progress, ⏳ Ask for more time, 👀 Got it."),
    "help_admin": ("Bạn là quản trị viên dondoc: bạn có thể cập nhật mọi nhiệm vụ.",
                   "You are a dondoc administrator: you may act on every task."),
    "lang_usage": ("Cách dùng: /lang vi hoặc /lang en", "Usage: /lang vi or /lang en"),
    "lang_set": ("Từ nay tôi trả lời nhóm này bằng tiếng Việt.", "I will now answer this chat in English."),

    # -- tasks: finding them --------------------------------------------------------------------------
    "task_usage": ("Cách dùng: /task MÃ_NHIỆM_VỤ, ví dụ /task {example}", "Usage: /task TASK_KEY, e.g. /task {example}"),
    "unknown_task": ("Không tìm thấy nhiệm vụ có mã «{key}».", "No task has the key “{key}”."),
    "unknown_task_suggest": ("Không tìm thấy nhiệm vụ có mã «{key}». Có phải bạn muốn: {suggestions}?",
                             "No task has the key “{key}”. Did you mean: {suggestions}?"),
    "not_in_scope": ("Nhiệm vụ {key} không thuộc phạm vi của nhóm này (nhóm được liên kết với {scope}).",
                     "Task {key} is outside this chat's scope (this chat is linked to {scope})."),
    "only_lead": ("Chỉ cơ quan chủ trì ({lead}) mới cập nhật được nhiệm vụ {key}; nhóm này được liên kết với {scope}.",
                  "Only the lead agency ({lead}) can update task {key}; this chat is linked to {scope}."),
    "role_cannot_act": ("Nhóm {role} không cập nhật tiến độ hay hoàn thành nhiệm vụ; việc này do cán bộ đầu mối "
                        "hoặc lãnh đạo của cơ quan chủ trì thực hiện.",
                        "A {role} chat does not report progress or completion; the lead agency's focal point "
                        "or leaders do."),
    "only_oversight": ("Chỉ nhóm của cơ quan thường trực mới xác nhận hoàn thành và quyết định gia hạn.",
                       "Only the oversight body's chat confirms completions and decides extensions."),
    "summary_not_allowed": ("/summary dành cho nhóm lãnh đạo đơn vị, cơ quan thường trực và lãnh đạo tỉnh.",
                            "/summary is for agency leaders', oversight and province leadership chats."),

    # -- tasks: lists ---------------------------------------------------------------------------------
    "list_tasks": ("📋 Nhiệm vụ đang thực hiện — {scope} ({n})", "📋 Open tasks — {scope} ({n})"),
    "list_upcoming": ("📅 Đến hạn trong {days} ngày tới — {scope} ({n})", "📅 Due in the next {days} days — {scope} ({n})"),
    "list_overdue": ("⚠️ Nhiệm vụ quá hạn — {scope} ({n})", "⚠️ Overdue tasks — {scope} ({n})"),
    "list_empty_tasks": ("Không có nhiệm vụ nào đang mở. 🎉", "No open tasks. 🎉"),
    "list_empty_upcoming": ("Không có nhiệm vụ nào đến hạn trong {days} ngày tới.", "Nothing is due in the next {days} days."),
    "list_empty_overdue": ("Không có nhiệm vụ nào quá hạn. 👍", "Nothing is overdue. 👍"),
    "page": ("Trang {page}/{pages}", "Page {page}/{pages}"),
    "upcoming_usage": ("Số ngày phải là số nguyên từ 1 đến 366, ví dụ /upcoming 14.",
                       "The number of days must be a whole number from 1 to 366, e.g. /upcoming 14."),
    "all_agencies": ("tất cả cơ quan", "all agencies"),
    "coordinating": ("phối hợp", "coordinating"),
    "due": ("Hạn", "Due"),
    "due_as_written": ("như văn bản: {text}", "as written: {text}"),
    "period": ("kỳ {due}", "period {due}"),

    # -- /task ----------------------------------------------------------------------------------------
    "task_title": ("📌 Nhiệm vụ {key}", "📌 Task {key}"),
    "task_directive": ("Văn bản: {number}{issued}{subject}", "Directive: {number}{issued}{subject}"),
    "task_issued": (" ngày {date}", " of {date}"),
    "task_lead": ("Chủ trì: {lead}", "Lead: {lead}"),
    "task_coordinators": ("Phối hợp: {names}", "Coordinating: {names}"),
    "task_report_to": ("Báo cáo về: {to}", "Report to: {to}"),
    "task_deadline": ("Thời hạn (như văn bản): {text}", "Deadline (as written): {text}"),
    "task_occurrence": ("• {period}hạn {due}{effective} — {status}", "• {period}due {due}{effective} — {status}"),
    "task_extended": (" (gia hạn đến {date})", " (extended to {date})"),
    "task_shifted": (" (trùng ngày nghỉ, hạn thực tế {date})", " (a day off: due {date})"),
    "task_progress_title": ("Tiến độ:", "Progress:"),
    "task_progress_line": ("• {when} — {who}: {what}", "• {when} — {who}: {what}"),
    "task_no_progress": ("Chưa có báo cáo tiến độ.", "No progress reported yet."),
    "task_extensions_title": ("Gia hạn:", "Extensions:"),
    "task_extension_line": ("• {asked} — {who} xin đến {requested} ({reason}): {decision}",
                            "• {asked} — {who} asked for {requested} ({reason}): {decision}"),
    "decision_pending": ("chờ quyết định", "awaiting a decision"),
    "decision_approved": ("đã đồng ý ({who})", "approved ({who})"),
    "decision_rejected": ("không đồng ý ({who})", "rejected ({who})"),
    "acknowledged_by": ("👀 Đã nhận: {who} lúc {when}", "👀 Acknowledged by {who} at {when}"),

    # -- actions --------------------------------------------------------------------------------------
    "done_usage": ("Cách dùng: /done MÃ_NHIỆM_VỤ [ghi chú hoặc đường dẫn văn bản]",
                   "Usage: /done TASK_KEY [note or link]"),
    "progress_usage": ("Cách dùng: /progress MÃ_NHIỆM_VỤ PHẦN_TRĂM [ghi chú], ví dụ /progress {example} 50 đã xong dự thảo",
                       "Usage: /progress TASK_KEY PERCENT [note], e.g. /progress {example} 50 draft ready"),
    "extend_usage": ("Cách dùng: /extend MÃ_NHIỆM_VỤ NGÀY LÝ_DO, ví dụ /extend {example} 30/06/2018 chờ số liệu của các huyện",
                     "Usage: /extend TASK_KEY DATE REASON, e.g. /extend {example} 30/06/2018 waiting for district figures"),
    "bad_percent": ("Tiến độ «{text}» không hợp lệ: hãy ghi một số nguyên từ 0 đến 100 (có thể kèm %), ví dụ 50.",
                    "Progress “{text}” is not valid: give a whole number from 0 to 100 (a % sign is fine), e.g. 50."),
    "bad_date": ("Ngày «{text}» không hợp lệ. Hãy viết theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 30/06/2018.",
                 "The date “{text}” is not valid. Write it as day/month/year (dd/mm/yyyy), e.g. 30/06/2018."),
    "done_ok": ("✅ Đã ghi nhận hoàn thành nhiệm vụ {key}{period} — {status}. Cảm ơn {name}!",
                "✅ Task {key}{period} recorded as done — {status}. Thank you, {name}!"),
    "done_pending": ("🕓 Đã ghi nhận báo cáo hoàn thành nhiệm vụ {key}{period}: chờ cơ quan thường trực xác nhận.",
                     "🕓 Completion of task {key}{period} reported: awaiting the oversight body's confirmation."),
    "progress_ok": ("📈 Đã ghi nhận tiến độ {percent} % cho nhiệm vụ {key}{period}.",
                    "📈 Progress {percent}% recorded for task {key}{period}."),
    "ack_ok": ("👀 Đã ghi nhận: {name} đã nhận nhiệm vụ {key}{period}.", "👀 Noted: {name} has seen task {key}{period}."),
    "extend_prompt": ("⏳ Xin gia hạn nhiệm vụ {key}{period} (hạn hiện tại {due}).\n{name}, hãy trả lời tin nhắn này với "
                      "ngày mới (dd/mm/yyyy) và lý do, ví dụ:\n{example_date} Chờ số liệu của các huyện",
                      "⏳ More time for task {key}{period} (deadline in force {due}).\n{name}, reply to this message with "
                      "the new date (dd/mm/yyyy) and the reason, e.g.:\n{example_date} Waiting for district figures"),
    "extend_placeholder": ("dd/mm/yyyy lý do", "dd/mm/yyyy reason"),
    "extend_reply_missing_reason": ("Thiếu lý do. Hãy trả lời lại tin nhắn xin gia hạn: ngày mới (dd/mm/yyyy) rồi lý do.",
                                    "The reason is missing. Reply to the request again: the new date (dd/mm/yyyy), then the reason."),
    "extend_prompt_expired": ("Yêu cầu này đã hết hiệu lực (có thể do bot khởi động lại). Hãy bấm ⏳ Xin gia hạn lần nữa "
                              "hoặc gửi /extend MÃ_NHIỆM_VỤ NGÀY LÝ_DO.",
                              "This request has lapsed (the bot may have restarted). Press ⏳ again or send "
                              "/extend TASK_KEY DATE REASON."),
    "extend_asked": ("⏳ Đã gửi đề nghị gia hạn nhiệm vụ {key}{period} đến {date} tới cơ quan thường trực. "
                     "Tôi sẽ báo tại đây khi có quyết định.",
                     "⏳ Your request to extend task {key}{period} to {date} went to the oversight body. "
                     "I will tell this chat when they decide."),
    "no_oversight_chat": ("Lưu ý: chưa có nhóm cơ quan thường trực nào được liên kết để duyệt; hãy báo quản trị viên.",
                          "Note: no oversight chat is linked yet to decide it; please tell the administrator."),
    "extension_request": ("⏳ Đề nghị gia hạn\nNhiệm vụ {key}: {content}\nChủ trì: {lead}\nHạn hiện tại: {previous} → "
                          "đề nghị: {requested}\nLý do: {reason}\nNgười đề nghị: {who}",
                          "⏳ Extension request\nTask {key}: {content}\nLead: {lead}\nDeadline in force: {previous} → "
                          "asked: {requested}\nReason: {reason}\nAsked by: {who}"),
    "extension_approved_note": ("✔️ Đã đồng ý gia hạn — {who}, {when}", "✔️ Extension approved — {who}, {when}"),
    "extension_rejected_note": ("✖️ Không đồng ý gia hạn — {who}, {when}", "✖️ Extension rejected — {who}, {when}"),
    "extension_approved_tell": ("✔️ Cơ quan thường trực đã đồng ý gia hạn nhiệm vụ {key} đến {date} ({who}).",
                                "✔️ The oversight body approved more time for task {key}: new deadline {date} ({who})."),
    "extension_rejected_tell": ("✖️ Cơ quan thường trực không đồng ý gia hạn nhiệm vụ {key}; hạn vẫn là {date} ({who}).",
                                "✖️ The oversight body rejected the extension of task {key}; the deadline stays {date} ({who})."),
    "completion_request": ("🕓 Báo cáo hoàn thành chờ xác nhận\nNhiệm vụ {key}: {content}\nChủ trì: {lead}\nHạn: {due}\n"
                           "Ngày báo hoàn thành: {completed}{note}\nNgười báo cáo: {who}",
                           "🕓 Completion awaiting confirmation\nTask {key}: {content}\nLead: {lead}\nDue: {due}\n"
                           "Reported done on: {completed}{note}\nReported by: {who}"),
    "note_line": ("\nGhi chú: {note}", "\nNote: {note}"),
    "completion_confirmed_note": ("✔️ Đã xác nhận hoàn thành — {who}, {when}", "✔️ Completion confirmed — {who}, {when}"),
    "completion_rejected_note": ("↩️ Chưa xác nhận, đã trả lại — {who}, {when}", "↩️ Sent back — {who}, {when}"),
    "completion_confirmed_tell": ("✔️ Cơ quan thường trực đã xác nhận hoàn thành nhiệm vụ {key} — {status}.",
                                  "✔️ The oversight body confirmed task {key} as done — {status}."),
    "completion_rejected_tell": ("↩️ Cơ quan thường trực chưa xác nhận hoàn thành nhiệm vụ {key}; nhiệm vụ được mở lại.",
                                 "↩️ The oversight body did not confirm task {key} as done; it is open again."),

    # -- action refusals (storage.actions.ActionError codes) ------------------------------------------
    "err_already_done": ("Nhiệm vụ {key}{period} đã được đánh dấu hoàn thành từ trước; không có gì thay đổi.",
                         "Task {key}{period} was already marked done; nothing changed."),
    "err_already_pending": ("Nhiệm vụ {key}{period} đang chờ cơ quan thường trực xác nhận hoàn thành.",
                            "Task {key}{period} is already awaiting the oversight body's confirmation."),
    "err_not_pending": ("Nhiệm vụ {key}{period} không ở trạng thái chờ xác nhận; không có gì thay đổi.",
                        "Task {key}{period} is not awaiting confirmation; nothing changed."),
    "err_no_deadline": ("Nhiệm vụ {key} là nhiệm vụ thường xuyên, không có hạn để gia hạn.",
                        "Task {key} is ongoing and has no deadline to extend."),
    "err_date_not_later": ("Ngày xin gia hạn phải sau hạn đang áp dụng ({current}).",
                           "The new date must be after the deadline in force ({current})."),
    "err_date_in_past": ("Ngày xin gia hạn {date} đã qua; hãy chọn một ngày từ hôm nay ({today}) trở đi.",
                         "The new date {date} is in the past; pick today ({today}) or later."),
    "err_extension_pending": ("Đã có đề nghị gia hạn đến {date} đang chờ quyết định; hãy đợi cơ quan thường trực trả lời.",
                              "A request for {date} is already awaiting a decision; please wait for the oversight body."),
    "err_already_decided": ("Đề nghị này đã được quyết định trước đó ({decision}, {who}).",
                            "This request was already decided ({decision}, {who})."),
    "err_already_acknowledged": ("{who} đã nhận nhiệm vụ này lúc {when}.", "{who} already acknowledged this at {when}."),
    "err_removed": ("Nhiệm vụ {key} đã bị gỡ khỏi danh mục.", "Task {key} was removed from the registry."),
    "err_no_reason": ("Hãy ghi lý do xin gia hạn.", "Please give a reason for the extension."),
    "err_generic": ("Không thực hiện được: {message}", "Could not do it: {message}"),
    "nothing_open": ("Nhiệm vụ {key} không còn kỳ nào đang mở.", "Task {key} has no open period."),

    # -- buttons (answerCallbackQuery: short) ---------------------------------------------------------
    "cb_invalid": ("Nút này không hợp lệ hoặc đã hết hiệu lực.", "This button is not valid (or no longer valid)."),
    "cb_stale": ("Tin nhắn đã cũ: nhiệm vụ đã thay đổi. Đã cập nhật trạng thái mới nhất — hãy bấm lại nếu cần.",
                 "This message was out of date: the task changed. It now shows the latest state — press again if needed."),
    "cb_done": ("Đã ghi nhận hoàn thành ✅", "Recorded as done ✅"),
    "cb_done_pending": ("Đã báo hoàn thành, chờ xác nhận 🕓", "Reported done, awaiting confirmation 🕓"),
    "cb_progress": ("Đã ghi nhận {percent} %", "Recorded {percent}%"),
    "cb_pick_percent": ("Chọn mức tiến độ", "Pick the progress"),
    "cb_ack": ("Đã ghi nhận: bạn đã nhận 👀", "Noted: you have seen it 👀"),
    "cb_extend": ("Hãy trả lời tin nhắn vừa gửi: ngày mới và lý do", "Reply to the message I just sent: new date and reason"),
    "cb_confirmed": ("Đã xác nhận ✔️", "Confirmed ✔️"),
    "cb_rejected": ("Đã trả lại ↩️", "Sent back ↩️"),
    "cb_approved": ("Đã đồng ý gia hạn ✔️", "Extension approved ✔️"),
    "cb_denied": ("Đã không đồng ý ✖️", "Extension rejected ✖️"),
    "cb_page": ("Trang {page}", "Page {page}"),

    # -- the state block added under a reminder after a press -----------------------------------------
    "state_header": ("— Cập nhật —", "— Update —"),
    "state_status": ("Trạng thái: {status}", "Status: {status}"),
    "state_progress": ("📈 Tiến độ: {percent} % ({who}, {when})", "📈 Progress: {percent}% ({who}, {when})"),
    "state_progress_note": ("📈 Tiến độ: {note} ({who}, {when})", "📈 Progress: {note} ({who}, {when})"),
    "state_extension": ("⏳ Đề nghị gia hạn đến {date}: chờ quyết định", "⏳ Extension to {date} requested: awaiting a decision"),
    "state_due": ("Hạn đang áp dụng: {date}", "Deadline in force: {date}"),

    # -- summary --------------------------------------------------------------------------------------
    "summary_title": ("📊 Tổng hợp tình hình thực hiện nhiệm vụ đến {today} — {scope}",
                      "📊 Task status summary as of {today} — {scope}"),
    "summary_total": ("Tổng cộng", "Total"),
    "summary_overdue": ("Nhiệm vụ quá hạn ({n}):", "Overdue tasks ({n}):"),
    "summary_empty": ("Chưa có nhiệm vụ nào.", "No tasks yet."),

    # -- calendars ------------------------------------------------------------------------------------
    "ics_caption": ("📅 Lịch các hạn nhiệm vụ của {agency}. Mở tệp để thêm vào lịch của bạn; để lịch luôn cập nhật, "
                    "dùng /feed.",
                    "📅 Deadlines of {agency}. Open the file to add them to your calendar; for a calendar that stays "
                    "up to date, use /feed."),
    "feed_group_warning": ("⚠️ Đường dẫn lịch là bí mật: ai có nó đều xem được các hạn nhiệm vụ. Gửi trong nhóm này thì "
                           "mọi thành viên đều thấy. Bạn có thể nhắn riêng cho tôi để nhận, hoặc bấm nút dưới đây để gửi "
                           "tại đây.",
                           "⚠️ A calendar link is a secret: anyone who has it can see the deadlines. Sent in this group, "
                           "every member will see it. You can message me privately to get it, or press the button "
                           "below to send it here."),
    "feed_group_button": ("Tôi hiểu, gửi đường dẫn tại đây", "I understand, send it here"),
    "feed_url": ("🔗 Đường dẫn đăng ký lịch của {scope}:\n{url}\n\nThêm vào Google Calendar/Outlook/Apple Calendar "
                 "bằng \"Thêm lịch từ URL\". Ứng dụng việc cần làm (Thunderbird): {todo_url}\nThu hồi mọi đường dẫn "
                 "của nhóm này: /feed revoke",
                 "🔗 Calendar subscription link for {scope}:\n{url}\n\nAdd it in Google Calendar/Outlook/Apple Calendar "
                 "with \"Add calendar from URL\". As tasks (Thunderbird): {todo_url}\nRevoke every link of this chat: "
                 "/feed revoke"),
    "feed_revoked": ("Đã thu hồi {n} đường dẫn lịch của nhóm này; các đường dẫn cũ không còn dùng được.",
                     "Revoked {n} calendar link(s) of this chat; the old links no longer work."),
    "feed_nothing_to_revoke": ("Nhóm này không có đường dẫn lịch nào đang dùng.", "This chat has no active calendar link."),
    "feed_usage": ("Cách dùng: /feed để nhận đường dẫn lịch, /feed revoke để thu hồi.",
                   "Usage: /feed to get the calendar link, /feed revoke to revoke it."),

    # -- generic --------------------------------------------------------------------------------------
    "internal_error": ("Xin lỗi, đã có lỗi khi xử lý yêu cầu; không có gì bị thay đổi. Quản trị viên có thể xem nhật ký.",
                       "Sorry, something went wrong handling that; nothing was changed. The administrator can check the log."),
}

# The commands registered with set_my_commands, and what /help lists, in order; roles that may use each.
COMMANDS: list[tuple[str, tuple[str, str], tuple[str, ...]]] = [
    ("help", ("Nhóm này liên kết với ai, làm được gì", "What this chat is linked to and can do"), ()),
    ("tasks", ("Nhiệm vụ đang thực hiện, hạn gần nhất trước", "Open tasks, soonest first"), ()),
    ("task", ("Chi tiết một nhiệm vụ: /task MÃ", "One task in detail: /task KEY"), ()),
    ("upcoming", ("Sắp đến hạn: /upcoming [số ngày]", "Due soon: /upcoming [days]"), ()),
    ("overdue", ("Nhiệm vụ quá hạn", "Overdue tasks"), ()),
    ("done", ("Báo hoàn thành: /done MÃ [ghi chú]", "Report done: /done KEY [note]"), ("focal", "manager")),
    ("progress", ("Báo tiến độ: /progress MÃ PHẦN_TRĂM [ghi chú]", "Report progress: /progress KEY PERCENT [note]"),
     ("focal", "manager")),
    ("extend", ("Xin gia hạn: /extend MÃ NGÀY LÝ_DO", "Ask for more time: /extend KEY DATE REASON"), ("focal", "manager")),
    ("ics", ("Tệp lịch .ics các hạn nhiệm vụ", "The .ics calendar file of the deadlines"), ()),
    ("feed", ("Đường dẫn đăng ký lịch (/feed revoke để thu hồi)", "Calendar subscription link (/feed revoke)"), ()),
    ("summary", ("Tổng hợp theo trạng thái và danh sách quá hạn", "Counts per status and the overdue list"),
     ("manager", "oversight", "leadership")),
    ("report", ("Báo cáo theo kỳ (XLSX, biểu đồ): /report [Quý III/2026]", "Report for a period (XLSX, chart): "
                "/report [Q3 2026]"), ("oversight", "leadership")),
    ("web", ("Liên kết đăng nhập trang quản trị (gửi trong trò chuyện riêng)",
             "A sign-in link to the web console (sent in a private chat)"), ()),
    ("lang", ("Ngôn ngữ: /lang vi|en", "Language: /lang vi|en"), ()),
]


def t(lang: str, name: str, /, **values: object) -> str:
    vi, en = TEXTS[name]
    return (en if lang == "en" else vi).format(**values)


def fmt_datetime(dt: datetime | None, tz: ZoneInfo) -> str:
    """HH:MM dd/mm/yyyy in local time."""
    return "—" if dt is None else dt.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
