"""Responsibility over time (issue 22), through the real import, scheduler and report commands with a fake clock:
a registry naming a department merged on 28/02/2025 (Sở Kế hoạch và Đầu tư → Sở Tài chính) and a district that
ceased on 30/06/2025 with no successor (Tràng Định)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from storage.db import session_scope
from storage.record_tables import ResponsibilityEntry
from storage.responsibility import history, reconcile_import, responsible_on, spans
from storage.tables import Notification, Task
from tests.conftest import VN, cli_runner
from tests.factories import make_binding
from tests.test_briefs import Recorder

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = """\
agencies: agencies-lang-son.yaml
directive:
  number: 62/KH-UBND
  issued: 2024-01-15
  issuer: UBND tỉnh Lạng Sơn
  subject: Kế hoạch thực hiện
tasks:
  - key: KH-Q
    content: Báo cáo tình hình thực hiện hằng quý
    lead: Sở Kế hoạch và Đầu tư
    deadline: định kỳ hàng quý
  - key: KH-1
    content: Xây dựng đề án
    lead: Sở Kế hoạch và Đầu tư
    deadline: trước ngày 30/11/2024
  - key: TD-Q
    content: Báo cáo kết quả ở địa phương
    lead: UBND huyện Tràng Định
    deadline: định kỳ hàng quý
