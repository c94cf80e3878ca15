"""The working-day calendar: weekends, Vietnamese public holidays, the override file, Art. 147/148."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.i18n import _, use_language, weekday_name
from core.workdays import HolidayFileError, WorkCalendar


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- Tết ------------------------------------------------------------------------------------------
def test_tet_2018_is_off_from_29_tet_to_mung_5(cal):
    # Tết Mậu Tuất: 16/02/2018; civil servants were off Wed 14/2 .. Tue 20/2.
    assert cal.is_workday(date(2018, 2, 13))
    assert all(cal.is_day_off(d) for d in days(date(2018, 2, 14), date(2018, 2, 20)))
    assert cal.is_workday(date(2018, 2, 21))
    assert cal.day_off_name(date(2018, 2, 16)) == "Tết Nguyên Đán"


def test_tet_2026_is_nine_days_off_with_its_weekends(cal):
    # Tết Bính Ngọ: 17/02/2026; off Sat 14/2 .. Sun 22/2.
    assert cal.is_workday(date(2026, 2, 13))
    assert all(cal.is_day_off(d) for d in days(date(2026, 2, 14), date(2026, 2, 22)))
    assert cal.is_workday(date(2026, 2, 23))
    assert "Tết" in cal.day_off_name(date(2026, 2, 17))


def test_tet_2027(cal):
    # Tết Đinh Mùi: Saturday 06/02/2027.
    assert cal.is_workday(date(2027, 2, 3))
    assert all(cal.is_day_off(d) for d in days(date(2027, 2, 4), date(2027, 2, 10)))
    assert cal.is_workday(date(2027, 2, 11))
    assert cal.day_off_name(date(2027, 2, 6)) == "Tết Nguyên Đán"


# -- other holidays and swaps ----------------------------------------------------------------------
def test_fixed_holidays_and_gio_to(cal):
    for d in (date(2018, 4, 25), date(2018, 4, 30), date(2018, 5, 1), date(2018, 9, 3)):
        assert cal.is_day_off(d), d
    assert "Giỗ Tổ" in cal.day_off_name(date(2018, 4, 25))


def test_substituted_day_off_and_its_make_up_saturday(cal):
    # 2025: Friday 2/5 off in exchange for working Saturday 26/4.
    assert cal.is_day_off(date(2025, 5, 2))
    assert "26/04/2025" in cal.day_off_name(date(2025, 5, 2))
    assert cal.is_workday(date(2025, 4, 26))
    assert cal.day_off_name(date(2025, 4, 26)) is None


def test_a_swap_across_new_year_is_known_from_either_side():
    # Monday 31/12/2018 off, made up on Saturday 5/1/2019 — ask about 2019 first, on a fresh calendar.
    cal = WorkCalendar()
    assert cal.is_workday(date(2019, 1, 5))
    assert cal.is_day_off(date(2018, 12, 31))


def test_observed_holiday_when_it_falls_on_a_weekend(cal):
    # Giỗ Tổ 2026 is a Sunday; Monday 27/4 is off instead.
    assert cal.is_day_off(date(2026, 4, 26))
    assert cal.is_day_off(date(2026, 4, 27))
    assert cal.is_workday(date(2026, 4, 28))


def test_weekends(cal):
    # Named as inside a sentence, the way every other weekday is written: "(thứ Bảy)" next to "(thứ Ba)".
    assert cal.is_day_off(date(2018, 6, 16)) and cal.day_off_name(date(2018, 6, 16)) == "thứ Bảy"
    assert cal.is_day_off(date(2018, 6, 17)) and cal.day_off_name(date(2018, 6, 17)) == "Chủ nhật"
    assert cal.day_off_name(date(2018, 6, 16)) == weekday_name(date(2018, 6, 16), "vi")
    assert cal.day_off_name(date(2018, 6, 16), lang="en") == "Saturday"
    assert cal.day_off_name(date(2018, 6, 17), lang="en") == "Sunday"
    assert cal.is_workday(date(2018, 6, 18)) and cal.day_off_name(date(2018, 6, 18)) is None


def test_holiday_names_in_the_language_asked(cal):
    assert cal.day_off_name(date(2018, 2, 16), lang="vi") == "Tết Nguyên Đán"
    assert "Lunar New Year" in cal.day_off_name(date(2018, 2, 16), lang="en")
    with use_language("en"):
        assert cal.day_off_name(date(2018, 4, 25)) == cal.day_off_name(date(2018, 4, 25), lang="en") != \
            cal.day_off_name(date(2018, 4, 25), lang="vi")


def test_years_without_known_holidays_still_have_weekends(cal):
    assert cal.is_day_off(date(2150, 1, 3))  # a Saturday
    assert cal.is_workday(date(2150, 1, 5))


# -- Art. 148(5) and counting --------------------------------------------------------------------------
def test_a_due_date_on_a_sunday_shifts_to_monday(cal):
    sunday = date(2018, 6, 17)
    assert cal.effective_due(sunday) == date(2018, 6, 18)
    assert cal.effective_due(sunday, shift=False) == sunday
    assert cal.effective_due(date(2018, 6, 14)) == date(2018, 6, 14)  # a Thursday stays


def test_a_due_date_in_tet_shifts_past_the_whole_holiday(cal):
    assert cal.effective_due(date(2018, 2, 15)) == date(2018, 2, 21)


def test_next_and_previous_workday(cal):
    assert cal.next_workday(date(2018, 2, 14)) == date(2018, 2, 21)
    assert cal.previous_workday(date(2018, 2, 20)) == date(2018, 2, 13)
    assert cal.next_workday(date(2018, 2, 13)) == date(2018, 2, 13)
    assert cal.previous_workday(date(2018, 2, 13)) == date(2018, 2, 13)


def test_add_workdays_counts_from_the_next_day(cal):
    monday = date(2018, 6, 11)
    assert cal.add_workdays(monday, 0) == monday
    assert cal.add_workdays(monday, 1) == date(2018, 6, 12)
    assert cal.add_workdays(monday, 5) == date(2018, 6, 18)  # over the weekend
    assert cal.add_workdays(date(2018, 2, 12), 3) == date(2018, 2, 22)  # over Tết
    assert cal.add_workdays(date(2018, 6, 18), -5) == monday


def test_workdays_between_is_half_open(cal):
    assert cal.workdays_between(date(2018, 6, 11), date(2018, 6, 18)) == 5
    assert cal.workdays_between(date(2018, 6, 11), date(2018, 6, 11)) == 0
    assert cal.workdays_between(date(2018, 6, 18), date(2018, 6, 11)) == 0
    assert cal.workdays_between(date(2018, 2, 12), date(2018, 2, 23)) == 4


def test_add_workdays_refuses_absurd_counts(cal):
    with pytest.raises(ValueError):
        cal.add_workdays(date(2018, 1, 1), 10**7)


# -- the override file ---------------------------------------------------------------------------
def write(tmp_path, text: str):
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_file_adds_days_off_and_a_make_up_saturday(tmp_path):
    path = write(tmp_path, """\
