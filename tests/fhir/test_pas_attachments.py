"""A PAS Bundle may carry the note behind the request: its DocumentReference attachments
and Binary resources are read like documents sent to the case, as proposals only."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medpolicy.adapters.fhir_r4.attachments import attached_documents

from .app_fixtures import Harness, make_harness
from .pas_payloads import pas_bundle

NOTE = (
    "Referral letter. Our patient has AML after a MUD allo-HCT in 2024. "
    "Marrow 02/2026: relapse confirmed. He has no GVHD. "
    "We request DLI from his original unrelated donor for relapsed AML."
)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app, raise_server_exceptions=False) as test_client:
        yield test_client


def with_attachment(bundle: dict[str, Any], *, binary: bool = False) -> dict[str, Any]:
    data = base64.b64encode(NOTE.encode()).decode()
    if binary:
        resource: dict[str, Any] = {
            "resourceType": "Binary",
            "id": "note1",
            "contentType": "text/plain",
            "data": data,
        }
    else:
        resource = {
            "resourceType": "DocumentReference",
            "id": "note1",
            "status": "current",
            "content": [
                {"attachment": {"contentType": "text/plain", "data": data, "title": "referral.txt"}}
            ],
        }
    kind = resource["resourceType"]
    bundle["entry"].append(
        {"fullUrl": f"http://ehr.example/fhir/{kind}/note1", "resource": resource}
    )
    return bundle


@pytest.mark.parametrize("binary", [False, True])
def test_an_attached_note_becomes_proposals_on_the_case_it_came_with(
    client: TestClient, harness: Harness, binary: bool
) -> None:
    bundle = with_attachment(pas_bundle(), binary=binary)
    submitted = client.post("/fhir/Claim/$submit", json=bundle, headers=harness.headers["provider"])
    assert submitted.status_code == 200, submitted.text
    queue = client.get("/v1/cases", headers=harness.headers["nurse"]).json()["items"]
    (case,) = queue
    listing = client.get(f"/v1/cases/{case['id']}/proposals", headers=harness.headers["nurse"])
    proposals = {p["fact"]: p for p in listing.json()["items"]}
    assert proposals["dli_indication"]["value"] == "relapsed_refractory_persistent"
    assert proposals["dli_indication"]["status"] == "proposed"
    assert proposals["relapse_confirmed"]["evidence"] == "relapse confirmed"
    read = client.get(f"/v1/cases/{case['id']}", headers=harness.headers["nurse"]).json()
    assert len(read["versions"]) == 1
    assert "dli_indication" not in read["request"]["facts"]


def test_only_inline_documents_are_read() -> None:
    bundle = with_attachment(pas_bundle())
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "DocumentReference",
                "status": "current",
                "content": [{"attachment": {"contentType": "text/plain", "url": "http://x/y"}}],
            }
        }
    )
    (document,) = attached_documents(bundle)
    assert document.name == "referral.txt"
    assert document.content.decode() == NOTE
