"""The notification outbox (hộp thư đi): the table of messages to send, and the few operations on it.

Each row's unique key (task_key, occurrence, step, chat) is the idempotency key. Rows are inserted with
INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL dialect inserts), so re-planning, a restart or a
second process never make a second row. Life of a row:

    pending ──claim──► claimed ──platform accepted──► sent
       ▲                  │  ├─ 429 ─────────────► pending (next_attempt_at = now + retry_after)
       │                  │  ├─ 5xx/network ─────► pending (backoff) … failed after DELIVERY_MAX_ATTEMPTS
       │                  │  ├─ chat gone (403) ─► failed (binding disabled, oversight told)
       │                  │  └─ no longer wanted ► cancelled / superseded
       │
    briefed: a task message folded into its chat's brief of the day (the noise budget, jobs.briefing); the
    brief (task_key "", step "brief:daily", occurrence = the day) is the row that is sent
       └── claim older than CLAIM_TIMEOUT_SECONDS (a dead process) or released on shutdown

Claiming: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` then UPDATE, in one transaction; on SQLite one
atomic `UPDATE … WHERE id IN (…) AND status = 'pending' RETURNING …` (compare-and-set). A chat with a row
claimed anywhere is not claimed again until that row is settled: one chat is served by one worker at a
time, which keeps the order of its messages and its flood limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Collection, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jobs.planner import PlannedStep
from storage.tables import (
    CANCELLED, CLAIMED, FAILED, PENDING, SENT, SUPERSEDED, Notification,
)

log = logging.getLogger(__name__)
BRIEFED = "briefed"
T = Notification.__table__
c = T.c


@dataclass
class OutboxRow:
    """A claimed row, as the dispatcher works on it."""

    id: int
    task_key: str
    occurrence: str
    step: str
    chat: str
    kind: str
    task_id: int | None
    binding_id: int | None
    payload: dict
    due_at: datetime
    attempts: int
    status: str = CLAIMED
    extra: dict = field(default_factory=dict)

    @property
    def platform(self) -> str:
        return self.chat.split(":", 1)[0]

    @property
    def chat_id(self) -> str:
        return self.chat.split(":", 1)[1]

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.task_key, self.occurrence, self.step, self.chat)

    @classmethod
    def from_mapping(cls, m) -> "OutboxRow":
        return cls(id=m["id"], task_key=m["task_key"], occurrence=m["occurrence"], step=m["step"], chat=m["chat"],
                   kind=m["kind"], task_id=m["task_id"], binding_id=m["binding_id"], payload=dict(m["payload"] or {}),
                   due_at=m["due_at"], attempts=m["attempts"] or 0, status=m["status"])


_ROW_COLUMNS = (c.id, c.task_key, c.occurrence, c.step, c.chat, c.kind, c.task_id, c.binding_id, c.payload,
                c.due_at, c.attempts, c.status)


def _insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(T)


def insert_rows(conn, rows: Sequence[dict]) -> int:
    """Insert outbox rows, skipping any whose key already exists. Returns how many were new."""
    if not rows:
        return 0
    # RETURNING gives back only the rows inserted; rowcount is not reliable for a batched insert with
    # ON CONFLICT on PostgreSQL (psycopg reports -1), RETURNING is on both dialects.
    stmt = _insert(conn.dialect.name).on_conflict_do_nothing(
        index_elements=["task_key", "occurrence", "step", "chat"]).returning(c.id)
    count = 0
    for i in range(0, len(rows), 500):
        count += len(conn.execute(stmt, list(rows[i:i + 500])).all())
    return count


def row_for(step: PlannedStep, status: str, now: datetime) -> dict:
    """The outbox row of a planned step (status pending, or superseded when catch-up skipped it)."""
    return {
        "task_key": step.task_key, "occurrence": step.occurrence, "step": step.step, "chat": step.chat,
        "kind": step.kind, "task_id": step.task_id, "binding_id": step.binding_id, "payload": dict(step.payload),
        "due_at": step.due_at, "status": status, "attempts": 0, "created_at": now,
        "last_error": ({SUPERSEDED: "superseded by a later step (catch-up after downtime, or the same task the same day)",
                        BRIEFED: f"in the brief of {step.payload.get('brief')}"}.get(status)),
    }


def put_brief(conn, step: PlannedStep, entries: list[dict], now: datetime) -> int:
    """Insert a chat's brief of a day, or add `entries` to it while it is still pending. Returns 1 if a
    row was inserted."""
    if insert_rows(conn, [row_for(step, PENDING, now)]):
        return 1
    q = sa.select(c.id, c.payload, c.status).where(c.task_key == "", c.occurrence == step.occurrence, c.step == step.step,
                                                   c.chat == step.chat)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None or row.status != PENDING:
        log.warning("brief %s %s for %s is %s already; %d entr(ies) not added", step.step, step.occurrence, step.chat,
                    getattr(row, "status", "gone"), len(entries))
        return 0
    payload = dict(row.payload or {})
    have = {(e.get("task"), e.get("occurrence"), e.get("step")) for e in payload.get("entries") or ()}
    added = [e for e in entries if (e.get("task"), e.get("occurrence"), e.get("step")) not in have]
    if not added:
        return 0
    payload["entries"] = list(payload.get("entries") or ()) + added
    payload["items"] = sorted({e["task"] for e in payload["entries"]})
    payload["agencies"] = sorted({e["agency"] for e in payload["entries"] if e.get("agency")})
    conn.execute(sa.update(T).where(c.id == row.id, c.status == PENDING).values(payload=payload))
    return 0


def existing_keys(conn, task_ids: Iterable[int], since: datetime) -> set[tuple[str, str, str, str]]:
    """Outbox keys of these tasks' rows due since `since`."""
    ids = list(task_ids)
    out: set[tuple[str, str, str, str]] = set()
    for i in range(0, len(ids), 500):
        q = sa.select(c.task_key, c.occurrence, c.step, c.chat).where(c.task_id.in_(ids[i:i + 500]), c.due_at >= since)
        out.update(tuple(r) for r in conn.execute(q))
    return out


