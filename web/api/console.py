"""The console's page about other systems (administrators only): API tokens, webhook subscriptions and their
latest deliveries — sent, waiting for a retry (with the receiver's last answer) or given up."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from sqlmodel import Session, func, select

from storage.api_tokens import ApiToken, WebhookDelivery, WebhookSubscription
from web.common import PERSON, SETTINGS, run_db
from web.pages import not_found

SHOWN = 100  # latest deliveries listed


async def integrations_page(request: web.Request) -> web.Response:
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
            "tz": request.app[SETTINGS].timezone,
        }

    return aiohttp_jinja2.render_template("integrations.html", request, await run_db(request, load))


def routes(app: web.Application) -> None:
    app.router.add_get("/integrations", integrations_page, name="integrations")
