"""The console's page about other systems (administrators only): API tokens, webhook subscriptions and their
latest deliveries — sent, waiting for a retry (with the receiver's last answer) or given up — and the upload
of an edXML package (as `dondoc import-edxml`): its draft is offered for download, to review and then upload on
the registry page. Drafts go to EDXML_WATCH_DIR/drafts, else data/edxml-drafts."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, func, select

from core.i18n import _
from storage.api_tables import EdxmlDocument
from storage.api_tokens import ApiToken, WebhookDelivery, WebhookSubscription
from web.common import CLOCK, PERSON, SETTINGS, run_db
from web.pages import not_found

DRAFT_NAME = re.compile(r"[A-Za-z0-9-]{1,120}\.yaml")


def drafts_folder(settings) -> Path:
    return Path(settings.edxml_watch_dir) / "drafts" if settings.edxml_watch_dir else Path("data") / "edxml-drafts"

SHOWN = 100  # latest deliveries listed


async def integrations_page(request: web.Request, status: int = 200, **extra) -> web.Response:
    if not request[PERSON].can_admin:
        return not_found(request)

    def load(s: Session):
        subs = s.exec(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
        counts: dict[tuple[int, str], int] = {}
        for sub_id, status, n in s.exec(select(WebhookDelivery.subscription_id, WebhookDelivery.status,
                                               func.count(WebhookDelivery.id))
                                        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)):
            counts[(sub_id, status)] = n
        return {
            "tokens": s.exec(select(ApiToken).order_by(ApiToken.id)).all(),
            "subscriptions": subs,
            "counts": counts,
            "deliveries": s.exec(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(SHOWN)).all(),
            "documents": s.exec(select(EdxmlDocument).order_by(EdxmlDocument.received_at.desc()).limit(20)).all(),
            "tz": request.app[SETTINGS].timezone,
            "received": None, "problems": None, "draft_name": None,
        }

    ctx = await run_db(request, load)
    ctx.update(extra)
    return aiohttp_jinja2.render_template("integrations.html", request, ctx, status=status)


async def edxml_upload(request: web.Request) -> web.Response:
    """POST: receive one edXML package; the page then shows its header and signature, or what is wrong."""
    from intake.edxml.importer import receive
    from intake.edxml.package import PackageError

    person = request[PERSON]
    if not person.can_admin:
        return not_found(request)
    form = await request.post()
    field = form.get("package")
    if field is None or not getattr(field, "filename", None):
        return await integrations_page(request, status=400, problems=[_("Choose an edXML package to upload.")])
    data = field.file.read()
    settings = request.app[SETTINGS]
    cert = settings.edxml_cert_file.read_bytes() if settings.edxml_cert_file else None
    now = request.app[CLOCK].now()

    def work(s: Session):
        return receive(s, data, drafts=drafts_folder(settings), now=now, actor=person.name, source="web",
                       cert_pem=cert, allow_unsigned=form.get("allow_unsigned") == "on",
                       source_name=Path(field.filename).name)

    try:
        got = await run_db(request, work)
    except PackageError as e:
        return await integrations_page(request, status=400, problems=e.problems)
    return await integrations_page(request, received=got, draft_name=got.draft_file.name)


async def edxml_draft(request: web.Request) -> web.StreamResponse:
    """GET: a draft made from an edXML package, to review and then upload on the registry page."""
    if not request[PERSON].can_admin:
        return not_found(request)
    name = request.match_info["file"]
    path = drafts_folder(request.app[SETTINGS]) / name
    if not DRAFT_NAME.fullmatch(name) or not path.is_file():
        return not_found(request)
    return web.Response(body=path.read_bytes(), content_type="application/x-yaml", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def routes(app: web.Application) -> None:
    app.router.add_get("/integrations", integrations_page, name="integrations")
    app.router.add_post("/integrations/edxml", edxml_upload, name="edxml_upload")
    app.router.add_get("/integrations/drafts/{file}", edxml_draft, name="edxml_draft")
