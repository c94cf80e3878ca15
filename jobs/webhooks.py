"""Webhooks: events for other systems, from the audit log through an outbox to their URLs, signed.

Where events come from. Every change to a task is an audit entry written in the same transaction as the change
(storage.audit), so the audit log is the one list of what happened. Each tick, for every active subscription,
the entries after its cursor become deliveries (`collect`): one `WebhookDelivery` row per event ×
subscription, unique on (subscription, event key) — so reading an entry twice (the cursor is re-read from a
margin back, for PostgreSQL transactions that commit out of id order) never makes a second delivery, and an
entry is never skipped: the cursor moves in the same transaction as the rows it made. "Overdue" is not a change
anyone makes: once a day each subscription's visible occurrences that are overdue become one event each, keyed
by task, occurrence and deadline in force (an extension that then runs out is a new event).

| event | audit actions |
|---|---|
| task.created | task.created |
| task.changed | task.changed, task.restored, task.removed, task.progress, task.done_claimed, task.acknowledged, task.handed_over, extension.requested, task.evidence, task.lead_corrected, task.reassigned, task.assigned, assignment.acknowledged, part.done |
| task.done | task.done, task.completion_confirmed |
| task.returned | task.completion_rejected, task.returned |
| extension.decided | extension.approved, extension.rejected |
| task.overdue | (a daily check) |

Delivery (`WebhookSender.deliver_due`, on the scheduler's tick): due rows are claimed (FOR UPDATE SKIP LOCKED
on PostgreSQL), POSTed with

    X-Dondoc-Event: task.done
    X-Dondoc-Delivery: <the row's id: the same on every retry of one event>
    X-Dondoc-Timestamp: <Unix seconds when this attempt was signed>
    X-Dondoc-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

and marked sent on a 2xx. Anything else is retried with a growing wait (1, 2, 4 … minutes, at most 6 h) up to
WEBHOOK_MAX_ATTEMPTS, then marked failed (kept, shown in the console). A process that dies between the
receiver's 2xx and marking the row leaves it claimed; after CLAIM_TIMEOUT_SECONDS it is sent again — with the
same delivery id, so the receiver can drop it. A receiver rejects a timestamp older than a few minutes
(`verify`): a captured delivery replayed later is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.api_tables import (DELIVERY_CLAIMED, DELIVERY_FAILED, DELIVERY_PENDING, DELIVERY_SENT, ApiToken,
                                WebhookDelivery, WebhookSubscription)
from storage.db import session_scope
from storage.tables import AuditEntry, Directive, Task

log = logging.getLogger(__name__)

EVENT_OF_ACTION = {
    "task.created": "task.created",
    "task.changed": "task.changed", "task.restored": "task.changed", "task.removed": "task.changed",
    "task.progress": "task.changed", "task.done_claimed": "task.changed", "task.acknowledged": "task.changed",
    "task.handed_over": "task.changed", "extension.requested": "task.changed",
    # the record's and delegation's own entries (issues 22 and 24), named here so their events flow when they land
    "task.evidence": "task.changed", "task.lead_corrected": "task.changed", "task.reassigned": "task.changed",
    "task.assigned": "task.changed", "assignment.acknowledged": "task.changed", "part.done": "task.changed",
    "task.done": "task.done", "task.completion_confirmed": "task.done",
    "task.completion_rejected": "task.returned", "task.returned": "task.returned",
    "extension.approved": "extension.decided", "extension.rejected": "extension.decided",
}
CURSOR_MARGIN = 200  # audit ids re-read behind the cursor (transactions that commit out of id order)
READ_BATCH = 2000
TOLERANCE_SECONDS = 300  # how old a delivery's timestamp a receiver should accept
TIMEOUT_SECONDS = 10
MAX_WAIT = timedelta(hours=6)
IDLE_RECHECK_SECONDS = 15


# -- signatures (pure) ------------------------------------------------------------------------------------

def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class SignatureError(ValueError):
    """A delivery that must not be trusted; `code`: missing | malformed | mismatch | stale."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def verify(secret: str, timestamp: str | None, body: bytes, signature: str | None, now: datetime,
           tolerance: int = TOLERANCE_SECONDS) -> int:
    """What a receiver does with a delivery: the signature must match the timestamp and body, and the timestamp
    be within `tolerance` seconds of `now` (a replay of a captured delivery is too old). Returns the timestamp."""
    if not timestamp or not signature:
        raise SignatureError("missing", "no X-Dondoc-Timestamp or X-Dondoc-Signature header")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("malformed", "X-Dondoc-Timestamp is not a number") from None
    if not hmac.compare_digest(sign(secret, ts, body), signature.strip()):
        raise SignatureError("mismatch", "the signature does not match the body")
    if abs(now.timestamp() - ts) > tolerance:
        raise SignatureError("stale", f"the timestamp is {int(now.timestamp() - ts)} s old: a replay")
    return ts


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4 … minutes, at most MAX_WAIT."""
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_WAIT)


# -- events from the audit log ----------------------------------------------------------------------------

def sees(token: ApiToken, task: Task) -> bool:
    """A subscription gets the events of the tasks its token may see (led or coordinated by its agencies)."""
    return token.all_agencies or bool({task.lead_agency, *(task.coordinators or [])} & set(token.agencies))


def task_payload(task: Task, directive: Directive | None) -> dict:
    return {"key": task.key, "content": task.content, "lead_agency": task.lead_agency,
            "coordinators": list(task.coordinators or []), "deadline_text": task.deadline_text,
            "due": task.due.isoformat() if task.due else None,
            "directive": directive.number if directive is not None else None}


def _existing(session: Session, sub: WebhookSubscription, keys: list[str]) -> set[str]:
    """Which of these event keys already have a delivery for the subscription (one query per batch)."""
    out: set[str] = set()
    for i in range(0, len(keys), 500):
        out |= set(session.exec(select(WebhookDelivery.event_key).where(
            WebhookDelivery.subscription_id == sub.id, WebhookDelivery.event_key.in_(keys[i:i + 500]))))
    return out


def _add(session: Session, sub: WebhookSubscription, key: str, event: str, payload: dict, now: datetime,
         existing: set[str] | None = None) -> bool:
    if existing is None:
        existing = _existing(session, sub, [key])
    if key in existing:
        return False
    existing.add(key)
    session.add(WebhookDelivery(subscription_id=sub.id, event_key=key, event=event, payload=payload,
                                status=DELIVERY_PENDING, next_attempt_at=now, created_at=now))
    return True


def collect(engine: Engine, now: datetime, *, today: date | None = None, overdue_items=None) -> int:
    """Turn new audit entries (and, once a day, overdue occurrences) into deliveries; returns how many rows were
    made. `overdue_items(session, token)` lists the overdue TaskItems a token sees (None: no overdue check)."""
    made = 0
    with session_scope(engine) as s:
        subs = s.exec(select(WebhookSubscription).where(WebhookSubscription.revoked_at.is_(None))
                      .order_by(WebhookSubscription.id)).all()
        ids = [x.id for x in subs]
    for sub_id in ids:
        with session_scope(engine) as s:
            # Locks the subscription's row on PostgreSQL: two processes never collect for it at once.
            sub = s.exec(select(WebhookSubscription).where(WebhookSubscription.id == sub_id)
                         .with_for_update()).first()
            token = s.get(ApiToken, sub.token_id) if sub is not None else None
            if sub is None or sub.revoked_at is not None or token is None or token.revoked_at is not None:
                continue
            made += _collect_audit(s, sub, token, now)
            if overdue_items is not None and today is not None and "task.overdue" in sub.events \
                    and sub.overdue_checked_on != today.isoformat():
                for item in overdue_items(s, token):
                    due = item.effective_due.isoformat() if item.effective_due else ""
                    payload = {"event": "task.overdue", "at": now.isoformat(),
                               "task": task_payload(item.task, item.directive),
                               "occurrence": item.occurrence_key, "due_in_force": due}
                    made += _add(s, sub, f"overdue:{item.task.key}:{item.occurrence_key}:{due}", "task.overdue",
                                 payload, now)
                sub.overdue_checked_on = today.isoformat()
                s.add(sub)
    return made


def _collect_audit(s: Session, sub: WebhookSubscription, token: ApiToken, now: datetime) -> int:
    entries = s.exec(select(AuditEntry).where(AuditEntry.id > max(sub.audit_start, sub.audit_cursor - CURSOR_MARGIN),
                                              AuditEntry.action.in_(list(EVENT_OF_ACTION)))
                     .order_by(AuditEntry.id).limit(READ_BATCH)).all()
    made = 0
    existing = _existing(s, sub, [f"audit:{e.id}" for e in entries])
    keys = {e.entity_key for e in entries if e.entity_key}
    tasks = {t.key: t for t in s.exec(select(Task).where(Task.key.in_(sorted(keys))))} if keys else {}
    directives: dict[int, Directive | None] = {}
    for e in entries:
        event = EVENT_OF_ACTION[e.action]
        task = tasks.get(e.entity_key or "")
        if event not in sub.events or task is None or not sees(token, task):
            continue
        if task.directive_id not in directives:
            directives[task.directive_id] = s.get(Directive, task.directive_id) if task.directive_id else None
        detail = dict(e.detail or {})
        payload = {"event": event, "at": e.at.isoformat(), "action": e.action,
                   "task": task_payload(task, directives[task.directive_id]),
                   "occurrence": detail.pop("occurrence", None),
                   "by": {"name": e.actor, "source": e.source}, "detail": detail}
        made += _add(s, sub, f"audit:{e.id}", event, payload, now, existing)
    if entries:
        sub.audit_cursor = max(sub.audit_cursor, entries[-1].id)
        s.add(sub)
    return made


# -- delivery ---------------------------------------------------------------------------------------------

def claim(engine: Engine, now: datetime, *, limit: int = 20, claim_timeout: int = 120) -> list[int]:
    """Put back claims a dead process left (older than `claim_timeout` s), then claim up to `limit` due rows."""
    t = WebhookDelivery.__table__
    c = t.c
    with engine.begin() as conn:
        stale = conn.execute(sa.update(t).where(c.status == DELIVERY_CLAIMED,
                                                c.claimed_at < now - timedelta(seconds=claim_timeout))
                             .values(status=DELIVERY_PENDING)).rowcount
        if stale:
            log.warning("webhooks: %d delivery(ies) left claimed by a stopped process are sent again (same "
                        "X-Dondoc-Delivery id)", stale)
        due = sa.select(c.id).where(c.status == DELIVERY_PENDING, c.next_attempt_at <= now) \
            .order_by(c.id).limit(limit)
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [r[0] for r in conn.execute(due)]
        if not ids:
            return []
        conn.execute(sa.update(t).where(c.id.in_(ids), c.status == DELIVERY_PENDING)
                     .values(status=DELIVERY_CLAIMED, claimed_at=now))
    return ids


class WebhookSender:
    """Sends claimed deliveries with an httpx client; one per process (the dispatcher's)."""

    def __init__(self, engine: Engine, settings, clock, client=None):
        self.engine, self.settings, self.clock = engine, settings, clock
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _load(self, ids: list[int]) -> list[tuple[int, str, str, str, bytes]]:
        with Session(self.engine) as s:
            out = []
            for d in s.exec(select(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)):
                sub = s.get(WebhookSubscription, d.subscription_id)
                body = json.dumps({"id": d.id, **d.payload}, ensure_ascii=False, sort_keys=True).encode()
                out.append((d.id, d.event, sub.url, sub.secret if sub.revoked_at is None else "", body))
            return out

    def _record(self, delivery_id: int, status: int | None, error: str | None, now: datetime) -> str:
        with session_scope(self.engine) as s:
            d = s.get(WebhookDelivery, delivery_id)
            d.attempts += 1
            d.last_status = status
            if status is not None and 200 <= status < 300:
                d.status, d.sent_at, d.last_error = DELIVERY_SENT, now, None
            elif d.attempts >= self.settings.webhook_max_attempts or error == "unsubscribed":
                d.status, d.last_error = DELIVERY_FAILED, error
            else:
                d.status, d.next_attempt_at, d.last_error = DELIVERY_PENDING, now + backoff(d.attempts), error
            s.add(d)
            return d.status

    async def deliver_due(self, limit: int = 20) -> int:
        """Claim and send what is due; returns how many were accepted by their receivers."""
        import asyncio

        now = self.clock.now()
        ids = await asyncio.to_thread(claim, self.engine, now, limit=limit,
                                      claim_timeout=self.settings.claim_timeout_seconds)
        if not ids:
            return 0
        sent = 0
        for delivery_id, event, url, secret, body in await asyncio.to_thread(self._load, ids):
            status = error = None
            if not secret:
                error = "unsubscribed"
            else:
                ts = int(self.clock.now().timestamp())
                headers = {"Content-Type": "application/json", "User-Agent": "dondoc-webhooks",
                           "X-Dondoc-Event": event, "X-Dondoc-Delivery": str(delivery_id),
                           "X-Dondoc-Timestamp": str(ts), "X-Dondoc-Signature": sign(secret, ts, body)}
                try:
                    r = await self.client.post(url, content=body, headers=headers)
                    status = r.status_code
                    if not 200 <= status < 300:
                        error = f"HTTP {status}"
                except Exception as e:  # noqa: BLE001 - any failure to reach the receiver is retried
                    error = f"{type(e).__name__}: {e}"[:500]
            outcome = await asyncio.to_thread(self._record, delivery_id, status, error, self.clock.now())
            sent += outcome == DELIVERY_SENT
            if outcome != DELIVERY_SENT:
                log.info("webhook delivery %s (%s) to %s: %s → %s", delivery_id, event, url, error, outcome)
        return sent


def overdue_lister(settings, calendar, today: date):
    """`collect`'s overdue check: the open, overdue occurrences a token sees (led or coordinated)."""
    from core.status import Status
    from storage.views import task_items

    def overdue(session: Session, token: ApiToken):
        agencies = [None] if token.all_agencies else list(token.agencies)
        seen = {}
        for agency in agencies:
            for item in task_items(session, settings=settings, calendar=calendar, today=today, agency=agency,
                                   include_done=False, role_of_agency="any" if agency else "lead"):
                if item.status == Status.OVERDUE:
                    seen.setdefault((item.task.id, item.occurrence_key), item)
        return list(seen.values())

    return overdue


class Webhooks:
    """What the scheduler's tick does for webhooks: collect new events, then send what is due."""

    def __init__(self, engine: Engine, settings, clock, calendar=None, client=None):
        from core.workdays import WorkCalendar

        self.engine, self.settings, self.clock = engine, settings, clock
        self.calendar = calendar or WorkCalendar.from_file(settings.holidays_file)
        self.sender = WebhookSender(engine, settings, clock, client)
        self.stopping = False  # set when the service stops: no new claims
        self._idle_until = 0.0  # monotonic time before which a tick does not look for subscriptions again

    def has_subscriptions(self) -> bool:
        with Session(self.engine) as s:
            return s.exec(select(WebhookSubscription.id).where(WebhookSubscription.revoked_at.is_(None))).first() \
                is not None

    async def tick(self, rounds: int = 10) -> int:
        import asyncio

        from core.clock import local_today

        import time

        if time.monotonic() < self._idle_until:
            return 0
        if not await asyncio.to_thread(self.has_subscriptions):
            # Nobody subscribed: look again in a while, not on every tick (a new subscription's events wait in
            # the audit log meanwhile; none is lost).
            self._idle_until = time.monotonic() + IDLE_RECHECK_SECONDS
            return 0
        now = self.clock.now()
        today = local_today(self.clock, self.settings.timezone)
        await asyncio.to_thread(collect, self.engine, now, today=today,
                                overdue_items=overdue_lister(self.settings, self.calendar, today))
        sent = 0
        for _ in range(rounds):  # at most rounds × 20 a tick: the tick's other work is not held up for long
            if self.stopping:
                break
            n = await self.sender.deliver_due()
            sent += n
            if n == 0:
                break
        return sent
