"""The shapes /api/v1 reads and writes (pydantic v2). The OpenAPI document's schemas are generated from these
classes (web/api/spec.py), and every response is built through them, so the document cannot drift from what
the server answers.

Dates are ISO 8601 (YYYY-MM-DD), instants ISO 8601 with an offset. Agencies are named by their directory code.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from core.status import Status

TaskStatus = Enum("TaskStatus", {s.name: s.value for s in Status}, type=str)  # the tracking system's statuses


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so a typo ("percnet") is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An error (RFC 9457 problem details, application/problem+json)."""

    type: str = Field(description="A URI naming the kind of problem, e.g. https://dondoc.invalid/problems/not-found")
    title: str
    status: int
    detail: Optional[str] = None
    errors: Optional[list[dict[str, Any]]] = Field(default=None, description="Each invalid field and why")


class Page(BaseModel):
    total: int = Field(description="How many match, on every page")
    page: int
    per_page: int


class DirectiveOut(BaseModel):
    id: int
    number: str = Field(description="The directive's number (so/ky hieu), e.g. 5099/UBND-HCC")
    issued: Optional[date] = None
    issuer: Optional[str] = None
    subject: Optional[str] = Field(default=None, description="What the directive is about (its subject line)")
    tasks: int = Field(description="Tasks of this directive still in the registry")


class DirectivePage(Page):
    items: list[DirectiveOut]


class ProgressOut(BaseModel):
    id: int
    occurrence: str
    percent: Optional[int] = None
    note: Optional[str] = None
    by: str
    source: str
    at: datetime


class ExtensionOut(BaseModel):
    id: int
    occurrence: str
    previous_due: Optional[date] = None
    requested_due: date
    reason: str
    requested_by: str
    requested_at: datetime
    decision: Literal["pending", "approved", "rejected"]
    decided_by: Optional[str] = None
    decided_at: Optional[datetime] = None
    note: Optional[str] = None


class TaskItemOut(BaseModel):
    """One occurrence (period) of one task: a one-off task has one ("once"), a continuous one one ("continuous"),
    a recurring one one per period (its due date as written)."""

    key: str = Field(description="The task's stable key")
    occurrence: str
    content: str
    directive: Optional[str] = Field(default=None, description="The directive's number")
    lead_agency: str
    coordinators: list[str]
    deadline_text: str = Field(description="The deadline as written")
    due: Optional[date] = Field(default=None, description="Due date as written")
    effective_due: Optional[date] = Field(default=None, description="After extensions, moved off a day off")
    state: Literal["open", "done", "pending_confirmation"]
    status: TaskStatus
    completed_on: Optional[date] = None
    acknowledged: bool
    last_progress: Optional[ProgressOut] = None
    pending_extension: Optional[ExtensionOut] = None


class TaskPage(Page):
    items: list[TaskItemOut]


class PeriodOut(BaseModel):
    occurrence: str
    due: Optional[date] = None
    effective_due: Optional[date] = None
    state: Literal["open", "done", "pending_confirmation"]
    status: TaskStatus
    completed_on: Optional[date] = None


class PeriodList(BaseModel):
    key: str
    items: list[PeriodOut]


class TaskOut(BaseModel):
    key: str
    content: str
    directive: Optional[str] = None
    document_id: Optional[str] = Field(default=None, description="The edXML DocumentId its directive came in with "
                                       "(OrganId,YYYY/MM/DD,number), if it came from the e-office")
    lead_agency: str
    coordinators: list[str]
    report_to: Optional[str] = None
    deadline_text: str
    deadline_kind: Literal["once", "recurring", "continuous"]
    periods: list[PeriodOut]
    progress: list[ProgressOut]
    extensions: list[ExtensionOut]


class HistoryEntry(BaseModel):
    id: int
    at: datetime
    action: str = Field(description="e.g. task.progress, task.done, extension.approved")
    actor: str
    source: str = Field(description="cli | telegram | zalo | web | api | scheduler | import")
    occurrence: Optional[str] = None
    detail: dict[str, Any]


class History(BaseModel):
    key: str
    items: list[HistoryEntry]


# -- reports: the JSON of `dondoc report --json` ----------------------------------------------------------

class GroupCountsOut(BaseModel):
    """The Government Office's four groups (reports.Group), the total and the on-time rate."""

    done_on_time: int
    done_late: int
    open_in_term: int
    open_overdue: int
    total: int
    on_time_rate: Optional[float] = None


Grade = Literal["excellent", "good", "complete", "not_complete"]  # reports.ratings.Grade
Color = Literal["green", "yellow", "red"]  # reports.ratings.Color


