"""One agency directory, in the database: agencies given at import (--agencies) are known to every later command,
message, export and feed; a province's name for a built-in agency sticks; export → import into a fresh database
with the same agencies reproduces the registry; PROVINCE brings its communes; `dondoc agencies` adds and renames,
audited."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import Session, select
from typer.testing import CliRunner

from dondoc.cli import app
from dondoc.settings import load_settings
from feeds.service import calendar_for_agency, calendar_for_all
from storage.db import make_engine, upgrade
from storage.tables import Agency, AuditEntry, Task
from tests.conftest import VN

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LANG_SON = str(EXAMPLES / "agencies-lang-son.yaml")
NOW = datetime(2013, 8, 1, 9, 0, tzinfo=VN)
PLAN = [
    ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Báo cáo về"],
    ["1", "Rà soát thủ tục hành chính", "UBND các huyện, thành phố", "Sở Tư pháp", "Quý IV/2013",
     "UBND tỉnh, Chủ tịch UBND tỉnh"],
    ["2", "Tuyên truyền cải cách hành chính", "Báo Lạng Sơn", "Cao Lộc", "Tháng 11/2013", "Sở Nội vụ"],
    ["3", "Báo cáo kết quả", "Sở Nội vụ", "", "Tháng 12/2013", "UBND tỉnh (qua Sở Nội vụ)"],
]
ARGS = ["--document", "62/KH-UBND", "--issued", "11/7/2013", "--issuer", "UBND tỉnh Lạng Sơn"]


def write_plan(path: Path) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fp:
        csv.writer(fp).writerows(PLAN)
    return path


@pytest.fixture
def cli(monkeypatch):
    runner = CliRunner()

    def run(db_url: str, *args: str, **env: str):
        monkeypatch.setenv("DATABASE_URL", db_url)
        monkeypatch.setenv("CLOCK_START", "2013-08-01T09:00:00+07:00")
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        from dondoc.cli import common

        common.settings.cache_clear()
        common.engine.cache_clear()
        return runner.invoke(app, list(args))

    return run


def registry(engine) -> dict:
    with Session(engine) as s:
        return {t.key: (t.stt, t.content, t.lead_agency, t.coordinators, t.coordinators_note, t.report_to,
                        t.deadline_text, t.deadline, t.due)  # assignee_text: the group as written, not exported
                for t in s.exec(select(Task)).all()}


def texts_of(ics: bytes) -> list[str]:
    cal = Calendar.from_ical(ics)
    return [str(cal.get("X-WR-CALNAME", ""))] + \
        [str(c.get(p, "")) for c in cal.walk() if c.name in ("VEVENT", "VTODO") for p in ("SUMMARY", "DESCRIPTION")]


def test_agencies_given_at_import_are_known_everywhere_and_round_trip(cli, db_url, engine, tmp_path):
    plan = write_plan(tmp_path / "plan.csv")
    r = cli(db_url, "import", str(plan), *ARGS, "--agencies", LANG_SON)
    assert r.exit_code == 0, r.output
    keys = set(registry(engine))
    assert len(keys) == 11 + 2 and "62-kh-ubnd-1-huyen-cao-loc" in keys
    with Session(engine) as s:  # the province's agencies entered the directory, audited
        audited = {(a.action, a.entity_key) for a in s.exec(select(AuditEntry)).all() if a.entity == "agency"}
    assert ("agency.created", "huyen-cao-loc") in audited and ("agency.created", "bao-tinh") in audited

    # later commands, without --agencies, know Cao Lộc and say Báo Lạng Sơn
    r = cli(db_url, "link", "Cao Lộc", "-1001", "--role", "focal")
    assert r.exit_code == 0, r.output
    r = cli(db_url, "agencies", "Cao Lộc")
    assert r.exit_code == 0 and "huyen-cao-loc" in r.stdout and "UBND huyện Cao Lộc" in r.stdout
    r = cli(db_url, "agencies", "bao-tinh")
    assert "Báo Lạng Sơn" in r.stdout
    r = cli(db_url, "tasks", "--agency", "Cao Lộc")
    assert r.exit_code == 0 and "UBND huyện Cao Lộc" in r.stdout
    r = cli(db_url, "ics", str(tmp_path / "cao-loc.ics"), "--agency", "Cao Lộc")
    assert r.exit_code == 0, r.output

    # feeds: names, never codes, and the province's name of the newspaper
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    codes = [a.code for a in Session(engine).exec(select(Agency)).all()]
    with Session(engine) as s:
        texts = texts_of(calendar_for_all(s, settings, NOW)) + \
            texts_of(calendar_for_agency(s, "huyen-cao-loc", settings, NOW))
    assert texts and any("UBND huyện Cao Lộc" in t for t in texts) and any("Báo Lạng Sơn" in t for t in texts)
    assert "UBND huyện Cao Lộc" in texts_of(calendar_for_agency(Session(engine), "huyen-cao-loc", settings, NOW))[0]
    for t in texts:
        assert "Báo tỉnh" not in t
        for code in codes:
            assert code not in t.split(), (code, t)
    assert (tmp_path / "cao-loc.ics").read_bytes().count(b"BEGIN:VEVENT") >= 1

    # export keeps "Báo cáo về" whole and the province's names
    for fmt in ("csv", "xlsx", "yaml"):
        out = tmp_path / f"export.{fmt}"
        r = cli(db_url, "export", str(out))
        assert r.exit_code == 0, r.output
    csv_text = (tmp_path / "export.csv").read_text(encoding="utf-8-sig")
    assert "UBND tỉnh, Chủ tịch UBND tỉnh" in csv_text and "Báo Lạng Sơn" in csv_text and "Báo tỉnh," not in csv_text
    with Session(engine) as s:
        assert s.exec(select(Task).where(Task.key == "62-kh-ubnd-1-huyen-cao-loc")).one().report_to == \
            "UBND tỉnh, Chủ tịch UBND tỉnh"
        assert s.exec(select(Task).where(Task.key == "62-kh-ubnd-3")).one().report_to == "UBND tỉnh (qua Sở Nội vụ)"

    # … and into a fresh database with the same agencies file: no error, the same registry
    before = registry(engine)
    for fmt in ("csv", "xlsx", "yaml"):
        url = f"sqlite:///{tmp_path / f'fresh-{fmt}.sqlite3'}"
        upgrade(url)
        r = cli(url, "import", str(tmp_path / f"export.{fmt}"), "--agencies", LANG_SON)
        assert r.exit_code == 0, r.output
        fresh = make_engine(url)
        assert registry(fresh) == before, fmt
        fresh.dispose()

    # re-importing the export into the same database, without --agencies, changes nothing
    r = cli(db_url, "import", str(tmp_path / "export.csv"))
    assert r.exit_code == 0, r.output
    assert "0 thêm mới, 0 thay đổi, 13 không đổi" in r.stdout


def test_a_group_with_no_members_is_an_error_unless_allowed(cli, db_url, engine, tmp_path):
    plan = write_plan(tmp_path / "plan.csv")
    r = cli(db_url, "import", str(plan), *ARGS)
    assert r.exit_code == 2
    assert "nhóm 'UBND các huyện, thành phố' không có thành viên nào trong danh mục cơ quan" in r.stderr
    assert registry(engine) == {}
    r = cli(db_url, "import", str(plan), *ARGS, "--allow-empty-groups", LANGUAGE="en")
    assert "Cao Lộc" in r.stderr  # the coordinator is unknown without the province's file
    (tmp_path / "plan2.csv").write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành\n"
                                        "1,Việc,\"UBND các huyện, thành phố\",Quý IV/2013\n2,Việc,SNV,Quý IV/2013\n",
                                        encoding="utf-8")
    r = cli(db_url, "import", str(tmp_path / "plan2.csv"), *ARGS, "--allow-empty-groups", LANGUAGE="en")
    assert r.exit_code == 0, r.output
    assert "the group 'UBND các huyện, thành phố' has no members: skipped" in r.stderr
    assert set(registry(engine)) == {"62-kh-ubnd-2"}


def test_province_communes_from_the_library(cli, db_url, engine, tmp_path):
    from vietnam_provinces import Province, Ward

    lang_son = next(p for p in Province.iter_all() if p.name == "Lạng Sơn")
    communes = list(Ward.iter_by_province(lang_son.code))
    assert len(communes) > 50
    plan = tmp_path / "plan.csv"
    plan.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành\n"
                    "1,Rà soát thủ tục hành chính cấp xã,\"UBND các xã, phường\",Quý IV/2025\n"
                    "2,Báo cáo,UBND cấp xã,Tháng 12/2025\n3,Việc riêng,Xã Thất Khê,Tháng 12/2025\n", encoding="utf-8")
    r = cli(db_url, "import", str(plan), "--document", "5/KH-UBND", "--issued", "01/08/2025", PROVINCE="lang son")
    assert r.exit_code == 0, r.output
    keys = set(registry(engine))
    assert len([k for k in keys if k.startswith("5-kh-ubnd-1-")]) == len(communes)
    assert len([k for k in keys if k.startswith("5-kh-ubnd-2-")]) == len(communes)
    assert "5-kh-ubnd-3" in keys
    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == "5-kh-ubnd-3")).one()
        a = s.exec(select(Agency).where(Agency.code == t.lead_agency)).one()
    assert a.name == "UBND xã Thất Khê" and a.source == "province"
    r = cli(db_url, "link", "Xã Thất Khê", "-1002", "--role", "focal", PROVINCE="")
    assert r.exit_code == 0, r.output  # stored: known without PROVINCE too


def test_province_setting_is_validated(monkeypatch):
    from core.settings import SettingsError

    with pytest.raises(SettingsError) as e:
        load_settings(environ={"PROVINCE": "Atlantis"}, dotenv_path=None)
    assert "PROVINCE='Atlantis': accepted: one of" in str(e.value) and "Lạng Sơn" in str(e.value)
    assert load_settings(environ={"PROVINCE": "tp ha noi"}, dotenv_path=None).province == "Thành phố Hà Nội"


def test_agencies_add_and_rename_are_audited_and_shown_everywhere(cli, db_url, engine, tmp_path):
    r = cli(db_url, "agencies", "--add", "Trung tâm Phục vụ hành chính công tỉnh", "--code", "trung-tam-hcc",
            "--kind", "khac", "--alias", "TTPVHCC")
    assert r.exit_code == 0, r.output
    r = cli(db_url, "agencies", "--rename", "bao-tinh", "--name", "Báo Lạng Sơn")
    assert r.exit_code == 0, r.output
    r = cli(db_url, "agencies", "--add", "Sở Nội vụ")
    assert r.exit_code == 2 and "Sở Nội vụ" in r.stderr
    with Session(engine) as s:
        actions = [(a.action, a.entity_key) for a in s.exec(select(AuditEntry)).all()]
        assert ("agency.added", "trung-tam-hcc") in actions and ("agency.renamed", "bao-tinh") in actions
    plan = tmp_path / "plan.csv"
    plan.write_text("STT,Nội dung,Cơ quan chủ trì,Thời gian hoàn thành\n1,Việc,TTPVHCC,Quý IV/2013\n"
                    "2,Tin bài,Báo Lạng Sơn,Quý IV/2013\n3,Tin bài,Báo tỉnh,Quý IV/2013\n", encoding="utf-8")
    r = cli(db_url, "import", str(plan), *ARGS)
    assert r.exit_code == 0, r.output
    ts = registry(engine)
    assert ts["62-kh-ubnd-1"][2] == "trung-tam-hcc" and ts["62-kh-ubnd-2"][2] == ts["62-kh-ubnd-3"][2] == "bao-tinh"
    r = cli(db_url, "export", str(tmp_path / "out.csv"))
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "Báo Lạng Sơn" in text and "Trung tâm Phục vụ hành chính công tỉnh" in text
    r = cli(db_url, "agencies", "Báo")
    assert "Báo Lạng Sơn" in r.stdout and "Báo tỉnh" in r.stdout  # the old name stays an alias
