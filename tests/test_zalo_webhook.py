"""Zalo webhook mode end to end: `dondoc run`'s Service with its real HTTP server on 127.0.0.1, the fake Zalo Bot
API recording setWebhook and posting updates to the route like Zalo, replies reaching the fake's sendMessage.
Polling mode next to it: the poller still answers and removes a stray webhook, and never both run."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.zalo import ZaloClient
from web.zalo_webhook import WebhookKeeper, updates_of, webhook_path
from dondoc import redact
from core.clock import FixedClock
from core.i18n import _
from dondoc.service import Service
from core.settings import SettingsError
from dondoc.settings import load_settings
from storage.tables import ProgressUpdate
from tests.bot_harness import NOW, seed
from tests.factories import make_binding
from tests.fake_zalo import FakeZalo

URL = "https://dondoc.example.gov.vn/zalo/webhook"
SECRET = "s3cr3t-Zalo_webhook-0123456789"
FOCAL = "e4ea2cd5189df1c3a88c"  # a person at Sở Nội vụ, linked as focal point
OTHER = "0a1b2c3d4e5f60718293"  # nobody linked


def settings_for(fake: FakeZalo, db_url: str, **kw):
    values = dict(zalo_bot_token=fake.token, zalo_base_url=fake.base_url, zalo_rate_per_second=100.0,
                  feed_bind="127.0.0.1:0", feed_render_processes=0)
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, **{**values, **kw})


@pytest.fixture
def linked(engine):
    with Session(engine) as s:
        seed(s)
        make_binding(s, chat_id=FOCAL, agency="so-noi-vu", role="focal", now=NOW, platform="zalo")
        s.commit()
    return engine


class Running:
    def __init__(self, fake, service):
        self.fake = fake
        self.service = service
        host, port = service.feed_runner.addresses[0][:2] if service.feed_runner else ("", 0)
        self.base = f"http://{host}:{port}"

    async def post(self, update, **kw) -> int:
        return await self.fake.post_webhook(update, self.base, **kw)

    async def replies_after(self, chat: str, before: int, n: int = 1) -> list[str]:
        await self.fake.wait_for(lambda: len(self.fake.texts_to(chat)) >= before + n)
        return self.fake.texts_to(chat)[before:]


@contextlib.asynccontextmanager
async def running(fake, db_url, engine, roles, **kw):
    """The Service in `roles` with its HTTP server on 127.0.0.1; in webhook mode, once Zalo has the webhook."""
    service = Service(settings_for(fake, db_url, **kw), engine, FixedClock(NOW), roles=roles)
    await service.start()
    try:
        if kw.get("zalo_webhook_url") and service.zalo_webhook is not None:
            await asyncio.wait_for(service.zalo_webhook.done.wait(), 5)
        yield Running(fake, service)
    finally:
        await service.stop()


WEBHOOK = dict(zalo_webhook_url=URL, zalo_webhook_secret=SECRET)


def progress_notes(engine) -> list[str]:
    with Session(engine) as s:
        return [p.note for p in s.exec(select(ProgressUpdate).order_by(ProgressUpdate.id))]


async def test_webhook_is_set_and_a_posted_update_is_answered(db_url, linked):
    async with FakeZalo() as fake:
        async with running(fake, db_url, linked, ("bot", "feeds"), **WEBHOOK) as run:
            assert fake.webhook == {"url": URL, "secret_token": SECRET}
            assert await run.post(fake.text_update(FOCAL, "/tasks")) == 200
            text = "\n".join(await run.replies_after(FOCAL, 0))
            assert "5099-1" in text and "5099-4" not in text  # the same commands and scope as by polling
            # a body wrapped like getUpdates' answer is read too
            assert await run.post(fake.text_update(FOCAL, "/task 5099-1"), wrap=True) == 200
            assert "Rà soát thủ tục hành chính" in "\n".join(await run.replies_after(FOCAL, 1))
            # exactly one place receives: no poller in this process, although it has the bot role
            assert fake.calls("getUpdates") == [] and fake.calls("deleteWebhook") == []


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_done(db_url, linked):
    async with FakeZalo() as fake:
        async with running(fake, db_url, linked, ("feeds",), **WEBHOOK) as run:
            forged = [fake.text_update(FOCAL, "/progress 5099-1 90 giả mạo") for _ in range(3)]
            assert await run.post(forged[0], secret=SECRET + "x") == 403
            assert await run.post(forged[1], secret=None) == 403
            assert await run.post(forged[2], secret=SECRET[:-1]) == 403
            async with aiohttp.ClientSession() as http:  # not JSON, with the right secret: refused too
                async with http.post(run.base + "/zalo/webhook", data=b"{not json",
                                     headers={"X-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 400
            # the chat's next real message is handled after anything queued before it: had a forged one been
            # accepted, its progress would be recorded first
            assert await run.post(fake.text_update(FOCAL, "/progress 5099-1 40 thật")) == 200
            await run.replies_after(FOCAL, 0)
            assert progress_notes(linked) == ["thật"]


async def test_a_repeated_update_is_handled_once_and_each_chat_keeps_its_order(db_url, linked):
    async with FakeZalo() as fake:
        async with running(fake, db_url, linked, ("feeds",), **WEBHOOK) as run:
            first = fake.text_update(FOCAL, "/progress 5099-1 10 một")
            assert await run.post(first) == 200
            assert await run.post(first) == 200  # Zalo repeats a delivery: 200 again, handled once
            for pct, note in ((20, "hai"), (30, "ba"), (40, "bốn")):
                await run.post(fake.text_update(FOCAL, f"/progress 5099-1 {pct} {note}"))
                await run.post(fake.text_update(OTHER, "/help"))  # another chat, interleaved
            await run.replies_after(FOCAL, 0, 4)
            await run.replies_after(OTHER, 0, 1)
            assert progress_notes(linked) == ["một", "hai", "ba", "bốn"]  # once each, in the order posted
            assert len(fake.texts_to(FOCAL)) == 4


async def test_polling_mode_still_answers_removes_a_stray_webhook_and_serves_no_route(db_url, linked):
    async with FakeZalo() as fake:
        fake.webhook = {"url": URL, "secret_token": SECRET}  # left by an earlier webhook deployment
        async with running(fake, db_url, linked, ("bot", "feeds")) as run:
            assert await fake.wait_for(lambda: fake.calls("deleteWebhook"))
            fake.push_text(FOCAL, "/tasks")
            assert "5099-1" in "\n".join(await run.replies_after(FOCAL, 0))
            assert fake.calls("setWebhook") == []
            async with aiohttp.ClientSession() as http:  # the HTTP server has no Zalo route without the URL
                async with http.post(run.base + "/zalo/webhook", json=fake.text_update(FOCAL, "/help"),
                                     headers={"X-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status in (404, 405)


async def test_the_bot_role_alone_leaves_zalo_to_the_http_server_in_webhook_mode(db_url, linked):
    async with FakeZalo() as fake:
        async with running(fake, db_url, linked, ("bot",), **WEBHOOK) as run:
            assert run.service.zalo_receiver is None and run.service.zalo_updates is None
        assert fake.calls_log == []  # neither polled, nor set, nor removed the webhook


async def test_set_webhook_is_tried_again_until_zalo_takes_it():
    async with FakeZalo() as fake:
        fake.fail_next("setWebhook", 503, times=2)  # Zalo unreachable at start: the feeds keep serving meanwhile
        settings = load_settings(environ={}, dotenv_path=None, zalo_webhook_url=URL, zalo_webhook_secret=SECRET)
        client = ZaloClient(fake.token, fake.base_url)
        keeper = WebhookKeeper(client, settings, first_backoff=0.01)
        keeper.start()
        try:
            await asyncio.wait_for(keeper.done.wait(), 5)
        finally:
            await keeper.stop()
            await client.aclose()
        assert len(fake.calls("setWebhook")) == 3 and fake.webhook == {"url": URL, "secret_token": SECRET}


def test_webhook_path_and_bodies():
    assert webhook_path(URL) == "/zalo/webhook" and webhook_path("https://h.example/a/b/") == "/a/b"
    u = {"event_name": "message.text.received", "message": {"text": "x"}}
    assert updates_of(u) == [u] and updates_of({"ok": True, "result": u}) == [u] and updates_of([u, 3]) == [u]
    assert updates_of("nonsense") == [] and updates_of(None) == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_settings_refuse_a_bad_webhook_url_or_secret_in_the_chosen_language(lang):
    def problems(**env):
        with pytest.raises(SettingsError) as e:
            load_settings(environ={"LANGUAGE": lang, "ZALO_BOT_TOKEN": "1:t", **env}, dotenv_path=None)
        return str(e.value)

    url_help = _("accepted: an https:// URL with a path of its own, e.g. https://dondoc.example.gov.vn/zalo/webhook "
                 "(not under /feeds/, /web/, /email/ or /healthz; no query); empty: receive Zalo messages by polling",
                 lang=lang)
    secret_help = _("accepted: 8-256 characters A-Z, a-z, 0-9, _ and - (Zalo asks for 8 to 256)", lang=lang)
    required = _("ZALO_WEBHOOK_SECRET is required with ZALO_WEBHOOK_URL: without it anyone who finds the URL could "
                 "post fake messages (accepted: 8-256 characters A-Z, a-z, 0-9, _ and -)", lang=lang)
    for bad in ("http://dondoc.example.gov.vn/zalo", "https://dondoc.example.gov.vn", "https://h.example/feeds/x",
                "https://h.example/healthz", "https://h.example/hook?x=1"):
        text = problems(ZALO_WEBHOOK_URL=bad, ZALO_WEBHOOK_SECRET=SECRET)
        assert f"ZALO_WEBHOOK_URL={bad!r}" in text and url_help in text
    for bad in ("short", "x" * 257, "has space inside", "dấu-tiếng-việt"):
        text = problems(ZALO_WEBHOOK_URL=URL, ZALO_WEBHOOK_SECRET=bad)
        assert "ZALO_WEBHOOK_SECRET='***'" in text and secret_help in text and bad not in text  # never echoed
    assert required in problems(ZALO_WEBHOOK_URL=URL)
    if lang == "vi":  # told in Vietnamese, not in the English msgid
        assert secret_help.startswith("chấp nhận") and url_help.startswith("chấp nhận")
        assert "bắt buộc" in required
    s = load_settings(environ={"ZALO_WEBHOOK_URL": URL, "ZALO_WEBHOOK_SECRET": SECRET}, dotenv_path=None)
    assert (s.zalo_webhook_url, s.zalo_webhook_secret) == (URL, SECRET)
    assert SECRET in redact.secrets_of(s)  # never in a log record
    by_shape = redact.Redactor()  # the header's value is hidden even without knowing the secret
    assert SECRET not in by_shape(f"headers {{'X-Bot-Api-Secret-Token': '{SECRET}'}}")
    empty = load_settings(environ={"ZALO_WEBHOOK_URL": "", "ZALO_WEBHOOK_SECRET": ""}, dotenv_path=None)
    assert empty.zalo_webhook_url is None and empty.zalo_webhook_secret is None
