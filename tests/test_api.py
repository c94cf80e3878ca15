"""/api/v1 through the one HTTP application (feeds' app with the console and the API mounted): tokens, what a
token sees, actions with the console's rules, problem+json errors, the rate limit, and `dondoc api-token`."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from core.clock import FixedClock
from storage import api_tokens
from storage.tables import AuditEntry, Task
from tests.conftest import cli_runner
from tests.web_harness import NOW, seed


def make_token(engine, *, agencies=(), all_agencies=False, scope="read", name="IOC") -> tuple[str, int]:
    with Session(engine) as s:
        token, row = api_tokens.issue(s, name=name, scope=scope, agencies=list(agencies), all_agencies=all_agencies,
                                      actor="test", now=NOW)
        s.commit()
        return token, row.id


@asynccontextmanager
async def api(engine, settings):
    from web.feeds import make_app
    from web.api.app import mount as mount_api
    from web.app import mount

    app = make_app(settings, engine, FixedClock(NOW), [mount, mount_api])
    async with TestClient(TestServer(app)) as client:
        yield client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


async def test_a_read_token_of_one_agency_sees_nothing_of_another(seeded, settings):
    token, _ = make_token(seeded, agencies=["so-y-te"])
    async with api(seeded, settings) as c:
        r = await c.get("/api/v1/tasks", headers=bearer(token))
        assert r.status == 200
        body = await r.json()
        assert {i["key"] for i in body["items"]} == {"5099-4"} and body["total"] == 1
        # Another agency's task is answered exactly as a task that does not exist.
        for key in ("5099-1", "no-such-task"):
            r = await c.get(f"/api/v1/tasks/{key}", headers=bearer(token))
            assert r.status == 404 and r.content_type == "application/problem+json"
            assert (await r.json())["status"] == 404
        r = await c.get("/api/v1/tasks/5099-1/history", headers=bearer(token))
        assert r.status == 404
        r = await c.get("/api/v1/tasks", params={"agency": "so-noi-vu"}, headers=bearer(token))
        assert (await r.json())["items"] == []
        r = await c.get("/api/v1/reports", params={"agency": "so-noi-vu"}, headers=bearer(token))
        assert r.status == 404
        r = await c.get("/api/v1/reports", params={"period": "Quý II/2018"}, headers=bearer(token))
        report = await r.json()
        assert [a["code"] for a in report["agencies"]] == ["so-y-te"]
        assert {o["code"] for o in report["overdue"]} <= {"so-y-te"}


async def test_the_report_is_the_json_of_dondoc_report(seeded, settings):
    from core.workdays import WorkCalendar
    from reports import build_report, parse_period

    token, _ = make_token(seeded, all_agencies=True)
    async with api(seeded, settings) as c:
        r = await c.get("/api/v1/reports", params={"period": "Quý II/2018"}, headers=bearer(token))
        assert r.status == 200
        got = await r.json()
    with Session(seeded) as s:
        want = build_report(s, settings=settings, calendar=WorkCalendar.from_file(None),
                            period=parse_period("Quý II/2018"), today=NOW.date()).to_json()
    import json

    assert got == json.loads(json.dumps(want))


async def test_a_write_token_records_progress_that_appears_in_the_history(seeded, settings):
    token, token_id = make_token(seeded, agencies=["so-noi-vu"], scope="write", name="Phần mềm QLVB Sở Nội vụ")
    async with api(seeded, settings) as c:
        r = await c.post("/api/v1/tasks/5099-2/progress", json={"percent": 40, "note": "Đã dự thảo danh mục"},
                         headers=bearer(token))
        assert r.status == 200, await r.text()
        assert (await r.json())["occurrence"] == "once"
        r = await c.get("/api/v1/tasks/5099-2/history", headers=bearer(token))
        entries = (await r.json())["items"]
        assert [(e["action"], e["actor"], e["source"]) for e in entries][-1] == \
            ("task.progress", "Phần mềm QLVB Sở Nội vụ", "api")
        r = await c.get("/api/v1/tasks/5099-2", headers=bearer(token))
        assert (await r.json())["progress"][-1]["percent"] == 40
        # A task it does not lead (Sở Y tế's) is not there to act on.
        r = await c.post("/api/v1/tasks/5099-4/progress", json={"percent": 10}, headers=bearer(token))
        assert r.status == 404
        # Decisions are the oversight body's.
        r = await c.post("/api/v1/extensions/1/decision", json={"approve": True}, headers=bearer(token))
        assert r.status == 403 and r.content_type == "application/problem+json"
    with Session(seeded) as s:
        row = s.exec(select(AuditEntry).where(AuditEntry.action == "task.progress")).one()
        assert row.actor_id == f"api:{token_id}" and row.entity_key == "5099-2"


async def test_a_read_token_cannot_act_and_state_errors_are_409(seeded, settings):
    read, _ = make_token(seeded, agencies=["so-noi-vu"])
    write, _ = make_token(seeded, agencies=["so-noi-vu"], scope="write")
    async with api(seeded, settings) as c:
        r = await c.post("/api/v1/tasks/5099-2/done", json={"note": "Quyết định 12/QĐ-SNV"}, headers=bearer(read))
        assert r.status == 403 and (await r.json())["type"].endswith("read-only")
        r = await c.post("/api/v1/tasks/5099-2/done", json={"note": "Quyết định 12/QĐ-SNV ngày 19/6/2018"},
                         headers=bearer(write))
        assert r.status == 200 and (await r.json())["state"] == "done"
        r = await c.post("/api/v1/tasks/5099-2/done", json={}, headers=bearer(write))
        assert r.status == 409 and r.content_type == "application/problem+json"
        r = await c.post("/api/v1/tasks/5099-2/progress", json={"percent": 140}, headers=bearer(write))
        body = await r.json()
        assert r.status == 422 and body["errors"][0]["field"] == "percent"
        r = await c.post("/api/v1/tasks/5099-2/progress", data=b"{not json", headers=bearer(write))
        assert r.status == 400
        r = await c.post("/api/v1/tasks/5099-3/extensions", json={"requested_due": "2018-08-01", "reason": "x"},
                         headers=bearer(write))
        assert r.status == 409  # one request already waits for a decision


async def test_the_oversight_token_decides_an_extension(seeded, settings):
    token, _ = make_token(seeded, all_agencies=True, scope="write", name="VP UBND tỉnh")
    async with api(seeded, settings) as c:
        r = await c.get("/api/v1/tasks/5099-3", headers=bearer(token))
        ext = (await r.json())["extensions"][0]
        r = await c.post(f"/api/v1/extensions/{ext['id']}/decision", json={"approve": True}, headers=bearer(token))
        assert r.status == 200, await r.text()
        r = await c.get("/api/v1/tasks/5099-3/periods", headers=bearer(token))
        assert (await r.json())["items"][0]["effective_due"] == "2018-07-16"  # 15/7/2018 is a Sunday


async def test_a_revoked_token_is_refused(seeded, settings, monkeypatch):
    token, token_id = make_token(seeded, agencies=["so-noi-vu"])
    async with api(seeded, settings) as c:
        r = await c.get("/api/v1/tasks", headers=bearer(token))
        assert r.status == 200
        run = cli_runner(monkeypatch, settings.database_url, NOW.isoformat())
        result = run("api-token", "revoke", str(token_id))
        assert result.exit_code == 0, result.output
        r = await c.get("/api/v1/tasks", headers=bearer(token))
        assert r.status == 401 and r.content_type == "application/problem+json"
        assert "WWW-Authenticate" in r.headers
        r = await c.get("/api/v1/tasks")
        assert r.status == 401
        r = await c.get("/api/v1/tasks", headers=bearer("ddk_" + "x" * 43))
        assert r.status == 401


async def test_requests_past_the_rate_are_answered_429(seeded, db_url):
    from dondoc.settings import load_settings

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, api_rate_per_minute=3)
    token, _ = make_token(seeded, agencies=["so-noi-vu"])
    async with api(seeded, settings) as c:
        statuses = [(await c.get("/api/v1/directives", headers=bearer(token))).status for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        r = await c.get("/api/v1/directives", headers=bearer(token))
        assert int(r.headers["Retry-After"]) >= 1 and r.content_type == "application/problem+json"


async def test_filters_and_paging(seeded, settings):
    token, _ = make_token(seeded, all_agencies=True)
    async with api(seeded, settings) as c:
        async def keys(**params):
            r = await c.get("/api/v1/tasks", params=params, headers=bearer(token))
            assert r.status == 200, await r.text()
            body = await r.json()
            return [i["key"] for i in body["items"]], body["total"]

        assert await keys(status="overdue") == (["5099-4", "5099-1"], 2)
        assert await keys(q="cong bo") == (["5099-2"], 1)  # without diacritics
        assert await keys(agency="so-tai-chinh") == (["5099-1"], 1)  # coordinates it
        assert await keys(per_page=2, page=2) == (["5099-2", "5099-3"], 4)
        assert await keys(period="tháng 7/2018") == (["5099-3"], 1)  # extended to 15/7 … 16/7
        r = await c.get("/api/v1/tasks", params={"period": "Quý V/2018"}, headers=bearer(token))
        assert r.status == 422 and (await r.json())["errors"][0]["field"] == "period"
        r = await c.get("/api/v1/directives", headers=bearer(token))
        assert [(d["number"], d["tasks"]) for d in (await r.json())["items"]] == [("5099/UBND-HCC", 4)]


async def test_the_document_is_openapi_3_1_and_lists_every_route(seeded, settings):
    from web.api.routes import API

    async with api(seeded, settings) as c:
        r = await c.get("/api/v1/openapi.json")
        assert r.status == 200
        doc = await r.json()
    assert doc["openapi"].startswith("3.1")
    served = {(op.method.lower(), op.path) for op in API.operations}
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented
    assert doc["paths"]["/tasks/{key}/progress"]["post"]["requestBody"]["content"]["application/json"]["schema"] \
        == {"$ref": "#/components/schemas/ProgressIn"}
    assert "ProgressIn" in doc["components"]["schemas"]


def test_api_token_cli_create_and_list(engine, monkeypatch, settings):
    seed(engine)
    run = cli_runner(monkeypatch, settings.database_url, NOW.isoformat())
    r = run("api-token", "create", "--name", "IOC tỉnh", "--agency", "Sở Y tế", "--scope", "read")
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]
    assert api_tokens.TOKEN_RE.fullmatch(token)
    with Session(engine) as s:
        row = api_tokens.lookup(s, token)
        assert row.agencies == ["so-y-te"] and row.scope == "read" and row.token_hash != token
    r = run("api-token", "create", "--name", "x", "--all", "--agency", "Sở Y tế")
    assert r.exit_code == 2
    r = run("api-token", "create", "--name", "x", "--all", "--scope", "admin")
    assert r.exit_code == 2 and "read | write" in r.output
    r = run("api-token", "list")
    assert r.exit_code == 0 and "IOC tỉnh" in r.output and token not in r.output


async def test_an_unknown_parameter_is_refused_not_ignored(seeded, settings):
    token, _ = make_token(seeded, all_agencies=True)
    async with api(seeded, settings) as c:
        r = await c.get("/api/v1/tasks", params={"stauts": "overdue"}, headers=bearer(token))
        assert r.status == 422 and (await r.json())["errors"][0]["field"] == "stauts"


async def test_the_oversight_token_sends_a_completion_back_only_with_its_reason(seeded, settings):
    """POST /tasks/{key}/confirmation with approve=false returns the completion as the console and the chats do
    (issue 22): the reason (`note`) is required and told to the agency."""
    from storage import actions, completion
    from storage.record_tables import Completion
    from storage.tables import Notification, Occurrence

    with Session(seeded) as s:
        task = s.exec(select(Task).where(Task.key == "5099-2")).one()
        completion.report_completion(s, task, "once", actions.Actor("Chị Lan", "903", "telegram"), NOW,
                                     needs_confirmation=True)
        s.commit()
        task_id = task.id
    token, _ = make_token(seeded, all_agencies=True, scope="write", name="VP UBND tỉnh")
    async with api(seeded, settings) as c:
        r = await c.post("/api/v1/tasks/5099-2/confirmation", json={"approve": False}, headers=bearer(token))
        assert r.status == 422 and (await r.json())["type"].endswith("no-return-reason")
        r = await c.post("/api/v1/tasks/5099-2/confirmation", json={"approve": False, "note": "Thiếu phụ lục"},
                         headers=bearer(token))
        assert r.status == 200 and (await r.json())["state"] == "open"
        r = await c.post("/api/v1/tasks/5099-2/confirmation", json={"approve": False, "note": "lần nữa"},
                         headers=bearer(token))
        assert r.status == 409  # no longer awaiting confirmation
    with Session(seeded) as s:
        assert s.exec(select(Occurrence).where(Occurrence.task_id == task_id)).one().status == "open"
        assert s.exec(select(Completion)).one().decision_reason == "Thiếu phụ lục"
        told = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).all()
        assert told and {n.payload["reason"] for n in told} == {"Thiếu phụ lục"}
