"""The ports time needs from the floors above it (cổng): a `Channel` to send through and a `Composer` that says
what a row says. jobs/ defines them; bot/ implements them (Telegram, Zalo, e-mail, console; bot.compose.Composer);
dondoc/ wires one to the other (dondoc.wiring). So the dispatcher never imports a chat platform or a text.

`Channel.send(chat_id, text, buttons)` returns the platform's message id, or raises one of:

- `RetryLater(seconds)` — the platform asked us to slow down (Telegram's 429 with retry_after);
- `TransientDeliveryError` — a 5xx, a timeout, the network: try again later with backoff;
- `ChatGone` — the bot was removed from the group, the user blocked it, the chat does not exist (403);
- `ChatMoved(new_chat_id)` — a Telegram group became a supergroup with a new id;
- `PermanentDeliveryError` — the platform refused this message for good (a 400 other than the above).

The dispatcher persists retries itself (the outbox is the queue), so channels never retry on their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlmodel import Session


class DeliveryError(Exception):
    """A message could not be delivered; the subclass says what to do about it."""


class RetryLater(DeliveryError):
    def __init__(self, seconds: float, detail: str = ""):
        self.seconds = float(seconds)
        super().__init__(detail or f"retry after {seconds:g}s")


class TransientDeliveryError(DeliveryError):
    """Worth trying again later (5xx, timeout, network)."""


class ChatGone(DeliveryError):
    """The chat cannot receive messages from the bot any more (403, chat not found, bot kicked)."""


class ChatMoved(DeliveryError):
    def __init__(self, new_chat_id: str, detail: str = ""):
        self.new_chat_id = str(new_chat_id)
        super().__init__(detail or f"chat moved to {new_chat_id}")


class PermanentDeliveryError(DeliveryError):
    """This message will never be accepted as it is (e.g. 400 Bad Request)."""


# How a channel takes a picture (the quarterly summary's chart): `Channel.pictures` is one of these, or None
# (text only). The dispatcher draws the PNG only for UPLOAD and ATTACH; a LINK channel gets a signed URL and the
# console draws the picture when the platform fetches it.
UPLOAD = "upload"  # `send_photo(chat_id, png, filename=...)` after the text (Telegram)
ATTACH = "attach"  # the PNG in the same message, as the `chart` meta (e-mail)
LINK = "link"  # `send_photo_url(chat_id, url, caption)` after the text; the platform fetches the picture (Zalo)


class Channel(ABC):
    """A chat platform. `platform` is the prefix of the outbox's chat key ("telegram:-100123")."""

    platform: str = "telegram"
    pictures: str | None = None  # UPLOAD, ATTACH, LINK or None: see above

    async def start(self) -> None:
        """Open connections; called once before the first send."""

    async def stop(self) -> None:
        """Close connections."""

    @abstractmethod
    async def send(self, chat_id: str, text: str, buttons=None) -> str:
        """Send `text` with inline `buttons` (rows of bot.buttons.Button) to `chat_id`; return the message id."""


# -- what a row says ------------------------------------------------------------------------------------------

@dataclass
class Composed:
    text: str | None  # None: nothing to say (an empty agenda)
    buttons: list = field(default_factory=list)
    lang: str = "vi"
    items: list = field(default_factory=list)  # the task keys the message covers


class Composer(Protocol):
    """Turns an outbox row into its text and buttons from the database as it is at sending time (bot.compose)."""

    def language(self, binding) -> str:
        """The language a chat (binding or recipient) reads."""

    def describe_chat(self, session: Session, chat: str, lang: str | None = None, bindings=None) -> str:
        """What a chat is linked to, in words (for notices about it)."""

    def snapshot(self, session: Session, task_id: int | None, task_key: str):
        """The task as the planner sees it now (jobs.plan_model.TaskSnapshot), or None if it is gone."""

    def compose(self, session: Session, row, now: datetime, binding=None) -> Composed:
        """The text and buttons of an outbox row, now."""

    def step_title(self, kind: str, step: str, lang: str) -> str:
        """A step's name in words ("nhắc hạn", "báo quá hạn" …), for notices about a failed delivery."""
