"""Delivery that heals (tự phục hồi): the dispatcher's bookkeeping writes survive a busy or full database.

A "bookkeeping write" records what happened to a claimed outbox row: sent, released, retried, failed. With
SQLite's write lock held past the busy timeout by another process (a long import, a backup) or a disk full
for a moment, such a write fails. Before, the worker died with the row still `claimed` by a live process,
and nothing took it back until a restart. Now:

- `retry_write` tries the write again with backoff (real seconds; each SQLite attempt already waits up to
  the busy timeout);
- what still cannot be written is remembered by the dispatcher and written on the next tick — a message
  the platform accepted stays claimed (and refreshed by the heartbeat) until its `sent` is recorded, so it
  is not sent twice by this process; the chat's other rows are released;
- a process that dies meanwhile leaves claims that expire after CLAIM_TIMEOUT_SECONDS: such a message may
  repeat once — the documented crash window;
- `StuckWatch` tells the oversight chats once when delivery has been stuck for DELIVERY_STUCK_ALERT_MINUTES,
  straight through the channel (the outbox may be the thing that is stuck).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence, TypeVar

from core.i18n import N_, _, format_datetime

ALERT_STATE = "alert:delivery-stuck"  # SchedulerState row: when some process last told the oversight chats

log = logging.getLogger(__name__)

R = TypeVar("R")

# Waits (real seconds) between attempts of one bookkeeping write: three attempts in all. With SQLite each
# attempt itself waits up to the busy timeout (30 s), so a chat gives up on a locked database in ~1.5 min.
WRITE_RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0)


class WriteFailed(RuntimeError):
    """A bookkeeping write failed every attempt; `__cause__` is the last error."""


async def retry_write(what: str, fn: Callable[..., R], *args, delays: Sequence[float] = WRITE_RETRY_DELAYS) -> R:
    """Run the synchronous database write `fn(*args)` in a thread; on an error try again after each of
    `delays`. Raises WriteFailed after the last attempt."""
    last: BaseException | None = None
    for attempt, delay in enumerate((0.0, *delays), start=1):
        if delay:
            await asyncio.sleep(delay)
        try:
            return await asyncio.to_thread(fn, *args)
        except Exception as e:  # noqa: BLE001 - database locked, disk full, connection lost: all worth a retry
            last = e
            log.warning("could not record %s (attempt %d of %d): %s", what, attempt, len(delays) + 1, e)
    raise WriteFailed(f"could not record {what}: {last}") from last


@dataclass
class OversightChat:
    platform: str
    chat_id: str
    language: str


CAUSES = {
    "database": N_("the database does not accept writes (locked by another program, or the disk is full)"),
    "waiting": N_("messages are due but not being sent"),
}


def stuck_text(count: int, since: datetime | None, minutes: int, cause: str, lang: str, tz) -> str:
    when = format_datetime(since.astimezone(tz), lang) if since is not None else "—"
    reason = _(CAUSES[cause], lang=lang)
    return _("⚠️ Delivery of reminders has been stuck for more than {minutes} minutes (since {since}): "
             "{count} message(s) waiting. Cause: {reason}. dondoc keeps trying and sends them as soon as it can; "
             "please ask the administrator to check the server (disk space, database locks, backups).",
             lang=lang, minutes=minutes, since=when, count=count, reason=reason)


class StuckWatch:
    """One episode of stuck delivery → one alert. The episode ends when nothing is stuck any more."""

    def __init__(self, minutes: int):
        self.minutes = minutes
        self.failing_since: datetime | None = None  # first bookkeeping failure not yet healed
        self.told = False
        self.oversight: list[OversightChat] = []  # the last list read, for when the database cannot be read

    def failed(self, now: datetime) -> None:
        if self.failing_since is None:
            self.failing_since = now

    def healed(self) -> None:
        self.failing_since = None

    def due(self, now: datetime, waiting: int, since: datetime | None) -> str | None:
        """The cause to report (a key of CAUSES), if an alert is due now (None: nothing to say, or said)."""
        if not self.minutes:
            return None
        failing = self.failing_since is not None and (now - self.failing_since).total_seconds() >= self.minutes * 60
        if not failing and not waiting:
            if self.told:
                log.warning("delivery is moving again")
            self.told = False
            return None
        if self.told:
            return None
        return "database" if failing else "waiting"


def claim_alert(engine, now: datetime, minutes: int) -> bool:
    """Several dispatcher processes (PostgreSQL) see the same stuck delivery: the first to get here tells the
    oversight chats, the others do not within `minutes`. If the database cannot say (it is what is stuck),
    tell anyway: a second message beats none."""
    from datetime import timedelta

    import sqlalchemy as sa

    from storage.tables import SchedulerState

    t = SchedulerState.__table__
    try:
        with engine.begin() as conn:
            last = conn.execute(sa.select(t.c.updated_at).where(t.c.name == ALERT_STATE).with_for_update()).first()
            if last is not None and last[0] is not None and now - last[0] < timedelta(minutes=minutes):
                return False
            if last is None:
                conn.execute(sa.insert(t).values(name=ALERT_STATE, value=now.isoformat(), updated_at=now))
            else:
                conn.execute(sa.update(t).where(t.c.name == ALERT_STATE).values(value=now.isoformat(), updated_at=now))
        return True
    except Exception:  # noqa: BLE001
        log.warning("could not record who tells about stuck delivery; telling anyway", exc_info=True)
        return True
