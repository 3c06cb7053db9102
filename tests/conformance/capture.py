"""Every kind of FHIR or CDS Hooks output the service produces, captured from the real app.

Each capture is one HTTP call to the app (SQLite file, real engine, real tokens and client
JWTs), checked for the status and answer it stands for (so a capture named ``A3`` really is
a not-certified answer), and written as ``<name>.json`` for the HL7 validator to read.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ..fhir.app_fixtures import Harness, make_harness
from ..fhir.pas_payloads import MEETS, answers, coverage, pas_bundle, patient, service_request

CPT = "http://www.ama-assn.org/go/cpt"
CANCELLED = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/modifierextension-infoCancelled"
PUBLIC_BASE = "https://payer.example/medpolicy"
"""MEDPOLICY_PUBLIC_BASE_URL during the capture: canonical URLs and CDS ``aud`` use it."""


@dataclass(frozen=True)
class Capture:
    """One output: what it stands for and where it was written."""

    name: str
    kind: str
    path: Path


def review_codes(bundle: dict[str, Any]) -> list[str]:
    """The X12 review action of each ClaimResponse item of a PAS response Bundle."""
    codes = []
    for item in bundle["entry"][0]["resource"]["item"]:
        review = item["adjudication"][0]["extension"][0]["extension"]
        codes += [
            r["valueCodeableConcept"]["coding"][0]["code"]
            for r in review
            if r["url"].endswith("extension-reviewActionCode")
        ]
    return codes


class _Recorder:
    def __init__(self, client: TestClient, harness: Harness, folder: Path) -> None:
        self.client = client
        self.harness = harness
        self.folder = folder
        self.captures: list[Capture] = []

    def keep(self, name: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(body, indent=1), encoding="utf-8")
        self.captures.append(Capture(name, kind, path))
        return body

    def fhir(
        self,
        name: str,
        kind: str,
        route: str,
        body: Any,
        *,
        status: int = 200,
        role: str | None = "provider",
        check: Callable[[dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        headers = self.harness.headers[role] if role else {}
        if isinstance(body, bytes):
            answer = self.client.post(route, content=body, headers=headers)
        else:
            answer = self.client.post(route, json=body, headers=headers)
        assert answer.status_code == status, (name, answer.status_code, answer.text)
        data: dict[str, Any] = answer.json()
        if check is not None:
            assert check(data), (name, data)
        return self.keep(name, kind, data)

    def hook(self, name: str, service: str, body: dict[str, Any], status: int = 200) -> Any:
        url = f"{PUBLIC_BASE}/cds-services/{service}"
        answer = self.client.post(
            f"/cds-services/{service}", json=body, headers=self.harness.hook_headers(url)
        )
        assert answer.status_code == status, (name, answer.status_code, answer.text)
        data: dict[str, Any] = answer.json()
        if status == 200:
            assert data["systemActions"], (name, data)
        return self.keep(name, "crd" if status == 200 else "outcome", data)


def capture_outputs(folder: Path, examples: Path) -> list[Capture]:
    """Drive the app through every output it has; returns what was written to ``folder``.

    ``examples`` is ``shared/conformance``: its PAS request example is submitted too, so
    the answer to a request carrying the guide's own Patient, Organizations and
    PractitionerRole is checked as well."""
    work = folder / "app"
    work.mkdir(parents=True, exist_ok=True)
    harness = make_harness(work)
    harness.app.state.public_base_url = PUBLIC_BASE
    with TestClient(harness.app, raise_server_exceptions=False) as client:
        recorder = _Recorder(client, harness, folder)
        _pas(recorder)
        official = json.loads(
            (examples / "pas" / "Bundle-ReferralAuthorizationBundleExample.json").read_text()
        )
        recorder.fhir(
            "pas-submit-official-example", "pas", "/fhir/Claim/$submit", official, check=_is("A4")
        )
        by_role = copy.deepcopy(official)
        role = {"reference": "PractitionerRole/ReferralPractitionerRoleExample"}
        by_role["entry"][0]["resource"]["provider"] = role
        recorder.fhir(
            "pas-submit-requested-by-a-practitioner-role",
            "pas",
            "/fhir/Claim/$submit",
            by_role,
            check=_is("A4"),
        )
        _dtr(recorder)
        _crd(recorder)
        _refusals(recorder)
    return recorder.captures


def _is(*codes: str) -> Callable[[dict[str, Any]], bool]:
    return lambda bundle: review_codes(bundle) == list(codes)


def _inquiry_is(*codes: str) -> Callable[[dict[str, Any]], bool]:
    def check(parameters: dict[str, Any]) -> bool:
        (parameter,) = parameters["parameter"]
        return review_codes(parameter["resource"]) == list(codes)

    return check


def _pas(r: _Recorder) -> None:
    submit, inquire = "/fhir/Claim/$submit", "/fhir/Claim/$inquire"
    met = pas_bundle(claim_id="claim-a1", response=answers(**MEETS))
    r.fhir("pas-submit-a1-certified", "pas", submit, met, check=_is("A1"))
    pended = r.fhir(
        "pas-submit-a4-pended", "pas", submit, pas_bundle(claim_id="claim-a4"), check=_is("A4")
    )
    update = pas_bundle(claim_id="claim-a4-update", related="claim-a4", response=answers(**MEETS))
    r.fhir("pas-update-a1", "pas", submit, update, check=_is("A1"))

    adverse = pas_bundle(
        claim_id="claim-a3", response=answers(**{**MEETS, "cell_source": "other_donor"})
    )
    first = r.client.post(submit, json=adverse, headers=r.harness.headers["provider"])
    case_id = first.json()["entry"][0]["resource"]["preAuthRef"]
    denial = {
        "decision": "deny",
        "rationale": "The cells come from a donor other than the original transplant donor.",
        "criteria": ["dli.2"],
    }
    decided = r.client.post(
        f"/v1/cases/{case_id}/decision",
        json=denial,
        headers={**r.harness.headers["physician"], "If-Match": '"1"'},
    )
    assert decided.status_code == 200, decided.text
    r.fhir("pas-submit-a3-not-certified", "pas", submit, adverse, check=_is("A3"))
    r.fhir(
        "pas-inquire-a3", "pas", inquire, pas_bundle(claim_id="claim-a3"), check=_inquiry_is("A3")
    )
    r.fhir(
        "pas-inquire-a4", "pas", inquire, pas_bundle(claim_id="claim-a4"), check=_inquiry_is("A1")
    )

    unread = pas_bundle(claim_id="claim-a4-unread")
    unread["entry"].append(
        {
            "fullUrl": "http://ehr.example/fhir/DocumentReference/note-by-url",
            "resource": {
                "resourceType": "DocumentReference",
                "id": "note-by-url",
                "status": "current",
                "content": [
                    {
                        "attachment": {
                            "contentType": "application/pdf",
                            "url": "http://ehr.example/documents/chimerism.pdf",
                            "title": "chimerism.pdf",
                        }
                    }
                ],
            },
        }
    )
    r.fhir(
        "pas-submit-a4-unread-attachment",
        "pas",
        submit,
        unread,
        check=lambda b: (
            _is("A4")(b)
            and any("was not read" in n["text"] for n in b["entry"][0]["resource"]["processNote"])
        ),
    )

    r.fhir("pas-submit-to-cancel", "pas", submit, pas_bundle(claim_id="claim-c"), check=_is("A4"))
    cancel = pas_bundle(claim_id="claim-c-cancel", related="claim-c")
    cancel["entry"][0]["resource"]["item"][0]["modifierExtension"] = [
        {"url": CANCELLED, "valueBoolean": True}
    ]
    r.fhir("pas-cancel", "pas", submit, cancel, check=_is("C"))

    two = pas_bundle(claim_id="claim-two", code="38243", response=answers(**MEETS))
    claim = two["entry"][0]["resource"]
    claim["item"].append({**copy.deepcopy(claim["item"][0]), "sequence": 2})
    claim["item"][1]["productOrService"] = {"coding": [{"system": CPT, "code": "38242"}]}
    r.fhir("pas-submit-two-items", "pas", submit, two)
    assert pended["entry"][0]["resource"]["outcome"]


def _dtr(r: _Recorder) -> None:
    route = "/fhir/Questionnaire/$questionnaire-package"
    for code in ("38242", "38243"):
        for prefilled, diagnoses in (("prefilled", ("C92.02",)), ("blank", ())):
            order = service_request(code, diagnoses)
            body = {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "coverage", "resource": coverage()},
                    {"name": "order", "resource": order},
                ],
            }
            r.fhir(f"dtr-package-{code}-{prefilled}", "dtr", route, body)


def _hook_body(hook: str, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": hook,
        "hookInstance": "6f1b2c1e-0000-4000-8000-000000000001",
        "fhirServer": "https://ehr.example/fhir",
        "context": {"userId": "Practitioner/doc1", "patientId": "pat1", **context},
        "prefetch": {"patient": patient(), "coverage": coverage()},
    }


def _orders(*orders: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"https://ehr.example/fhir/ServiceRequest/{o['id']}", "resource": o}
            for o in orders
        ],
    }


def _crd(r: _Recorder) -> None:
    order = service_request("38242")
    r.hook(
        "crd-order-sign", "order-sign", _hook_body("order-sign", {"draftOrders": _orders(order)})
    )
    adverse = service_request("38242", ("C50.911",))
    r.hook(
        "crd-order-sign-criteria-not-met",
        "order-sign",
        _hook_body("order-sign", {"draftOrders": _orders(adverse)}),
    )
    long_ago = {**service_request("38242"), "occurrenceDateTime": "2010-01-05"}
    r.hook(
        "crd-order-sign-policy-not-in-effect",
        "order-sign",
        _hook_body("order-sign", {"draftOrders": _orders(long_ago)}),
    )
    boost = {**service_request("38243", ()), "id": "sr2"}
    select = _hook_body(
        "order-select",
        {"selections": ["ServiceRequest/sr2"], "draftOrders": _orders(boost)},
    )
    r.hook("crd-order-select", "order-select", select)
    appointment = {
        "resourceType": "Appointment",
        "id": "appt1",
        "status": "proposed",
        "start": "2026-03-09T09:00:00Z",
        "end": "2026-03-09T13:00:00Z",
        "basedOn": [{"reference": "ServiceRequest/sr1"}],
        "participant": [{"actor": {"reference": "Patient/pat1"}, "status": "needs-action"}],
    }
    book = _hook_body(
        "appointment-book",
        {
            "appointments": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "fullUrl": "https://ehr.example/fhir/Appointment/appt1",
                        "resource": appointment,
                    }
                ],
            }
        },
    )
    book["prefetch"]["serviceRequests"] = _orders(order)
    r.hook("crd-appointment-book", "appointment-book", book)


def _refusals(r: _Recorder) -> None:
    submit = "/fhir/Claim/$submit"
    r.fhir("outcome-not-json", "outcome", submit, b"{", status=400)
    r.fhir("outcome-no-token", "outcome", submit, pas_bundle(), status=401, role=None)
    r.fhir("outcome-wrong-role", "outcome", submit, pas_bundle(), status=403, role="nurse")
    bad = pas_bundle(claim_id="claim-bad")
    bad["entry"][0]["resource"]["item"][0]["sequence"] = "first"
    r.fhir("outcome-bad-element", "outcome", submit, bad, status=422)
    anonymous = pas_bundle(claim_id="claim-anon")
    del anonymous["identifier"]
    r.fhir("outcome-no-bundle-identifier", "outcome", submit, anonymous, status=422)
    nameless = pas_bundle(claim_id="claim-nameless")
    del nameless["entry"][1]["resource"]["name"]
    r.fhir("outcome-patient-without-name", "outcome", submit, nameless, status=422)
    r.fhir(
        "outcome-inquire-unknown",
        "outcome",
        "/fhir/Claim/$inquire",
        pas_bundle(claim_id="never-sent"),
        status=404,
    )
    other = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "coverage", "resource": coverage()},
            {"name": "order", "resource": service_request("99213")},
        ],
    }
    r.fhir(
        "outcome-dtr-nothing-to-ask",
        "outcome",
        "/fhir/Questionnaire/$questionnaire-package",
        other,
        status=404,
    )
    r.hook("outcome-crd-no-context", "order-sign", {"hook": "order-sign"}, status=400)
