"""Zalo end to end: our client and channel against the fake Zalo Bot API on 127.0.0.1, and the text
commands through the receiver, with the same authorisation as on Telegram."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.buttons import task_buttons
from jobs.ports import ChatGone, PermanentDeliveryError, RetryLater, TransientDeliveryError
from bot.handlers.common import Deps
from bot.invites import create_invite
from bot.zalo import TEXT_LIMIT, ZaloChannel, ZaloClient, split_text
from bot.zalo_receiver import ZaloReceiver
from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from core.workdays import WorkCalendar
from storage.actions import Actor
from storage.tables import AuditEntry, ChatBinding, Extension, Occurrence, ProgressUpdate, Task
from tests.bot_harness import NOW, seed
from tests.factories import make_binding
from tests.fake_zalo import FakeZalo

ZALO_FOCAL = "e4ea2cd5189df1c3a88c"  # a person at Sở Nội vụ, linked as focal point
ZALO_OUTSIDER = "0a1b2c3d4e5f60718293"  # nobody linked
ZALO_OVERSIGHT = "77aa88bb99cc00dd11ee"


def zalo_settings(fake: FakeZalo, db_url: str, **kw):
    values = dict(zalo_bot_token=fake.token, zalo_base_url=fake.base_url, zalo_rate_per_second=100.0)
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, **{**values, **kw})


# -- the client and the channel ----------------------------------------------------------------------------

def test_split_text_cuts_at_line_boundaries():
    lines = [f"dòng {i} " + "x" * 90 for i in range(60)]  # 5,930 characters: 20 lines fit in 2,000
    text = "\n".join(lines)
    pieces = split_text(text)
    assert len(pieces) == 3 and all(0 < len(p) <= TEXT_LIMIT for p in pieces)
    assert "\n".join(pieces) == text  # nothing lost, every cut on a line boundary
    long_line = "chữ " * 1000
    assert all(len(p) <= TEXT_LIMIT for p in split_text(long_line))


async def test_client_speaks_the_documented_api():
    async with FakeZalo() as fake:
        client = ZaloClient(fake.token, fake.base_url)
        me = await client.get_me()
        assert me["account_name"] == "bot.dondoc" and me["can_join_groups"] is False
        assert await client.get_updates(timeout=0) == []  # an empty wait is a 408, not an error
        fake.push_text("u1", "xin chào")
        updates = await client.get_updates(timeout=1)
        assert updates[0]["message"]["text"] == "xin chào"
        mid = await client.send_message("u1", "Chào bạn")
        assert fake.texts_to("u1") == ["Chào bạn"] and mid
        bad = ZaloClient("1:wrong", fake.base_url)
        with pytest.raises(Exception) as e:
            await bad.get_me()
        assert getattr(e.value, "code", None) == 401
        await client.aclose()
        await bad.aclose()


async def test_channel_maps_errors_and_splits_long_messages(db_url):
    async with FakeZalo() as fake:
        channel = ZaloChannel(zalo_settings(fake, db_url))
        await channel.send("u1", "\n".join("a" * 100 for _ in range(50)))  # 5,049 characters
        assert len(fake.texts_to("u1")) == 3 and all(len(t) <= TEXT_LIMIT for t in fake.texts_to("u1"))
        fake.fail_next("sendMessage", 429, "Quota exceeded")
        with pytest.raises(RetryLater):
            await channel.send("u1", "x")
        fake.fail_next("sendMessage", 502)
        with pytest.raises(TransientDeliveryError):
            await channel.send("u1", "x")
        fake.fail_next("sendMessage", 403, "user blocked the bot")
        with pytest.raises(ChatGone):
            await channel.send("u1", "x")
        with pytest.raises(PermanentDeliveryError):  # groups are gated until Zalo opens them
            await channel.send("g:group1", "x")
        bad = ZaloChannel(zalo_settings(fake, db_url, zalo_bot_token="1:wrong"))
        with pytest.raises(TransientDeliveryError):  # a bad token is configuration: retried, logged
            await bad.send("u1", "x")
        await channel.stop()
        await bad.stop()


async def test_buttons_become_command_lines(db_url, engine):
    with Session(engine) as s:
        tasks = seed(s)
    async with FakeZalo() as fake:
        settings = zalo_settings(fake, db_url)
        with Session(engine) as s:
            task = s.exec(select(Task).where(Task.key == "5099-1")).one()
            rows = task_buttons(task, "once", "vi", settings.secret_for_callbacks())
        channel = ZaloChannel(settings, task_key_of=lambda tid: "5099-1" if tid == task.id else None,
                              lang_of=lambda chat: "vi")
        await channel.send(ZALO_FOCAL, "⏰ Nhắc hạn 5099-1", rows)
        text = fake.texts_to(ZALO_FOCAL)[0]
        assert text.startswith("⏰ Nhắc hạn 5099-1")
        assert _("Reply with a command:", lang="vi") in text
        assert "/done 5099-1" in text and "/progress 5099-1 50" in text and "/extend 5099-1 dd/mm/yyyy" in text
        await channel.stop()


# -- the commands, end to end --------------------------------------------------------------------------------

class ZaloBot:
    def __init__(self, fake: FakeZalo, engine, settings, receiver: ZaloReceiver):
        self.fake, self.engine, self.settings, self.receiver = fake, engine, settings, receiver

    async def say(self, chat: str, text: str, name: str = "Nguyễn Văn A") -> list[str]:
        before = len(self.fake.texts_to(chat))
        self.fake.push_text(chat, text, name=name)
        await self.fake.wait_for(lambda: len(self.fake.texts_to(chat)) > before, timeout=5)
        await asyncio.sleep(0.05)  # a second message of the same reply, if any
        return self.fake.texts_to(chat)[before:]


@pytest.fixture
async def zalo(db_url, engine):
    with Session(engine) as s:
        seed(s)
        make_binding(s, chat_id=ZALO_FOCAL, agency="so-noi-vu", role="focal", now=NOW, platform="zalo")
        make_binding(s, chat_id=ZALO_OVERSIGHT, agency="van-phong-ubnd-tinh", role="oversight", now=NOW,
                     platform="zalo")
        s.commit()
    async with FakeZalo() as fake:
        settings = zalo_settings(fake, db_url)
        clock = FixedClock(NOW)
        deps = Deps(settings=settings, engine=engine, clock=clock, calendar=WorkCalendar.from_file(None))
        channel = ZaloChannel(settings)
        receiver = ZaloReceiver(deps, channel, poll_timeout=1)
        await receiver.start()
        try:
            yield ZaloBot(fake, engine, settings, receiver)
        finally:
            await receiver.stop()
            await channel.stop()


async def test_tasks_and_task_by_text(zalo):
    text = "\n".join(await zalo.say(ZALO_FOCAL, "/tasks"))
    assert "5099-1" in text and "5099-2" in text and "5099-4" not in text  # Sở Y tế's task is not ours
    text = "\n".join(await zalo.say(ZALO_FOCAL, "/task 5099-1"))
    assert "Rà soát thủ tục hành chính" in text and "Sở Nội vụ" in text
    text = "\n".join(await zalo.say(ZALO_FOCAL, "/task 5099-4"))
    assert "an toàn thực phẩm" not in text  # another agency's task is not shown at all


async def test_progress_done_and_extend_by_text(zalo):
    await zalo.say(ZALO_FOCAL, "/progress 5099-1 40 đã gửi công văn")
    await zalo.say(ZALO_FOCAL, "/extend 5099-1 30/06/2018 chờ ý kiến các sở")
    with Session(zalo.engine) as s:
        p = s.exec(select(ProgressUpdate)).one()
        assert (p.percent, p.note, p.actor) == (40, "đã gửi công văn", "Nguyễn Văn A")
        x = s.exec(select(Extension)).one()
        assert (x.platform, x.chat_id, str(x.requested_due)) == ("zalo", ZALO_FOCAL, "2018-06-30")
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "task.progress")).all()  # type: ignore[attr-defined]
        assert audit and all(a.source == "zalo" for a in audit)
    # the oversight body on Zalo sees the request, with the command that decides it, and decides by text
    request = "\n".join(zalo.fake.texts_to(ZALO_OVERSIGHT))
    assert "5099-1" in request and f"/approve {x.id}" in request and f"/reject {x.id}" in request
    reply = "\n".join(await zalo.say(ZALO_OVERSIGHT, f"/approve {x.id}"))
    assert reply
    await zalo.fake.wait_for(lambda: any("30/06/2018" in t for t in zalo.fake.texts_to(ZALO_FOCAL)[2:]))
    with Session(zalo.engine) as s:
        assert s.get(Extension, x.id).decision == "approved"
    await zalo.say(ZALO_FOCAL, "/done 5099-1")
    with Session(zalo.engine) as s:
        task = s.exec(select(Task).where(Task.key == "5099-1")).one()
        occ = s.exec(select(Occurrence).where(Occurrence.task_id == task.id)).one()
        assert occ.status == "done"


async def test_same_authorisation_as_telegram(zalo):
    # a focal point may not act on another agency's task, nor decide extensions
    text = "\n".join(await zalo.say(ZALO_FOCAL, "/done 5099-4"))
    assert "5099-4" in text
    with Session(zalo.engine) as s:
        assert s.exec(select(Occurrence)).all() == []
    with Session(zalo.engine) as s:
        task = s.exec(select(Task).where(Task.key == "5099-1")).one()
        from storage import actions

        ext = actions.request_extension(s, task, "once", NOW.date().replace(month=7), "lý do", Actor("A"), NOW)
        s.commit()
        ext_id = ext.id
    text = "\n".join(await zalo.say(ZALO_FOCAL, f"/approve {ext_id}"))
    with Session(zalo.engine) as s:
        assert s.get(Extension, ext_id).decision == "pending"
    assert text


async def test_outsider_is_refused_once_then_links_with_an_invite(zalo):
    first = await zalo.say(ZALO_OUTSIDER, "/tasks")
    assert first == [_("This chat is not linked to any agency yet, so I cannot show or update any task here.\n"
                       "To link it: ask your dondoc administrator for an invite code for your agency, then send the "
                       "code here.", lang="vi")]
    zalo.fake.push_text(ZALO_OUTSIDER, "/tasks")  # a flood gets no second answer for a few minutes
    await asyncio.sleep(0.3)
    assert len(zalo.fake.texts_to(ZALO_OUTSIDER)) == 1
    with Session(zalo.engine) as s:
        code, _row = create_invite(s, "so-tai-chinh", "focal", actor=Actor("admin"), now=NOW)
        s.commit()
    reply = await zalo.say(ZALO_OUTSIDER, code)  # the code alone is enough
    assert "Sở Tài chính" in reply[0]
    with Session(zalo.engine) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.platform == "zalo", ChatBinding.chat_id == ZALO_OUTSIDER)).one()
        assert (b.agency, b.role, b.active) == ("so-tai-chinh", "focal", True)
    text = "\n".join(await zalo.say(ZALO_OUTSIDER, "/tasks"))
    assert "5099-1" in text  # Sở Tài chính coordinates 5099-1


async def test_bad_input_never_breaks_the_receiver(zalo):
    for text in ("/upcoming ²", "/upcoming 99999999999999999999", "/progress 5099-1 ٥٠", "/extend 5099-1 31/02/2018 x",
                 "/task " + "9" * 500, "/nosuchcommand"):
        reply = await zalo.say(ZALO_FOCAL, text)
        assert reply and all(r.strip() for r in reply), text
    assert "5099-1" in "\n".join(await zalo.say(ZALO_FOCAL, "/tasks"))  # still answering


# -- /report: the figures as text, the XLSX behind the console, the chart as a picture by URL -----------------

def _report(engine, settings, period=None):
    from reports import build_report, current_period

    period = period or current_period(NOW.date(), "quarter", settings.report_cutoff)
    with Session(engine) as s:
        return build_report(s, settings=settings, calendar=WorkCalendar.from_file(None), period=period,
                            today=NOW.date())


async def test_report_on_zalo_gives_the_figures_the_console_link_and_the_chart(zalo, engine):
    from aiohttp.test_utils import TestClient, TestServer

    from bot.handlers.reports import caption
    from web.feeds import make_app
    from reports.figures import GROUPS
    from web.app import mount

    texts = await zalo.say(ZALO_OVERSIGHT, "/report")
    await zalo.fake.wait_for(lambda: zalo.fake.photos_to(ZALO_OVERSIGHT))
    text = "\n".join(t for t in texts if t not in {p["text"] for p in zalo.fake.photos_to(ZALO_OVERSIGHT)})
    report = _report(engine, zalo.settings)
    assert report.totals.total > 0 and len(report.agencies) >= 2  # Sở Nội vụ's and Sở Y tế's tasks
    assert caption(report, "vi") in text  # the totals exactly as Telegram's /report captions them
    for a in report.agencies:  # every agency's four groups, in the order the legend names them
        assert f"• {a.name}: " + " / ".join(str(a.counts.get(g)) for g in GROUPS) in text
    assert _("Per agency ({groups}):", "vi", groups=" / ".join(g.label("vi") for g in GROUPS)) in text
    page = f"http://127.0.0.1:8080/web/reports?period={report.period.code}"
    assert _("The report as an XLSX file: in the web console (sign in first), {url}", "vi", url=page) in text

    [photo] = zalo.fake.photos_to(ZALO_OVERSIGHT)
    assert photo["caption"] == _("The four groups per agency — {period}.", "vi", period=report.period.name("vi"))
    url = photo["photo"]
    assert url.startswith("http://127.0.0.1:8080/web/reports/chart/") and url.endswith(".png")
    path = url[len("http://127.0.0.1:8080"):]
    from dondoc.redact import REDACTOR

    assert url.rsplit("~", 1)[1] not in REDACTOR(f'"GET {path} HTTP/1.1" 200')  # a capability: kept out of logs

    # What Zalo's servers do with the URL: fetch it, with no session — a PNG of the report's chart.
    async with TestClient(TestServer(make_app(zalo.settings, engine, FixedClock(NOW), [mount]))) as client:
        r = await client.get(path, allow_redirects=False)
        assert r.status == 200 and r.headers["Content-Type"] == "image/png"
        assert (await r.read()).startswith(b"\x89PNG\r\n\x1a\n")
        forged = path.replace("~vi~", "~en~")  # another language, same signature: refused
        assert forged != path and (await client.get(forged, allow_redirects=False)).status == 404
        other = path.replace(report.period.code, "2018-Q1")  # another period: refused
        assert (await client.get(other, allow_redirects=False)).status == 404
        for junk in ("2018-Q2~vi~99999999999~sự", "x", "~~~", "2018-Q2~vi~1~" + "A" * 22):
            assert (await client.get(f"/web/reports/chart/{junk}.png", allow_redirects=False)).status == 404
        # the Reports page itself still asks for a sign-in
        assert (await client.get("/web/reports", allow_redirects=False)).status == 302
    later = FixedClock(NOW + timedelta(hours=25))  # the link works for a day, then no more
    async with TestClient(TestServer(make_app(zalo.settings, engine, later, [mount]))) as client:
        assert (await client.get(path, allow_redirects=False)).status == 404


async def test_report_chart_link_shows_the_day_the_answer_was_given(zalo, engine):
    """Zalo fetches the picture when it likes, and the console's clock may read another day: the link carries the
    day of the figures, so the picture is the one the text was written with."""
    from aiohttp.test_utils import TestClient, TestServer

    from web.feeds import make_app
    from reports import build_report
    from reports.chart import report_chart
    from web.app import mount
    from core.links import chart_token, read_chart_token

    await zalo.say(ZALO_OVERSIGHT, "/report")
    [photo] = await zalo.fake.wait_for(lambda: zalo.fake.photos_to(ZALO_OVERSIGHT))
    path = photo["photo"][len("http://127.0.0.1:8080"):]
    next_day = NOW + timedelta(hours=20)
    report = _report(engine, zalo.settings)
    with Session(engine) as s:
        tomorrow = build_report(s, settings=zalo.settings, calendar=WorkCalendar.from_file(None),
                                period=report.period, today=next_day.date())
    then, later = report_chart(report, lang="vi"), report_chart(tomorrow, lang="vi")
    assert next_day.date() > NOW.date() and then != later  # "status as of" another day
    old = chart_token(zalo.settings, report.period.code, "vi", now=NOW.timestamp())  # a link from before the day
    assert read_chart_token(zalo.settings, old, now=NOW.timestamp()) == (report.period.code, "vi", None)
    async with TestClient(TestServer(make_app(zalo.settings, engine, FixedClock(next_day), [mount]))) as client:
        assert await (await client.get(path)).read() == then
        assert await (await client.get(f"/web/reports/chart/{old}.png")).read() == later  # as of the fetch
        day = path.split("~")[2]
        assert day == NOW.date().isoformat()
        forged = path.replace(f"~{day}~", f"~{next_day.date().isoformat()}~")  # another day, same signature
        assert (await client.get(forged, allow_redirects=False)).status == 404


async def test_report_on_zalo_is_refused_to_an_agency_chat_and_reads_periods(zalo, engine):
    from reports import parse_period

    refusal = _("Sorry, reports cover every agency, so they are made in the oversight body's and the leadership's "
                "chats. Your agency's tasks: /tasks, /overdue.", "vi")
    assert await zalo.say(ZALO_FOCAL, "/report") == [refusal]
    assert await zalo.say(ZALO_FOCAL, "/report Quý II/2018") == [refusal]
    assert zalo.fake.photos_to(ZALO_FOCAL) == []  # no chart, no figures of any agency
    help_focal = "\n".join(await zalo.say(ZALO_FOCAL, "/help"))
    help_oversight = "\n".join(await zalo.say(ZALO_OVERSIGHT, "/help"))
    line = _("/report [PERIOD] — the report's figures, e.g. /report {example}", "vi", example="Quý III/2026")
    assert line not in help_focal and line in help_oversight

    texts = await zalo.say(ZALO_OVERSIGHT, "/report 6 tháng đầu năm 2018")
    half = parse_period("6 tháng đầu năm 2018")
    assert half.name("vi") in texts[0] and half.code == "2018-H1"
    assert "period=2018-H1" in "\n".join(texts)
    from reports.figures import PERIOD_EXAMPLES

    assert await zalo.say(ZALO_OVERSIGHT, "/report quý năm") == [
        _("I cannot read the period {text!r}. Write it like {examples}, e.g. /report Quý III/2026.", "vi",
          text="quý năm", examples=", ".join(PERIOD_EXAMPLES[:5]))]


async def test_report_on_zalo_in_english_and_a_refused_picture_keeps_the_text(zalo, engine):
    with Session(engine) as s:
        b = s.exec(select(ChatBinding).where(ChatBinding.chat_id == ZALO_OVERSIGHT)).one()
        b.language = "en"
        s.add(b)
        s.commit()
    zalo.fake.fail_next("sendPhoto", 400, "Bad Request: photo")  # e.g. Zalo could not fetch the picture
    texts = await zalo.say(ZALO_OVERSIGHT, "/report")
    report = _report(engine, zalo.settings)
    from bot.handlers.reports import caption

    assert caption(report, "en") in texts[0] and "Report" in texts[0]
    await zalo.fake.wait_for(lambda: zalo.fake.calls("sendPhoto"))
    assert zalo.fake.photos_to(ZALO_OVERSIGHT) == []
    assert "5099-1" in "\n".join(await zalo.say(ZALO_OVERSIGHT, "/tasks"))  # the receiver goes on


async def test_report_on_zalo_is_busy_while_everyone_s_report_slots_are_taken(zalo, engine):
    """REPORT_HEAVY_AT_ONCE counts the chats' reports with the console's (reports.slots, one per process):
    while every slot is taken, /report answers at once that it is busy, and works again after."""
    from reports.slots import shared

    slots = shared(zalo.settings)
    taken = [f"user:{n}" for n in range(zalo.settings.report_heavy_at_once)]
    for who in taken:  # long reports of other people, in the console
        assert slots.take(who)
    try:
        busy = _("Other reports are being computed right now (yours or other people's); try again in a minute.",
                 "vi")
        assert await zalo.say(ZALO_OVERSIGHT, "/report") == [busy]
        assert zalo.fake.photos_to(ZALO_OVERSIGHT) == []
    finally:
        for who in taken:
            slots.give_back(who)
    texts = await zalo.say(ZALO_OVERSIGHT, "/report")
    assert texts and texts != [busy] and slots.running == 0


async def test_sendback_needs_its_reason_and_tells_the_agency(zalo):
    """/sendback on Zalo is /return on Telegram (issue 22): no reason, no return; with one, open again and the
    agency's focal chats told why through the outbox."""
    from storage.record_tables import Completion
    from storage.tables import Notification

    await zalo.say(ZALO_FOCAL, "/done 5099-1 báo cáo số 7/BC-SNV")
    text = "\n".join(await zalo.say(ZALO_OVERSIGHT, "/sendback 5099-1"))
    assert text == _("Usage: /sendback KEY REASON — the completion is returned and the agency is told why", lang="vi")
    text = "\n".join(await zalo.say(ZALO_FOCAL, "/sendback 5099-1 tự trả"))  # a focal chat does not decide
    with Session(zalo.engine) as s:
        assert s.exec(select(Occurrence)).one().status == "done"
    await zalo.say(ZALO_OVERSIGHT, "/sendback 5099-1 Thiếu phụ lục số liệu", name="Phạm Văn Giám")
    with Session(zalo.engine) as s:
        assert s.exec(select(Occurrence)).one().status == "open"
        c = s.exec(select(Completion)).one()
        assert (c.decision, c.decided_by, c.decision_reason) == ("returned", "Phạm Văn Giám", "Thiếu phụ lục số liệu")
        told = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).all()
        assert {n.payload["reason"] for n in told} == {"Thiếu phụ lục số liệu"}
