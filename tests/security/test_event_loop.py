"""The event loop is never blocked: while a FHIR or CDS Hooks call is being decided,
``/health`` still answers at once. The engine is made slow on purpose (it waits 1.5 s),
and ``/health`` is timed while it waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tests.fhir.app_fixtures import Harness, make_harness
from tests.fhir.pas_payloads import pas_bundle, service_request
from tests.service.server import free_port

SLOW_SECONDS = 1.5


def slowed(harness: Harness) -> threading.Event:
    """Make the engine take SLOW_SECONDS; the event is set once a decision has begun."""
    desk = harness.app.state.case_desk
    started = threading.Event()
    evaluate: Callable[..., Any] = desk.evaluate

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        time.sleep(SLOW_SECONDS)
        return evaluate(*args, **kwargs)

    desk.evaluate = slow
    return started


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app behind a real uvicorn server on loopback, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def health_while(
    harness: Harness, path: str, body: dict[str, Any], headers: Callable[[str], dict[str, str]]
) -> float:
    """Seconds ``/health`` took while a call to ``path`` was being decided."""
    started = slowed(harness)
    with served(harness.app) as url:
        harness.app.state.public_base_url = url
        call = threading.Thread(
            target=lambda: httpx.post(url + path, json=body, headers=headers(url), timeout=30)
        )
        call.start()
        assert started.wait(timeout=20), "the call never reached the engine"
        begun = time.perf_counter()
        response = httpx.get(url + "/health", timeout=30)
        took = time.perf_counter() - begun
        call.join(timeout=30)
    assert response.status_code == 200
    return took


def test_health_answers_during_a_slow_pas_submission(tmp_path: Path) -> None:
    harness = make_harness(tmp_path)
    provider = harness.headers["provider"]
    took = health_while(harness, "/fhir/Claim/$submit", pas_bundle(), lambda _url: provider)
    assert took < SLOW_SECONDS / 3


@pytest.mark.parametrize("hook", ["order-sign"])
def test_health_answers_during_a_slow_cds_hook(tmp_path: Path, hook: str) -> None:
    harness = make_harness(tmp_path)
    body = {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {
            "userId": "Practitioner/p1",
            "patientId": "pat1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": service_request()}],
            },
        },
    }
    path = f"/cds-services/{hook}"
    took = health_while(harness, path, body, lambda url: harness.hook_headers(url + path))
    assert took < SLOW_SECONDS / 3
