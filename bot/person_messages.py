"""What a person handed a task reads (issue 24): their reminder, with their internal deadline and a way to
say "Đã nhận" (received) — a button on Telegram, a command on Zalo (no buttons there), a signed link in an
e-mail — and the escalation their department head or agency leaders read when the internal deadline passed.

`compose_person(composer, session, row, now, lang)` is called by bot.compose for an outbox row whose payload
role is jobs.person_plan.PERSON; it answers (text, buttons, items), None for the text when the task is gone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot import notifications as texts
from core.i18n import _, format_date, use_language
from jobs.plan_model import REMINDER

ACK_COMMAND = "/danhan"  # "đã nhận": on Zalo, and typed on Telegram


def compose_person(composer, session, row, now: datetime, lang: str) -> tuple[str | None, list, list[str]]:
    p = row.payload or {}
    loaded = composer._load_task(session, row.task_id, row.task_key)
    if loaded is None:
        return None, [], []
    task, occs, directive = loaded
    f = composer.facts(session, task, occs, directive, row.occurrence)
    today = now.astimezone(composer.policy.timezone).date()
    internal = date.fromisoformat(p["internal_due"])
    mine = own_deadline(f, internal)  # what the person owes is the internal deadline
    late = composer.calendar.workdays_between(internal, today) if today > internal else 0
    channel = p.get("channel")
    with use_language(lang):
        if row.kind == REMINDER:
            head = _("👤 {name}, this task was handed to you. Your deadline: {date} (the agency's: {agency_due}).",
                     name=p.get("person_name"), date=format_date(internal),
                     agency_due=format_date(f.effective_due) if f.effective_due else "—")
            body = texts.reminder(mine, today, late, lang=lang)
            ack = ack_line(composer.settings, row, channel, lang, now)
            text = "\n\n".join(x for x in (head, body, ack) if x)
            buttons = _ack_buttons(composer.settings, task, row, lang) if channel == "telegram" else []
            return text, buttons, [task.key]
        dep = _department_of(session, p.get("person"))
        head = _("🔺 {name}{department} has not completed a task handed to them: their deadline {date} passed "
                 "{n} working day(s) ago.", name=p.get("person_name"), department=" (" + dep + ")" if dep else "",
                 date=format_date(internal), n=late)
        body = texts.reminder(mine, today, late, lang=lang)
        return head + "\n\n" + body, [], [task.key]


def own_deadline(f, due: date):
    """The task's facts with a deadline of one's own (internal, or a part's): the card's "Hạn" is that date,
    not the agency's moved by a day off (which would read "… is a day off; due the next working day")."""
    return replace(f, due=due, effective_due=due, extended=False, shift_reason=None)


def compose_part(composer, session, row, now: datetime, lang: str) -> tuple[str | None, list[str]]:
    """A coordinating agency's part with its own deadline: the reminder its chats (or its person) read before
    it, and what its leaders and the lead read when it is late."""
    p = row.payload or {}
    loaded = composer._load_task(session, row.task_id, row.task_key)
    if loaded is None:
        return None, []
    task, occs, directive = loaded
    f = composer.facts(session, task, occs, directive, row.occurrence)
    today = now.astimezone(composer.policy.timezone).date()
    own = date.fromisoformat(p["internal_due"])
    mine = own_deadline(f, own)
    late = composer.calendar.workdays_between(own, today) if today > own else 0
    agency = composer.agency_name(session, p.get("part_agency"))
    with use_language(lang):
        if row.kind == REMINDER:
            head = _("🤝 The part of {agency} in task {key}, led by {lead}: its own deadline is {date}.",
                     agency=agency, key=task.key, lead=composer.agency_name(session, p.get("lead") or task.lead_agency),
                     date=format_date(own))
            return head + "\n\n" + texts.reminder(mine, today, late, lang=lang), [task.key]
        head = _("🔺 {agency} has not completed its part of task {key}: its deadline {date} passed {n} working "
                 "day(s) ago.", agency=agency, key=task.key, date=format_date(own), n=late)
        return head + "\n\n" + texts.reminder(mine, today, late, lang=lang), [task.key]


def ack_line(settings, row, channel: str | None, lang: str, now: datetime) -> str:
    """How to say "Đã nhận" on this channel (Telegram has the button as well)."""
    if channel == "email":
        url = ack_url(settings, int(row.payload["assignment"]), now=now.timestamp())
        return _("Received? Open this link and press “Received”: {url}", lang=lang, url=url) if url else ""
    return _("Received? Reply {command} {key}", lang=lang, command=ACK_COMMAND, key=row.task_key)


def ack_url(settings, assignment_id: int, now: float | None = None) -> str | None:
    from bot.email import make_token

    if not getattr(settings, "feed_base_url", None):
        return None
    # Valid as long as reminders about it may come (a year): the link only acknowledges, it shows nothing.
    return f"{settings.feed_base_url}/person/ack?t={make_token(settings, 'pack', assignment_id, now=now, days=366)}"


def _ack_buttons(settings, task, row, lang: str) -> list:
    from bot import buttons as btn

    # The usual 👀 Đã nhận button: its press, from a chat that is a person's, acknowledges their hand-over.
    return [[btn._button(btn.ACK, task, row.occurrence, lang, settings.secret_for_callbacks())]]


def _department_of(session, person_id) -> str | None:
    from storage.people import Person, department_name

    if not person_id:
        return None
    p = session.get(Person, int(person_id))
    return department_name(session, p.department_id) if p is not None else None


def remind_refusal_text(e, key: str, lang: str) -> str:
    """A jobs.remind_now.RemindRefused in the user's language (the chats and the console say it alike)."""
    return e.words(key, lang)


def delegation_refusal_text(e, lang: str) -> str:
    """A storage.delegation.DelegationError in the user's language (the chats and the console say it alike)."""
    return {
        "not_your_agency": lambda: _("Only the lead agency's focal point or leader hands this task on; a "
                                     "coordinating agency hands on only its own part.", lang=lang),
        "oversight_does_not_delegate": lambda: _("The oversight body follows the task; the lead agency hands it on.",
                                                 lang=lang),
        "after_agency_due": lambda: _("The internal deadline {due} is after the agency's deadline {agency_due}; give "
                                      "a date on or before it.", lang=lang, due=format_date(e.info.get("due")),
                                      agency_due=format_date(e.info.get("agency_due"))),
        "due_in_past": lambda: _("The internal deadline {due} is in the past.", lang=lang,
                                 due=format_date(e.info.get("due"))),
        "inactive": lambda: _("{name} was deactivated.", lang=lang, name=e.info.get("name")),
        "no_target": lambda: _("Name a person or a department of the lead agency.", lang=lang),
        "not_on_task": lambda: _("{agency} neither leads nor coordinates this task.", lang=lang,
                                 agency=e.info.get("agency")),
        "bad_role": lambda: _("Unknown role {role!r}.", lang=lang, role=e.info.get("role")),
    }.get(e.code, lambda: str(e))()


def remind_from_chat(session, d, scope, task) -> tuple[str, bool]:
    """/nhac from a chat: (what to answer, whether it was done). Roles are the chat's bindings'."""
    from jobs.policy import Policy
    from jobs.remind_now import RemindRefused, remind_now
    from storage.actions import current_occurrence, deadline_in_force
    from storage.tables import Occurrence
    from sqlmodel import select

    lang = scope.lang
    if not scope.can_see(task):  # another agency's task is not shown at all
        return _("Unknown task {key}.", lang=lang, key=task.key), False
    now = d.now()
    occ = current_occurrence(session, task, now.astimezone(d.settings.timezone).date())
    row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()
    due = deadline_in_force(task, row, occ)
    roles = scope.acting_roles
    try:
        done = remind_now(session, task, occ, policy=Policy.from_settings(d.settings), calendar=d.calendar,
                          actor=scope.actor.name, actor_id=scope.actor.id, source=scope.platform, now=now,
                          roles=roles, effective_due=due.isoformat() if due else None)
    except RemindRefused as e:
        return remind_refusal_text(e, task.key, lang), False
    when = done.at.astimezone(d.settings.timezone)
    return _("Reminder about {key} to {who} at {time} {date}.", lang=lang, key=task.key,
             who=done.person or ", ".join(done.chats), time=when.strftime("%H:%M"), date=format_date(when.date())), True


# -- a person's e-mail address: double opt-in, as for a bound address (bot.email) ------------------------------

def _confirm_purpose(email: str) -> str:
    """The token's purpose names the address too: a link sent to an old address confirms nothing new."""
    import hashlib

    return "pc" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:10]


