"""Buttons under reminders, and the signed payloads they carry (nút bấm).

A button's callback data travels through the chat platform and comes back when someone presses it, so it
is untrusted input. Every payload is HMAC-signed with `Settings.secret_for_callbacks()` and carries the
task's `sequence` at the time the message was made: a press on a message whose task has changed since
(or a second press of the same button, since every action bumps the sequence) is recognised as stale.
Telegram allows 64 bytes of callback data; a payload looks like

    d.1f.20190331.3..Q2xr7v0pS9kX1c3A
    │ │  │        │ │ └ HMAC-SHA256, first 12 bytes, base64url (16 characters)
    │ │  │        │ └ argument (a percent, an extension id, a page), may be empty
    │ │  │        └ task sequence (base 36)
    │ │  └ occurrence key: "o" once, "c" continuous, yyyymmdd for a recurring period, "-" none
    │ └ task id (base 36)
    └ action
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from core.i18n import N_, _, format_date, format_number

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data

# Actions (short codes: they travel in every payload).
DONE = "d"  # ✅ Hoàn thành
PROGRESS_MENU = "pm"  # 📈 Tiến độ → shows the percent buttons
PROGRESS = "p"  # a percent button; arg = percent
BACK = "b"  # from the percent buttons back to the task buttons
EXTEND = "x"  # ⏳ Xin gia hạn → asks for date and reason
ACK = "a"  # 👀 Đã nhận
CONFIRM_DONE = "cy"  # oversight: confirm a completion (xác nhận hoàn thành)
REJECT_DONE = "cn"  # oversight: send a completion back
APPROVE_EXTENSION = "ey"  # oversight: approve an extension; arg = extension id
REJECT_EXTENSION = "en"  # oversight: reject an extension; arg = extension id
PAGE = "pg"  # /tasks, /upcoming, /overdue pagination; arg = list kind + page, e.g. "t2", "u3:14"
FEED = "f"  # "send the calendar link here" after the warning /feed gives in a group
HAND = "g"  # 🧑‍💼 Giao việc → the agency's people and departments as buttons (issue 24)
HAND_TO = "gt"  # one of them picked; arg = "p<id>" (a person) or "d<id>" (a department), base 36
HAND_DUE = "gd"  # the internal deadline picked; arg = "<p|d><id>:<yyyymmdd>"
HAND_ACTIONS = frozenset({HAND, HAND_TO, HAND_DUE})

ACTIONS = frozenset({DONE, PROGRESS_MENU, PROGRESS, BACK, EXTEND, ACK, CONFIRM_DONE, REJECT_DONE,
                     APPROVE_EXTENSION, REJECT_EXTENSION, PAGE, FEED, HAND, HAND_TO, HAND_DUE})
PROGRESS_STEPS = (25, 50, 75)

# What each button says (translated when the keyboard is made, in the chat's language).
LABELS = {
    DONE: N_("✅ Done"),  # ✅ Hoàn thành
    PROGRESS_MENU: N_("📈 Progress"),
    EXTEND: N_("⏳ Ask for more time"),  # ⏳ Xin gia hạn
    ACK: N_("👀 Got it"),  # 👀 Đã nhận
    BACK: N_("« Back"),
    CONFIRM_DONE: N_("✔️ Confirm completion"),
    REJECT_DONE: N_("↩️ Reject, send back"),
    APPROVE_EXTENSION: N_("✔️ Approve extension"),
    REJECT_EXTENSION: N_("✖️ Reject"),
    HAND: N_("🧑‍💼 Hand on"),  # 🧑‍💼 Giao việc
    "prev": N_("◀ Previous"),
    "next": N_("Next ▶"),
}


class InvalidPayload(ValueError):
    """Callback data that was not made by this bot (forged, garbled, or signed with another secret)."""


@dataclass(frozen=True)
class Button:
    """One inline button: what it says and the (signed) data it sends back when pressed."""

    label: str
    data: str


@dataclass(frozen=True)
class Payload:
    """What a button press asks for, once its signature is verified."""

    action: str
    task_id: int = 0
    occurrence_key: str = ""
    sequence: int = 0
    arg: str = ""


# -- encoding ---------------------------------------------------------------------------------------------

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_ARG_RE = re.compile(r"[A-Za-z0-9:_-]*")
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _b36(n: int) -> str:
    if n < 0:
        raise ValueError("negative numbers cannot be encoded")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if n == 0:
            return out


def _from_b36(s: str) -> int:
    if not s or any(c not in _B36 for c in s):
        raise InvalidPayload("not a base-36 number")
    return int(s, 36)


def _compact_occurrence(key: str) -> str:
    if key == "":
        return "-"
    if key == "once":
        return "o"
    if key == "continuous":
        return "c"
    if _ISO_RE.fullmatch(key):
        date.fromisoformat(key)  # rejects 2019-02-30
        return key.replace("-", "")
    raise ValueError(f"occurrence key {key!r} cannot be put in a button")


def _expand_occurrence(s: str) -> str:
    if s == "-":
        return ""
    if s == "o":
        return "once"
    if s == "c":
        return "continuous"
    if len(s) == 8 and s.isdigit():
        iso = f"{s[:4]}-{s[4:6]}-{s[6:]}"
        try:
            date.fromisoformat(iso)
        except ValueError:
            raise InvalidPayload("not a date") from None
        return iso
    raise InvalidPayload("unknown occurrence")


def _signature(body: str, secret: bytes) -> str:
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign_payload(payload: Payload, secret: bytes) -> str:
    """The callback data for `payload`: compact, signed, at most 64 bytes (ValueError if it cannot fit)."""
    if payload.action not in ACTIONS:
        raise ValueError(f"unknown button action {payload.action!r}")
    if not _ARG_RE.fullmatch(payload.arg):
        raise ValueError(f"button argument {payload.arg!r} may only hold letters, digits, ':', '_' and '-'")
    body = ".".join((payload.action, _b36(payload.task_id), _compact_occurrence(payload.occurrence_key),
                     _b36(payload.sequence), payload.arg))
    data = body + "." + _signature(body, secret)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"button payload is {len(data.encode())} bytes; Telegram allows {MAX_CALLBACK_BYTES}")
    return data


def verify_payload(data: str | None, secret: bytes) -> Payload:
    """Read callback data made by `sign_payload`; raises InvalidPayload for anything else."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise InvalidPayload("empty or too long")
    parts = data.split(".")
    if len(parts) != 6:
        raise InvalidPayload("wrong shape")
    body, sig = data.rsplit(".", 1)
    if not hmac.compare_digest(sig.encode(), _signature(body, secret).encode()):
        raise InvalidPayload("bad signature")
    action, tid, occ, seq, arg = parts[:5]
    if action not in ACTIONS:
        raise InvalidPayload("unknown action")
    return Payload(action=action, task_id=_from_b36(tid), occurrence_key=_expand_occurrence(occ),
                   sequence=_from_b36(seq), arg=arg)


