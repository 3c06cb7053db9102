"""A nurse or physician's ``Claim/$inquire`` finds the provider's claim (reviewers have no
organization of their own, so the claim is looked up across organizations); an identifier
two organizations used is refused as ambiguous rather than answered with either's case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

from .app_fixtures import Harness, make_harness
from .pas_payloads import pas_bundle


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


def _case_number(answer: dict[str, object]) -> object:
    bundle = answer["parameter"][0]["resource"]  # type: ignore[index]
    return bundle["entry"][0]["resource"].get("preAuthRef")


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_a_reviewer_finds_the_providers_claim(
    client: TestClient, harness: Harness, role: str
) -> None:
    submitted = client.post(
        "/fhir/Claim/$submit", json=pas_bundle(), headers=harness.headers["provider"]
    )
    assert submitted.status_code == 200, submitted.text
    case_id = submitted.json()["entry"][0]["resource"]["preAuthRef"]
    inquired = client.post("/fhir/Claim/$inquire", json=pas_bundle(), headers=harness.headers[role])
    assert inquired.status_code == 200, inquired.text
    assert _case_number(inquired.json()) == case_id


def test_another_provider_still_cannot_find_it(client: TestClient, harness: Harness) -> None:
    client.post("/fhir/Claim/$submit", json=pas_bundle(), headers=harness.headers["provider"])
    other = TokenDesk(harness.database, harness.app.state.clock).issue(
        SYSTEM, role="provider", org="other-clinic", name="o"
    )
    inquired = client.post(
        "/fhir/Claim/$inquire",
        json=pas_bundle(),
        headers={"Authorization": f"Bearer {other.secret}"},
    )
    assert inquired.status_code == 404


def test_an_identifier_two_organizations_used_is_ambiguous(
    client: TestClient, harness: Harness
) -> None:
    other = TokenDesk(harness.database, harness.app.state.clock).issue(
        SYSTEM, role="provider", org="other-clinic", name="o"
    )
    for headers in (harness.headers["provider"], {"Authorization": f"Bearer {other.secret}"}):
        assert client.post("/fhir/Claim/$submit", json=pas_bundle(), headers=headers).is_success
    inquired = client.post(
        "/fhir/Claim/$inquire", json=pas_bundle(), headers=harness.headers["nurse"]
    )
    assert inquired.status_code == 409
    assert "More than one provider" in inquired.json()["issue"][0]["diagnostics"]
