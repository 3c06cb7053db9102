"""A nurse and a physician work cases in Debian's chromium, as they would at a plan.

Each path goes through the real pages: sign in with a token, the queue, a case, a fact
found in the documentation, a request for information, and a decision with its letter,
which is then read with pdftotext and drawn with pdftoppm. No page runs any script; a
console error (a CSP refusal among them) fails the test.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from ..samples import adverse_request, pending_request
from .letters import pdf_pages_as_png, pdf_text
from .live import LiveService

pytestmark = pytest.mark.slow


def sign_in(page: Any, service: LiveService, token: str) -> None:
    page.goto(service.url + "/")
    assert page.url.endswith("/signin")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/queue")


def open_case(page: Any, case_id: str) -> None:
    page.get_by_role("link", name=f"Open {case_id[:8]}").click()
    page.wait_for_url(f"**/cases/{case_id}")


def fetch(page: Any, href: str) -> bytes:
    """Download what a link points to with the page's own session cookie."""
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200, response.status
    body: bytes = response.body()
    return body


def test_a_nurse_works_a_case_from_the_queue_to_an_approval_letter(
    page: Any, service: LiveService, tmp_path: Path
) -> None:
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    nurse = service.token("nurse", "Pat Rivera, RN")
    case_id = service.submit(provider, pending_request(), "expedited")
    sign_in(page, service, nurse)

    row = page.get_by_role("row").filter(has_text=case_id[:8])
    assert "Expedited" in row.inner_text()
    assert "71 h left" in row.inner_text()
    row.get_by_role("button").click()  # Assign to me
    page.wait_for_url("**/queue")
    assert "Pat Rivera, RN" in page.get_by_role("row").filter(has_text=case_id[:8]).inner_text()
    open_case(page, case_id)

    assert page.get_by_role("heading", name="Missing facts").is_visible()
    assert "Why is the donor lymphocyte infusion being given" in page.inner_text("main")
    assert page.locator("text=Only a physician may deny or partially approve.").is_visible()
    assert page.locator("input[value=deny]").count() == 0

    page.get_by_label("Fact and value").select_option(
        "dli_indication=relapsed_refractory_persistent"
    )
    page.get_by_label("Where you found it (note)").first.fill(
        "Oncology note of 2026-02-27: AML relapse on marrow biopsy."
    )
    page.get_by_role("button", name="Record and decide again").first.click()
    page.wait_for_url("**done=fact")
    main = page.inner_text("main")
    assert "The fact is recorded and the case was decided again." in main
    assert "Meets criteria" in main
    assert "In review" in main  # a reviewer's finding never closes the case by itself
    assert "reviewer Pat Rivera, RN" in main
    assert "Oncology note of 2026-02-27" in main
    assert "Version 2: Fact recorded by a reviewer" in main

    page.get_by_label("Questions (one per line)").fill(
        "Please send the chimerism report used to plan the infusion."
    )
    page.get_by_role("button", name="Send request and letter").click()
    page.wait_for_url("**done=information")
    assert "Waiting for information" in page.inner_text("main")

    page.get_by_role("button", name="Approve and send the letter").click()
    page.wait_for_url("**done=approve")
    main = page.inner_text("main")
    assert "Approved" in main
    assert "can no longer change" in main
    letters = page.get_by_role("link", name="(PDF)")
    assert letters.count() == 2
    information = pdf_text(fetch(page, letters.nth(0).get_attribute("href")))
    assert "We need more information" in information
    assert "Please send the chimerism report used to plan the infusion." in information
    approval_pdf = fetch(page, letters.nth(1).get_attribute("href"))
    approval = pdf_text(approval_pdf)
    assert "Prior authorization approved" in approval
    assert "CPT 38242, Allogeneic lymphocyte infusions" in approval
    assert "Pat Rivera, RN" in approval
    pdf_pages_as_png(approval_pdf, tmp_path / "approval")


def test_a_physician_denies_with_a_letter_that_names_the_criterion_and_the_appeal(
    page: Any, service: LiveService, tmp_path: Path
) -> None:
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    physician = service.token("physician", "Maya Chen, MD, Hematology")
    case_id = service.submit(provider, adverse_request(), "standard")
    service.submit(provider, pending_request(), "standard")
    sign_in(page, service, physician)
    page.get_by_label("Status").select_option("in_review")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("row").count() == 2  # the header and the one adverse case
    open_case(page, case_id)

    criterion = page.locator("ul.tree li").filter(has_text="dli.2").first
    assert "Not met" in criterion.inner_text()
    criterion.get_by_role("link").click()
    page.wait_for_url("**/policies/MCP-210?version=2025-08-13#dli.2")
    assert "criterion 1" in page.locator("li#dli\\.2").inner_text()
    page.go_back()

    page.get_by_label("Measurement").select_option("donor_chimerism_percent")
    page.get_by_label("Value", exact=True).fill("62")
    page.locator("#note-number").fill("Chimerism report 2026-02-20: 62 % donor.")
    page.get_by_role("button", name="Record and decide again").nth(1).click()
    page.wait_for_url("**done=fact")
    assert "62 %" in page.inner_text("main")

    assert page.get_by_label("Questions (one per line)").input_value() == ""  # none missing
    page.get_by_role("button", name="Send request and letter").click()
    assert "A request for information needs at least one question" in page.inner_text("main")
    page.get_by_label("Questions (one per line)").fill(
        "Who will donate the lymphocytes, and who was the donor of the 2024 transplant?"
    )
    page.get_by_role("button", name="Send request and letter").click()
    page.wait_for_url("**done=information")

    adverse = page.locator("form.adverse")
    assert adverse.get_by_label("dli.2", exact=False).is_checked()
    reason = (
        "The lymphocytes would be collected from a new, unrelated donor, not from the donor "
        "of the member's transplant; MCP-210 covers DLI only from the original donor."
    )
    adverse.get_by_label("Reason, in plain words, for the letter").fill(reason)
    adverse.get_by_role("button", name="Decide and send the letter").click()
    page.wait_for_url("**done=deny")
    assert "Denied" in page.inner_text("main")

    letter = page.get_by_role("link", name="Adverse determination letter (PDF)")
    pdf = fetch(page, letter.get_attribute("href"))
    text = pdf_text(pdf)
    for expected in (
        "Prior authorization denied",
        "The lymphocytes would be collected from a new, unrelated donor",
        "The donor lymphocytes are collected from the donor of the original stem cell",
        "Source: MCP-210, Coverage Policy, Donor Lymphocyte Infusion, criterion 1",
        "Maya Chen, MD, Hematology",
        "Physician reviewer",
        "peer-to-peer",
        "within 60 calendar days",
        "state for a fair hearing",
        "M0001",
    ):
        assert expected in " ".join(text.split()), expected
    pngs = pdf_pages_as_png(pdf, tmp_path / "adverse")
    assert len(pngs) >= 1


