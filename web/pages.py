"""The pages everyone signed in sees, within their role: the dashboard, the task list, a task's page and the
actions on it (the same `storage.actions` the bot and the CLI use, audited with the person and "web").

Another agency's task is answered 404 — exactly as a task that does not exist — so nothing tells a
focal point what other agencies owe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, select

from core import authority, i18n
from core.i18n import _
from core.status import Status, status_label
from storage import actions, completion
from storage.history import source_label
from storage.agencies import agency_names
from storage.tables import AuditEntry, Directive, Extension, Occurrence, ProgressUpdate, Task
from storage.views import TaskItem, task_items
from web import record
from web.task_people import task_people
from web.common import CALENDAR, CLOCK, PERSON, SETTINGS, _parse_date, filter_choices, run_db, today_of
from storage.signin import Person


DASHBOARD_LIST = 30  # items shown in each of the dashboard's lists


def status_text(status: Status) -> str:
    return status_label(Status(status), i18n.current_language())


def role_text(role: str) -> str:
    from bot.i18n import role_label

    return role_label(role, i18n.current_language())


def not_found(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("message.html", request, {
        "title": _("Not found"), "text": _("There is no such page, or it is not shown to you.")}, status=404)


@dataclass
class Filters:
    agency: str | None
    directive: str | None
    q: str
    status: str | None

    @classmethod
    def of(cls, request: web.Request) -> "Filters":
        g = request.query.get
        return cls(agency=g("agency") or None, directive=g("directive") or None, q=(g("q") or "").strip(),
                   status=g("status") or None)


def visible_items(s: Session, request: web.Request, person: Person, *, agency: str | None = None,
                  directive: str | None = None, include_done: bool = True) -> list[TaskItem]:
    """The occurrences this person may see, optionally one agency's (led or coordinated) or one directive's."""
    settings, calendar, today = request.app[SETTINGS], request.app[CALENDAR], today_of(request)
    allowed = person.visible_agencies()
    if allowed is None:
        return task_items(s, settings=settings, calendar=calendar, today=today, agency=agency, directive=directive,
                          include_done=include_done)
    wanted = [a for a in allowed if agency is None or a == agency]
    seen: dict[tuple[int, str], TaskItem] = {}
    for a in wanted:
        for it in task_items(s, settings=settings, calendar=calendar, today=today, agency=a, directive=directive,
                             include_done=include_done, role_of_agency="any"):
            seen.setdefault((it.task.id, it.occurrence_key), it)
    items = list(seen.values())
    items.sort(key=lambda i: (i.effective_due is None, i.effective_due or date.max, i.task.position, i.task.key))
    return items


# -- dashboard --------------------------------------------------------------------------------------------

async def dashboard(request: web.Request) -> web.Response:
    person: Person = request[PERSON]
    f = Filters.of(request)
    today = today_of(request)
    week_end = today + timedelta(days=6 - today.weekday())
    calendar = request.app[CALENDAR]

    def load(s: Session):
        from web.overview import dashboard_lists, scope_of
        from web.todo import bulk_done_message

        choices = filter_choices(s, person)
        if f.agency and f.agency not in dict(choices["agencies"]):
            f.agency = None
        # Counted and listed in SQL from the occurrence listing (web/overview.py); only the rows shown are read
        # as items. Each list shows its first DASHBOARD_LIST items (the longest overdue first) and says how many
        # there are; the task list has them all.
        scope = scope_of(s, request, person, agency=f.agency, directive=f.directive, include_done=False)
        lists = dashboard_lists(s, request, person, scope, week_end=week_end, shown=DASHBOARD_LIST)
        overdue = lists["overdue"]
        return {
            **choices, "f": f, "today": today, "week_end": week_end, "shown": DASHBOARD_LIST,
            "counts": {"due_this_week": lists["due_this_week"].count, "overdue": overdue.count,
                       "pending": lists["pending"].count, "extensions": lists["extensions"].count},
            "due_this_week": lists["due_this_week"].items,
            "overdue": [(i, (today - i.effective_due).days, calendar.workdays_between(i.effective_due, today))
                        for i in overdue.items],
            "pending_confirmation": lists["pending"].items,
            "extension_requests": lists["extensions"].items,
            "figures": dashboard_figures(s, request, person, f, choices),
            "todo": lists["todo"], "done_message": bulk_done_message(request.query.get("bulk"), request.query.get("n")),
        }

    return aiohttp_jinja2.render_template("dashboard.html", request, await run_db(request, load))


def dashboard_figures(s: Session, request: web.Request, person: Person, f: Filters, choices: dict):
    """The four groups per agency, from the report library (the figures of `dondoc report`)."""
    from web import reports

    return reports.dashboard_figures(s, request, person, choices)


# -- task list --------------------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case, NFC; without diacritics too when `bare` (people often type Vietnamese without them)."""
    import unicodedata

    return unicodedata.normalize("NFC", text).casefold()


