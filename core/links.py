"""Links other floors hand out: the task's page in the web console, the webcal:// form of a feed URL, and the
signed link to a report's chart that a chat platform fetches (Zalo takes pictures by URL only).

One function per link, and the console's mount point here, so the chats and the dispatcher make links to the
console without importing it (web/ is the top floor but for the CLI; docs/architecture.md)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import importlib.util
import time
from datetime import date
from typing import NamedTuple
from urllib.parse import quote

CONSOLE_MOUNT = "/web"  # where the console lives on the one HTTP server


@functools.lru_cache(maxsize=1)
def web_console_installed() -> bool:
    return importlib.util.find_spec("web") is not None


def task_page_base(settings) -> str | None:
    """The start of every task page's URL (the key follows), or None when this installation has no console."""
    if not web_console_installed():
        return None
    return f"{settings.feed_base_url.rstrip('/')}{CONSOLE_MOUNT}/tasks/"


def quote_key(task_key: str) -> str:
    # A key's "/" stays a path separator: the console's route takes the rest of the path as the key.
    return quote(task_key, safe="/")


def task_page_url(settings, task_key: str) -> str | None:
    """The task's page in the web console, served by the same HTTP server under FEED_BASE_URL; None when this
    installation has no console (then events carry no URL)."""
    base = task_page_base(settings)
    return None if base is None else base + quote_key(task_key)


def webcal_url(url: str) -> str:
    """The `webcal://` form of an http(s) feed URL: a click opens the calendar app's subscribe dialog."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme):]
    return url


# -- links for chats that cannot carry files (Zalo) ---------------------------------------------------------

CHART_LINK_HOURS = 24  # how long a chart link works: the chat platform fetches the picture when it is sent


def reports_page_url(settings, period_code: str) -> str:
    """The console's Reports page for a period (sign-in needed): where the XLSX is downloaded."""
    return f"{settings.feed_base_url.rstrip('/')}{CONSOLE_MOUNT}/reports?period={quote(period_code)}"


def _chart_key(settings) -> bytes:
    return hashlib.sha256(b"dondoc-report-chart:" + settings.secret_for_callbacks()).digest()


def _chart_sig(settings, body: str) -> str:
    digest = hmac.new(_chart_key(settings), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class ChartLink(NamedTuple):
    """What a valid chart token names: the period, the language, and the day the figures are as of (None in
    links made before tokens carried it: then the day the picture is fetched)."""

    period_code: str
    lang: str
    as_of: date | None


def chart_token(settings, period_code: str, lang: str, *, as_of: date | None = None, now: float | None = None,
                hours: int = CHART_LINK_HOURS) -> str:
    """A signed, expiring name for the chart of the whole report of a period (every agency: only made for
    chats that may see every agency's figures). Nothing is stored; the signature is the permission.

    `as_of`: the day the figures are counted as of, so the picture is the one the message was sent with
    even when the platform fetches it the next day (or the console's clock disagrees with the sender's)."""
    expires = int((now if now is not None else time.time()) + hours * 3600)
    fields = [period_code, lang] + ([as_of.isoformat()] if as_of is not None else []) + [str(expires)]
    body = "~".join(fields)
    return f"{body}~{_chart_sig(settings, body)}"


def read_chart_token(settings, token: str, *, now: float | None = None) -> ChartLink | None:
    """What a valid, unexpired chart token names; None if forged, garbled or old."""
    parts = (token or "").split("~")
    if (len(parts) not in (4, 5) or not parts[-2].isascii() or not parts[-2].isdigit() or len(parts[-2]) > 12
            or not parts[-1].isascii()):  # compare_digest takes ASCII text only
        return None
    body = "~".join(parts[:-1])
    if not hmac.compare_digest(_chart_sig(settings, body), parts[-1]):
        return None
    if int(parts[-2]) < (now if now is not None else time.time()):
        return None
    as_of = None
    if len(parts) == 5:
        try:
            as_of = date.fromisoformat(parts[2])
        except ValueError:
            return None
    return ChartLink(parts[0], parts[1], as_of)


def chart_url(settings, period_code: str, lang: str, *, as_of: date | None = None, now: float | None = None) -> str:
    token = chart_token(settings, period_code, lang, as_of=as_of, now=now)
    return f"{settings.feed_base_url.rstrip('/')}{CONSOLE_MOUNT}/reports/chart/{quote(token, safe='~')}.png"
