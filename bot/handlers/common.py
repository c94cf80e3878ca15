"""What every handler needs: the app's dependencies, who is asking from which chat (bindings, role,
language, admin), authorisation, task lookup with suggestions, input parsing and replies that respect
Telegram's 4,096-character limit."""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.buttons import Button
from bot.i18n import role_label
from bot.texts import shorten, split_message, t
from core.clock import Clock, local_today
from core.i18n import DEFAULT_LANGUAGE, _, available_languages, format_date
from core.settings import Settings
from core import authority
from storage.actions import Actor
from storage.tables import Agency, ChatBinding, Task

log = logging.getLogger(__name__)

PLATFORM = "telegram"
# An unlinked chat hears "not linked" at most once per this long: a group flooding commands gets silence.
UNLINKED_REPLY_EVERY = timedelta(minutes=5)
FOCAL_ROLES = ("focal", "manager")  # chats that act for their agency's own tasks
OVERSEEING_ROLES = ("oversight", "leadership")  # chats that see every agency


@dataclass
class Deps:
    """What the handlers need, kept in `application.bot_data["dondoc"]`."""

    settings: Settings
    engine: Engine
    clock: Clock
    calendar: object  # core.workdays.WorkCalendar
    # chat id → when it was last told it is not linked (at most one such reply per UNLINKED_REPLY_EVERY)
    told_unlinked: dict[str, datetime] = field(default_factory=dict)

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
    """The chat's /lang, else the user's own language when their Telegram speaks one dondoc has a catalog
    for other than Vietnamese (English for an English Telegram), else LANGUAGE."""
    languages = available_languages()
    for b in bindings:
        if b.language in languages:
            return b.language
    code = (user.language_code or "").lower().split("-")[0] if user is not None else ""
    if code in languages and code != DEFAULT_LANGUAGE:
        return code
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
    deps: "Deps | None" = None
    member_status: str | None = None  # the user's status in this chat (getChatMember), for decisions
    # A person's own private chat (issue 24): task id → the hand-over to them they may act on (storage.delegation).
    person_tasks: dict[int, int] = field(default_factory=dict)

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def linked(self) -> bool:
        return bool(self.bindings) or bool(self.person_tasks)

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
        # An administrator sees every agency in a private chat with the bot, never in a group: what a
        # group sees is what the group is linked to, whoever asks (a group is not one person).
        return bool(self.roles & set(OVERSEEING_ROLES)) or (self.is_admin and not self.linked and self.is_private)

    @property
    def can_oversee(self) -> bool:
        return self.is_admin or "oversight" in self.roles

    def list_agencies(self) -> list[str] | None:
        """None = every agency; else the agencies whose tasks the lists show."""
        return None if self.sees_all else self.own_agencies

    def can_see(self, task: Task) -> bool:
        if self.sees_all or (self.is_admin and self.is_private) or task.id in self.person_tasks:
            return True
        involved = {task.lead_agency, *(task.coordinators or [])}
        return any(a in involved for a in self.own_agencies)

    def standing(self, *, admin: bool | None = None) -> authority.Standing:
        """This chat's asker for the one rule of who may do what (core/authority.py)."""
        listed = self.deps.settings.oversight_user_ids if self.deps is not None else ()
        return authority.Standing(
            seats=tuple(authority.Seat(b.agency, b.role, personal=self.is_private) for b in self.bindings),
            surface=self.platform, private=self.is_private, is_admin=self.is_admin if admin is None else admin,
            group_admin=self.member_status in ("creator", "administrator"),
            listed_overseer=self.user is not None and self.user.id in listed)

    @property
    def acting_roles(self) -> set[tuple[str, str]] | None:
        """(agency, role) pairs this chat acts with for delegation and remind now (storage.delegation,
        jobs.remind_now ask core/authority.py with them); None: an administrator."""
        return None if self.is_admin else {(b.agency, b.role) for b in self.bindings}

    def refusal_to_act(self, task: Task) -> str | None:
        """Why this chat may not update `task` (progress, done, extension, acknowledge), or None if it may.
        The chat is the unit of trust for reports: any member of an agency's chat reports for the agency.
        An administrator acts on what this chat can see (in a group, the group's agencies)."""
        if task.id in self.person_tasks:  # handed to the person whose chat this is: they report for it (issue 24)
            return None
        why = authority.refusal(self.standing(admin=self.is_admin and self.can_see(task)), authority.Action.DONE,
                                lead=task.lead_agency)
        return None if why is None else self.refusal_text(why, task)

    def refusal_to_oversee(self) -> str | None:
        """Why this person may not decide here (confirm a completion, approve or reject an extension).

        The person is the unit of trust for decisions: in an oversight group only its Telegram
        administrators (`member_status`, from getChatMember) and the people in OVERSIGHT_USER_IDS or
        ADMIN_USER_IDS decide; in a private chat linked as oversight, its one person does."""
        why = authority.refusal(self.standing(), authority.Action.DECIDE_EXTENSION)
        return None if why is None else self.refusal_text(why)

    def refusal_text(self, why: authority.Refusal, task: Task | None = None) -> str:
        if why.code == "unlinked":
            return t(self.lang, "unlinked")
        if why.code == "only_lead" and task is not None:
            return t(self.lang, "only_lead", lead=self.name(task.lead_agency), key=task.key, scope=self.scope_label())
        if why.code == "role_cannot_act":
            return t(self.lang, "role_cannot_act",
                     role=" / ".join(role_label(r, self.lang) for r in sorted(self.roles)))
        if why.code == "only_oversight":
            return t(self.lang, "only_oversight")
        if why.code == "group_admins_only":
            return _("Only this group's administrators (or the people listed in OVERSIGHT_USER_IDS) can confirm "
                     "completions and decide extensions.", lang=self.lang)
        return _("Only the dondoc administrators can do this.", lang=self.lang)

    async def learn_membership(self, bot) -> None:
        """Ask Telegram whether the person is an administrator of this group (for `refusal_to_oversee`)."""
        if self.user is None or self.is_private or self.member_status is not None:
            return
        try:
            member = await bot.get_chat_member(int(self.chat_id), self.user.id)
            self.member_status = str(member.status)
        except Exception:  # noqa: BLE001 - cannot tell: treated as a plain member (refused politely)
            log.warning("could not ask Telegram about user %s in chat %s", self.user.id, self.chat_id, exc_info=True)
            self.member_status = "unknown"

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
        lang=resolve_lang(bindings, user, d.settings), actor=actor_of(user), deps=d,
    )
    scope.names = agency_names(session, {b.agency for b in bindings})
    if scope.is_private and user is not None:
        from storage.delegation import tasks_of_person

        scope.person_tasks = tasks_of_person(session, "telegram", str(user.id))
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
    agencies = None if (scope.sees_all or (scope.is_admin and scope.is_private)) else set(scope.own_agencies)
    out = []
    for key, lead, coordinators in session.exec(q):
        if agencies is None or lead in agencies or agencies & set(coordinators or []):
            out.append(key)
    return out


