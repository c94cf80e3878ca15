"""The administrator's pages: the registry (upload → dry run → confirm → import; export), chats and
invites, and the preview of what will be sent. Administrators only (ADMIN_USER_IDS); anyone else gets 404,
as for a page that does not exist."""

from __future__ import annotations

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
from web import registry_adapter
from web.common import CALENDAR, CLOCK, ENGINE, PERSON, SETTINGS, UPLOADS, run_db
from storage.signin import Person
from web.common import _parse_date, today_of
from web.pages import not_found

SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


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


def _options(form) -> registry_adapter.Options:
    return registry_adapter.Options(document=(form.get("document") or "").strip() or None,
                                    issued=_parse_date(form.get("issued") or ""),
                                    prune=form.get("prune") == "on")


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
    person: Person = request[PERSON]
    entry = request.app[UPLOADS].get(upload_id)
    if entry is None or entry[0] != person.user_id:
        return None
    path: Path = entry[1]
    settings = request.app[SETTINGS]
    kwargs = dict(directory=_directory(settings), calendar=request.app[CALENDAR], now=request.app[CLOCK].now(),
                  actor=f"{person.name} (web)", options=options)
    import asyncio

    fn = registry_adapter.apply if apply else registry_adapter.dry_run
    return await asyncio.to_thread(fn, request.app[ENGINE], path, **kwargs), path


async def registry_upload(request: web.Request) -> web.Response:
    """POST: keep the uploaded file (for this person) and show the dry run."""
    person = _admin(request)
    if person is None:
        return not_found(request)
    form = await request.post()
    field = form.get("file")
    if field is None or not getattr(field, "filename", None):
        return await registry_page(request, message=_("Choose a registry file to upload."), status=400)
    if (form.get("issued") or "").strip() and _parse_date(form.get("issued")) is None:
        return await registry_page(request, status=400, message=_(
            "Issue date {value!r}: write it as dd/mm/yyyy, e.g. 02/03/2012.", value=form.get("issued").strip()))
    name = SAFE_NAME.sub("_", Path(field.filename).name)[:120] or "registry"
    folder = Path(tempfile.mkdtemp(prefix="dondoc-upload-"))
    path = folder / name
    path.write_bytes(field.file.read())
    upload_id = secrets.token_urlsafe(16)
    uploads = request.app[UPLOADS]
    for old_id, (uid, old_path) in list(uploads.items()):
        if uid == person.user_id:  # one pending upload per person
            shutil.rmtree(old_path.parent, ignore_errors=True)
            del uploads[old_id]
    uploads[upload_id] = (person.user_id, path)
    return await _show_dry_run(request, upload_id, _options(form))


async def _show_dry_run(request: web.Request, upload_id: str, options) -> web.Response:
    result = await _check(request, upload_id, options, apply=False)
    if result is None:
        return await registry_page(request, message=_("That upload is no longer here; upload the file again."),
                                   status=404)
    outcome, path = result
    table = registry_adapter.read_table(path)
    return await registry_page(request, outcome=outcome, table=table, upload=upload_id, file_name=path.name,
                               marks=_marks(table, outcome.problems, path.suffix.lower() in (".yaml", ".yml")),
                               options=options, is_yaml=path.suffix.lower() in (".yaml", ".yml"))


async def registry_confirm(request: web.Request) -> web.Response:
    """POST: import the upload that was checked (checked again: the database may have changed since)."""
    if _admin(request) is None:
        return not_found(request)
    form = await request.post()
    upload_id = form.get("upload", "")
    options = _options(form)
    result = await _check(request, upload_id, options, apply=True)
    if result is None:
        return await registry_page(request, message=_("That upload is no longer here; upload the file again."),
                                   status=404)
    outcome, path = result
    if not outcome.ok:
        return await _show_dry_run(request, upload_id, options)
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
    if settings.telegram_bot_username:
        import segno

        new["group"], new["private"] = deep_links(settings.telegram_bot_username, code)
        new["qr"] = segno.make(new["private"], error="m").svg_data_uri(scale=5, dark="#1d2b3a")
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
    r = app.router
    r.add_get("/registry", registry_page, name="registry")
    r.add_post("/registry/check", registry_upload, name="registry_upload")
    r.add_post("/registry/import", registry_confirm, name="registry_confirm")
    r.add_get("/registry/export.{fmt}", registry_export, name="registry_export")
    r.add_get("/chats", chats_page, name="chats")
    r.add_post("/chats/invite", invite_create, name="invite_create")
    r.add_post("/chats/revoke", invite_revoke, name="invite_revoke")
    r.add_post("/chats/unlink", binding_unlink, name="binding_unlink")
    r.add_get("/preview", preview_page, name="preview")
