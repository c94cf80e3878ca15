"""Directives read into a draft and reviewed in the console (administrators only; anyone else gets 404):
upload a directive (.docx, PDF, text, or a scan read with OCR) → its tasks as an editable table → correct →
import through the registry's own all-or-nothing import (the YAML `dondoc extract` writes). The draft is
kept in the database (storage.drafts) until it is imported or discarded; every administrator sees the kept
drafts (a colleague may finish one)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, select

from core.i18n import _, ngettext, use_language
from storage import audit
from storage.drafts import DirectiveDraft
from web import draft_form, registry_adapter
from web.admin import _admin, _directory
from web.upload_files import SAFE_NAME
from web.common import CALENDAR, CLOCK, ENGINE, LANG, SETTINGS, _parse_date, run_db, today_of
from web.pages import not_found

SUFFIXES = (".docx", ".pdf", ".txt", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


# -- the list and the upload ------------------------------------------------------------------------------

async def drafts_page(request: web.Request, *, status: int = 200, message: str | None = None,
                      message_ok: bool = True, imported: str | None = None) -> web.Response:
    if _admin(request) is None:
        return not_found(request)

    def load(s: Session):
        return s.exec(select(DirectiveDraft).order_by(DirectiveDraft.updated_at.desc())).all()

    drafts = await run_db(request, load)
    return aiohttp_jinja2.render_template("directives.html", request, {
        "drafts": drafts, "accepted": SUFFIXES, "message": message, "message_ok": message_ok and status < 400,
        "imported": imported, "max_bytes": request.app[SETTINGS].import_max_bytes}, status=status)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


async def draft_upload(request: web.Request) -> web.Response:
    """POST: read the directive (OCR in a worker thread), draft its tasks, keep the draft, show it."""
    person = _admin(request)
    if person is None:
        return not_found(request)
    settings = request.app[SETTINGS]
    form = await request.post()
    field = form.get("file")
    if field is None or not getattr(field, "filename", None):
        return await drafts_page(request, status=400, message=_("Choose the directive's file, then press "
                                                                "“Read the directive”."))
    name = SAFE_NAME.sub("_", Path(field.filename).name)[:120] or "directive"
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return await drafts_page(request, status=400, message=_(
            "{file}: a directive is read from {types}; save it as one of these and upload it again.",
            file=name, types=", ".join(SUFFIXES)))
    limit = settings.import_max_bytes
    data = field.file.read(limit + 1)
    if len(data) > limit:
        return await drafts_page(request, status=400, message=_(
            "{file} is larger than {size} (IMPORT_MAX_BYTES); upload only the pages with the tasks, or scan at a "
            "lower resolution.", file=name, size=_size(limit)))
    from intake.directive import extract
    from intake.directive.ocr import OcrLimits
    from intake.directive.readers import DirectiveReadError, read_lines

    folder = Path(tempfile.mkdtemp(prefix="dondoc-directive-"))
    path = folder / name
    path.write_bytes(data)
    lang = request[LANG]

    def read():  # OCR takes seconds a page: never on the event loop
        with use_language(lang):
            return extract(read_lines(path, ocr=OcrLimits.from_settings(settings)))

    try:
        draft = await asyncio.to_thread(read)
    except DirectiveReadError as e:
        return await drafts_page(request, status=400, message=str(e).replace(str(path), name))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not draft.tasks:
        return await drafts_page(request, status=400, message=_(
            "No task found in {file}: the tasks of a directive are its numbered items (1., a), -). Check that this "
            "is the directive, or write the registry by hand.", file=name))
    now = request.app[CLOCK].now()

    def keep(s: Session) -> int:
        # the leads against the directory the import will use: a central directive's duties for agencies this
        # province does not hold are said and ticked "Leave out" rather than refused at import
        from intake.directive.directory import fit_to_directory
        from storage.agencies import AgencyFileError

        scratch = Path(tempfile.mkdtemp(prefix="dondoc-draft-agencies-"))
        try:
            with use_language(lang):
                fit_to_directory(draft, registry_adapter.import_directory(
                    s, settings, registry_adapter.Options(folder=scratch)))
        except AgencyFileError:
            pass  # the import names an unusable agencies file itself, on the draft's page
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        row = DirectiveDraft(owner_id=person.user_id, owner_name=person.name, file_name=name,
                             tasks=draft_form.tasks_of(draft), created_at=now, updated_at=now,
                             **draft_form.header_of(draft))
        s.add(row)
        s.flush()
        audit.record(s, at=now, actor=person.name, actor_id=person.user_id, source="web",
                     action="directive_draft.created", entity="directive_draft", entity_key=str(row.id),
                     file=name, tasks=len(draft.tasks))
        return row.id

    draft_id = await run_db(request, keep)
    raise web.HTTPSeeOther(request.app.router["directive_draft"].url_for(draft_id=str(draft_id)))


# -- one draft --------------------------------------------------------------------------------------------

def _draft_id(request: web.Request) -> int:
    raw = request.match_info["draft_id"]
    return int(raw) if raw.isdigit() else 0


def _rows(request: web.Request, row: DirectiveDraft, problems: dict[int, list[str]]) -> list[dict]:
    directory = _directory(request.app[SETTINGS])
    today = today_of(request)
    out = []
    for i, t in enumerate(row.tasks):
        as_read, reads = draft_form.deadline_as_read(t.get("deadline"), row.issued, today, request.app[CALENDAR])
        known, suggestions = draft_form.lead_suggestions(directory, t.get("lead") or "", row.issued)
        out.append({**t, "index": i, "as_read": as_read, "reads": reads, "known": known,
                    "suggestions": suggestions, "problems": problems.get(i, []),
                    "coordinators_text": "; ".join(t.get("coordinators") or [])})
    return out


async def draft_page(request: web.Request, *, row: DirectiveDraft | None = None, status: int = 200,
                     message: str | None = None, problems: dict[int, list[str]] | None = None,
                     general: list[str] | None = None) -> web.Response:
    if _admin(request) is None:
        return not_found(request)
    if row is None:
        draft_id = _draft_id(request)
        row = await run_db(request, lambda s: s.get(DirectiveDraft, draft_id))
        if row is None:
            return not_found(request)
    directory = _directory(request.app[SETTINGS])
    return aiohttp_jinja2.render_template("directive_draft.html", request, {
        "draft": row, "rows": _rows(request, row, problems or {}), "message": message,
        "message_ok": status < 400, "general": general or [],
        "agency_names": sorted(a.name for a in directory.agencies)}, status=status)


async def draft_post(request: web.Request) -> web.Response:
    """POST: save the corrections; then import (action=import) or discard (action=discard) the draft."""
    person = _admin(request)
    if person is None:
        return not_found(request)
    form = await request.post()
    action = form.get("action", "save")
    draft_id = _draft_id(request)
    now = request.app[CLOCK].now()
    row = await run_db(request, lambda s: s.get(DirectiveDraft, draft_id))
    if row is None:
        return await drafts_page(request, status=404, message=_(
            "That draft is no longer kept (imported or discarded); upload the directive again if it is needed."))
    if action == "discard":
        def discard(s: Session) -> None:
            r = s.get(DirectiveDraft, draft_id)
            if r is not None:  # a colleague may have discarded it a moment ago
                s.delete(r)
            audit.record(s, at=now, actor=person.name, actor_id=person.user_id, source="web",
                         action="directive_draft.discarded", entity="directive_draft", entity_key=str(draft_id),
                         file=row.file_name)

        await run_db(request, discard)
        return await drafts_page(request, message=_("The draft of {file} is discarded; nothing was imported.",
                                                    file=row.file_name))

    issued_text = (form.get("issued") or "").strip()
    issued = _parse_date(issued_text) if issued_text else None
    tasks = draft_form.tasks_from_form(form, row.tasks)

    def save(s: Session) -> DirectiveDraft:
        r = s.get(DirectiveDraft, draft_id)
        r.number = " ".join((form.get("number") or "").split())[:200]
        r.issuer = " ".join((form.get("issuer") or "").split())[:500]
        r.subject = " ".join((form.get("subject") or "").split())[:2000]
        if issued is not None or not issued_text:
            r.issued = issued
        r.tasks, r.updated_at = tasks, now
        s.add(r)
        return r

    row = await run_db(request, save)
    if issued_text and issued is None:
        return await draft_page(request, row=row, status=400, message=_(
            "Issue date {value!r}: write it as dd/mm/yyyy, e.g. 02/03/2012.", value=issued_text))
    if action != "import":
        return await draft_page(request, row=row, message=_("Saved. Nothing is imported until you press “Import "
                                                            "the tasks”."))
    return await _import(request, person, row)


async def _import(request: web.Request, person, row: DirectiveDraft) -> web.Response:
    from intake.directive.draft_yaml import render

    header = {"number": row.number, "issued": row.issued, "issuer": row.issuer, "subject": row.subject,
              "review": row.review}
    text = render(draft_form.to_draft(header, row.tasks), source=row.file_name)
    folder = Path(tempfile.mkdtemp(prefix="dondoc-draft-"))
    path = folder / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    settings = request.app[SETTINGS]
    now = request.app[CLOCK].now()
    # the registry's own import, in its upload worker process (one at a time, bounded in memory)
    from intake.limits import Limits
    from web.upload_worker import CHECKS, Busy, Job

    job = Job(apply=True, database_url=request.app[ENGINE].url.render_as_string(hide_password=False), path=path,
              options=registry_adapter.Options(folder=folder), now=now, actor=f"{person.name} (web)",
              lang=request[LANG], settings=settings, calendar=request.app[CALENDAR],
              limits=Limits.from_settings(settings))
    try:
        outcome = (await request.app[CHECKS].run(job)).outcome
    except Busy:
        return await draft_page(request, row=row, status=503, message=_(
            "Other registry files are being checked right now; try again in a minute."))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not outcome.ok:
        by_task, general = draft_form.place_problems(outcome.problems, text)
        return await draft_page(request, row=row, status=400, problems=by_task, general=general, message=ngettext(
            "{n} problem: nothing was imported. Correct the row marked below and press “Import the tasks” again.",
            "{n} problems: nothing was imported. Correct the rows marked below and press “Import the tasks” again.",
            len(outcome.problems)))

    def forget(s: Session) -> None:
        r = s.get(DirectiveDraft, row.id)
        if r is not None:
            s.delete(r)
        audit.record(s, at=now, actor=person.name, actor_id=person.user_id, source="web",
                     action="directive_draft.imported", entity="directive_draft", entity_key=str(row.id),
                     file=row.file_name, directive=row.number, added=len(outcome.added),
                     changed=len(outcome.changed))

    await run_db(request, forget)
    return await drafts_page(request, imported=row.number, message=_(
        "Imported {number}: {added} added, {changed} changed, {unchanged} unchanged.", number=row.number,
        added=len(outcome.added), changed=len(outcome.changed), unchanged=len(outcome.unchanged)))


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/directives", drafts_page, name="directives")
    r.add_post("/directives/upload", draft_upload, name="directive_upload")
    r.add_get("/directives/{draft_id}", draft_page, name="directive_draft")
    r.add_post("/directives/{draft_id}", draft_post, name="directive_draft_post")