def test_a_provider_token_does_not_open_the_workbench(page: Any, service: LiveService) -> None:
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    page.goto(service.url + "/signin")
    page.get_by_label("Token").fill(provider)
    page.get_by_role("button", name="Sign in").click()
    assert "A provider token cannot open the reviewer workbench." in page.inner_text("main")
    page.goto(service.url + "/queue")
    assert page.url.endswith("/signin")


def test_after_fifteen_idle_minutes_the_next_click_asks_for_the_token_again(
    page: Any, service: LiveService
) -> None:
    nurse = service.token("nurse", "Pat Rivera, RN")
    sign_in(page, service, nurse)
    service.clock.advance(timedelta(minutes=15, seconds=1))
    page.get_by_role("link", name="My cases").click()
    page.wait_for_url("**/signin?ended=idle")
    assert "signed out after 15 minutes without activity" in page.inner_text("main")


def test_a_form_with_a_forged_csrf_token_is_refused(page: Any, service: LiveService) -> None:
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    nurse = service.token("nurse", "Pat Rivera, RN")
    case_id = service.submit(provider, adverse_request())
    sign_in(page, service, nurse)
    open_case(page, case_id)
    page.locator("form.card").last.locator("input[name=csrf]").evaluate(
        "field => { field.value = 'forged'; }"
    )
    page.get_by_label("Why more time is needed").fill("Waiting for the transplant summary.")
    page.get_by_role("button", name="Extend").click()
    assert "Form refused" in page.inner_text("main")
    page.goto(service.url + f"/cases/{case_id}")
    assert "extended" not in page.inner_text("p.facts-line")


def test_a_stale_form_is_refused_and_shows_what_changed(page: Any, service: LiveService) -> None:
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    nurse = service.token("nurse", "Pat Rivera, RN")
    case_id = service.submit(provider, adverse_request())
    sign_in(page, service, nurse)
    open_case(page, case_id)
    other = page.context.new_page()
    other.goto(service.url + f"/cases/{case_id}")
    other.get_by_label("Why more time is needed").fill("Waiting for the transplant summary.")
    other.get_by_role("button", name="Extend").click()
    other.wait_for_url("**done=extension")
    page.get_by_role("button", name="Approve and send the letter").click()
    main = page.inner_text("main")
    assert "The case changed while you were looking at it" in main
    assert "Deadline extended" in main
    assert "Waiting for the transplant summary." in main
    page.get_by_role("link", name="Open the case as it is now").click()
    assert "In review" in page.inner_text("main")


def test_a_nurse_accepts_a_fact_proposed_from_a_document(page: Any, service: LiveService) -> None:
    provider = service.token("provider", "Hope Oncology intake", org="hope-oncology")
    nurse = service.token("nurse", "Pat Rivera, RN")
    case_id = service.submit(provider, pending_request(), "standard")
    sent = httpx.post(
        f"{service.url}/v1/cases/{case_id}/documents",
        json={
            "name": "clinic-note.txt",
            "text": "Transplant clinic, 2026-02-27\n"
            "AML after a MUD allo-HCT in 2024. Marrow 02/2026: relapse confirmed.\n"
            "Plan: DLI from his original unrelated donor for relapsed AML.\n",
        },
        headers={"Authorization": f"Bearer {provider}"},
        timeout=30,
    )
    assert sent.status_code == 201, sent.text
    sign_in(page, service, nurse)
    open_case(page, case_id)

    proposals = page.locator("section[aria-labelledby=h-proposals]")
    row = proposals.get_by_role("row").filter(has_text="Reason for the donor lymphocyte infusion")
    assert "DLI from his original unrelated donor for relapsed AML" in row.inner_text()
    assert "clinic-note.txt" in row.inner_text()
    assert proposals.get_by_role("button", name="Accept").count() == len(sent.json()["proposals"])
    row.get_by_role("button", name="Accept").click()
    page.wait_for_url("**done=proposal")
    main = page.inner_text("main")
    assert "The proposed fact is accepted and the case was decided again." in main
    assert "document, accepted by reviewer (clinic-note.txt)" in main
    assert "Version 2: Fact accepted from a document" in main
    assert "Approved" in main
