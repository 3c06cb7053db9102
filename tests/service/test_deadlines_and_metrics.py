"""Deadlines, extensions and the published figures, with a clock the test moves by hand.

The figures are checked against numbers worked out here by hand from known cases, so a
wrong denominator, a wrong median or a missed instant approval shows up as a wrong number.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from medpolicy.service.clock import FixedClock

from .conftest import START
from .samples import adverse_request, dli_request, pending_request

Headers = dict[str, dict[str, str]]
REASON = {"reason": "Awaiting the chimerism report from the transplant center."}
RATIONALE = "The donor lymphocytes would come from a donor other than the original one."


def submit(client: TestClient, headers: Headers, request: dict[str, Any], priority: str) -> Any:
    response = client.post(
        "/v1/cases",
        json={"request": request, "priority": priority},
        headers=headers["provider"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def post(client: TestClient, headers: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    """POST to a case's action, naming the case's current revision in If-Match."""
    revision = client.get(url.rsplit("/", 1)[0], headers=headers).json()["revision"]
    response = client.post(url, json=body, headers={**headers, "If-Match": f'"{revision}"'})
    assert response.status_code == 200, response.text
    return response.json()


def adverse_decision(case: dict[str, Any], decision: str) -> dict[str, Any]:
    criterion = case["determination"]["criteria"][0]["id"]
    return {"decision": decision, "rationale": RATIONALE, "criteria": [criterion]}


def overdue_ids(client: TestClient, headers: Headers) -> list[str]:
    items = client.get("/v1/cases?overdue=true", headers=headers["nurse"]).json()["items"]
    return [c["id"] for c in items]


def test_an_extension_moves_the_deadline_and_the_overdue_filter_follows(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    extended = submit(client, headers, pending_request(), "expedited")
    plain = submit(client, headers, pending_request(), "expedited")
    body = post(client, headers["nurse"], f"/v1/cases/{extended['id']}/extension", REASON)
    assert body["due_at"] == "2026-03-19T09:00:00Z"
    assert body["extended_at"] == "2026-03-02T09:00:00Z"

    clock.at = START + timedelta(hours=72, seconds=1)
    assert overdue_ids(client, headers) == [plain["id"]]
    read = client.get(f"/v1/cases/{extended['id']}", headers=headers["nurse"]).json()
    assert read["overdue"] is False

    clock.at = START + timedelta(hours=72 + 14 * 24, seconds=1)
    assert sorted(overdue_ids(client, headers)) == sorted([plain["id"], extended["id"]])


def test_a_late_case_cannot_be_extended_out_of_the_overdue_queue(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    case = submit(client, headers, pending_request(), "standard")
    clock.at = START + timedelta(days=7, seconds=1)
    response = client.post(
        f"/v1/cases/{case['id']}/extension", json=REASON, headers=headers["nurse"]
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deadline_passed"
    assert overdue_ids(client, headers) == [case["id"]]


def test_a_decided_case_is_never_overdue(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    approved = submit(client, headers, dli_request(), "expedited")
    clock.at = START + timedelta(days=30)
    assert overdue_ids(client, headers) == []
    read = client.get(f"/v1/cases/{approved['id']}", headers=headers["nurse"]).json()
    assert read["overdue"] is False


def test_metrics_match_figures_worked_out_by_hand(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    nurse, physician = headers["nurse"], headers["physician"]
    clock.at = START - timedelta(hours=1)
    submit(client, headers, dli_request(), "standard")  # approved before the period: left out
    clock.at = START
    submit(client, headers, dli_request(), "standard")  # approved by the engine: 0 h
    info = submit(client, headers, pending_request(), "standard")
    denied = submit(client, headers, adverse_request(), "standard")
    extended = submit(client, headers, pending_request(), "standard")
    submit(client, headers, pending_request(), "standard")  # never decided: left out
    partial = submit(client, headers, adverse_request(), "expedited")
    submit(client, headers, dli_request(), "expedited")  # approved by the engine: 0 h
    late_denied = submit(client, headers, adverse_request(), "expedited")

    clock.at = START + timedelta(hours=1)
    post(client, nurse, f"/v1/cases/{extended['id']}/extension", REASON)
    clock.at = START + timedelta(hours=3)
    post(
        client, physician, f"/v1/cases/{partial['id']}/decision",
        adverse_decision(partial, "partially_approve"),
    )  # fmt: skip
    clock.at = START + timedelta(hours=6)
    facts = {"facts": {"dli_indication": "relapsed_refractory_persistent"}}
    assert (
        post(client, headers["provider"], f"/v1/cases/{info['id']}/information", facts)["status"]
        == "approved"
    )
    clock.at = START + timedelta(hours=12)
    post(
        client, physician, f"/v1/cases/{late_denied['id']}/decision",
        adverse_decision(late_denied, "deny"),
    )  # fmt: skip
    clock.at = START + timedelta(hours=24)
    post(client, physician, f"/v1/cases/{denied['id']}/decision", adverse_decision(denied, "deny"))
    clock.at = START + timedelta(hours=48)
    post(client, nurse, f"/v1/cases/{extended['id']}/decision", {"decision": "approve"})
    clock.at = START + timedelta(days=40)
    submit(client, headers, dli_request(), "expedited")  # approved after the period: left out

    response = client.get(
        "/v1/metrics?from=2026-03-02T09:00:00Z&to=2026-04-01T00:00:00Z", headers=headers["admin"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # Standard: 0 h (engine), 6 h (information), 24 h (denied), 48 h (approved, extended).
    assert body["standard"] == {
        "decided": 4,
        "approved": 3,
        "approved_percent": 75.0,
        "denied": 1,
        "denied_percent": 25.0,
        "partially_approved": 0,
        "approved_after_extension": 1,
        "approved_after_extension_percent": 25.0,
        "average_hours_to_decision": 19.5,
        "median_hours_to_decision": 15.0,
    }
    # Expedited: 0 h (engine), 3 h (partially approved), 12 h (denied).
    assert body["expedited"] == {
        "decided": 3,
        "approved": 1,
        "approved_percent": 33.33,
        "denied": 2,
        "denied_percent": 66.67,
        "partially_approved": 1,
        "approved_after_extension": 0,
        "approved_after_extension_percent": 0.0,
        "average_hours_to_decision": 5.0,
        "median_hours_to_decision": 3.0,
    }


def test_metrics_for_a_period_without_decisions_have_no_averages(
    client: TestClient, headers: Headers
) -> None:
    submit(client, headers, pending_request(), "standard")
    body = client.get("/v1/metrics?from=2026-03-01&to=2026-04-01", headers=headers["nurse"]).json()
    assert body["standard"]["decided"] == 0
    assert body["standard"]["approved_percent"] is None
    assert body["standard"]["median_hours_to_decision"] is None
