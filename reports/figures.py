"""The figures of a report, computed from plain data (no database, no files).

The Government Office's tracking systems report tasks in four groups each quarter, six months and year:
đã hoàn thành đúng hạn / đã hoàn thành quá hạn / chưa hoàn thành trong hạn / chưa hoàn thành quá hạn.

Rules (docs/reports.md):
- a task counts in a period when a due date of it *as written* falls in the period (one row per occurrence
  for recurring work); continuous tasks ("Thường xuyên") have no due date and do not count;
- its group is its state at the end of the period, or today when the period has not ended (`as_of`);
- "on time" is judged against the deadline in force at `as_of` — the latest extension approved by then,
  moved to the next working day when it falls on a day off (Civil Code Art. 148(5));
- a completion awaiting the oversight body's confirmation is not done yet: it stays "chưa hoàn thành",
  overdue only if it was reported after the deadline in force (the agency is not blamed for a slow
  confirmation);
- the on-time rate is done on time ÷ all tasks of the period.

Periods: "Quý III/2026", "6 tháng đầu năm 2026", "6 tháng cuối năm 2026", "9 tháng đầu năm 2026",
"năm 2026", "tháng 7/2026" (and English "Q3 2026", "H1 2026", "2026"), or from/to dates. With the cut-off
of Nghị định 09/2019/NĐ-CP (`REPORT_CUTOFF=nd09`) a period runs from the 15th of the month before its first
month to the 14th of its last month (a quarter III: 15/6 – 14/9; the year: 15/12 of the year before – 14/12).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Mapping

from core.i18n import N_, _, format_date, quarter_numeral
from core.status import Status, compute_status

if TYPE_CHECKING:
    from reports.ratings import Ratings

CUTOFFS = ("calendar", "nd09")


def format_rate(rate: float | None, lang: str | None = None) -> str:
    """A share as a percentage with one decimal, written the language's way ("22,2%" in Vietnamese); "—" for
    none."""
    if rate is None:
        return "—"
    from babel.numbers import format_decimal

    from core.i18n import current_language

    return format_decimal(round(rate * 100, 1), format="#,##0.0", locale=lang or current_language()) + "%"


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is accepted."""


# -- periods ------------------------------------------------------------------------------------------------

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}  # "Quý V" is read, to be told that it does not exist
# kind → (first month, number of months) from its number
_SPANS = {
    "quarter": lambda n: (3 * (n - 1) + 1, 3),
    "half": lambda n: (1 if n == 1 else 7, 6),
    "nine": lambda n: (1, 9),
    "year": lambda n: (1, 12),
    "month": lambda n: (n, 1),
}


@dataclass(frozen=True)
class Period:
    """A reporting period (kỳ báo cáo): [start, end], both included.

    `kind` is quarter | half | nine | year | month | range; `number` the quarter (1-4), half (1-2) or month;
    `cutoff` is how its days were fixed (calendar | nd09; a range is always as given)."""

    kind: str
    year: int
    number: int
    start: date
    end: date
    cutoff: str = "calendar"

    @property
    def code(self) -> str:
        """A stable machine label: 2026-Q3, 2026-H1, 2026-9M, 2026, 2026-07, or 2026-07-01..2026-09-30."""
        return {"quarter": f"{self.year}-Q{self.number}", "half": f"{self.year}-H{self.number}",
                "nine": f"{self.year}-9M", "year": f"{self.year}", "month": f"{self.year}-{self.number:02d}",
                }.get(self.kind, f"{self.start.isoformat()}..{self.end.isoformat()}")

    def name(self, lang: str | None = None) -> str:
        """The period as an administrative text names it: "Quý III/2026", "6 tháng đầu năm 2026" …"""
        if self.kind == "quarter":
            return _("Q{number} {year}", lang, number=quarter_numeral(self.number, lang), year=self.year)
        if self.kind == "half":
            return (_("first half of {year}", lang, year=self.year) if self.number == 1
                    else _("second half of {year}", lang, year=self.year))
        if self.kind == "nine":
            return _("first nine months of {year}", lang, year=self.year)
        if self.kind == "year":
            return _("year {year}", lang, year=self.year)
        if self.kind == "month":
            return _("month {month}/{year}", lang, month=self.number, year=self.year)
        return _("from {start} to {end}", lang, start=format_date(self.start), end=format_date(self.end))

    def dates(self, lang: str | None = None) -> str:
        return _("from {start} to {end}", lang, start=format_date(self.start), end=format_date(self.end))

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def as_of(self, today: date) -> date:
        """The day the groups are judged on: the period's last day, or today if it has not ended."""
        return min(self.end, today)


