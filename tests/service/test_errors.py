"""Failures answer in JSON and never hand a stack trace or member data to anyone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medpolicy.domain import CoverageRequest
from medpolicy.engine import Engine
from medpolicy.policy import default_registry
from medpolicy.service.api.app import create_app
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

from .samples import dli_request

SECRET = "M-SECRET-0042"


class ExplodingEngine(Engine):
    """An engine that fails on every request, naming the member as a careless one might."""

    def determine(self, request: CoverageRequest) -> Any:
        member = request.member.id if request.member else None
        raise RuntimeError(f"engine broke on member {member}")


@pytest.fixture
def broken_client(database: Database, clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(database=database, clock=clock, engine=ExplodingEngine(default_registry()))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_an_unexpected_failure_is_a_500_in_json_without_details(
    broken_client: TestClient,
    database: Database,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = TokenDesk(database, clock).issue(SYSTEM, role="nurse", org=None, name=None).secret
    request = dli_request()
    request["member"]["id"] = SECRET
    with caplog.at_level(logging.DEBUG):
        response = broken_client.post(
            "/v1/determinations", json=request, headers={"Authorization": f"Bearer {secret}"}
        )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" in caplog.text
    assert SECRET not in caplog.text


def test_an_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(client: TestClient) -> None:
    response = client.put("/v1/cases")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