def person_confirm_url(settings, person_id: int, email: str, now: float | None = None) -> str:
    from bot.email import make_token

    return (f"{settings.feed_base_url}/person/confirm?t="
            f"{make_token(settings, _confirm_purpose(email), person_id, now=now)}")


def read_person_confirm(settings, token: str, email_of, now: float | None = None) -> int | None:
    """The person id of a valid confirmation token; `email_of(person_id)` gives their address now."""
    from bot.email import read_token

    parts = (token or "").split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        return None
    email = email_of(int(parts[1]))
    return read_token(settings, token, _confirm_purpose(email), now=now) if email else None


def confirmation_text(settings, name: str, email: str, agency_name: str, url: str, lang: str) -> str:
    return _("dondoc: please confirm your address\n\n{name} of {agency} was given the address {address}. To receive "
             "the reminders of the tasks handed to you at this address, open the link below and press “Confirm”:\n"
             "{url}\n\nIf you did not expect this, ignore this e-mail: nothing will be sent.", lang=lang, name=name,
             agency=agency_name, address=email, url=url)


# -- a person's own chat, linked by their invite code ----------------------------------------------------------

def person_link(session, code: str, *, platform: str, chat_id: str, private: bool, actor, now, lang: str) -> str | None:
    """What to answer when `code` is a person's invite (storage.person_links); None when it is not one (the
    agencies' invites are tried next). The caller commits when the answer says it worked."""
    from bot.invites import CODE_RE, hash_code
    from storage.people import PeopleError
    from storage.person_links import redeem_person_invite

    code = (code or "").strip()
    if not CODE_RE.fullmatch(code):
        return None
    try:
        person = redeem_person_invite(session, hash_code(code), platform=platform, chat_id=chat_id, private=private,
                                      actor=actor.name, actor_id=actor.id, now=now)
    except PeopleError as e:
        session.rollback()
        return {
            "used": _("This invite code has already been used. Each code works once; ask the administrator for a "
                      "new one.", lang=lang),
            "expired": _("This invite code expired. Ask the administrator for a new one.", lang=lang),
            "private_only": _("This code links a person's own chat: send it to me in a private chat.", lang=lang),
            "channel_taken": _("This chat is already the channel of {name}.", lang=lang, name=e.info.get("name")),
        }.get(e.code, _("{name} was deactivated.", lang=lang, name=e.info.get("name")))
    if person is None:
        return None
    return _("✅ {name}, this chat is now yours: dondoc sends you the reminders of the tasks handed to you here. "
             "Reply /danhan KEY when you received one.", lang=lang, name=person.name)


