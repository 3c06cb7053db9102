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


def scanned_pdf() -> bytes:
    """A one-page PDF with no text layer (what a scanner without OCR produces)."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def document_reference(title: str, attachment: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "DocumentReference",
            "status": "current",
            "content": [{"attachment": {"title": title, **attachment}}],
        }
    }


def test_attachments_that_cannot_be_read_are_named_on_the_case_and_in_the_answer(
    client: TestClient, harness: Harness
) -> None:
    bundle = with_attachment(pas_bundle())
    bundle["entry"] += [
        document_reference(
            "chimerism-report.pdf",
            {"contentType": "application/pdf", "url": "http://169.254.169.254/latest/meta-data"},
        ),
        document_reference(
            "scan.pdf",
            {"contentType": "application/pdf", "data": base64.b64encode(scanned_pdf()).decode()},
        ),
        document_reference(
            "photo.png", {"contentType": "image/png", "data": base64.b64encode(b"\x89PNG").decode()}
        ),
    ]
    submitted = client.post("/fhir/Claim/$submit", json=bundle, headers=harness.headers["provider"])
    assert submitted.status_code == 200, submitted.text
    response = submitted.json()["entry"][0]["resource"]
    notes = [n["text"] for n in response["processNote"]]
    assert any("'chimerism-report.pdf' was not read: it is given only by URL" in n for n in notes)
    assert any("'scan.pdf' was not read" in n and "text layer" in n for n in notes)
    assert any("'photo.png' was not read" in n and "image/png" in n for n in notes)
    assert not any("referral.txt" in n for n in notes)
    (case,) = client.get("/v1/cases", headers=harness.headers["nurse"]).json()["items"]
    read = client.get(f"/v1/cases/{case['id']}", headers=harness.headers["nurse"]).json()
    unread = {
        e["detail"]["name"]: e["detail"] for e in read["events"] if e["kind"] == "unread_document"
    }
    assert set(unread) == {"chimerism-report.pdf", "scan.pdf", "photo.png"}
    assert unread["chimerism-report.pdf"]["code"] == "url_only"
    assert unread["scan.pdf"]["code"] == "empty_document"
    assert unread["photo.png"]["code"] == "unsupported_document"
    assert all("169.254" not in str(detail) for detail in unread.values())
    listing = client.get(f"/v1/cases/{case['id']}/proposals", headers=harness.headers["nurse"])
    assert {p["document_name"] for p in listing.json()["items"]} == {"referral.txt"}
    assert len(read["versions"]) == 1


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
