"""Schemathesis over the OpenAPI document: no input, however odd, gets a server error."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi.loaders import from_asgi

from medpolicy.adapters.cds_hooks import TrustedIssuers
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
    ("POST", "/fhir/Claim/$submit"): "provider",
    ("POST", "/fhir/Claim/$inquire"): "provider",
}
CDS_CLIENT = {"/cds-services/{service_id}", "/cds-services/{service_id}/feedback"}
"""Operations called with a freshly signed client JWT instead of a bearer token."""
PUBLIC_URL = "https://payer.example/medpolicy"
EHR = "https://ehr.example"
EHR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
Headers = Callable[[Any], dict[str, str]]


def bearer(token: str) -> Headers:
    """The same case-service token on every call."""
    return lambda _case: {"Authorization": f"Bearer {token}"}


def client_jwt(case: Any) -> dict[str, str]:
    """A client JWT for this one call: aud is the public URL of the path called."""
    claims = {
        "iss": EHR,
        "aud": PUBLIC_URL + case.formatted_path,
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "jti": str(uuid.uuid4()),
    }
    return {"Authorization": "Bearer " + jwt.encode(claims, EHR_KEY, algorithm="RS384")}


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
    app.state.public_base_url = PUBLIC_URL
    app.state.crd_trusted_issuers = TrustedIssuers({EHR: EHR_KEY.public_key()})
    yield from_asgi("/openapi.json", app)
    database.dispose()


@pytest.mark.slow
def test_no_input_gets_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    tokens = api_schema.app.state.fuzz_tokens
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 26  # every documented operation

    statuses: Counter[int] = Counter()
    for operation in operations:
        role = ROLE_FOR.get((operation.method.upper(), operation.path), "physician")
        headers: Headers = client_jwt if operation.path in CDS_CLIENT else bearer(tokens[role])
        for mode in GenerationMode:
            fuzz(operation, mode, headers, statuses)
    print(f"\nschemathesis: {sum(statuses.values())} calls, statuses {dict(statuses)}")
    assert statuses[200] + statuses[201] > 0
    assert sum(statuses.values()) >= len(operations) * 5


def fuzz(operation: Any, mode: GenerationMode, headers: Headers, statuses: Counter[int]) -> None:
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
        response = case.call_and_validate(headers=headers(case), checks=[not_a_server_error])
        statuses[response.status_code] += 1

    try:
        no_server_error()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # An operation without inputs (GET /health) has no input outside its schema.
