"""The dispatcher (bộ gửi tin): claims due outbox rows, sends each through its chat's channel, records it.

- Claimed rows are served one asyncio worker per chat (in due order), many chats at once, so the flood
  limits — not the loop — set the pace.
- Just before sending, the row is checked again against the task as it is now: done, acknowledged,
  extended, reassigned or unlinked since it was planned → cancelled; a later message for the same task
  and chat already due → superseded. Texts are rendered now, so they say how things stand now.
- `sent` and the platform's message id are recorded right after the platform accepts. A crash between
  the two repeats at most the messages in flight — one per chat being served — when their claims expire
  (CLAIM_TIMEOUT_SECONDS). That is the documented crash window.
- Errors (handled in `jobs.delivery_failures`): 429 → retried after retry_after (the chat waits, nothing lost);
  5xx/network → backoff, failed after DELIVERY_MAX_ATTEMPTS and the oversight chats told; 403 → the chat's
  bindings disabled, oversight told, audit entry; a group upgraded to a supergroup → bindings and rows follow it
  to the new id. Bookkeeping writes that fail are healed by `jobs.healing`.
- `request_stop()`: claim nothing more, let sends in flight finish, release the rest (back to pending).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobs import outbox
# Failure handling lives in jobs.delivery_failures; its retry schedule is re-exported for callers.
from jobs.delivery_failures import (
    RETRY_BASE_SECONDS, RETRY_CAP_SECONDS, RETRY_FACTOR, DeliveryFailures, DispatchStats, backoff_seconds,  # noqa: F401
)
from jobs.healing import (
    WRITE_RETRY_DELAYS, OversightChat, StuckWatch, WriteFailed, claim_alert, retry_write, stuck_text,
)
from jobs.planner import (
    GLOBAL_ROLES, SUMMARY, TASK_KINDS, Bindings, Policy, PlannedStep, Recipient, still_wanted,
)
from jobs.ports import (
    ATTACH, LINK, UPLOAD, Channel, ChatGone, ChatMoved, Composer, DeliveryError, PermanentDeliveryError, RetryLater,
    TransientDeliveryError,
)
from core.workdays import WorkCalendar
from storage.db import session_scope
from storage.tables import CANCELLED, FAILED, SUPERSEDED, ChatBinding, Notification

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# -- the dispatcher -------------------------------------------------------------------------------------------

@dataclass
class _Prepared:
    text: str
    buttons: list
    chart: bytes | None = None  # the quarterly summary's chart (PNG), for channels that upload or attach it
    chart_link: str | None = None  # ... or a signed link to it, for channels that take pictures by URL (Zalo)
    lang: str | None = None  # the recipient's language (e-mail words its footer and reply hint in it)


class Dispatcher:
    def __init__(self, engine: Engine, settings, clock, channels: Mapping[str, Channel], *,
                 calendar: WorkCalendar | None = None, worker_id: str | None = None, max_chats: int = 256,
                 time_budget: float | None = None, on_sent: Callable[[outbox.OutboxRow, str], None] | None = None,
                 composer: Composer | None = None):
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.channels = dict(channels)
        self.calendar = calendar or WorkCalendar.from_file(settings.holidays_file)
        self.policy = Policy.from_settings(settings)
        if composer is None:  # the wiring (dondoc.wiring) hands one over: bot.compose.Composer
            raise TypeError("a Dispatcher needs a composer (jobs.ports.Composer): see dondoc.wiring")
        self.composer = composer
        self.failures = DeliveryFailures(engine, settings, clock, self.composer)  # 429, retries, gone, moved
        self.worker_id = worker_id or new_worker_id()
        self.max_chats = max_chats
        # A tick stops claiming after this long so planning is not starved by a long backlog.
        self.time_budget = time_budget if time_budget is not None else max(10.0, 2.0 * settings.scheduler_tick_seconds)
        self.on_sent = on_sent
        # Chats a platform asked to wait (429), in real seconds: honoured even when the clock is replayed fast.
        self._blocked_until: dict[str, float] = {}
        self._stopping = False
        self._running = False
        # Rows per chat per claim: few enough that a slow group (20/min) settles them well within the claim
        # timeout, so a live claim is never mistaken for a dead one.
        slowest = min(settings.rate_group_per_minute / 60.0, float(settings.rate_private_per_second))
        self.per_chat = max(1, min(5, int(settings.claim_timeout_seconds * slowest / 2)))
        # Healing (jobs.healing): the rows this worker works on (id → when claimed, monotonic) — all the
        # heartbeat refreshes; bookkeeping writes that failed, written again on the next tick (id → write).
        self._in_flight: dict[int, float] = {}
        self._unrecorded: dict[int, Callable[[], object]] = {}
        self.write_delays = WRITE_RETRY_DELAYS
        # A claim held longer than this by this live worker is a worker stuck (a send that never returns):
        # logged, taken back. Real seconds, whatever the clock's speed: sending takes real time.
        self.max_hold = max(60.0, 3.0 * settings.claim_timeout_seconds)
        self.stuck = StuckWatch(getattr(settings, "delivery_stuck_alert_minutes", 15))
        self._said_no_console = False  # "no console, so no chart links" is logged once per process

    # -- control
    def request_stop(self) -> None:
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _blocked(self, chat: str) -> bool:
        until = self._blocked_until.get(chat)
        if until is None:
            return False
        if until <= time.monotonic():
            self._blocked_until.pop(chat, None)
            return False
        return True

    # -- the loop
    async def dispatch_due(self) -> DispatchStats:
        """Send everything due now (and what becomes due while sending, within the time budget)."""
        stats = DispatchStats()
        if self._stopping or self._running:  # one pass at a time: release_orphans assumes it
            return stats
        self._running = True
        try:
            if not await self._heal(stats):
                return stats
            requeued = await asyncio.to_thread(outbox.requeue_stale, self.engine, self.clock.now(),
                                               self.settings.claim_timeout_seconds, None, self._held())
            stats.requeued += len(requeued)
            await self._dispatch(stats)
        except Exception:
            self.stuck.failed(self.clock.now())
            raise
        finally:
            self._running = False
            await self._watch_stuck()
        return stats

    async def _dispatch(self, stats: DispatchStats) -> None:
        if not self.policy.in_window(self.clock.now(), self.calendar):
            return  # working hours (DELIVERY_WINDOW, working days): what is due waits for the next window
        started = time.monotonic()
        active: dict[str, asyncio.Task] = {}
        rows_of: dict[str, set[int]] = {}
        heartbeat = asyncio.create_task(self._heartbeat(), name="dispatch heartbeat")
        try:
            while not self._stopping:
                rows: list[outbox.OutboxRow] = []
                free = self.max_chats - len(active)
                if free > 0 and time.monotonic() - started < self.time_budget:
                    exclude = list(active) + [c for c in list(self._blocked_until) if self._blocked(c)]
                    rows = await asyncio.to_thread(outbox.claim, self.engine, self.worker_id, self.clock.now(),
                                                   limit=free * self.per_chat, per_chat=self.per_chat,
                                                   exclude_chats=exclude)
                claimed_at = time.monotonic()
                by_chat: dict[str, list[outbox.OutboxRow]] = defaultdict(list)
                for r in rows:
                    by_chat[r.chat].append(r)
                    self._in_flight[r.id] = claimed_at
                for chat, rs in by_chat.items():
                    active[chat] = asyncio.create_task(self._serve_chat(chat, rs, stats), name=f"dispatch {chat}")
                    rows_of[chat] = {r.id for r in rs}
                if not active:
                    break
                await asyncio.wait(list(active.values()), timeout=max(0.05, self.max_hold / 4),
                                   return_when=asyncio.FIRST_COMPLETED)
                self._take_back_held_too_long(active, rows_of)
                for chat in [c for c, t in active.items() if t.done()]:
                    t = active.pop(chat)
                    if not t.cancelled() and t.exception() is not None:
                        log.error("dispatch worker for %s failed", chat, exc_info=t.exception())
        finally:
            if active:
                await asyncio.gather(*active.values(), return_exceptions=True)
            heartbeat.cancel()

    def _held(self) -> list[int]:
        """Rows this worker still works on: in flight, or sent and waiting for `sent` to be recorded."""
        return list(self._in_flight) + [i for i in self._unrecorded if i not in self._in_flight]

    async def _heal(self, stats: DispatchStats) -> bool:
        """Write what earlier ticks could not record; take back this worker's claims nobody works on.
        False: the database still refuses writes (nothing more is claimed this tick)."""
        for row_id, write in list(self._unrecorded.items()):
            try:
                await asyncio.to_thread(write)
            except Exception as e:  # noqa: BLE001 - still failing: the next tick tries again
                self.stuck.failed(self.clock.now())
                log.warning("still cannot record outbox row %s (%s); trying again next tick", row_id, e)
                return False
            self._unrecorded.pop(row_id, None)
            self._in_flight.pop(row_id, None)
            log.info("outbox row %s recorded after the database came back", row_id)
        orphans = await asyncio.to_thread(outbox.release_orphans, self.engine, self.worker_id, self._held())
        stats.released += len(orphans)
        self.stuck.healed()
        return True

    def _take_back_held_too_long(self, active: dict[str, asyncio.Task], rows_of: dict[str, set[int]]) -> None:
        """A chat worker holding a claim past `max_hold` is stuck (a send that never returns): cancel it —
        its `finally` releases its rows — and say so. Such a message may repeat once."""
        limit = time.monotonic() - self.max_hold
        old = {i for i, at in self._in_flight.items() if at < limit and i not in self._unrecorded}
        if not old:
            return
        for chat, t in active.items():
            if rows_of.get(chat, set()) & old and not t.done():
                log.error("the worker for %s has held its claims for more than %.0fs: taking them back "
                          "(a message in flight may repeat once)", chat, self.max_hold)
                t.cancel()

    async def _heartbeat(self) -> None:
        """Keep fresh the claims this worker still works on: only a dead process's claims — or claims a live
        one stopped working on — grow older than CLAIM_TIMEOUT_SECONDS, however long a live worker waits
        for its turn under the flood limits."""
        speed = self.settings.clock_speed if self.settings.clock_start else 1.0  # claim times are on self.clock
        interval = max(0.2, self.settings.claim_timeout_seconds / 3.0 / speed)
        while True:
            await asyncio.sleep(interval)
            limit = time.monotonic() - self.max_hold
            working = [i for i, at in self._in_flight.items() if at >= limit or i in self._unrecorded]
            try:
                await asyncio.to_thread(outbox.touch_claims, self.engine, self.worker_id, self.clock.now(), working)
            except Exception:  # noqa: BLE001 - the next beat tries again; claims last CLAIM_TIMEOUT_SECONDS
                log.warning("could not refresh this worker's claims", exc_info=True)

    async def _watch_stuck(self) -> None:
        """Tell the oversight chats once when delivery has been stuck for DELIVERY_STUCK_ALERT_MINUTES."""
        if not self.stuck.minutes:
            return
        now = self.clock.now()
        if self._unrecorded:
            self.stuck.failed(now)
        waiting, since = 0, None
        try:
            waiting, since = await asyncio.to_thread(outbox.stuck, self.engine, now, self.stuck.minutes)
            self.stuck.oversight = await asyncio.to_thread(self._oversight_chats)
        except Exception:  # noqa: BLE001 - an unreadable database is itself a reason to tell
            self.stuck.failed(now)
            log.warning("could not look for stuck messages", exc_info=True)
        cause = self.stuck.due(now, waiting, since)
        if cause is None:
            return
        since = since if cause == "waiting" else self.stuck.failing_since
        if not await asyncio.to_thread(claim_alert, self.engine, now, self.stuck.minutes):
            self.stuck.told = True  # another dispatcher process has just told them
            log.error("delivery has been stuck since %s (%s); another process told the oversight chats", since, cause)
            return
        log.error("delivery has been stuck since %s (%s, %d message(s) waiting): telling the oversight chats",
                  since, cause, waiting)
        told = 0
        for chat in self.stuck.oversight:
            channel = self.channels.get(chat.platform)
            if channel is None:
                continue
            try:
                await channel.send(chat.chat_id, stuck_text(waiting, since, self.stuck.minutes, cause, chat.language,
                                                            self.settings.timezone))
                told += 1
            except Exception:  # noqa: BLE001 - told on the next tick then
                log.warning("could not tell %s:%s that delivery is stuck", chat.platform, chat.chat_id, exc_info=True)
        if told or not self.stuck.oversight:
            self.stuck.told = True
            if not self.stuck.oversight:
                log.error("no oversight chat to tell that delivery is stuck")

    def _oversight_chats(self) -> list[OversightChat]:
        with Session(self.engine) as s:
            rows = s.exec(select(ChatBinding).where(ChatBinding.role == "oversight", ChatBinding.active == sa.true())
                          .order_by(ChatBinding.id)).all()
        seen, out = set(), []
        for b in rows:
            if (b.platform, b.chat_id) not in seen:
                seen.add((b.platform, b.chat_id))
                out.append(OversightChat(b.platform, b.chat_id, self.composer.language(b)))
        return out

    async def _serve_chat(self, chat: str, rows: list[outbox.OutboxRow], stats: DispatchStats) -> None:
        """Send one chat's claimed rows in order; on any early exit release what is left.

        Every bookkeeping write is retried (jobs.healing); one that still fails stops this chat for this
        tick — never with a row left claimed and forgotten: a sent row's `sent` is written on a later tick,
        the others are released (or, if even that fails, released on a later tick)."""
        i = 0
        hold_until: datetime | None = None  # a 429: what is left waits as long as the chat must
        write = self._write
        try:
            channel = self.channels.get(rows[0].platform)
            while i < len(rows):
                if self._stopping or self._blocked(chat):
                    break
                row = rows[i]
                i += 1
                try:
                    if channel is None:
                        await write(row, "failed", self._settle, row, FAILED, f"no channel for platform {row.platform!r}",
                                    stats)
                        continue
                    prepared = await write(row, "checked", self._prepare, row, stats)
                    if prepared is None:
                        self._in_flight.pop(row.id, None)
                        continue
                    try:
                        message_id = await channel.send(row.chat_id, prepared.text, prepared.buttons,
                                                        **_send_meta(channel, row, prepared))
                    except RetryLater as e:
                        self._blocked_until[chat] = time.monotonic() + e.seconds
                        hold_until = self.clock.now() + timedelta(seconds=e.seconds)
                        hold_until = await write(row, "retry later", self.failures.retry_later, row, e, stats)
                        break
                    except ChatGone as e:
                        await write(row, "chat gone", self.failures.chat_gone, row, str(e), stats)
                        break
                    except ChatMoved as e:
                        await write(row, "chat moved", self.failures.chat_moved, row, e.new_chat_id, stats)
                        break
                    except PermanentDeliveryError as e:
                        await write(row, "failed", self.failures.give_up, row, str(e), stats)
                    except (TransientDeliveryError, DeliveryError) as e:
                        await write(row, "retry", self.failures.transient, row, str(e), stats)
                    except Exception as e:  # a bug in a channel must not kill the loop; treat it as transient
                        log.exception("unexpected error sending outbox row %s to %s", row.id, chat)
                        await write(row, "retry", self.failures.transient, row, f"{type(e).__name__}: {e}", stats)
                    else:
                        if prepared.chart is not None or prepared.chart_link is not None:
                            await self._send_chart(channel, row, prepared)
                        try:
                            await write(row, "sent", self._sent, row, message_id, stats)
                        except WriteFailed:
                            # The platform has it: keep the claim (the heartbeat keeps it fresh) and record
                            # `sent` on a later tick, rather than send it again.
                            now = self.clock.now()
                            self._unrecorded[row.id] = lambda r=row, m=message_id, t=now: self._sent_later(r, m, t)
                            stats.sent += 1
                            raise
                except WriteFailed as e:
                    self.stuck.failed(self.clock.now())
                    if row.id not in self._unrecorded:
                        i -= 1  # not sent (or its outcome not recorded): released with the rest
                    log.error("%s; chat %s waits for the next tick", e, chat)
                    break
                self._in_flight.pop(row.id, None)
        finally:
            rest = [r.id for r in rows[i:]]
            if rest:
                try:
                    stats.released += await retry_write(f"release of {len(rest)} row(s) of {chat}", outbox.release,
                                                        self.engine, rest, self.worker_id, hold_until,
                                                        delays=self.write_delays)
                except WriteFailed:
                    # No longer in flight, so not refreshed: the next tick takes them back (release_orphans),
                    # or, if this process dies, they expire after CLAIM_TIMEOUT_SECONDS.
                    self.stuck.failed(self.clock.now())
                    log.error("could not release %d row(s) of %s; taken back on the next tick", len(rest), chat)
            for r in rows:
                if r.id not in self._unrecorded:
                    self._in_flight.pop(r.id, None)

    async def _write(self, row: outbox.OutboxRow, what: str, fn, *args):
        return await retry_write(f"outbox row {row.id} ({what})", fn, *args, delays=self.write_delays)

    def _sent_later(self, row: outbox.OutboxRow, message_id: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            outbox.mark_sent(conn, row.id, message_id, at)
        if self.on_sent is not None:
            self.on_sent(row, message_id)

    # -- steps (run in a worker thread: they touch the database)
    def _prepare(self, row: outbox.OutboxRow, stats: DispatchStats) -> _Prepared | None:
        now = self.clock.now()
        with session_scope(self.engine) as s:
            current = s.get(Notification, row.id)
            if current is None or current.status != "claimed" or current.claimed_by != self.worker_id:
                log.warning("outbox row %s is no longer ours (status %s); not sending it", row.id,
                            getattr(current, "status", None))
                return None
            binding = s.get(ChatBinding, row.binding_id) if row.binding_id else None
            reason = None
            status = CANCELLED
            if row.kind in TASK_KINDS:
                snap = self.composer.snapshot(s, row.task_id, row.task_key)
                # Only the chats this task's plan can reach (its agencies', and the province-wide watchers'):
                # loading every binding for every message made sending CPU-bound at 700 chats (bench/dispatch.py).
                agencies = [snap.lead, *snap.coordinators] if snap is not None else []
                bindings = Bindings(Recipient.from_row(b) for b in s.exec(select(ChatBinding).where(
                    ChatBinding.active == sa.true(),
                    sa.or_(ChatBinding.agency.in_(agencies), ChatBinding.role.in_(GLOBAL_ROLES)))
                    .order_by(ChatBinding.id)).all())
                step = PlannedStep(row.due_at, row.task_key, row.occurrence, row.step, row.chat, row.kind, row.task_id,
                                   row.binding_id, row.payload)
                reason = still_wanted(step, snap, bindings, self.policy, self.calendar)
                if reason is None and outbox.later_row_exists(s.connection(), row, now):
                    reason, status = "a later message about this task reached this chat", SUPERSEDED
            else:
                platform, _, chat_id = row.chat.partition(":")
                role = (row.payload or {}).get("role")
                q = select(ChatBinding).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id,
                                              ChatBinding.active == sa.true())
                if role:
                    q = q.where(ChatBinding.role == role)
                live = s.exec(q).first()
                if live is None:
                    reason = "chat no longer linked"
                elif binding is None or not binding.active:
                    binding = live
            if reason is not None:
                outbox.settle(s.connection(), row.id, status, reason)
                if status == SUPERSEDED:
                    stats.superseded += 1
                else:
                    stats.cancelled += 1
                log.info("outbox row %s (%s %s → %s) %s: %s", row.id, row.task_key or "-", row.step, row.chat,
                         status, reason)
                return None
            try:
                composed = self.composer.compose(s, row, now, binding)
            except PermanentDeliveryError as e:
                self.failures.give_up_in(s, row, str(e), stats, now)
                return None
            except Exception as e:
                log.exception("cannot compose outbox row %s", row.id)
                self.failures.give_up_in(s, row, f"cannot compose the message: {type(e).__name__}: {e}", stats, now)
                return None
            if not composed.text:
                outbox.settle(s.connection(), row.id, CANCELLED, "nothing to report")
                stats.cancelled += 1
                return None
            prepared = _Prepared(composed.text, composed.buttons, lang=composed.lang)
            if row.kind == SUMMARY:
                self._summary_chart(s, row, composed.lang, now, prepared)
            return prepared

    def _summary_chart(self, session, row: outbox.OutboxRow, lang: str, now: datetime, prepared: _Prepared) -> None:
        """The chart of a quarterly summary (reports.summary): the four groups per agency for that quarter, as
        of the day it is sent, in the chat's language — drawn here for a channel that uploads or attaches it; for
        one that takes pictures by URL, a signed link to the console, which draws the same picture when the
        platform fetches it. A chart that cannot be made never holds the summary's text back."""
        pictures = getattr(self.channels.get(row.platform), "pictures", None)
        if pictures not in (UPLOAD, ATTACH, LINK):
            return
        today = now.astimezone(self.settings.timezone).date()
        try:
            if pictures == LINK:
                prepared.chart_link = self._summary_chart_link(row, lang, today, now)
                return
            from reports.summary import summary_chart

            prepared.chart = summary_chart(session, settings=self.settings, calendar=self.calendar,
                                           quarter=row.occurrence, today=today, lang=lang)
        except Exception:  # noqa: BLE001 - the text goes out anyway
            log.exception("could not make the chart of %s for %s", row.occurrence, row.chat)

    def _summary_chart_link(self, row: outbox.OutboxRow, lang: str, today, now: datetime) -> str | None:
        from core.links import web_console_installed

        if not web_console_installed():  # nothing would answer the link
            if not self._said_no_console:
                self._said_no_console = True
                log.info("the web console is not installed: the quarterly summary goes without its chart to "
                         "chats that take pictures by link only (%s)", row.platform)
            return None
        from reports.summary import summary_chart_url

        return summary_chart_url(self.settings, row.occurrence, lang, today=today, now=now.timestamp())

    async def _send_chart(self, channel: Channel, row: outbox.OutboxRow, prepared: _Prepared) -> None:
        """After the summary's text: its chart, once, best effort (the text is the message; a failed chart is
        logged, not retried, so the text is never sent twice for it). A platform's "slow down" still holds
        this chat's next messages back."""
        try:
            if prepared.chart_link is not None and getattr(channel, "pictures", None) == LINK:
                await channel.send_photo_url(row.chat_id, prepared.chart_link, None)  # no caption, as on Telegram
            elif prepared.chart is not None and getattr(channel, "pictures", None) == UPLOAD:
                await channel.send_photo(row.chat_id, prepared.chart, filename=f"{row.occurrence}.png")
        except RetryLater as e:
            self._blocked_until[row.chat] = time.monotonic() + e.seconds
            log.warning("the chart of %s did not reach %s: the platform asked to wait %.0fs", row.occurrence,
                        row.chat, e.seconds)
        except Exception:  # noqa: BLE001
            log.warning("the chart of %s did not reach %s", row.occurrence, row.chat, exc_info=True)

    def _sent(self, row: outbox.OutboxRow, message_id: str, stats: DispatchStats) -> None:
        with self.engine.begin() as conn:
            outbox.mark_sent(conn, row.id, message_id, self.clock.now())
        stats.sent += 1
        if self.on_sent is not None:
            self.on_sent(row, message_id)

    def _settle(self, row, status: str, reason: str, stats: DispatchStats) -> None:
        with self.engine.begin() as conn:
            outbox.settle(conn, row.id, status, reason)
        if status == FAILED:
            stats.failed += 1


def _send_meta(channel: Channel, row: outbox.OutboxRow, prepared: _Prepared | None = None) -> dict:
    """What a channel that asks for it gets beside the text: the outbox key (e-mail's Message-ID), the task
    (an .ics attachment, a Zalo command line), its period (the reference a reply to an e-mail carries back) and
    the binding (an unsubscribe link)."""
    if not getattr(channel, "accepts_meta", False):
        return {}
    meta = {"key": f"{row.task_key}|{row.occurrence}|{row.step}|{row.chat}", "task_key": row.task_key or None,
            "binding_id": row.binding_id, "occurrence": row.occurrence or None}  # e-mail: the reply's reference
    if prepared is not None and prepared.lang:
        meta["lang"] = prepared.lang
    if prepared is not None and prepared.chart is not None and getattr(channel, "pictures", None) == ATTACH:
        meta["chart"] = prepared.chart  # e-mail: the summary's chart as an attachment of the same message
    return meta
