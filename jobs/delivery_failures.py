"""Delivery failures (gửi không thành công): what becomes of a claimed outbox row the platform did not take.

The dispatcher (`jobs.dispatcher`) sends; when a send fails it hands the row here, by what the channel said:

- 429 (`RetryLater`) → `retry_later`: the row and its chat wait as long as the platform asks; not an attempt;
- 5xx / network (`TransientDeliveryError`) → `transient`: retried after `backoff_seconds`, given up after
  DELIVERY_MAX_ATTEMPTS;
- refused for good (`PermanentDeliveryError`), or attempts used up → `give_up`: failed, and the oversight
  chats told once (a `notice:` row in the outbox);
- 403, the bot removed (`ChatGone`) → `chat_gone`: the chat's bindings disabled (audited), what else waits
  for it cancelled, oversight told;
- a group upgraded to a supergroup (`ChatMoved`) → `chat_moved`: bindings and rows follow it to the new id.

Each runs in a worker thread (it writes to the database) and counts what it did in the tick's `DispatchStats`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobs.ports import Composer, RetryLater
from jobs import outbox
from jobs.planner import NOTICE
from storage import audit
from storage.db import session_scope
from storage.tables import CANCELLED, FAILED, ChatBinding, Notification

# -- what a tick did (the dispatcher and the failure paths count into it) ----------------------------------

@dataclass
class DispatchStats:
    sent: int = 0
    cancelled: int = 0
    superseded: int = 0
    retried: int = 0
    failed: int = 0
    chats_gone: int = 0
    released: int = 0
    requeued: int = 0

    def add(self, other: "DispatchStats") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


# The dispatcher's logger: these are its messages, whichever module writes them.
log = logging.getLogger("jobs.dispatcher")

RETRY_BASE_SECONDS = 5  # 5 s, 15 s, 45 s … capped at an hour: eight attempts span about 1.5 hours
RETRY_FACTOR = 3
RETRY_CAP_SECONDS = 3600


def backoff_seconds(attempts: int) -> float:
    """Wait before attempt number `attempts + 1`, after `attempts` transient failures."""
    return float(min(RETRY_BASE_SECONDS * RETRY_FACTOR ** max(attempts - 1, 0), RETRY_CAP_SECONDS))


class DeliveryFailures:
    """The failure paths of one dispatcher (its engine, settings, clock and composer)."""

    def __init__(self, engine: Engine, settings, clock, composer: Composer):
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.composer = composer

    def retry_later(self, row: outbox.OutboxRow, e: RetryLater, stats: DispatchStats) -> datetime:
        until = self.clock.now() + timedelta(seconds=e.seconds)
        with self.engine.begin() as conn:
            outbox.retry_at(conn, row.id, until, f"429: {e}", count_attempt=False)
            outbox.hold_chat(conn, row.chat, until)
        stats.retried += 1
        log.info("%s asked to wait %.0fs (row %s)", row.chat, e.seconds, row.id)
        return until

    def transient(self, row: outbox.OutboxRow, error: str, stats: DispatchStats) -> None:
        attempts = row.attempts + 1
        if attempts >= self.settings.delivery_max_attempts:
            self.give_up(row, f"{error} (after {attempts} attempts)", stats, attempts=attempts)
            return
        wait = backoff_seconds(attempts)
        with self.engine.begin() as conn:
            outbox.retry_at(conn, row.id, self.clock.now() + timedelta(seconds=wait), error, count_attempt=True)
        stats.retried += 1
        log.warning("sending row %s to %s failed (%s); attempt %d of %d again in %.0fs", row.id, row.chat, error,
                    attempts + 1, self.settings.delivery_max_attempts, wait)

    def give_up(self, row: outbox.OutboxRow, error: str, stats: DispatchStats, attempts: int | None = None) -> None:
        with session_scope(self.engine) as s:
            self.give_up_in(s, row, error, stats, self.clock.now(), attempts)

    def give_up_in(self, s: Session, row: outbox.OutboxRow, error: str, stats: DispatchStats, now: datetime,
                    attempts: int | None = None) -> None:
        conn = s.connection()
        conn.execute(sa.update(Notification.__table__).where(Notification.__table__.c.id == row.id)
                     .values(status=FAILED, last_error=error[:2000], attempts=attempts or row.attempts + 1,
                             next_attempt_at=None))
        stats.failed += 1
        log.error("giving up on outbox row %s (%s %s → %s): %s", row.id, row.task_key or "-", row.step, row.chat, error)
        _person_falls_back(conn, row)
        self._notify_oversight(s, row, "failed", error, now, attempts=attempts or row.attempts + 1)

    def chat_gone(self, row: outbox.OutboxRow, error: str, stats: DispatchStats) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as s:
            conn = s.connection()
            platform, _, chat_id = row.chat.partition(":")
            chat_desc = f"{row.chat} ({self.composer.describe_chat(s, row.chat)})"
            bindings = s.exec(select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id,
                                                        ChatBinding.active == sa.true())).all()
            for b in bindings:
                b.active = False
                b.disabled_reason = f"{error} ({now:%Y-%m-%d %H:%M} UTC)"
                b.updated_at = now
                s.add(b)
                audit.record(s, at=now, actor="scheduler", source="scheduler", action="binding.disabled",
                             entity="binding", entity_key=f"{row.chat}:{b.agency}:{b.role}", reason=error,
                             agency=b.agency, role=b.role, chat=row.chat)
            conn.execute(sa.update(Notification.__table__).where(Notification.__table__.c.id == row.id)
                         .values(status=FAILED, last_error=f"chat gone: {error}", attempts=row.attempts + 1))
            # What else waits for that chat will never arrive: say so instead of trying.
            conn.execute(sa.update(Notification.__table__).where(
                Notification.__table__.c.chat == row.chat, Notification.__table__.c.status == "pending")
                .values(status=CANCELLED, last_error="chat gone (binding disabled)"))
            stats.failed += 1
            stats.chats_gone += 1
            _person_falls_back(conn, row)
            log.error("chat %s is gone (%s): %d binding(s) disabled, oversight told", row.chat, error, len(bindings))
            self._notify_oversight(s, row, "chat_gone", error, now, chat_desc=chat_desc)

    def chat_moved(self, row: outbox.OutboxRow, new_chat_id: str, stats: DispatchStats) -> None:
        """A Telegram group became a supergroup: its bindings and outbox rows (history included, so nothing is
        replayed; merged with what the new id has — storage.chat_moves) follow it; the row is retried there."""
        from storage.chat_moves import move_chat

        platform, _, old_id = row.chat.partition(":")
        with session_scope(self.engine) as s:
            move_chat(s, platform, old_id, str(new_chat_id), now=self.clock.now(), actor="scheduler",
                      source="scheduler")
            s.connection().execute(sa.update(Notification.__table__).where(
                Notification.__table__.c.id == row.id, Notification.__table__.c.status == "claimed")
                .values(status="pending", claimed_by=None, claimed_at=None, next_attempt_at=None))
        stats.retried += 1

    def _notify_oversight(self, s: Session, row: outbox.OutboxRow, what: str, error: str, now: datetime, *,
                          attempts: int = 0, chat_desc: str | None = None) -> None:
        """Tell every oversight chat (but the failing one) about a delivery problem, once per failed row."""
        if row.kind == NOTICE:
            log.error("a delivery notice could not be delivered either (%s → %s): %s", row.step, row.chat, error)
            return
        if chat_desc is None:
            chat_desc = f"{row.chat} ({self.composer.describe_chat(s, row.chat)})"
        oversight = s.exec(select(ChatBinding).where(ChatBinding.role == "oversight", ChatBinding.active == sa.true())
                           .order_by(ChatBinding.id)).all()
        seen: set[str] = set()
        rows = []
        for b in oversight:
            chat = f"{b.platform}:{b.chat_id}"
            if chat == row.chat or chat in seen:
                continue
            seen.add(chat)
            about = self.composer.step_title(row.kind, row.step, self.composer.language(b))
            if row.task_key:
                about += f" — {row.task_key}"
            rows.append({
                "task_key": row.task_key, "occurrence": row.occurrence, "step": f"notice:{what}:{row.id}",
                "chat": chat, "kind": NOTICE, "task_id": None, "binding_id": b.id,
                "payload": {"role": "oversight", "what": what, "chat": row.chat, "chat_desc": chat_desc,
                            "about": about, "error": error[:500], "attempts": attempts, "row": row.id},
                "due_at": now, "status": "pending", "attempts": 0, "created_at": now, "last_error": None,
            })
        if not rows:
            log.error("no oversight chat to tell about %s of row %s (%s): %s", what, row.id, row.chat, error)
            return
        outbox.insert_rows(s.connection(), rows)


def _person_falls_back(conn, row: outbox.OutboxRow) -> None:
    """A person's reminder that could not be delivered (issue 24): the task is planned again at the next tick,
    where jobs.person_plan sends the reminder on their next channel at once instead of at the fallback time."""
    if row.task_id is not None and row.step.startswith("premind:"):
        from storage.tables import Task

        conn.execute(sa.update(Task.__table__).where(Task.__table__.c.id == row.task_id).values(next_check_at=None))
