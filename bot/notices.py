"""Notices after an action, to the chats flows names: a plain id is a Telegram chat, "zalo:…" (any platform
prefix we hold a channel for) that platform's. Said by the Zalo receiver and the e-mail receiver alike."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


async def tell(channels: dict, target: str, text: str, rows, *, after: str) -> None:
    """Send one notice; best effort: what was recorded stays recorded, a send that fails is logged."""
    platform, qualified, rest = target.partition(":")
    if qualified and platform in channels:
        channel, chat_id = channels[platform], rest
    else:
        channel, chat_id = channels.get("telegram"), target
    if channel is None:
        log.warning("no channel to tell %s after %s", target, after)
        return
    try:
        await channel.send(chat_id, text, rows)
    except Exception:  # noqa: BLE001
        log.exception("could not tell %s after %s", target, after)
