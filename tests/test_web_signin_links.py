"""Where sign-in links come from: the bot's /web in a private chat, and `dondoc web-link` on the server."""

from __future__ import annotations

import re
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from dondoc.cli import app
from core.i18n import _
from storage.tables import WebSigninLink
from tests.bot_harness import ALICE, FOCAL_CHAT, MALLORY, NOW, bot  # noqa: F401 - the `bot` fixture
from tests.factories import make_binding
from storage.signin import SigninError, peek_signin_link, redeem_signin_link

URL_RE = re.compile(r"http://127\.0\.0\.1:8080/web/signin/([A-Za-z0-9_-]+)")


async def test_web_in_a_private_chat_sends_a_one_time_link(bot):  # noqa: F811
    with Session(bot.engine) as s:
        make_binding(s, chat_id=ALICE, agency="so-noi-vu", role="focal", now=NOW)
        s.commit()
    reaction = await bot.say(ALICE, "/web", user_id=ALICE)
    m = URL_RE.search(reaction.text)
    assert m, reaction.text
    import json

    params = bot.tg.calls("sendMessage")[-1]
    options = params["link_preview_options"]
    options = json.loads(options) if isinstance(options, str) else options
    assert options["is_disabled"] is True  # a preview fetch never sees the link
    with Session(bot.engine) as s:
        row = peek_signin_link(s, m.group(1), bot.clock.now())
        assert row.user_id == str(ALICE)
        assert (row.expires_at - row.created_at).total_seconds() == bot.settings.signin_link_minutes * 60
        redeem_signin_link(s, m.group(1), bot.clock.now())
        with pytest.raises(SigninError) as e:
            redeem_signin_link(s, m.group(1), bot.clock.now())
        assert e.value.code == "used"


async def test_web_in_a_linked_group_sends_the_link_privately_with_the_groups_roles(bot):  # noqa: F811
    reaction = await bot.say(FOCAL_CHAT, "/web", user_id=ALICE)
    assert reaction.texts(FOCAL_CHAT) == [_("I have sent you a sign-in link in a private chat.", lang="vi")]
    private = reaction.texts(ALICE)
    assert len(private) == 1 and not URL_RE.search("\n".join(reaction.texts(FOCAL_CHAT)))
    token = URL_RE.search(private[0]).group(1)
    with Session(bot.engine) as s:
        row = peek_signin_link(s, token, bot.clock.now())
        assert row.via_chat == str(FOCAL_CHAT)
        from storage.signin import person_for

        person = person_for(s, row.user_id, row.name, bot.settings.admin_user_ids, row.via_chat)
        assert person.own_agencies == ["so-noi-vu"] and not person.sees_all
        assert person_for(s, row.user_id, row.name, bot.settings.admin_user_ids) is None  # not without the group


async def test_web_in_a_group_when_the_bot_cannot_write_privately(bot):  # noqa: F811
    bot.tg.fail_next("sendMessage", 403, description="Forbidden: bot can't initiate conversation with a user")
    reaction = await bot.say(FOCAL_CHAT, "/web", user_id=ALICE)
    assert reaction.texts(FOCAL_CHAT) == [_("I cannot write to you privately yet: open a private chat with me, press "
                                            "Start, then send /web here again.", lang="vi")]
    with Session(bot.engine) as s:
        assert s.exec(select(WebSigninLink)).all() == []


async def test_help_lists_web(bot):  # noqa: F811
    reaction = await bot.say(FOCAL_CHAT, "/help", user_id=ALICE)
    assert "/web — Liên kết đăng nhập trang quản trị" in reaction.text
    from bot.app import bot_commands

    assert "web" in [c.command for c in bot_commands("vi")]


async def test_web_without_a_role_gives_no_link(bot):  # noqa: F811
    from tests.bot_harness import STRANGER_CHAT

    in_group = await bot.say(STRANGER_CHAT, "/web", user_id=ALICE)
    assert not URL_RE.search(in_group.text) and in_group.texts(ALICE) == []
    stranger = await bot.say(MALLORY, "/web", user_id=MALLORY)
    assert not URL_RE.search(stranger.text)
    assert stranger.text == _("This chat is not linked to any agency yet, so the web console has nothing to show "
                              "you. Ask the administrator for an invite.", lang="vi")
    with Session(bot.engine) as s:
        assert s.exec(select(WebSigninLink)).all() == []


def test_cli_web_link_prints_a_full_url_on_the_public_base(monkeypatch, db_url, engine):
    with Session(engine) as s:
        make_binding(s, chat_id=777, agency="so-noi-vu", role="oversight", now=NOW)
        s.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FEED_BASE_URL", "https://dondoc.snv.example.vn")
    monkeypatch.setenv("SIGNIN_LINK_MINUTES", "10")
    runner = CliRunner()
    ok = runner.invoke(app, ["web-link", "--user", "777", "--name", "Chị Hoa"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    url = ok.stdout.strip()
    assert re.fullmatch(r"https://dondoc\.snv\.example\.vn/web/signin/[A-Za-z0-9_-]{43}", url)
    with Session(engine) as s:
        row = s.exec(select(WebSigninLink)).one()
        assert row.user_id == "777" and row.name == "Chị Hoa"
        assert (row.expires_at - row.created_at).total_seconds() == 600
        assert row.token_hash not in url  # stored hashed
    nobody = runner.invoke(app, ["web-link", "--user", "12345"])
    assert nobody.exit_code == 2 and "12345" in nobody.output
    bad = runner.invoke(app, ["web-link", "--user", "lan"])
    assert bad.exit_code == 2
