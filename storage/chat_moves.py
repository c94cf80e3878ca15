"""A chat that changed id (nhóm chuyển thành siêu nhóm): a Telegram group upgraded to a supergroup gets a new
id. Its bindings, its outbox history and the extension requests that name it all move to the new id in one
transaction, merged with whatever the new id already has:

- a binding the new chat already has (same agency and role) is kept; the old one is folded into it (active
  if either was; language and title kept if set) and its feed tokens and outbox rows point at it;
- outbox rows keep their idempotency keys: where the new chat already has a row with the same key, the one
  that was sent wins (else the new chat's), so nothing is sent twice and history is not lost.

The bot's migration handler and the dispatcher (when Telegram answers "group upgraded") both call
`move_chat`; the second call finds nothing left to move.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage import audit
from storage.tables import SENT, ChatBinding, Extension, FeedToken, Notification

log = logging.getLogger(__name__)
N = Notification.__table__


@dataclass
class MoveResult:
    moved: int = 0  # bindings that changed chat id
    merged: int = 0  # bindings folded into one the new chat already had
    rows: int = 0  # outbox rows moved
    duplicates: int = 0  # outbox rows dropped because the new chat had the same message


def move_chat(session: Session, platform: str, old_id: str, new_id: str, *, now: datetime,
              actor: str = "telegram", source: str = "telegram") -> MoveResult:
    """Move everything of chat `old_id` to `new_id` (same platform). Idempotent; commit is the caller's."""
    old_id, new_id = str(old_id), str(new_id)
    result = MoveResult()
    if old_id == new_id:
        return result
    old_chat, new_chat = f"{platform}:{old_id}", f"{platform}:{new_id}"
    olds = session.exec(select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == old_id)
                        .order_by(ChatBinding.id)).all()
    there = {(b.agency, b.role): b for b in session.exec(select(ChatBinding).where(
        ChatBinding.platform == platform, ChatBinding.chat_id == new_id)).all()}
    for b in olds:
        target = there.get((b.agency, b.role))
        if target is None:
            b.chat_id, b.updated_at = new_id, now
            session.add(b)
            result.moved += 1
            continue
        if b.active and not target.active:
            target.active, target.disabled_reason = True, None
        target.language = target.language or b.language
        target.title = target.title or b.title
        target.updated_at = now
        session.add(target)
        session.execute(sa.update(FeedToken).where(FeedToken.binding_id == b.id).values(binding_id=target.id))
        session.execute(sa.update(N).where(N.c.binding_id == b.id).values(binding_id=target.id))
        session.delete(b)
        result.merged += 1
    session.flush()

    # Outbox rows whose key the new chat already has: keep one per key (the sent one, else the new chat's).
    other = N.alias("other")
    clashes = session.execute(
        sa.select(N.c.id, N.c.status, other.c.id, other.c.status).join(other, sa.and_(
            other.c.task_key == N.c.task_key, other.c.occurrence == N.c.occurrence, other.c.step == N.c.step,
            other.c.chat == new_chat)).where(N.c.chat == old_chat)).all()
    drop = []
    for old_row, old_status, new_row, new_status in clashes:
        if old_status == SENT and new_status != SENT:
            drop.append(new_row)  # the message went to the old id, which is the same people: keep that record
        else:
            drop.append(old_row)
    if drop:
        session.execute(sa.delete(N).where(N.c.id.in_(drop)))
        result.duplicates = len(drop)
    # Rows of the old id may still be claimed by a dispatcher: their new chat is where it sends them.
    result.rows = session.execute(sa.update(N).where(N.c.chat == old_chat).values(chat=new_chat)).rowcount or 0
    session.execute(sa.update(Extension).where(Extension.platform == platform, Extension.chat_id == old_id)
                    .values(chat_id=new_id))
    if olds or result.rows:
        audit.record(session, at=now, actor=actor, source=source, action="binding.migrated", entity="binding",
                     entity_key=new_chat, old_chat=old_chat, moved=result.moved, merged=result.merged,
                     rows=result.rows, duplicates=result.duplicates)
        log.warning("chat %s moved to %s (group upgraded): %d binding(s) moved, %d merged, %d outbox row(s) "
                    "moved, %d duplicate(s) dropped", old_chat, new_chat, result.moved, result.merged, result.rows,
                    result.duplicates)
    return result
