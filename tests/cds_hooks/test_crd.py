"""CRD hook answers: coverage information from the determination, invariants kept."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

from medpolicy import evaluate
from medpolicy.adapters.cds_hooks import answer_hook, discovery, invariant_problems
from medpolicy.adapters.cds_hooks.coverage_information import coverage_information
from medpolicy.policy.registry import default_registry

TODAY = date(2026, 3, 2)
CPT = "http://www.ama-assn.org/go/cpt"


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return answer_hook("order-sign", body, default_registry(), evaluate, TODAY)


def _with_dli_order(example: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(example)
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["code"] = {"coding": [{"system": CPT, "code": "38242"}]}
    order["reasonCode"] = [
        {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C92.02"}]}
    ]
    return body


def _coverage_parts(action: dict[str, Any]) -> dict[str, Any]:
    (extension,) = [
        e for e in action["resource"]["extension"] if e["url"].endswith("ext-coverage-information")
    ]
    assert invariant_problems(extension) == []
    return {
        p["url"]: next(v for k, v in p.items() if k.startswith("value"))
        for p in extension["extension"]
    }


def test_discovery_lists_the_three_hooks() -> None:
    hooks = {s["hook"] for s in discovery()["services"]}
    assert hooks == {"order-sign", "order-select", "appointment-book"}


def test_the_official_order_sign_example_gets_a_valid_empty_answer(conformance: Any) -> None:
    answer = _answer(conformance("crd/CRDServiceRequest.json"))
    assert answer == {"cards": [], "systemActions": []}


def test_a_dli_order_needs_authorization_and_points_to_the_questionnaire(
    conformance: Any,
) -> None:
    answer = _answer(_with_dli_order(conformance("crd/CRDServiceRequest.json")))
    (action,) = answer["systemActions"]
    ServiceRequest.model_validate(action["resource"])
    assert action["resource"]["id"] == "1357"
    parts = _coverage_parts(action)
    assert parts["pa-needed"] == "conditional"
    assert parts["doc-needed"] == "conditional"
    assert parts["info-needed"] == "OTH"
    assert parts["questionnaire"].endswith("mcp-210-donor-lymphocyte-infusion")
    assert parts["coverage"] == {"reference": "Coverage/COV1"}
    (card,) = answer["cards"]
    assert "\n" not in card["summary"]
    assert len(card["summary"]) <= 140


def test_a_met_order_is_covered_with_authorization_and_no_questionnaire() -> None:
    extension = {
        "extension": [
            {"url": "covered", "valueCode": "covered"},
            {"url": "pa-needed", "valueCode": "auth-needed"},
            {"url": "questionnaire", "valueCanonical": "urn:x"},
        ]
    }
    assert invariant_problems(extension) == ["crd-ci-q1"]


def test_invariants_catch_a_conditional_without_info_needed() -> None:
    extension = {"extension": [{"url": "covered", "valueCode": "conditional"}]}
    assert "crd-ci-q3" in invariant_problems(extension)


def test_invariants_want_a_reason_for_a_documentation_purpose_or_an_indeterminate_answer() -> None:
    purpose = {
        "extension": [
            {"url": "covered", "valueCode": "covered"},
            {"url": "doc-needed", "valueCode": "clinical"},
            {"url": "doc-purpose", "valueCode": "withpa"},
        ]
    }
    assert invariant_problems(purpose) == ["crd-ci-q8"]
    undecided = {"extension": [{"url": "covered", "valueCode": "indeterminate"}]}
    assert invariant_problems(undecided) == ["crd-ci-q9"]
    explained = {
        "extension": [
            *undecided["extension"],
            {"url": "reason", "valueCodeableConcept": {"text": "Policy not yet loaded."}},
        ]
    }
    assert invariant_problems(explained) == []


def test_a_service_no_criteria_cover_on_that_date_is_indeterminate_with_its_reason() -> None:
    routed = evaluate({"service": {"code": "38243", "date_of_service": "2025-08-12"}})
    assert routed.outcome == "not_addressed"
    extension = coverage_information(
        routed, code="38243", coverage_ref=None, questionnaire="urn:q", today=TODAY
    )
    assert invariant_problems(extension) == []
    parts = {
        p["url"]: next(v for k, v in p.items() if k.startswith("value"))
        for p in extension["extension"]
    }
    assert parts["covered"] == "indeterminate"
    assert parts["pa-needed"] == "indeterminate"
    assert "questionnaire" not in parts
    assert "2025-08-13" in parts["reason"]["text"]
