"""The administrator's pages: the registry (upload → dry run → confirm → import; export), chats and
invites, and the preview of what will be sent. Administrators only (ADMIN_USER_IDS); anyone else gets 404,
as for a page that does not exist."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, select

from core.i18n import _
from storage.tables import ChatBinding, InviteCode
from web import registry_adapter, upload_files
from web.common import CALENDAR, CLOCK, ENGINE, LANG, PERSON, SETTINGS, UPLOADS, run_db
from storage.signin import Person
from web.common import _parse_date, today_of
from web.pages import not_found

log = logging.getLogger(__name__)



def _admin(request: web.Request) -> Person | None:
    person: Person = request[PERSON]
    return person if person.can_admin else None


def _directory(settings):
    from storage.agencies import AgencyDirectory

    return AgencyDirectory.load(settings.agencies_file)


# -- registry ---------------------------------------------------------------------------------------------

async def registry_page(request: web.Request, **extra) -> web.Response:
    if _admin(request) is None:
        return not_found(request)
    ctx = {"accepted": registry_adapter.accepted_suffixes(), "outcome": None, "table": None, "upload": None,
           "marks": {}, "file_name": None, "options": registry_adapter.Options(), "message": None,
           "message_ok": True}
    status = extra.pop("status", 200)
    ctx["message_ok"] = status < 400
    ctx.update(extra)
    return aiohttp_jinja2.render_template("registry.html", request, ctx, status=status)


AGENCIES_NAME = "agencies-file.yaml"  # the agencies file uploaded with a plan, kept next to it until the import


def _text(form, name: str) -> str | None:
    return (form.get(name) or "").strip() or None


def _options(form, folder: Path | None = None) -> registry_adapter.Options:
    agencies = folder / AGENCIES_NAME if folder is not None and (folder / AGENCIES_NAME).exists() else None
    return registry_adapter.Options(document=_text(form, "document"), issued=_parse_date(form.get("issued") or ""),
                                    prune=form.get("prune") == "on", issuer=_text(form, "issuer"),
                                    subject=_text(form, "subject"), until=_parse_date(form.get("until") or ""),
                                    agencies=agencies, folder=folder)


def _bad_dates(form) -> str | None:
    """What is wrong with the form's dates, said for the page (None when they are right or empty)."""
    labels = {"issued": _("Issue date"), "until": _("Plan ends on")}
    for name, label in labels.items():
        value = (form.get(name) or "").strip()
        if value and _parse_date(value) is None:
            return _("{field} {value!r}: this is not a date that exists; write it dd/mm/yyyy, e.g. 02/03/2012.",
                     field=label, value=value)
    return None


def _column_index(table, column) -> int:
    """The index of the column a problem names, from the table's first rows (a header may be two rows deep);
    0 (the row as a whole) when none matches."""
    if not isinstance(column, str):
        return max(int(column) - 1, 0) if isinstance(column, int) and column > 0 else 0
    wanted = column.strip().casefold()
    for _number, cells in table[:5]:
        for k, cell in enumerate(cells):
            if cell.strip().casefold() == wanted:
                return k
    return 0


def _marks(table: list[tuple[int, list[str]]] | None, problems, yaml: bool) -> dict:
    """(row number, column index) → messages, to show each problem on the file's own table at its row and
    column; column 0 for a problem on the whole row or a YAML line."""
    marks: dict[tuple[int, int], list[str]] = {}
    for p in problems:
        col = 0 if (yaml or not table) else _column_index(table, p.column)
        marks.setdefault((max(p.row, 1), col), []).append(p.message)
    return marks


async def _check(request: web.Request, upload_id: str, options, apply: bool):
    """(Result, path) of checking — or importing — this person's upload in the upload worker process
    (web.upload_worker: off the event loop, one at a time, bounded in memory); None when the upload is gone.
    Raises upload_worker.Busy when too many wait."""
    from intake.limits import Limits
    from web.upload_worker import CHECKS, Job

    person: Person = request[PERSON]
    entry = request.app[UPLOADS].get(upload_id)
    if entry is None or entry[0] != person.user_id:
        return None
    path: Path = entry[1]
    settings = request.app[SETTINGS]
    engine = request.app[ENGINE]
    job = Job(apply=apply, database_url=engine.url.render_as_string(hide_password=False), path=path,
              options=options, now=request.app[CLOCK].now(), actor=f"{person.name} (web)", lang=request[LANG],
              settings=settings, calendar=request.app[CALENDAR], limits=Limits.from_settings(settings))
    return await request.app[CHECKS].run(job), path


