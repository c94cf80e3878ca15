"""`dondoc run`: the Telegram bot, the scheduler tick and the calendar feeds in one asyncio loop.

    settings → database upgraded → channels (Telegram, or the console when TELEGRAM_BOT_TOKEN is unset)
    → every task re-planned → bot (polling, or webhook with WEBHOOK_URL; Zalo by polling unless
    ZALO_WEBHOOK_URL) → feed server (with the Zalo webhook route when ZALO_WEBHOOK_URL is set) → APScheduler job
    ticking every SCHEDULER_TICK_SECONDS (→ the SMTP receiver of replies to reminder e-mails with
    EMAIL_INBOUND_BIND) → wait for SIGINT/SIGTERM → stop claiming, finish the sends in
    flight, release the rest → stop the bot and the feeds.

The bot and the feeds are optional here (each is started only if its module is installed and, for the bot,
a token is set), so the scheduler runs on a machine with nothing but a database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, TextIO

log = logging.getLogger("dondoc.run")

ROLES = ("all", "bot", "dispatcher", "feeds", "web")
DATABASE_WATCH_SECONDS = 15.0  # how often a running service looks at its SQLite file


class _QuietOverlap(logging.Filter):
    """APScheduler warns each time a tick is skipped because the previous one is still sending; with
    max_instances=1 that is the intended behaviour, not a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def build_channels(settings, engine, clock, stream: TextIO | None = None) -> dict:
    """platform → Channel: Telegram with a token, else the console channel (prints each message); Zalo with
    ZALO_BOT_TOKEN; e-mail with SMTP_HOST."""
    channels = _telegram_channel(settings, engine, clock, stream)
    if settings.zalo_bot_token:
        channels["zalo"] = zalo_channel(settings, engine)
    if settings.smtp_host:
        from bot.email import EmailChannel

        channels["email"] = EmailChannel(settings, engine=engine, clock=clock)
    return channels


def zalo_channel(settings, engine):
    """The Zalo channel, with the lookups its text commands need (task key of a button, chat language)."""
    from sqlmodel import Session, select

    from bot.handlers.common import resolve_lang
    from bot.zalo import ZaloChannel
    from storage.tables import ChatBinding, Task

    def task_key_of(task_id):
        if task_id is None:
            return None
        with Session(engine) as s:
            task = s.get(Task, task_id)
            return task.key if task is not None else None

    def lang_of(chat_id):
        with Session(engine) as s:
            rows = list(s.exec(select(ChatBinding).where(ChatBinding.platform == "zalo", ChatBinding.chat_id == chat_id)))
            return resolve_lang(rows, None, settings)

    return ZaloChannel(settings, task_key_of=task_key_of, lang_of=lang_of)


def _telegram_channel(settings, engine, clock, stream: TextIO | None = None) -> dict:
    from bot.channels import ConsoleChannel, TelegramChannel

    if settings.telegram_bot_token:
        limits = None
        if engine.dialect.name == "postgresql":  # other dispatcher processes may share the bot's flood limits
            from jobs.flood import SharedFloodLimits

            limits = SharedFloodLimits(engine, settings)
        return {"telegram": TelegramChannel(settings, limits=limits)}
    from bot.compose import Composer
    from core.workdays import WorkCalendar
    from sqlmodel import Session

    composer = Composer(settings, WorkCalendar.from_file(settings.holidays_file))

    def describe(chat_id: str) -> str:
        with Session(engine) as s:
            return composer.describe_chat(s, f"telegram:{chat_id}")

    return {"telegram": ConsoleChannel(stream, describe=describe, clock=clock, tz=settings.timezone)}


