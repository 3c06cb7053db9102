"""PAS Claim Updates: a cancelled item withdraws its case, an added item opens one, and
``$inquire`` finds the cases by the update's identifier as well as the original's."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from medpolicy.adapters.fhir_r4 import parse_pas_bundle, review_action
from medpolicy.policy.registry import default_registry
from medpolicy.service.db.models import AuditEntry

from .app_fixtures import Harness, make_harness
from .pas_payloads import MEETS, answers, pas_bundle
from .pas_rules import response_bundle_problems

UPDATE = "pas/Bundle-HomecareAuthorizationUpdateBundleExample.json"
CANCELLED = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/modifierextension-infoCancelled"


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


def _original_of(update: dict[str, Any]) -> dict[str, Any]:
    """The Bundle the provider sent first: the original Claim first, the same other entries."""
    bundle = copy.deepcopy(update)
    entries = bundle["entry"]
    (original,) = [e for e in entries[1:] if e["resource"]["resourceType"] == "Claim"]
    bundle["entry"] = [original, *[e for e in entries[1:] if e is not original]]
    return bundle


def _items(answer: Any) -> dict[int, tuple[str, str | None]]:
    """Each item's review action and case number, after checking the Bundle's rules."""
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    if bundle["resourceType"] == "Parameters":
        bundle = bundle["parameter"][0]["resource"]
    Bundle.model_validate(bundle)
    assert response_bundle_problems(bundle) == []
    found = {}
    for item in bundle["entry"][0]["resource"]["item"]:
        review = item["adjudication"][0]["extension"][0]["extension"]
        number = next((r["valueString"] for r in review if r["url"] == "number"), None)
        code = review[-1]["valueCodeableConcept"]["coding"][0]
        if code["code"] == "C":
            assert code["display"] == "Cancelled"
        found[item["itemSequence"]] = (code["code"], number)
    return found


def test_the_official_update_marks_a_cancelled_and_an_added_item(conformance: Any) -> None:
    pas = parse_pas_bundle(conformance(UPDATE), default_registry())
    assert [(i.sequence, i.cancelled, i.info_changed) for i in pas.items] == [
        (1, False, None),
        (2, True, "changed"),
        (3, False, "added"),
    ]
    assert review_action("withdrawn") == "C"


def test_a_cancelled_item_withdraws_its_case_and_an_added_item_opens_one(
    client: TestClient, harness: Harness, conformance: Any
) -> None:
    provider = harness.headers["provider"]
    update = conformance(UPDATE)
    first = _items(client.post("/fhir/Claim/$submit", json=_original_of(update), headers=provider))
    assert set(first) == {1, 2}
    assert all(code == "A4" and case for code, case in first.values())

    second = _items(client.post("/fhir/Claim/$submit", json=update, headers=provider))
    assert second[1] == first[1]
    assert second[2] == ("C", first[2][1])
    added = second[3][1]
    assert second[3][0] == "A4"
    assert added is not None
    assert added not in {first[1][1], first[2][1]}

    case = client.get(f"/v1/cases/{first[2][1]}", headers=provider).json()
    assert case["status"] == "withdrawn"
    assert case["overdue"] is False
    (event,) = case["events"]
    assert event["kind"] == "withdrawal"
    assert event["detail"]["previous_status"] == "routed"
    with harness.database.transaction() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.case_id == first[2][1])
        ).all()
    assert actions.count("case.withdrawal") == 1

    again = _items(client.post("/fhir/Claim/$submit", json=update, headers=provider))
    assert again == second
    case = client.get(f"/v1/cases/{first[2][1]}", headers=provider).json()
    assert len(case["events"]) == 1


def test_inquiry_finds_the_cases_by_the_update_or_the_original_identifier(
    client: TestClient, harness: Harness, conformance: Any
) -> None:
    provider = harness.headers["provider"]
    update = conformance(UPDATE)
    client.post("/fhir/Claim/$submit", json=_original_of(update), headers=provider)
    submitted = _items(client.post("/fhir/Claim/$submit", json=update, headers=provider))

    update_inquiry = copy.deepcopy(update)
    del update_inquiry["entry"][0]["resource"]["related"]
    by_update = _items(client.post("/fhir/Claim/$inquire", json=update_inquiry, headers=provider))
    assert by_update == submitted

    by_original = _items(
        client.post("/fhir/Claim/$inquire", json=_original_of(update), headers=provider)
    )
    assert by_original == {1: submitted[1], 2: submitted[2]}


def test_an_update_of_an_update_still_reaches_the_original_case(
    client: TestClient, harness: Harness
) -> None:
    provider = harness.headers["provider"]
    (code, case_id) = _items(
        client.post("/fhir/Claim/$submit", json=pas_bundle(), headers=provider)
    )[1]
    assert code == "A4"
    client.post(
        "/fhir/Claim/$submit",
        json=pas_bundle(claim_id="claim-1-u1", related="claim-1"),
        headers=provider,
    )
    second = pas_bundle(claim_id="claim-1-u2", related="claim-1-u1", response=answers(**MEETS))
    assert _items(client.post("/fhir/Claim/$submit", json=second, headers=provider)) == {
        1: ("A1", case_id)
    }
    inquiry = pas_bundle(claim_id="claim-1-u2")
    assert _items(client.post("/fhir/Claim/$inquire", json=inquiry, headers=provider)) == {
        1: ("A1", case_id)
    }


def _cancelling(claim_id: str, related: str) -> dict[str, Any]:
    bundle = pas_bundle(claim_id=claim_id, related=related)
    bundle["entry"][0]["resource"]["item"][0]["modifierExtension"] = [
        {"url": CANCELLED, "valueBoolean": True}
    ]
    return bundle


def test_a_withdrawn_case_cannot_be_decided_afterwards(
    client: TestClient, harness: Harness
) -> None:
    provider = harness.headers["provider"]
    (_, case_id) = _items(client.post("/fhir/Claim/$submit", json=pas_bundle(), headers=provider))[
        1
    ]
    cancelled = _items(
        client.post("/fhir/Claim/$submit", json=_cancelling("c-2", "claim-1"), headers=provider)
    )
    assert cancelled == {1: ("C", case_id)}
    decided = client.post(
        f"/v1/cases/{case_id}/decision",
        json={"decision": "approve"},
        headers={**harness.headers["nurse"], "If-Match": '"1"'},
    )
    assert decided.status_code == 409


def test_cancelling_a_decided_case_is_a_conflict_naming_the_item(
    client: TestClient, harness: Harness
) -> None:
    provider = harness.headers["provider"]
    approved = pas_bundle(response=answers(**MEETS))
    assert _items(client.post("/fhir/Claim/$submit", json=approved, headers=provider))[1][0] == "A1"
    refused = client.post(
        "/fhir/Claim/$submit", json=_cancelling("c-2", "claim-1"), headers=provider
    )
    assert refused.status_code == 409
    (issue,) = refused.json()["issue"]
    assert issue["code"] == "conflict"
    assert issue["expression"] == ["Bundle.entry[0].resource.item[0].modifierExtension"]


def test_cancelling_an_item_never_submitted_is_not_found(
    client: TestClient, harness: Harness
) -> None:
    refused = client.post(
        "/fhir/Claim/$submit",
        json=_cancelling("c-2", "never-sent"),
        headers=harness.headers["provider"],
    )
    assert refused.status_code == 404
    assert refused.json()["resourceType"] == "OperationOutcome"


def test_only_the_submitting_role_may_cancel(client: TestClient, harness: Harness) -> None:
    client.post("/fhir/Claim/$submit", json=pas_bundle(), headers=harness.headers["provider"])
    refused = client.post(
        "/fhir/Claim/$submit",
        json=_cancelling("c-2", "claim-1"),
        headers=harness.headers["physician"],
    )
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