days_off:
  - {date: 2026-01-02, name: "Nghỉ bù Tết Dương lịch"}
  - 2026-01-05
workdays:
  - 2026-01-10
""")
    cal = WorkCalendar.from_file(path)
    assert cal.is_day_off(date(2026, 1, 2))
    assert cal.day_off_name(date(2026, 1, 2)) == "Nghỉ bù Tết Dương lịch"
    assert cal.day_off_name(date(2026, 1, 5)) == _("Day off", lang="vi") == "Ngày nghỉ"
    assert cal.day_off_name(date(2026, 1, 5), lang="en") == "Day off"
    saturday = date(2026, 1, 10)
    assert saturday.weekday() == 5
    assert cal.is_workday(saturday)
    assert WorkCalendar().is_day_off(saturday)  # only because of the file
    # Friday 9/1 + 1 working day is that Saturday.
    assert cal.add_workdays(date(2026, 1, 9), 1) == saturday
    assert cal.effective_due(date(2026, 1, 2)) == date(2026, 1, 6)


def test_no_file_means_built_in_only():
    assert WorkCalendar.from_file(None).is_workday(date(2026, 1, 2))


def test_empty_file_is_built_in_only(tmp_path):
    cal = WorkCalendar.from_file(write(tmp_path, "# nothing decided yet\n"))
    assert cal.is_day_off(date(2018, 2, 16))


def test_constructor_takes_the_same_overrides():
    cal = WorkCalendar(extra_days_off=[date(2026, 1, 2)], extra_workdays=[date(2026, 1, 10)],
                       names={date(2026, 1, 2): "Nghỉ bù"})
    assert cal.day_off_name(date(2026, 1, 2)) == "Nghỉ bù"
    assert cal.is_workday(date(2026, 1, 10))
    with use_language("en"), pytest.raises(ValueError, match="both a day off and a workday"):
        WorkCalendar(extra_days_off=[date(2026, 1, 2)], extra_workdays=[date(2026, 1, 2)])


@pytest.mark.parametrize(("text", "line", "what"), [
    ("days_off:\n  - 2026-13-02\n", 2, "'2026-13-02' is not a date"),
    ("days_off:\n  - 2026-01-02\nworkday:\n  - 2026-01-10\n", 3, "unknown key 'workday'"),
    ("days_off:\n  - {name: Nghỉ}\n", 2, "without a 'date'"),
    ("days_off:\n  - {date: 2026-01-02, when: x}\n", 2, "unknown field 'when'"),
    ("days_off: 2026-01-02\n", 1, "must be a list"),
    ("days_off:\n  - 2026-01-02\nworkdays:\n  - 2026-01-02\n", 4, "both 'days_off' (line 2) and 'workdays'"),
    ("days_off:\n  - [2026-01-02\n", 3, "not valid YAML"),
    ("- 2026-01-02\n", 1, "expected a mapping"),
    ("workdays:\n  - {date: 2026-01-10, name: x}\n", 2, "a workday takes no 'name'"),
])
def test_a_bad_override_file_says_file_line_and_what(tmp_path, text, line, what):
    path = write(tmp_path, text)
    with use_language("en"), pytest.raises(HolidayFileError) as err:
        WorkCalendar.from_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}, line {line}: ") or message.startswith(f"{path}, line {line}:"), message
    assert what in message


def test_a_bad_override_file_in_vietnamese(tmp_path):
    path = write(tmp_path, "days_off:\n  - 2026-13-02\n")
    with pytest.raises(HolidayFileError) as err:  # the default language
        WorkCalendar.from_file(path)
    assert str(err.value) == _("{file}, line {line}: {problem}", lang="vi", file=path, line=2, problem=_(
        "{text!r} is not a date written YYYY-MM-DD", lang="vi", text="2026-13-02"))
    assert str(err.value) == f"{path}, dòng 2: '2026-13-02' không phải ngày dạng YYYY-MM-DD"


def test_a_missing_override_file_is_a_clear_error(tmp_path):
    for lang in ("vi", "en"):
        with use_language(lang), pytest.raises(HolidayFileError) as err:
            WorkCalendar.from_file(tmp_path / "nope.yaml")
        assert str(err.value) == _("{file}: file not found", lang=lang, file=tmp_path / "nope.yaml")
