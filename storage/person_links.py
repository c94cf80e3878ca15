"""A person's own chat, linked by an invite code (issue 24): `dondoc people invite` makes a one-time code;
sent to the bot in a private chat on Zalo or Telegram, it records that chat as the person's Zalo or Telegram
user, audited, and the tasks handed to them are planned again."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage import audit
from storage.delegation import Assignment
from storage.people import PeopleError, Person, PersonInvite
from storage.tables import Task

LINKABLE = {"zalo": "zalo_user", "telegram": "telegram_user"}


def create_person_invite(session: Session, person: Person, code_hash: str, *, actor: str, source: str,
                         now: datetime, expires_at: datetime) -> PersonInvite:
    """Record a code (its hash; the caller made and shows the code) for `person` to link their own chat."""
    if not person.active:
        raise PeopleError("inactive", "the person was deactivated", name=person.name)
    row = PersonInvite(code_hash=code_hash, person_id=person.id, created_at=now, created_by=actor,
                       expires_at=expires_at)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, source=source, action="person.invite_created", entity="person",
                 entity_key=str(person.id), agency=person.agency, invite=row.id, expires_at=expires_at)
    return row


def redeem_person_invite(session: Session, code_hash: str, *, platform: str, chat_id: str, private: bool,
                         actor: str, actor_id: str | None, now: datetime) -> Person | None:
    """Link the private chat `chat_id` on `platform` to the code's person (their Zalo or Telegram user).
    None: not a person's code (the caller tries the agencies' invites). Raises PeopleError: used, expired,
    private_only (a group is not a person), inactive, channel_taken."""
    row = session.exec(select(PersonInvite).where(PersonInvite.code_hash == code_hash)).first()
    if row is None:
        return None
    if row.used_at is not None:
        raise PeopleError("used", "invite code already used", used_at=row.used_at)
    if row.expires_at <= now:
        raise PeopleError("expired", "invite code expired", expires_at=row.expires_at)
    if not private or platform not in LINKABLE:
        raise PeopleError("private_only", "a person's code links their own private chat")
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        raise PeopleError("inactive", "the person was deactivated", name=person.name if person else "?")
    column = LINKABLE[platform]
    other = session.exec(select(Person).where(getattr(Person, column) == str(chat_id), Person.active.is_(True),
                                              Person.id != person.id)).first()
    if other is not None:
        raise PeopleError("channel_taken", "channel already someone else's", channel=platform, user=chat_id,
                          name=other.name)
    old = getattr(person, column)
    setattr(person, column, str(chat_id))
    person.updated_at = now
    row.used_at, row.used_by_chat = now, f"{platform}:{chat_id}"
    session.add_all([person, row])
    audit.record(session, at=now, actor=actor, actor_id=actor_id, source=platform, action="person.linked",
                 entity="person", entity_key=str(person.id), agency=person.agency, channel=platform,
                 changes={platform: [old, str(chat_id)]}, invite=row.id)
    _replan_tasks_of(session, person.id)
    return person


def _replan_tasks_of(session: Session, person_id: int) -> None:
    """The tasks handed to the person are planned again: their reminders now have somewhere to go."""
    session.execute(sa.update(Task).where(Task.id.in_(sa.select(Assignment.task_id).where(
        Assignment.person_id == person_id, Assignment.removed_at.is_(None)))).values(next_check_at=None))
