"""The quarter's four groups kept per occurrence (reports/kept_groups.py keeps them): one row per due date of the
current reporting year, judged by the report library's rule, so the dashboard's four groups are one GROUP BY
after a change instead of reading every task again (issue 23)."""

from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class GroupedOccurrence(SQLModel, table=True):
    """One due date (as written) of one task in the kept year, with the agency responsible on that date and what
    its group depends on. `fixed_group` holds a group that no later day changes (done on time or late; a
    completion awaiting review, late or not); else the group is read in SQL: open and overdue once the day is
    past `effective_due`, open within the deadline before."""

    __tablename__ = "grouped_occurrence"
    __table_args__ = (
        # The dashboard's GROUP BY reads this index only: the period's due dates, then the agency and the group.
        sa.Index("ix_grouped_occurrence_period", "due", "lead", "directive_id", "fixed_group", "effective_due"),
    )

    task_id: int = Field(primary_key=True)
    occurrence_key: str = Field(primary_key=True, max_length=40)
    due: date  # as written: what puts the occurrence in a period
    lead: str = Field(max_length=80)  # the agency responsible on the due date (storage.responsibility)
    directive_id: Optional[int] = None
    effective_due: date  # the deadline in force, moved off a day off
    fixed_group: Optional[str] = Field(default=None, max_length=20)


class GroupingState(SQLModel, table=True):
    """A task whose rows in `grouped_occurrence` hold from `computed_on` until `valid_until` (local dates); no row:
    compute it. A change to the task, its occurrences, extensions or responsibility deletes this row in the same
    flush (storage/listing.py's `forget_changed`)."""

    __tablename__ = "grouping_state"

    task_id: int = Field(primary_key=True)
    valid_until: date = Field(index=True)
    computed_on: date = Field(index=True)
    task_sequence: int = 0
