"""The tables: directives, tasks, their occurrences, progress, extensions, agencies, chat bindings,
the notification outbox, feed tokens, invite codes and the audit log.

The database is the source of truth. Conventions:
- every timestamp is stored as UTC and read back timezone-aware (`UTCDateTime`), on SQLite and PostgreSQL;
- agencies are referred to by their stable `code` (e.g. "so-noi-vu"), not by row id, so a registry file,
  a chat binding and an audit entry all name the same thing;
- state that belongs to one occurrence of a deadline (done, extended, acknowledged) lives in `Occurrence`,
  keyed by `occurrence_key`: "once" for a one-off deadline, the ISO due date of the period ("2019-03-31")
  for a recurring one, "continuous" for "Thường xuyên". Rows are created when something happens to them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


from storage.columns import UTCDateTime  # noqa: E402 - its own module, so table modules beside this one share it


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# Statuses of one occurrence (trạng thái).
OPEN = "open"  # chưa hoàn thành
DONE = "done"  # đã hoàn thành
PENDING_CONFIRMATION = "pending_confirmation"  # chờ xác nhận

ROLES = ("focal", "manager", "oversight", "leadership")


class Agency(SQLModel, table=True):
    """An agency (cơ quan, đơn vị) from the directory: a department (sở), a district (UBND cấp huyện) …"""

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=300)
    kind: str = Field(default="other", max_length=40)
    aliases: list[str] = _json_list()
    groups: list[str] = _json_list()  # group codes it belongs to, e.g. "so-ban-nganh", "ubnd-cap-huyen"
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None
    successor: Optional[str] = Field(default=None, max_length=80)  # code of the agency that took over
    # where the record comes from: "builtin", "province" (PROVINCE's communes), "file" (AGENCIES_FILE,
    # --agencies, a registry's agencies:), "cli" (dondoc agencies add/rename). Only "builtin" rows follow
    # a new release's built-in directory; the others are the province's own and win over it.
    source: str = Field(default="builtin", max_length=20)


class Directive(SQLModel, table=True):
    """A directive (văn bản giao nhiệm vụ): công văn, chỉ thị, kế hoạch, quyết định."""

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(max_length=120, unique=True, index=True)  # số/ký hiệu, e.g. 5099/UBND-HCC
    issued: Optional[date] = None
    issuer: Optional[str] = Field(default=None, max_length=300)
    subject: Optional[str] = None  # trích yếu
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Task(SQLModel, table=True):
    """A task (nhiệm vụ) assigned to one lead agency (cơ quan chủ trì)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)  # stable key (mã)
    directive_id: Optional[int] = Field(default=None, foreign_key="directive.id", index=True)
    position: int = 0  # order in its registry file
    stt: Optional[str] = Field(default=None, max_length=40)  # STT as written
    section: Optional[str] = None  # the section rows above it in the file ("I. … › 1. …")
    content: str  # nội dung
    product: Optional[str] = None  # sản phẩm / kết quả, as written
    lead_agency: str = Field(max_length=80, index=True)  # agency code
    coordinators: list[str] = _json_list()  # coordinating agency codes (cơ quan phối hợp)
    coordinators_note: Optional[str] = None  # free text kept as written, e.g. "Cơ quan liên quan"
    report_to: Optional[str] = Field(default=None, max_length=300)  # agency code, or text as written
    assignee_text: Optional[str] = None  # the lead as written, e.g. a group "Các sở, ban, ngành"
    deadline_text: str  # thời gian hoàn thành, as written
    deadline: dict = _json_dict()  # core.deadline.Deadline.to_dict()
    deadline_kind: str = Field(max_length=20, index=True)  # once | recurring | continuous
    due: Optional[date] = None  # once: the due date as written
    assigned_at: datetime = _ts()  # when the lead agency got it (a reassignment resets it)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sequence: int = 0  # bumped on every change (iCalendar SEQUENCE)
    next_check_at: Optional[datetime] = _ts(nullable=True, index=True)  # when the planner must look again
    removed_at: Optional[datetime] = _ts(nullable=True)  # soft removal keeps history


