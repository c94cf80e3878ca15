"""`parse_deadline`: the deadline a text holds, or `DeadlineError` saying why there is none.

The pipeline: every pattern's matches on the folded text (`core.deadline.patterns`), the longest kept where
they overlap, ranges joined ("từ ngày 1/6 đến ngày 30/6/2018"); each match's role decided by the words
before it (a deadline after "trước", "chậm nhất" …; not one after "kể từ", "tính đến" …; a date mentioned in
passing ignored); then one `Deadline` out of what is left — recurring, once or continuous — or an error
when the text holds none, or more than one for one task. The readings of one match are in `once` and
`recurring`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from core.i18n import N_, _
from core.deadline import context as _context
from core.deadline import regime as _regime
from core.deadline.model import _UNITS, Deadline, DeadlineError, _dt, _last_day, _rule
from core.deadline.once import _OnceReadings, _months_of_year
from core.deadline.patterns import (
    _ALSO, _ATOMS, _CLOSE_PAREN, _CONTINUOUS, _LIST_CONNECTOR, _MARKER, _NEG_REASON, _NEGATIVE, _ONLY_PUNCT,
    _PERIOD_KINDS, _PERIODIC_ALONE, _PRIORITY, _RANGE_CONNECTOR, _RANGE_KINDS, _RECURRING, _REL_PRE_ALONE,
    _STRONG, _Match,
)
from core.deadline.recurring import _RecurringReadings
from core.deadline.text import _Text
from core.deadline.words import _bymonthday, _month, _quarter, _short
from core.workdays import WorkCalendar


@dataclass
class _Once:
    words: str
    due: date
    strong: bool  # governed by "trước", "chậm nhất", "không quá" …: the date the sender must meet
    yearless: tuple[int, int] | None  # (day, month) of a date written without its year
    start: int
    end: int
    begins: date | None = None  # "từ tháng 12/2026 đến tháng 3/2027": the first day of the span, if one


@dataclass
class _Rule:
    words: str
    rrule: str
    periods: tuple[str, ...]
    specific: bool  # names a day ("ngày 20 hằng tháng"), not only a period ("hằng quý")
    start: int
    end: int
    converted: bool = False  # a year-less date made yearly by the report period around it


def parse_deadline(text: str, issued: date, calendar: WorkCalendar | None = None) -> Deadline:
    """Read the deadline in `text` for a directive issued on `issued`.

    Year-less dates and periods are their next occurrence on or after `issued`; relative periods
    ("trong vòng 15 ngày kể từ ngày ký") count from the day after `issued` (Art. 147), working days
    on `calendar` (default: the built-in `WorkCalendar()`). Raises DeadlineError, nothing else.
    """
    if not isinstance(text, str):
        raise DeadlineError(_("expected the deadline as text, not {type}", type=type(text).__name__))
    if isinstance(issued, datetime):
        issued = issued.date()
    if not isinstance(issued, date):
        raise TypeError(f"issued must be a date, not {type(issued).__name__}")
    t = _Text(text)
    if not t.fold.strip():
        raise DeadlineError(_("no deadline: the text is empty"))
    return _Reader(t, issued, calendar).read()


class _Reader(_OnceReadings, _RecurringReadings):
    """One text read for one issue date: `read()` is the pipeline; a match's own reading comes from
    `_OnceReadings` (core.deadline.once) or `_RecurringReadings` (core.deadline.recurring)."""

    def __init__(self, t: _Text, issued: date, calendar: WorkCalendar | None):
        self.t = t
        self.fold = t.fold
        self.issued = issued
        self._calendar = calendar
        self._after: set[str] = set()  # rules read as due in the period after the one they close

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = _default_calendar()
        return self._calendar

    # -- the pipeline ------------------------------------------------------------------------------
    def read(self) -> Deadline:
        matches = self._non_overlapping(self._all_matches())
        matches = self._merge_ranges(matches)
        cutoffs = _context.cutoff_spans(self.fold)

        once: list[_Once] = []
        recurring: list[_Rule] = []
        continuous: list[str] = []
        continuous_at: list[tuple[int, int]] = []
        continuous_from: list[date | None] = []
        lists: list[tuple[str, list[date], int, int]] = []
        not_deadlines: list[str] = []
        last: _Once | None = None
        for mt in matches:
            if _context.inside(cutoffs, mt.start):  # "số liệu … tính từ ngày 15/12 năm trước đến hết ngày 14/12"
                not_deadlines.append(_('"{text}" {reason}', text=_short(self.t.span(mt.start, mt.end)),
                                       reason=_("is a reporting period or data cut-off, not a deadline")))
                continue
            if mt.kind == "continuous":
                noun = _context.noun_described(self.fold, mt.start)
                if noun:  # "các công việc thường xuyên": a kind of work, not a duty that never ends
                    not_deadlines.append(_('"{text}" describes "{noun}" here, not a continuous duty',
                                           text=_short(self.t.span(mt.start, mt.end)),
                                           noun=self.t.span(mt.start - len(noun) - 1, mt.start - 1)))
                    continue
                continuous.append(self.t.span(mt.start, mt.end))
                continuous_at.append((mt.start, mt.end))
                continuous_from.append(None)
                continue
            if mt.kind == "recurring":
                words = self.t.span(mt.start, mt.end)
                got = self._read_recurring(mt)
                if isinstance(got, date):  # "trước ngày 15 của tháng sau" with no report period: one day
                    last = _Once(words, got, bool(_STRONG.match(self.fold, mt.start)), None, mt.start, mt.end)
                    once.append(last)
                else:
                    recurring.append(_Rule(words, *got, mt.start, mt.end))
                continue
            start, role = self._role(mt)
            begins = self._begins_alone(mt, start, role)
            if begins is not None:
                # "Từ tháng 01/2027" alone (an appendix's time cell): the work goes on from then, continuous.
                continuous.append(self.t.span(start, mt.end).strip())
                continuous_at.append((start, mt.end))
                continuous_from.append(begins)
                continue
            inherited = role is None and last is not None and bool(_ALSO.fullmatch(self.fold, last.end, mt.start))
            if inherited:
                role = "deadline"  # "trước ngày 5/6/2018 và ngày 5/12/2018": the marker covers both
            words = self.t.span(start, mt.end).strip()
            if role == "deadline":
                g = mt.m.groupdict() if mt.m is not None else {}
                yearless = (int(g["d"]), int(g["m"])) if mt.kind == "date" and not (g.get("y") or g.get("y2")) else None
                strong = bool(_STRONG.match(self.fold, start)) or (inherited and last.strong)
                listed = self._listed_dues(mt, words)
                if listed:  # "Tháng 7/2027 và tháng 12/2027": due at the end of each
                    lists.append((words, listed, start, mt.end))
                    continue
                last = _Once(words, self._read_once(mt, words), strong, yearless, start, mt.end,
                             self._span_begins(mt, start, words))
                once.append(last)
            elif role is not None:
                not_deadlines.append(_('"{text}" {reason}', text=_short(words), reason=_(role)))

        if lists and (len(lists) > 1 or once or recurring or continuous):
            # beside another deadline each listed period is one more due date: "more than one deadline" below
            once += [_Once(w, d, False, None, a, b) for w, dues, a, b in lists for d in dues]
            lists = []
        if lists:
            return self._listed(*lists[0])
        # "trước ngày 25 hằng tháng, từ tháng 12/2026 đến tháng 3/2027": the schedule holds over that span only
        # (bool(): `recurring` itself would alias the list the year-less days are added to below)
        bounded = (bool(recurring) and bool(once) and all(o.begins is not None and not o.strong for o in once)
                   and len({(o.begins, o.due) for o in once}) == 1)
        if bounded:
            begins, until = once[0].begins, once[0].due
            lo = min([r.start for r in recurring] + [o.start for o in once])
            hi = max([r.end for r in recurring] + [o.end for o in once])
            once = []
        # "báo cáo sơ kết 6 tháng trước ngày 10/6 và báo cáo năm trước ngày 10/12": year-less days in a duty
        # that names a report period are yearly due dates, one rule each.
        if once and all(o.yearless for o in once) and (recurring or _regime.CUE.search(self.fold)):
            for o in once:
                d, m = o.yearless
                recurring.append(_Rule(o.words, f"FREQ=YEARLY;BYMONTH={m};" + _bymonthday(d), ("year",), True,
                                       o.start, o.end, converted=True))
            once = []
        if (recurring and once and not any(r.specific for r in recurring) and not any(o.yearless for o in once)
                and any(o.strong or _COMPLETION.search(self.fold, 0, o.start) for o in once)
                and all(_context.describes_work(self.fold, r.start) for r in recurring)):
            # "xây dựng kế hoạch kiểm tra định kỳ hằng năm, trình UBND tỉnh trước ngày 31/3/2026": the period
            # names the kind of work; the dated "trước …" — or "hoàn thành trong tháng 4/2027", "thời hạn hoàn
            # thành: …" — is when this duty is due, once.
            recurring = []
        if recurring:
            if once:
                raise DeadlineError(_(
                    'both a one-off deadline ("{once}") and a recurring one ("{recurring}") in "{text}"; '
                    'give one per task', once=_short(once[0].words), recurring=_short(recurring[0].words),
                    text=_short(self.t.original)))
            written = recurring  # every schedule word, the bare periods the days detail included
            recurring = _most_specific(recurring)
            if len({r.rrule for r in recurring}) > 1 and not all(r.specific for r in recurring):
                listed = ", ".join(f'"{_short(r.words)}"' for r in recurring)
                raise DeadlineError(_("more than one recurring schedule ({listed}); give one per task", listed=listed))
            rules = _without_subsumed(list(dict.fromkeys(r.rrule for r in recurring)), self.issued)
            if bounded:
                rules = [f"{r};UNTIL={until:%Y%m%d}" for r in rules]
            since = max(self.issued, begins) if bounded else self.issued
            first = _rule(tuple(rules), since).after(_dt(since), inc=True)
            if bounded:
                words = self.t.span(lo, hi)
            elif len(recurring) == 1:
                words = recurring[0].words
            else:
                # "định kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12)": the whole schedule, its
                # brackets closed.
                lo, hi = min(r.start for r in written), max(r.end for r in written)
                while self.fold.count("(", lo, hi) > self.fold.count(")", lo, hi):
                    close = re.match(r"\s*\)", self.fold[hi:])
                    if not close:
                        break
                    hi += close.end()
                words = self.t.span(lo, hi)
            if first is None:  # a span already over; otherwise every rule here recurs forever
                raise DeadlineError(_('"{text}" has no due date after {date}', text=_short(words),
                                       date=self.issued.strftime("%d/%m/%Y")))
            units = {u for r in recurring for u in r.periods}
            return Deadline("recurring", self.t.original, words, rrule=rules[0], start=first.date(),
                            periods=tuple(u for u in _UNITS if u in units), rrules=tuple(rules),
                            after_period=all(r.rrule in self._after for r in recurring))
        if once and continuous_at and len({o.due for o in once}) == 1 and all(
                not o.strong and any(_BOUNDS.fullmatch(self.fold, c_end, o.start) for _c, c_end in continuous_at)
                for o in once):
            # "Thường xuyên trong năm 2027": a continuous duty, the period only bounds it (until its end)
            return Deadline("continuous", self.t.original, self.t.span(continuous_at[0][0], once[-1].end),
                            due=once[0].due)
        if once:
            dues = {o.due for o in once}
            strong = [o for o in once if o.strong]
            if len(dues) > 1 and strong and len({o.due for o in strong}) == 1:
                # "từ ngày 01/3 đến ngày 31/3/2020 …, báo cáo … trước ngày 05/4/2020": the dates of the work
                # itself give way to the one the sender must meet ("trước", "chậm nhất", "không quá").
                once, dues = strong, {strong[0].due}
            if len(dues) > 1 and (staged := self._stages(once)) is not None:
                return staged  # "đợt 1 trước 30/6/2027; đợt 2 trước 30/11/2027": due on each
            if len(dues) > 1:
                listed = "; ".join(f'"{_short(o.words)}" ({o.due:%d/%m/%Y})' for o in once[:3])
                raise DeadlineError(_("more than one deadline: {listed}; give one per task", listed=listed))
            return Deadline("once", self.t.original, once[0].words, due=once[0].due)
        if continuous:
            return Deadline("continuous", self.t.original, continuous[0], start=continuous_from[0])
        reasons = list(not_deadlines)
        if _PERIODIC_ALONE.search(self.fold):
            reasons.append(_('"định kỳ" (periodic) names no period such as "hằng quý" or "6 tháng"'))
        if reasons:
            alone = len(reasons) == 1 and " ".join(self.t.original.split()).strip(" .;,") in reasons[0]
            if alone:
                raise DeadlineError(_("no deadline: {reasons}", reasons=reasons[0]))
            raise DeadlineError(_('no deadline in "{text}": {reasons}', text=_short(self.t.original),
                                  reasons="; ".join(reasons)))
        raise DeadlineError(_('no deadline found in "{text}" (expected e.g. "trước ngày 14/6/2018", "Quý III/2013", '
                              '"hằng quý", "Thường xuyên")', text=_short(self.t.original)))

    def _stages(self, once: list[_Once]) -> Deadline | None:
        """Stages or reports each with its own dated deadline ("đợt 1 (…) trước 30/6/2027; đợt 2 trước 30/11/2027",
        "trước ngày 15/7/2027 (đối với báo cáo 6 tháng) và trước ngày 15/01/2028 (đối với báo cáo năm)"): one
        deadline due on each, as a yearly rule until the last — only when every date is the sender's ("trước" …),
        with its year, named by its stage, and the rule gives exactly these dates (the model holds rules, not a
        list of dates); otherwise None, and the caller asks for one deadline per task."""
        dues = [o.due for o in once]
        if any(not o.strong or o.yearless for o in once) or dues != sorted(set(dues)):
            return None
        lo, hi, prev = once[0].start, once[-1].end, 0
        for o in once:
            stage = _STAGE_BEFORE.search(self.fold, prev, o.start)
            which = _WHICH_AFTER.match(self.fold, o.end)
            if not (stage or which):
                return None
            if stage and o is once[0]:
                lo = stage.start()
            if which and o is once[-1]:
                hi = which.end()
            prev = o.end
        if all(d.day == _last_day(d.year, d.month) for d in dues):
            day = "BYMONTHDAY=-1"
        elif len({d.day for d in dues}) == 1:
            day = _bymonthday(dues[0].day)
        else:
            return None
        months = ",".join(str(m) for m in sorted({d.month for d in dues}))
        rule = f"FREQ=YEARLY;BYMONTH={months};{day};UNTIL={dues[-1]:%Y%m%d}"
        if [x.date() for x in _rule(rule, dues[0])] != dues:
            return None
        return Deadline("recurring", self.t.original, self.t.span(lo, hi).strip(" ;,"), rrule=rule, start=dues[0])

    def _listed_dues(self, mt: _Match, words: str) -> list[date] | None:
        """The due dates of months or quarters listed and not adjacent ("Tháng 7/2027 và tháng 12/2027", "Quý I/2027,
        Quý III/2027", the year written once: "Tháng 5 và tháng 7/2027"): a due date each. Periods that follow on
        ("quý II và quý III/2027", "tháng 11/2027 và tháng 12/2027") are one span of work, due at its end; so is a
        list whose periods, read in the year written after them, would not come in order ("tháng 11 và tháng
        3/2028": which November is not said)."""
        parts = mt.parts
        if len(parts) < 2 or any(p.kind not in ("month", "quarter") or _two_periods(p) or p.m.group("q")
                                 for p in parts):
            return None
        if not all(_LIST_CONNECTOR.fullmatch(self.fold, a.end, b.start) for a, b in zip(parts, parts[1:])):
            return None
        # "Tháng 5 và tháng 7/2027": a period without its year has the year written after it
        years: list[int | None] = []
        year = None
        for p in reversed(parts):
            written = p.m.group("y") or p.m.group("y2")
            year = int(written) if written else year
            years.insert(0, year)
        if years[-1] is None:
            return None
        dues = [self._read_atom(p, words, date(y, 1, 1)) for p, y in zip(parts, years)]
        starts = [_period_start(p, d) for p, d in zip(parts, dues)]
        if any(b <= a or s == a + timedelta(days=1) for a, b, s in zip(dues, dues[1:], starts[1:])):
            return None
        return dues

    def _listed(self, words: str, dues: list[date], start: int, end: int) -> Deadline:
        """Several named periods as one deadline due at each one's end: a yearly rule on their months, until the
        last. Only when that rule gives exactly these dates (the model holds rules, not a list of dates): "tháng
        3/2027 và tháng 6/2028" would also give 6/2027 and 3/2028, so it is refused."""
        months = ",".join(str(m) for m in sorted({d.month for d in dues}))
        rule = f"FREQ=YEARLY;BYMONTH={months};BYMONTHDAY=-1;UNTIL={dues[-1]:%Y%m%d}"
        if [x.date() for x in _rule(rule, dues[0])] != dues:
            listed = "; ".join(f'"{_short(words)}" ({d:%d/%m/%Y})' for d in dues[:3])
            raise DeadlineError(_("more than one deadline: {listed}; give one per task", listed=listed))
        # each due date closes its own month or quarter (period_of names it), not a year
        unit = "quarter" if re.search(r"\bqu[yi]\b", self.fold[start:end]) else "month"
        return Deadline("recurring", self.t.original, words, rrule=rule, start=dues[0], periods=(unit,))

    def _span_begins(self, mt: _Match, start: int, words: str) -> date | None:
        """The first day of a span "từ … đến …" (a range after "từ", or "từ tháng 12 đến tháng 3/2027"), else None."""
        if not (mt.parts or _two_periods(mt)) or not re.match(r"tu\b", self.fold[start:]):
            return None
        if mt.parts:
            first = mt.parts[0]
            return _period_start(first, self._read_atom(first, words, self.issued))
        g = mt.m.groupdict()
        end = self._read_atom(mt, words, self.issued)
        if mt.kind == "month":
            m1 = _month(g["m1"], words)
            return date(end.year - (m1 > end.month), m1, 1)
        n1 = _quarter(g["n1"], words)
        return date(end.year - (3 * n1 > end.month), 3 * n1 - 2, 1)

    def _begins_alone(self, mt: _Match, start: int, role: str | None) -> date | None:
        """The first day of the month or quarter in "Từ tháng 01/2027", "Từ Quý II/2026" standing alone — the
        time cell of a plan's appendix, ongoing from then (held-out sets 3 and 6 read it so) — else None. In a
        sentence ("triển khai từ tháng 3/2027") it only says when the work starts; a year alone ("từ năm 2012")
        reads as often "since" as "from", and a qualified month ("từ cuối tháng 3") has no first day."""
        if role != _NEG_REASON["tu"] or mt.kind not in ("month", "quarter") or mt.parts or _two_periods(mt):
            return None
        if mt.m.group("q") or not (_ONLY_PUNCT.fullmatch(self.fold[:start]) and _ONLY_PUNCT.fullmatch(self.fold, mt.end)):
            return None
        end = self._read_once(mt, self.t.span(start, mt.end))
        return end.replace(day=1) if mt.kind == "month" else date(end.year, end.month - 2, 1)

    def _all_matches(self) -> list[_Match]:
        out: list[_Match] = []
        for name, rx in _RECURRING:
            for m in rx.finditer(self.fold):
                if name == "regime_quarter" and m.group("unit") == "nam" and "ngay" not in m.group():
                    continue  # "6 tháng đầu năm" is a half-year, not the 6th of January
                out.append(_Match("recurring", name, m.start(), m.end(), m))
        for name, rx in _ATOMS:
            for m in rx.finditer(self.fold):
                if name == "date" and not m.group("ngay") and not m.group("y") and m.group("s") != "/":
                    continue  # "84.52", "1-2": numbers, not year-less dates
                if name == "rel" and not (m.group("from") or m.group("pre") in _REL_PRE_ALONE):
                    continue  # "5 năm thực hiện": a duration, not a deadline
                out.append(_Match(name, name, m.start(), m.end(), m))
        out.extend(_Match("continuous", "continuous", m.start(), m.end(), m) for m in _CONTINUOUS.finditer(self.fold))
        return out

    @staticmethod
    def _non_overlapping(matches: list[_Match]) -> list[_Match]:
        # Longest first (then by priority): "trước ngày 15/12 hằng năm" beats the date inside it.
        ranked = sorted(matches, key=lambda x: (-(x.end - x.start), _PRIORITY[x.kind], x.start))
        kept: list[_Match] = []
        for mt in ranked:
            if all(mt.end <= k.start or mt.start >= k.end for k in kept):
                kept.append(mt)
        return sorted(kept, key=lambda x: x.start)

    def _merge_ranges(self, matches: list[_Match]) -> list[_Match]:
        """ "từ ngày 1/6 đến ngày 30/6/2018", "quý II và quý III", "năm 2013 và giai đoạn 2013 - 2015"
        become one range, due at its end."""
        out: list[_Match] = []
        for mt in matches:
            prev = out[-1] if out else None
            joined = prev is not None and prev.kind in _RANGE_KINDS and mt.kind in _RANGE_KINDS and (
                _RANGE_CONNECTOR.fullmatch(self.fold, prev.end, mt.start)
                # "quý II và quý III": work over both periods; "ngày 5/6 và ngày 5/12" are two deadlines.
                or (_LIST_CONNECTOR.fullmatch(self.fold, prev.end, mt.start)
                    and mt.kind in _PERIOD_KINDS and all(p.kind in _PERIOD_KINDS for p in prev.parts or (prev,)))
            )
            if joined:
                parts = (prev.parts or (prev,)) + (mt,)
                out[-1] = _Match("range", "range", prev.start, mt.end, None, parts)
            else:
                out.append(mt)
        return out

    def _role(self, mt: _Match) -> tuple[int, str | None]:
        """Where the deadline's words start, and "deadline", a reason it is not one, or None (ignored)."""
        before = self.fold[max(0, mt.start - 60):mt.start]
        offset = mt.start - len(before)
        if mt.kind == "rel":
            return mt.start, "deadline"  # "trong vòng 15 ngày kể từ ngày ký" says it all
        if mt.kind == "today":
            return mt.start, "deadline"  # "ngay trong ngày": the words say it is a deadline
        if mt.kind == "year" and (plan := _context.plan_year_start(before)) is not None:
            return offset + plan, "deadline"  # "hoàn thành 100% kế hoạch vốn năm 2026": by the year's end
        if mt.kind == "year" and _context.target_year(self.fold, mt.start, mt.end):
            return mt.start, N_("is the year of a target, not a deadline")  # "phấn đấu đến năm 2030 đạt 95% …"
        neg = _NEGATIVE.search(before)
        if neg:
            word = neg.group("neg").split()[0]
            if not ((mt.parts or _two_periods(mt)) and word == "tu"):  # "từ … đến …" is a range, due at its end
                start = offset + neg.start("neg")
                return start, _NEG_REASON[word]
            return offset + neg.start("neg"), "deadline"
        marker = _MARKER.search(before)
        start = mt.start
        if marker and marker.group("prep"):
            start = offset + marker.start("prep")
            return start, "deadline"
        if marker and marker.group("label"):
            return mt.start, "deadline"
        lead = offset + (marker.start() if marker else len(before))
        head = self.fold[:lead]
        dashed = mt.kind == "range" and "-" in self.fold[mt.parts[0].end:mt.parts[1].start]
        if _context.keywordless_range(self.fold, mt.start, mt.end, dashed):
            return start, "deadline"  # "Tổng kết công tác năm 2025: 10/12/2025 – 20/12/2025": due at its end
        if head.rstrip().endswith("(") and _CLOSE_PAREN.match(self.fold, mt.end):
            return start, "deadline"  # "(quý III/2013)" at the end of a task
        if _ONLY_PUNCT.fullmatch(head) and _ONLY_PUNCT.fullmatch(self.fold, mt.end):
            return start, "deadline"  # the whole text is the deadline: "Tháng 12/2012"
        return start, None  # a date mentioned in passing ("Quyết định số 716/QĐ-BNV ngày 24/4/2018")


def _period_start(mt: _Match, end: date) -> date:
    """The first day of the period an atom names, from its last day (a day: itself)."""
    back = {"month": 0, "week": 0, "quarter": 2, "half": 5, "year": 11}.get(mt.kind)
    if back is None:
        return end
    if mt.kind == "half" and mt.m is not None and mt.m.group("n"):  # "9 tháng đầu năm": nine months back
        back = _months_of_year(mt.m.group("n")) - 1
    if mt.kind == "week":
        return end - timedelta(days=6)
    return (end.replace(day=1) - relativedelta(months=back)) if mt.kind != "year" else date(end.year, 1, 1)


def _two_periods(mt: _Match) -> bool:
    """ "tháng 01 đến tháng 5/2027", "quý II - III/2027": one atom naming two periods, a range by itself."""
    g = mt.m.groupdict() if mt.m is not None else {}
    return bool(g.get("m1") or g.get("n1"))


# A completion label right before a deadline binds like "trước": "hoàn thành (trong) …", "thời hạn hoàn thành: …"
_COMPLETION = re.compile(r"(?<![a-z])(?:thoi\s+han(?:\s+hoan\s+thanh)?|hoan\s+thanh|xong)\s*:?\s*$")

# A stage named before its deadline, up to it: "đợt 1 (các xã vùng cao) ", "; lần 2 hoàn thành ", "giai đoạn II: "
_STAGE_BEFORE = re.compile(
    r"(?<![a-z])(?:dot|lan|giai\s+doan)\s+(?:\d{1,2}|[ivx]{1,4}|thu\s+(?:nhat|hai|ba|tu|\d))\b(?:\s*\([^()]*\))?"
    r"\s*:?\s*(?:(?:hoan\s+thanh|xong|nop|gui|bao\s+cao)\s+)?$"
)
# What a deadline is for, after it: "(đối với báo cáo 6 tháng)", "(áp dụng cho đợt 2)"
_WHICH_AFTER = re.compile(r"\s*\(\s*(?:doi\s+voi|ap\s+dung\s+(?:cho|doi\s+voi))\b[^()]*\)")

# Between "thường xuyên" and the period that bounds it: "Thường xuyên trong năm 2027", "thường xuyên, đến hết 2027"
_BOUNDS = re.compile(r"\s*,?\s*")


@functools.lru_cache(maxsize=1)
def _default_calendar() -> WorkCalendar:
    return WorkCalendar()


def _most_specific(recurring: list[_Rule]) -> list[_Rule]:
    """ "định kỳ hằng quý, trước ngày 15 của tháng cuối quý": the rule naming a day wins over the
    bare period it details; so do the days of "mỗi 6 tháng một lần (trước 18/6 và 18/12)"."""
    specific = [r for r in recurring if r.specific]
    if not specific:
        return recurring
    named = {u for r in specific for u in r.periods}
    if any(r.converted for r in specific) or all(r.specific or set(r.periods) <= named for r in recurring):
        return specific
    return recurring


def _without_subsumed(rules: list[str], issued: date) -> list[str]:
    """Drop a rule whose due dates another rule already gives ("báo cáo quý trước ngày 22 của tháng cuối
    quý" beside "báo cáo tháng trước ngày 22 hằng tháng"): one date, one occurrence. Checked over 8 years,
    long enough for every period the grammar writes (29/2 included)."""
    if len(rules) == 1:
        return rules
    end = issued + timedelta(days=8 * 366)
    dates = {r: set(_rule(r, issued).between(_dt(issued), _dt(end), inc=True)) for r in rules}
    kept: list[str] = []
    for r in rules:
        others = [o for o in rules if o != r]
        if any(dates[r] < dates[o] or (dates[r] == dates[o] and rules.index(o) < rules.index(r)) for o in others):
            continue
        kept.append(r)
    return kept
