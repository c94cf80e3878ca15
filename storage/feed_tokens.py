"""Secret calendar subscription tokens (mã đăng ký lịch).

A feed URL is `FEED_BASE_URL/feeds/<token>.ics`; whoever knows the token can read the calendar, so:
- a token is `secrets.token_urlsafe(32)` (256 random bits, 43 characters), never starting with "-";
- only its SHA-256 (hex) is stored; the plain token is shown once, when it is issued, and cannot be
  recovered afterwards — `dondoc feed url` therefore issues a new token each time (older ones keep
  working until revoked, so existing subscriptions do not break);
- a token is looked up by its hash and the stored hash is compared with `hmac.compare_digest`;
- revoking sets `revoked_at`; a revoked or unknown token reads as "no such feed" (the server answers 404
  without saying which);
- a chat's tokens die with its link and stay dead: when a binding is deactivated (unlinked, bot removed,
  migrated) or activated again, every token of that binding is revoked in the same flush (a session event,
  so every code path that flips `ChatBinding.active` is covered), and a chat token older than its binding's
  `created_at` is refused too. A re-linked chat asks `/feed` for a new URL.

Scopes: `agency` (the tasks an agency leads or coordinates), `binding` (a linked chat: its agency, or
every agency for an oversight/leadership chat, in the chat's language) and `oversight` (every agency).
Issuing and revoking write an audit entry in the caller's transaction; nothing is committed here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from storage import audit
from storage.tables import ChatBinding, FeedToken

SCOPES = ("agency", "binding", "oversight")

# What a token looks like (token_urlsafe(32) gives 43 characters). Anything else is refused before any
# database work, so a scanner's junk costs nothing.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")


class TokenError(ValueError):
    """A token cannot be issued or revoked as asked; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe — never starting with "-", which a command line would read as an option
    (`dondoc feed revoke <token>`); that costs a 64th of one character's choices."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_RE.fullmatch(text))


def token_from_text(text: str) -> str | None:
    """The token in `text`: a bare token or a feed URL (`…/feeds/<token>.ics` or `.todo.ics`), else None."""
    t = text.strip()
    m = re.search(r"/feeds/([A-Za-z0-9_-]+)(?:\.todo)?\.ics(?:[?#].*)?$", t)
    if m:
        t = m.group(1)
    return t if looks_like_token(t) else None


def _actor_fields(actor: Any) -> tuple[str, str | None, str]:
    """(name, id, source) of an `storage.actions.Actor`, or of a plain name (CLI: source "cli")."""
    if isinstance(actor, str):
        return actor, None, "cli"
    return actor.name, getattr(actor, "id", None), getattr(actor, "source", "cli")


def issue_token(session: Session, scope: str, agency: str | None = None, binding_id: int | None = None, *,
                actor: Any, now: datetime) -> str:
    """Create a feed token and return the plain token (shown once; only its hash is stored).

    scope "agency" needs `agency` (a directory code); "binding" needs `binding_id` (and takes its agency
    for display in listings); "oversight" takes neither.
    """
    if scope not in SCOPES:
        raise TokenError(f"unknown feed scope {scope!r}; accepted: {', '.join(SCOPES)}")
    if scope == "agency" and not agency:
        raise TokenError("an agency feed needs the agency's code")
    if scope == "binding" and binding_id is None:
        raise TokenError("a chat feed needs the chat binding's id")
    if scope == "oversight":
        agency, binding_id = None, None
    token = new_token()
    name, actor_id, source = _actor_fields(actor)
    row = FeedToken(token_hash=hash_token(token), scope=scope, agency=agency, binding_id=binding_id,
                    created_at=now, created_by=name)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=name, actor_id=actor_id, source=source, action="feed.issued",
                 entity="feed", entity_key=str(row.id), scope=scope, agency=agency, binding_id=binding_id)
    return token


