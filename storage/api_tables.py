"""The tables of other systems' access: API tokens, webhook subscriptions and the webhook outbox
(storage/api_tokens.py works on them). Registered on the metadata by storage/tables.py's last line."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


def _ts(nullable: bool = False, index: bool = False):
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class ApiToken(SQLModel, table=True):
    """A system's token for /api/v1."""

    __tablename__ = "api_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)  # the system, e.g. "IOC Nam Định"; the actor in the audit log
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(max_length=10)  # read | write
    all_agencies: bool = False
    agencies: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # agency codes
    created_at: datetime = _ts()
    created_by: Optional[str] = Field(default=None, max_length=200)
    last_used_at: Optional[datetime] = _ts(nullable=True)
    revoked_at: Optional[datetime] = _ts(nullable=True)


class WebhookSubscription(SQLModel, table=True):
    """A URL a system wants events POSTed to (đăng ký nhận sự kiện)."""

    __tablename__ = "webhook_subscription"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id", index=True)
    url: str = Field(max_length=2000)
    events: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=128)
    created_at: datetime = _ts()
    audit_start: int = 0  # the last audit entry before it was made: nothing up to it is its event
    audit_cursor: int = 0  # the audit log is read from here (less a margin, not before audit_start)
    overdue_checked_on: Optional[str] = Field(default=None, max_length=10)  # ISO day the overdue scan last ran
    revoked_at: Optional[datetime] = _ts(nullable=True)


DELIVERY_PENDING, DELIVERY_CLAIMED, DELIVERY_SENT, DELIVERY_FAILED = "pending", "claimed", "sent", "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: sent (with retries) until the receiver answers 2xx, or given up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key", name="uq_webhook_delivery"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    event_key: str = Field(max_length=300)  # "audit:<id>" or "overdue:<task>:<occurrence>:<due>"
    event: str = Field(max_length=40)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DELIVERY_PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: Optional[datetime] = _ts(nullable=True)
    claimed_at: Optional[datetime] = _ts(nullable=True)
    sent_at: Optional[datetime] = _ts(nullable=True)
    last_status: Optional[int] = None  # the receiver's HTTP status of the last attempt
    last_error: Optional[str] = None
    created_at: datetime = _ts()


class EdxmlDocument(SQLModel, table=True):
    """A directive that came in as an edXML package (QCVN 102:2016): its DocumentId, header and signature.
    Its tasks are the tasks of the directive with its number, once the reviewed draft is imported; status
    receipts answer its DocumentId."""

    __tablename__ = "edxml_document"

    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: str = Field(max_length=300, unique=True, index=True)  # "OrganId,YYYY/MM/DD,số/ký hiệu"
    number: str = Field(max_length=120, index=True)  # số/ký hiệu: the directive's number
    issued: Optional[date] = None
    sender_id: str = Field(max_length=60)
    sender_name: Optional[str] = Field(default=None, max_length=300)
    subject: Optional[str] = None
    type_name: Optional[str] = Field(default=None, max_length=120)  # DocumentType/TypeName, e.g. Công văn
    due: Optional[date] = None  # DueDate
    steering_type: Optional[str] = Field(default=None, max_length=10)
    signature: str = Field(max_length=20)  # unsigned | unchecked | verified | invalid
    signature_reason: Optional[str] = None
    package_sha256: str = Field(max_length=64)
    draft_file: Optional[str] = None
    received_at: datetime = _ts()


class EdxmlReceipt(SQLModel, table=True):
    """A status message written for a document (03 received, 04 assigned, 05 in progress, 06 done): one per
    document and status, so it is never written twice."""

    __tablename__ = "edxml_receipt"
    __table_args__ = (UniqueConstraint("document_id", "status", name="uq_edxml_receipt"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: str = Field(max_length=300, index=True)
    status: str = Field(max_length=4)
    file: str
    written_at: datetime = _ts()