async def _busy(request: web.Request) -> web.Response:
    response = await registry_page(request, status=503, message=_(
        "Other registry files are being checked right now; try again in a minute."))
    response.headers["Retry-After"] = "60"
    return response


async def registry_upload(request: web.Request) -> web.Response:
    """POST: keep the uploaded file (for this person) and show the dry run."""
    person = _admin(request)
    if person is None:
        return not_found(request)
    form = await request.post()
    field = form.get("file")
    if field is None or not getattr(field, "filename", None):
        return await registry_page(request, message=_("Choose a registry file to upload."), status=400)
    bad = _bad_dates(form)
    if bad:
        return await registry_page(request, status=400, message=bad, options=_options(form))
    name = upload_files.safe_name(field.filename)
    if name is None:
        return await registry_page(request, status=400, options=_options(form), message=_(
            "The file name {name!r} cannot be used: give the file a name such as ke-hoach.xlsx and upload it "
            "again.", name=field.filename))
    if name == AGENCIES_NAME:
        name = "registry-" + name
    folder = upload_files.new_folder()
    path = folder / name

    def keep() -> None:
        path.write_bytes(field.file.read())
        agencies = form.get("agencies")
        if agencies is not None and getattr(agencies, "filename", None):
            (folder / AGENCIES_NAME).write_bytes(agencies.file.read())

    try:
        await asyncio.to_thread(keep)
    except OSError as e:  # nothing half-kept: the folder goes with the failed upload
        shutil.rmtree(folder, ignore_errors=True)
        log.warning("could not keep an uploaded registry: %s", e)
        return await registry_page(request, status=400, options=_options(form), message=_(
            "The file could not be kept on the server ({error}); upload it again.", error=e.strerror or e))
    upload_id = secrets.token_urlsafe(16)
    uploads = request.app[UPLOADS]
    for old_id, (uid, old_path) in list(uploads.items()):
        if uid == person.user_id:  # one pending upload per person
            shutil.rmtree(old_path.parent, ignore_errors=True)
            del uploads[old_id]
    uploads[upload_id] = (person.user_id, path)
    return await _show_dry_run(request, upload_id, _options(form, folder))


async def _show_dry_run(request: web.Request, upload_id: str, options, result=None) -> web.Response:
    from web.upload_worker import Busy

    if result is None:
        try:
            result = await _check(request, upload_id, options, apply=False)
        except Busy:
            return await _busy(request)
    if result is None:
        return await registry_page(request, message=_("That upload is no longer here; upload the file again."),
                                   status=404)
    checked, path = result
    outcome, table = checked.outcome, checked.table
    return await registry_page(request, outcome=outcome, table=table, upload=upload_id, file_name=path.name,
                               marks=_marks(table, outcome.problems, path.suffix.lower() in (".yaml", ".yml")),
                               options=options, is_yaml=path.suffix.lower() in (".yaml", ".yml"))


async def registry_confirm(request: web.Request) -> web.Response:
    """POST: import the upload that was checked (checked again: the database may have changed since)."""
    from web.upload_worker import Busy

    if _admin(request) is None:
        return not_found(request)
    form = await request.post()
    upload_id = form.get("upload", "")
    entry = request.app[UPLOADS].get(upload_id)
    options = _options(form, entry[1].parent if entry is not None else None)
    try:
        result = await _check(request, upload_id, options, apply=True)
    except Busy:
        return await _busy(request)
    if result is None:
        return await registry_page(request, message=_("That upload is no longer here; upload the file again."),
                                   status=404)
    checked, path = result
    outcome = checked.outcome
    if not outcome.ok:
        return await _show_dry_run(request, upload_id, options, result)
    request.app[UPLOADS].pop(upload_id, None)
    shutil.rmtree(path.parent, ignore_errors=True)
    return await registry_page(request, message=_(
        "Imported {file}: {added} added, {changed} changed, {unchanged} unchanged.", file=path.name,
        added=len(outcome.added), changed=len(outcome.changed), unchanged=len(outcome.unchanged)))


