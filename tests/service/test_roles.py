"""The role matrix: every endpoint, every role, with and without a token.

The CDS Hooks routes take no case-service token at all: an EHR signs a client JWT for each
call. Their rows say so (``CDS_CLIENT``): every role's bearer token is refused with 401, a
signed client JWT is accepted. The FHIR routes take bearer tokens and refuse in an
OperationOutcome instead of the ``/v1`` error body.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from medpolicy.adapters.cds_hooks import TrustedIssuers

from .conftest import ROLES
from .samples import adverse_request, pending_request

PUBLIC = "public"
CDS_CLIENT = "cds client JWT"
CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
EHR = "https://ehr.example"
EHR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CLINICAL = {"provider", "nurse", "physician"}
REVIEWERS = {"nurse", "physician"}
DENIAL = {"rationale": "The cells would come from a new donor.", "criteria": ["dli.2"]}
FEEDBACK = {"feedback": [{"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2026-03-02"}]}


def example(name: str) -> Any:
    """An official Da Vinci example from ../shared/conformance."""
    return json.loads((CONFORMANCE / name).read_text(encoding="utf-8"))


# (method, route path, variant) -> (roles allowed, body)
MATRIX: dict[tuple[str, str, str], tuple[set[str] | str, Any]] = {
    ("GET", "/health", ""): (PUBLIC, None),
    ("GET", "/v1/policies", ""): (PUBLIC, None),
    ("GET", "/v1/policies/{policy_id}", ""): (PUBLIC, None),
    ("POST", "/v1/determinations", ""): (CLINICAL, pending_request()),
    ("POST", "/v1/cases", ""): (
        {"provider"},
        {"request": pending_request(), "priority": "standard"},
    ),
    ("GET", "/v1/cases", ""): (CLINICAL, None),
    ("GET", "/v1/cases/{case_id}", ""): (CLINICAL, None),
    ("POST", "/v1/cases/{case_id}/information", ""): (CLINICAL, {"facts": {}}),
    ("POST", "/v1/cases/{case_id}/decision", "approve"): (REVIEWERS, {"decision": "approve"}),
    ("POST", "/v1/cases/{case_id}/decision", "deny"): (
        {"physician"},
        {"decision": "deny", **DENIAL},
    ),
    ("POST", "/v1/cases/{case_id}/decision", "partially_approve"): (
        {"physician"},
        {"decision": "partially_approve", **DENIAL},
    ),
    ("POST", "/v1/cases/{case_id}/extension", ""): (REVIEWERS, {"reason": "Records pending."}),
    ("POST", "/v1/cases/{case_id}/assignment", ""): (REVIEWERS, None),
    ("GET", "/v1/cases/{case_id}/letters/{letter_id}", ""): (CLINICAL, None),
    ("POST", "/v1/cases/{case_id}/documents", ""): (CLINICAL, {"text": "No GVHD. No relapse."}),
    ("GET", "/v1/cases/{case_id}/proposals", ""): (CLINICAL, None),
    ("POST", "/v1/cases/{case_id}/proposals/{proposal_id}/accept", ""): (REVIEWERS, None),
    ("GET", "/v1/metrics", ""): ({"nurse", "physician", "admin"}, None),
    ("POST", "/v1/tokens", ""): ({"admin"}, {"role": "nurse"}),
    ("GET", "/v1/tokens", ""): ({"admin"}, None),
    ("DELETE", "/v1/tokens/{token_id}", ""): ({"admin"}, None),
    ("POST", "/v1/tokens/{token_id}/approval", ""): ({"admin"}, None),
    ("POST", "/fhir/Claim/$submit", ""): (
        {"provider"},
        example("pas/Bundle-ReferralAuthorizationBundleExample.json"),
    ),
    ("POST", "/fhir/Claim/$inquire", ""): (
        CLINICAL,
        example("pas/Bundle-ReferralAuthorizationBundleExample.json"),
    ),
    ("POST", "/fhir/Questionnaire/$questionnaire-package", ""): (
        CLINICAL,
        example("dtr/Parameters-QuestionnairePackageInputParamsExample.json"),
    ),
    ("GET", "/cds-services", ""): (PUBLIC, None),
    ("POST", "/cds-services/{service_id}", ""): (CDS_CLIENT, example("crd/CRDServiceRequest.json")),
    ("POST", "/cds-services/{service_id}/feedback", ""): (CDS_CLIENT, FEEDBACK),
}
DOCS = {"/openapi.json", "/docs", "/docs/init.js", "/docs/assets"}


def test_the_matrix_covers_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {(method, path) for method, path, _ in MATRIX}


def fill(path: str, case_id: str) -> str:
    return path.format(
        case_id=case_id,
        policy_id="MCP-210",
        token_id="no-such-token",
        service_id="order-sign",
        letter_id="no-such-letter",
        proposal_id="no-such-proposal",
    )


def refusal(response: Any) -> tuple[str, str | None]:
    """(code, field) of a refusal: the ``/v1`` error body or a FHIR OperationOutcome."""
    body = response.json()
    if body.get("resourceType") == "OperationOutcome":
        issue = body["issue"][0]
        return issue["code"], (issue.get("expression") or [None])[0]
    return body["error"]["code"], body["error"]["field"]


def client_jwt(client: TestClient, url: str) -> dict[str, str]:
    """Trust a test EHR on this app and sign a fresh client JWT for a call to ``url``."""
    client.app.state.crd_trusted_issuers = TrustedIssuers({EHR: EHR_KEY.public_key()})  # type: ignore[attr-defined]
    client.app.state.public_base_url = "http://testserver"  # type: ignore[attr-defined]
    now = int(time.time())
    claims = {"iss": EHR, "aud": url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return {"Authorization": "Bearer " + jwt.encode(claims, EHR_KEY, algorithm="RS384")}


@pytest.mark.parametrize(("method", "path", "variant"), list(MATRIX))
def test_each_role_gets_exactly_what_the_matrix_allows(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    method: str,
    path: str,
    variant: str,
) -> None:
    allowed, body = MATRIX[(method, path, variant)]
    for role in ROLES:
        case = client.post(
            "/v1/cases",
            json={"request": adverse_request(), "priority": "standard"},
            headers=headers["provider"],
        ).json()
        response = client.request(method, fill(path, case["id"]), json=body, headers=headers[role])
        if allowed == CDS_CLIENT:
            assert response.status_code == 401, (role, response.text)
            assert refusal(response) == ("login", "Authorization")
        elif allowed == PUBLIC or role in allowed:
            assert response.status_code not in {401, 403}, (role, response.text)
            assert response.status_code < 500, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert refusal(response)[0] in {"role_not_allowed", "forbidden"}
    if allowed == CDS_CLIENT:
        url = "http://testserver" + fill(path, "")
        response = client.request(method, url, json=body, headers=client_jwt(client, url))
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(("method", "path", "variant"), list(MATRIX))
def test_without_a_token_only_public_pages_answer(
    client: TestClient, method: str, path: str, variant: str
) -> None:
    allowed, body = MATRIX[(method, path, variant)]
    response = client.request(method, fill(path, "some-case"), json=body)
    if allowed == PUBLIC:
        assert response.status_code == 200
    else:
        assert response.status_code == 401
        assert refusal(response)[1] == "Authorization"


def test_a_revoked_or_unknown_token_is_refused(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    assert client.get("/v1/cases", headers={"Authorization": "Bearer mp_nope"}).status_code == 401
    issued = client.post(
        "/v1/tokens", json={"role": "provider", "org": "hope-oncology"}, headers=headers["admin"]
    ).json()
    nurse = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/v1/cases", headers=nurse).status_code == 200
    client.delete(f"/v1/tokens/{issued['id']}", headers=headers["admin"])
    assert client.get("/v1/cases", headers=nurse).status_code == 401


@pytest.mark.parametrize("path", sorted(DOCS - {"/docs/assets"}))
def test_the_openapi_document_needs_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