class AgencyFiguresOut(GroupCountsOut):
    agency: str
    code: str
    # Ratings after Nghị định 335/2025 (reports.ratings; docs/reports.md): present when the report is rated
    score: Optional[float] = None
    grade: Optional[Grade] = None
    rank: Optional[int] = None
    color: Optional[Color] = None
    returned: Optional[int] = None


class RatingRuleOut(BaseModel):
    on_time_points: float
    delay_penalty: float
    returned_is_delay: bool
    late_extension_excuses: bool
    thresholds: list[float]
    within_workdays: int


class AgencyRatingOut(BaseModel):
    code: str
    agency: str
    due: int
    done_on_time: int
    done_late: int
    open_overdue: int
    open_in_term: int
    returned: int
    score: Optional[float] = None
    grade: Optional[Grade] = None
    rank: Optional[int] = None
    color: Optional[Color] = None


class RatingsOut(BaseModel):
    rule: RatingRuleOut
    ranking: list[AgencyRatingOut]
    colors: dict[str, Color]


class PersonRatingOut(BaseModel):
    """A person handed work as chủ trì with an internal deadline, rated against it (reports.ratings.rate_people)."""

    person_id: int
    name: str
    agency_code: str
    agency: str
    department: Optional[str] = None
    due: int
    done_on_time: int
    done_late: int
    open_overdue: int
    open_in_term: int
    returned: int
    score: Optional[float] = None
    grade: Optional[Grade] = None
    rank: Optional[int] = None


class ReportPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    code: Optional[str] = None
    cutoff: str


class ReportOut(BaseModel):
    """Exactly `dondoc report --json` (docs/reports.md)."""

    period: ReportPeriod
    as_of: date
    agencies: list[AgencyFiguresOut]
    totals: GroupCountsOut
    ratings: Optional[RatingsOut] = None
    person_ratings: Optional[list[PersonRatingOut]] = None  # issue 23: people handed work (reports.ratings)
    overdue: list[dict[str, Any]]


# -- actions ----------------------------------------------------------------------------------------------

OCCURRENCE = Field(default=None, max_length=40, description="A recurring task's period (its due date, YYYY-MM-DD); "
                   "default: the current one")
NOTE = Field(default=None, max_length=4000)


class ProgressIn(Strict):
    occurrence: Optional[str] = OCCURRENCE
    percent: Optional[int] = Field(default=None, ge=0, le=100)
    note: Optional[str] = NOTE


class DoneIn(Strict):
    occurrence: Optional[str] = OCCURRENCE
    note: Optional[str] = Field(default=None, max_length=4000, description="The evidence: a report's number and "
                                "date, or a link to the result")


class ExtensionIn(Strict):
    occurrence: Optional[str] = OCCURRENCE
    requested_due: date
    reason: str = Field(min_length=1, max_length=4000)


class DecisionIn(Strict):
    approve: bool
    note: Optional[str] = NOTE


class ConfirmIn(Strict):
    occurrence: Optional[str] = OCCURRENCE
    approve: bool = Field(description="true: confirm the completion; false: send it back (the task is open again; "
                                      "`note` is then required: the reason the agency is told)")
    note: Optional[str] = NOTE


class ActionResult(BaseModel):
    key: str
    occurrence: str
    state: Literal["open", "done", "pending_confirmation"]
    message: str


# -- webhooks ---------------------------------------------------------------------------------------------

WebhookEvent = Literal["task.created", "task.changed", "task.done", "task.returned", "task.overdue",
                       "extension.decided"]


class WebhookIn(Strict):
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000)
    events: list[WebhookEvent] = Field(min_length=1)


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime
    secret: Optional[str] = Field(default=None, description="Shown once, when created: it signs every delivery")


class WebhookList(BaseModel):
    items: list[WebhookOut]


# -- query parameters (each field is one parameter in the document) ---------------------------------------

class Paging(Strict):
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class TaskQuery(Paging):
    agency: Optional[str] = Field(default=None, max_length=80, description="An agency code: the tasks it leads "
                                  "or coordinates")
    directive: Optional[str] = Field(default=None, max_length=120, description="A directive's number")
    status: Optional[TaskStatus] = None
    period: Optional[str] = Field(default=None, max_length=60, description='Due in this period, as `dondoc report '
                                  '--period` reads it, e.g. "Quy III/2026", "nam 2026", "thang 7/2026" (with or '
                                  'without diacritics)')
    q: Optional[str] = Field(default=None, max_length=200, description="Text in the key or the content "
                             "(without diacritics matches with them)")


class ReportQuery(Strict):
    period: Optional[str] = Field(default=None, max_length=60, description="Default: this quarter")
    agency: Optional[str] = Field(default=None, max_length=80)
    directive: Optional[str] = Field(default=None, max_length=120)
    cutoff: Optional[Literal["calendar", "nd09"]] = None
