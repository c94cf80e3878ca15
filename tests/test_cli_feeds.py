"""`dondoc ics` and `dondoc feed url | revoke | list`."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from dondoc.cli import app
from core.i18n import _, ngettext
from storage import feed_tokens as tokens
from storage.tables import AuditEntry, FeedToken
from tests.conftest import VN
from tests.factories import make_task
from tests.test_ics import check_octets, read_vobject

from datetime import datetime

T0 = datetime(2018, 5, 23, 9, 0, tzinfo=VN)


@pytest.fixture(params=["vi", "en"])
def lang(request):
    """Every command here runs in both languages; the texts are checked through the catalog."""
    return request.param


@pytest.fixture
def cli(engine, db_url, monkeypatch, lang):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CLOCK_START", "2018-05-23T09:00:00+07:00")
    monkeypatch.setenv("FEED_BASE_URL", "https://lich.example.gov.vn")
    monkeypatch.setenv("LANGUAGE", lang)
    with Session(engine) as s:
        make_task(s, key="5099/1", deadline_text="trước ngày 14/6/2018", now=T0,
                  content="Rà soát, đánh giá thủ tục hành chính thuộc thẩm quyền giải quyết của tỉnh")
        make_task(s, key="5099/2", deadline_text="định kỳ hàng quý", now=T0, content="Báo cáo quý", position=1)
        make_task(s, key="5099/3", deadline_text="trước ngày 30/6/2018", now=T0, lead="so-tai-chinh", position=2)
        s.commit()
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, list(args))

    return run


def test_ics_for_an_agency(cli, tmp_path, lang):
    r = cli("ics", "--agency", "Sở Nội vụ", "noi-vu.ics")
    assert r.exit_code == 0, r.output
    # the once task, the recurring master and its next period
    assert r.stderr.strip() == ngettext("Wrote {file}: {n} event.", "Wrote {file}: {n} events.", 3, lang=lang,
                                        file="noi-vu.ics")
    assert r.stderr.strip() == {"vi": "Đã ghi noi-vu.ics: 3 sự kiện.", "en": "Wrote noi-vu.ics: 3 events."}[lang]
    data = (tmp_path / "noi-vu.ics").read_bytes()
    check_octets(data)
    cal = read_vobject(data)
    assert {e.uid.value for e in cal.vevent_list} == {"5099%2F1@lich.example.gov.vn", "5099%2F2@lich.example.gov.vn"}
    # by abbreviation / code too
    assert cli("ics", "--agency", "so-noi-vu", "b.ics").exit_code == 0
    assert (tmp_path / "b.ics").read_bytes() == data


def test_ics_all_to_stdout_and_todo(cli):
    r = cli("ics", "--all", "-")
    assert r.exit_code == 0, r.output
    assert {e.uid.value for e in read_vobject(r.stdout_bytes).vevent_list} == {
        "5099%2F1@lich.example.gov.vn", "5099%2F2@lich.example.gov.vn", "5099%2F3@lich.example.gov.vn"}
    r = cli("ics", "--all", "--todo", "--lang", "en", "-")
    assert r.exit_code == 0
    todos = read_vobject(r.stdout_bytes).vtodo_list
    assert len(todos) == 3 and all(t.summary.value.startswith("[Due] ") for t in todos)


def test_ics_bad_input_is_explained_and_writes_nothing(cli, tmp_path, lang):
    r = cli("ics", "--agency", "Sở Nội vụ", "--all", "x.ics")
    assert r.exit_code == 2 and r.stderr.strip() == _("Give either --agency NAME or --all, not both.", lang=lang)
    r = cli("ics", "--agency", "Sở Bay", "x.ics")
    assert r.exit_code == 2 and _("Unknown agency {text!r}.", lang=lang, text="Sở Bay") in r.stderr
    assert _("Did you mean: {names}?", lang=lang, names="")[:6] in r.stderr
    r = cli("ics", "--all", "no-such-folder/x.ics")
    assert r.exit_code == 2 and r.stderr.strip() == _("Cannot write {file}: folder {folder} does not exist.", lang=lang,
                                                      file="no-such-folder/x.ics", folder="no-such-folder")
    r = cli("ics", "--all", "--lang", "fr", "x.ics")
    assert r.exit_code == 2 and r.stderr.strip() == _("--lang {value!r}: accepted: {accepted}", lang=lang, value="fr",
                                                      accepted="vi | en")
    assert not (tmp_path / "x.ics").exists()
    assert not list(tmp_path.glob(".x.ics.*"))


def test_feed_url_issues_a_working_token_each_time(cli, engine, lang):
    r = cli("feed", "url", "Sở Nội vụ")
    assert r.exit_code == 0, r.output
    url = r.stdout.strip()
    assert url.startswith("https://lich.example.gov.vn/feeds/") and url.endswith(".ics")
    assert ".todo.ics" in r.stderr
    assert _("Keep this URL secret: anyone who has it can read the calendar.", lang=lang) in r.stderr
    token = tokens.token_from_text(url)
    with Session(engine) as s:
        row = tokens.lookup(s, token)
        assert (row.scope, row.agency) == ("agency", "so-noi-vu")
        assert token not in {t.token_hash for t in s.exec(select(FeedToken))}  # only the hash is stored
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "feed.issued")).first() is not None

    # the webcal:// form of the same URL, for a one-click subscription
    assert f"webcal://{url.removeprefix('https://')}" in r.stderr and url.startswith("https://")

    r2 = cli("feed", "url", "so-noi-vu")
    assert r2.stdout.strip() != url and ngettext(
        "{n} older URL of {what} still works until revoked ({command}).",
        "{n} older URLs of {what} still work until revoked ({command}).", 1, lang=lang, what="so-noi-vu",
        command="`dondoc feed revoke so-noi-vu`") in r2.stderr
    r3 = cli("feed", "url", "so-noi-vu", "--rotate")
    assert ngettext("Revoked {n} older URL of {what}.", "Revoked {n} older URLs of {what}.", 2, lang=lang,
                    what="so-noi-vu") in r3.stderr
    with Session(engine) as s:
        assert tokens.lookup(s, token) is None
        assert [t.agency for t in tokens.active_tokens(s)] == ["so-noi-vu"]

    r = cli("feed", "url", "--oversight")
    assert r.exit_code == 0
    with Session(engine) as s:
        assert tokens.lookup(s, tokens.token_from_text(r.stdout.strip())).scope == "oversight"


def test_feed_url_needs_one_agency(cli, lang):
    r = cli("feed", "url")
    assert r.exit_code == 2 and r.stderr.strip() == _("Give an AGENCY or --oversight (one of them).", lang=lang)
    r = cli("feed", "url", "Các sở, ban, ngành")
    group = _("{text!r} is a group of {n} agencies; a feed is for one agency: name one of {names}, or use --oversight.",
              lang=lang, text="Các sở, ban, ngành", n=0, names="")
    assert r.exit_code == 2 and group.split("0")[0] in r.stderr


def test_feed_revoke_by_url_token_agency_and_id(cli, engine, lang):
    def revoked(n, what):
        return ngettext("Revoked {n} feed URL of {what}.", "Revoked {n} feed URLs of {what}.", n, lang=lang, what=what)

    urls = [cli("feed", "url", "so-noi-vu").stdout.strip() for _ in range(3)]
    over = cli("feed", "url", "--oversight").stdout.strip()

    r = cli("feed", "revoke", urls[0])
    assert r.exit_code == 0 and r.stdout.strip() == revoked(1, _("that feed URL", lang=lang))
    r = cli("feed", "revoke", urls[0])
    assert r.exit_code == 1 and r.stderr.strip() == _(
        "No active feed has that URL (already revoked, or not from this database).", lang=lang)
    r = cli("feed", "revoke", tokens.token_from_text(urls[1]))
    assert r.exit_code == 0

    listing = cli("feed", "list").stdout
    assert "so-noi-vu" in listing and "oversight" in listing
    assert all(tokens.token_from_text(u) not in listing for u in urls)

    r = cli("feed", "revoke", "Sở Nội vụ")
    assert r.exit_code == 0 and r.stdout.strip() == revoked(1, _("agency {codes}", lang=lang, codes="so-noi-vu"))
    r = cli("feed", "revoke", "Sở Nội vụ")
    assert r.exit_code == 1 and r.stderr.strip() == _("Nothing to revoke: {what} has no active feed.", lang=lang,
                                                      what=_("agency {codes}", lang=lang, codes="so-noi-vu"))

    with Session(engine) as s:
        [row] = tokens.active_tokens(s)
        assert row.scope == "oversight"
    assert cli("feed", "revoke", "--id", str(row.id)).exit_code == 0
    with Session(engine) as s:
        assert tokens.lookup(s, tokens.token_from_text(over)) is None
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "feed.revoked")).all()) == 4
    assert cli("feed", "list").stdout.strip() == _("No active feeds. `dondoc feed url AGENCY` makes one.", lang=lang)
    assert cli("feed", "revoke").exit_code == 2


def test_ics_for_a_group_of_agencies(cli, lang):
    r = cli("ics", "--agency", "Các sở, ban, ngành", "-")
    assert r.exit_code == 0, r.output
    cal = read_vobject(r.stdout_bytes)
    assert {e.uid.value for e in cal.vevent_list} == {"5099%2F1@lich.example.gov.vn", "5099%2F2@lich.example.gov.vn", "5099%2F3@lich.example.gov.vn"}
    assert cal.contents["x-wr-calname"][0].value.endswith({"vi": " cơ quan", "en": " agencies"}[lang])  # LANGUAGE


def test_the_export_has_every_task_the_feed_window_leaves_out(cli, engine):
    """FEED_WINDOW_MONTHS bounds the feeds (a task due two years ago and done is left out, even when it was done
    last week); `dondoc ics` exports it."""
    from feeds import service
    from storage.actions import Actor, mark_done

    with Session(engine) as s:
        t = make_task(s, key="2016/1", deadline_text="trước ngày 30/6/2016", now=T0, content="Việc cũ", position=9)
        s.commit()
        mark_done(s, t, "once", Actor("admin", None, "cli"), T0)  # done today, two years late
        s.commit()
    r = cli("ics", "--all", "-")
    assert r.exit_code == 0
    assert "2016%2F1@lich.example.gov.vn" in {e.uid.value for e in read_vobject(r.stdout.encode()).vevent_list}
    from dondoc.settings import load_settings

    with Session(engine) as s:
        feed = service.calendar_for_all(s, load_settings(environ={}, dotenv_path=None), T0)
    assert b"2016%2F1@" not in feed


def test_a_feed_token_never_starts_with_a_dash(monkeypatch):
    """`dondoc feed revoke <token>` must not read a token as an option: a token starting with "-" (one in 64
    of secrets.token_urlsafe's) is drawn again."""
    drawn = iter(["-" + "a" * 42, "b" * 43])
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda n: next(drawn))
    assert tokens.new_token() == "b" * 43
