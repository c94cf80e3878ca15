"""The web console over HTTP: sign-in (one-time links, the Telegram Login Widget), sessions, CSRF, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from storage.tables import AuditEntry, Extension, WebSession
from tests.web_harness import (ADMIN, FOCAL, HEALTH_FOCAL, LEADER, NOW, OVERSIGHT, STRANGER, console, make_link,
                               open_link, press_sign_in, seed)
from storage.signin import sign_telegram_login

BOT_TOKEN = "123456:TEST-token"


@pytest.fixture
def wsettings(db_url):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                         telegram_bot_token=BOT_TOKEN, telegram_bot_username="dondoc_test_bot")


@pytest.fixture
def wclock():
    return FixedClock(NOW)


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


def vi(msgid: str, **values) -> str:
    from html import escape

    return escape(_(msgid, lang="vi", **values), quote=True)


async def test_a_page_without_a_session_sends_to_sign_in(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        r = await c.client.get("/web/tasks", allow_redirects=False)
        assert r.status == 302
        assert r.headers["Location"].startswith("/web/signin?next=/web/tasks")


async def test_a_one_time_link_signs_in_once_with_a_safe_cookie(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        token = make_link(seeded, FOCAL, wclock.now())
        page, nonce = await open_link(c.client, token)  # also what a chat's link preview would fetch
        assert page.status == 200 and 'id="signin"' in await page.text()
        # the button's post without the nonce its page set (e.g. from another site) signs nobody in
        forged = await press_sign_in(c.client, token, "x")
        assert forged.status == 403 and "dondoc_session" not in forged.headers.get("Set-Cookie", "")
        r = await press_sign_in(c.client, token, nonce)
        assert r.status == 303 and r.headers["Location"] == "/web/"
        cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("dondoc_session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/web" in cookie
        assert "Secure" not in cookie  # plain http in this test; https base URL → Secure (below)
        dash = await c.client.get("/web/")
        assert dash.status == 200 and vi("Dashboard") in await dash.text()
        # reused: refused when opened, and when its button is pressed again; no new session
        again, no_nonce = await open_link(c.client, token)
        assert again.status == 403 and no_nonce is None
        used = vi("This sign-in link has already been used; each link works once. Ask the bot for a new one with /web.")
        assert used in await again.text()
        c.client.session.cookie_jar.update_cookies({"dondoc_signin": nonce})
        pressed = await press_sign_in(c.client, token, nonce)
        assert pressed.status == 403 and used in await pressed.text()
        assert "Set-Cookie" not in pressed.headers
    with Session(seeded) as s:
        assert len(s.exec(select(WebSession)).all()) == 1


async def test_an_expired_link_is_refused(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        token = make_link(seeded, FOCAL, wclock.now(), minutes=15)
        _page, nonce = await open_link(c.client, token)  # opened in time, pressed too late
        wclock.advance(minutes=16)
        r = await press_sign_in(c.client, token, nonce)
        expired = vi("This sign-in link has expired. Ask the bot for a new one with /web.")
        assert r.status == 403 and expired in await r.text()
        assert "Set-Cookie" not in r.headers
        late, _ = await open_link(c.client, token)
        assert late.status == 403 and expired in await late.text()
        assert (await c.client.get("/web/", allow_redirects=False)).status == 302


async def test_an_unknown_link_and_a_person_without_role_are_refused(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        r, _ = await open_link(c.client, "x" * 43)
        assert r.status == 403
        token = make_link(seeded, STRANGER, wclock.now())
        _page, nonce = await open_link(c.client, token)
        r = await press_sign_in(c.client, token, nonce)
        assert r.status == 403 and "dondoc_session" not in r.headers.get("Set-Cookie", "")
        assert vi("Your Telegram account is not linked to any agency yet. Ask the administrator for an invite, then "
                  "send /web to the bot.") in await r.text()


def _login_payload(user_id: int, when, token: str = BOT_TOKEN) -> dict[str, str]:
    data = {"id": str(user_id), "first_name": "Lan", "last_name": "Nguyễn", "username": "lan",
            "auth_date": str(int(when.timestamp()))}
    data["hash"] = sign_telegram_login(data, token)
    return data


async def widget_state(client) -> str:
    """The state the sign-in page gives Telegram's widget (and this browser, as a cookie)."""
    import re

    page = await (await client.get("/web/signin")).text()
    return re.search(r'data-auth-url="[^"]*\?state=([A-Za-z0-9_-]+)"', page).group(1)


