"""What every handler needs: the app's dependencies, who is asking from which chat (bindings, role,
language, admin), authorisation, task lookup with suggestions, input parsing and replies that respect
Telegram's 4,096-character limit."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.buttons import Button
from bot.i18n import fmt_date, role_label
from bot.texts import shorten, split_message, t
from dondoc.clock import Clock, local_today
from dondoc.settings import Settings
from storage.actions import Actor
from storage.tables import Agency, ChatBinding, Task

PLATFORM = "telegram"
FOCAL_ROLES = ("focal", "manager")  # chats that act for their agency's own tasks
OVERSEEING_ROLES = ("oversight", "leadership")  # chats that see every agency


@dataclass
class Deps:
    """What the handlers need, kept in `application.bot_data["dondoc"]`."""

    settings: Settings
    engine: Engine
    clock: Clock
    calendar: object  # jobs.workdays.WorkCalendar

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return local_today(self.clock, self.settings.timezone)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.application.bot_data["dondoc"]


def actor_of(user: User | None) -> Actor:
    if user is None:
        return Actor("telegram", None, PLATFORM)
    return Actor(user.full_name or str(user.id), str(user.id), PLATFORM)


def resolve_lang(bindings: Sequence[ChatBinding], user: User | None, settings: Settings) -> str:
    """The chat's /lang, else English for a user whose Telegram is in English, else LANGUAGE."""
    for b in bindings:
        if b.language in ("vi", "en"):
            return b.language
    if user is not None and (user.language_code or "").lower().startswith("en"):
        return "en"
    return settings.language


@dataclass
class ChatScope:
    """Who is asking, from where, and what that chat may see and do."""

    chat_id: str
    chat_type: str
    title: str | None
    bindings: list[ChatBinding]
    user: User | None
    is_admin: bool
    lang: str
    actor: Actor
    names: dict[str, str] = field(default_factory=dict)
    platform: str = PLATFORM  # where the chat lives: "telegram", "zalo"

    @property
    def linked(self) -> bool:
        return bool(self.bindings)

    @property
    def roles(self) -> set[str]:
        return {b.role for b in self.bindings}

    @property
    def own_agencies(self) -> list[str]:
        """Agencies this chat acts for (focal and manager bindings), in binding order."""
        out: list[str] = []
        for b in self.bindings:
            if b.role in FOCAL_ROLES and b.agency not in out:
                out.append(b.agency)
        return out

    @property
    def sees_all(self) -> bool:
        return bool(self.roles & set(OVERSEEING_ROLES)) or (self.is_admin and not self.linked)

    @property
    def can_oversee(self) -> bool:
        return self.is_admin or "oversight" in self.roles

    def list_agencies(self) -> list[str] | None:
        """None = every agency; else the agencies whose tasks the lists show."""
        return None if self.sees_all else self.own_agencies

    def can_see(self, task: Task) -> bool:
        if self.is_admin or self.sees_all:
            return True
        involved = {task.lead_agency, *(task.coordinators or [])}
        return any(a in involved for a in self.own_agencies)

    def refusal_to_act(self, task: Task) -> str | None:
        """Why this chat may not update `task` (progress, done, extension, acknowledge), or None if it may."""
        if self.is_admin:
            return None
        if not self.linked:
            return t(self.lang, "unlinked")
        if task.lead_agency in self.own_agencies:
            return None
        if self.own_agencies:
            return t(self.lang, "only_lead", lead=self.name(task.lead_agency), key=task.key, scope=self.scope_label())
        return t(self.lang, "role_cannot_act", role=" / ".join(role_label(r, self.lang) for r in sorted(self.roles)))

    def refusal_to_oversee(self) -> str | None:
        if self.can_oversee:
            return None
        if not self.linked:
            return t(self.lang, "unlinked")
        return t(self.lang, "only_oversight")

    def know(self, session: Session, task: Task) -> None:
        """Load the display names of the agencies a task involves (for texts about it)."""
        missing = {task.lead_agency, *(task.coordinators or [])} - set(self.names)
        if missing:
            self.names.update(agency_names(session, missing))

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def scope_label(self) -> str:
        if self.sees_all:
            return t(self.lang, "all_agencies")
        return ", ".join(self.name(a) for a in self.own_agencies)

    def binding_lines(self) -> list[str]:
        return [f"• {self.name(b.agency)} — {role_label(b.role, self.lang)}" for b in self.bindings]


def agency_names(session: Session, codes: set[str] | None = None) -> dict[str, str]:
    """Display names of agencies (the directory's, as synced into the Agency table); unknown codes map to themselves."""
    q = select(Agency.code, Agency.name)
    if codes is not None:
        if not codes:
            return {}
        q = q.where(Agency.code.in_(sorted(codes)))  # type: ignore[attr-defined]
    return {code: name for code, name in session.exec(q)}


def active_bindings(session: Session, chat_id: str, platform: str = PLATFORM) -> list[ChatBinding]:
    return list(session.exec(select(ChatBinding).where(
        ChatBinding.platform == platform, ChatBinding.chat_id == chat_id, ChatBinding.active == True  # noqa: E712
    ).order_by(ChatBinding.id)))


def load_scope(session: Session, update: Update, d: Deps) -> ChatScope:
    chat = update.effective_chat
    user = update.effective_user
    chat_id = str(chat.id) if chat else ""
    bindings = active_bindings(session, chat_id) if chat_id else []
    scope = ChatScope(
        chat_id=chat_id, chat_type=chat.type if chat else "private", title=(chat.title if chat else None),
        bindings=bindings, user=user, is_admin=bool(user and user.id in d.settings.admin_user_ids),
        lang=resolve_lang(bindings, user, d.settings), actor=actor_of(user),
    )
    scope.names = agency_names(session, {b.agency for b in bindings})
    return scope


