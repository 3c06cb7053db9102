"""Bad input on every endpoint: a 4xx JSON error naming the field, what was given, what is accepted.

Run on SQLite and PostgreSQL: PostgreSQL refuses some values SQLite stores (NUL characters
in text), and those must be refused as input, not fail as a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .samples import pending_request

Headers = dict[str, dict[str, str]]
CASE = "{case}"
NUL = "a%00b"

# (role, method, path, body, field the error must name)
BAD_INPUTS: list[tuple[str, str, str, Any, str]] = [
    ("provider", "POST", "/v1/cases", {"priority": "standard"}, "request"),
    ("provider", "POST", "/v1/cases", {"request": pending_request(), "priority": "x"}, "priority"),
    ("provider", "POST", "/v1/cases", {"request": "text", "priority": "standard"}, "request"),
    (
        "provider",
        "POST",
        "/v1/cases",
        {"request": pending_request(), "priority": "standard", "typo": 1},
        "typo",
    ),
    ("provider", "POST", "/v1/cases", [], "body"),
    ("nurse", "POST", "/v1/determinations", {"service": {"code": "38242"}}, "service"),
    ("nurse", "POST", "/v1/determinations", [1], "body"),
    ("provider", "POST", f"/v1/cases/{CASE}/information", {"diagnoses": "C92.02"}, "diagnoses"),
    ("provider", "POST", f"/v1/cases/{CASE}/information", {"diagnoses": ["x" * 30]}, "diagnoses"),
    ("physician", "POST", f"/v1/cases/{CASE}/decision", {}, "decision"),
    ("physician", "POST", f"/v1/cases/{CASE}/decision", {"decision": "maybe"}, "decision"),
    ("nurse", "POST", f"/v1/cases/{CASE}/extension", {"reason": "x" * 3000}, "reason"),
    ("nurse", "POST", f"/v1/cases/{CASE}/extension", {}, "reason"),
    ("nurse", "GET", "/v1/cases?limit=0", None, "limit"),
    ("nurse", "GET", "/v1/cases?overdue=maybe", None, "overdue"),
    ("nurse", "GET", "/v1/cases?priority=urgent", None, "priority"),
    ("nurse", "GET", "/v1/cases/" + "x" * 70, None, "case_id"),
    ("nurse", "GET", f"/v1/cases/{NUL}", None, "case_id"),
    ("nurse", "POST", f"/v1/cases/{NUL}/information", {"facts": {}}, "case_id"),
    ("physician", "POST", f"/v1/cases/{NUL}/decision", {"decision": "approve"}, "case_id"),
    ("nurse", "POST", f"/v1/cases/{NUL}/extension", {"reason": "Records."}, "case_id"),
    ("admin", "GET", "/v1/metrics?from=yesterday", None, "from"),
    ("admin", "GET", "/v1/metrics?to=2026-13-01", None, "to"),
    ("admin", "POST", "/v1/tokens", {"role": "god"}, "role"),
    ("admin", "POST", "/v1/tokens", {"role": "nurse", "org": "a\u0000b"}, "org"),
    ("admin", "POST", "/v1/tokens", {"role": "nurse", "name": "a\u0000b"}, "name"),
    ("admin", "DELETE", f"/v1/tokens/{NUL}", None, "token_id"),
    ("admin", "GET", "/v1/policies/MCP-210?format=pdf", None, "format"),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "field"), BAD_INPUTS)
def test_bad_input_names_the_field_what_was_given_and_what_is_accepted(  # noqa: PLR0917
    client: TestClient,
    headers: Headers,
    role: str,
    method: str,
    path: str,
    body: Any,
    field: str,
) -> None:
    case = client.post(
        "/v1/cases",
        json={"request": pending_request(), "priority": "standard"},
        headers=headers["provider"],
    ).json()
    response = client.request(
        method, path.replace(CASE, case["id"]), json=body, headers=headers[role]
    )
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["field"].split(".")[0] == field, error
    assert "given" in error["message"], error
    assert error["accepted"], error
    assert "Traceback" not in response.text


def test_a_missing_field_says_nothing_was_given(client: TestClient, headers: Headers) -> None:
    response = client.post("/v1/cases", json={"priority": "standard"}, headers=headers["provider"])
    error = response.json()["error"]
    assert error["message"] == "request: Field required; given nothing."
    assert error["accepted"] == "a value; this field is required"


@pytest.mark.parametrize(
    ("method", "path", "body", "role"),
    [
        ("GET", "/v1/cases/{}", None, "nurse"),
        ("POST", "/v1/cases/{}/information", {"facts": {}}, "provider"),
        ("POST", "/v1/cases/{}/decision", {"decision": "approve"}, "nurse"),
        ("POST", "/v1/cases/{}/extension", {"reason": "Records pending."}, "nurse"),
    ],
)
def test_an_unknown_case_id_is_a_404_on_every_case_endpoint(  # noqa: PLR0917
    client: TestClient, headers: Headers, method: str, path: str, body: Any, role: str
) -> None:
    response = client.request(
        method,
        path.format("0c4b3e0e-0000-4000-8000-000000000000"),
        json=body,
        headers=headers[role],
    )
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["field"] == "case_id"
    assert "0c4b3e0e-0000-4000-8000-000000000000" in error["message"]
    assert error["accepted"]