class Occurrence(SQLModel, table=True):
    """State of one occurrence (kỳ) of a task's deadline."""

    __table_args__ = (UniqueConstraint("task_id", "key", name="uq_occurrence_task_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    key: str = Field(max_length=40)  # "once" | ISO due date of the period | "continuous"
    due: Optional[date] = None  # due date as written for this occurrence
    extended_due: Optional[date] = None  # deadline in force after an approved extension (gia hạn)
    status: str = Field(default=OPEN, max_length=30)
    completed_on: Optional[date] = None
    completion_note: Optional[str] = None
    acknowledged_at: Optional[datetime] = _ts(nullable=True)
    acknowledged_by: Optional[str] = Field(default=None, max_length=200)
    updated_at: datetime = _ts()
    sequence: int = 0


class ProgressUpdate(SQLModel, table=True):
    """A progress report (báo cáo tiến độ)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    occurrence_key: str = Field(max_length=40)
    percent: Optional[int] = None
    note: Optional[str] = None
    actor: str = Field(max_length=200)
    actor_id: Optional[str] = Field(default=None, max_length=64)
    source: str = Field(max_length=20)  # cli | telegram | console | import
    created_at: datetime = _ts()


class Extension(SQLModel, table=True):
    """A request for more time (xin gia hạn) and its decision."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    occurrence_key: str = Field(max_length=40)
    previous_due: Optional[date] = None  # deadline in force when asked
    requested_due: date
    reason: str
    requested_by: str = Field(max_length=200)
    requested_by_id: Optional[str] = Field(default=None, max_length=64)
    requested_at: datetime = _ts()
    platform: Optional[str] = Field(default=None, max_length=20)
    chat_id: Optional[str] = Field(default=None, max_length=64)  # where it was asked, to tell the decision
    decision: str = Field(default="pending", max_length=20)  # pending | approved | rejected
    decided_by: Optional[str] = Field(default=None, max_length=200)
    decided_by_id: Optional[str] = Field(default=None, max_length=64)
    decided_at: Optional[datetime] = _ts(nullable=True)
    decision_note: Optional[str] = None


class ChatBinding(SQLModel, table=True):
    """A chat linked to an agency in a role (focal = cán bộ đầu mối, manager = lãnh đạo đơn vị,
    oversight = cơ quan thường trực, leadership = lãnh đạo tỉnh)."""

    __table_args__ = (UniqueConstraint("platform", "chat_id", "agency", "role", name="uq_binding"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    platform: str = Field(default="telegram", max_length=20)
    chat_id: str = Field(max_length=64, index=True)
    agency: str = Field(max_length=80, index=True)
    role: str = Field(max_length=20)
    title: Optional[str] = Field(default=None, max_length=300)  # chat title, for people reading logs
    language: Optional[str] = Field(default=None, max_length=5)  # /lang; None = LANGUAGE
    active: bool = True
    disabled_reason: Optional[str] = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


# Outbox statuses.
PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
FAILED = "failed"
SUPERSEDED = "superseded"  # a step skipped by catch-up, recorded rather than silently dropped
CANCELLED = "cancelled"  # no longer wanted (task done or changed before it was sent)


class Notification(SQLModel, table=True):
    """The outbox: one row per task × occurrence × step × chat. Its unique key is the idempotency key,
    so re-planning, restarts and several dispatchers never create or send a second one."""

    __table_args__ = (
        UniqueConstraint("task_key", "occurrence", "step", "chat", name="uq_notification"),
        sa.Index("ix_notification_due", "status", "due_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    task_key: str = Field(max_length=200)  # "" for digests and summaries
    occurrence: str = Field(max_length=40)
    step: str = Field(max_length=80)  # e.g. "new", "remind:7:2018-06-14", "escalate:1:2018-06-14", "digest:weekly"
    chat: str = Field(max_length=100)  # "platform:chat_id"
    kind: str = Field(max_length=20)  # new | reminder | escalation | checkin | digest | summary | notice
    task_id: Optional[int] = Field(default=None, index=True)
    binding_id: Optional[int] = None
    payload: dict = _json_dict()  # what the renderer needs beyond the task (role, level, days late …)
    due_at: datetime = _ts()
    status: str = Field(default=PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: Optional[datetime] = _ts(nullable=True)
    claimed_by: Optional[str] = Field(default=None, max_length=100)
    claimed_at: Optional[datetime] = _ts(nullable=True)
    sent_at: Optional[datetime] = _ts(nullable=True)
    message_id: Optional[str] = Field(default=None, max_length=64)
    last_error: Optional[str] = None
    created_at: datetime = _ts()


class FeedToken(SQLModel, table=True):
    """A secret calendar subscription URL token, stored hashed."""

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    scope: str = Field(max_length=20)  # agency | binding | oversight
    agency: Optional[str] = Field(default=None, max_length=80)
    binding_id: Optional[int] = None
    created_at: datetime = _ts()
    created_by: Optional[str] = Field(default=None, max_length=200)
    revoked_at: Optional[datetime] = _ts(nullable=True)


class InviteCode(SQLModel, table=True):
    """A one-time code that links a chat to an agency and role; stored hashed."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=128, unique=True, index=True)
    agency: str = Field(max_length=80)
    role: str = Field(max_length=20)
    created_at: datetime = _ts()
    created_by: Optional[str] = Field(default=None, max_length=200)
    expires_at: datetime = _ts()
    used_at: Optional[datetime] = _ts(nullable=True)
    used_by_chat: Optional[str] = Field(default=None, max_length=100)


class AuditEntry(SQLModel, table=True):
    """Every change, with who made it and from where (nhật ký thay đổi)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=200)  # a person's name, "admin", "scheduler"
    actor_id: Optional[str] = Field(default=None, max_length=64)  # e.g. the Telegram user id
    source: str = Field(max_length=20)  # cli | telegram | console | scheduler | import
    action: str = Field(max_length=60)  # e.g. task.created, task.done, extension.approved, binding.disabled
    entity: str = Field(max_length=40)  # task | binding | directive | extension | invite | feed
    entity_key: Optional[str] = Field(default=None, max_length=200)
    detail: dict = _json_dict()


class SchedulerState(SQLModel, table=True):
    """Small named values the scheduler keeps between ticks and restarts (e.g. last digest week)."""

    name: str = Field(primary_key=True, max_length=100)
    value: str
    updated_at: datetime = _ts()


class RateBudget(SQLModel, table=True):
    """Telegram's flood limits shared by every dondoc process on one PostgreSQL database (jobs.flood):
    one row per limit ("overall", "telegram:<chat id>"), holding the earliest instant the next message
    under that limit may go out (the "theoretical arrival time" of the GCRA algorithm)."""

    name: str = Field(primary_key=True, max_length=120)
    tat: datetime = _ts()


class WebSigninLink(SQLModel, table=True):
    """A one-time sign-in link to the web console (liên kết đăng nhập): valid for minutes, used once,
    stored hashed; made by the bot's /web in a private chat or by `dondoc web-link`."""

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    user_id: str = Field(max_length=64)  # the Telegram user id it signs in
    name: Optional[str] = Field(default=None, max_length=200)
    via_chat: Optional[str] = Field(default=None, max_length=64)  # a group the person asked from: its roles
    # Whether they were that group's administrator when they asked (decisions need it: core/authority.py).
    via_chat_admin: bool = Field(default=False)
    created_at: datetime = _ts()
    created_by: Optional[str] = Field(default=None, max_length=200)
    expires_at: datetime = _ts()
    used_at: Optional[datetime] = _ts(nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser (phiên đăng nhập): the cookie carries a random id, the table its hash, the
    person, the CSRF token of its forms and when it expires."""

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    user_id: str = Field(max_length=64, index=True)
    name: Optional[str] = Field(default=None, max_length=200)
    csrf_token: str = Field(max_length=64)
    via_chat: Optional[str] = Field(default=None, max_length=64)  # the group whose bindings also give roles
    via_chat_admin: bool = Field(default=False)  # an administrator of that group when the link was asked for
    language: Optional[str] = Field(default=None, max_length=5)
    via: str = Field(max_length=20)  # link | telegram
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: Optional[datetime] = _ts(nullable=True)


# Other systems' access (API tokens, webhooks): their own module, registered on the metadata here.
from storage import api_tables as _api_tables  # noqa: E402,F401
from storage import drafts  # noqa: E402,F401 - the console's kept directive drafts (a table of its own module)
from storage import listing_tables  # noqa: E402,F401 - the console's occurrence listing (storage/listing.py)
from storage import group_tables  # noqa: E402,F401 - the dashboard's kept four groups (reports/kept_groups.py)
# The console's agency filter lists the agencies leading a task still in the registry (web.common.filter_choices):
# this index answers it without reading the tasks (migration 0010_listing).
sa.Index("ix_task_lead_removed", Task.__table__.c.lead_agency, Task.__table__.c.removed_at)