def _bounds(kind: str, year: int, number: int, cutoff: str) -> tuple[date, date]:
    first_month, months = _SPANS[kind](number)
    last_month = first_month + months - 1
    if cutoff == "nd09":
        # Nghị định 09/2019/NĐ-CP, Art. 12: from the 15th of the month before to the 14th of the last month.
        start = date(year - 1, 12, 15) if first_month == 1 else date(year, first_month - 1, 15)
        return start, date(year, last_month, 14)
    start = date(year, first_month, 1)
    end = (date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)) - timedelta(days=1)
    return start, end


PERIOD_KIND_MISSING = {
    "quarter": N_("quarter {number} does not exist: a year has quarters 1 to {last} (I to IV)"),
    "half": N_("half {number} does not exist: a year has halves 1 and {last}"),
    "month": N_("month {number} does not exist: a year has months 1 to {last}"),
}


def make_period(kind: str, year: int, number: int = 1, cutoff: str = "calendar") -> Period:
    if cutoff not in CUTOFFS:
        raise PeriodError(_("unknown cut-off {value!r}; accepted: {accepted}", value=cutoff,
                            accepted=" | ".join(CUTOFFS)))
    if not 1900 <= year <= 2200:
        raise PeriodError(_("the year {year} is out of range", year=year))
    limits = {"quarter": 4, "half": 2, "month": 12}
    if kind in limits and not 1 <= number <= limits[kind]:
        raise PeriodError(_(PERIOD_KIND_MISSING[kind], number=number, last=limits[kind]))
    start, end = _bounds(kind, year, number, cutoff)
    return Period(kind, year, number, start, end, cutoff)


def period_between(start: date, end: date) -> Period:
    """A period from one date to another, both included (--from/--to; no cut-off applies)."""
    if end < start:
        raise PeriodError(_("the period ends ({end}) before it starts ({start})", end=format_date(end),
                            start=format_date(start)))
    return Period("range", start.year, 0, start, end, "calendar")


def current_period(today: date, kind: str = "quarter", cutoff: str = "calendar") -> Period:
    """The period of `kind` that contains `today` under `cutoff` (under nd09, 20/12/2026 is in Q1 2027)."""
    for year in (today.year, today.year + 1):
        numbers = {"quarter": range(1, 5), "half": range(1, 3), "month": range(1, 13)}.get(kind, [1])
        for n in numbers:
            p = make_period(kind, year, n, cutoff)
            if p.contains(today):
                return p
    return make_period(kind, today.year, 1, cutoff)  # unreachable: the periods cover every day


def _fold(text: str) -> str:
    """Lower case, no diacritics, đ → d, single spaces: "Quý III/2026" → "quy iii/2026"."""
    s = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", s)


_YEAR = r"(?:nam\s*)?(?P<year>\d{4})"
_SEP = r"\s*(?:[/\-.,]|\s)\s*(?:nam\s*)?"
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("quarter", re.compile(r"quy\s*(?P<n>iv|iii|ii|i|v|\d{1,2})" + _SEP + r"(?P<year>\d{4})")),
    ("quarter", re.compile(r"(?:q|quarter\s*)(?P<n>[1-4])" + r"\s*(?:[/\-.,]|\s|of)\s*(?P<year>\d{4})")),
    ("quarter", re.compile(r"(?P<year>\d{4})\s*-?\s*q(?P<n>[1-4])")),
    ("half", re.compile(r"6 thang (?P<w>dau|cuoi)(?: nam)?\s*" + _YEAR)),
    ("half", re.compile(r"(?P<w>first|second) half(?: of)?(?: year)?\s*(?P<year>\d{4})")),
    ("half", re.compile(r"h(?P<n>[12])\s*(?:[/\-.,]|\s|of)\s*(?P<year>\d{4})")),
    ("half", re.compile(r"(?P<year>\d{4})\s*-?\s*h(?P<n>[12])")),
    ("nine", re.compile(r"9 thang(?: dau)?(?: nam)?\s*" + _YEAR)),
    ("nine", re.compile(r"(?:first )?nine months(?: of)?\s*(?P<year>\d{4})")),
    ("nine", re.compile(r"(?P<year>\d{4})\s*-?\s*9m")),
    ("month", re.compile(r"(?:thang|month)\s*(?P<n>\d{1,2})" + _SEP + r"(?P<year>\d{4})")),
    ("month", re.compile(r"(?P<year>\d{4})-(?P<n>\d{2})")),
    ("year", re.compile(r"(?:ca |full )?(?:nam|year)\s*(?P<year>\d{4})")),
    ("year", re.compile(r"(?P<year>\d{4})")),
]

