"""The working-day calendar (lịch ngày làm việc): which days count when a deadline falls due.

Days off are Saturdays and Sundays, Vietnamese public holidays with their observed and substituted
days (lunar Tết, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9 … from the `holidays` package, country VN), plus
an override file (HOLIDAYS_FILE) for the government's yearly day swaps decided after a release:

    days_off:          # extra days off, with optional names
      - {date: 2026-01-02, name: "Nghỉ bù"}
      - 2026-01-03
    workdays:          # make-up working days (e.g. a Saturday)
      - 2026-01-10

Civil Code 2015, Art. 147: a period of N days "kể từ" a day starts counting the next day.
Art. 148(5): a time limit whose last day is a day off ends at the end of the next working day.

Pure, except `WorkCalendar.from_file`, which reads the override file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import holidays

from core.i18n import N_, _, current_language, weekday_name

__all__ = ["HolidayFileError", "WorkCalendar"]

_EXTRA_DAY_OFF_NAME = N_("Day off")  # a day off from the override file that has no name of its own
# `add_workdays` walks day by day; a bound keeps a typo ("1000000 ngày làm việc") from hanging.
MAX_WORKDAYS = 100_000


class HolidayFileError(ValueError):
    """The override file (HOLIDAYS_FILE) cannot be used; the message says which file, line and what."""


class WorkCalendar:
    """Working days in Viet Nam: weekends, public holidays and the override file.

    Precedence for one date: listed under `extra_workdays` → workday; under `extra_days_off` → day off;
    a built-in make-up working day → workday; a built-in public holiday → day off; else weekends off.
    """

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        names: dict[date, str] | None = None,
    ):
        self._extra_off = frozenset(extra_days_off)
        self._extra_work = frozenset(extra_workdays)
        both = sorted(self._extra_off & self._extra_work)
        if both:
            raise ValueError(_("a date cannot be both a day off and a workday: {dates}",
                               dates=", ".join(d.strftime("%d/%m/%Y") for d in both)))
        self._names = dict(names or {})
        # One `holidays` object, filled a year at a time as dates are asked about.
        self._builtin = holidays.country_holidays("VN", language="vi", years=())
        self._loaded_years: set[int] = set()
        self._named: dict[str, holidays.HolidayBase] = {}  # the built-in names in other languages, made when asked
        # The calendar is pure, so its answers are memoised: planning 100k tasks asks about the same few
        # hundred dates over and over.
        self._workday_memo: dict[date, bool] = {}
        self._add_memo: dict[tuple[date, int], date] = {}
        self._next_memo: dict[date, date] = {}
        self._previous_memo: dict[date, date] = {}

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: Path | None) -> "WorkCalendar":
        """The built-in calendar plus the override file at `path` (None → built-in only)."""
        if path is None:
            return cls()
        path = Path(path)
        try:
            source = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise HolidayFileError(_("{file}: file not found", file=path)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise HolidayFileError(_("{file}: cannot read the file ({error})", file=path, error=e)) from None
        off, work, names = _parse_override(source, str(path))
        return cls(off, work, names)

    # -- questions about one day -----------------------------------------------------------------
    def is_workday(self, d: date) -> bool:
        answer = self._workday_memo.get(d)
        if answer is None:
            answer = self._workday_memo[d] = self._is_workday(d)
        return answer

    def _is_workday(self, d: date) -> bool:
        if d in self._extra_work:
            return True
        if d in self._extra_off:
            return False
        self._load(d.year)
        if d in self._builtin.weekend_workdays:
            return True
        if d in self._builtin:
            return False
        return d.weekday() < 5

    def is_day_off(self, d: date) -> bool:
        return not self.is_workday(d)

    def day_off_name(self, d: date, lang: str | None = None) -> str | None:
        """Why `d` is a day off ("Tết Nguyên Đán", "Chủ nhật", …) in `lang` (default: the current language),
        or None when it is a workday. Names from the override file are shown as written there."""
        if self.is_workday(d):
            return None
        if d in self._names:
            return self._names[d]
        if d in self._extra_off:
            return _(_EXTRA_DAY_OFF_NAME, lang=lang)
        name = self._builtin.get(d)
        if name:
            lang = lang or current_language()
            if lang != "vi":
                name = self._builtin_in(lang).get(d) or name
            # Two holidays on one day come joined by "; " — the first is the one people say.
            return name.split("; ")[0]
        return weekday_name(d, lang)  # "thứ Bảy", "Chủ nhật" — as written inside a sentence

    def _builtin_in(self, lang: str):
        """The built-in holidays named in `lang` (the `holidays` package has vi, en_US and th); vi otherwise."""
        known = {code.split("_")[0]: code for code in holidays.VN.supported_languages}
        if lang not in known:
            return self._builtin
        if lang not in self._named:
            self._named[lang] = holidays.country_holidays("VN", language=known[lang], years=sorted(self._loaded_years))
        return self._named[lang]

    # -- moving between days ---------------------------------------------------------------------
    def next_workday(self, d: date) -> date:
        """`d` itself if it is a workday, else the first workday after it."""
        answer = self._next_memo.get(d)
        if answer is None:
            answer = d
            while not self.is_workday(answer) and answer < date.max:  # date.max: nothing after it (no OverflowError)
                answer += timedelta(days=1)
            self._next_memo[d] = answer
        return answer

    def previous_workday(self, d: date) -> date:
        """`d` itself if it is a workday, else the last workday before it."""
        answer = self._previous_memo.get(d)
        if answer is None:
            answer = d
            while not self.is_workday(answer) and answer > date.min:
                answer -= timedelta(days=1)
            self._previous_memo[d] = answer
        return answer

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th workday after `d`, counting from the next day (Art. 147); n < 0 goes back; n = 0 → d."""
        if abs(n) > MAX_WORKDAYS:
            raise ValueError(f"{n} working days is more than this calendar counts ({MAX_WORKDAYS})")
        answer = self._add_memo.get((d, n))
        if answer is None:
            answer = self._add_memo[(d, n)] = self._add_workdays(d, n)
        return answer

    def _add_workdays(self, d: date, n: int) -> date:
        step = timedelta(days=1 if n >= 0 else -1)
        left = abs(n)
        while left:
            d += step
            if self.is_workday(d):
                left -= 1
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """The number of workdays in (a, b]; 0 when b <= a."""
        count = 0
        d = a + timedelta(days=1)
        while d <= b:
            count += self.is_workday(d)
            d += timedelta(days=1)
        return count

    def effective_due(self, due: date, shift: bool = True) -> date:
        """The last day to deliver: `due`, or the next workday when `due` is a day off (Art. 148(5))."""
        return self.next_workday(due) if shift else due

    # -- internals -------------------------------------------------------------------------------
    def _load(self, year: int) -> None:
        # A swap decided in one year can move a day of the next or previous one (31/12/2018 off,
        # Saturday 5/1/2019 worked), so a year's neighbours are loaded with it.
        if year in self._loaded_years:
            return
        for y in (year - 1, year, year + 1):
            if y not in self._loaded_years and 1 <= y <= 9999:
                date(y, 1, 1) in self._builtin  # `expand=True`: asking about a year fills it in
                self._loaded_years.add(y)

    def __repr__(self) -> str:
        return f"WorkCalendar(extra_days_off={len(self._extra_off)}, extra_workdays={len(self._extra_work)})"


