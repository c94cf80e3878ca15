"""pytest plugin: a real PostgreSQL server for the tests that need one.

The server is `TEST_DATABASE_URL` when it is set (its user needs CREATEDB); otherwise this plugin starts a
throw-away PostgreSQL (initdb + pg_ctl, found on PATH or under /usr/lib/postgresql/*/bin) in a temporary
folder on a free 127.0.0.1 port, trusting local connections, and stops it and removes the folder when the
session ends. PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user.

Every test gets its own database, cloned from a template (a fast file copy), so tests are isolated and
advisory locks taken in one test never leak into another:

    pg_url         a fresh database migrated to the latest schema (SQLAlchemy URL, postgresql+psycopg://…)
    pg_empty_url   a fresh, empty database (no tables, no alembic_version)
    pg_engine      an engine on `pg_url`, disposed after the test
    pg_settings    Settings with DATABASE_URL = `pg_url` (nothing read from .env)
    postgres_server  the session's server: `.create_database(template=None) -> url`, `.drop_database(url)`

Tests that use any of them are marked `postgres` automatically (`pytest -m "not postgres"` leaves them out).
When no server can be started they SKIP with the reason, and the summary says so loudly; in CI
(`CI=true`) they FAIL instead, so a broken CI machine never passes by skipping.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

ENV_URL = "TEST_DATABASE_URL"
PG_FIXTURES = frozenset({"postgres_server", "pg_url", "pg_empty_url", "pg_engine", "pg_settings"})
_BINARIES = ("initdb", "pg_ctl", "postgres")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be reached or started; the message says why and what to do."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def _to_sqlalchemy_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+driver://; always hand back the psycopg 3 driver."""
    from sqlalchemy.engine import make_url

    u = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if u.get_backend_name() != "postgresql":
        raise PostgresUnavailable(f"{ENV_URL}={url!r} is not a PostgreSQL URL (postgresql+psycopg://USER@HOST/DB)")
    return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _libpq_url(url: str) -> str:
    """SQLAlchemy URL → a libpq connection string psycopg accepts."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- starting a local server ---------------------------------------------------------------------------

def _find_bindir() -> Path:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    candidates += [Path("/usr/pgsql-16/bin"), Path("/usr/pgsql-15/bin"), Path("/opt/homebrew/bin"), Path("/usr/local/bin")]
    for c in candidates:
        if all((c / b).exists() for b in _BINARIES):
            return c
    raise PostgresUnavailable("PostgreSQL's initdb/pg_ctl were not found on PATH nor under /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServer:
    """A PostgreSQL server this session started; `stop()` ends it and removes its folder."""

    bindir: Path
    folder: Path
    port: int = 0
    run_as: str | None = None  # "postgres" when we are root
    _running: bool = field(default=False, repr=False)

    @property
    def datadir(self) -> Path:
        return self.folder / "data"

    @property
    def logfile(self) -> Path:
        return self.folder / "server.log"

    def _cmd(self, argv: list[str]) -> list[str]:
        if self.run_as is None:
            return argv
        if shutil.which("runuser"):
            return ["runuser", "-u", self.run_as, "--", *argv]
        return ["su", self.run_as, "-s", "/bin/sh", "-c", shlex.join(argv)]

    def _run(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
        # cwd = our folder: the postgres user may not be allowed into the test's working directory.
        return subprocess.run(self._cmd(argv), cwd=self.folder, capture_output=True, text=True, timeout=timeout)

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    @classmethod
    def start(cls) -> "LocalServer":
        bindir = _find_bindir()
        run_as = None
        if os.geteuid() == 0:
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server as "
                                          "(PostgreSQL refuses to run as root)") from None
            run_as = "postgres"
        folder = Path(tempfile.mkdtemp(prefix="dondoc-pg-"))
        server = cls(bindir=bindir, folder=folder, run_as=run_as)
        try:
            os.chmod(folder, 0o700)
            if run_as is not None:
                os.chown(folder, pw.pw_uid, pw.pw_gid)
            init = server._run([str(bindir / "initdb"), "-D", str(server.datadir), "-A", "trust", "-U", "postgres",
                                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], timeout=120)
            if init.returncode != 0:
                raise PostgresUnavailable(f"initdb failed (exit {init.returncode}): {init.stderr.strip() or init.stdout.strip()}")
            last_error = ""
            for _attempt in range(3):  # another program may grab the free port between our check and the start
                server.port = _free_port()
                # Durability off: a test server never survives a crash anyway, and fsync is most of the cost.
                options = (f"-p {server.port} -k {shlex.quote(str(folder))} -c listen_addresses=127.0.0.1 "
                           "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
                started = server._run([str(bindir / "pg_ctl"), "-D", str(server.datadir), "-l", str(server.logfile),
                                       "-w", "-t", "60", "-o", options, "start"], timeout=90)
                if started.returncode == 0:
                    server._running = True
                    atexit.register(server.stop)  # also when the session is interrupted
                    return server
                last_error = (started.stderr.strip() or started.stdout.strip()) + "\n" + server._log_tail()
            raise PostgresUnavailable(f"pg_ctl start failed: {last_error}")
        except PostgresUnavailable:
            server.stop()
            raise
        except (OSError, subprocess.SubprocessError) as e:
            server.stop()
            raise PostgresUnavailable(f"could not start PostgreSQL: {e}") from e

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self._running:
            self._running = False
            result = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "-t", "30",
                                "stop"], timeout=60)
            if result.returncode != 0:
                self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"],
                          timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the server the tests use ------------------------------------------------------------------------------

class PostgresServer:
    """A PostgreSQL server where tests create (and drop) their own databases."""

    def __init__(self, admin_url: str, local: LocalServer | None = None):
        self.admin_url = admin_url  # a database we may connect to in order to CREATE/DROP others
        self.local = local
        self._prefix = f"dondoc_t{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._counter = itertools.count(1)
        self._templates: dict[str, str] = {}
        self._created: set[str] = set()

    def __repr__(self) -> str:
        from sqlalchemy.engine import make_url

        where = "started by the tests" if self.local else f"from {ENV_URL}"
        return f"<PostgresServer {make_url(self.admin_url).render_as_string(hide_password=True)} ({where})>"

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that) on the admin database."""
        import psycopg

        with psycopg.connect(_libpq_url(self.admin_url), autocommit=True, connect_timeout=10) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def check(self) -> None:
        try:
            version = self.execute("SHOW server_version_num")[0][0]
        except Exception as e:  # noqa: BLE001 - any failure means "cannot use it"; say what it was
            raise PostgresUnavailable(f"cannot connect to PostgreSQL at {self!r}: {e}") from e
        if int(version) < 130000:
            raise PostgresUnavailable(f"PostgreSQL {version} is too old for the tests (13 or later: DROP DATABASE … WITH (FORCE))")

    def create_database(self, template: str | None = None) -> str:
        """A new database (cloned from `template`, a database name; else empty) → its SQLAlchemy URL."""
        name = f"{self._prefix}_{next(self._counter)}"
        source = template or "template0"
        try:
            self.execute(f"CREATE DATABASE {_quote_ident(name)} TEMPLATE {_quote_ident(source)} STRATEGY FILE_COPY")
        except Exception as e:
            if "permission denied" in str(e).lower():
                raise PostgresUnavailable(f"{self!r}: the user may not create databases; the tests need CREATEDB "
                                          "(ALTER ROLE … CREATEDB)") from e
            raise
        self._created.add(name)
        return _with_database(self.admin_url, name)

    def migrated_template(self, revision: str = "head") -> str:
        """The name of a database migrated to `revision`, made once per session, to clone from."""
        if revision not in self._templates:
            from storage.db import upgrade

            url = self.create_database()
            upgrade(url, revision)  # Alembic's engine uses NullPool: no connection is left open on it
            from sqlalchemy.engine import make_url

            self._templates[revision] = make_url(url).database
        return self._templates[revision]

    def drop_database(self, url_or_name: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url_or_name).database if "://" in url_or_name else url_or_name
        # FORCE ends connections a killed subprocess or a forgotten engine left behind.
        self.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
        self._created.discard(name)

    def close(self) -> None:
        for name in list(self._created):
            try:
                self.drop_database(name)
            except Exception:  # noqa: BLE001 - cleanup of a server about to stop; nothing to report
                pass
        if self.local is not None:
            self.local.stop()


