"""A provider who changes a fact already on a case: the history keeps old and new value,
who and when, and a change that would end in an automatic approval goes to a reviewer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry

from .samples import adverse_request, dli_request, if_match, pending_request

Headers = dict[str, dict[str, str]]


def _submit(client: TestClient, headers: Headers, request: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/v1/cases", json={"request": request, "priority": "standard"}, headers=headers["provider"]
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _inform(
    client: TestClient, case_id: str, headers: dict[str, str], **facts: Any
) -> dict[str, Any]:
    seen = client.get(f"/v1/cases/{case_id}", headers=headers).json()
    response = client.post(
        f"/v1/cases/{case_id}/information",
        json={"facts": facts},
        headers={**headers, **if_match(seen)},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_changing_the_cell_source_of_an_adverse_case_goes_to_a_reviewer_not_to_approval(
    client: TestClient, headers: Headers, clock: FixedClock
) -> None:
    case = _submit(client, headers, adverse_request())
    assert case["status"] == "in_review"
    clock.at += timedelta(hours=2)
    body = _inform(client, case["id"], headers["provider"], cell_source="original_donor")
    assert body["outcome"] == "meets_criteria"
    assert body["status"] == "in_review"
    assert body["decided_at"] is None
    (change,) = body["changed_facts"]
    assert change["fact"] == "cell_source"
    assert change["old"] == {"value": "other_donor", "source": "request"}
    assert change["new"] == {"value": "original_donor", "source": "request"}
    assert change["version"] == 2
    assert change["by"]["role"] == "provider"
    assert change["at"].startswith("2026-03-02T11:00:00")
    assert change["routed_to_review"] is True
    (event,) = [e for e in body["events"] if e["kind"] == "fact_change"]
    assert event["actor_role"] == "provider"
    assert event["detail"]["previous_outcome"] == "does_not_meet_criteria"
    assert event["detail"]["outcome"] == "meets_criteria"


def test_a_nurse_can_approve_the_case_the_change_sent_to_review(
    client: TestClient, headers: Headers
) -> None:
    case = _submit(client, headers, adverse_request())
    informed = _inform(client, case["id"], headers["provider"], cell_source="original_donor")
    approved = client.post(
        f"/v1/cases/{case['id']}/decision",
        json={"decision": "approve", "rationale": "", "criteria": []},
        headers={**headers["nurse"], **if_match(informed)},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


def test_adding_a_fact_that_was_unknown_is_not_a_change(
    client: TestClient, headers: Headers
) -> None:
    case = _submit(client, headers, pending_request())
    body = _inform(
        client, case["id"], headers["provider"], dli_indication="relapsed_refractory_persistent"
    )
    assert body["status"] == "approved"
    assert body["changed_facts"] == []
    assert not [e for e in body["events"] if e["kind"] == "fact_change"]


def test_restating_a_fact_with_the_same_value_is_not_a_change(
    client: TestClient, headers: Headers
) -> None:
    case = _submit(client, headers, pending_request())
    body = _inform(
        client,
        case["id"],
        headers["provider"],
        cell_source="original_donor",
        dli_indication="relapsed_refractory_persistent",
    )
    assert body["status"] == "approved"
    assert body["changed_facts"] == []


def test_a_pending_case_whose_stated_fact_changes_as_the_missing_one_arrives_goes_to_review(
    client: TestClient, headers: Headers
) -> None:
    case = _submit(client, headers, dli_request(dli_indication=None, high_risk_of_relapse=False))
    assert case["status"] == "pending_information"
    body = _inform(
        client,
        case["id"],
        headers["provider"],
        dli_indication="relapse_prophylaxis",
        high_risk_of_relapse=True,
    )
    assert body["outcome"] == "meets_criteria"
    assert body["status"] == "in_review"
    assert [c["fact"] for c in body["changed_facts"]] == ["high_risk_of_relapse"]


def test_a_change_that_keeps_the_case_adverse_is_recorded_but_changes_no_route(
    client: TestClient, headers: Headers
) -> None:
    case = _submit(client, headers, adverse_request())
    body = _inform(client, case["id"], headers["provider"], cell_source="autologous")
    assert body["status"] == "in_review"
    (change,) = body["changed_facts"]
    assert change["routed_to_review"] is False
    assert change["new"]["value"] == "autologous"


def test_overriding_a_fact_derived_from_a_code_is_a_change_with_the_code_as_old_source(
    client: TestClient, headers: Headers
) -> None:
    request = dli_request(prior_hsct_medically_necessary=None)
    case = _submit(client, headers, request)
    body = _inform(
        client,
        case["id"],
        headers["provider"],
        prior_hsct_medically_necessary=True,
        diagnosis_category="hematologic_malignancy",
        relapse_confirmed=False,
    )
    (change,) = body["changed_facts"]
    assert change["fact"] == "relapse_confirmed"
    assert change["old"] == {"value": True, "source": "ICD-10-CM C92.02"}
    assert change["new"] == {"value": False, "source": "request"}


def test_lifting_a_clinical_caution_by_changing_a_fact_does_not_approve_the_case(
    client: TestClient, headers: Headers
) -> None:
    case = _submit(client, headers, dli_request(active_gvhd="acute"))
    assert (case["outcome"], case["status"]) == ("meets_criteria", "in_review")
    body = _inform(client, case["id"], headers["provider"], active_gvhd="none")
    assert body["determination"]["next_step"] == "approve"
    assert body["status"] == "in_review"
    assert body["changed_facts"][0]["old"]["value"] == "acute"


def test_the_audit_log_records_that_facts_changed_without_their_values(
    client: TestClient, headers: Headers, database: Database
) -> None:
    case = _submit(client, headers, adverse_request())
    _inform(client, case["id"], headers["provider"], cell_source="original_donor")
    with database.transaction() as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case["id"])))
        actions = [(row.action, row.actor_role) for row in rows]
    assert ("case.facts_changed", "provider") in actions
