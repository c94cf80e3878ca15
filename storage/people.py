"""People below the agency (cán bộ, chuyên viên) and the departments (phòng, ban) they work in.

An agency's chats reach the agency; the work itself is done by a department and an officer. A person
belongs to one agency, optionally to one of its departments (the department's head — trưởng phòng — is
the rung above its officers), and is reached on their own channels: a Zalo user, a Telegram user, an
e-mail address (used once its owner confirmed it, as for a bound address), a phone number kept for later.
A deactivated person keeps their history and receives nothing.

Every change is audited in the same transaction (`storage.audit`). Names of agencies are their directory
codes; departments are matched by name within their agency, with or without diacritics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from storage import audit
from core.namematch import fold, normalize
from storage.tables import _json_list, _ts

# The channels a person can be reached on, in the order tried when the person said nothing else.
CHANNELS = ("zalo", "telegram", "email")

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_DIGITS = re.compile(r"^[0-9]{1,32}$")
_ZALO_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .-]{6,18}[0-9]$")


class Department(SQLModel, table=True):
    """A department (phòng, ban, trung tâm) of an agency."""

    __table_args__ = (UniqueConstraint("agency", "name", name="uq_department"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    agency: str = Field(max_length=80, index=True)  # agency code
    name: str = Field(max_length=300)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    removed_at: Optional[datetime] = _ts(nullable=True)


class Person(SQLModel, table=True):
    """A person of an agency (cán bộ): an officer, a department head, a leader, a focal point."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    agency: str = Field(max_length=80, index=True)
    department_id: Optional[int] = Field(default=None, foreign_key="department.id", index=True)
    position: Optional[str] = Field(default=None, max_length=200)  # chức vụ, e.g. "Chuyên viên"
    is_head: bool = False  # the department's head: the rung above its officers
    is_leader: bool = False  # one of the agency's leaders (lãnh đạo đơn vị)
    zalo_user: Optional[str] = Field(default=None, max_length=64, index=True)
    telegram_user: Optional[str] = Field(default=None, max_length=64, index=True)
    email: Optional[str] = Field(default=None, max_length=254)
    email_confirmed_at: Optional[datetime] = _ts(nullable=True)  # double opt-in, as for a bound address
    phone: Optional[str] = Field(default=None, max_length=32)  # kept for later use (SMS, calls)
    channel_order: list[str] = _json_list()  # preferred order, e.g. ["zalo", "email"]; empty = CHANNELS
    language: Optional[str] = Field(default=None, max_length=5)
    active: bool = True
    deactivated_at: Optional[datetime] = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class PersonInvite(SQLModel, table=True):
    """A one-time code that links a person's own Zalo or Telegram chat to them; stored hashed."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=128, unique=True, index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _ts()
    created_by: Optional[str] = Field(default=None, max_length=200)
    expires_at: datetime = _ts()
    used_at: Optional[datetime] = _ts(nullable=True)
    used_by_chat: Optional[str] = Field(default=None, max_length=100)


class PeopleError(ValueError):
    """A change that cannot be made; `code` says which (the CLI and console say it in the user's language)."""

    def __init__(self, code: str, message: str, **info):
        super().__init__(message)
        self.code = code
        self.info = info


@dataclass(frozen=True)
class Changes:
    """What `add_person`/`edit_person` set; None leaves a field as it is ("" clears an optional one)."""

    name: str | None = None
    department: str | None = None
    position: str | None = None
    zalo: str | None = None
    telegram: str | None = None
    email: str | None = None
    phone: str | None = None
    head: bool | None = None
    leader: bool | None = None
    order: tuple[str, ...] | None = None
    language: str | None = None


# -- departments ----------------------------------------------------------------------------------------------

def departments(session: Session, agency: str | None = None) -> list[Department]:
    q = select(Department).where(Department.removed_at.is_(None))
    if agency is not None:
        q = q.where(Department.agency == agency)
    return list(session.exec(q.order_by(Department.agency, Department.name)))


def find_department(session: Session, agency: str, name: str) -> Department | None:
    """The agency's department named `name`: written alike (case, Unicode form, tones), else the only one
    that matches without diacritics."""
    rows = departments(session, agency)
    want = normalize(name)
    same = [d for d in rows if normalize(d.name) == want]
    if same:
        return same[0]
    loose = [d for d in rows if fold(d.name) == fold(name)]
    return loose[0] if len(loose) == 1 else None


def add_department(session: Session, agency: str, name: str, *, actor: str, source: str, now: datetime) -> Department:
    """Add a department to an agency's directory; an existing one of that name is returned unchanged."""
    name = " ".join((name or "").split())
    if not name:
        raise PeopleError("empty_department", "a department needs a name")
    if len(name) > 300:
        raise PeopleError("too_long", "department name longer than 300 characters", field="department")
    found = find_department(session, agency, name)
    if found is not None:
        return found
    d = Department(agency=agency, name=name, created_at=now, updated_at=now)
    session.add(d)
    session.flush()
    audit.record(session, at=now, actor=actor, source=source, action="department.added", entity="department",
                 entity_key=f"{agency}/{d.id}", agency=agency, name=name)
    return d


def department_name(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    d = session.get(Department, department_id)
    return d.name if d is not None else None


# -- people ---------------------------------------------------------------------------------------------------

def people(session: Session, agency: str | None = None, *, include_inactive: bool = False) -> list[Person]:
    q = select(Person)
    if agency is not None:
        q = q.where(Person.agency == agency)
    if not include_inactive:
        q = q.where(Person.active.is_(True))
    return list(session.exec(q.order_by(Person.agency, Person.name, Person.id)))


def has_people(session: Session, agency: str) -> bool:
    """Whether the agency has an active person or a department to hand work to (its cards offer "Giao việc")."""
    return (session.exec(select(Person.id).where(Person.agency == agency, Person.active.is_(True)).limit(1)).first()
            is not None or session.exec(select(Department.id).where(
                Department.agency == agency, Department.removed_at.is_(None)).limit(1)).first() is not None)


def find_people(session: Session, text: str, *, agency: str | None = None) -> list[Person]:
    """Active people `text` names: their number (#12 or 12), their name written alike, else without diacritics."""
    text = (text or "").strip()
    if text.lstrip("#").isdigit():
        p = session.get(Person, int(text.lstrip("#")))
        return [p] if p is not None and (agency is None or p.agency == agency) else []
    rows = people(session, agency)
    same = [p for p in rows if normalize(p.name) == normalize(text)]
    return same or [p for p in rows if fold(p.name) == fold(text)]


def add_person(session: Session, name: str, agency: str, changes: Changes, *, actor: str, source: str,
               now: datetime) -> Person:
    name = " ".join((name or "").split())
    if not name:
        raise PeopleError("empty_name", "a person needs a name")
    p = Person(name=name, agency=agency, created_at=now, updated_at=now)
    _apply(session, p, changes, now)
    session.add(p)
    session.flush()
    audit.record(session, at=now, actor=actor, source=source, action="person.added", entity="person",
                 entity_key=str(p.id), agency=agency, **_described(session, p))
    return p


def edit_person(session: Session, person: Person, changes: Changes, *, actor: str, source: str,
                now: datetime) -> list[str]:
    """Apply `changes`; the names of the fields that changed (audited with their old and new values)."""
    if not person.active:
        raise PeopleError("inactive", "the person was deactivated", name=person.name)
    before = _described(session, person)
    _apply(session, person, changes, now)
    after = _described(session, person)
    changed = [k for k in after if after[k] != before.get(k)]
    if changed:
        person.updated_at = now
        session.add(person)
        audit.record(session, at=now, actor=actor, source=source, action="person.edited", entity="person",
                     entity_key=str(person.id), agency=person.agency,
                     changes={k: [before.get(k), after[k]] for k in changed})
    return changed


def deactivate_person(session: Session, person: Person, *, actor: str, source: str, now: datetime,
                      reason: str | None = None) -> bool:
    """Stop everything to this person (their history stays); False when already inactive."""
    if not person.active:
        return False
    person.active, person.deactivated_at, person.updated_at = False, now, now
    session.add(person)
    audit.record(session, at=now, actor=actor, source=source, action="person.deactivated", entity="person",
                 entity_key=str(person.id), agency=person.agency, name=person.name, reason=reason)
    return True


def channels_of(person: Person) -> list[tuple[str, str]]:
    """(channel, address) the person can be reached on now, in their preferred order: an e-mail address only
    once confirmed; nothing for a deactivated person."""
    if not person.active:
        return []
    have = {"zalo": person.zalo_user, "telegram": person.telegram_user,
            "email": person.email if person.email_confirmed_at is not None else None}
    order = [c for c in (person.channel_order or ()) if c in CHANNELS]
    order += [c for c in CHANNELS if c not in order]
    return [(c, have[c]) for c in order if have[c]]


def heads_of(session: Session, person: Person) -> list[Person]:
    """The active heads of the person's department (the next rung above an officer), the person excluded."""
    if person.department_id is None:
        return []
    return list(session.exec(select(Person).where(
        Person.department_id == person.department_id, Person.is_head.is_(True), Person.active.is_(True),
        Person.id != person.id).order_by(Person.id)))


def leaders_of(session: Session, agency: str) -> list[Person]:
    return list(session.exec(select(Person).where(
        Person.agency == agency, Person.is_leader.is_(True), Person.active.is_(True)).order_by(Person.id)))


def _apply(session: Session, p: Person, c: Changes, now: datetime) -> None:
    """Check every value first, then set them: a bad value changes nothing."""
    values: dict = {}
    if c.name is not None:
        name = " ".join(c.name.split())
        if not name:
            raise PeopleError("empty_name", "a person needs a name")
        values["name"] = name
    if c.department is not None:
        if c.department.strip() == "":
            values["department_id"] = None
        else:
            d = find_department(session, p.agency, c.department)
            if d is None:  # departments are added on purpose (`dondoc departments add`), never by a typo
                raise PeopleError("unknown_department", "unknown department", department=c.department,
                                  agency=p.agency, known=[x.name for x in departments(session, p.agency)])
            values["department_id"] = d.id
    if c.position is not None:
        values["position"] = " ".join(c.position.split()) or None
    if c.zalo is not None:
        values["zalo_user"] = _checked(c.zalo, _ZALO_ID, "zalo")
    if c.telegram is not None:
        values["telegram_user"] = _checked(c.telegram, _DIGITS, "telegram")
    if c.email is not None:
        email = _checked(c.email.lower(), _EMAIL, "email")
        if email != p.email:
            values["email"], values["email_confirmed_at"] = email, None  # a new address is confirmed again
    if c.phone is not None:
        values["phone"] = _checked(c.phone, _PHONE, "phone")
    if c.head is not None:
        values["is_head"] = c.head
    if c.leader is not None:
        values["is_leader"] = c.leader
    if c.order is not None:
        bad = [x for x in c.order if x not in CHANNELS]
        if bad:
            raise PeopleError("bad_channel", "unknown channel", value=bad[0], known=list(CHANNELS))
        values["channel_order"] = list(dict.fromkeys(c.order))
    if c.language is not None:
        values["language"] = c.language or None
    if values.get("is_head", p.is_head) and values.get("department_id", p.department_id) is None:
        raise PeopleError("head_without_department", "a department head needs a department")
    for channel, column in (("zalo", "zalo_user"), ("telegram", "telegram_user")):
        user = values.get(column)
        if user:
            other = session.exec(select(Person).where(getattr(Person, column) == user, Person.active.is_(True),
                                                      Person.id != p.id if p.id is not None else sa.true())).first()
            if other is not None:
                raise PeopleError("channel_taken", "channel already someone else's", channel=channel, user=user,
                                  name=other.name)
    for k, v in values.items():
        setattr(p, k, v)


def _checked(value: str, pattern: re.Pattern, what: str) -> str | None:
    value = value.strip()
    if value == "":
        return None
    if not pattern.fullmatch(value):
        raise PeopleError("bad_value", "not a valid value", field=what, value=value)
    return value


def _described(session: Session, p: Person) -> dict:
    return {"name": p.name, "department": department_name(session, p.department_id), "position": p.position,
            "zalo": p.zalo_user, "telegram": p.telegram_user, "email": p.email, "phone": p.phone,
            "head": p.is_head, "leader": p.is_leader, "order": list(p.channel_order or [])}


# -- departments from a file ------------------------------------------------------------------------------------

def read_departments_file(lines: Iterable[str]) -> list[tuple[int, str, str]]:
    """A departments file: one `agency; department` a line (# comments, blank lines ignored).
    (line number, agency as written, department) — the agency is matched by the caller."""
    out = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sep = ";" if ";" in line else ("\t" if "\t" in line else None)
        if sep is None:
            raise PeopleError("bad_line", "expected 'agency; department'", line=n, text=line)
        agency, _, name = line.partition(sep)
        if not agency.strip() or not name.strip():
            raise PeopleError("bad_line", "expected 'agency; department'", line=n, text=line)
        out.append((n, agency.strip(), " ".join(name.split())))
    return out

