"""Small PAS and DTR payloads for MCP-210, written the way an EHR would send them."""

from __future__ import annotations

from typing import Any

CPT = "http://www.ama-assn.org/go/cpt"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "pat1",
        "identifier": [{"system": "http://example.org/mrn", "value": "MRN-1"}],
        "name": [{"family": "Rivera", "given": ["Ana"]}],
        "gender": "female",
        "birthDate": "1971-04-09",
        "address": [{"state": "OH"}],
    }


def organization(org_id: str, name: str) -> dict[str, Any]:
    """An Organization as the PAS insurer and requestor profiles want it (active, named)."""
    return {"resourceType": "Organization", "id": org_id, "active": True, "name": name}


def coverage() -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": "cov1",
        "status": "active",
        "subscriberId": "M0001",
        "type": {"coding": [{"system": "urn:oid:2.16.840.1.113883.3.221.5", "code": "2"}]},
        "beneficiary": {"reference": "Patient/pat1"},
        "payor": [{"reference": "Organization/plan"}],
    }


def answers(**facts: Any) -> dict[str, Any]:
    """A completed QuestionnaireResponse stating ``facts`` (enum values become Codings)."""
    items = []
    for name, value in facts.items():
        if isinstance(value, bool):
            answer: dict[str, Any] = {"valueBoolean": value}
        elif isinstance(value, int | float):
            answer = {"valueDecimal": value}
        else:
            system = f"http://127.0.0.1:8210/fhir/CodeSystem/mcp-210-{name.replace('_', '-')}"
            answer = {"valueCoding": {"system": system, "code": value}}
        items.append({"linkId": name, "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "qr1",
        "status": "completed",
        "item": items,
    }


def pas_bundle(
    code: str = "38242",
    *,
    claim_id: str = "claim-1",
    diagnoses: tuple[str, ...] = ("C92.02",),
    response: dict[str, Any] | None = None,
    related: str | None = None,
) -> dict[str, Any]:
    """A PAS request Bundle for one service, with the member and optional answers."""
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "id": claim_id,
        "identifier": [{"system": "http://example.org/claims", "value": claim_id}],
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "preauthorization",
        "patient": {"reference": "Patient/pat1"},
        "created": "2026-03-02T09:00:00Z",
        "insurer": {"reference": "Organization/plan"},
        "provider": {"reference": "Organization/clinic"},
        "priority": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/processpriority",
                    "code": "normal",
                }
            ]
        },
        "diagnosis": [
            {
                "sequence": i + 1,
                "diagnosisCodeableConcept": {"coding": [{"system": ICD, "code": d}]},
            }
            for i, d in enumerate(diagnoses)
        ],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
        "item": [
            {
                "sequence": 1,
                "productOrService": {"coding": [{"system": CPT, "code": code}]},
                "servicedDate": "2026-03-02",
            }
        ],
    }
    if related:
        claim["related"] = [
            {"claim": {"identifier": {"system": "http://example.org/claims", "value": related}}}
        ]
    entries = [
        {"fullUrl": f"http://ehr.example/fhir/Claim/{claim_id}", "resource": claim},
        {"fullUrl": "http://ehr.example/fhir/Patient/pat1", "resource": patient()},
        {"fullUrl": "http://ehr.example/fhir/Coverage/cov1", "resource": coverage()},
        {
            "fullUrl": "http://ehr.example/fhir/Organization/plan",
            "resource": organization("plan", "Plan"),
        },
        {
            "fullUrl": "http://ehr.example/fhir/Organization/clinic",
            "resource": organization("clinic", "Clinic"),
        },
    ]
    if response is not None:
        entries.append(
            {"fullUrl": "http://ehr.example/fhir/QuestionnaireResponse/qr1", "resource": response}
        )
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "http://example.org/pas-transactions", "value": f"tx-{claim_id}"},
        "type": "collection",
        "timestamp": "2026-03-02T09:00:00Z",
        "entry": entries,
    }


def service_request(
    code: str = "38242", diagnoses: tuple[str, ...] = ("C92.02",)
) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": "sr1",
        "status": "draft",
        "intent": "original-order",
        "code": {"coding": [{"system": CPT, "code": code}]},
        "subject": {"reference": "Patient/pat1"},
        "occurrenceDateTime": "2026-03-02",
        "reasonCode": [{"coding": [{"system": ICD, "code": d}]} for d in diagnoses],
    }


def package_parameters(code: str = "38242") -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": coverage()},
            {"name": "order", "resource": service_request(code)},
        ],
    }


MEETS = {
    "prior_hsct": "allogeneic",
    "prior_hsct_medically_necessary": True,
    "cell_source": "original_donor",
    "lymphocytes_genetically_modified": False,
    "dli_indication": "relapsed_refractory_persistent",
}