def delegate_from_chat(session, d, scope, task, words: list[str]) -> tuple[str, bool]:
    """/giao KEY PERSON-OR-DEPARTMENT [dd/mm/yyyy]: hand a task on from a chat, with the chat's roles (the lead
    agency's focal point or leader; a coordinating agency its own part)."""
    from intake.table import parse_date  # the one date reader (dd/mm/yyyy or YYYY-MM-DD), None otherwise
    from storage import delegation

    lang = scope.lang
    if not scope.can_see(task):  # another agency's task is not shown at all
        return _("Unknown task {key}.", lang=lang, key=task.key), False
    due = parse_date(words[-1]) if words else None
    if due is not None:
        words = words[:-1]
    if not words:
        return _("Usage: /giao KEY PERSON [dd/mm/yyyy], e.g. /giao {key} #12 08/06/2018", lang=lang,
                 key=task.key), False
    who = " ".join(words)
    target = delegation.resolve_target(session, task, who)
    if target is None:
        return _("No single person or department named {name!r} in the agencies of {key}.", lang=lang, name=who,
                 key=task.key), False
    return hand_on(session, d, scope, task, target, due)


def hand_on(session, d, scope, task, target, due) -> tuple[str, bool]:
    """Hand `task` to `target` (a storage.delegation.Target) with the internal deadline `due` as chủ trì, with
    the chat's roles: what /giao and the "Giao việc" button both do. (answer, done)."""
    from storage import delegation
    from storage.actions import current_occurrence, deadline_in_force
    from storage.tables import Occurrence
    from sqlmodel import select

    lang = scope.lang
    occ = None if task.deadline_kind == "recurring" else ("once" if task.deadline_kind == "once" else None)
    if task.deadline_kind == "recurring" and due is not None:
        occ = current_occurrence(session, task, d.now().astimezone(d.settings.timezone).date())
    agency_due = None
    if target.agency == task.lead_agency and occ is not None:
        row = session.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == occ)).first()
        agency_due = deadline_in_force(task, row, occ)
    try:
        delegation.assign(session, task, target, occurrence=occ if task.deadline_kind == "recurring" else None,
                          due=due, agency_due=agency_due, role="chu-tri", actor=scope.actor.name, source=scope.platform,
                          now=d.now(), roles=scope.acting_roles)
    except delegation.DelegationError as e:
        return delegation_refusal_text(e, lang), False
    name = target.person.name if target.person else (target.department.name if target.department else target.agency)
    return (_("Assigned {key} to {who}", lang=lang, key=task.key, who=name)
            + (" " + _("(internal deadline {date})", lang=lang, date=format_date(due)) if due else "") + "."), True