"""


@pytest.fixture
def registry(tmp_path) -> Path:
    shutil.copy(ROOT / "examples" / "agencies-lang-son.yaml", tmp_path / "agencies-lang-son.yaml")
    path = tmp_path / "62-KH-UBND.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    return path


@pytest.fixture
def cli(engine, db_url, monkeypatch):
    return cli_runner(monkeypatch, db_url, "2024-02-01T09:00:00+07:00")


def report(cli, period: str, at: str) -> str:
    r = cli("report", "--period", period, "--json", CLOCK_START=at)
    assert r.exit_code == 0, r.output
    return r.stdout


def agencies_of(report_json: str) -> dict[str, int]:
    return {a["code"]: a["total"] for a in json.loads(report_json)["agencies"]}


LATER = "2026-04-10T09:00:00+07:00"


async def run_service(engine, db_url, *moments: datetime) -> Recorder:
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    clock = FixedClock(moments[0])
    ch = Recorder(clock)
    sch = make_scheduler(engine, settings, clock, {"telegram": ch})
    for m in moments:
        clock.set(m)
        await sch.tick()
    return ch


async def test_a_closed_period_reads_the_same_before_and_after_the_service_hands_over(engine, db_url, cli, registry):
    r = cli("import", str(registry))
    assert r.exit_code == 0, r.output
    with session_scope(engine) as s:
        before_start = datetime(2024, 1, 20, 9, 0, tzinfo=VN)
        make_binding(s, chat_id=-3001, agency="huyen-trang-dinh", role="focal", now=before_start)
        make_binding(s, chat_id=-3002, agency="so-tai-chinh", role="focal", now=before_start)
        make_binding(s, chat_id=-3009, agency="so-noi-vu", role="oversight", now=before_start)
    year_2024 = report(cli, "năm 2024", LATER)
    assert agencies_of(year_2024) == {"so-ke-hoach-dau-tu": 5, "huyen-trang-dinh": 4}

    ticks = [datetime(2025, 2, 26, 8, 0, 30, tzinfo=VN), datetime(2025, 3, 3, 8, 0, 30, tzinfo=VN),
             datetime(2025, 6, 25, 8, 0, 30, tzinfo=VN), datetime(2025, 7, 1, 8, 0, 30, tzinfo=VN),
             datetime(2025, 7, 2, 8, 0, 30, tzinfo=VN), datetime(2025, 9, 29, 8, 0, 30, tzinfo=VN),
             datetime(2025, 12, 29, 8, 0, 30, tzinfo=VN), datetime(2026, 3, 30, 8, 0, 30, tzinfo=VN),
             datetime(2026, 4, 6, 8, 0, 30, tzinfo=VN)]
    ch = await run_service(engine, db_url, *ticks)

    with Session(engine) as s:
        kh = s.exec(select(Task).where(Task.key == "KH-Q")).one()
        assert kh.lead_agency == "so-tai-chinh"  # today's lists and chats: the successor
        assert [(e.kind, e.lead, e.since) for e in history(s, kh)] == [
            ("written", "so-ke-hoach-dau-tu", None), ("handover", "so-tai-chinh", date(2025, 3, 1))]
    # The closed year reads the same, byte for byte (its colours are those at its close), and still names the
    # department that owed it.
    assert report(cli, "năm 2024", LATER) == year_2024
    # A quarter after the hand-over is the successor's.
    assert agencies_of(report(cli, "Quý III/2025", LATER)) == {"so-tai-chinh": 1}
    # The district that ceased with no successor owes nothing due after its end …
    assert agencies_of(report(cli, "năm 2025", LATER)) == {"so-tai-chinh": 4, "huyen-trang-dinh": 2}
    assert "huyen-trang-dinh" not in agencies_of(report(cli, "Quý I/2026", LATER))
    # … and hears nothing after it; the oversight body is told once.
    # (the agenda of the week it ended in, 30/06, may still reach it on 01/07; nothing about a task does)
    assert not [t for t, when in ch.to(-3001) if when.date() > date(2025, 6, 30) and not t.startswith("📋")]
    assert not [t for t, when in ch.to(-3001) if when.date() > date(2025, 7, 6)]
    assert ch.to(-3001)  # it did hear of its work while it existed
    held = [t for t, _w in ch.to(-3009) if t.startswith("⏸")]
    assert len(held) == 1 and "Tràng Định" in held[0]

    # Re-importing the unchanged file changes nothing: the hand-over stays.
    r = cli("import", str(registry), LANGUAGE="en", CLOCK_START=LATER)
    assert r.exit_code == 0, r.output
    assert "0 added, 0 changed, 3 unchanged" in r.stdout, r.stdout
    with Session(engine) as s:
        assert s.exec(select(Task).where(Task.key == "KH-Q")).one().lead_agency == "so-tai-chinh"
    assert report(cli, "năm 2024", LATER) == year_2024
    # A second start does not hand over again.
    await run_service(engine, db_url, datetime(2026, 4, 7, 8, 0, 30, tzinfo=VN))
    with Session(engine) as s:
        assert len(s.exec(select(ResponsibilityEntry)).all()) == 5  # three as written, one hand-over … and KH-1's
    # The hand-over is in the task's history, in words.
    r = cli("history", "KH-Q", LANGUAGE="en", CLOCK_START=LATER)
    assert r.exit_code == 0, r.output
    assert "Handed over from Sở Kế hoạch và Đầu tư to Sở Tài chính from 01/03/2025" in r.stdout
    assert "Sở Kế hoạch và Đầu tư ceased to exist on 28/02/2025" in r.stdout
    assert "01/03/2025: Sở Tài chính (handed over to the successor)" in r.stdout
    data = json.loads(cli("history", "KH-Q", "--json", CLOCK_START=LATER).stdout)
    assert [e["kind"] for e in data["responsibility"]] == ["written", "handover"]
    assert data["history"][-1]["action"] == "task.handed_over"


async def test_a_file_naming_another_lead_after_a_hand_over_says_so(engine, db_url, cli, registry):
    assert cli("import", str(registry)).exit_code == 0
    await run_service(engine, db_url, datetime(2025, 3, 3, 8, 0, 30, tzinfo=VN))
    edited = registry.read_text(encoding="utf-8").replace(
        "lead: Sở Kế hoạch và Đầu tư\n    deadline: định kỳ hàng quý", "lead: Sở Nội vụ\n    deadline: định kỳ hàng quý")
    edited = edited.replace("trước ngày 30/11/2024", "trước ngày 15/12/2024")
    registry.write_text(edited, encoding="utf-8")
    # The check says each real change once, in the file's own words.
    r = cli("import", str(registry), "--dry-run", LANGUAGE="en", CLOCK_START="2025-03-04T09:00:00+07:00")
    assert r.exit_code == 0, r.output
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("~")] == [
        "~ KH-Q · Cơ quan chủ trì: Sở Kế hoạch và Đầu tư → Sở Nội vụ",
        "~ KH-1 · Thời gian hoàn thành: trước ngày 30/11/2024 → trước ngày 15/12/2024"]
    r = cli("import", str(registry), LANGUAGE="en", CLOCK_START="2025-03-04T09:00:00+07:00")
    assert r.exit_code == 0, r.output
    assert "0 added, 2 changed, 1 unchanged" in r.stdout
    assert ("task KH-Q: the file names Sở Nội vụ as the lead; since 01/03/2025 the task is led by Sở Tài chính "
            "(handed over to the successor), which stays") in r.output
    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == "KH-Q")).one()
        assert t.lead_agency == "so-tai-chinh"
        assert [(e.kind, e.lead) for e in history(s, t)] == [
            ("written", "so-ke-hoach-dau-tu"), ("written", "so-noi-vu"), ("handover", "so-tai-chinh")]
    # Importing it again is a no-op.
    r = cli("import", str(registry), LANGUAGE="en", CLOCK_START="2025-03-05T09:00:00+07:00")
    assert "0 added, 0 changed, 3 unchanged" in r.stdout, r.stdout


async def test_the_oversight_body_reassigns_the_work_a_ceased_district_left(engine, db_url, cli, registry):
    assert cli("import", str(registry)).exit_code == 0
    at = "2025-08-04T09:00:00+07:00"
    before = report(cli, "Quý II/2025", at)
    # The merged department's quarter is its successor's even before the service recorded the hand-over; the
    # district's is nobody's.
    assert agencies_of(report(cli, "Quý III/2025", at)) == {"so-tai-chinh": 1}
    r = cli("reassign", "TD-Q", "--to", "Sở Nội vụ", "--reason", "Huyện Tràng Định kết thúc hoạt động",
            "--as", "Nguyễn Văn An", LANGUAGE="en", CLOCK_START=at)
    assert r.exit_code == 0, r.output
    assert "Reassigned: TD-Q is led by Sở Nội vụ from 01/07/2025." in r.stdout
    assert report(cli, "Quý II/2025", at) == before  # the district's last quarter stays, byte for byte
    assert agencies_of(report(cli, "Quý III/2025", at)) == {"so-tai-chinh": 1, "so-noi-vu": 1}
    r = cli("history", "TD-Q", LANGUAGE="en", CLOCK_START=at)
    assert "Nguyễn Văn An (command line): Reassigned from UBND huyện Tràng Định to Sở Nội vụ from 01/07/2025: " \
           "Huyện Tràng Định kết thúc hoạt động" in r.stdout
    r = cli("reassign", "TD-Q", "--to", "Sở Nội vụ", "--reason", "x", LANGUAGE="en", CLOCK_START=at)
    assert r.exit_code == 2 and "already leads" in r.output
    r = cli("reassign", "TD-Q", "--to", "Sở Không Có", "--reason", "x", LANGUAGE="en", CLOCK_START=at)
    assert r.exit_code == 2 and "Unknown agency" in r.output


def test_who_is_responsible_on_a_day():
    from storage.record_tables import ResponsibilityEntry as E

    ends = {"a": (date(2025, 2, 28), "b"), "d": (date(2025, 6, 30), None)}
    written = E(id=1, task_id=1, since=None, kind="written", lead="a", actor="x", source="import")
    h = spans([written])
    assert responsible_on(h, date(2025, 2, 28), ends) == "a"
    assert responsible_on(h, date(2025, 3, 1), ends) == "b"  # before the service recorded the hand-over
    h = spans([written, E(id=2, task_id=1, since=date(2025, 3, 1), kind="handover", lead="b", actor="s",
                          source="scheduler"),
               E(id=3, task_id=1, since=None, kind="correction", lead="c", actor="x", source="cli")])
    assert responsible_on(h, date(2024, 5, 1), ends) == "c"  # a correction holds from the assignment on …
    assert responsible_on(h, date(2025, 5, 1), ends) == "b"  # … and the later hand-over still applies
    assert responsible_on(spans([E(id=1, task_id=1, since=None, kind="written", lead="d", actor="x",
                                   source="import")]), date(2025, 7, 1), ends) is None
    h = spans([written])
    assert reconcile_import(h, "b", "a").written_changed is False  # the file as written
    h2 = spans([written, E(id=2, task_id=1, since=date(2025, 3, 1), kind="handover", lead="b", actor="s",
                           source="scheduler")])
    assert reconcile_import(h2, "b", "a") .store == "b"
    assert reconcile_import(h2, "b", "b").written_changed is False  # the file names who took over
    moved = reconcile_import(h2, "b", "c")
    assert moved.written_changed and moved.store == "b" and moved.kept.lead == "b"
    plain = reconcile_import(h, "a", "c")
    assert plain.written_changed and plain.store == "c"


async def test_work_a_ceased_district_left_is_listed_once_for_reassignment(engine, db_url, cli, registry):
    assert cli("import", str(registry)).exit_code == 0
    at = "2025-08-04T09:00:00+07:00"
    r = cli("orphans", LANGUAGE="en", CLOCK_START=at)
    assert r.exit_code == 0, r.output
    listed = [ln for ln in r.stdout.splitlines() if ln.startswith("TD-Q:")]
    assert listed == ["TD-Q: UBND huyện Tràng Định ceased to exist on 30/06/2025 — Báo cáo kết quả ở địa phương"]
    assert "KH-Q" not in r.stdout  # a merged department's work has a successor
    assert cli("reassign", "TD-Q", "--to", "Sở Nội vụ", "--reason", "Giải thể", CLOCK_START=at).exit_code == 0
    r = cli("orphans", LANGUAGE="en", CLOCK_START=at)
    assert "No task waits to be reassigned." in r.stdout


async def test_the_console_lists_them_for_the_oversight_body_and_reassigns(engine, db_url, cli, registry):
    from datetime import timezone

    from core.clock import FixedClock
    from tests.web_harness import ADMIN, FOCAL, console, make_link  # noqa: F401

    assert cli("import", str(registry)).exit_code == 0
    with session_scope(engine) as s:
        make_binding(s, chat_id=901, agency="van-phong-ubnd-tinh", role="oversight",
                     now=datetime(2025, 1, 1, tzinfo=timezone.utc))
        make_binding(s, chat_id=FOCAL, agency="so-noi-vu", role="focal", now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url)
    clock = FixedClock(datetime(2025, 8, 4, 9, 0, tzinfo=VN))
    async with console(engine, settings, clock) as c:
        await c.sign_in(FOCAL)
        assert (await c.client.get("/web/orphans")).status == 404  # the oversight body's page
        await c.client.post("/web/signout", data={"csrf": await c.csrf()})
        await c.sign_in(901)
        page = await (await c.client.get("/web/orphans")).text()
        assert "TD-Q" in page and "KH-Q" not in page and "UBND huyện Tràng Định" in page
        csrf = await c.csrf("/web/orphans")
        r = await c.client.post("/web/orphans", data={"csrf": csrf, "task": "TD-Q", "agency": "so-noi-vu",
                                                      "reason": " "}, allow_redirects=False)
        assert r.status == 400
        r = await c.client.post("/web/orphans", data={"csrf": csrf, "task": "TD-Q", "agency": "so-noi-vu",
                                                      "reason": "Giải thể cấp huyện"}, allow_redirects=False)
        assert r.status == 303
        page = await (await c.client.get("/web/tasks/TD-Q")).text()
        assert "Cơ quan chủ trì qua từng thời kỳ" in page and "UBND huyện Tràng Định" in page
        assert "cơ quan thường trực giao lại: Giải thể cấp huyện" in page
        assert "Giao lại từ UBND huyện Tràng Định cho Sở Nội vụ từ ngày 01/07/2025" in page  # the history in words
    with Session(engine) as s:
        t = s.exec(select(Task).where(Task.key == "TD-Q")).one()
        assert t.lead_agency == "so-noi-vu"
        assert [(e.kind, e.since, e.actor) for e in history(s, t)][-1] == ("reassignment", date(2025, 7, 1), "User 901")


async def test_the_preview_plans_nothing_to_a_ceased_district_imported_after_its_end(engine, db_url, cli, registry):
    at = "2026-01-05T09:00:00+07:00"
    assert cli("import", str(registry), CLOCK_START=at).exit_code == 0
    with session_scope(engine) as s:
        for chat, agency, role in ((-3001, "huyen-trang-dinh", "focal"), (-3002, "so-tai-chinh", "focal"),
                                   (-3009, "so-noi-vu", "oversight")):
            make_binding(s, chat_id=chat, agency=agency, role=role, now=datetime(2026, 1, 1, tzinfo=VN))
    r = cli("preview", "--from", "05/01/2026", "--to", "30/04/2026", "--json", CLOCK_START=at)
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    chats = {str(row.get("chat")) for row in rows}
    assert rows and not any("-3001" in c for c in chats), chats  # the district hears nothing
    assert any("-3002" in c for c in chats)  # the successor of the merged department does
