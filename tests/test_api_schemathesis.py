"""Schemathesis against the served /api/v1/openapi.json: every operation of the document is called with data
generated from it (valid and invalid) on a live server on 127.0.0.1, and each answer is checked — never a
server error, only documented status codes, content types and headers, bodies that match their schema, and
invalid input refused with a 4xx. A few examples per operation, so it stays quick on a 2-core CI."""

from __future__ import annotations

import asyncio
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)
from sqlmodel import Session

from core.clock import FixedClock
from storage import api_tokens
from tests.web_harness import NOW, seed

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


class LiveServer:
    """The one HTTP application (feeds, console, API) served on 127.0.0.1 from a thread with its own loop."""

    def __init__(self, settings, engine, clock):
        self.settings, self.engine, self.clock = settings, engine, clock
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        from aiohttp import web

        from web.feeds import make_app
        from web.api.app import mount as mount_api
        from web.app import mount

        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(make_app(self.settings, self.engine, self.clock, [mount, mount_api]))
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self.runner = runner
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        assert self.ready.wait(30), "the server did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live(engine, db_url):
    from dondoc.settings import load_settings

    seed(engine)
    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, api_rate_per_minute=100_000,
                             feed_render_processes=0)
    with LiveServer(settings, engine, FixedClock(NOW)) as server:
        yield server


@pytest.fixture
def token(engine) -> str:
    # Every agency, write: the widest token, so every operation can answer something other than 401/403/404.
    with Session(engine) as s:
        plain, _ = api_tokens.issue(s, name="schemathesis", scope="write", agencies=[], all_agencies=True,
                                    actor="test", now=NOW)
        s.commit()
    return plain


def operations() -> list[tuple[str, str]]:
    from web.api.routes import API

    return [(op.method, op.path) for op in API.operations]


@pytest.mark.parametrize("method, path", operations(), ids=lambda v: v)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_conforms_to_its_document(method, path, mode, live, token):
    # The document is the one the server serves; each operation is looked up in it (the pytest integration's
    # lazy loading, schemathesis.pytest.from_fixture, does not run under pytest 9 yet).
    schema = schemathesis.openapi.from_url(f"{live.url}/api/v1/openapi.json")
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @hsettings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case):
        case.call_and_validate(base_url=f"{live.url}/api/v1", headers=headers, checks=CHECKS)

    check()
