"""Ratings (xếp loại) of the agencies for a period, and their colour for today. Pure: report rows in, figures out.

Nghị định 335/2025/NĐ-CP (from 1/1/2026) rates agencies and civil servants monthly or quarterly; on progress
(tiến độ) each delay takes 25 % of an item's points. The rule here is a setting (`RatingRule`):

- an item is one due date counted in the period (a row of the four-group report);
- done by the deadline: `on_time_points` (100); each delay takes `delay_penalty` (25 %) of them, never below 0;
- done after the deadline: one delay. The deadline is the one in force when the work was due: an extension
  approved on or before the deadline then in force moves it (no delay); one approved after it had passed does
  not excuse the delay (`late_extension_excuses=False`), though the four groups count against it;
- each completion returned by the oversight body (trả lại) is one more delay (`returned_is_delay`);
- a completion awaiting confirmation is scored by the day it was reported: a slow review is not the agency's;
- open and overdue at the period's end (or today, while the period runs): 0 points;
- open and not yet due: not scored (it still counts among the tasks due in the period).

An agency's score is the mean of its scored items; grade: ≥ 90 xuất sắc, 70–< 90 tốt, 50–< 70 hoàn thành,
< 50 không hoàn thành (`thresholds`). Ranking: by score, equal scores share a rank, unscored agencies last.

Colour for today (the national dashboard's green / yellow / red): red when anything the agency leads is open
and overdue; yellow when something open is due within `within_workdays` working days; green otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from typing import Iterable, Mapping

from core.i18n import N_, _

__all__ = ["RatingRule", "Grade", "Color", "ItemScore", "AgencyRating", "Ratings", "OpenItem", "score_item",
           "rate", "agency_colors", "grade_of",
           "rating_headers", "format_score", "Delegate", "PersonRating", "rate_people", "person_rating_headers"]


class Grade(str, Enum):
    """The four grades of Nghị định 335/2025; the values are the JSON's."""

    EXCELLENT = "excellent"  # hoàn thành xuất sắc
    GOOD = "good"  # hoàn thành tốt
    COMPLETE = "complete"  # hoàn thành
    NOT_COMPLETE = "not_complete"  # không hoàn thành

    def label(self, lang: str | None = None) -> str:
        return _(GRADE_LABELS[self], lang)


GRADE_LABELS = {
    Grade.EXCELLENT: N_("Excellent"),
    Grade.GOOD: N_("Good"),
    Grade.COMPLETE: N_("Complete"),
    Grade.NOT_COMPLETE: N_("Not complete"),
}


class Color(str, Enum):
    """An agency's state today, as the national dashboard colours provinces."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    def label(self, lang: str | None = None) -> str:
        return _(COLOR_LABELS[self], lang)


COLOR_LABELS = {
    Color.GREEN: N_("Green: nothing overdue or close"),
    Color.YELLOW: N_("Yellow: due soon"),
    Color.RED: N_("Red: overdue"),
}


@dataclass(frozen=True)
class RatingRule:
    """How progress is scored (a setting: RATING_DELAY_PENALTY, RATING_RETURN_IS_DELAY, COLOR_DUE_SOON_WORKDAYS)."""

    on_time_points: float = 100.0
    delay_penalty: float = 0.25  # the share of on_time_points each delay takes
    returned_is_delay: bool = True
    late_extension_excuses: bool = False
    thresholds: tuple[float, float, float] = (90.0, 70.0, 50.0)  # excellent, good, complete
    within_workdays: int = 3  # yellow: due within this many working days

    @property
    def penalty_text(self) -> str:
        """The delay penalty as written in the texts: "25%"."""
        return f"{self.delay_penalty:.0%}"

    @classmethod
    def from_settings(cls, settings) -> "RatingRule":
        penalty = getattr(settings, "rating_delay_penalty", 25)
        return cls(delay_penalty=float(penalty) / 100,
                   returned_is_delay=bool(getattr(settings, "rating_return_is_delay", True)),
                   within_workdays=int(getattr(settings, "color_due_soon_workdays", 3)))

    def to_json(self) -> dict:
        return {"on_time_points": self.on_time_points, "delay_penalty": self.delay_penalty,
                "returned_is_delay": self.returned_is_delay, "late_extension_excuses": self.late_extension_excuses,
                "thresholds": list(self.thresholds), "within_workdays": self.within_workdays}


def rating_headers(lang: str | None = None) -> list[str]:
    """The ratings' columns, the same in the XLSX, the DOCX, the console and the terminal."""
    return [_("Rank", lang), _("Agency", lang), _("Tasks due", lang), _("Done on time", lang), _("Done late", lang),
            _("Not done, overdue", lang), _("Returned", lang), _("Progress score", lang), _("Grade", lang),
            _("Today", lang)]


