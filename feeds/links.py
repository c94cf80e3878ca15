"""Links a calendar gives: the task's page in the web console, and the webcal:// form of a feed URL.

One function per link, so the console (web/) can move its pages without touching the feeds."""

from __future__ import annotations

import functools
import importlib.util
from urllib.parse import quote


@functools.lru_cache(maxsize=1)
def web_console_installed() -> bool:
    return importlib.util.find_spec("web") is not None


def task_page_base(settings) -> str | None:
    """The start of every task page's URL (the key follows), or None when this installation has no console."""
    if not web_console_installed():
        return None
    from web.app import MOUNT

    return f"{settings.feed_base_url.rstrip('/')}{MOUNT}/tasks/"


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
