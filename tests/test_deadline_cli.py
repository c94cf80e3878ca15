"""`dondoc deadline "TEXT" [--issued YYYY-MM-DD]`: the JSON contract other tools rely on (issue 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dondoc.cli import app
from core.i18n import _


def run(*args: str, **env: str):
    from dondoc.cli import common

    common.settings.cache_clear()  # each invocation reads its own environment, as a new process would
    return CliRunner().invoke(app, ["deadline", *args], env=env or None)


def ok(*args: str, **env: str) -> dict:
    result = run(*args, **env)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, "one JSON object on one line"
    return json.loads(lines[0])


def test_once():
    assert ok("trước ngày 14/6/2018", "--issued", "2018-05-23") == {
        "kind": "once",
        "due": "2018-06-14",
        "effective_due": "2018-06-14",
        "next": ["2018-06-14"],
        "matched": "trước ngày 14/6/2018",
    }


def test_once_due_on_a_sunday_takes_effect_on_monday():
    out = ok("Hạn chót: ngày 17/6/2018", "--issued", "2018-05-23")
    assert (out["due"], out["effective_due"]) == ("2018-06-17", "2018-06-18")


def test_the_shift_can_be_switched_off():
    out = ok("ngày 17/6/2018", "--issued", "2018-05-23", DEADLINE_SHIFT_TO_WORKDAY="false")
    assert out["effective_due"] == "2018-06-17"


def test_recurring():
    assert ok("định kỳ hàng quý", "--issued", "2018-05-23") == {
        "kind": "recurring",
        "next": ["2018-06-30", "2018-09-30", "2018-12-31"],
        "rrule": "FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
        "matched": "định kỳ hàng quý",
    }


def test_continuous():
    assert ok("Thời gian: Thường xuyên.", "--issued", "2013-07-11") == {
        "kind": "continuous", "next": [], "matched": "Thường xuyên"}


def test_issued_takes_both_date_forms_within_the_grammars_years():
    assert ok("trước ngày 14/6/2018", "--issued", "23/05/2018") == ok("trước ngày 14/6/2018", "--issued", "2018-05-23")
    result = run("trước ngày 14/6/2018", "--issued", "23/05/9999")
    assert result.exit_code == 2 and "--issued" in result.output


def test_issued_defaults_to_today_in_the_time_zone():
    # 17:30 UTC on 22/5 is already 23/5 in Hà Nội: a year-less 22/5 is next year's there, today's in UTC.
    now = "2018-05-22T17:30:00+00:00"
    assert ok("trước ngày 23/5", CLOCK_START=now)["due"] == "2018-05-23"
    assert ok("trước ngày 22/5", CLOCK_START=now)["due"] == "2019-05-22"
    assert ok("trước ngày 22/5", CLOCK_START=now, TIMEZONE="UTC")["due"] == "2018-05-22"
    assert ok("định kỳ hàng tháng", CLOCK_START="2018-05-31T18:00:00+00:00")["next"][0] == "2018-06-30"


def test_the_override_file_moves_the_effective_due(tmp_path):
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("days_off:\n  - {date: 2026-01-02, name: Nghỉ bù}\n", encoding="utf-8")
    without = ok("ngày 2/1/2026", "--issued", "2025-12-01")
    with_file = ok("ngày 2/1/2026", "--issued", "2025-12-01", HOLIDAYS_FILE=str(holidays))
    assert without["effective_due"] == "2026-01-02"
    assert with_file["effective_due"] == "2026-01-05"


def test_a_bad_override_file_is_reported_without_output(tmp_path):
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("days_off:\n  - 2026-02-30\n", encoding="utf-8")
    result = run("ngày 2/1/2026", "--issued", "2025-12-01", HOLIDAYS_FILE=str(holidays))
    assert result.exit_code == 1
    assert result.stdout == ""
    for lang in ("vi", "en"):
        result = run("ngày 2/1/2026", "--issued", "2025-12-01", HOLIDAYS_FILE=str(holidays), LANGUAGE=lang)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.strip() == "HOLIDAYS_FILE: " + _("{file}, line {line}: {problem}", lang=lang, file=holidays,
                                                             line=2, problem=_("{text!r} is not a date written YYYY-MM-DD",
                                                                               lang=lang, text="2026-02-30"))


@pytest.mark.parametrize(("text", "says"), [
    ("Quý V/2019", "there is no quarter V"),
    ("32/13/2018", "there is no month 13"),
    ("Theo yêu cầu", "no deadline found"),
    ("trước ngày 14/6/2018\nvà trước ngày 15/11/2018", "more than one deadline"),
])
def test_unreadable_text_exits_2_with_one_line_on_stderr(text, says):
    result = run(text, "--issued", "2018-05-23", LANGUAGE="en")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert says in result.stderr


def test_a_bad_issue_date_exits_2():
    result = run("Thường xuyên", "--issued", "31/02/2018")  # no such day
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--issued" in result.stderr and "YYYY-MM-DD" in result.stderr


def test_the_installed_command_keeps_stdout_clean(tmp_path):
    """The real process: JSON (UTF-8, not escaped) on stdout; the reason alone on stderr."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOLIDAYS_FILE", "CLOCK_START", "TIMEZONE")}
    cmd = [sys.executable, "-c", "from dondoc.cli import main; main()", "deadline"]
    done = subprocess.run([*cmd, "vào cuối năm 2013", "--issued", "2013-03-01"], capture_output=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode("utf-8"))["matched"] == "vào cuối năm 2013"
    assert "vào cuối năm 2013".encode() in done.stdout
    bad = subprocess.run([*cmd, "Quý V/2019", "--issued", "2013-03-01"], capture_output=True, cwd=tmp_path,
                         env={**env, "LANGUAGE": "en"}, timeout=60)
    assert (bad.returncode, bad.stdout) == (2, b"")
    assert b"quarter V" in bad.stderr


def test_several_schedules_list_every_rule_and_merge_next():
    out = ok("báo cáo 6 tháng trước ngày 10/6 và báo cáo năm trước ngày 10/12", "--issued", "2020-01-10")
    assert out == {
        "kind": "recurring",
        "next": ["2020-06-10", "2020-12-10", "2021-06-10"],
        "rrule": "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=10",
        "rrules": ["FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=10", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=10"],
        "matched": "trước ngày 10/6 và báo cáo năm trước ngày 10/12",
    }
    assert "rrules" not in ok("trước ngày 20 hằng tháng", "--issued", "2020-01-10")  # one rule: `rrule` only


def test_the_reason_is_in_the_language_of_the_setting():
    from core.i18n import _

    said = _('"{text}": there is no quarter {quarter} (quarters are I–IV)', lang="vi", text="Quý V/2019", quarter="V")
    assert said != _('"{text}": there is no quarter {quarter} (quarters are I–IV)', lang="en", text="Quý V/2019",
                     quarter="V")
    result = run("Quý V/2019", "--issued", "2018-05-23")  # LANGUAGE defaults to vi
    assert result.exit_code == 2 and result.stderr.strip() == said
