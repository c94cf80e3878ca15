"""No secrets in logs at any level (che thông tin bí mật trong nhật ký).

With LOG_LEVEL=debug, python-telegram-bot logs every Bot API URL (the bot token is in it) and every
request's parameters (a reply carrying a feed URL), updates carry `/link CODE`, the webhook listener and
the feed server see secrets in headers and paths. `install(settings)` makes every log record — of every
logger: dondoc's, `telegram.*`, `httpx`, `aiohttp.access`, `apscheduler`, `sqlalchemy` — redacted when it
is created, before any handler or formatter sees it (a record factory, so a handler added later, such as
a test's, is covered too). Redacted:

- the literal secrets of the settings: TELEGRAM_BOT_TOKEN, WEBHOOK_SECRET, CALLBACK_SECRET, ZALO_BOT_TOKEN,
  ZALO_WEBHOOK_SECRET,
  SMTP_PASSWORD, the password in DATABASE_URL;
- by shape, whatever the value: a Telegram bot token (`123456789:AA…`), a password in any URL
  (`scheme://user:***@host`), feed tokens (`/feeds/***.ics`), signed chart links (`/reports/chart/***`),
  invite codes after `/link` or `/start`,
  sign-in and other secret links (`/signin/…`, `?token=…`, `?code=…`, `?start=…`, …).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Iterable

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    # a Telegram bot token: the bot's numeric id, a colon, 30+ URL-safe characters
    (re.compile(r"(?<![0-9])\d{5,12}:[A-Za-z0-9_-]{30,}"), "<bot-token>"),  # also in .../bot123:AA…/getMe
    # a password in a URL: postgresql+psycopg://user:PASSWORD@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@", re.I), r"\1" + MASK + "@"),
    # feed URLs: /feeds/<token>.ics, /feeds/<token>.todo.ics
    (re.compile(r"(/feeds/)[A-Za-z0-9_-]{8,}"), r"\1" + MASK),
    # signed links to a report's chart (Zalo fetches them): /web/reports/chart/<period~lang~expiry~signature>.png
    (re.compile(r"(/reports/chart/)[A-Za-z0-9_.~%-]{8,}"), r"\1" + MASK),
    # invite codes typed in a chat (/link CODE, /start CODE, /start@bot CODE)
    (re.compile(r"(/(?:link|start)(?:@\w+)?(?:\s|\\n|%20)+)[A-Za-z0-9_-]{6,}"), r"\1" + MASK),
    # sign-in and other one-time links
    (re.compile(r"(/(?:sign-?in|login|auth|magic|invite|i)/)[A-Za-z0-9_.~-]{8,}", re.I), r"\1" + MASK),
    (re.compile(r"([?&](?:t|token|code|key|secret|signature|sig|start|startgroup|password|passwd)=)[^&\s\"'<>]+",
                re.I), r"\1" + MASK),
    # a secret in a header or a dict as python-telegram-bot and aiohttp print them
    (re.compile(r"((?:secret_token|X-Telegram-Bot-Api-Secret-Token|X-Bot-Api-Secret-Token|password)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.I),
     r"\1" + MASK),
)


class Redactor:
    """The secrets to hide: literal values (longest first) and the shapes above."""

    def __init__(self) -> None:
        self._literals: list[str] = []
        self._lock = threading.Lock()

    def add(self, values: Iterable[str | None]) -> None:
        with self._lock:
            found = {v for v in values if v and len(v) >= 4} | set(self._literals)
            self._literals = sorted(found, key=len, reverse=True)

    def clear(self) -> None:
        with self._lock:
            self._literals = []

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for value in self._literals:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text


REDACTOR = Redactor()
_installed: dict[str, object] = {}


def secrets_of(settings) -> list[str]:
    """The literal secrets in the settings."""
    out = [settings.telegram_bot_token, settings.webhook_secret, settings.callback_secret,
           getattr(settings, "zalo_bot_token", None), getattr(settings, "zalo_webhook_secret", None),
           getattr(settings, "smtp_password", None)]
    try:
        from sqlalchemy.engine import make_url

        out.append(make_url(settings.database_url).password)
    except Exception:  # noqa: BLE001 - an unparsable URL: the URL pattern still hides a password in it
        pass
    return [str(v) for v in out if v]


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the record's message (and traceback) now, redacted; later formatting sees only that."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string: let logging report it as usual
        return record
    record.msg, record.args = REDACTOR(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = REDACTOR(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = REDACTOR(record.exc_text)
    if record.stack_info:
        record.stack_info = REDACTOR(record.stack_info)
    return record


def install(settings=None, extra: Iterable[str] = ()) -> None:
    """Redact every log record from now on (idempotent); `settings` and `extra` add literal secrets."""
    REDACTOR.add([*(secrets_of(settings) if settings is not None else []), *extra])
    if "factory" in _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    _installed["factory"], _installed["previous"] = factory, previous
    logging.setLogRecordFactory(factory)


def uninstall() -> None:
    """Back to plain records (tests)."""
    if "factory" in _installed and logging.getLogRecordFactory() is _installed["factory"]:
        logging.setLogRecordFactory(_installed["previous"])  # type: ignore[arg-type]
    _installed.clear()
    REDACTOR.clear()