def bare(text: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in s if not unicodedata.combining(c))


def _matches(item: TaskItem, q: str) -> bool:
    """`q` in the key or the content; a query typed without diacritics also matches the text with them."""
    if not q:
        return True
    hay = f"{item.task.key}\n{item.task.content}"
    if bare(q) == fold(q):  # no diacritics in the query
        return bare(q) in bare(hay)
    return fold(q) in fold(hay)


async def task_list(request: web.Request) -> web.Response:
    person: Person = request[PERSON]
    f = Filters.of(request)

    page = int(request.query["page"]) if request.query.get("page", "").isdigit() else 1
    page = max(page, 1)

    def load(s: Session):
        from web.overview import PAGE_SIZE, scope_of, task_page_of

        choices = filter_choices(s, person)
        if f.agency and f.agency not in dict(choices["agencies"]):
            f.agency = None
        # Filtered, counted and paged in SQL (web/overview.py): only the page's rows are read as items.
        scope = scope_of(s, request, person, agency=f.agency, directive=f.directive, q=f.q, status=f.status)
        items, total = task_page_of(s, request, scope, page)
        pages = max(1, -(-total // PAGE_SIZE))
        at = lambda n: str(request.rel_url.update_query(page=n))  # noqa: E731 - the same filters, another page
        from web.remind_bulk import may_remind

        return {"can_remind": may_remind(person), "prev_url": at(page - 1) if page > 1 else None, "next_url": at(page + 1) if page < pages else None,**choices, "f": f, "items": items, "total": total, "statuses": list(Status),
                "page": min(page, pages), "pages": pages, "first_row": (page - 1) * PAGE_SIZE + 1 if items else 0,
                "last_row": (page - 1) * PAGE_SIZE + len(items)}

    return aiohttp_jinja2.render_template("tasks.html", request, await run_db(request, load))


# -- a task's page ----------------------------------------------------------------------------------------

def load_task(s: Session, person: Person, key: str) -> Task | None:
    """The task if this person may see it; None otherwise (the caller answers 404 either way)."""
    task = s.exec(select(Task).where(Task.key == key, Task.removed_at.is_(None))).first()
    if task is None or not person.can_see(task):
        return None
    return task


def current_first(s: Session, task: Task, items: list[TaskItem], today) -> list[TaskItem]:
    """The period cards in date order, the current period (what an action without a period means) first."""
    try:
        cur = actions.current_occurrence(s, task, today)
    except actions.ActionError:
        cur = None
    ordered = sorted(items, key=lambda i: (i.due is None, i.due or today))
    return [i for i in ordered if i.occurrence_key == cur] + [i for i in ordered if i.occurrence_key != cur]


def task_context(s: Session, request: web.Request, person: Person, task: Task) -> dict:
    settings, calendar, today = request.app[SETTINGS], request.app[CALENDAR], today_of(request)
    items = task_items(s, settings=settings, calendar=calendar, today=today, task_ids=[task.id])
    items = current_first(s, task, items, today)
    done_rows = s.exec(select(Occurrence).where(Occurrence.task_id == task.id)
                       .order_by(Occurrence.key)).all()
    return {
        "task": task,
        "directive": s.get(Directive, task.directive_id) if task.directive_id else None,
        "items": items,
        "occurrences": done_rows,
        "progress": s.exec(select(ProgressUpdate).where(ProgressUpdate.task_id == task.id)
                           .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())).all(),
        "extensions": s.exec(select(Extension).where(Extension.task_id == task.id)
                             .order_by(Extension.requested_at.desc(), Extension.id.desc())).all(),
        "history": s.exec(select(AuditEntry).where(AuditEntry.entity_key == task.key)
                          .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(200)).all(),
        **record.task_record(s, task),  # completions, their files, the history in words (issue 22)
        "source_label": source_label,
        "names": agency_names(s),
        "can_act": person.can_act(task),
        "can_decide": person.can_decide,
        **task_people(s, person, task, today, items[0].occurrence_key if items else None),  # issue 24
        "today": today,
        "tz": settings.timezone,
    }


async def task_page(request: web.Request, message: str | None = None, error: str | None = None,
                    status: int = 200) -> web.Response:
    person: Person = request[PERSON]
    key = request.match_info["key"]

    def load(s: Session):
        task = load_task(s, person, key)
        return task_context(s, request, person, task) if task is not None else None

    ctx = await run_db(request, load)
    if ctx is None:
        return not_found(request)
    msg = message or DONE_MESSAGES.get(request.query.get("ok", ""), lambda: None)()
    return aiohttp_jinja2.render_template("task.html", request, {**ctx, "message": msg, "error": error},
                                          status=status)


DONE_MESSAGES = {
    "progress": lambda: _("Progress recorded."),
    "done": lambda: _("Marked done."),
    "claimed": lambda: _("Marked done; awaiting the oversight body's confirmation."),
    "confirmed": lambda: _("Completion confirmed."),
    "returned": lambda: _("Completion sent back: the task is open again."),
    "extend": lambda: _("Extension requested."),
    "approved": lambda: _("Extension approved."),
    "rejected": lambda: _("Extension rejected."),
    "assigned": lambda: _("Handed on."),
    "reminded": lambda: _("Reminder queued: it goes out at the next check, within the delivery hours."),
}


def action_error_text(e: actions.ActionError) -> str:
    return {
        "bad_percent": _("The percent must be a whole number from 0 to 100."),
        "empty_progress": _("A progress report needs a percent or a note."),
        "already_done": _("This task is already marked done."),
        "already_pending": _("This task is already awaiting confirmation."),
        "not_pending": _("This task is not awaiting confirmation."),
        "no_reason": _("An extension request needs a reason."),
        "no_deadline": _("This task has no deadline to extend."),
        "date_not_later": _("The new date must be after the deadline in force."),
        "date_in_past": _("The new date is in the past."),
        "extension_pending": _("An extension request is already awaiting a decision."),
        "already_decided": _("This request was already decided."),
        "removed": _("This task was removed from the registry."),
        "bad_occurrence": _("This period of the task does not exist."),
        "not_done": _("This period is not reported done: there is nothing to return."),
        "no_return_reason": _("Say why the completion is returned."),
    }.get(e.code, str(e))


# The task page's forms, each one action of the one rule of who may do what (core/authority.py).
FORM_ACTIONS = {
    "progress": authority.Action.PROGRESS, "done": authority.Action.DONE,
    "extend": authority.Action.REQUEST_EXTENSION,
    "confirm": authority.Action.CONFIRM_COMPLETION, "return": authority.Action.CONFIRM_COMPLETION,
    "approve": authority.Action.DECIDE_EXTENSION, "reject": authority.Action.DECIDE_EXTENSION,
}


def refusal_text(why: authority.Refusal, task: Task | None, s: Session | None = None) -> str:
    """Why the console refuses, in the words of the chat's refusals."""
    if why.code == "only_lead" and task is not None:
        lead = agency_names(s, {task.lead_agency}).get(task.lead_agency, task.lead_agency) if s else task.lead_agency
        return _("Only the lead agency ({lead}) can update task {key}.", lead=lead, key=task.key)
    if why.code == "role_cannot_act":
        return _("Your role reads this task; the lead agency's focal point or leaders update it.")
    if why.code == "only_oversight":
        return _("Only the oversight body confirms completions and decides extensions.")
    if why.code == "group_admins_only":
        return _("You signed in through the oversight group as one of its members: only the group's "
                 "administrators (or the people listed in OVERSIGHT_USER_IDS) confirm completions and decide "
                 "extensions.")
    if why.code == "admins_only":
        return _("Only the dondoc administrators can do this.")
    return _("Your role does not allow this action on this task.")


async def act(request: web.Request) -> web.StreamResponse:
    """POST /web/tasks/{key}: one action on one occurrence, from a form of the task's page."""
    person: Person = request[PERSON]
    key = request.match_info["key"]
    form = await request.post()
    what = form.get("action", "")
    occurrence = form.get("occurrence", "")
    settings = request.app[SETTINGS]
    when = request.app[CLOCK].now()
    actor = actions.Actor(person.name, person.user_id, "web")

    def work(s: Session):
        task = load_task(s, person, key)
        if task is None:
            return "404", None
        action = FORM_ACTIONS.get(what)
        if action is None:
            return "bad", _("Unknown action.")
        why = person.refusal(action, task)
        if why is not None:
            return "403", refusal_text(why, task, s)
        try:
            if what == "progress":
                pct = (form.get("percent") or "").strip()
                if pct and not pct.isdigit():
                    raise actions.ActionError("bad_percent", "bad percent")
                actions.record_progress(s, task, occurrence, int(pct) if pct else None,
                                        (form.get("note") or "").strip() or None, actor, when)
                return "ok", "progress"
            if what == "done":
                claim = settings.confirm_completion and not person.can_decide
                actions.mark_done(s, task, occurrence, actor, when, note=(form.get("note") or "").strip() or None,
                                  needs_confirmation=claim, tz=settings.timezone)
                return "ok", "claimed" if claim else "done"
            if what == "confirm":  # through storage.completion: the completion keeps its decision
                completion.confirm(s, task, occurrence, actor, when)
                return "ok", "confirmed"
            if what == "return":  # an old form, or a hand-made POST: a return is made with its reason only
                return "bad", _("A completion is returned with the reason the agency will be told: use “Return "
                                "the completion” on this page and say why. Nothing was changed.")
            if what == "extend":
                new_due = _parse_date(form.get("date", ""))
                if new_due is None:
                    return "bad", _("Give the new date as dd/mm/yyyy.")
                actions.request_extension(s, task, occurrence, new_due, form.get("reason", ""), actor, when,
                                          tz=settings.timezone)
                return "ok", "extend"
            if what in ("approve", "reject"):
                ext = s.get(Extension, int(form.get("extension") or 0)) if (form.get("extension") or "").isdigit() \
                    else None
                if ext is None or ext.task_id != task.id:
                    return "404", None
                actions.decide_extension(s, ext, what == "approve", actor, when,
                                         note=(form.get("note") or "").strip() or None)
                return "ok", "approved" if what == "approve" else "rejected"
        except actions.ActionError as e:
            s.rollback()
            return "bad", action_error_text(e)
        return "bad", _("Unknown action.")

    outcome, detail = await run_db(request, work)
    if outcome == "404":
        return not_found(request)
    if outcome == "403":
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Not allowed"), "text": detail}, status=403)
    if outcome == "bad":
        return await task_page(request, error=detail, status=400)
    url = request.app.router["task"].url_for(key=key).with_query(ok=detail)
    return web.Response(status=303, headers={"Location": str(url)})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", dashboard, name="dashboard")
    r.add_get("/tasks", task_list, name="tasks")
    r.add_get("/tasks/{key:.+}", task_page, name="task")
    r.add_post("/tasks/{key:.+}", act, name="act")