async def registry_export(request: web.Request) -> web.Response:
    if _admin(request) is None:
        return not_found(request)
    suffix = "." + request.match_info["fmt"]
    if suffix not in (".xlsx", ".csv", ".yaml"):
        return not_found(request)
    folder = Path(tempfile.mkdtemp(prefix="dondoc-export-"))
    try:
        data = await run_db(request, lambda s: registry_adapter.export(s, suffix, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    types = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".csv": "text/csv; charset=utf-8", ".yaml": "application/yaml; charset=utf-8"}
    return web.Response(body=data, headers={
        "Content-Type": types[suffix],
        "Content-Disposition": f'attachment; filename="dondoc-registry-{today_of(request):%Y%m%d}{suffix}"'})


async def agencies_download(request: web.Request) -> web.Response:
    """GET: the province's own agency records as an agencies file, to edit and upload again."""
    if _admin(request) is None:
        return not_found(request)
    from storage.agency_export import stored_agencies_yaml

    text = await run_db(request, stored_agencies_yaml)
    return web.Response(body=text.encode("utf-8"), headers={
        "Content-Type": "application/yaml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="dondoc-agencies-{today_of(request):%Y%m%d}.yaml"'})


async def agencies_upload(request: web.Request) -> web.Response:
    """POST: an edited agencies file, checked and stored (all or nothing, audited); the problems on the page."""
    person = _admin(request)
    if person is None:
        return not_found(request)
    form = await request.post()
    field = form.get("agencies")
    if field is None or not getattr(field, "filename", None):
        return await registry_page(request, message=_("Choose an agencies file to upload."), status=400)
    folder = Path(tempfile.mkdtemp(prefix="dondoc-agencies-"))
    path = folder / AGENCIES_NAME
    path.write_bytes(field.file.read())
    settings, now = request.app[SETTINGS], request.app[CLOCK].now()

    def store(s: Session):
        from intake.directory import directory_for
        from storage.agencies import AgencyFileError, sync_directory

        try:
            directory = directory_for(settings, s, [path])
        except AgencyFileError as e:
            return registry_adapter.agency_file_problems(e, Path(field.filename))
        n = sync_directory(s, directory, actor=f"{person.name} (web)", source="web", now=now, file=field.filename)
        s.commit()
        return n

    try:
        result = await run_db(request, store)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if isinstance(result, list):
        text = " ".join(_("Line {row}: {message}", row=p.row, message=p.message) for p in result)
        return await registry_page(request, message=_("The agencies file was not stored.") + " " + text, status=400)
    return await registry_page(request, message=_("Agencies file stored: {n} agencies added or changed.", n=result))


# -- chats and invites ------------------------------------------------------------------------------------

def _chats_context(s: Session, request: web.Request) -> dict:
    from storage.agencies import agency_names

    settings = request.app[SETTINGS]
    names = agency_names(s)
    directory = _directory(settings)
    for a in directory.agencies:
        names.setdefault(a.code, a.name)
    bindings = s.exec(select(ChatBinding).order_by(ChatBinding.agency, ChatBinding.role, ChatBinding.id)).all()
    by_agency: dict[str, list[ChatBinding]] = {}
    for b in bindings:
        by_agency.setdefault(b.agency, []).append(b)
    now = request.app[CLOCK].now()
    invites = s.exec(select(InviteCode).where(InviteCode.used_at.is_(None), InviteCode.expires_at > now)
                     .order_by(InviteCode.created_at.desc())).all()
    return {"by_agency": sorted(by_agency.items(), key=lambda kv: names.get(kv[0], kv[0])), "names": names,
            "invites": invites, "agencies": sorted(((a.code, a.name) for a in directory.agencies),
                                                   key=lambda x: x[1]),
            "roles": ("focal", "manager", "oversight", "leadership"), "tz": settings.timezone, "new": None}


async def chats_page(request: web.Request, status: int = 200, **extra) -> web.Response:
    if _admin(request) is None:
        return not_found(request)
    ctx = await run_db(request, lambda s: _chats_context(s, request))
    ctx.update(extra)
    return aiohttp_jinja2.render_template("chats.html", request, ctx, status=status)


async def invite_create(request: web.Request) -> web.Response:
    person = _admin(request)
    if person is None:
        return not_found(request)
    from bot.invites import create_invite, deep_links, parse_duration
    from storage.actions import Actor
    from storage.agencies import sync_directory

    form = await request.post()
    settings = request.app[SETTINGS]
    directory = _directory(settings)
    agency, role = form.get("agency", ""), form.get("role", "")
    if directory.get(agency) is None or role not in ("focal", "manager", "oversight", "leadership"):
        return await chats_page(request, status=400, error=_("Choose an agency and a role."))
    try:
        lifetime = parse_duration(form.get("expires") or "7d")
    except ValueError:
        return await chats_page(request, status=400, error=_("Expiry: a number and a unit m/h/d/w, e.g. 7d."))

    def make(s: Session):
        sync_directory(s, directory)
        code, row = create_invite(s, agency, role, Actor(person.name, person.user_id, "web"),
                                  request.app[CLOCK].now(), lifetime)
        return code, row.expires_at

    code, expires_at = await run_db(request, make)
    new = {"code": code, "agency": directory.name(agency), "role": role, "expires_at": expires_at,
           "group": None, "private": None, "qr": None}
    import segno

    if settings.telegram_bot_username:
        new["group"], new["private"] = deep_links(settings.telegram_bot_username, code)
        new["qr"] = segno.make(new["private"], error="m").svg_data_uri(scale=5, dark="#1d2b3a")
    else:  # no bot name, no link: the QR carries the code itself, to scan and send to the bot (Zalo, Telegram)
        new["qr"] = segno.make(code, error="m").svg_data_uri(scale=5, dark="#1d2b3a")
    return await chats_page(request, new=new)


async def invite_revoke(request: web.Request) -> web.Response:
    person = _admin(request)
    if person is None:
        return not_found(request)
    from storage import audit

    form = await request.post()
    invite_id = int(form.get("invite")) if (form.get("invite") or "").isdigit() else 0
    now = request.app[CLOCK].now()

    def revoke(s: Session) -> bool:
        row = s.get(InviteCode, invite_id)
        if row is None or row.used_at is not None:
            return False
        row.expires_at = now
        s.add(row)
        audit.record(s, at=now, actor=person.name, actor_id=person.user_id, source="web", action="invite.revoked",
                     entity="invite", entity_key=str(row.id), agency=row.agency, role=row.role)
        return True

    ok = await run_db(request, revoke)
    return await chats_page(request, message=_("Invite revoked.") if ok else _("That invite is already used or gone."))


async def binding_unlink(request: web.Request) -> web.Response:
    person = _admin(request)
    if person is None:
        return not_found(request)
    from jobs.scheduler import invalidate_for_binding
    from storage import audit

    form = await request.post()
    binding_id = int(form.get("binding")) if (form.get("binding") or "").isdigit() else 0
    now = request.app[CLOCK].now()

    def unlink(s: Session) -> bool:
        b = s.get(ChatBinding, binding_id)
        if b is None or not b.active:
            return False
        b.active, b.disabled_reason, b.updated_at = False, f"unlinked by {person.name} (web)", now
        s.add(b)
        audit.record(s, at=now, actor=person.name, actor_id=person.user_id, source="web", action="binding.unlinked",
                     entity="binding", entity_key=f"{b.platform}:{b.chat_id}:{b.agency}:{b.role}", agency=b.agency,
                     role=b.role, chat=f"{b.platform}:{b.chat_id}")
        invalidate_for_binding(s, b.agency, b.role)
        return True

    ok = await run_db(request, unlink)
    return await chats_page(request, message=_("Chat unlinked.") if ok else _("That chat is not linked."))


# -- preview ----------------------------------------------------------------------------------------------

async def preview_page(request: web.Request) -> web.Response:
    if _admin(request) is None:
        return not_found(request)
    from core.i18n import current_language
    from web.preview import preview

    days = request.query.get("days", "7")
    days_n = int(days) if days.isdigit() and 1 <= int(days) <= 60 else 7
    agency = request.query.get("agency") or None
    first = today_of(request)
    last = first + timedelta(days=days_n - 1)
    settings = request.app[SETTINGS]

    def load(s: Session):
        from storage.agencies import agency_names

        return {"messages": preview(s, settings, request.app[CALENDAR], first, last, agency, current_language(),
                                    now=request.app[CLOCK].now()),
                "agencies": sorted(agency_names(s).items(), key=lambda kv: kv[1]), "first": first, "last": last,
                "days": days_n, "agency": agency}

    return aiohttp_jinja2.render_template("preview.html", request, await run_db(request, load))


def routes(app: web.Application) -> None:
    from web.upload_worker import CHECKS, UploadChecks

    app[CHECKS] = UploadChecks(app[SETTINGS])

    async def stop_checks(app: web.Application) -> None:
        app[CHECKS].close()

    app.on_cleanup.append(stop_checks)
    r = app.router
    r.add_get("/registry", registry_page, name="registry")
    r.add_post("/registry/check", registry_upload, name="registry_upload")
    r.add_post("/registry/import", registry_confirm, name="registry_confirm")
    r.add_get("/registry/agencies.yaml", agencies_download, name="agencies_download")
    r.add_post("/registry/agencies", agencies_upload, name="agencies_upload")
    r.add_get("/registry/export.{fmt}", registry_export, name="registry_export")
    r.add_get("/chats", chats_page, name="chats")
    r.add_post("/chats/invite", invite_create, name="invite_create")
    r.add_post("/chats/revoke", invite_revoke, name="invite_revoke")
    r.add_post("/chats/unlink", binding_unlink, name="binding_unlink")
    r.add_get("/preview", preview_page, name="preview")