PERIOD_EXAMPLES = ('"Quý III/2026"', '"6 tháng đầu năm 2026"', '"6 tháng cuối năm 2026"', '"9 tháng đầu năm 2026"',
                   '"năm 2026"', '"tháng 7/2026"', '"Q3 2026"', '"H1 2026"', '"2026"')


def parse_period(text: str, cutoff: str = "calendar") -> Period:
    """Read a reporting period as people write it; PeriodError says what is accepted."""
    t = _fold(text)
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(t)
        if not m:
            continue
        g = m.groupdict()
        year = int(g["year"])
        if g.get("w"):
            number = 1 if g["w"] in ("dau", "first") else 2
        elif g.get("n"):
            number = ROMAN.get(g["n"]) or int(g["n"])
        else:
            number = 1
        return make_period(kind, year, number, cutoff)
    raise PeriodError(_("cannot read the period {text!r}; accepted: {examples}", text=text,
                        examples=", ".join(PERIOD_EXAMPLES)))


# -- the facts a report is computed from ---------------------------------------------------------------

@dataclass(frozen=True)
class ProgressFact:
    """A progress report (báo cáo tiến độ) given on a local date."""

    on: date
    percent: int | None
    note: str | None
    by: str


@dataclass(frozen=True)
class ExtensionFact:
    """A request for more time (xin gia hạn) and its decision (local dates)."""

    requested_on: date
    previous_due: date | None
    requested_due: date
    reason: str
    decision: str  # pending | approved | rejected
    decided_on: date | None = None
    decided_by: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class DueFact:
    """One due date of one task: a one-off task's deadline, or one period of a recurring task."""

    task_key: str
    occurrence_key: str  # "once" | ISO due date of the period
    content: str
    lead: str  # agency code
    deadline_text: str  # as written
    due: date  # as written
    state: str = "open"  # open | done | pending_confirmation, as stored now
    completed_on: date | None = None
    extended_due: date | None = None  # the deadline in force now (Occurrence.extended_due)
    directive: str | None = None  # số/ký hiệu
    kind: str = "once"  # once | recurring
    position: int = 0
    progress: tuple[ProgressFact, ...] = ()
    extensions: tuple[ExtensionFact, ...] = ()
    # The evidence of the completion in force (storage.completion): "123/BC-SNV (15/12/2013)" and file names.
    document: str | None = None
    files: tuple[str, ...] = ()
    # Local dates the oversight body returned a reported completion (trả lại): each is a delay in the ratings.
    returns: tuple[date, ...] = ()


# -- the figures ----------------------------------------------------------------------------------------

class Group(str, Enum):
    """The Government Office's four groups; the values are the JSON keys."""

    DONE_ON_TIME = "done_on_time"  # đã hoàn thành đúng hạn
    DONE_LATE = "done_late"  # đã hoàn thành quá hạn
    OPEN_IN_TERM = "open_in_term"  # chưa hoàn thành, trong hạn
    OPEN_OVERDUE = "open_overdue"  # chưa hoàn thành, quá hạn

    def label(self, lang: str | None = None) -> str:
        return _(GROUP_LABELS[self], lang)

    def short_label(self, lang: str | None = None) -> str:
        return _(GROUP_SHORT_LABELS[self], lang)


GROUP_LABELS = {
    Group.DONE_ON_TIME: N_("Done on time"),
    Group.DONE_LATE: N_("Done late"),
    Group.OPEN_IN_TERM: N_("Not done, within the deadline"),
    Group.OPEN_OVERDUE: N_("Not done, overdue"),
}
GROUP_SHORT_LABELS = {
    Group.DONE_ON_TIME: N_("Done, on time"),
    Group.DONE_LATE: N_("Done, late"),
    Group.OPEN_IN_TERM: N_("Open, in term"),
    Group.OPEN_OVERDUE: N_("Open, overdue"),
}
GROUPS = tuple(Group)


@dataclass
class GroupCounts:
    done_on_time: int = 0
    done_late: int = 0
    open_in_term: int = 0
    open_overdue: int = 0

    def add(self, group: Group) -> None:
        setattr(self, group.value, getattr(self, group.value) + 1)

    def get(self, group: Group) -> int:
        return getattr(self, group.value)

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def open(self) -> int:
        return self.open_in_term + self.open_overdue

    @property
    def total(self) -> int:
        return self.done + self.open

    @property
    def on_time_rate(self) -> float | None:
        """Done on time ÷ every task of the period (None when there is none)."""
        return self.done_on_time / self.total if self.total else None

    def to_json(self) -> dict:
        rate = self.on_time_rate
        return {**{g.value: self.get(g) for g in GROUPS}, "total": self.total,
                "on_time_rate": round(rate, 4) if rate is not None else None}


