"""The record in the console (issue 22): the completion form with its confirmation step, the oversight body's
return with a reason, and evidence files downloaded by those who may see the task.

Completion takes two steps. The form (day done, report document, its date, files, note) is checked and its files
kept in the evidence store; a page then shows what will be recorded and asks to confirm; only the confirmation
writes the completion. Files of a form never confirmed stay unreferenced in the store (named by their content,
they cost nothing twice).
"""

from __future__ import annotations

from datetime import date

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, select

from core.i18n import _, format_date
from storage import actions, completion
from storage.evidence import EvidenceError, EvidenceStore, StoredFile
from storage.record_tables import Evidence
from storage.signin import Person
from storage.tables import Task
from web.common import CLOCK, PERSON, SETTINGS, _parse_date, run_db, today_of

# Files one completion form takes, each of at most EVIDENCE_MAX_MB; the request's size limit follows from both
# (web.app.upload_limit).
EVIDENCE_FILES_PER_FORM = 5

RECORD_ERRORS = {
    "done_in_future": lambda i: _("The day it was done cannot be after today ({today}).",
                                  today=format_date(i.get("today"))),
    "done_before_assigned": lambda i: _("The day it was done cannot be before the task was given ({first}).",
                                        first=format_date(i.get("first"))),
    "document_in_future": lambda i: _("The document's date cannot be after today ({today}).",
                                      today=format_date(i.get("today"))),
    "document_too_long": lambda i: _("A document number has at most 120 characters."),
    "no_return_reason": lambda i: _("Say why the completion is returned."),
    "not_done": lambda i: _("This period is not reported done: there is nothing to return."),
    "no_file": lambda i: _("A file of the form is no longer kept; fill in the form again."),
    "already_done": lambda i: _("This task is already marked done."),
    "already_pending": lambda i: _("This task is already awaiting confirmation."),
    "bad_occurrence": lambda i: _("This period of the task does not exist."),
    "removed": lambda i: _("This task was removed from the registry."),
}


def _size(f) -> int:
    """The size of an uploaded file (aiohttp keeps it in a temporary file), without reading it into memory."""
    import os

    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def error_text(e: actions.ActionError) -> str:
    make = RECORD_ERRORS.get(e.code)
    return make(e.info) if make is not None else str(e)