def format_score(score: float | None, lang: str | None = None) -> str:
    """A score with one decimal the language's way ("87,5"); "—" when nothing was scored."""
    if score is None:
        return "—"
    from babel.numbers import format_decimal

    from core.i18n import current_language

    return format_decimal(score, format="#,##0.0", locale=lang or current_language())


def grade_of(score: float | None, rule: RatingRule = RatingRule()) -> Grade | None:
    if score is None:
        return None
    excellent, good, complete = rule.thresholds
    if score >= excellent:
        return Grade.EXCELLENT
    if score >= good:
        return Grade.GOOD
    if score >= complete:
        return Grade.COMPLETE
    return Grade.NOT_COMPLETE


@dataclass(frozen=True)
class ItemScore:
    """How one due date was scored. outcome: on_time | late | open_overdue | in_term (not scored)."""

    task_key: str
    occurrence_key: str
    agency: str
    outcome: str
    delays: int
    returned: int
    points: float | None  # None: not scored


def rating_deadline(fact, calendar=None, shift: bool = True, *, as_of: date,
                    late_extension_excuses: bool = False) -> date:
    """The deadline an item is rated against at `as_of`: the written due date, moved by each extension approved
    by `as_of` on or before the deadline then in force (one approved after it had passed moves it only with
    `late_extension_excuses`)."""
    def effective(d: date) -> date:
        return calendar.effective_due(d, shift=True) if (shift and calendar is not None) else d

    if not any(e.decision == "approved" for e in fact.extensions):
        # A deadline stored as extended with no extension on record (an import) counts from the start.
        return fact.extended_due or fact.due
    approved = sorted((e for e in fact.extensions if e.decision == "approved"
                       and (e.decided_on is None or e.decided_on <= as_of)),
                      key=lambda e: (e.decided_on or date.min, e.id or 0))
    deadline = fact.due
    for e in approved:
        if e.decided_on is None or e.decided_on <= effective(deadline) or late_extension_excuses:
            deadline = e.requested_due
    return deadline


def score_item(row, *, as_of: date, rule: RatingRule = RatingRule(), calendar=None, shift: bool = True) -> ItemScore:
    """Score one row of `reports.figures.compute_report` (its fact) as it stood at `as_of`."""
    f = row.fact
    returned = sum(1 for d in f.returns if d <= as_of)
    deadline = rating_deadline(f, calendar, shift, as_of=as_of, late_extension_excuses=rule.late_extension_excuses)
    effective = calendar.effective_due(deadline, shift=True) if (shift and calendar is not None) else deadline
    extra = returned if rule.returned_is_delay else 0

    def points(delays: int) -> float:
        return max(0.0, rule.on_time_points * (1 - rule.delay_penalty * delays))

    done = f.state in ("done", "pending_confirmation")
    if done and f.completed_on is None and f.state == "done":
        return ItemScore(f.task_key, f.occurrence_key, f.lead, "on_time", extra, returned, points(extra))
    if done and f.completed_on is not None and f.completed_on <= as_of:
        late = f.completed_on > effective
        delays = int(late) + extra
        return ItemScore(f.task_key, f.occurrence_key, f.lead, "late" if late else "on_time", delays, returned,
                         points(delays))
    if as_of > effective:
        return ItemScore(f.task_key, f.occurrence_key, f.lead, "open_overdue", 1 + extra, returned, 0.0)
    return ItemScore(f.task_key, f.occurrence_key, f.lead, "in_term", extra, returned, None)


