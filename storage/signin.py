"""Who is at the browser: sign-in without passwords, sessions, CSRF tokens and roles.

A person proves who they are in one of two ways, both ending in the same session:
- a **one-time sign-in link** (liên kết đăng nhập một lần) that the bot sends to their private chat with
  `/web`, or that `dondoc web-link --user ID` prints for an administrator: random, valid for
  SIGNIN_LINK_MINUTES, used once, only its SHA-256 stored;
- the **Telegram Login Widget**: Telegram signs the person's id, name and `auth_date`; the signature is
  HMAC-SHA-256 over the "data-check-string" (every received field but `hash`, sorted, `key=value`, joined
  by line feeds) with SHA-256(bot token) as the key (core.telegram.org/widgets/login). A payload older than
  SIGNIN_LINK_MINUTES is refused too, so a captured one cannot be replayed later.

A session is a random cookie value; the table keeps its hash, the person, its CSRF token and its expiry
(WEB_SESSION_MINUTES). Roles are read from the database on every request, so unlinking a chat takes effect
at once: the person's private chat's bindings (its chat id is their Telegram user id), the bindings of the
group they wrote /web in (the link, then the session, remembers that group: writing in it shows they are
in it, and the bot already lets anyone in a linked group act for it), and ADMIN_USER_IDS.

Pure checks (`verify_telegram_login`, `Person`) are free of I/O; the rest works on a session the caller
commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping

from sqlmodel import Session, select

from core import authority
from storage import audit
from storage.tables import ChatBinding, Task, WebSession, WebSigninLink

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
FOCAL_ROLES = ("focal", "manager")
SEEING_ROLES = ("oversight", "leadership")


class SigninError(ValueError):
    """A sign-in that is refused; `code`: malformed | unknown | used | expired | forged | stale | no_bot |
    no_role."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


# -- one-time sign-in links -------------------------------------------------------------------------------

def create_signin_link(session: Session, user_id: str, *, name: str | None, created_by: str, source: str,
                       now: datetime, minutes: int, via_chat: str | None = None,
                       via_chat_admin: bool = False) -> tuple[str, WebSigninLink]:
    """A new link for `user_id`; returns (the plain token — shown once —, its row). `via_chat`: the group
    the person asked from (by writing /web in it), whose bindings give them roles as well."""
    token = new_token()
    row = WebSigninLink(token_hash=hash_token(token), user_id=str(user_id), name=name, via_chat=via_chat,
                        via_chat_admin=bool(via_chat and via_chat_admin),
                        created_at=now, created_by=created_by, expires_at=now + timedelta(minutes=minutes))
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=created_by, source=source, action="web.signin_link_created",
                 entity="person", entity_key=str(user_id), expires_at=row.expires_at)
    return token, row


def signin_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/web/signin/{token}"


def peek_signin_link(session: Session, token: str, now: datetime) -> WebSigninLink:
    """The link's row if it can still be used; raises SigninError otherwise. Changes nothing."""
    if not TOKEN_RE.fullmatch(token or ""):
        raise SigninError("malformed", "not a sign-in link")
    row = session.exec(select(WebSigninLink).where(WebSigninLink.token_hash == hash_token(token))).first()
    if row is None:
        raise SigninError("unknown", "unknown sign-in link")
    if row.used_at is not None:
        raise SigninError("used", "sign-in link already used")
    if row.expires_at <= now:
        raise SigninError("expired", "sign-in link expired")
    return row


def redeem_signin_link(session: Session, token: str, now: datetime) -> WebSigninLink:
    """Spend the link (single use) and return its row; raises SigninError when it cannot be used."""
    row = peek_signin_link(session, token, now)
    row.used_at = now
    session.add(row)
    session.flush()
    return row


# -- Telegram Login Widget --------------------------------------------------------------------------------

def telegram_check_string(data: Mapping[str, str]) -> str:
    return "\n".join(f"{k}={data[k]}" for k in sorted(data) if k != "hash")


def sign_telegram_login(data: Mapping[str, str], bot_token: str) -> str:
    """The hash Telegram puts on a login payload (used to verify it, and by tests to make one)."""
    key = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(key, telegram_check_string(data).encode(), hashlib.sha256).hexdigest()


def verify_telegram_login(data: Mapping[str, str], bot_token: str | None, now: datetime,
                          max_age: timedelta) -> dict[str, str]:
    """The verified fields of a Telegram Login Widget payload; raises SigninError("forged"|"stale"|…)."""
    if not bot_token:
        raise SigninError("no_bot", "Telegram sign-in needs TELEGRAM_BOT_TOKEN")
    fields = {k: str(v) for k, v in data.items()}
    given = fields.get("hash", "")
    if not given or "id" not in fields or "auth_date" not in fields:
        raise SigninError("forged", "incomplete Telegram login data")
    if not hmac.compare_digest(given.lower(), sign_telegram_login(fields, bot_token)):
        raise SigninError("forged", "Telegram login data with a wrong signature")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise SigninError("forged", "unreadable auth_date") from None
    if now - signed_at > max_age or signed_at - now > timedelta(minutes=5):
        raise SigninError("stale", "Telegram login data too old")
    return fields


