"""Strangers on Zalo (issue 27): refusals to unlinked chats have their own budget — once per chat per five
minutes, and ZALO_UNLINKED_REPLIES_PER_MINUTE over all of them — and never go ahead of a linked chat's
message in the one send queue; a deeply nested JSON body on the webhook is a 400, not a 500."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.zalo import LINKED, STRANGER, _Spacing
from web.zalo_webhook import parse_json
from tests.fake_zalo import FakeZalo
from tests.health_probe import HealthProbe
from tests.test_zalo_webhook import FOCAL, SECRET, WEBHOOK, linked, running  # noqa: F401 - fixture

STRANGERS = 40
CAP = 6


async def test_strangers_get_a_capped_number_of_refusals_and_the_member_is_answered(db_url, linked):  # noqa: F811
    async with FakeZalo() as fake:
        async with running(fake, db_url, linked, ("feeds",), zalo_unlinked_replies_per_minute=CAP,
                           **WEBHOOK) as run:
            strangers = [f"stranger{n:04d}" for n in range(STRANGERS)]
            async with HealthProbe(run.base) as probe:
                for chat in strangers:  # each writes once …
                    assert await run.post(fake.text_update(chat, "xin chào")) == 200
                for chat in strangers[:5]:  # … and a few write again (told already: no second answer)
                    assert await run.post(fake.text_update(chat, "/tasks")) == 200
                assert await run.post(fake.text_update(FOCAL, "/tasks")) == 200
                assert "5099-1" in "\n".join(await run.replies_after(FOCAL, 0))
                await run.service.zalo_updates.drain()  # every update handled, every answer sent
            probe.assert_responsive()
            answered = [c for c in strangers if fake.texts_to(c)]
            assert len(answered) == CAP  # the budget over all strangers (today's main: all 40)
            assert all(len(fake.texts_to(c)) == 1 for c in answered)  # once per chat
            assert "liên kết" in fake.texts_to(answered[0])[0].lower() or "link" in fake.texts_to(answered[0])[0]


async def test_a_linked_chat_goes_before_every_waiting_refusal():
    spacing = _Spacing(1000.0)
    order: list[str] = []

    async def send(name: str, priority: int) -> None:
        await spacing.wait(priority)
        order.append(name)

    waiting = [asyncio.create_task(send(f"stranger{n}", STRANGER)) for n in range(5)]
    await asyncio.sleep(0)  # every refusal is queued (the first may have its slot already) …
    member = asyncio.create_task(send("member", LINKED))  # … before the member's reply
    await asyncio.gather(*waiting, member)
    assert order.index("member") <= 1, order  # at most the one refusal already on its way goes first


async def test_deeply_nested_json_on_the_webhook_is_a_400(db_url, linked):  # noqa: F811
    async with FakeZalo() as fake:
        async with running(fake, db_url, linked, ("feeds",), **WEBHOOK) as run:
            async with aiohttp.ClientSession() as http:
                for body in (b"[" * 200_000 + b"]" * 200_000, b'{"a":' * 100 + b"1" + b"}" * 100):
                    async with http.post(run.base + "/zalo/webhook", data=body,
                                         headers={"X-Bot-Api-Secret-Token": SECRET}) as r:
                        assert r.status == 400
            assert await run.post(fake.text_update(FOCAL, "/tasks")) == 200  # and the route still works
            assert "5099-1" in "\n".join(await run.replies_after(FOCAL, 0))


def test_json_depth_limit_counts_levels_not_size():
    assert parse_json(b'{"message": {"chat": {"id": "1"}, "text": "[[[{{{"}}') == {
        "message": {"chat": {"id": "1"}, "text": "[[[{{{"}}
    assert parse_json(b"[" * 32 + b"]" * 32, max_depth=32) is not None
    for raw in (b"[" * 33 + b"]" * 33, b"[" * 100_000):
        try:
            parse_json(raw, max_depth=32)
        except ValueError:
            continue
        raise AssertionError("not refused")
