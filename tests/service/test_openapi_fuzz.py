"""Schemathesis over the OpenAPI document: no input, however odd, gets a server error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi.loaders import from_asgi

from medpolicy.service.api.app import create_app
from medpolicy.service.clock import SystemClock
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

MAX_EXAMPLES = 100
ROLE_FOR = {
    ("POST", "/v1/cases"): "provider",
    ("POST", "/v1/cases/{case_id}/information"): "provider",
    ("POST", "/v1/tokens"): "admin",
    ("GET", "/v1/tokens"): "admin",
    ("DELETE", "/v1/tokens/{token_id}"): "admin",
    ("GET", "/v1/metrics"): "admin",
}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{folder / 'fuzz.sqlite3'}")
    app = create_app(database=database)
    desk = TokenDesk(database, SystemClock())
    tokens = {
        role: desk.issue(SYSTEM, role=role, org="acme", name="fuzz").secret
        for role in ("provider", "physician", "admin")
    }
    app.state.fuzz_tokens = tokens
    yield from_asgi("/openapi.json", app)
    database.dispose()


@pytest.mark.slow
def test_no_input_gets_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    tokens = api_schema.app.state.fuzz_tokens
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 14

    statuses: Counter[int] = Counter()
    for operation in operations:
        role = ROLE_FOR.get((operation.method.upper(), operation.path), "physician")
        for mode in GenerationMode:
            fuzz(operation, mode, {"Authorization": f"Bearer {tokens[role]}"}, statuses)
    print(f"\nschemathesis: {sum(statuses.values())} calls, statuses {dict(statuses)}")
    assert statuses[200] + statuses[201] > 0
    assert sum(statuses.values()) >= len(operations) * 5


def fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], statuses: Counter[int]
) -> None:
    """Call one operation with generated inputs; any 5xx fails with the example that caused it.

    ``mode`` is positive (inputs the schema allows) or negative (inputs it does not).
    """

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def no_server_error(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
        statuses[response.status_code] += 1

    try:
        no_server_error()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # An operation without inputs (GET /health) has no input outside its schema.
