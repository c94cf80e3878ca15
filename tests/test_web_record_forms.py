"""The console's record forms over HTTP (issue 22), through the real aiohttp application on 127.0.0.1:

- the old "return" action of the task page (no reason) is refused with the way to do it, and changes nothing;
- the dashboard's bulk "send back" needs the reason and returns through storage.completion (the agency told);
- the evidence form's upload limit follows EVIDENCE_MAX_MB: a request past it gets a page naming the limit, a file
  past it (within the request limit) is refused by the store; nothing is recorded either way.
(The browser walk through the completion form and the return with a reason is tests/test_web_record.py.)
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import Session, select

from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from storage import actions
from storage.record_tables import Completion, Evidence
from storage.tables import AuditEntry, Notification, Occurrence, Task
from tests.web_harness import ADMIN, FOCAL, NOW, OVERSIGHT, console, seed

MB = 1024 * 1024
CLERK = actions.Actor("Chị Lan", str(FOCAL), "telegram")


def vi(msgid: str, **values) -> str:
    from html import escape

    return escape(_(msgid, lang="vi", **values), quote=True)


@pytest.fixture
def wsettings(db_url, tmp_path):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                         evidence_dir=tmp_path / "kho", evidence_max_mb=1)


@pytest.fixture
def wclock():
    return FixedClock(NOW)


@pytest.fixture
def seeded(engine):
    seed(engine)
    with Session(engine) as s:
        for key in ("5099-1", "5099-2"):
            task = s.exec(select(Task).where(Task.key == key)).one()
            actions.mark_done(s, task, "once", CLERK, NOW - timedelta(hours=1), needs_confirmation=True)
        s.commit()
    return engine


def status(engine, key: str) -> str:
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == key)).one()
        return s.exec(select(Occurrence).where(Occurrence.task_id == task.id)).one().status


async def test_a_return_without_a_reason_is_refused(seeded, wsettings, wclock):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(OVERSIGHT)
        csrf = await c.csrf("/web/tasks/5099-1")
        r = await c.client.post("/web/tasks/5099-1", data={"csrf": csrf, "action": "return", "occurrence": "once"},
                                allow_redirects=False)
        assert r.status == 400
        assert vi("A completion is returned with the reason the agency will be told: use “Return the completion” on "
                  "this page and say why. Nothing was changed.") in await r.text()
        assert status(seeded, "5099-1") == "pending_confirmation"
        # The return form without a reason says why too.
        r = await c.client.post("/web/record/return/5099-1", data={"csrf": csrf, "occurrence": "once", "reason": " "},
                                allow_redirects=False)
        assert r.status == 400 and vi("Say why the completion is returned.") in await r.text()
        assert status(seeded, "5099-1") == "pending_confirmation"
        # Bulk: no reason, nothing sent back; with one, each completion is returned and its agency told.
        r = await c.client.post("/web/bulk", data={"csrf": csrf, "action": "return", "sel": ["5099-1|once",
                                                                                             "5099-2|once"]},
                                allow_redirects=False)
        assert r.status == 400 and vi("Give the reason for sending the completions back: the agencies are told "
                                      "it.") in await r.text()
        assert status(seeded, "5099-1") == status(seeded, "5099-2") == "pending_confirmation"
        r = await c.client.post("/web/bulk", data={"csrf": csrf, "action": "return", "reason": "Thiếu văn bản",
                                                   "sel": ["5099-1|once", "5099-2|once"]}, allow_redirects=False)
        assert r.status == 303
        assert status(seeded, "5099-1") == status(seeded, "5099-2") == "open"
    with Session(seeded) as s:
        told = s.exec(select(Notification).where(Notification.step.like("notice:returned:%"))).all()
        assert {n.task_key for n in told} == {"5099-1", "5099-2"}
        assert {n.payload["reason"] for n in told} == {"Thiếu văn bản"}
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "task.returned")).all()) == 2


async def _evidence_form(c, key: str, files: list[tuple[str, bytes]]):
    csrf = await c.csrf(f"/web/tasks/{key}")
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("occurrence", "once")
    form.add_field("document", "12/BC-SNV")
    for name, data in files:
        form.add_field("files", data, filename=name, content_type="application/pdf")
    return await c.client.post(f"/web/record/done/{key}", data=form, allow_redirects=False)


async def test_the_evidence_forms_limit_follows_evidence_max_mb(seeded, wsettings, wclock, tmp_path):
    async with console(seeded, wsettings, wclock) as c:
        await c.sign_in(FOCAL)
        page = await (await c.client.get("/web/tasks/5099-3")).text()
        assert vi("At most {n} files of {mb} MB each: {types}", n=5, mb=1,
                  types=", ".join(wsettings.evidence_types)) in page
        # Past the request's limit (5 files × 1 MB and the form): a page naming the limit.
        r = await _evidence_form(c, "5099-3", [("bao-cao.pdf", b"%PDF" + b"0" * (7 * MB))])
        assert r.status == 413
        assert vi("The files are larger than the console takes: at most {n} files of {mb} MB each "
                  "(EVIDENCE_MAX_MB). Nothing was recorded; go back and send smaller files.", n=5, mb=1) \
            in await r.text()
        # Within the request's limit but past the file's: the store's own refusal, naming the limit.
        r = await _evidence_form(c, "5099-3", [("phu-luc.pdf", b"%PDF" + b"0" * (MB + 100)),
                                               ("bao-cao.pdf", b"%PDF small")])
        assert r.status == 400
        assert vi("{name}: the file is larger than {mb} MB", name="phu-luc.pdf", mb=1) in await r.text()
        # Under the limit: the confirmation step.
        r = await _evidence_form(c, "5099-3", [("bao-cao.pdf", b"%PDF" + b"0" * (MB - 100))])
        assert r.status == 200 and "bao-cao.pdf" in await r.text()
    with Session(seeded) as s:
        assert not s.exec(select(Completion)).all()
    assert len(list((tmp_path / "kho").glob("*.pdf"))) == 1  # only the accepted file was kept
