"""One-time invite codes that link a chat to an agency and role (mã mời liên kết nhóm).

The administrator makes a code with `dondoc invite AGENCY --role ROLE`; someone in the chat sends
`/start CODE` (what Telegram's deep links `t.me/<bot>?startgroup=CODE` / `?start=CODE` do) or `/link CODE`.
Codes are random, single-use, expire, and only their SHA-256 is stored, so a copy of the database does not
give anyone a way into a chat binding.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from core.i18n import _
from storage import audit
from storage.actions import Actor
from storage.tables import ROLES, ChatBinding, InviteCode, Task

DEFAULT_EXPIRY = timedelta(days=7)
# Telegram's deep-link parameter allows A-Z a-z 0-9 _ - and up to 64 characters.
CODE_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


class InviteError(ValueError):
    """A code that cannot be used; `code` is one of: malformed, unknown, used, expired, group_only."""

    def __init__(self, code: str, message: str, **info):
        self.code = code
        self.info = info
        super().__init__(message)


@dataclass(frozen=True)
class Redeemed:
    binding: ChatBinding
    already_linked: bool  # the chat was already linked to that agency and role; the code was not spent


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def parse_duration(text: str) -> timedelta:
    """"7d", "12h", "30m", "2w" → timedelta; raises ValueError saying the accepted form."""
    m = re.fullmatch(r"\s*([0-9]{1,6})\s*([mhdw])\s*", text or "")  # ASCII, bounded: int() and timedelta never overflow
    if not m or int(m.group(1)) == 0:
        raise ValueError(_("expiry {text!r} not understood; accepted: a number and a unit m/h/d/w, e.g. 7d, 12h, 2w",
                           text=text))
    n, unit = int(m.group(1)), m.group(2)
    delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    if delta > timedelta(days=366):
        raise ValueError(_("expiry {text!r} is too long; at most a year (366d)", text=text))
    return delta


def create_invite(session: Session, agency: str, role: str, actor: Actor, now: datetime,
                  expires: timedelta = DEFAULT_EXPIRY) -> tuple[str, InviteCode]:
    """Make a code; returns (the plain code — shown once, never stored —, its row)."""
    if role not in ROLES:
        raise ValueError(_("role {role!r} not understood; accepted: {accepted}", role=role, accepted=" | ".join(ROLES)))
    code = secrets.token_urlsafe(15)  # 20 characters, 120 bits
    row = InviteCode(code_hash=hash_code(code), agency=agency, role=role, created_at=now, created_by=actor.name,
                     expires_at=now + expires)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor.name, actor_id=actor.id, source=actor.source, action="invite.created",
                 entity="invite", entity_key=str(row.id), agency=agency, role=role, expires_at=row.expires_at)
    return code, row


def deep_links(bot_username: str, code: str) -> tuple[str, str]:
    """(link that adds the bot to a group and links it, link that opens a private chat and links it)."""
    name = bot_username.lstrip("@")
    return f"https://t.me/{name}?startgroup={code}", f"https://t.me/{name}?start={code}"


# Roles whose invites link groups only: an oversight chat decides for the province (completions,
# extensions), and its decisions are taken by the group's administrators — a private chat would make one
# person, whoever redeemed the code, the oversight body.
GROUP_ONLY_ROLES = ("oversight",)


def redeem_invite(session: Session, code: str, *, platform: str, chat_id: str, title: str | None, actor: Actor,
                  now: datetime, chat_type: str | None = None) -> Redeemed:
    """Link the chat with the code's agency and role, spend the code, write the audit entry and ask the
    planner to look at that agency's tasks again (their reminders now have somewhere to go). An oversight
    code redeemed in a private chat (`chat_type` "private") is refused and not spent."""
    code = (code or "").strip()
    if not CODE_RE.fullmatch(code):
        raise InviteError("malformed", "not an invite code")
    row = session.exec(select(InviteCode).where(InviteCode.code_hash == hash_code(code))).first()
    if row is None:
        raise InviteError("unknown", "unknown invite code")
    if row.used_at is not None:
        raise InviteError("used", "invite code already used", used_at=row.used_at)
    if row.expires_at <= now:
        raise InviteError("expired", "invite code expired", expires_at=row.expires_at)
    if row.role in GROUP_ONLY_ROLES and chat_type == "private":
        raise InviteError("group_only", "an oversight invite links a group, not a private chat", role=row.role)

    binding = session.exec(select(ChatBinding).where(
        ChatBinding.platform == platform, ChatBinding.chat_id == str(chat_id), ChatBinding.agency == row.agency,
        ChatBinding.role == row.role)).first()
    if binding is not None and binding.active:
        return Redeemed(binding, already_linked=True)
    if binding is None:
        binding = ChatBinding(platform=platform, chat_id=str(chat_id), agency=row.agency, role=row.role, title=title,
                              created_at=now, updated_at=now)
        session.add(binding)
    else:  # re-linking a chat whose binding was disabled (e.g. the bot had been removed from the group)
        binding.active = True
        binding.disabled_reason = None
        binding.title = title or binding.title
        binding.updated_at = now
    row.used_at = now
    row.used_by_chat = f"{platform}:{chat_id}"
    session.flush()
    audit.record(session, at=now, actor=actor.name, actor_id=actor.id, source=actor.source, action="binding.linked",
                 entity="binding", entity_key=f"{platform}:{chat_id}", agency=row.agency, role=row.role,
                 invite_id=row.id, title=title)
    replan_for_binding(session, row.agency, row.role)
    return Redeemed(binding, already_linked=False)


def replan_for_binding(session: Session, agency: str, role: str) -> int:
    """Set next_check_at = NULL ("plan me now") on the tasks whose messages a new binding may receive.

    Focal and manager chats hear about their agency's tasks (as lead or coordinator); oversight and
    leadership chats hear escalations and summaries of every agency, so every task is re-planned.
    """
    stmt = sa.update(Task).where(Task.removed_at.is_(None))
    if role in ("focal", "manager"):
        stmt = stmt.where(sa.or_(Task.lead_agency == agency,
                                 sa.cast(Task.coordinators, sa.String).like(f'%"{agency}"%')))
    result = session.execute(stmt.values(next_check_at=None))
    return result.rowcount or 0