# -- keyboards --------------------------------------------------------------------------------------------

def label(action: str, lang: str | None = None) -> str:
    return _(LABELS[action], lang=lang)


def _button(action: str, task, occurrence_key: str, lang: str, secret: bytes, arg: str = "",
            text: str | None = None) -> Button:
    payload = Payload(action, task.id, occurrence_key, task.sequence, arg)
    return Button(text or label(action, lang), sign_payload(payload, secret))


def task_buttons(task, occurrence_key: str, lang: str, secret: bytes, *, state: str = "open",
                 hand_on: bool = False) -> list[list[Button]]:
    """✅ Hoàn thành · 📈 Tiến độ / ⏳ Xin gia hạn · 👀 Đã nhận — under every reminder and escalation; and
    🧑‍💼 Giao việc when `hand_on` (the lead agency has people or departments to hand the task to).

    Only the buttons that make sense: none once the occurrence is done or awaiting confirmation (`state`,
    the stored occurrence status), and no ⏳ on a continuous task ("Thường xuyên"), which has no deadline
    to extend."""
    if state != "open":
        return []
    second = [_button(ACK, task, occurrence_key, lang, secret)]
    if not _continuous(task, occurrence_key):
        second.insert(0, _button(EXTEND, task, occurrence_key, lang, secret))
    rows = [
        [_button(DONE, task, occurrence_key, lang, secret), _button(PROGRESS_MENU, task, occurrence_key, lang, secret)],
        second,
    ]
    if hand_on:
        rows.append([_button(HAND, task, occurrence_key, lang, secret)])
    return rows


