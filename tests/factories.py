"""Build tasks, bindings and directives in tests with one call each (a fresh `Session` from the `engine` fixture)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlmodel import Session

from storage.tables import ChatBinding, Directive, Task


def make_directive(session: Session, number: str = "5099/UBND-HCC", issued: date = date(2018, 5, 23),
                   issuer: str = "UBND tỉnh Đồng Nai", subject: str | None = None, now: datetime | None = None) -> Directive:
    now = now or datetime.combine(issued, datetime.min.time()).astimezone()
    d = Directive(number=number, issued=issued, issuer=issuer, subject=subject, created_at=now, updated_at=now)
    session.add(d)
    session.flush()
    return d


def make_task(session: Session, *, key: str, deadline_text: str, now: datetime, lead: str = "so-noi-vu",
              content: str | None = None, issued: date | None = None, directive: Directive | None = None,
              coordinators: Iterable[str] = (), report_to: str | None = None, position: int = 0,
              calendar=None) -> Task:
    """A task whose deadline is read by the real grammar, assigned at `now`."""
    from core.deadline import parse_deadline

    issued = issued or (directive.issued if directive and directive.issued else now.date())
    deadline = parse_deadline(deadline_text, issued, calendar) if calendar else parse_deadline(deadline_text, issued)
    t = Task(
        key=key, directive_id=directive.id if directive else None, position=position,
        content=content or f"Nhiệm vụ {key}", lead_agency=lead, coordinators=list(coordinators),
        report_to=report_to, deadline_text=deadline_text, deadline=deadline.to_dict(),
        deadline_kind=deadline.kind, due=deadline.due, assigned_at=now, created_at=now, updated_at=now,
        next_check_at=None,
    )
    session.add(t)
    session.flush()
    return t


def make_binding(session: Session, *, chat_id: str | int, agency: str = "so-noi-vu", role: str = "focal",
                 now: datetime, platform: str = "telegram", title: str | None = None,
                 language: str | None = None) -> ChatBinding:
    b = ChatBinding(platform=platform, chat_id=str(chat_id), agency=agency, role=role, title=title,
                    language=language, created_at=now, updated_at=now)
    session.add(b)
    session.flush()
    return b
