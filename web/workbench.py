"""The oversight office's workbench: what a person must act on first (the dashboard's to-do), actions on many tasks
at once, the task list as XLSX, and the activity log in words.

The to-do, per role:
- deciders (oversight, administrators): completions awaiting confirmation, extension requests, tasks whose lead
  agency has ceased without a successor (nobody will do them until someone reassigns them);
- people who act for an agency (focal points, managers, administrators): work the oversight body returned.

A bulk action is all or nothing: every selected item is acted on in one transaction, or none when one of them
cannot be (the page says which and why)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, select

from core import authority
from core.i18n import N_, _
from storage import actions, completion
from storage.signin import Person
from storage.tables import AuditEntry, Extension, Task
from web.common import CLOCK, PERSON, SETTINGS, _parse_date, filter_choices, run_db, selected_boxes, today_of
from web.pages import Filters, action_error_text, refusal_text
from web.todo import Todo, bulk_done_message, todo_of

ACTIVITY_LIMIT = 500


# -- bulk actions -------------------------------------------------------------------------------------------

BULK_ACTIONS = ("confirm", "return", "approve", "reject", "export")


async def bulk(request: web.Request) -> web.StreamResponse:
    """POST /web/bulk: one action on every selected item (confirm or return completions, approve or reject the
    pending extensions with one reason), or export the selection."""
    person: Person = request[PERSON]
    form = await request.post()
    what = form.get("action", "")
    selected = selected_boxes(form)
    reason = (form.get("reason") or "").strip() or None
    when = request.app[CLOCK].now()
    actor = actions.Actor(person.name, person.user_id, "web")
    back = str(request.app.router["dashboard"].url_for())
    if what not in BULK_ACTIONS:
        return _bulk_message(request, _("Unknown action."), 400)
    if not selected:
        return _bulk_message(request, _("Tick at least one task first."), 400)
    if what == "export":
        return await _export(request, person, set(selected))
    why = person.refusal(authority.Action.DECIDE_EXTENSION)  # the one rule (core/authority.py), with its reason
    if why is not None:
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Not allowed"), "text": refusal_text(why, None)}, status=403)
    if what == "reject" and reason is None:
        return _bulk_message(request, _("Give the reason for refusing the extensions."), 400)
    if what == "return" and reason is None:  # the agency is told why (storage.completion.return_completion)
        return _bulk_message(request, _("Give the reason for sending the completions back: the agencies are told "
                                        "it."), 400)

    def work(s: Session):
        for key, occurrence in selected:
            task = s.exec(select(Task).where(Task.key == key, Task.removed_at.is_(None))).first()
            if task is None or not person.can_see(task):
                s.rollback()
                return "bad", _("Task {key}: there is no such task, or it is not shown to you.", key=key)
            try:
                if what == "confirm":
                    completion.confirm(s, task, occurrence, actor, when, note=reason)
                elif what == "return":  # as the task page's return: with its reason, the agency told
                    completion.return_completion(s, task, occurrence, reason, actor, when)
                else:
                    ext = s.exec(select(Extension).where(Extension.task_id == task.id,
                                                         Extension.occurrence_key == occurrence,
                                                         Extension.decision == "pending")).first()
                    if ext is None:
                        raise actions.ActionError("already_decided", "no pending request")
                    actions.decide_extension(s, ext, what == "approve", actor, when, note=reason)
            except actions.ActionError as e:
                s.rollback()
                return "bad", _("Task {key}: {why} Nothing was changed.", key=key, why=action_error_text(e))
        return "ok", len(selected)

    outcome, detail = await run_db(request, work)
    if outcome == "bad":
        return _bulk_message(request, detail, 400)
    return web.Response(status=303, headers={"Location": f"{back}?{_query(bulk=what, n=detail)}"})


def _query(**values) -> str:
    from urllib.parse import urlencode

    return urlencode(values)


def _bulk_message(request: web.Request, text: str, status: int) -> web.Response:
    return aiohttp_jinja2.render_template("message.html", request, {
        "title": _("Nothing was changed"), "text": text + " " + _("Go back to the dashboard and try again.")},
        status=status)


async def _export(request: web.Request, person: Person, wanted: set[tuple[str, str]] | None,
                  f: Filters | None = None) -> web.Response:
    from reports.task_list import task_list_xlsx
    from web.overview import export_items

    today = today_of(request)

    def render(s: Session) -> bytes:
        choices = filter_choices(s, person)
        agency = f.agency if f is not None and f.agency in dict(choices["agencies"]) else None
        # Listed and filtered in SQL over the occurrence listing; only the exported rows' tasks are read (issue 23).
        items = export_items(s, request, person, agency=agency, directive=f.directive if f else None,
                             q=f.q if f else "", status=f.status if f else None, wanted=wanted)
        from storage.tables import Directive

        numbers = {d.id: d.number for d in s.exec(select(Directive))}
        return task_list_xlsx(items, names=choices["names"], directives=numbers,
                              title=_("Task list on {date}", date=today.strftime("%d/%m/%Y")))

    body = await run_db(request, render)
    name = f"dondoc-tasks-{today.isoformat()}.xlsx"
    return web.Response(body=body, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{name}"'})


async def task_list_export(request: web.Request) -> web.Response:
    """GET /web/tasks/export.xlsx: the task list with the filters on the page, every row (not only 500)."""
    return await _export(request, request[PERSON], None, Filters.of(request))


# -- activity ----------------------------------------------------------------------------------------------

ACTIVITY_WORDS = {
    "task.created": N_("{who} added task {key}"),
    "task.changed": N_("{who} changed task {key}"),
    "task.removed": N_("{who} removed task {key} from the registry"),
    "task.restored": N_("{who} restored task {key}"),
    "task.progress": N_("{who} reported progress on task {key}"),
    "task.done": N_("{who} marked task {key} done"),
    "task.done_claimed": N_("{who} reported task {key} done (awaiting confirmation)"),
    "task.completion_confirmed": N_("{who} confirmed the completion of task {key}"),
    "task.completion_rejected": N_("{who} sent the completion of task {key} back"),
    "task.completion_returned": N_("{who} sent the completion of task {key} back"),
    "task.returned": N_("{who} sent the completion of task {key} back"),
    "task.acknowledged": N_("{who} acknowledged task {key}"),
    "task.handed_over": N_("{who} handed task {key} over"),
    "task.reminded": N_("{who} sent a reminder about task {key} now"),
    "extension.requested": N_("{who} asked for more time on task {key}"),
    "extension.approved": N_("{who} approved an extension of task {key}"),
    "extension.rejected": N_("{who} refused an extension of task {key}"),
}


def activity_text(entry: AuditEntry) -> str:
    """An audit entry in words: "Nguyễn Văn An confirmed the completion of task 5099-2"."""
    words = ACTIVITY_WORDS.get(entry.action)
    if words is None:
        return _("{who}: {action} {key}", who=entry.actor, action=entry.action, key=entry.entity_key or "")
    return _(words, who=entry.actor, key=entry.entity_key or "")


@dataclass
class ActivityFilters:
    agency: str | None
    who: str
    start: date | None
    end: date | None
    error: str | None = None


async def activity_page(request: web.Request) -> web.Response:
    """GET /web/activity: every action on the tasks this person may see, newest first, in words; filtered by
    agency (the task's lead), person (part of the name) and dates (dd/mm/yyyy)."""
    person: Person = request[PERSON]
    g = request.query.get
    tz = request.app[SETTINGS].timezone
    f = ActivityFilters(agency=g("agency") or None, who=(g("who") or "").strip(), start=None, end=None)
    for field_name in ("start", "end"):
        text = (g(field_name) or "").strip()
        if text:
            d = _parse_date(text)
            if d is None:
                f.error = _("{value!r} is not a date: write it dd/mm/yyyy (e.g. 30/06/2026), and only days that "
                            "exist.", value=text)
            setattr(f, field_name, d)

    def load(s: Session):
        choices = filter_choices(s, person)
        if f.agency not in dict(choices["agencies"]):
            f.agency = None
        allowed = person.visible_agencies()
        q = select(AuditEntry, Task).join(Task, Task.key == AuditEntry.entity_key).where(
            AuditEntry.entity.in_(("task", "extension")))  # type: ignore
        if f.agency:
            q = q.where(Task.lead_agency == f.agency)
        elif allowed is not None:
            q = q.where(Task.lead_agency.in_(allowed))  # type: ignore
        if f.start:
            q = q.where(AuditEntry.at >= datetime.combine(f.start, time(0), tz))
        if f.end:
            q = q.where(AuditEntry.at < datetime.combine(f.end + timedelta(days=1), time(0), tz))
        if f.who:
            q = q.where(AuditEntry.actor.ilike(f"%{f.who}%"))  # type: ignore
        rows = s.exec(q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(ACTIVITY_LIMIT)).all()
        entries = [{"at": e.at if e.at.tzinfo else e.at.replace(tzinfo=tz), "text": activity_text(e),
                    "key": e.entity_key, "agency": choices["names"].get(t.lead_agency, t.lead_agency),
                    "note": (e.detail or {}).get("note")} for e, t in rows]
        for e in entries:
            e["at"] = e["at"].astimezone(tz)
        return {**choices, "f": f, "entries": entries, "limit": ACTIVITY_LIMIT}

    ctx = await run_db(request, load)
    return aiohttp_jinja2.render_template("activity.html", request, ctx, status=400 if f.error else 200)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/bulk", bulk, name="bulk")
    r.add_get("/tasks/export.xlsx", task_list_export, name="tasks_export")
    r.add_get("/activity", activity_page, name="activity")


__all__ = ["routes", "todo_of", "Todo", "bulk_done_message", "activity_text"]
