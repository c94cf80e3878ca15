"""Invite codes: single use, expiring, stored hashed; `dondoc invite` prints the code and deep links."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot import invites
from core.i18n import _
from storage.actions import Actor
from storage.tables import AuditEntry, ChatBinding, InviteCode, Task
from tests.factories import make_binding, make_task

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 1, 9, 0, tzinfo=VN)
ADMIN = Actor("admin", None, "cli")
LAN = Actor("Lan", "501", "telegram")


def test_code_is_random_hashed_and_single_use(engine):
    with Session(engine) as s:
        code, row = invites.create_invite(s, "so-noi-vu", "focal", ADMIN, NOW)
        code2, _ = invites.create_invite(s, "so-noi-vu", "focal", ADMIN, NOW)
        s.commit()
        assert code != code2 and invites.CODE_RE.fullmatch(code)
        assert row.code_hash == hashlib.sha256(code.encode()).hexdigest()
        assert code not in str([r.model_dump() for r in s.exec(select(InviteCode))])
        assert row.expires_at == NOW + timedelta(days=7)
        result = invites.redeem_invite(s, code, platform="telegram", chat_id="-100", title="Nhóm", actor=LAN, now=NOW)
        assert not result.already_linked and (result.binding.agency, result.binding.role) == ("so-noi-vu", "focal")
        with pytest.raises(invites.InviteError) as e:
            invites.redeem_invite(s, code, platform="telegram", chat_id="-200", title=None, actor=LAN, now=NOW)
        assert e.value.code == "used"


@pytest.mark.parametrize("code,reason", [("", "malformed"), ("short", "malformed"), ("has space in it", "malformed"),
                                         ("A" * 20, "unknown")])
def test_bad_codes(engine, code, reason):
    with Session(engine) as s:
        with pytest.raises(invites.InviteError) as e:
            invites.redeem_invite(s, code, platform="telegram", chat_id="-1", title=None, actor=LAN, now=NOW)
        assert e.value.code == reason


def test_expired_code(engine):
    with Session(engine) as s:
        code, _ = invites.create_invite(s, "so-noi-vu", "focal", ADMIN, NOW, timedelta(hours=1))
        with pytest.raises(invites.InviteError) as e:
            invites.redeem_invite(s, code, platform="telegram", chat_id="-1", title=None, actor=LAN,
                                  now=NOW + timedelta(hours=1))
        assert e.value.code == "expired"
        assert s.exec(select(ChatBinding)).all() == []


def test_redeem_reactivates_a_disabled_binding_and_replans(engine):
    with Session(engine) as s:
        b = make_binding(s, chat_id=-5, agency="so-noi-vu", role="focal", now=NOW)
        b.active, b.disabled_reason = False, "bot removed from the group"
        own = make_task(s, key="A", deadline_text="trước ngày 14/6/2018", now=NOW)
        helper = make_task(s, key="B", deadline_text="trước ngày 14/6/2018", now=NOW, lead="so-y-te",
                           coordinators=["so-noi-vu"])
        other = make_task(s, key="C", deadline_text="trước ngày 14/6/2018", now=NOW, lead="so-y-te")
        for t in (own, helper, other):
            t.next_check_at = NOW + timedelta(days=3)
        code, _ = invites.create_invite(s, "so-noi-vu", "focal", ADMIN, NOW)
        s.commit()
        result = invites.redeem_invite(s, code, platform="telegram", chat_id="-5", title="Mới", actor=LAN, now=NOW)
        s.commit()
        assert result.binding.id == b.id and result.binding.active and result.binding.disabled_reason is None
        checks = {t.key: t.next_check_at for t in s.exec(select(Task))}
        assert checks["A"] is None and checks["B"] is None and checks["C"] is not None
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "binding.linked")).one()
        assert (entry.actor, entry.actor_id, entry.source, entry.entity_key) == ("Lan", "501", "telegram", "telegram:-5")


def test_oversight_binding_replans_every_task(engine):
    with Session(engine) as s:
        t = make_task(s, key="C", deadline_text="trước ngày 14/6/2018", now=NOW, lead="so-y-te")
        t.next_check_at = NOW + timedelta(days=3)
        code, _ = invites.create_invite(s, "van-phong-ubnd-tinh", "oversight", ADMIN, NOW)
        invites.redeem_invite(s, code, platform="telegram", chat_id="-9", title=None, actor=LAN, now=NOW)
        s.commit()
        assert s.exec(select(Task)).one().next_check_at is None


def test_parse_duration():
    assert invites.parse_duration("7d") == timedelta(days=7)
    assert invites.parse_duration("12h") == timedelta(hours=12)
    assert invites.parse_duration("2w") == timedelta(weeks=2)
    assert invites.parse_duration("30m") == timedelta(minutes=30)
    for bad in ("", "7", "d", "0d", "7y", "400d"):
        with pytest.raises(ValueError):
            invites.parse_duration(bad)


def test_deep_links():
    assert invites.deep_links("@dondoc_bot", "abcDEF123_-xyz") == (
        "https://t.me/dondoc_bot?startgroup=abcDEF123_-xyz", "https://t.me/dondoc_bot?start=abcDEF123_-xyz")


# -- the command ------------------------------------------------------------------------------------------

def _run(monkeypatch, db_url, args, **env):
    from dondoc.cli import app

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CLOCK_START", "2018-06-01T09:00:00+07:00")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return CliRunner().invoke(app, args)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_invite_command_prints_code_and_links(monkeypatch, db_url, engine, lang):
    result = _run(monkeypatch, db_url, ["invite", "Sở Nội vụ", "--role", "focal", "--expires", "3d"],
                  TELEGRAM_BOT_USERNAME="dondoc_bot", LANGUAGE=lang)
    assert result.exit_code == 0, result.output
    code = re.search(r"^  (\S+)$", result.output, re.M).group(1)
    assert f"https://t.me/dondoc_bot?startgroup={code}" in result.output
    assert f"https://t.me/dondoc_bot?start={code}" in result.output
    assert _("Or, in the chat: /link {code}", lang=lang, code=code) in result.output
    first = result.output.splitlines()[0]
    until = re.search(r"09:0\d 04/06/2018", first).group(0)
    assert first == _("Invite for {agency} ({code}) as {role} ({role_label}); single use, valid until {until} ({tz}):",
                      lang=lang, agency="Sở Nội vụ", code="so-noi-vu", role="focal",
                      role_label={"vi": "cán bộ đầu mối", "en": "focal point"}[lang], until=until, tz="Asia/Ho_Chi_Minh")
    with Session(engine) as s:
        row = s.exec(select(InviteCode)).one()
        assert row.code_hash == invites.hash_code(code) and (row.agency, row.role) == ("so-noi-vu", "focal")
        from storage.tables import Agency

        assert s.exec(select(Agency).where(Agency.code == "so-noi-vu")).one().name == "Sở Nội vụ"


def test_invite_command_asks_telegram_for_the_username(monkeypatch, db_url):
    from tests.fake_telegram import FakeTelegram

    with FakeTelegram.in_thread(bot_username="so_noi_vu_bot") as tg:
        result = _run(monkeypatch, db_url, ["invite", "so-noi-vu", "--role", "oversight"],
                      TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_BASE_URL=tg.base_url)
    assert result.exit_code == 0, result.output
    assert "https://t.me/so_noi_vu_bot?startgroup=" in result.output


def test_invite_command_without_bot_identity_still_gives_the_code(monkeypatch, db_url):
    result = _run(monkeypatch, db_url, ["invite", "so-noi-vu", "--role", "manager"])
    assert result.exit_code == 0, result.output
    assert "/link " in result.output and "TELEGRAM_BOT_USERNAME" in result.output


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("args,msgid,values", [
    (["invite", "so-noi-vu", "--role", "boss"], "--role {role!r}: accepted: {accepted}.",
     dict(role="boss", accepted="focal | manager | oversight | leadership")),
    (["invite", "so-noi-vu", "--role", "focal", "--expires", "soon"],
     "expiry {text!r} not understood; accepted: a number and a unit m/h/d/w, e.g. 7d, 12h, 2w", dict(text="soon")),
    (["invite", "Sở Nội vự", "--role", "focal"], "Unknown agency {text!r}.", dict(text="Sở Nội vự")),
    (["invite", "các sở, ban, ngành", "--role", "focal"], "an invite is for one agency", {}),
])
def test_invite_command_bad_input(monkeypatch, db_url, engine, args, msgid, values, lang):
    result = _run(monkeypatch, db_url, args, LANGUAGE=lang)
    message = _(msgid, lang=lang, **values)
    assert result.exit_code == 2 and message in result.output, result.output
    with Session(engine) as s:
        assert s.exec(select(InviteCode)).all() == []
