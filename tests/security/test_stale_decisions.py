"""No stale decisions: a case's ETag names its revision, and adding information or deciding
must name the revision it was made on (428 without, 412 when the case has moved on)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.samples import adverse_request, if_match, pending_request

Headers = dict[str, dict[str, str]]
DENIAL_REASON = "The donor lymphocytes would not come from the original donor."


def submit(client: TestClient, headers: Headers, request: dict[str, object]) -> dict[str, object]:
    response = client.post(
        "/v1/cases", json={"request": request, "priority": "standard"}, headers=headers["provider"]
    )
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    case: dict[str, object] = response.json()
    return case


def test_every_answer_carries_the_etag_of_the_revision(
    client: TestClient, headers: Headers
) -> None:
    case = submit(client, headers, pending_request())
    read = client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"])
    assert read.headers["ETag"] == '"1"'
    assert read.json()["revision"] == 1
    extended = client.post(
        f"/v1/cases/{case['id']}/extension", json={"reason": "Records."}, headers=headers["nurse"]
    )
    assert extended.headers["ETag"] == '"2"'
    assert extended.json()["revision"] == 2


def test_a_decision_without_if_match_is_428_and_changes_nothing(
    client: TestClient, headers: Headers
) -> None:
    case = submit(client, headers, adverse_request())
    response = client.post(
        f"/v1/cases/{case['id']}/decision", json={"decision": "approve"}, headers=headers["nurse"]
    )
    assert response.status_code == 428
    assert response.json()["error"]["field"] == "If-Match"
    assert client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()["status"] == (
        "in_review"
    )


def test_a_decision_on_a_case_that_changed_since_it_was_read_is_412(
    client: TestClient, headers: Headers
) -> None:
    """A physician reads the case; the provider then adds information; the physician's
    denial, made on what the case said before, is refused."""
    case = submit(client, headers, adverse_request())
    seen = client.get(f"/v1/cases/{case['id']}", headers=headers["physician"]).json()
    added = client.post(
        f"/v1/cases/{case['id']}/information",
        json={"facts": {}},
        headers={**headers["provider"], **if_match(seen)},
    )
    assert added.status_code == 200, added.text
    denial = {
        "decision": "deny",
        "rationale": DENIAL_REASON,
        "criteria": [seen["determination"]["criteria"][0]["id"]],
    }
    stale = client.post(
        f"/v1/cases/{case['id']}/decision",
        json=denial,
        headers={**headers["physician"], **if_match(seen)},
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "case_changed"
    assert client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()["status"] != (
        "denied"
    )


def test_information_on_a_stale_view_is_412(client: TestClient, headers: Headers) -> None:
    case = submit(client, headers, pending_request())
    client.post(
        f"/v1/cases/{case['id']}/extension", json={"reason": "Records."}, headers=headers["nurse"]
    )
    response = client.post(
        f"/v1/cases/{case['id']}/information",
        json={"facts": {"dli_indication": "relapsed_refractory_persistent"}},
        headers={**headers["provider"], **if_match(case)},
    )
    assert response.status_code == 412


def test_the_decision_records_the_revision_it_was_made_on(
    client: TestClient, headers: Headers
) -> None:
    case = submit(client, headers, adverse_request())
    criterion = case["determination"]["criteria"][0]["id"]  # type: ignore[index]
    decided = client.post(
        f"/v1/cases/{case['id']}/decision",
        json={"decision": "deny", "rationale": DENIAL_REASON, "criteria": [criterion]},
        headers={**headers["physician"], "If-Match": 'W/"1"'},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["case_revision"] == 1
    assert decided.json()["decision"]["request_version"] == 1
    assert decided.headers["ETag"] == '"2"'


def test_if_match_must_name_a_revision(client: TestClient, headers: Headers) -> None:
    case = submit(client, headers, adverse_request())
    for value in ("*", '"abc"'):
        response = client.post(
            f"/v1/cases/{case['id']}/decision",
            json={"decision": "approve"},
            headers={**headers["nurse"], "If-Match": value},
        )
        assert response.status_code == 412, value
