"""A provider's paths through the HTTP app: CRD, then DTR, then PAS, then a reviewer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle

from .app_fixtures import Harness, make_harness
from .pas_payloads import (
    MEETS,
    answers,
    coverage,
    package_parameters,
    pas_bundle,
    patient,
    service_request,
)
from .pas_rules import response_bundle_problems


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


def _review(bundle: dict[str, Any]) -> tuple[str, str | None]:
    Bundle.model_validate(bundle)
    assert response_bundle_problems(bundle) == []
    response = bundle["entry"][0]["resource"]
    assert response["item"][0]["itemSequence"] == 1
    review = response["item"][0]["adjudication"][0]["extension"][0]["extension"]
    code = review[-1]["valueCodeableConcept"]["coding"][0]["code"]
    return code, response.get("preAuthRef")


def _order_sign(client: TestClient, harness: Harness) -> dict[str, Any]:
    url = "http://testserver/cds-services/order-sign"
    body = {
        "hook": "order-sign",
        "hookInstance": "6f1b2c1e-0000-4000-8000-000000000001",
        "context": {
            "userId": "Practitioner/1",
            "patientId": "pat1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": service_request("38242")}],
            },
        },
        "prefetch": {"patient": patient(), "coverage": coverage()},
    }
    answer = client.post(url, json=body, headers=harness.hook_headers(url))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _answered(draft: dict[str, Any], **facts: Any) -> dict[str, Any]:
    given = answers(**facts)
    kept = [i for i in draft["item"] if i["linkId"] not in facts]
    return {**given, "item": kept + given["item"], "questionnaire": draft["questionnaire"]}


def test_order_sign_then_questionnaire_then_submit_is_certified(
    client: TestClient, harness: Harness
) -> None:
    crd = _order_sign(client, harness)
    (action,) = crd["systemActions"]
    (info,) = action["resource"]["extension"]
    parts = {p["url"]: p for p in info["extension"]}
    assert parts["pa-needed"]["valueCode"] in ("auth-needed", "conditional")
    questionnaire_url = parts["questionnaire"]["valueCanonical"]

    package = client.post(
        "/fhir/Questionnaire/$questionnaire-package",
        json=package_parameters("38242"),
        headers=harness.headers["provider"],
    )
    assert package.status_code == 200, package.text
    questionnaire, draft = (
        e["resource"] for e in package.json()["parameter"][0]["resource"]["entry"]
    )
    assert questionnaire["url"] == questionnaire_url

    completed = _answered(draft, **MEETS)
    submitted = client.post(
        "/fhir/Claim/$submit",
        json=pas_bundle(response=completed),
        headers=harness.headers["provider"],
    )
    assert submitted.status_code == 200, submitted.text
    code, case_id = _review(submitted.json())
    assert code == "A1"
    case = client.get(f"/v1/cases/{case_id}", headers=harness.headers["provider"]).json()
    assert case["status"] == "approved"


def test_an_adverse_request_pends_then_a_physician_denial_is_not_certified(
    client: TestClient, harness: Harness
) -> None:
    adverse = answers(**{**MEETS, "cell_source": "other_donor"})
    submitted = client.post(
        "/fhir/Claim/$submit",
        json=pas_bundle(response=adverse),
        headers=harness.headers["provider"],
    )
    code, case_id = _review(submitted.json())
    assert code == "A4"
    denial = {
        "decision": "deny",
        "rationale": "The cells come from a donor other than the original transplant donor.",
        "criteria": ["dli.2"],
    }
    decided = client.post(
        f"/v1/cases/{case_id}/decision",
        json=denial,
        headers={**harness.headers["physician"], "If-Match": '"1"'},
    )
    assert decided.status_code == 200, decided.text
    inquired = client.post(
        "/fhir/Claim/$inquire", json=pas_bundle(), headers=harness.headers["provider"]
    )
    assert inquired.status_code == 200, inquired.text
    code, again = _review(inquired.json()["parameter"][0]["resource"])
    assert (code, again) == ("A3", case_id)


def test_a_claim_update_adds_information_to_the_same_case(
    client: TestClient, harness: Harness
) -> None:
    first = client.post(
        "/fhir/Claim/$submit", json=pas_bundle(), headers=harness.headers["provider"]
    )
    code, case_id = _review(first.json())
    assert code == "A4"
    notes = first.json()["entry"][0]["resource"]["processNote"]
    assert any(n["text"].startswith("Information needed:") for n in notes)
    update = pas_bundle(claim_id="claim-1-update", related="claim-1", response=answers(**MEETS))
    second = client.post("/fhir/Claim/$submit", json=update, headers=harness.headers["provider"])
    assert _review(second.json()) == ("A1", case_id)


def test_the_official_pas_example_is_answered_and_routed(
    client: TestClient, harness: Harness, conformance: Any
) -> None:
    example = conformance("pas/Bundle-ReferralAuthorizationBundleExample.json")
    answer = client.post("/fhir/Claim/$submit", json=example, headers=harness.headers["provider"])
    assert answer.status_code == 200, answer.text
    code, case_id = _review(answer.json())
    assert (code, case_id) == ("A4", None)


def test_a_malformed_bundle_gets_an_operation_outcome_naming_the_element(
    client: TestClient, harness: Harness
) -> None:
    body = pas_bundle()
    body["entry"][0]["resource"]["item"][0]["sequence"] = "first"
    answer = client.post("/fhir/Claim/$submit", json=body, headers=harness.headers["provider"])
    assert answer.status_code == 422
    issue = answer.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.item[0].sequence"]
    not_json = client.post("/fhir/Claim/$submit", content=b"{", headers=harness.headers["provider"])
    assert not_json.status_code == 400
    assert not_json.json()["resourceType"] == "OperationOutcome"


def test_pas_without_a_token_and_hooks_without_a_jwt_are_refused(
    client: TestClient, harness: Harness
) -> None:
    assert client.post("/fhir/Claim/$submit", json=pas_bundle()).status_code == 401
    url = "http://testserver/cds-services/order-sign"
    assert client.post(url, json={"hook": "order-sign", "context": {}}).status_code == 401
    signed = harness.hook_headers(url)
    assert (
        client.post(
            url, json={"context": {"draftOrders": {"entry": []}}}, headers=signed
        ).status_code
        == 200
    )
    assert (
        client.post(
            url, json={"context": {"draftOrders": {"entry": []}}}, headers=signed
        ).status_code
        == 401
    )


def test_discovery_and_feedback(client: TestClient, harness: Harness) -> None:
    services = client.get("/cds-services").json()["services"]
    assert {s["id"] for s in services} == {"order-sign", "order-select", "appointment-book"}
    url = "http://testserver/cds-services/order-sign/feedback"
    body = {
        "feedback": [
            {"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2026-03-02T09:00:00Z"}
        ]
    }
    assert client.post(url, json=body, headers=harness.hook_headers(url)).status_code == 200


def test_the_official_order_sign_example_gets_a_valid_answer(
    client: TestClient, harness: Harness, conformance: Any
) -> None:
    url = "http://testserver/cds-services/order-sign"
    body = conformance("crd/CRDServiceRequest.json")
    answer = client.post(url, json=body, headers=harness.hook_headers(url))
    assert answer.status_code == 200
    assert answer.json() == {"cards": [], "systemActions": []}


def test_a_claim_update_that_changes_a_stated_fact_is_pended_for_a_reviewer(
    client: TestClient, harness: Harness
) -> None:
    adverse = answers(**{**MEETS, "cell_source": "other_donor"})
    first = client.post(
        "/fhir/Claim/$submit",
        json=pas_bundle(response=adverse),
        headers=harness.headers["provider"],
    )
    code, case_id = _review(first.json())
    assert code == "A4"
    update = pas_bundle(claim_id="claim-1-update", related="claim-1", response=answers(**MEETS))
    second = client.post("/fhir/Claim/$submit", json=update, headers=harness.headers["provider"])
    assert _review(second.json()) == ("A4", case_id)
    case = client.get(f"/v1/cases/{case_id}", headers=harness.headers["nurse"]).json()
    assert (case["outcome"], case["status"]) == ("meets_criteria", "in_review")
    assert [c["fact"] for c in case["changed_facts"]] == ["cell_source"]
