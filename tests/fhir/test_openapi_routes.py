"""The Da Vinci routes in the OpenAPI document, and a Bundle schemathesis once broke."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .app_fixtures import Harness, make_harness
from .pas_payloads import pas_bundle


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_fhir_and_cds_routes_are_documented_with_their_credentials(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/fhir/Claim/$submit", "/fhir/Claim/$inquire"):
        operation = paths[path]["post"]
        assert operation["summary"].startswith("PAS ")
        assert "application/fhir+json" in operation["requestBody"]["content"]
        assert {"200", "401", "403", "422"} <= set(operation["responses"])
        assert operation["security"] == [{"HTTPBearer": []}]
    hook = paths["/cds-services/{service_id}"]["post"]
    assert hook["security"] == [{"CdsClientJwt": []}]
    (parameter,) = hook["parameters"]
    assert parameter["schema"]["enum"] == ["order-sign", "order-select", "appointment-book"]
    assert document["components"]["securitySchemes"]["CdsClientJwt"]["bearerFormat"] == "JWT"
    assert "security" not in paths["/cds-services"]["get"]


def test_an_unknown_resource_type_in_an_entry_is_named_not_a_server_error(
    client: TestClient, harness: Harness
) -> None:
    body = pas_bundle()
    body["entry"][1]["resource"]["resourceType"] = "Patient|"
    answer = client.post("/fhir/Claim/$submit", json=body, headers=harness.headers["provider"])
    assert answer.status_code == 422
    (issue,) = answer.json()["issue"]
    assert issue["expression"] == ["Bundle.entry[1].resource.resourceType"]
    body["entry"][1]["resource"]["resourceType"] = 7
    answer = client.post("/fhir/Claim/$submit", json=body, headers=harness.headers["provider"])
    assert answer.status_code == 422


def test_the_role_is_checked_before_the_body_is_read(client: TestClient, harness: Harness) -> None:
    answer = client.post("/fhir/Claim/$submit", content=b"{", headers=harness.headers["nurse"])
    assert answer.status_code == 403
    anonymous = client.post("/fhir/Questionnaire/$questionnaire-package", content=b"{")
    assert anonymous.status_code == 401
