"""Drafts of a directive's tasks kept for review in the web console (bản dự thảo danh mục nhiệm vụ): what
`dondoc extract` read from an uploaded directive, as the administrator corrects it, until it is imported
(through the registry's all-or-nothing import) or discarded. Nothing here is a task yet."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


class DirectiveDraft(SQLModel, table=True):
    __tablename__ = "directive_draft"

    id: Optional[int] = Field(default=None, primary_key=True)
    owner_id: str = Field(max_length=64, index=True)  # the administrator who uploaded it (Telegram user id)
    owner_name: str = Field(default="", max_length=200)
    file_name: str = Field(max_length=200)
    number: str = Field(default="", max_length=200)
    issued: Optional[date] = None
    issuer: str = Field(default="", max_length=500)
    subject: str = Field(default="", max_length=2000)
    # the extractor's notes about the directive itself, and the tasks: stt, content, lead, coordinators,
    # report_to, deadline (as written), lines, review — the fields of intake.directive.DraftTask
    review: Any = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tasks: Any = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default=None, sa_column=Column(UTCDateTime(), nullable=False))