def not_found(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("message.html", request, {
        "title": _("Not found"), "text": _("There is no such page, or it is not shown to you.")}, status=404)


def _task(s: Session, person: Person, key: str) -> Task | None:
    task = s.exec(select(Task).where(Task.key == key, Task.removed_at.is_(None))).first()
    return task if task is not None and person.can_see(task) else None


def _back(request: web.Request, key: str, ok: str) -> web.Response:
    url = request.app.router["task"].url_for(key=key).with_query(ok=ok)
    return web.Response(status=303, headers={"Location": str(url)})


async def _refuse(request: web.Request, error: str) -> web.Response:
    """Nothing was recorded: say why, with the way back to the task (the form's files stay in the store)."""
    return aiohttp_jinja2.render_template("record_message.html", request, {
        "title": _("Not recorded"), "text": error, "key": request.match_info["key"]}, status=400)


async def done_form(request: web.Request) -> web.StreamResponse:
    """POST /web/record/done/{key}: step 1 checks the form and keeps its files; step 2 (`confirm`) records."""
    person: Person = request[PERSON]
    key = request.match_info["key"]
    form = await request.post()
    settings = request.app[SETTINGS]
    store = EvidenceStore.from_settings(settings)
    occurrence = str(form.get("occurrence", ""))
    on_text, doc_date_text = str(form.get("on", "") or "").strip(), str(form.get("document_date", "") or "").strip()
    on = _parse_date(on_text) if on_text else None
    doc_date = _parse_date(doc_date_text) if doc_date_text else None
    if (on_text and on is None) or (doc_date_text and doc_date is None):
        return await _refuse(request, _("Give dates as dd/mm/yyyy."))
    document = str(form.get("document", "") or "").strip() or None
    note = str(form.get("note", "") or "").strip() or None
    kept: list[StoredFile] = []
    try:
        if form.get("step") == "confirm":
            names, stored = form.getall("file_name", []), form.getall("file_stored", [])
            sizes, kinds = form.getall("file_size", []), form.getall("file_type", [])
            for n, st, sz, k in zip(names, stored, sizes, kinds):
                if not store.has(str(st)):
                    return await _refuse(request, RECORD_ERRORS["no_file"]({}))
                kept.append(StoredFile(store.clean_name(str(n)), str(st), int(sz), str(k)[:100]))
        else:
            sent = [f for f in form.getall("files", []) if getattr(f, "filename", None)]
            if len(sent) > EVIDENCE_FILES_PER_FORM:
                return await _refuse(request, _("At most {n} files go with one completion; nothing was recorded.",
                                                n=EVIDENCE_FILES_PER_FORM))
            for f in sent:
                store.check(f.filename, _size(f.file))  # every file checked before any is kept
            for f in sent:
                kept.append(store.put(f.filename, f.file.read()))
    except (EvidenceError, ValueError) as e:
        return await _refuse(request, str(e))
    when = request.app[CLOCK].now()
    actor = actions.Actor(person.name, person.user_id, "web")

    def work(s: Session):
        task = _task(s, person, key)
        if task is None:
            return "404", None
        if not person.can_act(task):
            return "403", None
        first = completion.earliest_completion_day(s, task, settings.timezone)
        today = today_of(request)
        day = on or today
        if day > today:
            return "bad", RECORD_ERRORS["done_in_future"]({"today": today})
        if day < first:
            return "bad", RECORD_ERRORS["done_before_assigned"]({"first": first})
        if form.get("step") != "confirm":
            return "check", {"task": task, "occurrence": occurrence, "on": day, "on_text": format_date(day),
                             "document": document, "document_date": doc_date, "note": note, "files": kept,
                             "period": date.fromisoformat(occurrence) if occurrence[:1].isdigit() else None}
        claim = settings.confirm_completion and not person.can_decide
        try:
            completion.report_completion(s, task, occurrence, actor, when, on=day, document=document,
                                         document_date=doc_date, note=note, store=store, kept=kept,
                                         needs_confirmation=claim, tz=settings.timezone)
        except actions.ActionError as e:
            s.rollback()
            return "bad", error_text(e)
        return "ok", "claimed" if claim else "done"

    outcome, detail = await run_db(request, work)
    if outcome == "404":
        return not_found(request)
    if outcome == "403":
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Not allowed"), "text": _("Your role does not allow this action on this task.")}, status=403)
    if outcome == "bad":
        return await _refuse(request, detail)
    if outcome == "check":
        return aiohttp_jinja2.render_template("record_confirm.html", request, detail)
    return _back(request, key, detail)


async def return_form(request: web.Request) -> web.StreamResponse:
    """POST /web/record/return/{key}: the oversight body returns a completion with a reason."""
    person: Person = request[PERSON]
    key = request.match_info["key"]
    form = await request.post()
    occurrence = str(form.get("occurrence", ""))
    reason = str(form.get("reason", "") or "")
    when = request.app[CLOCK].now()
    actor = actions.Actor(person.name, person.user_id, "web")

    def work(s: Session):
        task = _task(s, person, key)
        if task is None:
            return "404", None
        if not person.can_decide:
            return "403", None
        try:
            completion.return_completion(s, task, occurrence, reason, actor, when)
        except actions.ActionError as e:
            s.rollback()
            return "bad", error_text(e)
        return "ok", "returned"

    outcome, detail = await run_db(request, work)
    if outcome == "404":
        return not_found(request)
    if outcome == "403":
        return aiohttp_jinja2.render_template("message.html", request, {
            "title": _("Not allowed"), "text": _("Only the oversight body returns a completion.")}, status=403)
    if outcome == "bad":
        return await _refuse(request, detail)
    return _back(request, key, detail)


async def evidence_file(request: web.Request) -> web.StreamResponse:
    """GET /web/evidence/{id}: a file, to those who may see its task (others: not found)."""
    person: Person = request[PERSON]
    store = EvidenceStore.from_settings(request.app[SETTINGS])

    def load(s: Session):
        e = s.get(Evidence, int(request.match_info["id"]))
        if e is None:
            return None
        task = s.get(Task, e.task_id)
        return e if task is not None and person.can_see(task) else None

    e = await run_db(request, load)
    if e is None or not store.has(e.stored):
        return not_found(request)
    from urllib.parse import quote

    return web.FileResponse(store.path(e.stored), headers={
        "Content-Type": e.content_type,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(e.filename)}"})


async def orphans_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    """GET /web/orphans: tasks whose lead ceased with no successor, each with a form to give it to another agency
    (the oversight body and administrators)."""
    from storage.agency_table import agency_names
    from storage.responsibility import orphaned_tasks
    from storage.tables import Agency

    person: Person = request[PERSON]
    if not person.can_decide:
        return not_found(request)
    today = today_of(request)

    def load(s: Session):
        names = agency_names(s)
        live = sorted(((a.code, a.name) for a in s.exec(select(Agency))
                       if a.valid_to is None or a.valid_to >= today), key=lambda x: x[1])
        return {"orphans": orphaned_tasks(s, today), "names": names, "agencies": live}

    ctx = await run_db(request, load)
    msg = _("Reassigned.") if request.query.get("ok") == "reassigned" else None
    return aiohttp_jinja2.render_template("orphans.html", request, {**ctx, "message": msg, "error": error},
                                          status=status)


async def orphans_reassign(request: web.Request) -> web.StreamResponse:
    """POST /web/orphans: give one task to another agency, with the reason, from the day after its lead's end."""
    from storage import responsibility
    from storage.tables import Agency

    person: Person = request[PERSON]
    if not person.can_decide:
        return not_found(request)
    form = await request.post()
    key, code = str(form.get("task", "")), str(form.get("agency", ""))
    reason = str(form.get("reason", "") or "").strip()
    if not reason:
        return await orphans_page(request, error=_("Say why the task is given to another agency."), status=400)
    when = request.app[CLOCK].now()
    today = today_of(request)

    def work(s: Session):
        task = _task(s, person, key)
        agency = s.exec(select(Agency).where(Agency.code == code)).first()
        if task is None or agency is None or (agency.valid_to is not None and agency.valid_to < today):
            return False
        responsibility.reassign(s, task, code, since=responsibility.default_reassign_since(s, task, today),
                                reason=reason, actor=person.name or person.user_id, actor_id=person.user_id,
                                source="web", now=when, today=today)
        return True

    if not await run_db(request, work):
        return await orphans_page(request, error=_("Choose a task of the list and an agency that exists today."),
                                  status=400)
    url = request.app.router["orphans"].url_for().with_query(ok="reassigned")
    return web.Response(status=303, headers={"Location": str(url)})


def task_record(s: Session, task: Task, lang: str | None = None) -> dict:
    """What the task page shows of the record: completions, their files, the history in words."""
    from storage.history import task_history
    from storage.responsibility import history, kind_label

    files: dict[int | None, list[Evidence]] = {}
    for e in completion.evidence_of(s, task):
        files.setdefault(e.completion_id, []).append(e)
    return {"completions": completion.completions_of(s, task), "files": files,
            "history_lines": list(reversed(task_history(s, task, lang=lang))), "responsibility": history(s, task),
            "kind_label": kind_label, "files_per_form": EVIDENCE_FILES_PER_FORM}


def routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/record/done/{key:.+}", done_form, name="record_done")
    r.add_post("/record/return/{key:.+}", return_form, name="record_return")
    r.add_get("/evidence/{id:\\d+}", evidence_file, name="evidence")
    r.add_get("/orphans", orphans_page, name="orphans")
    r.add_post("/orphans", orphans_reassign, name="orphans_reassign")
