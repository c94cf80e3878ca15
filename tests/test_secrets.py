"""Issue 18, item 10: the PostgreSQL password is not echoed in a settings error; the webhook secret is
compared in constant time (hmac.compare_digest)."""

from __future__ import annotations

import hmac
import json

import aiohttp
import pytest

from bot.app import build_application, start_bot, stop_bot
from core.settings import SettingsError
from dondoc.settings import load_settings
from tests.fake_telegram import FakeTelegram
from tests.test_bot_webhook import SECRET, free_port, update_json


def test_a_settings_error_does_not_echo_passwords_or_secrets():
    with pytest.raises(SettingsError) as e:
        load_settings(environ={"DATABASE_URL": "postgres://dondoc:S3cr3t-pw@db.example/dondoc",
                               "WEBHOOK_SECRET": "not a valid secret!", "SCHEDULER_TICK_SECONDS": "0"},
                      dotenv_path=None)
    text = str(e.value)
    assert "S3cr3t-pw" not in text and "not a valid secret" not in text
    assert "DATABASE_URL='postgres://dondoc:***@db.example/dondoc'" in text  # still says which value is wrong
    assert "WEBHOOK_SECRET='***'" in text and "SCHEDULER_TICK_SECONDS='0'" in text


async def test_the_webhook_secret_is_compared_in_constant_time(db_url, engine, clock, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    port = free_port()
    async with FakeTelegram() as tg:
        settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, telegram_bot_token=tg.token,
                                 telegram_base_url=tg.base_url, webhook_url="https://dondoc.example.gov.vn/hook",
                                 webhook_secret=SECRET, webhook_listen=f"127.0.0.1:{port}")
        app = build_application(settings, engine, clock)
        await start_bot(app, settings)
        try:
            async with aiohttp.ClientSession() as http:
                for given, status in (("wrong", 403), (SECRET[:-1], 403), (SECRET, 200)):
                    async with http.post(f"http://127.0.0.1:{port}/hook", data=json.dumps(update_json(1, "/help")),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": given}) as r:
                        assert r.status == status
                async with http.post(f"http://127.0.0.1:{port}/hook", data=b"not json",
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 400
        finally:
            await stop_bot(app)
    assert (b"wrong", SECRET.encode()) in compared and (SECRET.encode(), SECRET.encode()) in compared


def test_clock_start_within_the_grammar_years():
    with pytest.raises(SettingsError, match="1900-2199"):
        load_settings(environ={"CLOCK_START": "9999-12-31T23:59:00+07:00"}, dotenv_path=None)
