"""Cases over HTTP, on SQLite and on PostgreSQL: submission, information, decisions, clocks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medpolicy.service.clock import FixedClock

from .conftest import TokenFactory
from .samples import (
    adverse_request,
    dli_request,
    pending_request,
    unaddressed_request,
)

Headers = dict[str, dict[str, str]]


def submit(
    client: TestClient,
    headers: dict[str, str],
    request: dict[str, Any],
    priority: str = "standard",
    key: str | None = None,
) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/v1/cases",
        json={"request": request, "priority": priority},
        headers={**headers, **extra},
    )


@pytest.mark.parametrize(
    ("request_factory", "status"),
    [
        (dli_request, "approved"),
        (pending_request, "pending_information"),
        (adverse_request, "in_review"),
        (unaddressed_request, "routed"),
    ],
)
def test_a_submitted_case_gets_the_status_of_its_outcome(
    client: TestClient, headers: Headers, request_factory: Any, status: str
) -> None:
    response = submit(client, headers["provider"], request_factory())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == status
    assert body["determination"]["outcome"] == body["outcome"]
    assert response.headers["Location"] == f"/v1/cases/{body['id']}"


def test_deadlines_are_72_hours_expedited_and_7_days_standard(
    client: TestClient, headers: Headers
) -> None:
    expedited = submit(client, headers["provider"], pending_request(), "expedited").json()
    standard = submit(client, headers["provider"], pending_request(), "standard").json()
    assert expedited["received_at"] == "2026-03-02T09:00:00Z"
    assert expedited["due_at"] == "2026-03-05T09:00:00Z"
    assert standard["due_at"] == "2026-03-09T09:00:00Z"


def test_an_approved_case_is_decided_on_receipt(client: TestClient, headers: Headers) -> None:
    body = submit(client, headers["provider"], dli_request()).json()
    assert body["decided_at"] == body["received_at"]


def test_a_retried_idempotency_key_returns_the_same_case(
    client: TestClient, headers: Headers
) -> None:
    first = submit(client, headers["provider"], dli_request(), key="retry-1")
    again = submit(client, headers["provider"], dli_request(), key="retry-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    queue = client.get("/v1/cases", headers=headers["nurse"]).json()["items"]
    assert [c["id"] for c in queue] == [first.json()["id"]]


def test_an_idempotency_key_reused_for_another_request_is_a_conflict(
    client: TestClient, headers: Headers
) -> None:
    submit(client, headers["provider"], dli_request(), key="k")
    response = submit(client, headers["provider"], pending_request(), key="k")
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "Idempotency-Key"


def test_idempotency_keys_belong_to_an_organization(
    client: TestClient, headers: Headers, make_token: TokenFactory
) -> None:
    other = make_token("provider", org="other-clinic")
    first = submit(client, headers["provider"], dli_request(), key="same")
    second = submit(client, other, dli_request(), key="same")
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


def test_adding_information_decides_again_and_keeps_history(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    case = submit(client, headers["provider"], pending_request()).json()
    assert case["determination"]["outcome"] == "insufficient_information"
    clock.at += timedelta(hours=5)
    response = client.post(
        f"/v1/cases/{case['id']}/information",
        json={"facts": {"dli_indication": "relapsed_refractory_persistent"}},
        headers={**headers["provider"], "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "approved"
    assert body["decided_at"] == "2026-03-02T14:00:00Z"
    assert [v["kind"] for v in body["versions"]] == ["submitted", "information"]
    assert body["versions"][0]["determination"]["outcome"] == "insufficient_information"
    assert "dli_indication" not in body["versions"][0]["request"]["facts"]
    assert body["versions"][1]["request"]["facts"]["dli_indication"] == (
        "relapsed_refractory_persistent"
    )


def test_information_the_engine_refuses_is_a_422_naming_the_fact(
    client: TestClient, headers: Headers
) -> None:
    case = submit(client, headers["provider"], pending_request()).json()
    response = client.post(
        f"/v1/cases/{case['id']}/information",
        json={"facts": {"no_such_fact": 1}},
        headers={**headers["provider"], "If-Match": '"1"'},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "facts.no_such_fact"
    assert set(error) == {"code", "field", "message", "accepted"}
    versions = client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()["versions"]
    assert len(versions) == 1


def test_an_invalid_request_is_refused_and_nothing_stored(
    client: TestClient, headers: Headers
) -> None:
    request = dli_request()
    del request["service"]["date_of_service"]
    response = submit(client, headers["provider"], request)
    assert response.status_code == 422
    assert response.json()["error"]["field"].startswith("service")
    assert client.get("/v1/cases", headers=headers["nurse"]).json()["items"] == []


def test_a_physician_denies_naming_criteria_and_a_reason(
    client: TestClient, headers: Headers
) -> None:
    case = submit(client, headers["provider"], adverse_request()).json()
    criterion = case["determination"]["criteria"][0]["id"]
    decision = {
        "decision": "deny",
        "rationale": "The donor lymphocytes would not come from the original donor.",
        "criteria": [criterion],
    }
    response = client.post(
        f"/v1/cases/{case['id']}/decision",
        json=decision,
        headers={**headers["physician"], "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "denied"
    assert body["decision"]["criteria"] == [criterion]
    letter = body["decision"]["cited"][0]
    assert letter["id"] == criterion
    assert letter["text"]
    assert letter["citation"]
    assert body["events"][0]["actor_role"] == "physician"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"criteria": []}, "criteria"),
        ({"rationale": "no"}, "rationale"),
        ({"criteria": ["dli.99"]}, "criteria"),
    ],
)
def test_a_denial_without_criteria_or_reason_is_refused(
    client: TestClient, headers: Headers, change: dict[str, Any], field: str
) -> None:
    case = submit(client, headers["provider"], adverse_request()).json()
    decision = {
        "decision": "deny",
        "rationale": "Cells from a new donor are not covered.",
        "criteria": [case["determination"]["criteria"][0]["id"]],
        **change,
    }
    response = client.post(
        f"/v1/cases/{case['id']}/decision",
        json=decision,
        headers={**headers["physician"], "If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_a_nurse_may_approve_but_not_deny(client: TestClient, headers: Headers) -> None:
    case = submit(client, headers["provider"], adverse_request()).json()
    url = f"/v1/cases/{case['id']}/decision"
    criterion = case["determination"]["criteria"][0]["id"]
    deny = {
        "decision": "deny",
        "rationale": "Not from the original donor.",
        "criteria": [criterion],
    }
    partial = {**deny, "decision": "partially_approve"}
    assert client.post(url, json=deny, headers=headers["nurse"]).status_code == 403
    assert client.post(url, json=partial, headers=headers["nurse"]).status_code == 403
    approved = client.post(
        url, json={"decision": "approve"}, headers={**headers["nurse"], "If-Match": '"1"'}
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"


def test_a_decided_case_cannot_be_decided_again(client: TestClient, headers: Headers) -> None:
    case = submit(client, headers["provider"], dli_request()).json()
    response = client.post(
        f"/v1/cases/{case['id']}/decision",
        json={"decision": "approve"},
        headers={**headers["nurse"], "If-Match": '"1"'},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_closed"


def test_an_extension_moves_the_deadline_once(client: TestClient, headers: Headers) -> None:
    case = submit(client, headers["provider"], pending_request(), "expedited").json()
    url = f"/v1/cases/{case['id']}/extension"
    reason = {"reason": "Awaiting the chimerism report from the transplant center."}
    first = client.post(url, json=reason, headers=headers["nurse"])
    assert first.status_code == 200, first.text
    assert first.json()["due_at"] == "2026-03-19T09:00:00Z"
    assert first.json()["events"][0]["detail"]["reason"] == reason["reason"]
    assert client.post(url, json=reason, headers=headers["nurse"]).status_code == 409


def test_an_extension_needs_a_reason(client: TestClient, headers: Headers) -> None:
    case = submit(client, headers["provider"], pending_request()).json()
    url = f"/v1/cases/{case['id']}/extension"
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(url, json=body, headers=headers["nurse"])
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "reason"


def test_the_queue_is_sorted_by_deadline_and_filters_overdue(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    standard = submit(client, headers["provider"], pending_request(), "standard").json()
    expedited = submit(client, headers["provider"], adverse_request(), "expedited").json()
    submit(client, headers["provider"], dli_request(), "expedited")
    queue = client.get("/v1/cases", headers=headers["nurse"]).json()["items"]
    assert [c["due_at"] for c in queue] == sorted(c["due_at"] for c in queue)
    clock.at += timedelta(hours=73)
    overdue = client.get("/v1/cases?overdue=true", headers=headers["nurse"]).json()["items"]
    assert [c["id"] for c in overdue] == [expedited["id"]]
    assert overdue[0]["overdue"] is True
    not_overdue = client.get("/v1/cases?overdue=false", headers=headers["nurse"]).json()["items"]
    assert expedited["id"] not in [c["id"] for c in not_overdue]
    assert standard["id"] in [c["id"] for c in not_overdue]


def test_the_queue_filters_by_status_and_priority(client: TestClient, headers: Headers) -> None:
    pending = submit(client, headers["provider"], pending_request(), "standard").json()
    submit(client, headers["provider"], adverse_request(), "expedited")
    submit(client, headers["provider"], dli_request(), "standard")
    items = client.get(
        "/v1/cases?status=pending_information&priority=standard", headers=headers["nurse"]
    ).json()["items"]
    assert [c["id"] for c in items] == [pending["id"]]
    several = client.get(
        "/v1/cases?status=pending_information&status=in_review", headers=headers["nurse"]
    ).json()["items"]
    assert len(several) == 2


def test_a_provider_sees_only_its_own_organizations_cases(
    client: TestClient, headers: Headers, make_token: TokenFactory
) -> None:
    other = make_token("provider", org="other-clinic")
    mine = submit(client, headers["provider"], pending_request()).json()
    theirs = submit(client, other, pending_request()).json()
    listed = client.get("/v1/cases", headers=headers["provider"]).json()["items"]
    assert [c["id"] for c in listed] == [mine["id"]]
    assert client.get(f"/v1/cases/{theirs['id']}", headers=headers["provider"]).status_code == 404
    response = client.post(
        f"/v1/cases/{theirs['id']}/information",
        json={"facts": {}},
        headers={**headers["provider"], "If-Match": '"1"'},
    )
    assert response.status_code == 404


def test_bad_query_values_name_the_field_and_what_is_accepted(
    client: TestClient, headers: Headers
) -> None:
    response = client.get("/v1/cases?status=lost", headers=headers["nurse"])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "status.0"
    assert "'lost'" in error["message"]
    assert "approved" in error["accepted"]


def test_a_body_that_is_not_json_is_a_clear_422(client: TestClient, headers: Headers) -> None:
    response = client.post(
        "/v1/cases",
        content=b"{not json",
        headers={**headers["provider"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "json_invalid"


def test_metrics_report_standard_and_expedited_apart(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    submit(client, headers["provider"], dli_request(), "standard")
    adverse = submit(client, headers["provider"], adverse_request(), "expedited").json()
    extended = submit(client, headers["provider"], pending_request(), "standard").json()
    client.post(
        f"/v1/cases/{extended['id']}/extension",
        json={"reason": "Waiting for records."},
        headers=headers["nurse"],
    )
    clock.at += timedelta(hours=10)
    client.post(
        f"/v1/cases/{extended['id']}/decision",
        json={"decision": "approve"},
        headers={**headers["nurse"], "If-Match": '"2"'},
    )
    client.post(
        f"/v1/cases/{adverse['id']}/decision",
        json={
            "decision": "deny",
            "rationale": "The cells would come from a new donor.",
            "criteria": [adverse["determination"]["criteria"][0]["id"]],
        },
        headers={**headers["physician"], "If-Match": '"1"'},
    )
    response = client.get(
        "/v1/metrics?from=2026-03-01&to=2026-04-01T00:00:00Z", headers=headers["admin"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["standard"]["decided"] == 2
    assert body["standard"]["approved"] == 2
    assert body["standard"]["approved_after_extension"] == 1
    assert body["standard"]["approved_after_extension_percent"] == 50.0
    assert body["standard"]["median_hours_to_decision"] == 5.0
    assert body["expedited"]["denied"] == 1
    assert body["expedited"]["denied_percent"] == 100.0
    assert body["expedited"]["average_hours_to_decision"] == 10.0


def test_metrics_refuse_a_backwards_period(client: TestClient, headers: Headers) -> None:
    response = client.get("/v1/metrics?from=2026-05-01&to=2026-04-01", headers=headers["admin"])
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "from"


def test_determinations_store_nothing(client: TestClient, headers: Headers) -> None:
    response = client.post("/v1/determinations", json=dli_request(), headers=headers["nurse"])
    assert response.status_code == 200
    assert response.json()["outcome"] == "meets_criteria"
    assert response.json()["request_id"] == "PA-2026-000123"
    assert client.get("/v1/cases", headers=headers["nurse"]).json()["items"] == []


def test_an_unknown_case_is_a_404(client: TestClient, headers: Headers) -> None:
    response = client.get("/v1/cases/nope", headers=headers["nurse"])
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "case_id"


def test_health_and_policies_need_no_token(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    policies = client.get("/v1/policies").json()["policies"]
    assert "MCP-210" in [p["id"] for p in policies]
    assert client.get("/v1/policies/MCP-210").status_code == 200
    markdown = client.get("/v1/policies/MCP-210?format=markdown")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert client.get("/v1/policies/MCP-999").status_code == 404