@dataclass(kw_only=True)
class Tally:
    """The scored due dates of one agency or one person in the period, and the score, grade and rank they make."""

    due: int = 0  # due dates counted in the period
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    in_term: int = 0
    returned: int = 0
    scored: int = 0
    score: float | None = None
    grade: Grade | None = None
    rank: int | None = None
    points: float = field(default=0.0, repr=False, compare=False)  # the scored items' points, summed

    def count(self, s: ItemScore) -> None:
        self.due += 1
        self.returned += s.returned
        self.on_time += s.outcome == "on_time"
        self.late += s.outcome == "late"
        self.open_overdue += s.outcome == "open_overdue"
        self.in_term += s.outcome == "in_term"
        if s.points is not None:
            self.scored += 1
            self.points += s.points

    def settle(self, rule: RatingRule) -> None:
        if self.scored:
            self.score = round(self.points / self.scored, 1)
        self.grade = grade_of(self.score, rule)


def _rank(ranked: list) -> None:
    """Rank tallies already sorted best first: equal scores share a rank, the next one skips (1, 1, 3)."""
    previous, rank = None, 0
    for i, t in enumerate(ranked, start=1):
        if t.score is None:
            continue
        if t.score != previous:
            rank, previous = i, t.score
        t.rank = rank


@dataclass
class AgencyRating(Tally):
    """One agency's rating for the period, and its colour today."""

    code: str
    name: str
    color: Color | None = None

    def to_json(self) -> dict:
        return {"code": self.code, "agency": self.name, "due": self.due, "done_on_time": self.on_time,
                "done_late": self.late, "open_overdue": self.open_overdue, "open_in_term": self.in_term,
                "returned": self.returned, "score": self.score,
                "grade": self.grade.value if self.grade else None, "rank": self.rank,
                "color": self.color.value if self.color else None}


@dataclass
class Ratings:
    """Every agency's rating, best first; `colors` also holds agencies with nothing due in the period."""

    rule: RatingRule
    agencies: list[AgencyRating]
    colors: dict[str, Color] = field(default_factory=dict)
    items: list[ItemScore] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # code → display name, for every agency in `colors`

    def by_color(self) -> dict[Color, list[tuple[str, str]]]:
        """(code, name) of the agencies of each colour, red first, by name: the console's grid."""
        grid: dict[Color, list[tuple[str, str]]] = {c: [] for c in (Color.RED, Color.YELLOW, Color.GREEN)}
        for code, color in self.colors.items():
            grid[color].append((code, self.names.get(code, code)))
        for cells in grid.values():
            cells.sort(key=lambda cell: (cell[1].casefold(), cell[0]))
        return grid

    def of(self, code: str) -> AgencyRating | None:
        return next((a for a in self.agencies if a.code == code), None)


def rate(rows: Iterable, *, as_of: date, rule: RatingRule = RatingRule(), calendar=None, shift: bool = True,
         names: Mapping[str, str] | None = None, colors: Mapping[str, Color] | None = None) -> Ratings:
    """Ratings of the agencies leading `rows` (report rows, judged at `as_of`), ranked; `colors` from
    `agency_colors` for today."""
    names = names or {}
    by_agency: dict[str, AgencyRating] = {}
    items = []
    for row in rows:
        s = score_item(row, as_of=as_of, rule=rule, calendar=calendar, shift=shift)
        items.append(s)
        a = by_agency.setdefault(s.agency, AgencyRating(s.agency, getattr(row, "lead_name", None)
                                                        or names.get(s.agency, s.agency)))
        a.count(s)
    colors = dict(colors or {})
    for a in by_agency.values():
        a.settle(rule)
        a.color = colors.get(a.code, Color.GREEN)
        colors.setdefault(a.code, a.color)
    ranked = sorted(by_agency.values(), key=lambda a: (a.score is None, -(a.score or 0), a.name))
    _rank(ranked)
    known = {**names, **{a.code: a.name for a in by_agency.values()}}
    return Ratings(rule=rule, agencies=ranked, colors=colors, items=items,
                   names={code: known.get(code, code) for code in colors})


@dataclass(frozen=True)
class OpenItem:
    """Something an agency leads that is not done (done items need not be given), with its deadline in force
    moved off a day off (None: continuous work, never late)."""

    agency: str
    effective_due: date | None
    done: bool = False


