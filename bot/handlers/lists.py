"""/tasks, /upcoming [days], /overdue — paginated lists with ◀ / ▶ buttons — and /summary.

What a chat sees: focal and manager chats their agency's tasks (lead, and coordinating marked as such);
oversight and leadership chats every agency's. Lists come from `storage.views.task_items`, the read model
shared with the CLI, digests and feeds, so every place shows the same status for the same task.
"""

from __future__ import annotations

from collections import Counter

from telegram import Update
from telegram.ext import ContextTypes

from bot import buttons as btn
from bot.handlers.common import (
    agency_names,
    ChatScope,
    command_args,
    Deps,
    deps,
    edit,
    load_scope,
    refuse_unlinked,
    small_int,
    reply,
    task_line,
)
from bot.texts import t
from core.i18n import ngettext
from core.i18n import format_date as fmt_date
from core.status import Status, status_label

PAGE_ITEMS = 10
PAGE_CHARS = 3600  # room for the header and page line under Telegram's 4,096
DEFAULT_UPCOMING_DAYS = 14
TASKS, UPCOMING, OVERDUE = "t", "u", "o"


def collect(session, d: Deps, scope: ChatScope, kind: str, days: int = DEFAULT_UPCOMING_DAYS,
            include_done: bool = False, lead_only: bool = False) -> list:
    from storage import views

    today = d.today()
    agencies = scope.list_agencies()
    common = dict(settings=d.settings, calendar=d.calendar, today=today, include_done=include_done)
    if agencies is None:
        items = list(views.task_items(session, agency=None, role_of_agency="lead", **common))
    else:
        items, seen = [], set()
        for agency in agencies:
            for item in views.task_items(session, agency=agency, role_of_agency="lead" if lead_only else "any", **common):
                if (item.task.id, item.occurrence_key) not in seen:
                    seen.add((item.task.id, item.occurrence_key))
                    items.append(item)
    if kind == TASKS:
        items = [i for i in items if include_done or not i.status.is_done]
    elif kind == UPCOMING:
        from datetime import timedelta

        end = today + timedelta(days=days)
        items = [i for i in items if i.effective_due is not None and today <= i.effective_due <= end
                 and i.status in (Status.IN_TIME, Status.DUE_SOON)]
    elif kind == OVERDUE:
        items = [i for i in items if i.status == Status.OVERDUE]
    items.sort(key=lambda i: (i.effective_due is None, i.effective_due or today, i.task.position, i.task.key))
    scope.names.update(agency_names(session, {i.task.lead_agency for i in items}))
    return items


def paginate(lines: list[str]) -> list[list[str]]:
    """Pages of at most PAGE_ITEMS lines and PAGE_CHARS characters (a line is never split)."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and (len(pages[-1]) >= PAGE_ITEMS or size + len(line) + 1 > PAGE_CHARS):
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    return pages


def render(d: Deps, scope: ChatScope, kind: str, items: list, page: int, days: int) -> tuple[str, list]:
    lang = scope.lang
    if kind == UPCOMING:
        title = ngettext("📅 Due in the next {n} day — {scope} ({count})", "📅 Due in the next {n} days — {scope} ({count})",
                         days, lang=lang, scope=scope.scope_label(), count=len(items))
    else:
        title = t(lang, "list_tasks" if kind == TASKS else "list_overdue", scope=scope.scope_label(), n=len(items))
    if not items:
        if kind == UPCOMING:
            empty = ngettext("Nothing is due in the next {n} day.", "Nothing is due in the next {n} days.", days, lang=lang)
        else:
            empty = t(lang, "list_empty_tasks" if kind == TASKS else "list_empty_overdue")
        return f"{title}\n\n{empty}", []
    lines = [task_line(item, scope, n + 1) for n, item in enumerate(items)]
    pages = paginate(lines)
    page = max(0, min(page, len(pages) - 1))
    text = title + "\n\n" + "\n".join(pages[page])
    if len(pages) > 1:
        text += "\n\n" + t(lang, "page", page=page + 1, pages=len(pages))
    extra = str(days) if kind == UPCOMING else ""
    return text, btn.page_buttons(kind, page, len(pages), lang, d.settings.secret_for_callbacks(), extra=extra)


async def _list(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    d = deps(context)
    args, _ = command_args(update)
    with d.session() as session:
        scope = load_scope(session, update, d)
        if await refuse_unlinked(update, scope):
            return
        days = DEFAULT_UPCOMING_DAYS
        if kind == UPCOMING and args:
            days = small_int(args[0], 1, 366)
            if days is None:
                await reply(update, t(scope.lang, "upcoming_usage"))
                return
        items = collect(session, d, scope, kind, days)
        text, rows = render(d, scope, kind, items, 0, days)
    await reply(update, text, rows)


async def tasks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tasks"""
    await _list(update, context, TASKS)


