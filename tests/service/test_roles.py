"""The role matrix: every endpoint, every role, with and without a token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import ROLES
from .samples import adverse_request, pending_request

PUBLIC = "public"
CLINICAL = {"provider", "nurse", "physician"}
REVIEWERS = {"nurse", "physician"}
DENIAL = {"rationale": "The cells would come from a new donor.", "criteria": ["dli.2"]}

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
    ("GET", "/v1/metrics", ""): ({"nurse", "physician", "admin"}, None),
    ("POST", "/v1/tokens", ""): ({"admin"}, {"role": "nurse"}),
    ("GET", "/v1/tokens", ""): ({"admin"}, None),
    ("DELETE", "/v1/tokens/{token_id}", ""): ({"admin"}, None),
}
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_the_matrix_covers_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {(method, path) for method, path, _ in MATRIX}


def fill(path: str, case_id: str) -> str:
    return path.format(case_id=case_id, policy_id="MCP-210", token_id="no-such-token")


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
        if allowed == PUBLIC or role in allowed:
            assert response.status_code not in {401, 403}, (role, response.text)
            assert response.status_code < 500, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"]["code"] == "role_not_allowed"


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
        assert response.json()["error"]["field"] == "Authorization"


def test_a_revoked_or_unknown_token_is_refused(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    assert client.get("/v1/cases", headers={"Authorization": "Bearer mp_nope"}).status_code == 401
    issued = client.post("/v1/tokens", json={"role": "nurse"}, headers=headers["admin"]).json()
    nurse = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/v1/cases", headers=nurse).status_code == 200
    client.delete(f"/v1/tokens/{issued['id']}", headers=headers["admin"])
    assert client.get("/v1/cases", headers=nurse).status_code == 401


@pytest.mark.parametrize("path", sorted(DOCS - {"/docs/oauth2-redirect"}))
def test_the_openapi_document_needs_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