def agency_colors(items: Iterable[OpenItem], *, today: date, calendar=None, within_workdays: int = 3,
                  agencies: Iterable[str] = ()) -> dict[str, Color]:
    """Green / yellow / red per agency for `today`; `agencies` listed with nothing open are green."""
    colors = {code: Color.GREEN for code in agencies}
    for item in items:
        current = colors.setdefault(item.agency, Color.GREEN)
        if item.done or item.effective_due is None or current == Color.RED:
            continue
        if item.effective_due < today:
            colors[item.agency] = Color.RED
            continue
        ahead = (calendar.workdays_between(today, item.effective_due) if calendar is not None
                 else (item.effective_due - today).days)
        if ahead <= within_workdays:
            colors[item.agency] = Color.YELLOW
    return colors


# -- people ----------------------------------------------------------------------------------------------------
# Ratings per person (xếp loại cá nhân), as Nghị định 335/2025/NĐ-CP rates civil servants too. Pure: report rows
# and who was handed each occurrence in, figures out.
#
# A person is rated on the occurrences their agency handed them as chủ trì with an internal deadline (hạn nội bộ,
# storage/delegation.py): tasks due (internal deadlines in the period's rows), done on time, done late, open and
# overdue, returned — scored by the agencies' rule (`reports.ratings.score_item`, the same `RatingRule`), but
# against the internal deadline: it is the one they were given. The agency's extensions do not move it (a new
# hand-over with a later internal deadline does); the completion is the occurrence's (a person leading it closes
# it for the agency). Ranked within the period like the agencies; equal scores share a rank.


@dataclass(frozen=True)
class Delegate:
    """The person an occurrence was handed to as chủ trì, with their internal deadline."""

    person_id: int
    name: str
    agency: str  # their agency (the task's lead when handed)
    due: date  # the internal deadline
    department: str | None = None


@dataclass
class PersonRating(Tally):
    person_id: int
    name: str
    agency: str
    agency_name: str
    department: str | None = None
    items: list[ItemScore] | None = None

    def to_json(self) -> dict:
        return {"person_id": self.person_id, "name": self.name, "agency_code": self.agency,
                "agency": self.agency_name, "department": self.department, "due": self.due,
                "done_on_time": self.on_time, "done_late": self.late, "open_overdue": self.open_overdue,
                "open_in_term": self.in_term, "returned": self.returned, "score": self.score,
                "grade": self.grade.value if self.grade else None, "rank": self.rank}


@dataclass(frozen=True)
class _Row:
    fact: object


def rate_people(rows: Iterable, delegates: Mapping[tuple[str, str], Delegate], *, as_of: date,
                rule: RatingRule = RatingRule(), calendar=None, shift: bool = True,
                names: Mapping[str, str] | None = None) -> list[PersonRating]:
    """Every person handed one of `rows`' occurrences (`delegates`: (task key, occurrence key) → Delegate), rated
    at `as_of`, best first. Rows of an agency other than the delegate's (the task changed hands since) are not
    theirs and are left out."""
    names = names or {}
    people: dict[int, PersonRating] = {}
    for row in rows:
        f = row.fact
        d = delegates.get((f.task_key, f.occurrence_key))
        if d is None or d.agency != f.lead:
            continue
        own = replace(f, due=d.due, extended_due=None, extensions=())  # the internal deadline, as given
        s = score_item(_Row(own), as_of=as_of, rule=rule, calendar=calendar, shift=shift)
        p = people.setdefault(d.person_id, PersonRating(d.person_id, d.name, d.agency,
                                                        names.get(d.agency, d.agency), d.department, items=[]))
        p.items.append(s)
        p.count(s)
    for p in people.values():
        p.settle(rule)
    ranked = sorted(people.values(), key=lambda p: (p.score is None, -(p.score or 0), p.agency_name, p.name,
                                                    p.person_id))
    _rank(ranked)
    return ranked


def person_rating_headers(lang: str | None = None) -> list[str]:
    """The columns of the people's ratings, the same in the XLSX and the console."""
    return [_("Rank", lang), _("Person", lang), _("Agency", lang), _("Tasks due", lang), _("Done on time", lang),
            _("Done late", lang), _("Not done, overdue", lang), _("Returned", lang), _("Progress score", lang),
            _("Grade", lang)]