async def upcoming_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/upcoming [days]"""
    await _list(update, context, UPCOMING)


async def overdue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue"""
    await _list(update, context, OVERDUE)


async def turn_page(update: Update, context: ContextTypes.DEFAULT_TYPE, session, scope: ChatScope,
                    payload: btn.Payload) -> None:
    """◀ / ▶ under a list: recompute the list for this chat and show the asked page in place."""
    query = update.callback_query
    d = deps(context)
    lang = scope.lang
    if not scope.linked and not scope.is_admin:
        await query.answer(t(lang, "unlinked")[:200], show_alert=True)
        return
    arg = payload.arg
    kind, rest = arg[:1], arg[1:]
    page_text, _, extra = rest.partition(":")
    page = small_int(page_text, 0, 100_000)
    days = small_int(extra, 1, 366) if extra else DEFAULT_UPCOMING_DAYS
    if kind not in (TASKS, UPCOMING, OVERDUE) or page is None or days is None:
        await query.answer(t(lang, "cb_invalid"), show_alert=True)
        return
    items = collect(session, d, scope, kind, days)
    text, rows = render(d, scope, kind, items, page, days)
    if query.message is not None:
        await edit(query.message, text, rows)
    await query.answer(t(lang, "cb_page", page=page + 1))


# -- /summary ---------------------------------------------------------------------------------------------

SUMMARY_ORDER = (Status.DONE_ON_TIME, Status.DONE_LATE, Status.IN_TIME, Status.DUE_SOON, Status.OVERDUE,
                 Status.PENDING_CONFIRMATION, Status.NO_DEADLINE)


def _counts_line(counts: Counter, lang: str) -> str:
    return "; ".join(f"{status_label(s, lang)}: {counts[s]}" for s in SUMMARY_ORDER if counts.get(s))


async def summary_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/summary — counts per agency in the Government Office's statuses, then the overdue list."""
    from storage import views

    d = deps(context)
    with d.session() as session:
        scope = load_scope(session, update, d)
        lang = scope.lang
        if await refuse_unlinked(update, scope):
            return
        if not scope.is_admin and not (scope.roles & {"manager", "oversight", "leadership"}):
            await reply(update, t(lang, "summary_not_allowed"))
            return
        items = collect(session, d, scope, TASKS, include_done=True, lead_only=True)
        per_agency = views.summary_counts(items)
        scope.names.update(agency_names(session, set(per_agency)))
        lines = [t(lang, "summary_title", today=fmt_date(d.today()), scope=scope.scope_label()), ""]
        if not items:
            lines.append(t(lang, "summary_empty"))
        total: Counter = Counter()
        for agency in sorted(per_agency, key=lambda a: scope.name(a).lower()):
            counts = per_agency[agency]
            total.update(counts)
            lines.append(f"• {scope.name(agency)} ({sum(counts.values())}): {_counts_line(counts, lang)}")
        if len(per_agency) > 1:
            lines.append(f"\n{t(lang, 'summary_total')} ({sum(total.values())}): {_counts_line(total, lang)}")
        overdue = [i for i in items if i.status == Status.OVERDUE]
        if overdue:
            lines += ["", t(lang, "summary_overdue", n=len(overdue))]
            lines += [task_line(item, scope, n + 1) for n, item in enumerate(overdue)]
    await reply(update, "\n".join(lines))
