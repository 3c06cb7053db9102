"""Documents on a case: facts proposed with their evidence, accepted one at a time by a
nurse or physician, and never deciding the case by themselves."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from medpolicy.service.documents import SOURCE

from .samples import adverse_request, dli_request, if_match, pending_request

NOTE = (
    "BMT clinic, 03/01/2026\n"
    "60M with AML after RIC allo-HCT from an 8/8 MUD (04/2024).\n"
    "Marrow 02/25/2026: relapse confirmed.\n"
    "No GVHD.\n"
    "Plan: DLI from his original unrelated donor for relapsed AML.\n"
    "His sister has breast cancer.\n"
)


def pdf_with_text(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (Helvetica, one line each)."""
    shown = " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*"
        for line in lines
    )
    stream = f"BT /F1 11 Tf 50 750 Td 14 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
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


def open_case(client: TestClient, headers: dict[str, dict[str, str]], request: Any) -> Any:
    response = client.post(
        "/v1/cases", json={"request": request, "priority": "standard"}, headers=headers["provider"]
    )
    assert response.status_code == 201, response.text
    return response.json()


def proposals_by_fact(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["fact"]: p for p in document["proposals"]}


def test_a_text_document_proposes_facts_with_evidence_and_changes_nothing(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = open_case(client, headers, pending_request())
    sent = client.post(
        f"/v1/cases/{case['id']}/documents",
        content=NOTE.encode(),
        headers={**headers["provider"], "Content-Type": "text/plain; charset=utf-8"},
    )
    assert sent.status_code == 201, sent.text
    document = sent.json()
    proposed = proposals_by_fact(document)
    assert proposed["dli_indication"]["value"] == "relapsed_refractory_persistent"
    assert proposed["relapse_confirmed"]["value"] is True
    assert proposed["active_gvhd"]["value"] == "none"
    for proposal in document["proposals"]:
        start, end = proposal["span"]
        assert NOTE[start:end] == proposal["evidence"]
    assert any(a["kind"] == "family" for a in document["set_aside"])
    after = client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()
    assert after["status"] == case["status"] == "pending_information"
    assert len(after["versions"]) == 1
    assert after["request"] == case["request"]


def test_a_reviewer_accepts_one_proposal_and_the_case_is_decided_again(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = open_case(client, headers, pending_request())
    document = client.post(
        f"/v1/cases/{case['id']}/documents",
        json={"name": "clinic.txt", "text": NOTE},
        headers=headers["provider"],
    ).json()
    proposal = proposals_by_fact(document)["dli_indication"]
    url = f"/v1/cases/{case['id']}/proposals/{proposal['id']}/accept"

    refused = client.post(url, headers=headers["provider"])
    assert refused.status_code == 403

    accepted = client.post(url, headers=headers["nurse"])
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["request"]["facts"]["dli_indication"] == "relapsed_refractory_persistent"
    assert body["determination"]["facts"]["dli_indication"]["source"] == SOURCE
    assert body["versions"][-1]["kind"] == "document"
    assert body["status"] == "approved"
    event = next(e for e in body["events"] if e["kind"] == "accepted_fact")
    assert event["detail"]["evidence"] == proposal["evidence"]
    assert set(body["request"]["facts"]) == set(case["request"]["facts"]) | {"dli_indication"}

    again = client.post(url, headers=headers["nurse"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] in {"proposal_already_accepted", "case_closed"}
    listing = client.get(f"/v1/cases/{case['id']}/proposals", headers=headers["provider"]).json()
    states = {p["fact"]: p["status"] for p in listing["items"]}
    assert states["dli_indication"] == "accepted"
    assert states["relapse_confirmed"] == "proposed"


def test_an_accepted_proposal_that_changes_a_known_fact_goes_to_a_reviewer(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = open_case(client, headers, adverse_request())
    assert case["status"] == "in_review"
    document = client.post(
        f"/v1/cases/{case['id']}/documents", json={"text": NOTE}, headers=headers["provider"]
    ).json()
    proposal = proposals_by_fact(document)["cell_source"]
    accepted = client.post(
        f"/v1/cases/{case['id']}/proposals/{proposal['id']}/accept", headers=headers["physician"]
    ).json()
    assert accepted["determination"]["outcome"] == "meets_criteria"
    assert accepted["status"] == "in_review"
    assert accepted["changed_facts"]


def test_a_pdf_with_a_text_layer_is_read_like_text(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = open_case(client, headers, pending_request())
    pdf = pdf_with_text(NOTE.splitlines())
    raw = client.post(
        f"/v1/cases/{case['id']}/documents",
        content=pdf,
        headers={**headers["provider"], "Content-Type": "application/pdf"},
    )
    assert raw.status_code == 201, raw.text
    as_json = client.post(
        f"/v1/cases/{case['id']}/documents",
        json={"name": "letter.pdf", "pdf_base64": base64.b64encode(pdf).decode()},
        headers=headers["nurse"],
    )
    assert as_json.status_code == 201, as_json.text
    for document in (raw.json(), as_json.json()):
        assert document["media_type"] == "application/pdf"
        proposed = proposals_by_fact(document)
        assert proposed["dli_indication"]["value"] == "relapsed_refractory_persistent"
        assert proposed["cell_source"]["value"] == "original_donor"


def test_documents_that_cannot_be_read_are_refused_with_the_field_and_what_is_accepted(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = open_case(client, headers, pending_request())
    url = f"/v1/cases/{case['id']}/documents"
    scanned = pdf_with_text([])
    cases = [
        ({"Content-Type": "image/png"}, b"\x89PNG", "unsupported_document", "Content-Type"),
        ({"Content-Type": "application/pdf"}, scanned, "empty_document", "document"),
        ({"Content-Type": "application/pdf"}, b"%PDF-1.4 broken", "invalid_document", "document"),
        ({"Content-Type": "text/plain"}, b"\xff\xfe\x00bad", "invalid_document", "document"),
        ({"Content-Type": "application/json"}, b'{"text": 5}', "invalid_document", "text"),
    ]
    for extra, content, code, field in cases:
        response = client.post(url, content=content, headers={**headers["provider"], **extra})
        assert response.status_code == 422, (code, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == (code, field)
        assert error["accepted"]


def test_an_unknown_proposal_is_a_404_naming_the_proposals_waiting(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = open_case(client, headers, pending_request())
    client.post(f"/v1/cases/{case['id']}/documents", json={"text": NOTE}, headers=headers["nurse"])
    response = client.post(
        f"/v1/cases/{case['id']}/proposals/nope/accept", headers=headers["nurse"]
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["field"] == "proposal_id"
    assert ".dli_indication" in error["accepted"]


def test_another_organizations_provider_cannot_send_documents(
    client: TestClient, headers: dict[str, dict[str, str]], make_token: Any
) -> None:
    case = open_case(client, headers, pending_request())
    other = make_token("provider", org="elsewhere")
    response = client.post(f"/v1/cases/{case['id']}/documents", json={"text": NOTE}, headers=other)
    assert response.status_code == 404


def test_an_accepted_fact_keeps_its_document_source_in_later_versions(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    request = dli_request(dli_indication=None, lymphocytes_genetically_modified=None)
    case = open_case(client, headers, request)
    document = client.post(
        f"/v1/cases/{case['id']}/documents",
        json={"name": "clinic-2026-03-01.txt", "text": NOTE},
        headers=headers["provider"],
    ).json()
    proposal = proposals_by_fact(document)["dli_indication"]
    accepted = client.post(
        f"/v1/cases/{case['id']}/proposals/{proposal['id']}/accept", headers=headers["nurse"]
    ).json()
    assert accepted["status"] == "pending_information"
    source = {"id": document["document_id"], "name": "clinic-2026-03-01.txt"}
    assert accepted["determination"]["facts"]["dli_indication"]["document"] == source

    later = client.post(
        f"/v1/cases/{case['id']}/information",
        json={"facts": {"lymphocytes_genetically_modified": False}},
        headers={**headers["provider"], **if_match(accepted)},
    )
    assert later.status_code == 200, later.text
    body = later.json()
    assert len(body["versions"]) == 3
    entry = body["determination"]["facts"]["dli_indication"]
    assert entry["source"] == SOURCE
    assert entry["document"] == source
    assert body["determination"]["facts"]["lymphocytes_genetically_modified"]["source"] == (
        "request"
    )
    versions = client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()["versions"]
    assert versions[-1]["determination"]["facts"]["dli_indication"]["source"] == SOURCE


def test_a_fact_the_provider_changes_after_acceptance_is_the_providers_again(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    request = dli_request(dli_indication=None, lymphocytes_genetically_modified=None)
    case = open_case(client, headers, request)
    document = client.post(
        f"/v1/cases/{case['id']}/documents", json={"text": NOTE}, headers=headers["provider"]
    ).json()
    proposal = proposals_by_fact(document)["dli_indication"]
    accepted = client.post(
        f"/v1/cases/{case['id']}/proposals/{proposal['id']}/accept", headers=headers["nurse"]
    ).json()
    changed = client.post(
        f"/v1/cases/{case['id']}/information",
        json={"facts": {"dli_indication": "relapse_prophylaxis"}},
        headers={**headers["provider"], **if_match(accepted)},
    ).json()
    entry = changed["determination"]["facts"]["dli_indication"]
    assert entry == {"value": "relapse_prophylaxis", "source": "request"}
