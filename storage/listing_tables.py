"""The occurrence listing's tables (storage/listing.py keeps them): one row per occurrence `task_items` lists, so
the console counts and pages the task list in SQL instead of reading every task (issue 23)."""

from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ListedOccurrence(SQLModel, table=True):
    """One occurrence as `storage.views.task_items` lists it, with what the console filters, sorts and counts by.
    The status that depends on the day (in time / due soon / overdue) is not stored: it is read against
    `effective_due` in SQL; `fixed_status` holds the ones that do not (done, awaiting confirmation, no deadline)."""

    __tablename__ = "listed_occurrence"
    __table_args__ = (
        sa.Index("ix_listed_occurrence_order", "due_sort", "position", "directive_id", "task_key", "due"),
        sa.Index("ix_listed_occurrence_lead", "lead_agency", "due_sort"),
        # The dashboard's counts read these instead of the rows (overdue; due this week, awaiting confirmation;
        # extension requests), each with fixed_status for "not done".
        sa.Index("ix_listed_occurrence_open", "fixed_status", "effective_due"),
        sa.Index("ix_listed_occurrence_state", "state", "effective_due", "fixed_status"),
        sa.Index("ix_listed_occurrence_extension", "pending_extension", "fixed_status"),
    )

    task_id: int = Field(primary_key=True)
    occurrence_key: str = Field(primary_key=True, max_length=40)
    task_key: str = Field(max_length=200)
    lead_agency: str = Field(max_length=80)
    agencies: str = Field(default="", max_length=4000)  # "|lead|coordinator|…|": a LIKE finds an agency's part
    directive_id: Optional[int] = None
    position: int = 0
    due: Optional[date] = None
    effective_due: Optional[date] = None
    due_sort: date = Field(default=date.max)  # effective_due, or the last date: no deadline sorts last
    state: str = Field(max_length=30)
    fixed_status: Optional[str] = Field(default=None, max_length=30)
    pending_extension: bool = False
    search_fold: str = Field(default="", max_length=20000)  # key + content, case-folded (NFC)
    search_bare: str = Field(default="", max_length=20000)  # the same without diacritics


class ListingState(SQLModel, table=True):
    """A task whose rows in `listed_occurrence` hold from `computed_on` until `valid_until` (local dates). No row: recompute it.
    A change to the task, its occurrences or extensions deletes the row in the same flush (storage/listing.py)."""

    __tablename__ = "listing_state"

    task_id: int = Field(primary_key=True)
    valid_until: date = Field(index=True)
    computed_on: date = Field(index=True)  # a day before it (a clock set back) does not trust the rows either
    task_sequence: int = 0  # Task.sequence when computed: a change committed meanwhile by another process shows


class ListingMeta(SQLModel, table=True):
    """What every row was computed with (the working-day calendar, the shift rule, the agencies that ceased):
    when it differs, the whole listing is computed again."""

    __tablename__ = "listing_meta"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)

