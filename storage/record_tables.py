"""Tables of the record an oversight office signs (issue 22): who was responsible for a task when.

Kept apart from storage/tables.py so that work on other areas does not collide with it. tables.py cannot import it
(the floors allow no import circle inside storage/): the migrations' env.py imports it for the metadata, and every
module that reads these tables imports it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.tables import UTCDateTime

# Kinds of a responsibility entry.
WRITTEN = "written"  # as the directive (the registry file) names it — from the assignment on
HANDOVER = "handover"  # the lead ceased to exist; its successor took over (bàn giao)
REASSIGNMENT = "reassignment"  # the oversight body gave the task to another agency (giao lại)
CORRECTION = "correction"  # the lead was recorded wrongly (a typo): the corrected one, from the assignment on
KINDS = (WRITTEN, HANDOVER, REASSIGNMENT, CORRECTION)


class ResponsibilityEntry(SQLModel, table=True):
    """One line of a task's responsibility history (lịch sử chủ trì): from `since` (None: from the assignment, as
    written or corrected) the task is led by `lead` with `coordinators`, for `reason`, recorded by `actor`."""

    __tablename__ = "responsibility"

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    since: Optional[date] = None
    kind: str = Field(max_length=20)
    lead: str = Field(max_length=80)
    coordinators: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    previous_lead: Optional[str] = Field(default=None, max_length=80)
    reason: Optional[str] = None
    actor: str = Field(max_length=200)
    actor_id: Optional[str] = Field(default=None, max_length=64)
    source: str = Field(max_length=20)  # import | scheduler | cli | console | migration
    recorded_at: datetime = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))


# Decisions on a completion.
REPORTED = "reported"  # as the agency reported it (awaiting review when the oversight body must confirm)
CONFIRMED = "confirmed"
RETURNED = "returned"  # trả lại: not acceptable; the occurrence is open again


class Completion(SQLModel, table=True):
    """A completion as the clerk reported it (báo cáo hoàn thành): the day it was done, the report document
    (số/ký hiệu, ngày) and a note; and the oversight body's decision on it (confirmed, or returned with a
    reason), so the time from report to decision is kept."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    occurrence_key: str = Field(max_length=40)
    completed_on: date
    document_number: Optional[str] = Field(default=None, max_length=120)  # e.g. 123/BC-SNV
    document_date: Optional[date] = None
    note: Optional[str] = None
    reported_by: str = Field(max_length=200)
    reported_by_id: Optional[str] = Field(default=None, max_length=64)
    source: str = Field(max_length=20)
    reported_at: datetime = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
    decision: str = Field(default=REPORTED, max_length=20)
    decided_by: Optional[str] = Field(default=None, max_length=200)
    decided_by_id: Optional[str] = Field(default=None, max_length=64)
    decided_at: Optional[datetime] = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    decision_reason: Optional[str] = None


class Evidence(SQLModel, table=True):
    """A file kept as evidence of a completion (tài liệu kiểm chứng), stored by its content's SHA-256 in the
    evidence store (storage.evidence)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    completion_id: Optional[int] = Field(default=None, foreign_key="completion.id", index=True)
    occurrence_key: str = Field(max_length=40)
    filename: str = Field(max_length=255)  # as the person named it
    stored: str = Field(max_length=80)  # sha256 hex + the file's ending
    size: int
    content_type: str = Field(max_length=100)
    uploaded_by: str = Field(max_length=200)
    uploaded_at: datetime = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
