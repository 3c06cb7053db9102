"""What the PAS, DTR and CRD profiles require of our outputs, checked without the validator
(the HL7 validator itself runs over every output in tests/conformance)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medpolicy import evaluate
from medpolicy.adapters.cds_hooks import answer_hook
from medpolicy.adapters.fhir_r4 import (
    FhirInputError,
    ItemAnswer,
    parse_pas_bundle,
    pas_inquiry_response,
    pas_response_bundle,
    questionnaire_package,
)
from medpolicy.api import default_engine
from medpolicy.domain import CaseStatus
from medpolicy.policy.registry import default_registry

from .app_fixtures import Harness, make_harness
from .pas_payloads import coverage, pas_bundle, patient, service_request
from .pas_rules import response_bundle_problems

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"


def _refusal(body: dict[str, Any]) -> FhirInputError:
    with pytest.raises(FhirInputError) as caught:
        parse_pas_bundle(body, default_registry())
    return caught.value


def _empty_arrays(node: Any, path: str = "") -> list[str]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _empty_arrays(v, f"{path}.{k}")]
    if isinstance(node, list):
        if not node:
            return [path]
        return [p for i, v in enumerate(node) for p in _empty_arrays(v, f"{path}[{i}]")]
    return []


def test_a_pended_answer_is_complete_with_review_action_a4() -> None:
    pas = parse_pas_bundle(pas_bundle(), default_registry())
    bundle = pas_response_bundle(pas, [ItemAnswer(1, CaseStatus.IN_REVIEW, "case-1")], NOW)
    response = bundle["entry"][0]["resource"]
    assert response["outcome"] == "complete"
    review = response["item"][0]["adjudication"][0]["extension"][0]["extension"]
    assert review[-1]["valueCodeableConcept"]["coding"][0]["code"] == "A4"
    assert "Item 1: A4 Pended, case case-1" in response["text"]["div"]


def test_the_response_echoes_the_request_bundle_identifier() -> None:
    request = pas_bundle()
    pas = parse_pas_bundle(request, default_registry())
    bundle = pas_response_bundle(pas, [ItemAnswer(1, CaseStatus.APPROVED, "case-1")], NOW)
    assert bundle["identifier"] == request["identifier"]
    assert bundle["meta"]["profile"] == [PAS + "profile-pas-response-bundle"]


def test_a_request_without_bundle_identifier_is_refused_naming_it() -> None:
    body = pas_bundle()
    del body["identifier"]
    error = _refusal(body)
    assert error.expression == "Bundle.identifier"
    assert error.status == 422


@pytest.mark.parametrize(
    ("entry", "element", "expression"),
    [
        (1, "name", "Bundle.entry[1].resource.name"),
        (1, "gender", "Bundle.entry[1].resource.gender"),
        (1, "identifier", "Bundle.entry[1].resource.identifier"),
        (3, "active", "Bundle.entry[3].resource.active"),
        (4, "active", "Bundle.entry[4].resource.active"),
        (4, "name", "Bundle.entry[4].resource.name"),
    ],
)
def test_an_echoed_entry_missing_what_its_profile_needs_is_refused(
    entry: int, element: str, expression: str
) -> None:
    body = pas_bundle()
    del body["entry"][entry]["resource"][element]
    error = _refusal(body)
    assert error.expression == expression
    assert "PAS" in error.message


def test_a_partial_birth_date_is_refused_as_the_beneficiary_profile_does() -> None:
    body = pas_bundle()
    body["entry"][1]["resource"]["birthDate"] = "1971"
    error = _refusal(body)
    assert error.expression == "Bundle.entry[1].resource.birthDate"
    assert error.code == "value"


def test_a_practitioner_role_requestor_needs_a_telecom_or_endpoint(conformance: Any) -> None:
    example = conformance("pas/Bundle-ReferralAuthorizationBundleExample.json")
    example["entry"][0]["resource"]["provider"] = {
        "reference": "PractitionerRole/ReferralPractitionerRoleExample"
    }
    position = next(
        i
        for i, e in enumerate(example["entry"])
        if e["resource"]["resourceType"] == "PractitionerRole"
    )
    example["entry"][position]["resource"].pop("telecom", None)
    example["entry"][position]["resource"].pop("endpoint", None)
    error = _refusal(example)
    assert error.expression == f"Bundle.entry[{position}].resource.telecom"


def test_a_practitioner_provider_is_not_named_requestor() -> None:
    body = pas_bundle()
    practitioner = {
        "resourceType": "Practitioner",
        "id": "doc1",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
        "name": [{"family": "Jones"}],
    }
    body["entry"].append(
        {"fullUrl": "http://ehr.example/fhir/Practitioner/doc1", "resource": practitioner}
    )
    body["entry"][0]["resource"]["provider"] = {"reference": "Practitioner/doc1"}
    pas = parse_pas_bundle(body, default_registry())
    bundle = pas_response_bundle(pas, [ItemAnswer(1, CaseStatus.APPROVED, "case-1")], NOW)
    assert "requestor" not in bundle["entry"][0]["resource"]


def test_gender_unknown_is_enough() -> None:
    body = pas_bundle()
    body["entry"][1]["resource"]["gender"] = "unknown"
    parse_pas_bundle(body, default_registry())


def test_the_inquiry_answer_uses_the_inquiry_profiles_and_the_parameter_return() -> None:
    pas = parse_pas_bundle(pas_bundle(), default_registry())
    out = pas_inquiry_response(pas, [ItemAnswer(1, CaseStatus.APPROVED, "case-1")], NOW)
    (parameter,) = out["parameter"]
    assert parameter["name"] == "return"
    bundle = parameter["resource"]
    assert bundle["meta"]["profile"] == [PAS + "profile-pas-inquiry-response-bundle"]
    response = bundle["entry"][0]["resource"]
    assert response["meta"]["profile"] == [PAS + "profile-claiminquiryresponse"]


def test_echoed_entries_bring_what_they_reference(conformance: Any) -> None:
    example = conformance("pas/Bundle-ReferralAuthorizationBundleExample.json")
    role = "PractitionerRole/ReferralPractitionerRoleExample"
    example["entry"][0]["resource"]["provider"] = {"reference": role}
    pas = parse_pas_bundle(example, default_registry())
    bundle = pas_response_bundle(pas, [ItemAnswer(1, CaseStatus.ROUTED, None)], NOW)
    assert response_bundle_problems(bundle) == []
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "PractitionerRole" in kinds
    assert "Practitioner" in kinds


def _package(code: str, diagnoses: tuple[str, ...], base: str) -> dict[str, Any]:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": coverage()},
            {"name": "order", "resource": service_request(code, diagnoses)},
        ],
    }
    return questionnaire_package(parameters, default_engine(), NOW, base)


def test_package_entries_have_fullurls_apart_from_the_canonical_urls() -> None:
    bundle = _package("38242", ("C92.02",), "https://payer.example/mp")["parameter"][0]["resource"]
    questionnaire, draft = (e["resource"] for e in bundle["entry"])
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert all(u.startswith("urn:uuid:") for u in urls)
    assert len(set(urls)) == 2
    assert questionnaire["url"] == (
        "https://payer.example/mp/fhir/Questionnaire/mcp-210-donor-lymphocyte-infusion"
    )
    assert draft["questionnaire"].startswith(questionnaire["url"] + "|")
    systems = {
        o["valueCoding"]["system"] for i in questionnaire["item"] for o in i.get("answerOption", [])
    }
    assert systems
    assert all(s.startswith("https://payer.example/mp/fhir/CodeSystem/") for s in systems)
    assert "urn:medpolicy" not in str(bundle)


def test_the_draft_has_authored_intended_use_narrative_and_auto_origins() -> None:
    bundle = _package("38242", ("C92.02",), "https://payer.example")["parameter"][0]["resource"]
    draft = bundle["entry"][1]["resource"]
    assert draft["authored"] == NOW.isoformat()
    uses = [e for e in draft["extension"] if e["url"].endswith("/intendedUse")]
    assert uses[0]["valueCodeableConcept"]["coding"][0]["code"] == "withpa"
    assert draft["item"]
    assert "ICD-10-CM C92.02" in draft["text"]["div"]
    for item in draft["item"]:
        origin = item["answer"][0]["extension"][0]
        assert origin["extension"] == [{"url": "source", "valueCode": "auto"}]
    assert _empty_arrays(bundle) == []


def test_with_nothing_prefilled_the_package_is_the_questionnaire_alone() -> None:
    out = _package("38243", (), "https://payer.example")
    for parameter in out["parameter"]:
        entries = parameter["resource"]["entry"]
        assert [e["resource"]["resourceType"] for e in entries] == ["Questionnaire"]
    assert _empty_arrays(out) == []


def test_the_questionnaire_says_what_prepopulates_each_answer() -> None:
    bundle = _package("38242", (), "https://payer.example")["parameter"][0]["resource"]
    questionnaire = bundle["entry"][0]["resource"]
    div = questionnaire["text"]["div"]
    assert questionnaire["text"]["status"] == "generated"
    assert div.count("<li>") == len(questionnaire["item"])
    assert "Prefilled by the plan from the order&#x27;s ICD-10-CM diagnosis codes" in div
    assert "Answered by the clinician." in div


def test_a_package_request_without_coverage_is_refused() -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "order", "resource": service_request("38242")}],
    }
    with pytest.raises(FhirInputError) as caught:
        questionnaire_package(parameters, default_engine(), NOW)
    assert "coverage" in caught.value.expression


def test_a_crd_reason_carries_a_coding_and_the_text() -> None:
    order = service_request("38242")
    body = {
        "hook": "order-sign",
        "context": {"patientId": "pat1", "draftOrders": {"entry": [{"resource": order}]}},
        "prefetch": {"patient": patient(), "coverage": coverage()},
    }
    answer = answer_hook(
        "order-sign", body, default_registry(), evaluate, date(2026, 3, 2), base="https://p.x"
    )
    (extension,) = answer["systemActions"][0]["resource"]["extension"]
    parts = {p["url"]: p for p in extension["extension"]}
    reason = parts["reason"]["valueCodeableConcept"]
    assert reason["coding"] == [
        {
            "system": "https://p.x/fhir/CodeSystem/coverage-assertion-reason",
            "code": "clinical-information-needed",
            "display": "Clinical information is needed to apply the policy's criteria",
        }
    ]
    assert reason["text"].startswith("Clinical information needed:")
    assert parts["questionnaire"]["valueCanonical"] == (
        "https://p.x/fhir/Questionnaire/mcp-210-donor-lymphocyte-infusion"
    )


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_over_http_canonicals_follow_the_public_base_url(
    client: TestClient, harness: Harness
) -> None:
    route = "/fhir/Questionnaire/$questionnaire-package"
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": coverage()},
            {"name": "order", "resource": service_request("38242")},
        ],
    }
    harness.app.state.public_base_url = None  # the harness sets one for CRD's aud
    default = client.post(route, json=parameters, headers=harness.headers["provider"]).json()
    first = default["parameter"][0]["resource"]["entry"][0]["resource"]
    assert first["url"].startswith("http://127.0.0.1:8210/fhir/Questionnaire/")
    harness.app.state.public_base_url = "https://payer.example/medpolicy/"
    configured = client.post(
        route, json=copy.deepcopy(parameters), headers=harness.headers["provider"]
    )
    questionnaire = configured.json()["parameter"][0]["resource"]["entry"][0]["resource"]
    assert questionnaire["url"].startswith("https://payer.example/medpolicy/fhir/Questionnaire/")


def test_over_http_a_request_without_bundle_identifier_gets_an_operation_outcome(
    client: TestClient, harness: Harness
) -> None:
    body = pas_bundle()
    del body["identifier"]
    answer = client.post("/fhir/Claim/$submit", json=body, headers=harness.headers["provider"])
    assert answer.status_code == 422
    outcome = answer.json()
    issue = outcome["issue"][0]
    assert issue["expression"] == ["Bundle.identifier"]
    assert issue["code"] == "required"
    assert "<code>Bundle.identifier</code>" in outcome["text"]["div"]
