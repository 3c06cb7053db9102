"""PAS request Bundles become contract requests; our responses keep the PAS rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from medpolicy import evaluate
from medpolicy.adapters.fhir_r4 import (
    FhirInputError,
    ItemAnswer,
    parse_pas_bundle,
    pas_response_bundle,
)
from medpolicy.policy.registry import default_registry

from .pas_payloads import MEETS, answers, pas_bundle
from .pas_rules import response_bundle_problems

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_pas_bundle_becomes_the_contract_request() -> None:
    pas = parse_pas_bundle(pas_bundle(response=answers(**MEETS)), default_registry())
    (item,) = pas.items
    assert item.request is not None
    assert item.request["service"] == {"code": "38242", "date_of_service": "2026-03-02"}
    assert item.request["diagnoses"] == ["C92.02"]
    assert item.request["member"] == {"id": "M0001", "line_of_business": "medicaid", "state": "OH"}
    assert item.request["facts"] == MEETS
    assert evaluate(item.request).outcome == "meets_criteria"


def test_the_official_request_example_routes_its_service_elsewhere(conformance: Any) -> None:
    example = conformance("pas/Bundle-ReferralAuthorizationBundleExample.json")
    pas = parse_pas_bundle(example, default_registry())
    assert [item.request for item in pas.items] == [None]
    bundle = pas_response_bundle(pas, [ItemAnswer(1, "routed", None, ("routed",))], NOW)
    Bundle.model_validate(bundle)
    assert response_bundle_problems(bundle) == []
    response = bundle["entry"][0]["resource"]
    assert response["item"][0]["itemSequence"] == 1
    code = response["item"][0]["adjudication"][0]["extension"][0]["extension"][-1]
    assert code["valueCodeableConcept"]["coding"][0]["code"] == "A4"


def test_the_official_update_example_names_its_prior_claim(conformance: Any) -> None:
    example = conformance("pas/Bundle-HomecareAuthorizationUpdateBundleExample.json")
    pas = parse_pas_bundle(example, default_registry())
    assert pas.prior_key == "http://example.org/PATIENT_EVENT_TRACE_NUMBER|111099"


@pytest.mark.parametrize(
    ("status", "code"),
    [("approved", "A1"), ("pending_information", "A4"), ("in_review", "A4"), ("denied", "A3")],
)
def test_case_status_sets_the_review_action(status: str, code: str) -> None:
    pas = parse_pas_bundle(pas_bundle(), default_registry())
    bundle = pas_response_bundle(pas, [ItemAnswer(1, status, "case-1", ("a reason",))], NOW)
    assert response_bundle_problems(bundle) == []
    response = bundle["entry"][0]["resource"]
    review = response["item"][0]["adjudication"][0]["extension"][0]["extension"]
    assert review[0] == {"url": "number", "valueString": "case-1"}
    assert review[1]["valueCodeableConcept"]["coding"][0]["code"] == code
    assert response["preAuthRef"] == "case-1"
    assert response["processNote"][0]["text"] == "a reason"


def _expression(body: dict[str, Any]) -> str:
    with pytest.raises(FhirInputError) as caught:
        parse_pas_bundle(body, default_registry())
    return caught.value.expression


def test_a_malformed_item_is_named_by_its_path() -> None:
    body = pas_bundle()
    body["entry"][0]["resource"]["item"][0]["sequence"] = "first"
    assert _expression(body) == "Bundle.entry[0].resource.item[0].sequence"


def test_a_bundle_without_a_claim_first_is_refused() -> None:
    body = pas_bundle()
    body["entry"].reverse()
    assert _expression(body) == "Bundle.entry[0]"


def test_an_unresolved_patient_is_refused() -> None:
    body = pas_bundle()
    del body["entry"][1]
    assert _expression(body) == "Bundle.entry[0].resource.patient"


def test_a_bad_answer_in_the_bundle_names_its_entry() -> None:
    body = pas_bundle(response=answers(cell_source="neighbour"))
    assert _expression(body) == "Bundle.entry[5].resource.item[0].answer[0]"
