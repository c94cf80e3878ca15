"""Webhook mode: the listener on 127.0.0.1 accepts an update only with the right
X-Telegram-Bot-Api-Secret-Token; the webhook is registered with Telegram with that secret."""

from __future__ import annotations

import json
import re
import socket

import aiohttp
import pytest
from sqlmodel import Session

from bot.app import build_application, start_bot, stop_bot, webhook_listen
from core.i18n import _
from dondoc.settings import load_settings
from tests.bot_harness import FOCAL_CHAT, NOW, seed
from tests.fake_telegram import FakeTelegram

SECRET = "s3cret-Token_42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def update_json(update_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(NOW.timestamp()), "text": text,
        "chat": {"id": FOCAL_CHAT, "type": "supergroup", "title": "Đầu mối"},
        "from": {"id": 501, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }}


async def test_webhook_checks_the_secret_on_every_request(db_url, engine, clock):
    with Session(engine) as s:
        seed(s)
    port = free_port()
    async with FakeTelegram() as tg:
        settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, telegram_bot_token=tg.token,
                                 telegram_base_url=tg.base_url, webhook_url="https://dondoc.example.gov.vn/tg/hook",
                                 webhook_secret=SECRET, webhook_listen=f"127.0.0.1:{port}")
        assert webhook_listen(settings) == ("127.0.0.1", port, "tg/hook")
        app = build_application(settings, engine, clock)
        await start_bot(app, settings)
        try:
            assert tg.webhook["url"] == "https://dondoc.example.gov.vn/tg/hook"
            assert tg.webhook["secret_token"] == SECRET
            assert tg.calls("getUpdates") == []  # no polling in webhook mode
            url = f"http://127.0.0.1:{port}/tg/hook"
            async with aiohttp.ClientSession() as http:
                # wrong secret, and none at all: refused, nothing handled
                for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
                    async with http.post(url, data=json.dumps(update_json(1, "/help")),
                                         headers={"Content-Type": "application/json", **headers}) as r:
                        assert r.status == 403
                # the right secret: handled, the bot answers in the chat
                async with http.post(url, data=json.dumps(update_json(2, "/tasks")),
                                     headers={"Content-Type": "application/json",
                                              "X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 200
            texts = await tg.wait_for(lambda: tg.texts_to(FOCAL_CHAT))
            assert len(texts) == 1 and "Nhiệm vụ đang thực hiện — Sở Nội vụ (3)" in texts[0]
        finally:
            await stop_bot(app)


async def test_webhook_without_secret_is_refused(db_url, engine, clock):
    async with FakeTelegram() as tg:
        settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, telegram_bot_token=tg.token,
                                 telegram_base_url=tg.base_url, webhook_url="https://dondoc.example.gov.vn/tg/hook",
                                 webhook_listen=f"127.0.0.1:{free_port()}")
        app = build_application(settings, engine, clock)
        with pytest.raises(ValueError, match=re.escape(_("WEBHOOK_SECRET must be set with WEBHOOK_URL: without it anyone who finds the "
                                                        "URL could post fake updates (accepted: 1-256 characters "
                                                        "A-Z, a-z, 0-9, _ and -)", lang="vi"))):
            await start_bot(app, settings)
        await stop_bot(app)
        assert tg.webhook is None


def test_no_token_no_bot(settings, engine, clock):
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN"):
        build_application(settings, engine, clock)
