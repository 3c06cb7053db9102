"""What each letter says, built from the case before any PDF is made."""

from __future__ import annotations

from typing import Any

import pytest

from medpolicy import evaluate
from medpolicy.service.cases import cited
from medpolicy.service.letters import letter_data

from ..samples import adverse_request


def context(line_of_business: str | None, **detail: Any) -> dict[str, Any]:
    request = adverse_request()
    if line_of_business is None:
        del request["member"]
    else:
        request["member"]["line_of_business"] = line_of_business
    return {
        "case_id": "case-1",
        "priority": "expedited",
        "received_at": "2026-03-02T09:00:00+00:00",
        "due_at": "2026-03-05T09:00:00+00:00",
        "date": "2026-03-03",
        "request": request,
        "determination": evaluate(request).to_dict(),
        "reviewer": {"name": "Maya Chen, MD", "role": "physician"},
        "detail": detail,
    }


def denial(line_of_business: str | None) -> dict[str, Any]:
    base = context(line_of_business)
    base["detail"] = {
        "decision": "deny",
        "rationale": "New donor.",
        "criteria": ["dli.2"],
        "cited": cited(["dli.2"], base["determination"]),
    }
    return letter_data("adverse", base)


@pytest.mark.parametrize(
    ("line_of_business", "days", "last_day", "next_step"),
    [
        ("medicare", 65, "May 7, 2026", "Independent Review Entity"),
        ("medicaid", 60, "May 2, 2026", "fair hearing"),
        ("marketplace", 180, "August 30, 2026", "external review"),
        ("commercial", 180, "August 30, 2026", "external review"),
        (None, 60, "May 2, 2026", "independent review"),
    ],
)
def test_the_appeal_period_follows_the_line_of_business(
    line_of_business: str | None, days: int, last_day: str, next_step: str
) -> None:
    appeal = denial(line_of_business)["adverse"]["appeal"]
    assert f"within {days} calendar days" in appeal["intro"]
    assert f"that is by {last_day}" in appeal["intro"]
    assert next_step in appeal["next"]
    assert "72 hours" in appeal["fast"]


def test_an_adverse_letter_quotes_the_criterion_its_source_and_what_was_found() -> None:
    adverse = denial("medicaid")["adverse"]
    (criterion,) = adverse["criteria"]
    assert criterion == {
        "plain": "The donor lymphocytes are collected from the donor of the original stem cell "
        "transplant.",
        "citation": "MCP-210, Coverage Policy, Donor Lymphocyte Infusion, criterion 1",
        "finding": "What we found: the records we have do not show that this is met.",
    }
    assert adverse["reason"] == "New donor."
    assert "peer-to-peer" in adverse["peer_to_peer"]


def test_every_letter_names_the_case_service_and_policy_version() -> None:
    rows = dict(letter_data("approval", context("medicare"))["case_rows"])
    assert rows["Service"] == (
        "CPT 38242, Allogeneic lymphocyte infusions (donor lymphocyte infusion)"
    )
    assert rows["Date of service"] == "March 2, 2026"
    assert rows["Coverage"] == "Medicare Advantage"
    assert rows["Review"] == "Expedited (decided within 72 hours)"
    assert rows["Policy"].endswith("version of August 13, 2025")


def test_a_reconstructed_policy_version_is_named_as_such_in_the_letter() -> None:
    old = context("medicaid")
    old["request"]["service"]["date_of_service"] = "2020-05-01"
    old["determination"] = evaluate(old["request"]).to_dict()
    rows = dict(letter_data("approval", old)["case_rows"])
    assert rows["Policy"].endswith("(reconstructed from the approval history)")


def test_a_request_for_information_gives_the_date_to_answer_by_and_the_deadline() -> None:
    data = letter_data(
        "information",
        context("medicaid", questions=["Q1?"], documents=["D1"], respond_by="2026-03-04"),
    )["information"]
    assert data["respond_by"] == "March 4, 2026"
    assert "We must decide this request by March 5, 2026" in data["clock"]


def test_an_unknown_letter_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="no letter kind 'memo'"):
        letter_data("memo", context("medicaid"))