def hand_target_buttons(task, occurrence_key: str, lang: str, secret: bytes,
                        targets: list[tuple[str, str]]) -> list[list[Button]]:
    """One button per person or department the task can be handed to ((arg, label), arg "p<id>"/"d<id>"),
    two a row, then « Quay lại."""
    buttons = [_button(HAND_TO, task, occurrence_key, lang, secret, arg=arg, text=text) for arg, text in targets]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)] + [[_button(BACK, task, occurrence_key, lang, secret)]]


def hand_due_buttons(task, occurrence_key: str, lang: str, secret: bytes, target: str,
                     dues: list[date]) -> list[list[Button]]:
    """The internal deadline to hand the task on with (the agency's by default), then « Quay lại."""
    return [[_button(HAND_DUE, task, occurrence_key, lang, secret, arg=f"{target}:{d:%Y%m%d}",
                     text="📅 " + format_date(d, lang)) for d in dues],
            [_button(BACK, task, occurrence_key, lang, secret)]]


def target_ref(kind: str, ident: int) -> str:
    """The arg naming a person ("p") or department ("d") in a hand-on button."""
    return kind + _b36(ident)


def read_target(arg: str) -> tuple[str, int, date | None]:
    """(kind, id, due or None) from a HAND_TO / HAND_DUE argument; InvalidPayload for anything else."""
    ref, _sep, day = arg.partition(":")
    if len(ref) < 2 or ref[0] not in "pd":
        raise InvalidPayload("not a hand-on target")
    due = None
    if day:
        if len(day) != 8 or not day.isdigit():
            raise InvalidPayload("not a date")
        try:
            due = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            raise InvalidPayload("not a date") from None
    return ref[0], _from_b36(ref[1:]), due


def _continuous(task, occurrence_key: str) -> bool:
    return occurrence_key == "continuous" or getattr(task, "deadline_kind", None) == "continuous"


def progress_buttons(task, occurrence_key: str, lang: str, secret: bytes) -> list[list[Button]]:
    """25 % · 50 % · 75 % / « Quay lại — shown in place of the task buttons after 📈 Tiến độ."""
    return [
        [_button(PROGRESS, task, occurrence_key, lang, secret, arg=str(p), text=f"{format_number(p, lang)} %") for p in PROGRESS_STEPS],
        [_button(BACK, task, occurrence_key, lang, secret)],
    ]


def confirmation_buttons(task, occurrence_key: str, lang: str, secret: bytes) -> list[list[Button]]:
    """For oversight chats: confirm or send back a completion awaiting confirmation (chờ xác nhận)."""
    return [[_button(CONFIRM_DONE, task, occurrence_key, lang, secret),
             _button(REJECT_DONE, task, occurrence_key, lang, secret)]]


def extension_buttons(task, extension, lang: str, secret: bytes) -> list[list[Button]]:
    """For oversight chats: approve or reject an extension request (đề nghị gia hạn)."""
    arg = _b36(extension.id)
    return [[_button(APPROVE_EXTENSION, task, extension.occurrence_key, lang, secret, arg=arg),
             _button(REJECT_EXTENSION, task, extension.occurrence_key, lang, secret, arg=arg)]]


def extension_id(payload: Payload) -> int:
    """The extension id carried by an Approve / Reject payload."""
    return _from_b36(payload.arg)


def page_buttons(kind: str, page: int, pages: int, lang: str, secret: bytes, extra: str = "") -> list[list[Button]]:
    """◀ Trước · Sau ▶ for a paginated list; `kind` is one letter naming the list, `extra` its
    parameter (e.g. the number of days of /upcoming). Empty when everything fits on one page."""
    if pages <= 1:
        return []
    row = []
    for target, key in ((page - 1, "prev"), (page + 1, "next")):
        if 0 <= target < pages:
            arg = f"{kind}{target}" + (f":{extra}" if extra else "")
            row.append(Button(label(key, lang), sign_payload(Payload(PAGE, arg=arg), secret)))
    return [row]