# -- tasks ------------------------------------------------------------------------------------------------

def find_task(session: Session, scope: ChatScope, key: str) -> tuple[Task | None, str | None]:
    """(task, None) or (None, what to say): an unknown key gets the closest keys this chat may see."""
    key = key.strip()
    task = session.exec(select(Task).where(Task.key == key, Task.removed_at.is_(None))).first()  # type: ignore[union-attr]
    if task is None:
        folded = session.exec(select(Task).where(Task.removed_at.is_(None),  # type: ignore[union-attr]
                                                 Task.key.ilike(key.replace("%", r"\%").replace("_", r"\_"),  # type: ignore[attr-defined]
                                                                escape="\\"))).all()
        if len(folded) == 1:
            task = folded[0]
    if task is None:
        candidates = _visible_keys(session, scope)
        close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
        if not close:
            low = {c.lower(): c for c in candidates}
            close = [low[c] for c in difflib.get_close_matches(key.lower(), list(low), n=3, cutoff=0.6)]
        if close:
            return None, t(scope.lang, "unknown_task_suggest", key=key, suggestions=", ".join(close))
        return None, t(scope.lang, "unknown_task", key=key)
    if not scope.can_see(task):
        return None, t(scope.lang, "not_in_scope", key=task.key, scope=scope.scope_label())
    scope.know(session, task)
    return task, None


def _visible_keys(session: Session, scope: ChatScope) -> list[str]:
    q = select(Task.key, Task.lead_agency, Task.coordinators).where(Task.removed_at.is_(None))  # type: ignore[union-attr]
    agencies = None if (scope.sees_all or scope.is_admin) else set(scope.own_agencies)
    out = []
    for key, lead, coordinators in session.exec(q):
        if agencies is None or lead in agencies or agencies & set(coordinators or []):
            out.append(key)
    return out


def example_key(session: Session, scope: ChatScope) -> str:
    keys = _visible_keys(session, scope)
    return keys[0] if keys else "5099-1"


# -- input ------------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date(text: str) -> date:
    """dd/mm/yyyy (also d/m/yyyy, and . or - as separators); ValueError otherwise."""
    m = _DATE_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(text)
    day, month, year = (int(g) for g in m.groups())
    return date(year, month, day)  # ValueError for 31/02/2019


def parse_percent(text: str) -> int:
    s = text.strip().rstrip("%").strip()
    if not s.isdigit() or not 0 <= int(s) <= 100:
        raise ValueError(text)
    return int(s)


def command_args(update: Update) -> tuple[list[str], str]:
    """(words after the command, the raw text after the command) — the raw text keeps a note's spacing."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    parts = text.split(maxsplit=1)
    rest = parts[1] if len(parts) > 1 else ""
    return rest.split(), rest


def rest_after(raw: str, n_words: int) -> str:
    """The raw text after its first `n_words` words (a note or a reason)."""
    parts = raw.strip().split(maxsplit=n_words)
    return parts[n_words].strip() if len(parts) > n_words else ""


# -- output -----------------------------------------------------------------------------------------------

def keyboard(rows: list[list[Button]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows])


async def refuse_unlinked(update: Update, scope: ChatScope) -> bool:
    """An unlinked chat (unless an administrator is asking) hears how to get linked and nothing about any
    task; True when it was refused."""
    if scope.linked or scope.is_admin:
        return False
    await reply(update, t(scope.lang, "unlinked"))
    return True


async def reply(update: Update, text: str, buttons: list[list[Button]] | None = None, **kwargs) -> list[Message]:
    """Send `text` to the chat the update came from, in as many messages as Telegram's limit needs;
    buttons go under the last one."""
    message = update.effective_message
    pieces = split_message(text)
    sent = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        sent.append(await message.get_bot().send_message(
            chat_id=message.chat_id, text=piece, reply_markup=keyboard(buttons) if last else None,
            **(kwargs if last else {})))
    return sent


async def send(bot, chat_id: str | int, text: str, buttons: list[list[Button]] | None = None) -> list[Message]:
    pieces = split_message(text)
    return [await bot.send_message(chat_id=int(chat_id), text=p,
                                   reply_markup=keyboard(buttons) if i == len(pieces) - 1 else None)
            for i, p in enumerate(pieces)]


async def edit(message: Message, text: str | None, buttons: list[list[Button]] | None) -> None:
    """Edit a message in place (text and keyboard, or only the keyboard); "not modified" is not an error."""
    try:
        if text is None:
            await message.edit_reply_markup(reply_markup=keyboard(buttons))
        else:
            await message.edit_text(split_message(text)[0], reply_markup=keyboard(buttons))
    except BadRequest as e:
        if "not modified" not in str(e).lower():
            raise


def task_line(item, scope: ChatScope, index: int | None = None) -> str:
    """One task in a list: key, content, due date (effective and as written), status."""
    from jobs.status import status_label

    task = item.task
    lang = scope.lang
    head = f"{index}. " if index is not None else ""
    who = ""
    if scope.sees_all:
        who = f" — {scope.name(task.lead_agency)}"
    elif task.lead_agency not in scope.own_agencies:
        who = f" ({t(lang, 'coordinating')}: {scope.name(task.lead_agency)})"
    due = fmt_date(item.effective_due) if item.effective_due else "—"
    written = shorten(task.deadline_text, 60)
    return (f"{head}[{task.key}] {shorten(task.content, 160)}{who}\n"
            f"   {t(lang, 'due')}: {due} ({t(lang, 'due_as_written', text=written)}) · {status_label(item.status, lang)}")
