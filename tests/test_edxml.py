"""edXML in (a package's header and attachment into a draft for review, its DocumentId kept; broken packages
refused with what is wrong; signatures checked) and out (status receipts 03/05/06 answering the source
document, written once, read back by our own parser)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from core.clock import FixedClock
from intake.edxml.importer import receive
from intake.edxml.outbox import import_watched, write_receipts
from intake.edxml.package import PackageError, read_package
from intake.edxml.receipts import StatusMessage, read_status, status_message
from intake.edxml.signature import INVALID, UNCHECKED, UNSIGNED, VERIFIED, check_signature
from storage import actions
from storage.api_tables import EdxmlDocument, EdxmlReceipt
from storage.tables import Task
from tests.conftest import VN, cli_runner
from tests.edxml_samples import DOCUMENT_ID, Signer, package

NOW = datetime(2026, 3, 6, 9, 0, tzinfo=VN)


@pytest.fixture(scope="module")
def signer():
    return Signer()


@pytest.fixture(autouse=True)
def english():
    """The assertions read the English texts; Vietnamese (the default) is checked once, below."""
    from core.i18n import use_language

    with use_language("en"):
        yield


def test_problems_are_told_in_vietnamese_by_default():
    from core.i18n import use_language

    with use_language("vi"), pytest.raises(PackageError) as e:
        read_package(package(promulgation="05/03/2026"))
    assert e.value.problems == ["PromulgationDate '05/03/2026' không phải ngày viết theo dạng YYYY/MM/DD"]


def test_the_header_is_read():
    p = read_package(package())
    assert p.document_id == DOCUMENT_ID
    assert (p.number, p.issued, p.issuer, p.type_name) == ("812/UBND-KGVX", date(2026, 3, 5), "UBND tỉnh Đồng Nai",
                                                          "Công văn")
    assert p.subject.startswith("V/v triển khai chuyển đổi số") and p.due == date(2026, 5, 31)
    assert p.sender.organ_id == "000.00.12.H19" and [r.organ_id for r in p.recipients] == ["000.03.12.H19"]
    assert p.signer == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn A" and p.steering_type == "1"
    assert [a.name for a in p.attachments] == ["812-UBND-KGVX.txt"] and not p.signed


@pytest.mark.parametrize("data, says", [
    (b"<edXML><unclosed></edXML>", "not well-formed XML (line 1)"),
    (b"<?xml version='1.0'?><html/>", "the root element is <html>"),
    (package(document_id="812/UBND-KGVX"), "DocumentId '812/UBND-KGVX' is not written OrganId,YYYY/MM/DD,number"),
    (package(promulgation="05/03/2026"), "PromulgationDate '05/03/2026' is not a date written YYYY/MM/DD"),
    (package(attachment=None), "the package has no attachment"),
    (package(encoded="@@not base64@@"), "attachment 812-UBND-KGVX.txt: its content is not Base64"),
])
def test_a_broken_package_is_refused_naming_what_is_wrong(data, says):
    with pytest.raises(PackageError) as e:
        read_package(data)
    assert any(says in p for p in e.value.problems), e.value.problems


def test_every_problem_is_named_at_once():
    with pytest.raises(PackageError) as e:
        read_package(package(document_id="", due="31/05/2026", subject=""))
    assert len(e.value.problems) == 3, e.value.problems


def test_entities_are_not_expanded():
    evil = b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML>&x;</edXML>'
    with pytest.raises(PackageError) as e:
        read_package(evil)
    assert "no edXMLEnvelope" in e.value.problems[0]


def test_signatures_verify_or_are_marked(signer):
    signed = signer.sign(package())
    assert check_signature(package(), signer.cert_pem).state == UNSIGNED
    assert check_signature(signed, None).state == UNCHECKED
    assert check_signature(signed, signer.cert_pem).state == VERIFIED
    tampered = signed.replace("Nguyễn Văn A".encode(), "Trần Văn B".encode())
    check = check_signature(tampered, signer.cert_pem)
    assert check.state == INVALID and check.reason
    other = Signer()
    assert check_signature(signed, other.cert_pem).state == INVALID  # signed by someone else


def test_the_attachment_becomes_a_draft_that_keeps_the_document_id(engine, tmp_path, signer, monkeypatch):
    with Session(engine) as s:
        got = receive(s, signer.sign(package()), drafts=tmp_path, now=NOW, actor="test", source="cli",
                      cert_pem=signer.cert_pem)
        s.commit()
    assert got.signature.state == VERIFIED and got.tasks == 3
    text = got.draft_file.read_text(encoding="utf-8")
    assert text.startswith(f"# edXML DocumentId: {DOCUMENT_ID}\n")
    draft = yaml.safe_load(text)
    assert draft["directive"]["number"] == "812/UBND-KGVX" and draft["directive"]["issuer"] == "UBND tỉnh Đồng Nai"
    assert str(draft["directive"]["issued"]) == "2026-03-05"
    tasks = draft["tasks"]
    assert [t["lead"] for t in tasks] == ["Sở Nội vụ", "Sở Nội vụ", "Sở Tài chính"]
    # 1.b has no deadline in the text: the package's DueDate, with a note to review it
    assert tasks[1]["deadline"] == "trước ngày 31/05/2026" and "DueDate 31/05/2026" in text
    with Session(engine) as s:
        row = s.exec(select(EdxmlDocument)).one()
        assert (row.document_id, row.number, row.signature) == (DOCUMENT_ID, "812/UBND-KGVX", VERIFIED)
    # The reviewed draft imports as any registry; its tasks then carry the DocumentId (the API shows it).
    run = cli_runner(monkeypatch, str(engine.url), NOW.isoformat())
    result = run("import", str(got.draft_file))
    assert result.exit_code == 0, result.output
    from intake.edxml.importer import document_of

    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.lead_agency == "so-tai-chinh")).one()
        from storage.tables import Directive

        assert document_of(s, s.get(Directive, task.directive_id).number).document_id == DOCUMENT_ID
        key = task.key
    # … and the API shows it with the task.
    from tests.test_api import api, bearer, make_token
    from dondoc.settings import load_settings

    token, _ = make_token(engine, all_agencies=True)
    async def get():
        async with api(engine, load_settings(environ={}, dotenv_path=None, database_url=str(engine.url))) as c:
            r = await c.get(f"/api/v1/tasks/{key}", headers=bearer(token))
            return await r.json()

    import asyncio

    assert asyncio.run(get())["document_id"] == DOCUMENT_ID


def test_an_unsigned_package_needs_to_be_accepted_on_purpose(engine, tmp_path, monkeypatch):
    run = cli_runner(monkeypatch, str(engine.url), NOW.isoformat())
    (tmp_path / "in.edxml").write_bytes(package())
    result = run("import-edxml", str(tmp_path / "in.edxml"), "--drafts", str(tmp_path), LANGUAGE="en")
    assert result.exit_code == 2 and "XML signature" in result.output and not list(tmp_path.glob("*.yaml"))
    result = run("import-edxml", str(tmp_path / "in.edxml"), "--drafts", str(tmp_path), "--allow-unsigned")
    assert result.exit_code == 0, result.output
    assert "812/UBND-KGVX" in result.output and (tmp_path / "812-UBND-KGVX.yaml").is_file()
    (tmp_path / "bad.edxml").write_bytes(package(promulgation="2026-03-05"))
    result = run("import-edxml", str(tmp_path / "bad.edxml"), "--allow-unsigned")
    assert result.exit_code == 2 and "PromulgationDate '2026-03-05'" in result.output


def test_the_watched_folder_takes_good_packages_and_puts_broken_ones_aside(engine, db_url, tmp_path, signer):
    from dondoc.settings import load_settings

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.edxml").write_bytes(signer.sign(package()))
    (folder / "broken.edxml").write_bytes(b"<edXML>")
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, edxml_watch_dir=folder)
    outcome = dict((p.name, r) for p, r in import_watched(engine, settings, NOW))
    assert outcome["good.edxml"] == "done" and "not well-formed XML" in outcome["broken.edxml"]
    assert (folder / "done" / "good.edxml").is_file() and (folder / "drafts" / "812-UBND-KGVX.yaml").is_file()
    assert "not well-formed" in (folder / "refused" / "broken.edxml.txt").read_text(encoding="utf-8")
    assert not list(folder.glob("*.edxml"))


def test_a_status_message_reads_back():
    m = StatusMessage(document_id=DOCUMENT_ID, status="05", description="Đang xử lý", at=datetime(2026, 3, 9, 10, 1, 2),
                      organ_id="000.03.12.H19", organ_name="Sở Nội vụ", staff="Chị Lan")
    assert read_status(status_message(m)) == m
    with pytest.raises(PackageError) as e:
        read_status(status_message(m).replace(b"<edXML:StatusCode>05<", b"<edXML:StatusCode>99<"))
    assert "StatusCode '99'" in e.value.problems[0]


def test_receipts_03_05_06_answer_the_source_document_once(engine, db_url, tmp_path, signer, monkeypatch):
    from dondoc.settings import load_settings

    outbox = tmp_path / "out"
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, edxml_outbox_dir=outbox,
                             edxml_organ_id="000.03.12.H19", edxml_organ_name="Sở Nội vụ tỉnh Đồng Nai")
    with Session(engine) as s:
        got = receive(s, signer.sign(package()), drafts=tmp_path, now=NOW, actor="test", source="cli",
                      cert_pem=signer.cert_pem)
        s.commit()
    assert write_receipts(engine, settings, NOW) == []  # no tasks yet: nothing reached
    run = cli_runner(monkeypatch, db_url, NOW.isoformat())
    assert run("import", str(got.draft_file)).exit_code == 0
    clock = FixedClock(NOW)
    lan = actions.Actor("Chị Lan", "903", "telegram")
    with Session(engine) as s:
        tasks = s.exec(select(Task).order_by(Task.position)).all()
        actions.acknowledge(s, tasks[0], "once", lan, clock.advance(hours=1))
        s.commit()
    (first,) = write_receipts(engine, settings, clock.now())
    with Session(engine) as s:
        tasks = s.exec(select(Task).order_by(Task.position)).all()
        actions.record_progress(s, tasks[0], "once", 40, "Đã rà soát 12 quy trình", lan, clock.advance(days=1))
        actions.record_progress(s, tasks[1], "once", 10, None, lan, clock.advance(hours=1))
        s.commit()
    (second,) = write_receipts(engine, settings, clock.now())
    assert write_receipts(engine, settings, clock.now()) == []  # idempotent per (document, status)
    with Session(engine) as s:
        for t in s.exec(select(Task).order_by(Task.position)).all()[:2]:
            actions.mark_done(s, t, "once", lan, clock.advance(days=1))
        s.commit()
    assert write_receipts(engine, settings, clock.now()) == []  # Sở Tài chính's task is still open
    with Session(engine) as s:
        actions.mark_done(s, s.exec(select(Task).where(Task.lead_agency == "so-tai-chinh")).one(), "once",
                          actions.Actor("Anh Minh", "905", "telegram"), clock.advance(days=2))
        s.commit()
    (third,) = write_receipts(engine, settings, clock.now())
    messages = [read_status(p.read_bytes()) for p in (first, second, third)]
    assert [m.status for m in messages] == ["03", "05", "06"]
    assert all(m.document_id == DOCUMENT_ID and m.organ_id == "000.03.12.H19" for m in messages)
    assert messages[0].staff == "Chị Lan" and messages[0].at == datetime(2026, 3, 6, 10, 0)
    assert sorted(p.name for p in outbox.iterdir()) == [
        "000.00.12.H19_2026_03_05_812_UBND_KGVX-03.edxml", "000.00.12.H19_2026_03_05_812_UBND_KGVX-05.edxml",
        "000.00.12.H19_2026_03_05_812_UBND_KGVX-06.edxml"]
    with Session(engine) as s:
        assert len(s.exec(select(EdxmlReceipt)).all()) == 3
    # ResponseFor names the source document's sender, number and date, as the hub routes on them.
    from lxml import etree

    root = etree.fromstring(third.read_bytes())
    ns = {"e": "http://www.mic.gov.vn/TBT/QCVN_102_2016"}
    assert root.findtext(".//e:ResponseFor/e:OrganId", namespaces=ns) == "000.00.12.H19"
    assert root.findtext(".//e:ResponseFor/e:Code", namespaces=ns) == "812/UBND-KGVX"
    assert root.findtext(".//e:ResponseFor/e:PromulgationDate", namespaces=ns) == "2026/03/05"
    assert Path(first).read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")



async def test_the_console_reads_an_uploaded_package_and_offers_its_draft(engine, db_url, signer):
    from aiohttp import FormData

    from dondoc.settings import load_settings
    from tests.web_harness import ADMIN, FOCAL, console
    from tests.web_harness import seed as seed_console

    seed_console(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))
    clock = FixedClock(NOW)

    def form(csrf: str, data: bytes, unsigned: bool = False) -> FormData:
        f = FormData()
        f.add_field("csrf", csrf)
        f.add_field("package", data, filename="812.edxml", content_type="application/xml")
        if unsigned:
            f.add_field("allow_unsigned", "on")
        return f

    async with console(engine, settings, clock) as c:
        await c.sign_in(FOCAL)
        csrf = await c.csrf()
        r = await c.client.post("/web/integrations/edxml", data=form(csrf, package()))
        assert r.status == 404  # administrators only
    async with console(engine, settings, clock) as c:
        await c.sign_in(ADMIN)
        csrf = await c.csrf("/web/integrations")
        r = await c.client.post("/web/integrations/edxml", data=form(csrf, package(promulgation="5/3/2026")))
        assert r.status == 400 and "PromulgationDate" in await r.text()
        r = await c.client.post("/web/integrations/edxml", data=form(csrf, package()))
        assert r.status == 400 and "--allow-unsigned" in await r.text()
        r = await c.client.post("/web/integrations/edxml", data=form(csrf, signer.sign(package())))
        html = await r.text()
        assert r.status == 200 and DOCUMENT_ID in html and "unchecked" in html  # no EDXML_CERT_FILE here
        r = await c.client.get("/web/integrations/drafts/812-UBND-KGVX.yaml")
        assert r.status == 200 and "812/UBND-KGVX" in (await r.read()).decode()
        assert (await c.client.get("/web/integrations/drafts/..%2F..%2Fetc%2Fpasswd")).status == 404
