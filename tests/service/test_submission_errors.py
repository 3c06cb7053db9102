"""A case submission that cannot be taken is refused in words, and nothing is stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .samples import dli_request

Headers = dict[str, dict[str, str]]


def test_a_submission_without_an_idempotency_key_is_a_400_naming_the_header(
    bare_client: TestClient, headers: Headers
) -> None:
    response = bare_client.post(
        "/v1/cases",
        json={"request": dli_request(), "priority": "standard"},
        headers=headers["provider"],
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "header_required"
    assert error["field"] == "Idempotency-Key"
    assert "Idempotency-Key header" in error["message"]
    assert "retry returns the first case" in error["accepted"]
    queue = bare_client.get("/v1/cases", headers=headers["nurse"]).json()["items"]
    assert queue == []


def test_the_key_is_documented_as_required(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/cases"]["post"]
    (key,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header"
    assert key["required"] is True
    assert "400" in operation["responses"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "a field name in double quotes was expected (a trailing comma"),
        (
            b'{"request": {"facts": {},},\n "priority": "standard"}',
            "a field name in double quotes was expected (a trailing comma, or single quotes?) "
            "at line 1, column 26.",
        ),
        (
            b'{"request": {}\n "priority": "x"}',
            "a comma or a closing bracket was expected at line 2",
        ),
        (b'{"request": {}, "priority": "standard"}\n{"a": 1}', "there is more after the end"),
        (b'{"request": "cut', "a string is never closed"),
    ],
)
def test_a_body_that_is_not_json_says_what_is_wrong_and_where(
    client: TestClient, headers: Headers, body: bytes, words: str
) -> None:
    response = client.post(
        "/v1/cases",
        content=body,
        headers={**headers["provider"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "json_invalid"
    assert error["field"] == "body"
    assert error["message"].startswith("The request body is not valid JSON: ")
    assert words in error["message"]
    assert "decode error" not in error["message"]
    assert "double-quoted names" in error["accepted"]
