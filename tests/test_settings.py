"""Settings: defaults, .env vs environment, and one clear line per bad value."""

from datetime import time
from pathlib import Path

import pytest

from core.i18n import _
from core.settings import EscalationStep, SettingsError
from dondoc.settings import load_settings


def test_defaults_are_the_documented_ones():
    s = load_settings(environ={}, dotenv_path=None)
    assert s.database_url == "sqlite:///data/dondoc.sqlite3"
    assert str(s.timezone) == "Asia/Ho_Chi_Minh"
    assert s.language == "vi"
    assert s.reminder_offsets == (7, 3, 1, 0)
    assert s.reminder_time == time(8, 0)
    assert s.escalation_steps == (
        EscalationStep(1, "manager"), EscalationStep(3, "oversight"), EscalationStep(7, "leadership"))
    assert s.telegram_bot_token is None


def test_environment_wins_over_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LANGUAGE=en\nREMINDER_TIME=07:30\n", encoding="utf-8")
    s = load_settings(environ={"LANGUAGE": "vi"}, dotenv_path=env_file)
    assert s.language == "vi"
    assert s.reminder_time == time(7, 30)


def test_every_bad_value_is_named_with_what_is_accepted():
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"TIMEZONE": "Mars/Olympus", "LANGUAGE": "fr", "REMINDER_OFFSETS": "7,x",
                               "ESCALATION_STEPS": "1:boss"}, dotenv_path=None)
    problems = err.value.problems
    assert len(problems) == 4
    text = "\n".join(problems)
    assert "TIMEZONE='Mars/Olympus'" in text and "Asia/Ho_Chi_Minh" in text
    assert "LANGUAGE='fr'" in text and "vi | en" in text
    assert "REMINDER_OFFSETS='7,x'" in text
    assert "ESCALATION_STEPS='1:boss'" in text and "manager|oversight|leadership" in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_settings_errors_speak_the_language_asked(lang):
    """The problems are told in LANGUAGE when it is valid (the default language otherwise)."""
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"LANGUAGE": lang, "TIMEZONE": "Mars/Olympus", "DUE_SOON_DAYS": "many"}, dotenv_path=None)
    assert str(err.value).splitlines() == [
        _("Invalid settings:", lang=lang),
        "  - TIMEZONE='Mars/Olympus': " + _("accepted: an IANA time zone name such as Asia/Ho_Chi_Minh", lang=lang),
        "  - DUE_SOON_DAYS='many': " + _("accepted: a whole number from {lo} to {hi}", lang=lang, lo=0, hi=60),
    ]
    assert str(err.value).startswith({"vi": "Cấu hình không hợp lệ:", "en": "Invalid settings:"}[lang])
    with pytest.raises(SettingsError) as err:  # an unknown LANGUAGE: said in the default language, Vietnamese
        load_settings(environ={"LANGUAGE": "fr"}, dotenv_path=None)
    assert str(err.value) == _("Invalid settings:", lang="vi") + "\n  - LANGUAGE='fr': " + _(
        "accepted: {choices}", lang="vi", choices="vi | en")


def test_missing_agencies_file_is_reported(tmp_path):
    with pytest.raises(SettingsError, match="AGENCIES_FILE"):
        load_settings(environ={"AGENCIES_FILE": str(tmp_path / "nope.yaml")}, dotenv_path=None)


def test_empty_value_means_default():
    s = load_settings(environ={"SCHEDULER_TICK_SECONDS": "", "TELEGRAM_BOT_TOKEN": ""}, dotenv_path=None)
    assert s.scheduler_tick_seconds == 30
    assert s.telegram_bot_token is None


def test_escalation_steps_are_ordered():
    s = load_settings(environ={"ESCALATION_STEPS": "7:leadership, 1:manager"}, dotenv_path=None)
    assert [st.workdays_late for st in s.escalation_steps] == [1, 7]


def test_port_zero_means_any_free_port_and_a_bad_bind_is_named():
    assert load_settings(environ={"FEED_BIND": "127.0.0.1:0"}, dotenv_path=None).feed_bind == "127.0.0.1:0"
    with pytest.raises(SettingsError, match="FEED_BIND='localhost'"):
        load_settings(environ={"FEED_BIND": "localhost"}, dotenv_path=None)
