"""/ics and /feed end to end: the calendar file, the secret link (with a warning in groups), revocation."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.texts import t
from core.i18n import _, ngettext
from storage import feed_tokens as tokens
from storage.tables import FeedToken
from tests.bot_harness import FOCAL_CHAT, OVERSIGHT_CHAT, bot, button, buttons_of  # noqa: F401 — `bot` is a fixture


async def test_ics_sends_the_chat_calendar(bot):
    r = await bot.say(FOCAL_CHAT, "/ics")
    (doc,) = bot.tg.documents
    assert doc["filename"] == "dondoc-so-noi-vu.ics" and doc["chat_id"] == FOCAL_CHAT
    body = doc["content"].decode().replace("\r\n ", "")  # unfold RFC 5545 lines
    assert body.startswith("BEGIN:VCALENDAR") and "Rà soát thủ tục hành chính" in body
    assert "5099-4" not in body and "an toàn thực phẩm" not in body  # another agency's task
    assert r.sent[0]["caption"] == t("vi", "ics_caption", agency="Sở Nội vụ")
    assert "Lịch các hạn nhiệm vụ của Sở Nội vụ" in r.sent[0]["caption"]
    r = await bot.say(OVERSIGHT_CHAT, "/ics", language_code="en")
    assert bot.tg.documents[-1]["filename"] == "dondoc-tat-ca.ics"
    assert "an toàn thực phẩm" in bot.tg.documents[-1]["content"].decode().replace("\r\n ", "")
    assert r.sent[0]["caption"] == t("en", "ics_caption", agency=t("en", "all_agencies"))
    assert r.sent[0]["caption"].startswith("📅 Deadlines of all agencies")


async def test_feed_in_private_chat_gives_the_link(bot):
    from storage.tables import ChatBinding

    with bot.session() as s:
        s.add(ChatBinding(platform="telegram", chat_id="777", agency="so-noi-vu", role="focal",
                          created_at=bot.clock.now(), updated_at=bot.clock.now()))
        s.commit()
    r = await bot.say(777, "/feed", chat_type="private")
    url = re.search(r"(http://127\.0\.0\.1:8080/feeds/([A-Za-z0-9_-]+)\.ics)", r.text)
    assert url and r.text == t("vi", "feed_url", scope="Sở Nội vụ", url=url.group(1),
                               todo_url=url.group(1).replace(".ics", ".todo.ics")) + "\n" + _(
        "Subscribe with one click (Apple Calendar, Outlook): {url}", lang="vi",
        url=f"webcal://127.0.0.1:8080/feeds/{url.group(2)}.ics")
    assert f"webcal://127.0.0.1:8080/feeds/{url.group(2)}.ics" in r.text  # the one-click form too
    with bot.session() as s:
        row = tokens.lookup(s, url.group(2))
        assert row is not None and row.scope == "binding"
    r = await bot.say(777, "/feed revoke", chat_type="private")
    assert r.text == ngettext("Revoked {n} calendar link of this chat; it no longer works.",
                              "Revoked {n} calendar links of this chat; the old links no longer work.", 1, lang="vi")
    assert "Đã thu hồi 1 đường dẫn lịch" in r.text
    with bot.session() as s:
        assert tokens.lookup(s, url.group(2)) is None
    r = await bot.say(777, "/feed revoke", chat_type="private", language_code="en")
    assert r.text == t("en", "feed_nothing_to_revoke") == "This chat has no active calendar link."
    r = await bot.say(777, "/feed please", chat_type="private")
    assert r.text == t("vi", "feed_usage")


async def test_feed_in_group_warns_first(bot):
    r = await bot.say(FOCAL_CHAT, "/feed")
    (warning,) = r.sent
    assert warning["text"] == t("vi", "feed_group_warning") and "/feeds/" not in warning["text"]
    with bot.session() as s:
        assert s.exec(select(FeedToken)).all() == []
    r = await bot.press(FOCAL_CHAT, warning["message_id"], button(warning, "Tôi hiểu"))
    assert "/feeds/" in r.text and r.answers
    with bot.session() as s:
        assert len(s.exec(select(FeedToken)).all()) == 1
    assert [label for label, _ in buttons_of(warning)] == [t("vi", "feed_group_button")]