# -- claiming -------------------------------------------------------------------------------------------------

def _candidates(now: datetime, limit: int, per_chat: int, exclude_chats: Sequence[str]):
    """Ids of due pending rows: the first `per_chat` of each chat (in due order) whose chat has no row
    claimed anywhere, oldest first."""
    busy = sa.select(c.chat).where(c.status == CLAIMED)
    where = [c.status == PENDING, c.due_at <= now,
             sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now), c.chat.not_in(busy)]
    if exclude_chats:
        where.append(c.chat.not_in(list(exclude_chats)))
    rn = sa.func.row_number().over(partition_by=c.chat, order_by=(c.due_at, c.id)).label("rn")
    ranked = sa.select(c.id, c.due_at, rn).where(*where).subquery()
    return (sa.select(ranked.c.id).where(ranked.c.rn <= per_chat)
            .order_by(ranked.c.due_at, ranked.c.id).limit(limit))


def claim(engine: Engine, worker: str, now: datetime, *, limit: int = 200, per_chat: int = 3,
          exclude_chats: Sequence[str] = ()) -> list[OutboxRow]:
    """Claim up to `limit` due rows for `worker`; each row is claimed by exactly one worker."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            ids = [r[0] for r in conn.execute(
                sa.select(c.id).where(c.id.in_(_candidates(now, limit, per_chat, exclude_chats).scalar_subquery()),
                                      c.status == PENDING)
                .order_by(c.due_at, c.id).with_for_update(skip_locked=True))]
            if not ids:
                return []
            target = c.id.in_(ids)
        else:
            target = c.id.in_(_candidates(now, limit, per_chat, exclude_chats).scalar_subquery())
        rows = conn.execute(
            sa.update(T).where(target, c.status == PENDING)
            .values(status=CLAIMED, claimed_by=worker, claimed_at=now)
            .returning(*_ROW_COLUMNS)).mappings().all()
    out = [OutboxRow.from_mapping(r) for r in rows]
    out.sort(key=lambda r: (r.due_at, r.id))
    return out


def requeue_stale(engine: Engine, now: datetime, timeout_seconds: int, worker: str | None = None,
                  keep: Collection[int] = ()) -> list[dict]:
    """Claims older than the timeout were left by a process that died — or by a live one that stopped
    working on them (its heartbeat refreshes only the rows it still works on): put them back to pending.
    `worker`: never take that worker's claims; `keep`: never take these rows (the caller's rows in flight).

    A message may have been accepted by the platform just before that process died (between sending and
    recording): such a message is sent again — the documented crash window, logged here."""
    cutoff = now - timedelta(seconds=timeout_seconds)
    cond = [c.status == CLAIMED, c.claimed_at < cutoff]
    if worker is not None:
        cond.append(c.claimed_by != worker)
    if keep:
        cond.append(c.id.not_in(list(keep)))
    with engine.begin() as conn:
        stale = conn.execute(sa.select(c.id, c.chat, c.step, c.task_key, c.claimed_by, c.claimed_at).where(*cond)).mappings().all()
        if not stale:
            return []
        conn.execute(sa.update(T).where(c.id.in_([r["id"] for r in stale]), c.status == CLAIMED)
                     .values(status=PENDING, claimed_by=None, claimed_at=None,
                             last_error="claim expired: the process that claimed it stopped; may be a duplicate"))
    for r in stale:
        log.warning("outbox row %s (%s %s → %s) was claimed by %s at %s and never settled: sending it again "
                    "(a duplicate if that process crashed after the platform accepted it)",
                    r["id"], r["task_key"] or "-", r["step"], r["chat"], r["claimed_by"], r["claimed_at"])
    return [dict(r) for r in stale]


def touch_claims(engine: Engine, worker: str, now: datetime, row_ids: Collection[int] | None = None) -> int:
    """The heartbeat of a live worker: the claims it still works on (`row_ids`) are fresh again, so
    `requeue_stale` in another process never takes a row this one is still about to send (e.g. waiting for a
    slot under the flood limits). A claim it no longer works on is not refreshed: it ages and is taken back.
    `row_ids=None` refreshes every claim of the worker (kept for callers that track nothing)."""
    cond = [c.status == CLAIMED, c.claimed_by == worker]
    if row_ids is not None:
        ids = list(row_ids)
        if not ids:
            return 0
        cond.append(c.id.in_(ids))
    with engine.begin() as conn:
        return conn.execute(sa.update(T).where(*cond).values(claimed_at=now)).rowcount or 0


def release_orphans(engine: Engine, worker: str, keep: Collection[int] = ()) -> list[dict]:
    """This worker's claims that none of its tasks works on any more (a bookkeeping write failed, a worker
    task died): pending again at once, logged. `keep`: the rows still in flight or waiting to be recorded."""
    cond = [c.status == CLAIMED, c.claimed_by == worker]
    if keep:
        cond.append(c.id.not_in(list(keep)))
    with engine.begin() as conn:
        orphans = conn.execute(sa.select(c.id, c.chat, c.step, c.task_key, c.claimed_at).where(*cond)).mappings().all()
        if not orphans:
            return []
        conn.execute(sa.update(T).where(c.id.in_([r["id"] for r in orphans]), c.status == CLAIMED,
                                        c.claimed_by == worker)
                     .values(status=PENDING, claimed_by=None, claimed_at=None,
                             last_error="claim taken back: its worker stopped working on it"))
    for r in orphans:
        log.warning("outbox row %s (%s %s → %s) was claimed by this worker at %s but nobody works on it: "
                    "taken back and sent again", r["id"], r["task_key"] or "-", r["step"], r["chat"], r["claimed_at"])
    return [dict(r) for r in orphans]


def stuck(engine: Engine, now: datetime, minutes: int) -> tuple[int, datetime | None]:
    """Messages that could have gone `minutes` ago and have not: due, in the outbox and not told to wait
    (429 or backoff) for that long, yet pending or claimed. Returns (how many, since when)."""
    cutoff = now - timedelta(minutes=minutes)
    since = sa.func.min(c.due_at)
    with engine.connect() as conn:
        n, first = conn.execute(sa.select(sa.func.count(), since).where(
            c.status.in_([PENDING, CLAIMED]), c.due_at <= cutoff, c.created_at <= cutoff,
            sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= cutoff))).one()
    return int(n or 0), first


# -- settling a claimed row -----------------------------------------------------------------------------------

def mark_sent(conn, row_id: int, message_id: str, now: datetime) -> None:
    conn.execute(sa.update(T).where(c.id == row_id).values(
        status=SENT, message_id=str(message_id)[:64], sent_at=now, attempts=c.attempts + 1, last_error=None,
        next_attempt_at=None))


def settle(conn, row_id: int, status: str, reason: str | None = None) -> None:
    """cancelled / superseded / failed, with the reason."""
    conn.execute(sa.update(T).where(c.id == row_id).values(status=status, last_error=reason, next_attempt_at=None))


def retry_at(conn, row_id: int, when: datetime, error: str, *, count_attempt: bool) -> None:
    """Back to pending, not before `when`."""
    values = {"status": PENDING, "next_attempt_at": when, "last_error": error[:2000], "claimed_by": None,
              "claimed_at": None}
    if count_attempt:
        values["attempts"] = c.attempts + 1
    conn.execute(sa.update(T).where(c.id == row_id).values(**values))


def hold_chat(conn, chat: str, until: datetime) -> None:
    """Telegram asked this chat to wait: nothing pending for it goes before `until` (keeps its order)."""
    conn.execute(sa.update(T).where(c.chat == chat, c.status == PENDING,
                                    sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at < until))
                 .values(next_attempt_at=until))


def release(engine: Engine, row_ids: Sequence[int], worker: str, until: datetime | None = None) -> int:
    """Give claimed rows back (shutdown, or the chat must wait): pending again, untouched otherwise."""
    if not row_ids:
        return 0
    values: dict = {"status": PENDING, "claimed_by": None, "claimed_at": None}
    if until is not None:
        values["next_attempt_at"] = until
    with engine.begin() as conn:
        return conn.execute(sa.update(T).where(c.id.in_(list(row_ids)), c.status == CLAIMED, c.claimed_by == worker)
                            .values(**values)).rowcount or 0


def later_row_exists(conn, row: OutboxRow, now: datetime) -> bool:
    """Is there a later message for the same (task, occurrence, chat) due by now (not cancelled)? Then this
    one is stale: each chat hears a task's current state once, not the backlog."""
    if not row.task_key:
        return False
    q = sa.select(c.id).where(c.task_key == row.task_key, c.occurrence == row.occurrence, c.chat == row.chat,
                              c.id != row.id, c.due_at > row.due_at, c.due_at <= now,
                              c.status.in_([PENDING, CLAIMED, SENT])).limit(1)
    return conn.execute(q).first() is not None


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: n for s, n in conn.execute(sa.select(c.status, sa.func.count()).group_by(c.status))}


STATUSES = (PENDING, CLAIMED, SENT, FAILED, SUPERSEDED, CANCELLED, BRIEFED)
