"""Other systems' access: API tokens (mã truy cập API), webhook subscriptions and the webhook outbox.

An API token belongs to one system (a dashboard, the province's operations centre, an e-office): its `name`
is what the audit log records as the actor of whatever it does (source "api"). It sees one set of agencies
(`agencies`, the tasks they lead or coordinate) or every agency (`all_agencies`), and may only read (`read`)
or also act (`write`: progress, done, extension requests on the tasks its agencies lead; with every agency, the
oversight body's decisions too). Only the token's SHA-256 is stored; the plain token is shown once.

A webhook subscription belongs to a token (it sees what the token sees); its `secret` signs every delivery
(HMAC-SHA256), so it is kept as given — it must be known to sign — and shown only when created.
`WebhookDelivery` is the outbox: one row per event × subscription (`uq_webhook_delivery`), the idempotency key,
so re-reading the audit log, restarts and two processes never make a second delivery of one event.

The caller owns the transaction; nothing is committed here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage import audit
from storage.api_tables import (DELIVERY_CLAIMED, DELIVERY_FAILED, DELIVERY_PENDING, DELIVERY_SENT,  # noqa: F401
                                ApiToken, WebhookDelivery, WebhookSubscription)

SCOPES = ("read", "write")
TOKEN_PREFIX = "ddk_"  # tells a reader of a log or a config file what kind of secret this is
TOKEN_RE = re.compile(r"ddk_[A-Za-z0-9_-]{40,64}")
EVENTS = ("task.created", "task.changed", "task.done", "task.returned", "task.overdue", "extension.decided")


class ApiTokenError(ValueError):
    """A token or subscription that cannot be made or changed as asked; `code` names why."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def issue(session: Session, *, name: str, scope: str, agencies: list[str] | None, all_agencies: bool,
          actor: str, now: datetime) -> tuple[str, ApiToken]:
    """A new token; returns (the plain token — shown once —, its row)."""
    if scope not in SCOPES:
        raise ApiTokenError("scope", f"unknown scope {scope!r}; accepted: {', '.join(SCOPES)}")
    if not (name and name.strip()):
        raise ApiTokenError("name", "a token needs the name of the system that uses it")
    if all_agencies == bool(agencies):
        raise ApiTokenError("agencies", "give either agencies or all agencies")
    token = new_token()
    row = ApiToken(name=name.strip(), token_hash=hash_token(token), scope=scope, all_agencies=all_agencies,
                   agencies=sorted(set(agencies or [])), created_at=now, created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, source="cli", action="api.token_issued", entity="api_token",
                 entity_key=str(row.id), name=row.name, scope=scope, agencies=row.agencies, all=all_agencies)
    return token, row


def lookup(session: Session, token: str | None) -> ApiToken | None:
    """The active token for a plain token, else None (malformed, unknown or revoked)."""
    if not token or not TOKEN_RE.fullmatch(token):
        return None
    digest = hash_token(token)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    return row


def revoke(session: Session, token_id: int, *, actor: str, now: datetime) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ApiTokenError("unknown", f"no API token number {token_id}")
    if row.revoked_at is not None:
        raise ApiTokenError("revoked", f"API token number {token_id} is already revoked")
    row.revoked_at = now
    session.add(row)
    for sub in session.exec(select(WebhookSubscription).where(WebhookSubscription.token_id == row.id,
                                                              WebhookSubscription.revoked_at.is_(None))):
        sub.revoked_at = now  # a system cut off stops receiving events as well
        session.add(sub)
    audit.record(session, at=now, actor=actor, source="cli", action="api.token_revoked", entity="api_token",
                 entity_key=str(row.id), name=row.name)
    return row


def tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(ApiToken.id)))


# -- webhook subscriptions --------------------------------------------------------------------------------

def subscribe(session: Session, token: ApiToken, *, url: str, events: list[str], now: datetime,
              secret: str | None = None) -> WebhookSubscription:
    """A new subscription; events from now on (the audit log is read from its current end)."""
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise ApiTokenError("events", f"unknown events {unknown}; accepted: {', '.join(EVENTS)}")
    from storage.tables import AuditEntry

    last = session.execute(sa.select(sa.func.max(AuditEntry.id))).scalar() or 0
    sub = WebhookSubscription(token_id=token.id, url=url, events=sorted(set(events)),
                              secret=secret or secrets.token_urlsafe(32), created_at=now, audit_start=last,
                              audit_cursor=last)
    session.add(sub)
    session.flush()
    audit.record(session, at=now, actor=token.name, actor_id=f"api:{token.id}", source="api",
                 action="api.webhook_subscribed", entity="webhook", entity_key=str(sub.id), url=url,
                 events=sub.events)
    return sub


def unsubscribe(session: Session, token: ApiToken, sub_id: int, now: datetime) -> WebhookSubscription | None:
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None or sub.token_id != token.id or sub.revoked_at is not None:
        return None
    sub.revoked_at = now
    session.add(sub)
    audit.record(session, at=now, actor=token.name, actor_id=f"api:{token.id}", source="api",
                 action="api.webhook_removed", entity="webhook", entity_key=str(sub.id))
    return sub
