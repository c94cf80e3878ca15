"""Issue 18, item 9: no secrets in logs at any level.

Before: with LOG_LEVEL=debug python-telegram-bot logged the bot token (in the API URL) and the webhook
secret; feed URLs and invite codes appeared too. Now a DEBUG log of a full run — the bot in webhook mode,
an invite redeemed, a feed link issued and fetched, a database URL and an exception mentioning the API URL —
contains none of the secrets, and still says what happened."""

from __future__ import annotations

import io
import json
import logging
import socket

import aiohttp
from dataclasses import replace
from sqlmodel import Session

from bot.app import build_application, start_bot, stop_bot
from bot.invites import create_invite
from dondoc import redact
from dondoc.settings import load_settings
from storage import feed_tokens as tokens
from web.feeds import start_feed_server
from storage.actions import Actor
from tests.bot_harness import ADMIN, FOCAL_CHAT, NOW, STRANGER_CHAT, seed
from tests.fake_telegram import FakeTelegram

BOT_TOKEN = "7012345678:AAF-secretPartOfTheBotToken_0123456789xyz"
WEBHOOK_SECRET = "webhook-Secret_0123456789"
CALLBACK_SECRET = "callback-secret-9876543210"
PG_PASSWORD = "pg-Pa55word-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def update(update_id: int, chat_id: int, user_id: int, text: str, chat_type: str = "supergroup") -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(NOW.timestamp()), "text": text,
        "chat": {"id": chat_id, "type": chat_type, **({"title": "Nhóm"} if chat_type != "private" else
                                                        {"first_name": "Quản trị"})},
        "from": {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }}


def test_shapes_are_redacted_whatever_the_value():
    r = redact.Redactor()
    assert r("GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe") == \
        "GET https://api.telegram.org/bot<bot-token>/getMe"
    assert r("postgresql+psycopg://dondoc:s3cr3t@db:5432/dondoc") == "postgresql+psycopg://dondoc:***@db:5432/dondoc"
    assert r('"GET /feeds/AbCdEfGhIjKlMnOpQrStUvWxYz012345.todo.ics HTTP/1.1"') == '"GET /feeds/***.todo.ics HTTP/1.1"'
    assert r("text='/link Zx9_aB3-Qw8rTy6uIo1p'") == "text='/link ***'"
    assert r("https://console.example.gov.vn/signin/eyJhbGciOi.xyz?next=/") == "https://console.example.gov.vn/signin/***?next=/"
    assert r("https://t.me/dondoc_bot?start=Zx9aB3Qw8rTy") == "https://t.me/dondoc_bot?start=***"
    assert r("GET /email/confirm?t=eyJiIjo0fQ.c2ln&lang=vi") == "GET /email/confirm?t=***&lang=vi"  # e-mail opt-in
    assert r("plain words stay as they are: 5099/UBND-HCC") == "plain words stay as they are: 5099/UBND-HCC"


def test_zalo_token_and_smtp_password_are_secrets_too():
    settings = load_settings(environ={}, dotenv_path=None, zalo_bot_token="1459232241:zalo-short",
                             smtp_host="127.0.0.1", smtp_password="m@il-Pa55", mail_from="dondoc@x.gov.vn")
    r = redact.Redactor()
    r.add(redact.secrets_of(settings))
    line = "POST https://bot-api.zaloplatforms.com/bot1459232241:zalo-short/sendMessage; AUTH PLAIN m@il-Pa55"
    assert "zalo-short" not in r(line) and "m@il-Pa55" not in r(line) and "/sendMessage" in r(line)


async def test_a_debug_log_of_a_full_run_contains_none_of_the_secrets(db_url, engine, clock):
    with Session(engine) as s:
        seed(s)
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    port = free_port()
    seen: dict[str, str] = {}
    try:
        async with FakeTelegram(token=BOT_TOKEN) as tg:
            settings = load_settings(
                environ={}, dotenv_path=None, database_url=db_url, telegram_bot_token=tg.token,
                telegram_base_url=tg.base_url, webhook_url="https://dondoc.example.gov.vn/tg/hook",
                webhook_secret=WEBHOOK_SECRET, webhook_listen=f"127.0.0.1:{port}", callback_secret=CALLBACK_SECRET,
                admin_user_ids=(ADMIN,), feed_bind="127.0.0.1:0")
            redact.install(settings)
            with Session(engine) as s:
                code, _row = create_invite(s, "so-y-te", "focal", Actor("admin", None, "cli"), NOW)
                agency_token = tokens.issue_token(s, "agency", agency="so-noi-vu", actor=Actor("admin", None, "cli"),
                                                  now=NOW)
                s.commit()
            seen.update(code=code, agency_token=agency_token)
            app = build_application(settings, engine, clock)
            await start_bot(app, settings)
            feeds = await start_feed_server(replace(settings, feed_bind="127.0.0.1:0"), engine, clock)
            try:
                hook = f"http://127.0.0.1:{port}/tg/hook"
                async with aiohttp.ClientSession() as http:
                    for n, (chat, user, text, kind) in enumerate([
                            (STRANGER_CHAT, 501, f"/link {code}", "supergroup"),
                            (FOCAL_CHAT, 501, "/tasks", "supergroup"),
                            (ADMIN, ADMIN, "/feed", "private")], start=1):
                        async with http.post(hook, data=json.dumps(update(n, chat, user, text, kind)),
                                             headers={"Content-Type": "application/json",
                                                      "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}) as r:
                            assert r.status == 200
                        await tg.wait_for(lambda: tg.messages_to(chat))
                    async with http.post(hook, json=update(9, FOCAL_CHAT, 501, "/help"),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                        assert r.status == 403
                    feed_text = tg.texts_to(ADMIN)[-1]
                    issued = [w for w in feed_text.split() if "/feeds/" in w]
                    assert issued, feed_text
                    seen["chat_token"] = tokens.token_from_text(issued[0])
                    host, fport = feeds.addresses[0][:2]
                    for token in (agency_token, seen["chat_token"]):
                        async with http.get(f"http://{host}:{fport}/feeds/{token}.ics") as r:
                            assert r.status == 200
                # the feed server keeps no access log; a front end that does (the web console's) logs this:
                logging.getLogger("aiohttp.access").info('127.0.0.1 "GET /feeds/%s.ics HTTP/1.1" 200', agency_token)
                logging.getLogger("dondoc.run").debug(
                    "connecting to %s", f"postgresql+psycopg://dondoc:{PG_PASSWORD}@db.example/dondoc")
                try:
                    raise RuntimeError(f"cannot reach {tg.base_url}{tg.token}/sendMessage")
                except RuntimeError:
                    logging.getLogger("telegram.ext.Application").exception("sending failed")
            finally:
                await feeds.cleanup()
                await stop_bot(app)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        redact.uninstall()
    log = buf.getvalue()
    # It is a real DEBUG log of that run ...
    assert "sendMessage" in log and "setWebhook" in log and "DEBUG telegram" in log and "aiohttp.access" in log
    assert "/feeds/***" in log and "/link ***" in log and "dondoc:***@db.example" in log
    assert "Traceback" in log and "RuntimeError" in log
    # ... without a single secret in it.
    secrets = {"bot token": BOT_TOKEN.split(":", 1)[1], "webhook secret": WEBHOOK_SECRET,
               "callback secret": CALLBACK_SECRET, "database password": PG_PASSWORD, **seen}
    leaked = {what: value for what, value in secrets.items() if value and value in log}
    assert leaked == {}