@dataclass
class ReportRow:
    """One due date of one task in the report, judged at `as_of`."""

    fact: DueFact
    lead_name: str
    in_force: date  # the deadline in force at as_of (extensions approved by then)
    effective_due: date  # … moved off a day off
    group: Group
    status: Status  # the tracking system's status at as_of (awaiting confirmation shows as such)
    done_on: date | None  # completion date if done by as_of
    workdays_late: int  # open overdue: working days from the deadline to as_of; done late: to completion
    last_progress: ProgressFact | None
    extensions: tuple[ExtensionFact, ...]  # requested by as_of

    @property
    def key(self) -> str:
        return self.fact.task_key

    @property
    def extended(self) -> bool:
        return self.in_force != self.fact.due

    def to_json(self) -> dict:
        f = self.fact
        p = self.last_progress
        return {
            "task": f.task_key, "occurrence": f.occurrence_key, "content": f.content,
            "agency": self.lead_name, "code": f.lead, "directive": f.directive,
            "deadline_text": f.deadline_text, "due": f.due.isoformat(), "due_in_force": self.in_force.isoformat(),
            "effective_due": self.effective_due.isoformat(), "group": self.group.value, "status": self.status.value,
            "completed_on": self.done_on.isoformat() if self.done_on else None, "workdays_late": self.workdays_late,
            "last_progress": None if p is None else {"date": p.on.isoformat(), "percent": p.percent, "note": p.note,
                                                     "by": p.by},
            "extensions": [{"requested_on": e.requested_on.isoformat(), "requested_due": e.requested_due.isoformat(),
                            "previous_due": e.previous_due.isoformat() if e.previous_due else None,
                            "reason": e.reason, "decision": e.decision,
                            "decided_on": e.decided_on.isoformat() if e.decided_on else None}
                           for e in self.extensions],
        }


@dataclass
class AgencyFigures:
    code: str
    name: str
    counts: GroupCounts = field(default_factory=GroupCounts)


@dataclass
class Report:
    """Everything every rendering shows: counts per agency and in total, the overdue list, every row."""

    period: Period
    as_of: date
    today: date
    agencies: list[AgencyFigures]
    totals: GroupCounts
    overdue: list[ReportRow]  # open and overdue at as_of, the longest overdue first
    rows: list[ReportRow]  # every due date counted, by agency then due date
    agency_filter: tuple[str, ...] = ()
    directive_filter: str | None = None
    ratings: "Ratings | None" = None  # reports.ratings: score, grade, rank per agency; colour today
    person_ratings: "list | None" = None  # reports.ratings.rate_people: per person handed work, with the ratings

    def rating_of(self, code: str):
        return self.ratings.of(code) if self.ratings is not None else None

    @property
    def ended(self) -> bool:
        return self.today > self.period.end

    def to_json(self) -> dict:
        """The figures for other systems (the province's reporting system, LGSP): docs/reports.md."""
        return {
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                       "code": self.period.code, "cutoff": self.period.cutoff},
            "as_of": self.as_of.isoformat(),
            "agencies": [{"agency": a.name, "code": a.code, **a.counts.to_json(), **self._rating_json(a.code)}
                         for a in self.agencies],
            "totals": self.totals.to_json(),
            **({"ratings": {"rule": self.ratings.rule.to_json(),
                            "ranking": [r.to_json() for r in self.ratings.agencies],
                            "colors": {code: c.value for code, c in sorted(self.ratings.colors.items())}}}
               if self.ratings is not None else {}),
            **({"person_ratings": [p.to_json() for p in self.person_ratings]}
               if self.person_ratings is not None else {}),
            "overdue": [r.to_json() for r in self.overdue],
        }

    def _rating_json(self, code: str) -> dict:
        r = self.rating_of(code)
        if r is None:
            return {}
        return {"score": r.score, "grade": r.grade.value if r.grade else None, "rank": r.rank,
                "color": r.color.value if r.color else None, "returned": r.returned}


def deadline_in_force(fact: DueFact, as_of: date) -> date:
    """The latest extension approved by `as_of`, else the due date as written. A stored extended due date
    with no extension on record (an import) counts from the start."""
    approved = [e for e in fact.extensions if e.decision == "approved"]
    if not approved:
        return fact.extended_due or fact.due
    by_then = [e for e in approved if e.decided_on is None or e.decided_on <= as_of]
    if not by_then:
        return fact.due
    return max(by_then, key=lambda e: (e.decided_on or date.min, e.id or 0)).requested_due


