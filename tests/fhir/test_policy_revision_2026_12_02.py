"""Every example of MCP-210.md's "Revision of 2026-12-02", through each way in: the command
line, the case service (POST /v1/cases), PAS ($submit's review action) and CRD (order-sign's
coverage information). The golden cases pin the engine; these pin what each adapter makes
of the revised answers, above all that a caution is never approved automatically."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medpolicy import evaluate
from medpolicy.adapters.cds_hooks import answer_hook
from medpolicy.policy.registry import default_registry

from .app_fixtures import Harness, make_harness
from .pas_payloads import answers, coverage, pas_bundle, patient, service_request

DLI_MEETS: dict[str, Any] = {
    "prior_hsct": "allogeneic",
    "prior_hsct_medically_necessary": True,
    "cell_source": "original_donor",
    "lymphocytes_genetically_modified": False,
    "dli_indication": "relapsed_refractory_persistent",
}
HSCB_MEETS: dict[str, Any] = {
    "prior_hsct": "allogeneic",
    "prior_hsct_medically_necessary": True,
    "cell_source": "original_donor",
    "hscb_indication": "engraftment_promotion",
}


@dataclass(frozen=True)
class Example:
    """One revision example and what every adapter must make of it."""

    name: str
    code: str
    diagnoses: tuple[str, ...]
    facts: dict[str, Any]
    outcome: str
    next_step: str
    status: str
    review_action: str
    crd: tuple[str, str, str | None]
    warnings: tuple[str, ...] = field(default=())

    def request(self) -> dict[str, Any]:
        return {
            "request_id": self.name,
            "service": {"code": self.code, "date_of_service": "2026-03-02"},
            "diagnoses": list(self.diagnoses),
            "facts": self.facts,
        }


ADVERSE = ("does_not_meet_criteria", "physician_review", "in_review", "A4")
CRD_REVIEW = ("covered", "auth-needed", "clinical")
EXAMPLES = [
    Example(
        "1-breast-cancer-after-autologous-transplant-is-not-experimental",
        "38242",
        ("C50.911",),
        {**DLI_MEETS, "prior_hsct": "autologous"},
        *ADVERSE,
        crd=CRD_REVIEW,
    ),
    Example(
        "1-breast-cancer-after-allogeneic-transplant-is-experimental",
        "38242",
        ("C50.911",),
        DLI_MEETS,
        "experimental_investigational",
        "physician_review",
        "in_review",
        "A4",
        crd=CRD_REVIEW,
    ),
    Example(
        "2-chimerism-already-100-percent-donor-does-not-meet-indication-b",
        "38242",
        ("C92.02",),
        {
            **DLI_MEETS,
            "dli_indication": "mixed_chimerism_conversion",
            "donor_chimerism_percent": 100,
        },
        *ADVERSE,
        crd=CRD_REVIEW,
    ),
    Example(
        "3-car-t-does-not-carry-an-engraftment-boost-after-an-unnecessary-transplant",
        "38243",
        ("C92.01",),
        {**HSCB_MEETS, "prior_hsct_medically_necessary": False, "prior_car_t": True},
        *ADVERSE,
        crd=CRD_REVIEW,
    ),
    Example(
        "4-boost-after-autologous-transplant-from-a-donor-does-not-meet",
        "38243",
        ("C90.01",),
        {**HSCB_MEETS, "prior_hsct": "autologous", "cell_source": "other_donor"},
        *ADVERSE,
        crd=CRD_REVIEW,
    ),
    Example(
        "4-boost-after-car-t-alone-from-own-cells-meets",
        "38243",
        ("C90.01",),
        {
            "prior_hsct": "none",
            "prior_car_t": True,
            "cell_source": "autologous",
            "hscb_indication": "car_t_cytopenias",
        },
        "meets_criteria",
        "approve",
        "approved",
        "A1",
        crd=("covered", "auth-needed", None),
    ),
    Example(
        "5-codes-naming-two-cancers-ask-for-the-disease",
        "38242",
        ("C50.911", "C92.02"),
        DLI_MEETS,
        "insufficient_information",
        "request_information",
        "pending_information",
        "A4",
        crd=("conditional", "conditional", "conditional"),
        warnings=("conflicting_malignancies",),
    ),
    Example(
        "6-active-gvhd-meets-criteria-but-goes-to-a-physician",
        "38242",
        ("C92.02",),
        {**DLI_MEETS, "active_gvhd": "acute"},
        "meets_criteria",
        "physician_review",
        "in_review",
        "A4",
        crd=CRD_REVIEW,
        warnings=("active_gvhd",),
    ),
    Example(
        "7-steroid-refractory-without-active-gvhd-is-approved",
        "38242",
        ("C92.02",),
        {**DLI_MEETS, "active_gvhd": "none", "gvhd_steroid_refractory": True},
        "meets_criteria",
        "approve",
        "approved",
        "A1",
        crd=("covered", "auth-needed", None),
    ),
]
IDS = [e.name for e in EXAMPLES]


def test_the_command_line_gives_each_example_its_revised_outcome() -> None:
    lines = "\n".join(json.dumps(e.request()) for e in EXAMPLES)
    done = subprocess.run(
        [sys.executable, "-m", "medpolicy.cli", "evaluate", "-"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers_by_id = {a["request_id"]: a for a in map(json.loads, done.stdout.splitlines())}
    for example in EXAMPLES:
        got = answers_by_id[example.name]
        assert (got["outcome"], got["next_step"]) == (example.outcome, example.next_step), (
            example.name
        )
        codes = {w["code"] for w in got["warnings"]}
        assert set(example.warnings) <= codes, example.name


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return make_harness(Path(tmp_path_factory.mktemp("revision")))


@pytest.fixture(scope="module")
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_the_service_puts_each_example_in_its_queue(
    client: TestClient, harness: Harness, example: Example
) -> None:
    response = client.post(
        "/v1/cases",
        json={"request": example.request(), "priority": "standard"},
        headers={**harness.headers["provider"], "Idempotency-Key": f"rev-{example.name}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == example.status
    assert body["outcome"] == example.outcome
    assert body["determination"]["next_step"] == example.next_step
    assert (body["decided_at"] is None) == (example.status != "approved")


def test_a_caution_case_waits_in_the_physician_queue(client: TestClient, harness: Harness) -> None:
    caution = next(e for e in EXAMPLES if e.name.startswith("6-"))
    created = client.post(
        "/v1/cases",
        json={"request": {**caution.request(), "request_id": "queue"}, "priority": "standard"},
        headers={**harness.headers["provider"], "Idempotency-Key": "rev-queue"},
    ).json()
    queue = client.get(
        "/v1/cases", params={"status": "in_review"}, headers=harness.headers["physician"]
    ).json()
    assert created["id"] in {item["id"] for item in queue["items"]}


def _review_action(bundle: dict[str, Any]) -> str:
    response = bundle["entry"][0]["resource"]
    review = response["item"][0]["adjudication"][0]["extension"][0]["extension"]
    code: str = review[-1]["valueCodeableConcept"]["coding"][0]["code"]
    return code


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_pas_certifies_only_what_needs_no_reviewer(
    client: TestClient, harness: Harness, example: Example
) -> None:
    bundle = pas_bundle(
        example.code,
        claim_id=f"claim-{example.name}",
        diagnoses=example.diagnoses,
        response=answers(**example.facts),
    )
    submitted = client.post("/fhir/Claim/$submit", json=bundle, headers=harness.headers["provider"])
    assert submitted.status_code == 200, submitted.text
    assert _review_action(submitted.json()) == example.review_action


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_crd_never_tells_the_clinician_a_reviewed_request_will_simply_pass(
    example: Example,
) -> None:
    body = {
        "hook": "order-sign",
        "hookInstance": "6f1b2c1e-0000-4000-8000-000000000009",
        "context": {
            "userId": "Practitioner/1",
            "patientId": "pat1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": service_request(example.code, example.diagnoses)}],
            },
        },
        "prefetch": {"patient": patient(), "coverage": coverage()},
    }

    def with_facts(request: dict[str, Any]) -> Any:
        return evaluate({**request, "facts": example.facts})

    answer = answer_hook("order-sign", body, default_registry(), with_facts, date(2026, 3, 2))
    (action,) = answer["systemActions"]
    (info,) = [e for e in action["resource"]["extension"] if "coverage-information" in e["url"]]
    parts = {
        p["url"]: next(v for k, v in p.items() if k.startswith("value")) for p in info["extension"]
    }
    assert (parts["covered"], parts["pa-needed"], parts.get("doc-needed")) == example.crd
    (card,) = answer["cards"]
    if example.next_step == "physician_review" and example.outcome == "meets_criteria":
        assert card["summary"].endswith("sends it to a physician reviewer.")
