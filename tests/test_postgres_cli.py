"""Every `dondoc` command works with DATABASE_URL=postgresql+psycopg://… and says the same as on SQLite.

The commands run as an administrator runs them: the installed `dondoc` script in a subprocess, settings
from the environment only. The same sequence runs against a fresh SQLite file, and the commands that only
read (tasks, bindings, preview, export, ics) must print or write the same thing on both databases — a
difference means a query whose order or comparison depends on the database. The clock is frozen
(CLOCK_START with a tiny CLOCK_SPEED) so both runs see the same instant.

A command that does not exist yet (`dondoc --help` does not list it) is reported as skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from core.settings import SETTING_NAMES

pytestmark = pytest.mark.postgres

CLOCK_START = "2018-06-05T09:00:00+07:00"
# A small registry in the appendix layout of 337/QĐ-UBND: one-off, quarterly and continuous deadlines.
REGISTRY_CSV = """\
STT,Mã,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành
1,pg-1,Rà soát thủ tục hành chính,Sở Nội vụ,Sở Tư pháp,trước ngày 14/6/2018
2,pg-2,Báo cáo tình hình thực hiện,Sở Tư pháp,,định kỳ hàng quý
3,pg-3,Tuyên truyền cải cách hành chính,Sở Nội vụ,"Sở Tư pháp, Sở Tài chính",Thường xuyên
4,pg-4,Xây dựng kế hoạch năm 2019,Sở Tài chính,,Tháng 12/2018
"""


def _dondoc() -> list[str]:
    script = Path(sys.executable).with_name("dondoc")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from dondoc.cli import main; main()"]


@dataclass
class Cmd:
    name: str  # as the administrator types it, e.g. "feed url"
    args: Callable[[Path], list[str]]  # the arguments after the command name, given the working folder
    same_output: bool = False  # read-only: must print the same on SQLite and PostgreSQL
    output_file: str | None = None  # a file the command writes, compared too
    contains: tuple[str, ...] = ()  # what the PostgreSQL run must print (or write), so "same" is not "both empty"


# In the order an administrator goes live: schema, registry, chats, a look at what will be sent, calendars.
COMMANDS = [
    Cmd("db upgrade", lambda d: []),
    Cmd("import", lambda d: [str(d / "registry.csv"), "--document", "99/KH-PGTEST", "--issued", "2018-05-23",
                             "--issuer", "UBND tỉnh Đồng Nai", "--subject", "Kế hoạch thử nghiệm PostgreSQL"]),
    Cmd("tasks", lambda d: [], same_output=True, contains=("pg-1", "pg-4", "14/06/2018")),
    Cmd("agencies", lambda d: [], same_output=True, contains=("Sở Nội vụ",)),
    Cmd("link", lambda d: ["Sở Nội vụ", "-1001001", "--role", "focal"]),
    Cmd("link", lambda d: ["Sở Tư pháp", "2002002", "--role", "focal"]),
    Cmd("link", lambda d: ["Sở Nội vụ", "-1003003", "--role", "oversight"]),
    Cmd("bindings", lambda d: [], same_output=True, contains=("-1001001", "2002002", "-1003003")),
    Cmd("preview", lambda d: ["--from", "2018-06-01", "--to", "2018-12-31"], same_output=True,
        contains=("[pg-1]", "telegram:-1001001")),
    Cmd("export", lambda d: [str(d / "out" / "export.csv")], output_file="out/export.csv", contains=("pg-3",)),
    Cmd("ics", lambda d: ["--all", str(d / "out" / "all.ics")], output_file="out/all.ics", contains=("BEGIN:VEVENT",)),
    Cmd("invite", lambda d: ["Sở Nội vụ", "--role", "manager"]),
    Cmd("feed url", lambda d: ["Sở Nội vụ"]),
    Cmd("feed list", lambda d: []),
    Cmd("feed revoke", lambda d: ["Sở Nội vụ"]),
    Cmd("progress", lambda d: ["pg-1", "50", "Đang rà soát"]),
    Cmd("extend", lambda d: ["pg-4", "15/01/2019", "Chờ ý kiến các sở"]),
    Cmd("extensions", lambda d: [], same_output=True, contains=("pg-4", "15/01/2019")),
    Cmd("decide", lambda d: ["1", "approve"]),
    Cmd("done", lambda d: ["pg-1"]),
    Cmd("report", lambda d: ["--period", "năm 2018", "--json"], same_output=True,
        contains=('"so-noi-vu"', '"done_on_time": 1')),
    Cmd("unlink", lambda d: ["Sở Tư pháp", "2002002"]),
    Cmd("bindings", lambda d: [], same_output=True, contains=("-1001001",)),
]


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(DATABASE_URL=database_url, CLOCK_START=CLOCK_START, CLOCK_SPEED="0.000001",
               TELEGRAM_BOT_USERNAME="dondoc_test_bot", LOG_LEVEL="warning", PYTHONIOENCODING="utf-8")
    return env


class Runs:
    """The same commands against a PostgreSQL database and a SQLite file, each in its own folder."""

    def __init__(self, pg_url: str, root: Path):
        self.folders = {"postgresql": root / "pg", "sqlite": root / "sqlite"}
        self.urls = {"postgresql": pg_url, "sqlite": f"sqlite:///{root / 'sqlite' / 'dondoc.sqlite3'}"}
        for d in self.folders.values():
            (d / "out").mkdir(parents=True)
            (d / "registry.csv").write_text(REGISTRY_CSV, encoding="utf-8")
        self._exists: dict[str, bool] = {}

    def exists(self, name: str) -> bool:
        if name not in self._exists:
            probe = subprocess.run([*_dondoc(), *name.split(), "--help"], capture_output=True, text=True,
                                   env=_env(self.urls["sqlite"]), cwd=self.folders["sqlite"], timeout=60)
            self._exists[name] = probe.returncode == 0
        return self._exists[name]

    def run(self, db: str, argv: list[str]) -> dict:
        p = subprocess.run([*_dondoc(), *argv], capture_output=True, text=True, env=_env(self.urls[db]),
                           cwd=self.folders[db], timeout=120)
        return {"code": p.returncode, "stdout": p.stdout, "stderr": p.stderr}


@pytest.fixture(scope="module")
def runs(postgres_server, tmp_path_factory):
    url = postgres_server.create_database()  # empty: `dondoc db upgrade` is the first command under test
    yield Runs(url, tmp_path_factory.mktemp("cli"))
    postgres_server.drop_database(url)


def _normalise(text: str, runs: Runs, db: str) -> str:
    """Output minus what legitimately differs: the database URL and the working folder."""
    from sqlalchemy.engine import make_url

    for s in (runs.urls[db], make_url(runs.urls[db]).render_as_string(hide_password=True), str(runs.folders[db])):
        text = text.replace(s, "<…>")
    return text


@pytest.mark.parametrize("cmd", COMMANDS, ids=[f"{i:02d}-{c.name.replace(' ', '-')}" for i, c in enumerate(COMMANDS)])
def test_command_on_postgresql(runs, cmd):
    if not runs.exists(cmd.name):
        pytest.skip(f"`dondoc {cmd.name}` does not exist yet")
    results = {}
    for db in ("postgresql", "sqlite"):
        argv = [*cmd.name.split(), *cmd.args(runs.folders[db])]
        results[db] = r = runs.run(db, argv)
        assert r["code"] == 0, f"`dondoc {' '.join(argv)}` on {db} exited {r['code']}:\n{r['stdout']}\n{r['stderr']}"
        assert "Traceback" not in r["stderr"], r["stderr"]
    if cmd.same_output:
        assert _normalise(results["postgresql"]["stdout"], runs, "postgresql") == \
            _normalise(results["sqlite"]["stdout"], runs, "sqlite"), f"`dondoc {cmd.name}` differs between the databases"
    shown = results["postgresql"]["stdout"]
    if cmd.output_file:
        written = {db: (runs.folders[db] / cmd.output_file).read_bytes() for db in results}
        assert written["postgresql"], f"`dondoc {cmd.name}` wrote an empty file"
        assert written["postgresql"] == written["sqlite"], f"{cmd.output_file} differs between the databases"
        shown = written["postgresql"].decode("utf-8", "replace")
    for needle in cmd.contains:
        assert needle in shown, f"`dondoc {cmd.name}` on PostgreSQL does not show {needle!r}:\n{shown[:2000]}"


def test_db_upgrade_on_postgresql_reaches_head_and_is_idempotent(postgres_server, tmp_path):
    from storage.db import current_revision, head_revision, make_engine

    url = postgres_server.create_database()
    try:
        for _ in range(2):
            p = subprocess.run([*_dondoc(), "db", "upgrade"], capture_output=True, text=True,
                               env={**_env(url), "LANGUAGE": "en"}, cwd=tmp_path, timeout=120)
            assert p.returncode == 0, p.stderr
        assert "postgresql+psycopg://" in p.stdout and "Database is at revision" in p.stdout
        eng = make_engine(url)
        try:
            assert current_revision(eng) == head_revision(url)
        finally:
            eng.dispose()
    finally:
        postgres_server.drop_database(url)


def test_a_postgresql_server_that_is_down_gets_a_clear_message(tmp_path):
    """No traceback: the administrator is told the server cannot be reached, and where it was looked for."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    url = f"postgresql+psycopg://dondoc:secret@127.0.0.1:{port}/dondoc"
    p = subprocess.run([*_dondoc(), "db", "upgrade"], capture_output=True, text=True,
                       env={**_env(url), "LANGUAGE": "en"}, cwd=tmp_path, timeout=120)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    assert "secret" not in p.stderr + p.stdout, "the password must never be printed"
    assert "Cannot use the database" in p.stderr and f"127.0.0.1:{port}" in p.stderr