def lookup(session: Session, token: str) -> FeedToken | None:
    """The active token row for a plain token, or None (unknown, malformed or revoked)."""
    if not isinstance(token, str) or not looks_like_token(token):
        return None
    digest = hash_token(token)
    row = session.exec(select(FeedToken).where(FeedToken.token_hash == digest)).first()
    # The index lookup finds the candidate; the constant-time comparison is the actual check.
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    if row.scope == "binding" and row.binding_id is not None:
        b = session.get(ChatBinding, row.binding_id)
        # A token issued before the binding's current link (a re-link resets created_at) belongs to a link
        # that ended: it never comes back, even where the revocation below was bypassed.
        if b is None or not b.active or _aware(row.created_at) < _aware(b.created_at):
            return None
    return row


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def active_tokens(session: Session, *, scope: str | None = None, agency: str | None = None,
                  binding_id: int | None = None) -> list[FeedToken]:
    q = select(FeedToken).where(FeedToken.revoked_at.is_(None))  # type: ignore[union-attr]
    if scope is not None:
        q = q.where(FeedToken.scope == scope)
    if agency is not None:
        q = q.where(FeedToken.agency == agency)
    if binding_id is not None:
        q = q.where(FeedToken.binding_id == binding_id)
    return list(session.exec(q.order_by(FeedToken.id)))


def revoke(session: Session, *, token: str | None = None, token_id: int | None = None, scope: str | None = None,
           agency: str | None = None, binding_id: int | None = None, actor: Any, now: datetime) -> list[FeedToken]:
    """Revoke one token (by plain `token` or `token_id`) or every active token of a scope / agency / binding.

    Returns the rows revoked now (empty when there was nothing active to revoke). Asking with nothing to
    select by is an error rather than "revoke everything".
    """
    if token is not None:
        row = lookup(session, token)
        rows = [row] if row is not None else []
    elif token_id is not None:
        row = session.get(FeedToken, token_id)
        rows = [row] if row is not None and row.revoked_at is None else []
    elif scope is not None or agency is not None or binding_id is not None:
        rows = active_tokens(session, scope=scope, agency=agency, binding_id=binding_id)
    else:
        raise TokenError("say which feed to revoke: a token, a token id, an agency, a chat or the oversight feed")
    name, actor_id, source = _actor_fields(actor)
    for row in rows:
        row.revoked_at = now
        session.add(row)
        audit.record(session, at=now, actor=name, actor_id=actor_id, source=source, action="feed.revoked",
                     entity="feed", entity_key=str(row.id), scope=row.scope, agency=row.agency,
                     binding_id=row.binding_id)
    session.flush()
    return rows


def feed_urls(base_url: str, token: str) -> tuple[str, str]:
    """(events URL, VTODO URL) of a token under FEED_BASE_URL."""
    base = base_url.rstrip("/")
    return f"{base}/feeds/{token}.ics", f"{base}/feeds/{token}.todo.ics"


# -- a binding's tokens end with its link ----------------------------------------------------------------

@event.listens_for(OrmSession, "before_flush")
def _revoke_tokens_of_relinked_or_unlinked_bindings(session, _flush_context, _instances) -> None:
    """Revoke every active feed token of a binding whose `active` flag changed in this flush (either way):
    unlinking ends the chat's URLs, and re-linking never brings the old ones back."""
    changed = []
    for obj in session.dirty:
        if isinstance(obj, ChatBinding) and obj.id is not None:
            hist = inspect(obj).attrs.active.history
            if hist.has_changes() and bool(hist.deleted and hist.deleted[0]) != bool(obj.active):
                changed.append(obj)
    if not changed:
        return
    with session.no_autoflush:
        rows = session.execute(sa.select(FeedToken).where(
            FeedToken.binding_id.in_([b.id for b in changed]), FeedToken.scope == "binding",
            FeedToken.revoked_at.is_(None))).scalars().all()
        for row in rows:
            b = next(b for b in changed if b.id == row.binding_id)
            at = b.updated_at or row.created_at
            row.revoked_at = at
            audit.record(session, at=at, actor="dondoc", actor_id=None, source="system", action="feed.revoked",
                         entity="feed", entity_key=str(row.id), scope=row.scope, agency=row.agency,
                         binding_id=row.binding_id, reason="chat unlinked" if not b.active else "chat re-linked")