def connect_server() -> PostgresServer:
    """TEST_DATABASE_URL if set, else a server started here. Raises PostgresUnavailable saying why not."""
    given = os.environ.get(ENV_URL, "").strip()
    if given:
        server = PostgresServer(_to_sqlalchemy_url(given))
        server.check()
        return server
    local = LocalServer.start()
    server = PostgresServer(local.url, local)
    try:
        server.check()
    except PostgresUnavailable:
        local.stop()
        raise
    return server


# -- pytest wiring -----------------------------------------------------------------------------------------

_skipped_because: list[str] = []


def _unavailable(reason: str) -> None:
    message = (f"PostgreSQL tests cannot run: {reason}. Set {ENV_URL}=postgresql+psycopg://USER@HOST/DB "
               "(a user with CREATEDB) or install PostgreSQL (initdb and pg_ctl) so the tests start their own.")
    if in_ci():
        pytest.fail(message + " CI=true: failing instead of skipping.", pytrace=False)
    _skipped_because.append(reason)
    pytest.skip("SKIPPED — " + message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = connect_server()
    except PostgresUnavailable as e:
        _unavailable(str(e))
        raise  # unreachable: _unavailable skips or fails
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_empty_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database(template=postgres_server.migrated_template())
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def pg_engine(pg_url: str):
    from storage.db import make_engine

    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_settings(pg_url: str):
    from dondoc.settings import load_settings

    return load_settings(environ={}, dotenv_path=None, database_url=pg_url)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if PG_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _skipped_because:
        tr = terminalreporter
        tr.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        tr.write_line(f"reason: {_skipped_because[0]}", red=True)
        tr.write_line(f"Set {ENV_URL} or install PostgreSQL so they run; in CI (CI=true) this is a failure.", red=True)


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.1, what: str = "condition") -> object:
    """Poll `predicate` until it returns something truthy (helper for the multi-process tests)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout:.0f}s")
        time.sleep(interval)