# -- sessions ---------------------------------------------------------------------------------------------

def open_session(session: Session, user_id: str, *, name: str | None, via: str, now: datetime, minutes: int,
                 language: str | None = None, via_chat: str | None = None,
                 via_chat_admin: bool = False) -> tuple[str, WebSession]:
    """A new browser session; returns (the cookie value, its row)."""
    token = new_token()
    row = WebSession(token_hash=hash_token(token), user_id=str(user_id), name=name, csrf_token=new_token(),
                     via_chat=via_chat, via_chat_admin=bool(via_chat and via_chat_admin), language=language, via=via, created_at=now,
                     expires_at=now + timedelta(minutes=minutes))
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=name or str(user_id), actor_id=str(user_id), source="web",
                 action="web.signed_in", entity="person", entity_key=str(user_id), via=via)
    return token, row


def load_session(session: Session, token: str | None, now: datetime) -> WebSession | None:
    if not token or not TOKEN_RE.fullmatch(token):
        return None
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def csrf_ok(row: WebSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(row.csrf_token, given)


# -- who may see and do what ------------------------------------------------------------------------------

@dataclass
class Person:
    """A signed-in person and what their bindings and ADMIN_USER_IDS let them see and do.

    admin: everything; oversight (cơ quan thường trực): every agency; leadership (lãnh đạo tỉnh): read-only,
    every agency; focal point and manager: their own agencies' tasks (led or coordinated). Who may act and
    decide is the one rule of core/authority.py, the same as in the chats: a decision (confirm a
    completion, approve or reject an extension) needs an oversight binding of the person's own private chat,
    or of the group they signed in through *and* being that group's administrator (when they asked for the
    link) or listed in OVERSIGHT_USER_IDS."""

    user_id: str
    name: str
    is_admin: bool = False
    bindings: list[tuple[str, str]] = field(default_factory=list)  # (agency code, role)
    personal: list[bool] = field(default_factory=list)  # per binding: the person's own private chat's
    group_admin: bool = False  # an administrator of the group they signed in through
    listed_overseer: bool = False  # in OVERSIGHT_USER_IDS

    @property
    def standing(self) -> authority.Standing:
        personal = self.personal or [True] * len(self.bindings)
        return authority.Standing(
            seats=tuple(authority.Seat(a, r, personal=p) for (a, r), p in zip(self.bindings, personal)),
            surface="console", private=True, is_admin=self.is_admin, group_admin=self.group_admin,
            listed_overseer=self.listed_overseer)

    @property
    def roles(self) -> set[str]:
        return {r for _, r in self.bindings}

    @property
    def own_agencies(self) -> list[str]:
        out: list[str] = []
        for a, r in self.bindings:
            if r in FOCAL_ROLES and a not in out:
                out.append(a)
        return out

    @property
    def sees_all(self) -> bool:
        return self.is_admin or bool(self.roles & set(SEEING_ROLES))

    @property
    def can_decide(self) -> bool:
        return authority.allowed(self.standing, authority.Action.DECIDE_EXTENSION)

    @property
    def can_admin(self) -> bool:
        return authority.allowed(self.standing, authority.Action.IMPORT)

    def visible_agencies(self) -> list[str] | None:
        """None = every agency."""
        return None if self.sees_all else self.own_agencies

    def can_see(self, task: Task) -> bool:
        if self.sees_all:
            return True
        involved = {task.lead_agency, *(task.coordinators or [])}
        return any(a in involved for a in self.own_agencies)

    def can_act(self, task: Task) -> bool:
        """Record progress, mark done, ask for more time: the lead agency's people, and administrators."""
        return authority.allowed(self.standing, authority.Action.DONE, lead=task.lead_agency)

    def refusal(self, action: authority.Action, task: Task | None = None, *,
                part: str | None = None) -> authority.Refusal | None:
        return authority.refusal(self.standing, action, lead=task.lead_agency if task is not None else None,
                                 part=part)


def person_for(session: Session, user_id: str, name: str | None, admin_user_ids,
               via_chat: str | None = None, *, oversight_user_ids=(), via_chat_admin: bool = False) -> Person | None:
    """The person with their roles — from their private chat's bindings, the bindings of the group they asked
    for the link from (`via_chat`; `via_chat_admin`: they were its administrator then), and ADMIN_USER_IDS /
    OVERSIGHT_USER_IDS; None when they have none."""
    chats = {str(user_id)} | ({str(via_chat)} if via_chat else set())
    rows = session.exec(select(ChatBinding).where(
        ChatBinding.platform == "telegram", ChatBinding.chat_id.in_(sorted(chats)),
        ChatBinding.active == True)  # noqa: E712
        .order_by(ChatBinding.id)).all()
    try:
        uid = int(user_id)
    except ValueError:
        uid = None
    is_admin = uid is not None and uid in set(admin_user_ids)
    if not rows and not is_admin:
        return None
    return Person(user_id=str(user_id), name=name or str(user_id), is_admin=is_admin,
                  bindings=[(b.agency, b.role) for b in rows], personal=[b.chat_id == str(user_id) for b in rows],
                  group_admin=bool(via_chat and via_chat_admin),
                  listed_overseer=uid is not None and uid in set(oversight_user_ids))