@dataclass
class Service:
    """The running parts, so tests and `dondoc run` stop them in the right order."""

    settings: object
    engine: object
    clock: object
    roles: tuple[str, ...] = ("bot", "dispatcher", "feeds")
    stream: TextIO | None = None
    scheduler: object = None
    channels: dict = field(default_factory=dict)
    bot_app: object = None
    feed_runner: object = None
    aps: object = None
    zalo_receiver: object = None
    zalo_updates: object = None  # bot.zalo_receiver.ZaloUpdates: the one handler of Zalo updates in this process
    zalo_webhook: object = None  # web.zalo_webhook.WebhookKeeper (webhook mode, in the HTTP server's process)
    email_receiver: object = None  # bot.email_inbound.EmailReceiver (EMAIL_INBOUND_BIND, bot role)
    _own_channels: list = field(default_factory=list)
    receiver_lock: object = None  # storage.locks.ReceiverLock, held while this process runs the bot role
    exit_code: int = 0
    on_fatal: object = None  # called when the service must stop on its own (set by `serve`)
    _tick_task: asyncio.Task | None = None
    _watch_task: asyncio.Task | None = None
    _db_watch_task: asyncio.Task | None = None
    _db_health: object = None  # storage.health.DatabaseHealth, made when the service starts
    _db_told: str | None = None

    async def start(self) -> None:
        s = self.settings
        if self.engine.dialect.name == "sqlite":
            self.check_database_file()  # remembers which file this process opened
            self._db_watch_task = asyncio.create_task(self._watch_database(), name="database file watch")
        if "bot" in self.roles:
            # Only one process receives updates (one webhook, one poller): a second one stops here, exit 2.
            from storage.locks import ReceiverLock

            lock = ReceiverLock(self.engine)
            await asyncio.to_thread(lock.acquire)
            self.receiver_lock = lock
            if self.engine.dialect.name == "postgresql":
                self._watch_task = asyncio.create_task(self._watch_lock(), name="receiver lock watch")
        if "dispatcher" in self.roles:
            from dondoc.wiring import make_scheduler

            self.channels = build_channels(s, self.engine, self.clock, self.stream)
            for ch in self.channels.values():
                await ch.start()
            self.scheduler = make_scheduler(self.engine, s, self.clock, self.channels)
            await asyncio.to_thread(self.scheduler.prepare_start)
        if "bot" in self.roles and s.telegram_bot_token:
            from bot.app import build_application, start_bot

            self.bot_app = build_application(s, self.engine, self.clock)
            # Notices after an action may go to a chat on another platform (an extension asked on Zalo).
            self.bot_app.bot_data["channels"] = self.channels
            await start_bot(self.bot_app, s)
        if "bot" in self.roles and not s.telegram_bot_token:
            log.info("TELEGRAM_BOT_TOKEN is unset: no Telegram bot; messages are printed here (console channel)")
        # Zalo updates: by polling in the bot role, or (ZALO_WEBHOOK_URL) by the HTTP server's route below.
        if "bot" in self.roles and s.zalo_bot_token and not s.zalo_webhook_url:
            await self._start_zalo()
        elif "bot" in self.roles and s.zalo_bot_token and not ("feeds" in self.roles or "web" in self.roles):
            log.info("Zalo: ZALO_WEBHOOK_URL is set: Zalo messages are received by the process with the feeds or "
                     "web role (the HTTP server), not by this one")
        if "bot" in self.roles and s.email_inbound_bind:
            await self._start_email_receiver()
        if "feeds" in self.roles or "web" in self.roles:
            # One HTTP server: the calendar feeds, and the web console on the same application (role web).
            from web.feeds import start_feed_server

            extend = ()
            if "web" in self.roles:
                from web.api.app import mount as mount_api
                from web.app import mount

                extend = (mount, mount_api)  # the console at /web, the API for other systems at /api/v1
            if s.zalo_bot_token and s.zalo_webhook_url:
                from web.zalo_webhook import webhook_route

                extend = (*extend, webhook_route(self._zalo_updates(), s))
            self.feed_runner = await start_feed_server(s, self.engine, self.clock, extend)
            if s.zalo_bot_token and s.zalo_webhook_url:
                from web.zalo_webhook import WebhookKeeper

                self.zalo_webhook = WebhookKeeper(self.zalo_updates.channel.client, s)
                self.zalo_webhook.start()  # after the route is served: Zalo may post at once
        if self.scheduler is not None:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            logging.getLogger("apscheduler.scheduler").addFilter(_QuietOverlap())
            logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
            self.aps = AsyncIOScheduler(timezone=timezone.utc)
            # APScheduler paces the tick in wall-clock time (first tick now); what is due is decided on
            # dondoc's clock inside the tick, so a replayed CLOCK_START only changes the latter.
            self.aps.add_job(self._tick, "interval", seconds=s.scheduler_tick_seconds, max_instances=1,
                             coalesce=True, next_run_time=datetime.now(timezone.utc), id="dondoc-tick",
                             misfire_grace_time=None)
            self.aps.start()
        log.info("dondoc running (%s); scheduler tick every %ss; clock now %s", ", ".join(self.roles),
                 s.scheduler_tick_seconds, self.clock.now().astimezone(s.timezone).isoformat(timespec="seconds"))

    def _zalo_updates(self):
        """The handling of Zalo updates, shared by the poller (bot role, no ZALO_WEBHOOK_URL) and the webhook
        route (feeds/web role, with ZALO_WEBHOOK_URL); only one of the two runs in any role combination."""
        if self.zalo_updates is None:
            from bot.handlers.common import Deps
            from bot.zalo_receiver import ZaloUpdates
            from core.workdays import WorkCalendar

            channel = self.channels.get("zalo")
            if channel is None:  # no dispatcher in this process (PostgreSQL, several processes): one for replies
                channel = zalo_channel(self.settings, self.engine)
                self._own_channels.append(channel)
            deps = Deps(settings=self.settings, engine=self.engine, clock=self.clock,
                        calendar=WorkCalendar.from_file(self.settings.holidays_file))
            self.zalo_updates = ZaloUpdates(deps, channel, {**self.channels, "zalo": channel})
        return self.zalo_updates

    async def _start_zalo(self) -> None:
        from bot.zalo_receiver import ZaloReceiver

        updates = self._zalo_updates()
        self.zalo_receiver = ZaloReceiver(None, updates.channel, updates=updates)
        await self.zalo_receiver.start()
        log.info("Zalo: receiving messages by polling")

    async def _start_email_receiver(self) -> None:
        """Replies to reminder e-mails (a file attached = the completion's evidence), in the bot role: like the
        chats' updates, one process receives them."""
        from bot.email_inbound import EmailReceiver
        from bot.handlers.common import Deps
        from core.workdays import WorkCalendar

        channels = dict(self.channels)
        if "email" not in channels:  # no dispatcher in this process: a channel of its own for the answers
            from bot.email import EmailChannel

            channels["email"] = EmailChannel(self.settings, engine=self.engine, clock=self.clock)
            self._own_channels.append(channels["email"])
        if "telegram" not in channels and self.settings.telegram_bot_token:  # the oversight body's notices
            from bot.channels import TelegramChannel

            channels["telegram"] = TelegramChannel(self.settings)
            await channels["telegram"].start()
            self._own_channels.append(channels["telegram"])
        deps = Deps(settings=self.settings, engine=self.engine, clock=self.clock,
                    calendar=WorkCalendar.from_file(self.settings.holidays_file))
        self.email_receiver = EmailReceiver(deps, channels)
        await self.email_receiver.start()

    async def _watch_lock(self, every: float = 15.0) -> None:
        """The receiver lock lives in a database session: if that connection is lost, another process may
        take the lock, so this one stops (exit 1) rather than receive updates alongside it."""
        while True:
            await asyncio.sleep(every)
            if not await asyncio.to_thread(self.receiver_lock.alive):
                log.error("lost the receiver lock (database connection gone); stopping so that a single process "
                          "receives updates — a supervisor restart makes this one compete for it again")
                self.exit_code = 1
                if callable(self.on_fatal):
                    self.on_fatal()
                return

    async def _watch_database(self, every: float = DATABASE_WATCH_SECONDS) -> None:
        """An SQLite file deleted or replaced under the running service is said in the log at once (and by
        /healthz): what this process writes then goes to a file nobody can open again. The process keeps
        running, because while it does the lost file can still be copied out of /proc/PID/fd."""
        while True:
            await asyncio.sleep(every)
            self.check_database_file()

    def check_database_file(self) -> str | None:
        """One look at the SQLite file (the watch's step): its problem, logged once when it appears."""
        from storage.health import DatabaseHealth

        if self._db_health is None:
            self._db_health = DatabaseHealth(self.engine)
        problem = self._db_health.file_problem()
        if problem is not None and problem != self._db_told:
            log.error("%s; dondoc is writing into a file nobody can open again. Stop new work, copy the open "
                      "file out of /proc/%s/fd (ls -l shows it as '(deleted)') or restore the backup, then "
                      "restart", problem, os.getpid())
        self._db_told = problem
        return problem

    async def _tick(self) -> None:
        self._tick_task = asyncio.current_task()
        await self.scheduler.tick()

    async def stop(self, grace: float = 30.0) -> None:
        """Stop claiming, let in-flight sends finish (up to `grace` seconds), release the rest, stop the rest."""
        if self.scheduler is not None:
            self.scheduler.request_stop()
        if self.aps is not None:
            self.aps.shutdown(wait=False)
        t = self._tick_task
        if t is not None and not t.done():
            try:
                await asyncio.wait_for(asyncio.shield(t), grace)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - stopping anyway
                log.warning("the last tick did not finish within %ss; its claims expire after CLAIM_TIMEOUT_SECONDS",
                            grace)
        if self.scheduler is not None:
            await self.scheduler.webhooks.sender.close()  # the webhooks' HTTP client, after the last tick
        if self.bot_app is not None:
            from bot.app import stop_bot

            try:
                await stop_bot(self.bot_app)
            except Exception:  # noqa: BLE001
                log.exception("stopping the bot")
        if self.zalo_receiver is not None:
            await self.zalo_receiver.stop()
        if self.zalo_webhook is not None:
            await self.zalo_webhook.stop()
        if self.email_receiver is not None:
            await self.email_receiver.stop()
        if self.feed_runner is not None:
            await self.feed_runner.cleanup()
        if self.zalo_updates is not None:  # the webhook's queued messages: answered before the channels close
            await self.zalo_updates.drain(grace)
        for ch in [*self.channels.values(), *self._own_channels]:
            try:
                await ch.stop()
            except Exception:  # noqa: BLE001
                log.exception("closing a channel")
        if self._watch_task is not None:
            self._watch_task.cancel()
        if self._db_watch_task is not None:
            self._db_watch_task.cancel()
        if self.receiver_lock is not None:
            await asyncio.to_thread(self.receiver_lock.release)
        log.info("dondoc stopped")


def roles_of(role: str) -> tuple[str, ...]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; accepted: {' | '.join(ROLES)}")
    return ("bot", "dispatcher", "feeds", "web") if role == "all" else (role,)


async def serve(settings, engine, clock, *, roles: Iterable[str] = ("bot", "dispatcher", "feeds"),
                stop: asyncio.Event | None = None, stream: TextIO | None = None) -> Service:
    """Run until `stop` is set (or SIGINT/SIGTERM), then stop cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests) or not supported
            pass
    service = Service(settings, engine, clock, roles=tuple(roles), stream=stream)
    service.on_fatal = stop.set
    try:
        await service.start()
        await stop.wait()
        log.info("stopping: no new claims; finishing the messages in flight")
    finally:
        await service.stop()
        for sig in installed:
            loop.remove_signal_handler(sig)
    return service


def run(settings, engine, clock, role: str = "all") -> int:
    service = asyncio.run(serve(settings, engine, clock, roles=roles_of(role), stream=sys.stdout))
    return service.exit_code
