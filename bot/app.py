"""The Telegram application: python-telegram-bot's `Application` with dondoc's handlers.

    app = build_application(settings, engine, clock)
    await start_bot(app, settings)      # initialize, commands menu, start, then polling or webhook
    ...
    await stop_bot(app)

Polling by default. With WEBHOOK_URL set, Telegram POSTs updates to a listener on WEBHOOK_LISTEN (behind the
HTTPS proxy that WEBHOOK_URL points at); every request must carry WEBHOOK_SECRET in the
`X-Telegram-Bot-Api-Secret-Token` header, which python-telegram-bot's webhook server checks (403 otherwise).
TELEGRAM_BASE_URL points the bot at a local Bot API server (or, in tests, a fake one on 127.0.0.1).
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.handlers import register
from bot.handlers.common import Deps
from bot.texts import COMMANDS, t
from bot.updates import PerChatUpdateProcessor
from core.i18n import N_, _, available_languages
from core.settings import Settings
from jobs.flood import group_limit

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# Commands in the menu besides those /help lists for a linked chat.
MENU_EXTRA = [("link", N_("Link this chat with an invite code: /link CODE"))]


def file_base_url(base_url: str) -> str:
    """The file-download base for a Bot API base URL (…/bot → …/file/bot)."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url.rstrip("/") + "/file/bot"


def build_application(settings: Settings, engine, clock, calendar=None) -> Application:
    """The bot with every command and button handler registered. `calendar` (a core.workdays.WorkCalendar)
    defaults to the one HOLIDAYS_FILE describes."""
    if not settings.telegram_bot_token:
        raise ValueError(_("TELEGRAM_BOT_TOKEN is not set: the Telegram bot cannot start without it"))
    if calendar is None:
        from core.workdays import WorkCalendar

        calendar = WorkCalendar.from_file(settings.holidays_file)
    group = group_limit(settings.rate_group_per_minute)
    limiter = AIORateLimiter(
        overall_max_rate=settings.rate_overall_per_second, overall_time_period=1,
        # jobs.flood.group_limit: burst and rate share the rolling minute (never more than RATE_GROUP_PER_MINUTE).
        group_max_rate=group.burst, group_time_period=group.burst * group.interval,
        max_retries=0,  # a 429 reaches the caller: the dispatcher records it and retries on its own schedule
    )
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_base_url(settings.telegram_base_url))
        .rate_limiter(limiter)
        .concurrent_updates(PerChatUpdateProcessor())  # one chat's flood limit never delays another chat
        .build()
    )
    app.bot_data["dondoc"] = Deps(settings=settings, engine=engine, clock=clock, calendar=calendar)
    register(app)
    app.add_error_handler(_on_error)
    return app


def bot_commands(lang: str) -> list[BotCommand]:
    from bot.handlers.linking import language_choices

    items = [(name, text) for name, text, _roles in COMMANDS] + MENU_EXTRA
    return [BotCommand(name, _(text, lang=lang, choices=language_choices())) for name, text in items]


async def configure_bot(app: Application, settings: Settings) -> None:
    """The command menu — in every language with a catalog, the default in LANGUAGE — and the webhook (set when
    WEBHOOK_URL is set, removed otherwise so polling works). Call after `app.initialize()`."""
    bot = app.bot
    await bot.set_my_commands(bot_commands(settings.language))
    for lang in available_languages():
        await bot.set_my_commands(bot_commands(lang), language_code=lang)
    if settings.webhook_url:
        _require_secret(settings)
        await bot.set_webhook(url=settings.webhook_url, secret_token=settings.webhook_secret,
                              allowed_updates=ALLOWED_UPDATES)
    else:
        await bot.delete_webhook()


def webhook_listen(settings: Settings) -> tuple[str, int, str]:
    """(host, port, url path) the webhook listener serves: WEBHOOK_LISTEN and the path of WEBHOOK_URL."""
    host, _, port = settings.webhook_listen.rpartition(":")
    path = urlparse(settings.webhook_url or "").path.strip("/")
    return host.strip("[]"), int(port), path


WEBHOOK_RUNNER = "dondoc_webhook_runner"
WEBHOOK_MAX_BYTES = 1 << 20  # an update is a few kilobytes; Telegram's largest are well under this


async def start_webhook_listener(app: Application, host: str, port: int, path: str, secret: str):
    """POST /<path> with X-Telegram-Bot-Api-Secret-Token: the update goes to the application's queue.
    A wrong or missing secret → 403 (compared in constant time); a body that is not an update → 400."""
    import hmac

    from aiohttp import web

    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), app.bot)
        except Exception:  # noqa: BLE001 - anything unreadable is the sender's problem
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await app.update_queue.put(update)
        return web.Response(status=200)

    web_app = web.Application(client_max_size=WEBHOOK_MAX_BYTES)
    web_app.router.add_post("/" + path, receive)
    runner = web.AppRunner(web_app, access_log=None)  # the access log would add nothing but noise
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def _require_secret(settings: Settings) -> None:
    if not settings.webhook_secret:
        raise ValueError(_("WEBHOOK_SECRET must be set with WEBHOOK_URL: without it anyone who finds the URL could "
                           "post fake updates (accepted: 1-256 characters A-Z, a-z, 0-9, _ and -)"))


async def start_receiving(app: Application, settings: Settings, **polling) -> None:
    """Start getting updates: the webhook listener when WEBHOOK_URL is set, else long polling
    (`polling` is passed to `Updater.start_polling`, e.g. poll_interval, timeout)."""
    if settings.webhook_url:
        _require_secret(settings)
        host, port, path = webhook_listen(settings)
        # Our own small aiohttp listener rather than Updater.start_webhook: python-telegram-bot compares the
        # secret header with `!=`; this one uses hmac.compare_digest (constant time).
        app.bot_data[WEBHOOK_RUNNER] = await start_webhook_listener(app, host, port, path, settings.webhook_secret)
        log.info("Telegram webhook listening on %s:%s/%s", host, port, path)
    else:
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, **polling)
        log.info("Telegram polling started")


async def start_bot(app: Application, settings: Settings, **polling) -> None:
    """initialize → command menu and webhook → start handlers → receive updates."""
    await app.initialize()
    await configure_bot(app, settings)
    await app.start()
    await start_receiving(app, settings, **polling)


async def stop_bot(app: Application) -> None:
    """Stop receiving, let running handlers finish, close the HTTP client."""
    runner = app.bot_data.pop(WEBHOOK_RUNNER, None)
    if runner is not None:
        await runner.cleanup()
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    deps: Deps = context.application.bot_data["dondoc"]
    from bot.handlers.common import resolve_lang

    lang = resolve_lang([], update.effective_user, deps.settings)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "internal_error")[:200], show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, t(lang, "internal_error"))
    except Exception:  # noqa: BLE001 — the error handler must not raise
        log.debug("could not tell the chat about the error", exc_info=True)
