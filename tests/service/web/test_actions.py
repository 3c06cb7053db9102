"""A reviewer's actions through the workbench's forms, on SQLite and PostgreSQL: recording
a fact, asking for information, deciding, extending; the service's rules apply to each."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from medpolicy.service import audit
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry, CaseLetter
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

from ...fhir.pas_payloads import pas_bundle
from ..samples import adverse_request, pending_request
from .helpers import case_form, sign_in
from .letters import pdf_text

NOTE = "Oncology note of 2026-02-27, page 2: relapse on marrow biopsy."


def submit(client: TestClient, headers: dict[str, dict[str, str]], request: dict[str, Any]) -> str:
    answer = client.post(
        "/v1/cases", json={"request": request, "priority": "standard"}, headers=headers["provider"]
    )
    assert answer.status_code == 201, answer.text
    case_id: str = answer.json()["id"]
    return case_id


def signed_in(client: TestClient, database: Database, clock: FixedClock, role: str) -> None:
    name = {"nurse": "Pat Rivera, RN", "physician": "Maya Chen, MD"}[role]
    issued = TokenDesk(database, clock).issue(SYSTEM, role=role, org=None, name=name)
    assert sign_in(client, issued.secret).status_code == 303


def api_case(client: TestClient, headers: dict[str, dict[str, str]], case_id: str) -> Any:
    return client.get(f"/v1/cases/{case_id}", headers=headers["physician"]).json()


def post(client: TestClient, case_id: str, action: str, **fields: Any) -> Any:
    csrf, revision = case_form(client, case_id)
    return client.post(
        f"/cases/{case_id}/{action}", data={"csrf": csrf, "revision": revision, **fields}
    )


def test_a_recorded_fact_decides_the_case_again_and_keeps_the_earlier_version(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, pending_request())
    signed_in(client, database, clock, "nurse")
    answer = post(
        client, case_id, "facts", entry="dli_indication=relapsed_refractory_persistent", note=NOTE
    )
    assert answer.status_code == 200
    assert "The fact is recorded and the case was decided again." in answer.text
    case = api_case(client, headers, case_id)
    assert [v["kind"] for v in case["versions"]] == ["submitted", "reviewer"]
    assert "dli_indication" not in case["versions"][0]["request"]["facts"]
    assert case["versions"][1]["determination"]["outcome"] == "meets_criteria"
    assert case["status"] == "in_review"  # the reviewer approves it, with its letter
    (event,) = case["events"]
    assert event["kind"] == "reviewer_fact"
    assert event["detail"] == {"fact": "dli_indication", "note": NOTE, "version": 2}
    assert "reviewer Pat Rivera, RN" in answer.text
    assert NOTE in answer.text
    assert "Version 2: Fact recorded by a reviewer" in answer.text


def test_a_fact_the_reviewer_corrects_shows_its_earlier_value(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    signed_in(client, database, clock, "physician")
    answer = post(client, case_id, "facts", entry="cell_source=original_donor", note=NOTE)
    row = answer.text.split("Source of the infused cells", 1)[1].split("</tr>", 1)[0]
    assert "The donor of the member&#39;s most recent allogeneic transplant" in row
    assert "Changed" in row
    assert "A different donor (provider request, version 1" in row
    assert "by physician Maya Chen, MD, sent to review" in row
    case = api_case(client, headers, case_id)
    assert [e["kind"] for e in case["events"]] == ["reviewer_fact", "fact_change"]
    assert case["status"] == "in_review"


def test_a_fact_the_provider_changes_is_highlighted_for_the_reviewer(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    client.post(
        f"/v1/cases/{case_id}/information",
        json={"facts": {"cell_source": "original_donor"}},
        headers={**headers["provider"], "If-Match": '"1"'},
    )
    signed_in(client, database, clock, "nurse")
    page = client.get(f"/cases/{case_id}").text
    row = page.split("Source of the infused cells", 1)[1].split("</tr>", 1)[0]
    assert 'class="changed"' in page.split("Source of the infused cells", 1)[0].rsplit("<tr", 1)[1]
    assert "flag-changed" in row
    assert (
        "A different donor (request) -&gt; The donor of the member&#39;s most recent allogeneic "
        "transplant (request), version 2, by provider t-provider, sent to review"
    ) in row
    assert "Facts changed, sent to review" in page


@pytest.mark.parametrize(
    "refused",
    [
        ({"entry": "dli_indication=other", "note": "  "}, "needs a note saying where"),
        ({"entry": "dli_indication=sometimes", "note": NOTE}, "is not a value of this fact"),
        (
            {"fact": "donor_chimerism_percent", "number": "150", "note": NOTE},
            "Accepted: a number from 0 to 100",
        ),
        ({"fact": "donor_chimerism_percent", "number": "lots", "note": NOTE}, "not accepted"),
    ],
)
def test_a_fact_that_is_not_accepted_is_refused_and_nothing_changes(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
    refused: tuple[dict[str, str], str],
) -> None:
    fields, message = refused
    case_id = submit(client, headers, pending_request())
    signed_in(client, database, clock, "nurse")
    answer = post(client, case_id, "facts", **fields)
    assert answer.status_code == 422
    assert message in answer.text
    assert len(api_case(client, headers, case_id)["versions"]) == 1


def test_a_request_for_information_sends_a_letter_with_the_missing_questions(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, pending_request())
    signed_in(client, database, clock, "nurse")
    page = client.get(f"/cases/{case_id}").text
    questions = page.split('name="questions"', 1)[1].split("</textarea>", 1)[0]
    assert "Why is the donor lymphocyte infusion being given" in questions
    answer = post(
        client,
        case_id,
        "information-request",
        questions=questions.split(">", 1)[1],
        documents="Oncology consultation note",
        respond_by="2026-03-06",
    )
    assert "Information requested" in answer.text
    case = api_case(client, headers, case_id)
    assert case["status"] == "pending_information"
    (letter,) = case["letters"]
    assert letter["kind"] == "information"
    pdf = client.get(letter["href"], headers=headers["provider"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == letter["sha256"]
    text = " ".join(pdf_text(pdf.content).split())
    assert "Why is the donor lymphocyte infusion being given" in text
    assert "Please send it by March 6, 2026" in text
    assert "Oncology consultation note" in text
    from_page = client.get(f"/cases/{case_id}/letters/{letter['id']}")
    assert from_page.content == pdf.content
    with database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.case_id == case_id)))  # fmt: skip
    assert "letter.create" in actions
    assert actions.count("letter.read") == 2


def test_a_nurse_cannot_deny_even_by_posting_the_form(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    signed_in(client, database, clock, "nurse")
    answer = post(
        client,
        case_id,
        "decision",
        decision="deny",
        criteria="dli.2",
        rationale="The cells would come from a new donor, not the original one.",
    )
    assert answer.status_code == 403
    assert "A nurse token may not deny." in answer.text
    assert api_case(client, headers, case_id)["status"] == "in_review"


def test_a_physicians_denial_needs_a_criterion_and_a_reason(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    signed_in(client, database, clock, "physician")
    answer = post(client, case_id, "decision", decision="deny", rationale="No.")
    assert answer.status_code == 422
    assert "must name at least one criterion" in answer.text
    answer = post(
        client,
        case_id,
        "decision",
        decision="partially_approve",
        criteria="dli.2",
        rationale="The cells would come from a new donor, not the original one.",
    )
    assert "Partially approved; the letter is stored with the case." in answer.text
    case = api_case(client, headers, case_id)
    assert case["status"] == "partially_approved"
    (letter,) = case["letters"]
    text = " ".join(pdf_text(client.get(letter["href"], headers=headers["physician"]).content)
                    .split())  # fmt: skip
    assert "Prior authorization partially approved" in text
    assert "Maya Chen, MD" in text


def test_a_form_drawn_before_a_change_is_refused_with_the_change_shown(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, pending_request())
    signed_in(client, database, clock, "nurse")
    csrf, revision = case_form(client, case_id)
    client.post(
        f"/v1/cases/{case_id}/information",
        json={"facts": {"dli_indication": "relapse_prophylaxis"}},
        headers={**headers["provider"], "If-Match": '"1"'},
    )
    answer = client.post(
        f"/cases/{case_id}/extension",
        data={"csrf": csrf, "revision": revision, "reason": "Waiting for records."},
    )
    assert answer.status_code == 409
    assert "The case changed while you were looking at it" in answer.text
    assert "Version 2: Information added" in answer.text
    assert api_case(client, headers, case_id)["extended_at"] is None


def test_an_extension_with_a_reason_moves_the_deadline(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, pending_request())
    signed_in(client, database, clock, "nurse")
    answer = post(client, case_id, "extension", reason="The provider asked for more time.")
    assert "The deadline is extended." in answer.text
    assert api_case(client, headers, case_id)["due_at"].startswith("2026-03-23")


def test_a_stored_letter_cannot_be_changed_or_deleted(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    signed_in(client, database, clock, "physician")
    post(client, case_id, "decision", decision="approve", rationale="")
    for statement in ("UPDATE case_letters SET kind = 'adverse'", "DELETE FROM case_letters"):
        with pytest.raises(DBAPIError, match="immutable"), database.transaction() as session:
            session.execute(text(statement))
    assert api_case(client, headers, case_id)["letters"][0]["kind"] == "approval"


def test_the_audit_log_vouches_for_each_letter_sent(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    signed_in(client, database, clock, "physician")
    post(client, case_id, "decision", decision="approve", rationale="")
    (letter,) = api_case(client, headers, case_id)["letters"]
    with database.transaction() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(
                AuditEntry.case_id == case_id, AuditEntry.action == "letter.create"
            )
        )
        row = session.get(CaseLetter, letter["id"])
        assert row is not None
        assert entry.rows is not None
        assert entry.rows[f"case_letters/{letter['id']}"] == audit.row_digest(row)
        assert audit.verify(session).ok
    if database.is_sqlite:  # the owner can drop the guard; the log still tells
        with database.transaction() as session:
            session.execute(text("DROP TRIGGER case_letters_no_update"))
            session.execute(text("UPDATE case_letters SET pdf = X'00'"))
        with database.transaction() as session:
            problems = audit.verify(session).row_problems
        assert problems == [
            f"case_letters/{letter['id']} differs from what audit entry {entry.seq} recorded"
        ]


def test_a_physician_token_without_a_name_cannot_sign_a_denial(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, adverse_request())
    issued = TokenDesk(database, clock).issue(SYSTEM, role="physician", org=None, name=None)
    sign_in(client, issued.secret)
    answer = post(
        client,
        case_id,
        "decision",
        decision="deny",
        criteria="dli.2",
        rationale="The cells would come from a new donor, not the original one.",
    )
    assert answer.status_code == 422
    assert "names the physician who made it, with credentials; this token has no name" in (
        answer.text
    )
    assert api_case(client, headers, case_id)["status"] == "in_review"


DOCUMENT = (
    "Transplant clinic, 2026-02-27\n"
    "AML after a MUD allo-HCT in 2024. Marrow 02/2026: relapse confirmed.\n"
    "Plan: DLI from his original unrelated donor for relapsed AML.\n"
)


def test_a_nurse_accepts_a_proposed_fact_from_the_case_page(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    case_id = submit(client, headers, pending_request())
    sent = client.post(
        f"/v1/cases/{case_id}/documents",
        json={"name": "clinic-note.txt", "text": DOCUMENT},
        headers=headers["provider"],
    )
    assert sent.status_code == 201, sent.text
    proposal = next(p for p in sent.json()["proposals"] if p["fact"] == "dli_indication")
    signed_in(client, database, clock, "nurse")
    page = client.get(f"/cases/{case_id}").text
    section = page.split('id="h-proposals"', 1)[1].split("</section>", 1)[0]
    assert "<q>DLI from his original unrelated donor for relapsed AML</q>" in section
    assert "clinic-note.txt" in section
    assert f"/cases/{case_id}/proposals/{proposal['id']}/accept" in section

    csrf, revision = case_form(client, case_id)
    url = f"/cases/{case_id}/proposals/{proposal['id']}/accept"
    forged = client.post(url, data={"csrf": "wrong", "revision": revision})
    assert forged.status_code == 403
    assert len(api_case(client, headers, case_id)["versions"]) == 1

    answer = client.post(url, data={"csrf": csrf, "revision": revision})
    assert answer.status_code == 200
    assert "The proposed fact is accepted and the case was decided again." in answer.text
    assert "document, accepted by reviewer (clinic-note.txt)" in answer.text
    case = api_case(client, headers, case_id)
    assert [v["kind"] for v in case["versions"]] == ["submitted", "document"]
    assert case["determination"]["facts"]["dli_indication"]["source"] == (
        "document, accepted by reviewer"
    )
    section = answer.text.split('id="h-proposals"', 1)[1].split("</section>", 1)[0]
    assert f"/proposals/{proposal['id']}/accept" not in section
    assert "Accepted" in section

    again = client.post(url, data={"csrf": csrf, "revision": revision})
    assert again.status_code == 409  # the page was drawn before the acceptance
    assert len(api_case(client, headers, case_id)["versions"]) == 2


def test_a_pas_attachment_that_was_not_read_is_named_on_the_case_page(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    headers: dict[str, dict[str, str]],
) -> None:
    bundle = pas_bundle(claim_id="claim-unread")
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "DocumentReference",
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
            }
        }
    )
    submitted = client.post("/fhir/Claim/$submit", json=bundle, headers=headers["provider"])
    assert submitted.status_code == 200, submitted.text
    case_id = submitted.json()["entry"][0]["resource"]["preAuthRef"]
    signed_in(client, database, clock, "nurse")
    page = client.get(f"/cases/{case_id}").text
    section = page.split('id="h-proposals"', 1)[1].split("</section>", 1)[0]
    assert "Document chimerism.pdf was not read: it is given only by URL" in section
    assert "Ask the provider for it." in section
    assert "Document not read: chimerism.pdf" in page