def example_key(session: Session, scope: ChatScope) -> str:
    keys = _visible_keys(session, scope)
    return keys[0] if keys else "5099-1"


# -- input ------------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", re.ASCII)


class DateOutOfRange(ValueError):
    """A well-written date whose year is outside what the registry grammar accepts (MIN_YEAR..MAX_YEAR)."""


def parse_date(text: str) -> date:
    """dd/mm/yyyy (also d/m/yyyy, and . or - as separators), a year the registry grammar accepts;
    ValueError otherwise (DateOutOfRange for 31/12/9999: calendars and sums with it overflow)."""
    from core.deadline import MAX_YEAR, MIN_YEAR

    m = _DATE_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(text)
    day, month, year = (int(g) for g in m.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateOutOfRange(text)
    return date(year, month, day)  # ValueError for 31/02/2019


def date_refusal(lang: str, text: str) -> str:
    """What to say about a date `parse_date` refused."""
    from core.deadline import MAX_YEAR, MIN_YEAR

    try:
        parse_date(text)
    except DateOutOfRange:
        return _("The date “{text}” is out of range: the year must be between {first} and {last}.", lang=lang,
                 text=shorten(text, 40), first=MIN_YEAR, last=MAX_YEAR)
    except ValueError:
        pass
    return t(lang, "bad_date", text=shorten(text, 40))


_SMALL_INT = re.compile(r"[0-9]{1,9}")  # ASCII digits only: "²".isdigit() is True but int("²") fails


def small_int(text: str, lo: int, hi: int) -> int | None:
    """The whole number `text` if it is plain digits within lo..hi, else None (never raises: a command's
    arguments are whatever anyone typed — "²", "٣", five thousand digits)."""
    s = (text or "").strip()
    if not _SMALL_INT.fullmatch(s):
        return None
    n = int(s)
    return n if lo <= n <= hi else None


def parse_percent(text: str) -> int:
    n = small_int(text.strip().rstrip("%"), 0, 100)
    if n is None:
        raise ValueError(text)
    return n


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
    if scope.linked or (scope.is_admin and scope.is_private):
        return False
    if scope.is_admin:  # an administrator in an unlinked group: nothing of any agency is posted to it
        await reply(update, _("This group is not linked to any agency, so nothing about tasks is shown here. "
                              "Ask me in a private chat, or link this group first (/link CODE).", lang=scope.lang))
        return True
    if may_tell_unlinked(scope):
        await reply(update, t(scope.lang, "unlinked"))
    return True


def may_tell_unlinked(scope: ChatScope) -> bool:
    """May this unlinked chat be told so now? Once per UNLINKED_REPLY_EVERY; silence in between (a
    flood from a stranger's group costs one message, not one per command)."""
    d = scope.deps
    if d is None:
        return True
    now = d.now()
    last = d.told_unlinked.get(scope.chat_id)
    if last is not None and now - last < UNLINKED_REPLY_EVERY and now >= last:
        return False
    if len(d.told_unlinked) > 10_000:  # forget the old ones; a chat told long ago may be told again
        for chat, when in list(d.told_unlinked.items()):
            if now - when >= UNLINKED_REPLY_EVERY:
                del d.told_unlinked[chat]
    d.told_unlinked[scope.chat_id] = now
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
    from core.status import status_label

    task = item.task
    lang = scope.lang
    head = f"{index}. " if index is not None else ""
    who = ""
    if scope.sees_all:
        who = f" — {scope.name(task.lead_agency)}"
    elif task.lead_agency not in scope.own_agencies:
        who = f" ({t(lang, 'coordinating')}: {scope.name(task.lead_agency)})"
    due = format_date(item.effective_due)
    written = shorten(task.deadline_text, 60)
    return (f"{head}[{task.key}] {shorten(task.content, 160)}{who}\n"
            f"   {t(lang, 'due')}: {due} ({t(lang, 'due_as_written', text=written)}) · {status_label(item.status, lang)}")