def judge(fact: DueFact, as_of: date, calendar, shift: bool = True, memo: dict | None = None,
          due_soon_days: int = 3) -> tuple[Group, Status, date, date, date | None, int]:
    """(group, status, deadline in force, effective due, done on, working days late) of `fact` at `as_of`.
    `memo` (a dict kept over many calls) saves recounting the working days between the same two dates."""
    in_force = deadline_in_force(fact, as_of)
    effective = calendar.effective_due(in_force, shift=True) if (shift and calendar is not None) else in_force
    memo = {} if memo is None else memo

    def late_days(a: date, b: date) -> int:
        if b <= a:
            return 0
        if calendar is None:
            return (b - a).days
        if (a, b) not in memo:
            memo[(a, b)] = calendar.workdays_between(a, b)
        return memo[(a, b)]

    if fact.state == "done" and fact.completed_on is None:  # no date on record: done, as core.status judges it
        return Group.DONE_ON_TIME, Status.DONE_ON_TIME, in_force, effective, None, 0
    completed = fact.completed_on if fact.completed_on is not None and fact.completed_on <= as_of else None
    if fact.state == "done" and completed is not None:
        on_time = completed <= effective
        group = Group.DONE_ON_TIME if on_time else Group.DONE_LATE
        status = compute_status(effective_due=effective, today=as_of, state="done", completed_on=completed)
        return group, status, in_force, effective, completed, 0 if on_time else late_days(effective, completed)
    if fact.state == "pending_confirmation" and completed is not None:
        late = completed > effective
        return (Group.OPEN_OVERDUE if late else Group.OPEN_IN_TERM, Status.PENDING_CONFIRMATION, in_force, effective,
                None, late_days(effective, completed) if late else 0)
    status = compute_status(effective_due=effective, today=as_of, state="open", due_soon_days=due_soon_days)
    if as_of > effective:
        return Group.OPEN_OVERDUE, status, in_force, effective, None, late_days(effective, as_of)
    return Group.OPEN_IN_TERM, status, in_force, effective, None, 0


def _as_seen(e: ExtensionFact, as_of: date) -> ExtensionFact:
    """An extension as it stood at `as_of`: one decided later was still pending then."""
    if e.decision != "pending" and e.decided_on is not None and e.decided_on > as_of:
        return replace(e, decision="pending", decided_on=None, decided_by=None)
    return e


@lru_cache(maxsize=4096)
def _name_key(name: str) -> tuple:
    return (_fold(name), name)


def compute_report(facts: Iterable[DueFact], *, period: Period, today: date, calendar=None, shift: bool = True,
                   names: Mapping[str, str] | None = None, agency_filter: Iterable[str] = (),
                   directive_filter: str | None = None, due_soon_days: int = 3) -> Report:
    """The report of `period` on `today` from the due dates in it (facts outside the period are ignored).

    `calendar` (core.workdays.WorkCalendar) shifts deadlines off days off and counts working days late;
    `names` maps agency codes to display names; the filters are only recorded (the caller chose the facts).
    """
    names = names or {}
    as_of = period.as_of(today)
    rows: list[ReportRow] = []
    memo: dict = {}
    for f in facts:
        if not period.contains(f.due):
            continue
        group, status, in_force, effective, done_on, late = judge(f, as_of, calendar, shift, memo, due_soon_days)
        progress = [p for p in f.progress if p.on <= as_of]
        rows.append(ReportRow(
            fact=f, lead_name=names.get(f.lead, f.lead), in_force=in_force, effective_due=effective, group=group,
            status=status, done_on=done_on, workdays_late=late,
            last_progress=progress[-1] if progress else None,
            extensions=tuple(_as_seen(e, as_of) for e in f.extensions if e.requested_on <= as_of),
        ))
    rows.sort(key=lambda r: (_name_key(r.lead_name), r.fact.due, r.fact.directive or "", r.fact.position, r.key))
    by_agency: dict[str, AgencyFigures] = {}
    totals = GroupCounts()
    for r in rows:
        a = by_agency.setdefault(r.fact.lead, AgencyFigures(r.fact.lead, r.lead_name))
        a.counts.add(r.group)
        totals.add(r.group)
    agencies = sorted(by_agency.values(), key=lambda a: _name_key(a.name))
    overdue = sorted((r for r in rows if r.group == Group.OPEN_OVERDUE),
                     key=lambda r: (-r.workdays_late, r.effective_due, _name_key(r.lead_name), r.key))
    return Report(period=period, as_of=as_of, today=today, agencies=agencies, totals=totals, overdue=overdue,
                  rows=rows, agency_filter=tuple(agency_filter), directive_filter=directive_filter)
