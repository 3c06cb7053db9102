"""Bounded input: the caller is checked before the body, bodies are capped per route and
refused while streaming, and JSON shapes that break code downstream are refused with 400.

The ASGI tests drive the app with a ``receive`` that counts what the app asked for, so
"refused before reading" is measured, not assumed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medpolicy.service.api.app import create_app
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk
from tests.fhir.pas_payloads import pas_bundle
from tests.service.samples import dli_request

MIB = 1024 * 1024


class Sent:
    """What the app asked to receive and what it answered."""

    def __init__(self) -> None:
        self.bytes_read = 0
        self.status = 0
        self.body = b""
        self.headers: dict[str, str] = {}


def call(
    app: FastAPI,
    path: str,
    chunks: Iterator[bytes],
    headers: dict[str, str],
    *,
    stall_after: int | None = None,
) -> Sent:
    """POST ``chunks`` to ``path`` over raw ASGI, counting the body bytes the app pulls."""
    sent = Sent()
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if stall_after is not None and pulled >= stall_after:
            await anyio.sleep(3600)
        chunk = next(chunks, None)
        pulled += 1
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent.bytes_read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8210),
    }
    anyio.run(app, scope, receive, send)
    return sent


def endless(chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """A body that never ends, as an attacker streams it."""
    chunk = b" " * chunk_size
    while True:
        yield chunk


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    settings = ServiceSettings(
        data_dir=tmp_path, max_json_body_bytes=64 * 1024, max_fhir_body_bytes=256 * 1024,
        body_timeout_seconds=0.3, max_bundle_entries=20, max_json_elements=5000,
    )  # fmt: skip
    application = create_app(settings, database=Database(settings.resolved_database_url()))
    yield application
    application.state.database.dispose()


@pytest.fixture
def provider(app: FastAPI) -> dict[str, str]:
    issued = TokenDesk(app.state.database, app.state.clock).issue(
        SYSTEM, role="provider", org="hope-oncology", name="t"
    )
    return {"Authorization": f"Bearer {issued.secret}", "Content-Type": "application/json"}


@pytest.mark.parametrize("path", ["/v1/cases", "/fhir/Claim/$submit"])
@pytest.mark.parametrize("authorization", [None, "Bearer mp_not-a-token"])
def test_no_body_byte_is_read_before_the_token_is_checked(
    app: FastAPI, path: str, authorization: str | None
) -> None:
    headers = {"Content-Length": str(48 * MIB)}
    if authorization:
        headers["Authorization"] = authorization
    sent = call(app, path, endless(), headers)
    assert sent.status == 401
    assert sent.bytes_read == 0


@pytest.mark.parametrize(
    ("path", "cap"), [("/v1/cases", 64 * 1024), ("/fhir/Claim/$submit", 256 * 1024)]
)
def test_a_declared_length_over_the_cap_is_413_unread(
    app: FastAPI, provider: dict[str, str], path: str, cap: int
) -> None:
    sent = call(app, path, endless(), {**provider, "Content-Length": str(cap + 1)})
    assert sent.status == 413
    assert sent.bytes_read == 0
    assert sent.headers["connection"] == "close"


@pytest.mark.parametrize(
    ("path", "cap"), [("/v1/cases", 64 * 1024), ("/fhir/Claim/$submit", 256 * 1024)]
)
def test_an_undeclared_stream_is_cut_off_at_the_cap(
    app: FastAPI, provider: dict[str, str], path: str, cap: int
) -> None:
    sent = call(app, path, endless(16 * 1024), provider)
    assert sent.status == 413
    assert cap < sent.bytes_read <= cap + 16 * 1024
    if path.startswith("/fhir"):
        outcome = json.loads(sent.body)
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "too-costly"
    else:
        assert json.loads(sent.body)["error"]["code"] == "body_too_large"


def test_a_body_that_stalls_is_408(app: FastAPI, provider: dict[str, str]) -> None:
    sent = call(app, "/fhir/Claim/$submit", endless(1024), provider, stall_after=3)
    assert sent.status == 408


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def nested(depth: int) -> str:
    return '{"request": ' + "[" * depth + "]" * depth + ', "priority": "standard"}'


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (nested(100), "nested deeper than 64"),
        ('{"priority": "standard", "priority": "expedited", "request": {}}', "'priority' twice"),
        ('{"request": {"facts": {"x": NaN}}, "priority": "standard"}', "NaN"),
        ('{"request": {"facts": {"x": ' + "9" * 310 + '}}, "priority": "standard"}', "310 digits"),
        ('{"request": {"facts": {"x": 1e999}}, "priority": "standard"}', "too large"),
        ('{"request": [' + "0," * 6000 + '0], "priority": "standard"}', "more than 5000"),
    ],
    ids=["depth", "duplicate-key", "nan", "310-digits", "overflow", "elements"],
)
def test_json_shapes_that_break_code_are_400(
    client: TestClient, provider: dict[str, str], body: str, words: str
) -> None:
    response = client.post("/v1/cases", content=body.encode(), headers=provider)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "json_refused"
    assert words in error["message"]


def test_a_fhir_bundle_with_too_many_entries_is_413(
    client: TestClient, provider: dict[str, str]
) -> None:
    bundle = pas_bundle()
    bundle["entry"] += [bundle["entry"][-1]] * 30
    response = client.post("/fhir/Claim/$submit", json=bundle, headers=provider)
    assert response.status_code == 413
    issue = response.json()["issue"][0]
    assert "at most 20" in issue["diagnostics"]


def test_fhir_duplicate_keys_are_refused_as_an_operation_outcome(
    client: TestClient, provider: dict[str, str]
) -> None:
    body = json.dumps(pas_bundle())[:-1] + ', "type": "transaction"}'
    response = client.post("/fhir/Claim/$submit", content=body.encode(), headers=provider)
    assert response.status_code == 400
    assert "'type' twice" in response.json()["issue"][0]["diagnostics"]


def test_a_body_under_the_cap_still_works(client: TestClient, provider: dict[str, str]) -> None:
    response = client.post(
        "/v1/cases",
        json={"request": dli_request(), "priority": "standard"},
        headers={**provider, "Idempotency-Key": "under-the-cap"},
    )
    assert response.status_code == 201, response.text


def test_large_bodies_are_worked_on_one_at_a_time(app: FastAPI, provider: dict[str, str]) -> None:
    """While one large body is being read, a second waits before its first byte: four
    20 MiB Bundles at once would otherwise hold four parses in memory together."""
    first_may_finish = anyio.Event()
    pulled = {"first": 0, "second": 0}
    second_pulled_while_first_open: list[int] = []

    def receiver(name: str) -> Any:
        async def receive() -> dict[str, Any]:
            pulled[name] += 1
            if name == "first" and pulled[name] == 2:
                await first_may_finish.wait()
            if name == "second" and not first_may_finish.is_set():
                second_pulled_while_first_open.append(pulled[name])
            return {"type": "http.request", "body": b"{", "more_body": pulled[name] < 3}

        return receive

    async def send(_message: dict[str, Any]) -> None:
        return None

    def scope() -> dict[str, Any]:
        headers = [(k.lower().encode(), v.encode()) for k, v in provider.items()]
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/fhir/Claim/$submit",
            "raw_path": b"/fhir/Claim/$submit", "root_path": "", "query_string": b"",
            "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
        }  # fmt: skip

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(app, scope(), receiver("first"), send)
            await anyio.sleep(0.05)
            group.start_soon(app, scope(), receiver("second"), send)
            await anyio.sleep(0.15)  # under the fixture's 0.3 s body timeout
            first_may_finish.set()

    anyio.run(scenario)
    assert second_pulled_while_first_open == []
    assert pulled["second"] == 3