def _parse_override(source: str, where: str) -> tuple[set[date], set[date], dict[date, str]]:
    """Read the override YAML, pointing at the line of anything wrong."""
    import yaml

    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        what = _("not valid YAML ({problem})", problem=problem)
        if mark is None:
            raise HolidayFileError(f"{where}: {what}") from None
        raise HolidayFileError(_("{file}, line {line}: {problem}", file=where, line=mark.line + 1, problem=what)) from None

    off: set[date] = set()
    work: set[date] = set()
    names: dict[date, str] = {}
    if root is None:  # an empty file: built-in calendar only
        return off, work, names

    def fail(node, what: str) -> HolidayFileError:
        return HolidayFileError(_("{file}, line {line}: {problem}", file=where, line=node.start_mark.line + 1, problem=what))

    if not isinstance(root, yaml.MappingNode):
        raise fail(root, _("expected a mapping with the keys 'days_off' and 'workdays'"))
    seen_at: dict[date, tuple[str, int]] = {}
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in ("days_off", "workdays"):
            raise fail(key_node, _("unknown key {key!r}; expected 'days_off' or 'workdays'", key=key))
        if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
            continue  # "workdays:" with nothing under it
        if not isinstance(value_node, yaml.SequenceNode):
            raise fail(value_node, _("'{key}' must be a list of dates", key=key))
        for item in value_node.value:
            name = None
            if isinstance(item, yaml.MappingNode):
                fields = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
                unknown = sorted(set(fields) - {"date", "name"})
                if unknown:
                    raise fail(item, _("unknown field {field!r}; an entry has 'date' and optional 'name'", field=unknown[0]))
                if "date" not in fields:
                    raise fail(item, _("entry without a 'date'"))
                date_node = fields["date"]
                if "name" in fields:
                    name_node = fields["name"]
                    if not isinstance(name_node, yaml.ScalarNode) or not name_node.value.strip():
                        raise fail(name_node, _("'name' must be some text"))
                    name = name_node.value.strip()
            else:
                date_node = item
            d = _date_of(date_node, fail)
            line = date_node.start_mark.line + 1
            if d in seen_at:
                other_key, other_line = seen_at[d]
                if other_key != key:
                    raise fail(
                        date_node,
                        _("{date} is listed under both '{first}' (line {line}) and '{second}'", date=d.isoformat(),
                          first=other_key, line=other_line, second=key),
                    )
                continue
            seen_at[d] = (key, line)
            if key == "days_off":
                off.add(d)
                if name:
                    names[d] = name
            else:
                if name:
                    raise fail(item, _("a workday takes no 'name'"))
                work.add(d)
    return off, work, names


def _date_of(node, fail) -> date:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise fail(node, _("expected a date written YYYY-MM-DD"))
    text = node.value.strip()
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise fail(node, _("{text!r} is not a date written YYYY-MM-DD", text=text)) from None
