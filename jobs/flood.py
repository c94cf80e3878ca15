"""Telegram's flood limits shared by every dondoc process on one PostgreSQL database (giới hạn gửi tin).

Telegram allows a bot about 30 messages per second overall, 20 per minute to one group and 1 per second to
one private chat, whichever process sends them. Each dispatcher process also enforces them in memory
(python-telegram-bot's AIORateLimiter, bot.channels.PerChatLimiter) — enough for one process, but two
dispatchers would each send 30/s, and a chat served by one process and then by another would get two
bursts. So with PostgreSQL every message first takes a slot from a budget kept in the database.

The budget is the GCRA ("generic cell rate algorithm", a token bucket kept as one timestamp): a row per
limit — `overall` and one per chat — holds `tat`, the earliest instant the next message under that limit
is due. Taking a slot for chat C, in one short transaction:

    lock overall, lock C              (always in this order: no deadlocks)
    if tat_C - tolerance_C > now: take nothing; come back then      (the chat is not ready)
    send_at = max(now, tat_overall - tolerance_overall)
    tat_C = max(tat_C, send_at) + interval_C ; tat_overall = max(tat_overall, send_at) + interval_overall

then the process sleeps until `send_at` and sends. Only chats ready now take overall slots, so a private
chat's next message a second away never holds back the others. `now` is the database's clock, so
processes on machines whose clocks disagree still share one timeline. A process never reserves more than
`max_wait` ahead (it waits and asks again), so one busy process cannot queue up the whole budget and
claims stay short.

Margins: the overall interval is 2% longer than 1/RATE_OVERALL_PER_SECOND and there is no burst, so the
receiving side's bucket stays full; a group may get half of RATE_GROUP_PER_MINUTE at once and the other half
spread over the minute (`group_limit`): Telegram counts a group's messages per rolling minute, and a burst of
10 with the full rate on top of it put 29 into the first minute (issue 27); a private chat one message every
1/RATE_PRIVATE_PER_SECOND s (+10%), counted from when the previous one was answered (`sent`), so a message
delayed on its way does not bring the next one closer.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sqlalchemy.dialects import postgresql

from storage.tables import RateBudget

log = logging.getLogger(__name__)

T = RateBudget.__table__
OVERALL = "overall"
_LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATE_SLOT = 0.25  # seconds past its slot a message is no longer sent in it (see SharedFloodLimits.wait)
MAX_RETAKES = 3  # then it goes anyway: a process starved that often still delivers
_PRUNE_EVERY = 2000  # reservations between clean-ups of rows of chats idle for an hour


@dataclass(frozen=True)
class Reservation:
    taken: bool  # False: nothing was taken; ask again in `wait` seconds (minus max_wait if `overall`)
    wait: float  # seconds from now to the slot
    at: datetime  # the slot, on the database's clock
    blocked_by: str | None = None  # "chat": the chat's own limit; "overall": every slot within max_wait is taken


@dataclass(frozen=True)
class Limit:
    """`burst` messages at once, then one every `interval` seconds."""

    interval: float
    burst: int = 1

    @property
    def tolerance(self) -> timedelta:
        return timedelta(seconds=self.interval * (self.burst - 1))


def group_limit(per_minute: int) -> Limit:
    """The limit of one group: at most `per_minute` messages in any rolling minute. Telegram counts a rolling
    minute, so the burst and the steady rate share it: half at once, the other half spread over the minute
    (+5% margin). At most burst + 60 s / interval messages fit in any 60 s, which is below `per_minute`."""
    burst = max(1, per_minute // 2)
    return Limit(60.0 * 1.05 / max(1, per_minute - burst), burst)


def gcra(tat: datetime, now: datetime, limit: Limit) -> tuple[datetime | None, datetime]:
    """One step of the GCRA for one limit: (when the message may go — None if later than now allows —, the
    new theoretical arrival time). Pure: `reserve` does the same in SQL rows; tests simulate it."""
    if tat - limit.tolerance > now:
        return None, tat
    return now, max(tat, now) + timedelta(seconds=limit.interval)


def is_private_chat(chat_id: str) -> bool:
    """Telegram: users have positive ids, groups and channels negative ones (or an @username)."""
    try:
        return int(chat_id) > 0
    except ValueError:
        return False


class SharedFloodLimits:
    """Slots under Telegram's flood limits, shared through the `ratebudget` table (PostgreSQL)."""

    def __init__(self, engine: Engine, settings, *, platform: str = "telegram", max_wait: float = 2.0):
        if engine.dialect.name != "postgresql":
            raise ValueError("shared flood limits need PostgreSQL (SQLite runs one process: in-memory limits suffice)")
        self.engine = engine
        self.platform = platform
        self.max_wait = max_wait
        self.overall = Limit(1.02 / settings.rate_overall_per_second)
        self.group = group_limit(settings.rate_group_per_minute)
        self.private = Limit(1.10 / settings.rate_private_per_second)
        self._reservations = 0
        self._gate = asyncio.Lock()

    def limit_for(self, chat_id: str) -> Limit:
        return self.private if is_private_chat(chat_id) else self.group

    def _key(self, chat_id: str) -> str:
        return f"{self.platform}:{chat_id}"

    # -- the database side (synchronous; the async methods run it in a worker thread)
    def reserve(self, chat_id: str) -> Reservation:
        """Take the next slot for `chat_id` if it is at most `max_wait` s away; otherwise take nothing
        (`taken` False) and say how far off it is."""
        chat = self.limit_for(chat_id)
        names = (OVERALL, self._key(chat_id))
        lock = (postgresql.insert(T).values(name=sa.bindparam("n"), tat=_LONG_AGO)
                .on_conflict_do_update(index_elements=["name"], set_={"tat": T.c.tat})  # locks the row
                .returning(T.c.tat, sa.func.clock_timestamp()))
        with self.engine.begin() as conn:
            tat_overall, _ = conn.execute(lock, {"n": names[0]}).one()
            tat_chat, now = conn.execute(lock, {"n": names[1]}).one()
            if gcra(tat_chat, now, chat)[0] is None:
                ready = tat_chat - chat.tolerance
                conn.rollback()
                return Reservation(False, (ready - now).total_seconds(), ready, "chat")
            send_at = max(now, tat_overall - self.overall.tolerance)
            wait = (send_at - now).total_seconds()
            if wait > self.max_wait:
                conn.rollback()
                return Reservation(False, wait, send_at, "overall")
            conn.execute(sa.update(T).where(T.c.name == sa.bindparam("n")).values(tat=sa.bindparam("t")), [
                {"n": names[0], "t": max(tat_overall, send_at) + timedelta(seconds=self.overall.interval)},
                {"n": names[1], "t": gcra(tat_chat, send_at, chat)[1]},
            ])
        self._reservations += 1
        if self._reservations % _PRUNE_EVERY == 0:
            self.prune()
        return Reservation(True, max(wait, 0.0), send_at)

    def sent(self, chat_id: str) -> None:
        """The platform answered: a private chat's next message is due one interval from now at the earliest."""
        chat = self.limit_for(chat_id)
        if chat.burst != 1:
            return
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE ratebudget SET tat = GREATEST(tat, (clock_timestamp() AT TIME ZONE 'UTC') "
                "+ make_interval(secs => :s)) WHERE name = :n"), {"s": chat.interval, "n": self._key(chat_id)})

    def prune(self) -> int:
        """Forget chats idle for an hour (their row no longer limits anything)."""
        with self.engine.begin() as conn:
            return conn.execute(sa.text(
                "DELETE FROM ratebudget WHERE name <> :o AND tat < (clock_timestamp() AT TIME ZONE 'UTC') "
                "- interval '1 hour'"), {"o": OVERALL}).rowcount or 0

    # -- what a channel calls
    async def wait(self, chat_id: str) -> float:
        """Return when this process may send one message to `chat_id`; the seconds waited.

        One reservation at a time per process (`_gate`, first come first served): hundreds of chats
        waiting for a slot queue here, in memory, instead of polling the database."""
        waited = 0.0
        retakes = 0
        while True:
            async with self._gate:
                while True:
                    r = await asyncio.to_thread(self.reserve, chat_id)
                    if r.taken or r.blocked_by == "chat":
                        break
                    # Every slot within max_wait is taken: come back when the next one is within reach.
                    pause = min(max(r.wait - self.max_wait + random.uniform(0, 0.01), 0.005), 5.0)
                    await asyncio.sleep(pause)
                    waited += pause
            if r.taken:
                if r.wait > 0:
                    loop = asyncio.get_running_loop()
                    due = loop.time() + r.wait
                    await asyncio.sleep(r.wait)
                    late = loop.time() - due
                    if late > LATE_SLOT and retakes < MAX_RETAKES:
                        # Held up past the slot (a busy machine starved this process): sending now would land
                        # beside the slots the other processes took after it — a burst Telegram answers with
                        # 429. The slot is let go; a fresh one is taken.
                        retakes += 1
                        waited += r.wait + late
                        continue
                    waited += late
                return waited + r.wait
            # This chat's own limit: wait for it outside the gate, so other chats go meanwhile.
            pause = min(max(r.wait + random.uniform(0, 0.01), 0.005), 5.0)
            await asyncio.sleep(pause)
            waited += pause

    async def after_send(self, chat_id: str) -> None:
        try:
            await asyncio.to_thread(self.sent, chat_id)
        except Exception:  # the message is out; the limit's bookkeeping is best effort
            log.exception("could not record the send time of %s in the shared flood budget", chat_id)
