"""What the API's modules share (web/api/app.py builds the application, routes.py has the operations; both import
this, so the API has no import circle): keys, problems, the token's client, the rate limiter, reading and
answering.

/api/v1 on the one HTTP server: a sub-application with its own middleware (the console's cookies and CSRF
do not apply; a token does).

Per request:
- `Authorization: Bearer <token>` is looked up by its hash (storage.api_tokens); none, unknown or revoked → 401;
- the token's requests are counted (API_RATE_PER_MINUTE in any 60 s) → 429 with Retry-After past that;
- the token becomes a `storage.signin.Person` — its agencies as a focal point's, every agency as the oversight body
  (write) or the leadership (read) — so what it sees and may do follows the console's and the chat's rules;
- every error is `application/problem+json` (RFC 9457), never an HTML page or a traceback.

`GET /api/v1/openapi.json` (no token) is the document, generated from the same declarations as the routes.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from storage import api_tokens
from storage.signin import Person

MOUNT = "/api/v1"
SETTINGS = web.AppKey("api_settings", object)
ENGINE = web.AppKey("api_engine", object)
CLOCK = web.AppKey("api_clock", object)
CALENDAR = web.AppKey("api_calendar", object)
LIMITER = web.AppKey("api_limiter", object)
CLIENT = web.RequestKey("api_client", object)
PROBLEM_TYPE = "https://dondoc.invalid/problems/"
MAX_BODY = 64 * 1024


class ApiProblem(Exception):
    def __init__(self, status: int, kind: str, title: str, detail: str | None = None, errors=None,
                 headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail, self.errors = status, kind, title, detail, errors
        self.headers = headers or {}


def problem(status: int, kind: str, title: str, detail: str | None = None, errors=None,
            headers: dict | None = None) -> web.Response:
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return web.json_response(body, status=status, content_type="application/problem+json",
                             headers={"Cache-Control": "no-store", **(headers or {})})


@dataclass
class Client:
    """The system behind a token, and the person-shaped view of it the console's rules read."""

    token_id: int
    name: str
    scope: str
    person: Person

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def actor(self):
        from storage.actions import Actor

        return Actor(self.name, f"api:{self.token_id}", "api")


def client_of(token: api_tokens.ApiToken) -> Client:
    if token.all_agencies:
        bindings = [("", "oversight" if token.scope == "write" else "leadership")]
    else:
        bindings = [(code, "focal") for code in token.agencies]
    return Client(token.id, token.name, token.scope,
                  Person(user_id=f"api:{token.id}", name=token.name, bindings=bindings))


class RateLimiter:
    """At most `per_minute` requests per token in any 60 seconds (a sliding window, per process)."""

    def __init__(self, per_minute: int, now: Callable[[], float] = time.monotonic):
        self.per_minute, self.now = per_minute, now
        self.seen: dict[int, deque] = {}

    def check(self, key: int) -> int:
        """0 when allowed (and counted), else the seconds to wait."""
        t = self.now()
        q = self.seen.setdefault(key, deque())
        while q and q[0] <= t - 60:
            q.popleft()
        if len(q) >= self.per_minute:
            return max(1, int(q[0] + 60 - t) + 1)
        q.append(t)
        return 0


async def run_db(request: web.Request, fn: Callable[[Session], Any]) -> Any:
    """`fn(session)` on the API's database in a worker thread (web.common.in_session)."""
    from web.common import in_session

    return await in_session(request.app[ENGINE], fn)


def validation_errors(e: ValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in err["loc"]) or None, "message": err["msg"]} for err in e.errors()]


def read_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    # Unknown parameters are refused (model_config extra="forbid"): a typo ("stauts=overdue") would otherwise
    # silently answer everything.
    given = {k: request.query.get(k) for k in request.query}
    try:
        return model.model_validate(given)
    except ValidationError as e:
        raise ApiProblem(422, "invalid", "Invalid parameters", errors=validation_errors(e)) from None


async def read_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    raw = await request.read()
    try:
        import json

        data = json.loads(raw or b"null")
    except ValueError:
        raise ApiProblem(400, "malformed", "The body is not JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ApiProblem(422, "invalid", "Invalid request body", errors=validation_errors(e)) from None


def respond(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(body=model.model_dump_json(by_alias=True).encode(), status=status,
                        content_type="application/json", headers={"Cache-Control": "no-store"})


async def authenticate(request: web.Request) -> Client:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "unauthenticated", "Token required",
                         "Send `Authorization: Bearer <token>` (from `dondoc api-token create`).",
                         headers={"WWW-Authenticate": 'Bearer realm="dondoc"'})
    now = request.app[CLOCK].now()

    def find(s: Session):
        row = api_tokens.lookup(s, token.strip())
        if row is not None and (row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1)):
            row.last_used_at = now  # at most one write a minute per token
            s.add(row)
        return client_of(row) if row is not None else None

    client = await run_db(request, find)
    if client is None:
        raise ApiProblem(401, "unauthenticated", "Unknown or revoked token",
                         headers={"WWW-Authenticate": 'Bearer realm="dondoc", error="invalid_token"'})
    wait = request.app[LIMITER].check(client.token_id)
    if wait:
        raise ApiProblem(429, "rate-limited", "Too many requests",
                         f"At most {request.app[LIMITER].per_minute} requests a minute per token.",
                         headers={"Retry-After": str(wait)})
    return client
