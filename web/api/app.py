"""/api/v1: the sub-application, its middleware (token, rate, problem+json) and its mount on the one HTTP server.
What a request goes through is told in web/api/common.py."""

from __future__ import annotations

import logging

from aiohttp import web

from web.api import routes
from web.api.common import (CALENDAR, CLIENT, CLOCK, ENGINE, LIMITER, MAX_BODY, MOUNT, SETTINGS, ApiProblem,
                            RateLimiter, authenticate, problem)

log = logging.getLogger("dondoc.api")


@web.middleware
async def middleware(request: web.Request, handler):
    try:
        route = request.match_info.route
        op = getattr(route, "operation", None)
        if op is not None and not op.public:
            request[CLIENT] = await authenticate(request)
            if op.write and not request[CLIENT].can_write:
                raise ApiProblem(403, "read-only", "Read-only token",
                                 "This token's scope is read; actions need a write token.")
        return await handler(request)
    except ApiProblem as p:
        return problem(p.status, p.kind, p.title, p.detail, p.errors, p.headers)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        headers = {"Allow": e.headers["Allow"]} if "Allow" in e.headers else None
        kind = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(e.status, "http")
        return problem(e.status, kind, e.reason, headers=headers)
    except Exception:  # noqa: BLE001 - a bug must not show a traceback to another system
        log.exception("API error on %s %s", request.method, request.path)
        return problem(500, "internal", "Internal error", "The error was logged.")


def make_api_app(settings, engine, clock) -> web.Application:
    from core.workdays import WorkCalendar

    app = web.Application(middlewares=[middleware], client_max_size=MAX_BODY)
    app[SETTINGS], app[ENGINE], app[CLOCK] = settings, engine, clock
    app[CALENDAR] = WorkCalendar.from_file(settings.holidays_file)
    app[LIMITER] = RateLimiter(settings.api_rate_per_minute)
    routes.add_document_route(app)
    routes.API.add_routes(app)
    return app


def mount(app: web.Application) -> None:
    """Add /api/v1 to the one HTTP server's application (a hook of web.feeds.make_app)."""
    from web.feeds import CLOCK_KEY, ENGINE_KEY, SETTINGS_KEY

    app.add_subapp(MOUNT, make_api_app(app[SETTINGS_KEY], app[ENGINE_KEY], app[CLOCK_KEY]))