async def test_telegram_login_widget_signs_in_when_the_hash_is_right(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        state = await widget_state(c.client)
        r = await c.client.get("/web/signin/telegram", params={**_login_payload(OVERSIGHT, wclock.now()),
                                                               "state": state}, allow_redirects=False)
        assert r.status == 303
        assert (await c.client.get("/web/")).status == 200
    with Session(seeded) as s:
        row = s.exec(select(WebSession)).one()
        assert row.user_id == str(OVERSIGHT) and row.via == "telegram" and row.name == "Lan Nguyễn"


@pytest.mark.parametrize("forge", ["other_bot", "changed_id", "no_hash", "stale"])
async def test_a_forged_or_stale_telegram_login_is_refused(seeded, wsettings, wclock, forge):
    data = _login_payload(OVERSIGHT, wclock.now())
    if forge == "other_bot":
        data = _login_payload(OVERSIGHT, wclock.now(), token="654321:another-bot")
    elif forge == "changed_id":
        data["id"] = str(ADMIN)  # someone else's id under Lan's signature
    elif forge == "no_hash":
        del data["hash"]
    elif forge == "stale":
        data = _login_payload(OVERSIGHT, wclock.now() - timedelta(minutes=wsettings.signin_link_minutes + 1))
    async with console(seeded, wsettings, wclock) as c:
        r = await c.client.get("/web/signin/telegram", params=data, allow_redirects=False)
        assert r.status == 403
        assert "Set-Cookie" not in r.headers
        text = await r.text()
        expected = ("The Telegram sign-in is too old; sign in again." if forge == "stale"
                    else "The Telegram sign-in could not be verified.")
        assert vi(expected) in text
    with Session(seeded) as s:
        assert s.exec(select(WebSession)).all() == []


async def test_a_link_asked_for_in_a_linked_group_carries_the_groups_role(seeded, wsettings, wclock):
    from tests.factories import make_binding

    group = -100777
    with Session(seeded) as s:
        make_binding(s, chat_id=group, agency="so-y-te", role="focal", now=NOW)
        s.commit()
    async with console(seeded, wsettings, wclock) as c:
        token = make_link(seeded, STRANGER, wclock.now(), via_chat=group)
        _page, nonce = await open_link(c.client, token)
        assert (await press_sign_in(c.client, token, nonce)).status == 303
        assert (await c.client.get("/web/tasks/5099-4")).status == 200  # Sở Y tế's
        assert (await c.client.get("/web/tasks/5099-1")).status == 404
        with Session(seeded) as s:
            from storage.tables import ChatBinding

            b = s.exec(select(ChatBinding).where(ChatBinding.chat_id == str(group))).one()
            b.active = False  # the group unlinked: the session has no role left
            s.add(b)
            s.commit()
        assert (await c.client.get("/web/tasks/5099-4", allow_redirects=False)).status == 302


async def test_a_session_expires(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(FOCAL)
        assert (await c.client.get("/web/tasks", allow_redirects=False)).status == 200
        wclock.advance(minutes=wsettings.web_session_minutes + 1)
        assert (await c.client.get("/web/tasks", allow_redirects=False)).status == 302


async def test_cookies_are_secure_behind_https(seeded, db_url, wclock):
    s = load_settings(environ={}, dotenv_path=None, database_url=db_url, feed_base_url="https://dondoc.example.vn")
    async with console(seeded, s, wclock) as c:
        token = make_link(seeded, FOCAL, wclock.now())
        page, nonce = await open_link(c.client, token)
        assert "Secure" in page.headers["Set-Cookie"]
        # (the test client does not send Secure cookies over http; the nonce goes in by hand)
        c.client.session.cookie_jar.update_cookies({"dondoc_signin": nonce})
        r = await press_sign_in(c.client, token, nonce)
        assert r.status == 303 and "Secure" in r.headers["Set-Cookie"]


async def test_a_form_without_its_csrf_token_is_refused(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        with Session(seeded) as s:
            ext = s.exec(select(Extension)).one()
        form = {"action": "approve", "occurrence": "once", "extension": str(ext.id)}
        r = await c.client.post("/web/tasks/5099-3", data=form)
        assert r.status == 403
        assert vi("This form has expired or did not come from this site; reload the page and try again.") in \
            await r.text()
        r = await c.client.post("/web/tasks/5099-3", data={**form, "csrf": "not-the-token"})
        assert r.status == 403
        with Session(seeded) as s:
            assert s.get(Extension, ext.id).decision == "pending"
        csrf = await c.csrf()
        r = await c.client.post("/web/tasks/5099-3", data={**form, "csrf": csrf})
        assert r.status == 200
        with Session(seeded) as s:
            assert s.get(Extension, ext.id).decision == "approved"
            entry = s.exec(select(AuditEntry).where(AuditEntry.action == "extension.approved")).one()
            assert entry.source == "web" and entry.actor_id == str(OVERSIGHT)


async def test_a_focal_point_sees_only_their_agency(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(FOCAL)
        own = await c.client.get("/web/tasks/5099-1")
        assert own.status == 200
        other = await c.client.get("/web/tasks/5099-4")  # Sở Y tế's
        missing = await c.client.get("/web/tasks/no-such-task")
        assert other.status == missing.status == 404
        assert (await other.text()).replace("5099-4", "KEY") == (await missing.text()).replace("no-such-task", "KEY")
        listing = await (await c.client.get("/web/tasks")).text()
        assert "5099-1" in listing and "5099-4" not in listing
        dash = await (await c.client.get("/web/")).text()
        assert "5099-4" not in dash
        csrf = await c.csrf()
        r = await c.client.post("/web/tasks/5099-4", data={"csrf": csrf, "action": "done", "occurrence": "once"})
        assert r.status == 404
        assert (await c.client.get("/web/registry")).status == 404  # administrators only


async def test_leadership_reads_everything_and_changes_nothing(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(LEADER)
        page = await c.client.get("/web/tasks/5099-4")
        assert page.status == 200
        assert vi("Mark done") not in await page.text()
        csrf = await c.csrf()
        r = await c.client.post("/web/tasks/5099-4", data={"csrf": csrf, "action": "done", "occurrence": "once"})
        assert r.status == 403


async def test_focal_point_records_progress_and_done_audited_as_web(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(HEALTH_FOCAL)
        csrf = await c.csrf()
        r = await c.client.post("/web/tasks/5099-4", data={"csrf": csrf, "action": "progress", "occurrence": "once",
                                                          "percent": "60", "note": "Đã kiểm tra 3 chợ"})
        assert r.status == 200 and vi("Progress recorded.") in await r.text()
        r = await c.client.post("/web/tasks/5099-4", data={"csrf": csrf, "action": "progress", "occurrence": "once",
                                                          "percent": "160"})
        assert r.status == 400 and vi("The percent must be a whole number from 0 to 100.") in await r.text()
        r = await c.client.post("/web/tasks/5099-4", data={"csrf": csrf, "action": "done", "occurrence": "once"})
        assert r.status == 200 and vi("Marked done.") in await r.text()
    with Session(seeded) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity_key == "5099-4")).all()
        assert {(e.action, e.source, e.actor_id) for e in entries} >= {
            ("task.progress", "web", str(HEALTH_FOCAL)), ("task.done", "web", str(HEALTH_FOCAL))}


async def test_the_language_switch(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(ADMIN)
        r = await c.client.get("/web/lang/en", params={"next": "/web/tasks"})
        assert str(r.url).endswith("/web/tasks")
        text = await r.text()
        assert _("Task list", lang="en") in text and "Deadline (as written)" in text


REGISTRY_BAD = ("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành,Văn bản,Ngày ban hành\n"
                "1,Xây dựng kế hoạch kiểm tra công vụ,Sở Nội vụ,trước ngày 25/6/2018,12/KH-UBND,2018-06-01\n"
                "2,Tổng hợp báo cáo chuyển đổi số,Sở Thông tin Mặt trăng,trước ngày 29/6/2018,12/KH-UBND,2018-06-01\n")


async def test_registry_dry_run_shows_errors_on_the_files_rows_then_imports(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/registry")

        async def upload(text: str):
            import aiohttp

            form = aiohttp.FormData()
            form.add_field("csrf", csrf)
            form.add_field("file", text.encode(), filename="ke-hoach-12.csv", content_type="text/csv")
            return await c.client.post("/web/registry/check", data=form)

        aiohttp_form = form = __import__("aiohttp").FormData()
        form.add_field("csrf", csrf)
        form.add_field("issued", "2018-13-45")
        form.add_field("file", REGISTRY_BAD.encode(), filename="ke-hoach-12.csv", content_type="text/csv")
        r = await c.client.post("/web/registry/check", data=aiohttp_form)
        assert r.status == 400 and _("{field} {value!r}: this is not a date that exists; write it dd/mm/yyyy, e.g. "
                                     "02/03/2012.", lang="vi", field=_("Issue date", lang="vi"),
                                     value="2018-13-45") in __import__("html").unescape(await r.text())
        r = await upload(REGISTRY_BAD)
        page = await r.text()
        assert r.status == 200
        # the problem is on row 3, in the lead agency's column, of the file's own table
        assert '<tr class="bad" data-row="3">' in page
        assert __import__("re").search(r'<td class="bad" title="[^"]+">Sở Thông tin Mặt trăng<div class="why">', page)
        assert 'id="confirm-import"' not in page
        r = await upload(REGISTRY_BAD.replace("Sở Thông tin Mặt trăng", "Sở Tài chính"))
        page = await r.text()
        assert 'id="confirm-import"' in page
        assert vi("{n} task added", n=2).split()[-1] in page
        upload_id = __import__("re").search(r'name="upload" value="([^"]+)"', page).group(1)
        with Session(seeded) as s:
            from storage.tables import Task

            assert s.exec(select(Task).where(Task.key.like("12-kh-ubnd%"))).all() == []  # a dry run writes nothing
        r = await c.client.post("/web/registry/import", data={"csrf": csrf, "upload": upload_id})
        assert r.status == 200
        assert vi("Imported {file}: {added} added, {changed} changed, {unchanged} unchanged.", file="ke-hoach-12.csv",
                  added=2, changed=0, unchanged=0) in await r.text()
        tasks = await (await c.client.get("/web/tasks", params={"q": "chuyển đổi số"})).text()
        assert "Tổng hợp báo cáo chuyển đổi số" in tasks and "Xây dựng kế hoạch kiểm tra" not in tasks
        typed_bare = await (await c.client.get("/web/tasks", params={"q": "CHUYEN DOI SO"})).text()
        assert "Tổng hợp báo cáo chuyển đổi số" in typed_bare and "Xây dựng kế hoạch kiểm tra" not in typed_bare
        # a changed file: the dry run shows the column that changes, in the file's words, before and after
        changed = REGISTRY_BAD.replace("Sở Thông tin Mặt trăng", "Sở Tài chính").replace("29/6/2018", "30/6/2018")
        page = await (await upload(changed)).text()
        assert "Thời gian hoàn thành" in page and "trước ngày 29/6/2018" in page and "trước ngày 30/6/2018" in page
        assert "deadline_text" not in page
        export = await c.client.get("/web/registry/export.csv")
        assert export.status == 200 and "Tổng hợp báo cáo chuyển đổi số" in await export.text()


async def test_chats_invites_and_preview_for_the_administrator(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/chats")
        r = await c.client.post("/web/chats/invite", data={"csrf": csrf, "agency": "so-tai-chinh", "role": "focal",
                                                          "expires": "2d"})
        page = await r.text()
        assert r.status == 200 and "https://t.me/dondoc_test_bot?start=" in page and "data:image/svg+xml" in page
        from storage.tables import InviteCode

        with Session(seeded) as s:
            invite = s.exec(select(InviteCode)).one()
        r = await c.client.post("/web/chats/revoke", data={"csrf": csrf, "invite": str(invite.id)})
        assert vi("Invite revoked.") in await r.text()
        with Session(seeded) as s:
            assert s.get(InviteCode, invite.id).expires_at <= wclock.now()
        preview = await c.client.get("/web/preview", params={"days": "14"})
        text = await preview.text()
        assert preview.status == 200 and "5099-2" in text  # its reminders in the coming days


async def test_reports_page_and_downloads_use_the_report_figures(seeded, wsettings, wclock):
    import io

    import openpyxl

    from reports import build_report, make_period
    from core.workdays import WorkCalendar

    with Session(seeded) as s:
        expected = build_report(s, settings=wsettings, calendar=WorkCalendar.from_file(None),
                                period=make_period("quarter", 2018, 2), today=wclock.now().date())
    assert expected.totals.total == 4 and expected.totals.open_overdue == 2
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        page = await (await c.client.get("/web/reports", params={"period": "Quý II/2018"})).text()
        assert "Rà soát thủ tục hành chính" in page  # in the overdue list
        r = await c.client.get("/web/reports/report.xlsx", params={"period": "Quý II/2018"})
        assert r.status == 200 and r.headers["Content-Disposition"].endswith('2018-Q2.xlsx"')
        wb = openpyxl.load_workbook(io.BytesIO(await r.read()))
        cells = [c.value for row in wb.worksheets[0].iter_rows() for c in row]
        assert "Sở Y tế" in cells and "Sở Nội vụ" in cells
        docx = await c.client.get("/web/reports/report.docx", params={"period": "Quý II/2018"})
        import docx as python_docx

        document = python_docx.Document(io.BytesIO(await docx.read()))
        table_text = [cell.text for t in document.tables for row in t.rows for cell in row.cells]
        assert "Sở Y tế" in table_text and "Sở Nội vụ" in table_text
        png = await c.client.get("/web/reports/report.png", params={"period": "2018-Q2"})
        assert png.headers["Content-Type"] == "image/png" and (await png.read()).startswith(b"\x89PNG")
        bad = await c.client.get("/web/reports", params={"period": "quý mười"})
        assert bad.status == 400
        # a focal point's report has their agency only
        await c.sign_in(HEALTH_FOCAL)
        page = await (await c.client.get("/web/reports", params={"period": "Quý II/2018"})).text()
        assert "Sở Y tế" in page and "Sở Nội vụ" not in page
        dash = await (await c.client.get("/web/")).text()
        assert 'id="four-groups"' in dash and "Sở Nội vụ" not in dash


async def test_the_sign_in_page_offers_the_telegram_widget(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        page = await (await c.client.get("/web/signin")).text()
        assert 'data-telegram-login="dondoc_test_bot"' in page
        assert 'data-auth-url="http://127.0.0.1:8080/web/signin/telegram?state=' in page


@pytest.mark.parametrize("role, console_served", [("web", True), ("feeds", False)])
async def test_dondoc_run_serves_the_console_beside_the_feeds(engine, db_url, role, console_served):
    import aiohttp

    from dondoc.service import Service, roles_of

    assert "web" in roles_of("all") and roles_of("web") == ("web",)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, feed_bind="127.0.0.1:0")
    service = Service(settings, engine, FixedClock(NOW), roles=(role,))
    await service.start()
    try:
        port = service.feed_runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert r.status == 200
            async with http.get(f"http://127.0.0.1:{port}/web/signin") as r:
                assert r.status == (200 if console_served else 404)
    finally:
        await service.stop()


async def test_a_docx_registry_through_the_intake(seeded, wsettings, wclock, tmp_path):
    """The table of a .docx appendix, with an error on its row, then fixed and imported (the registry intake
    reads the tables of a DOCX)."""
    import io
    import re

    import aiohttp
    import docx as python_docx

    def appendix(lead: str) -> bytes:
        d = python_docx.Document()
        t = d.add_table(rows=1, cols=6)
        for cell, text in zip(t.rows[0].cells, ("STT", "Nội dung", "Cơ quan chủ trì", "Thời gian hoàn thành",
                                                "Văn bản", "Ngày ban hành")):
            cell.text = text
        for row in (("1", "Rà soát quy chế làm việc", "Sở Nội vụ", "trước ngày 28/6/2018", "15/KH-UBND", "01/06/2018"),
                    ("2", "Báo cáo số liệu cán bộ", lead, "trước ngày 29/6/2018", "15/KH-UBND", "01/06/2018")):
            cells = t.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/registry")

        async def upload(data: bytes):
            form = aiohttp.FormData()
            form.add_field("csrf", csrf)
            form.add_field("file", data, filename="phu-luc-15.docx")
            return await (await c.client.post("/web/registry/check", data=form)).text()

        page = await upload(appendix("Sở Sao Hỏa"))
        assert re.search(r'<tr class="bad" data-row="3">', page) and 'id="confirm-import"' not in page
        assert re.search(r'<td class="bad" title="[^"]+">Sở Sao Hỏa<div class="why">', page)
        page = await upload(appendix("Sở Tài chính"))
        upload_id = re.search(r'name="upload" value="([^"]+)"', page).group(1)
        r = await c.client.post("/web/registry/import", data={"csrf": csrf, "upload": upload_id})
        assert vi("Imported {file}: {added} added, {changed} changed, {unchanged} unchanged.", file="phu-luc-15.docx",
                  added=2, changed=0, unchanged=0) in await r.text()


async def test_completion_awaits_oversight_and_an_extension_asked_on_the_web_is_decided_there(db_url, engine, wclock):
    from storage.tables import Occurrence, Task

    seed(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                             confirm_completion=True)
    async with console(engine, settings, wclock) as focal, console(engine, settings, wclock) as oversight:
        await focal.sign_in(FOCAL)
        await oversight.sign_in(OVERSIGHT)
        csrf_f, csrf_o = await focal.csrf(), await oversight.csrf()
        r = await focal.client.post("/web/tasks/5099-2", data={"csrf": csrf_f, "action": "done", "occurrence": "once"})
        assert vi("Marked done; awaiting the oversight body's confirmation.") in await r.text()
        dash = await (await oversight.client.get("/web/")).text()
        assert "5099-2" in dash.split('id="pending-confirmations"')[1].split("</section>")[0]
        page = await (await oversight.client.get("/web/tasks/5099-2")).text()
        assert vi("Confirm the completion") in page
        r = await oversight.client.post("/web/tasks/5099-2", data={"csrf": csrf_o, "action": "confirm",
                                                                   "occurrence": "once"})
        assert vi("Completion confirmed.") in await r.text()
        # a focal point cannot decide, even on their own agency's task
        r = await focal.client.post("/web/tasks/5099-1", data={"csrf": csrf_f, "action": "extend", "occurrence": "once",
                                                              "date": "05/07/2018", "reason": "Chờ ý kiến Sở Tư pháp"})
        assert vi("Extension requested.") in await r.text()
        with Session(engine) as s:
            task = s.exec(select(Task).where(Task.key == "5099-1")).one()
            ext = s.exec(select(Extension).where(Extension.task_id == task.id)).one()
        r = await focal.client.post("/web/tasks/5099-1", data={"csrf": csrf_f, "action": "approve", "occurrence": "once",
                                                              "extension": str(ext.id)})
        assert r.status == 403
        r = await oversight.client.post("/web/tasks/5099-1", data={"csrf": csrf_o, "action": "approve",
                                                                   "occurrence": "once", "extension": str(ext.id)})
        assert vi("Extension approved.") in await r.text()
        again = await oversight.client.post("/web/tasks/5099-1", data={"csrf": csrf_o, "action": "reject",
                                                                       "occurrence": "once", "extension": str(ext.id)})
        assert again.status == 400 and vi("This request was already decided.") in await again.text()
    with Session(engine) as s:
        done = s.exec(select(Occurrence).join(Task, Task.id == Occurrence.task_id).where(Task.key == "5099-2")).one()
        assert done.status == "done"
        moved = s.exec(select(Occurrence).join(Task, Task.id == Occurrence.task_id).where(Task.key == "5099-1")).one()
        assert moved.extended_due.isoformat() == "2018-07-05"


async def test_pages_are_not_cached_nor_framed(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(FOCAL)
        r = await c.client.get("/web/")
        assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self' https://telegram.org;" in r.headers["Content-Security-Policy"]
        css = await c.client.get("/web/static/style.css")
        assert css.status == 200 and css.headers["Cache-Control"].startswith("public")


async def test_on_postgresql_sign_in_roles_actions_and_reports(pg_url, pg_engine, wclock):
    """The console on PostgreSQL (`dondoc run --role web` in production): a link signs in once, a focal
    point gets 404 for another agency, oversight approves, the dashboard's figures are there."""
    seed(pg_engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=pg_url, admin_user_ids=(ADMIN,))
    async with console(pg_engine, settings, wclock) as c:
        await c.sign_in(FOCAL)
        assert (await c.client.get("/web/tasks/5099-4")).status == 404
        assert (await c.client.get("/web/tasks/5099-1")).status == 200
    async with console(pg_engine, settings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        with Session(pg_engine) as s:
            ext = s.exec(select(Extension)).one()
        r = await c.client.post("/web/tasks/5099-3", data={"csrf": await c.csrf(), "action": "approve",
                                                          "occurrence": "once", "extension": str(ext.id)})
        assert vi("Extension approved.") in await r.text()
        dash = await (await c.client.get("/web/")).text()
        assert 'id="four-groups"' in dash and "Sở Y tế" in dash


async def test_a_calendar_events_url_opens_the_tasks_page(seeded, wsettings, wclock):
    """Calendars link each event to its task in the console (core.links): that URL is a page of this server,
    also for a key with a slash."""
    from urllib.parse import urlsplit

    from core.links import task_page_url

    with Session(seeded) as s:
        from tests.factories import make_directive, make_task

        d = make_directive(s, number="337/QĐ-UBND")
        make_task(s, key="337/1", deadline_text="trước ngày 30/6/2018", now=NOW, directive=d,
                  content="Rà soát quy trình nội bộ")
        s.commit()
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(ADMIN)
        for key, content in (("5099-1", "Rà soát thủ tục hành chính"), ("337/1", "Rà soát quy trình nội bộ")):
            url = task_page_url(wsettings, key)
            assert url.startswith(wsettings.feed_base_url)
            r = await c.client.get(urlsplit(url).path)
            assert r.status == 200 and content in await r.text()


async def test_a_telegram_login_payload_signs_in_only_the_browser_that_asked_for_it(seeded, wsettings, wclock):
    """Issue 27: login CSRF. A valid payload replayed in another browser (e.g. from a link an attacker sends)
    signs nobody in; nor does the right browser without the state its sign-in page gave."""
    payload = _login_payload(OVERSIGHT, wclock.now())
    async with console(seeded, wsettings, wclock) as attacker, console(seeded, wsettings, wclock) as victim:
        state = await widget_state(attacker.client)
        r = await victim.client.get("/web/signin/telegram", params={**payload, "state": state},
                                    allow_redirects=False)
        assert r.status == 403 and "dondoc_session" not in r.headers.get("Set-Cookie", "")
        assert vi("This Telegram sign-in did not start in this browser. Open the sign-in page and press "
                  "Telegram's button here.") in await r.text()
        await widget_state(victim.client)  # the victim's own page: a state of its own, not the attacker's
        r = await victim.client.get("/web/signin/telegram", params={**payload, "state": state},
                                    allow_redirects=False)
        assert r.status == 403
        r = await attacker.client.get("/web/signin/telegram", params=payload, allow_redirects=False)
        assert r.status == 403  # no state at all
    with Session(seeded) as s:
        assert s.exec(select(WebSession)).all() == []


@pytest.mark.parametrize("value", ["/web/tasks\r\nSet-Cookie: x=1", "/web/\n", "/web/%0d%0aX: y"])
async def test_a_next_address_with_a_line_break_goes_to_the_dashboard(seeded, wsettings, wclock, value):
    """Issue 27: CR/LF in next= dropped the connection with an unhandled exception."""
    from urllib.parse import quote

    async with console(seeded, wsettings, wclock) as c:
        r = await c.client.get("/web/lang/en?next=" + quote(value, safe=""), allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == ("/web/" if "%" not in value else value)
        r = await c.client.get("/web/signin?next=" + quote(value, safe=""))
        assert r.status == 200
