"""What MCP-210's revision of 2026-12-02 changed in the words people read: questions a
provider's office can answer, the evidence summary with the source's own contradictions
noted, and the title the policy had in the period of the reconstructed version."""

from __future__ import annotations

from medpolicy import evaluate
from medpolicy.policy.registry import default_registry
from medpolicy.policy.render import policy_to_dict, render_markdown

POLICY = default_registry().policy("MCP-210")
assert POLICY is not None


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_medical_necessity_question_asks_what_an_office_can_show() -> None:
    question = POLICY.facts["prior_hsct_medically_necessary"].question
    assert "approved or authorized by a health plan" in question
    assert "documented as meeting" in question


def test_the_cell_source_names_the_donor_of_the_most_recent_allogeneic_transplant() -> None:
    fact = POLICY.facts["cell_source"]
    assert "most recent allogeneic transplant" in fact.question
    assert fact.value_labels["original_donor"] == (
        "The donor of the member's most recent allogeneic transplant"
    )


def test_a_dli_for_a_disease_that_is_not_a_cancer_is_not_asked_about_a_blood_cancer() -> None:
    result = evaluate(
        {
            "service": {"code": "38242", "date_of_service": "2026-03-02"},
            "facts": {
                "diagnosis_category": "non_malignant",
                "dli_indication": "mixed_chimerism_conversion",
            },
        }
    )
    assert "blood cancer" not in POLICY.facts["relapse_confirmed"].question
    asked = " ".join(m.question for m in result.missing)
    assert "blood cancer" not in asked


def test_the_2014_version_shows_the_title_of_its_period() -> None:
    old = render_markdown(POLICY, "2014-11-11")
    assert old.splitlines()[0] == "# MCP-210: Donor Lymphocyte Infusion"
    current = render_markdown(POLICY)
    assert current.splitlines()[0] == (
        "# MCP-210: Donor Lymphocyte Infusion and Hematopoietic Stem Cell Boosts"
    )
    decided = evaluate({"service": {"code": "38242", "date_of_service": "2020-06-01"}})
    assert decided.policy is not None
    assert decided.policy.title == "Donor Lymphocyte Infusion"
    versions = {v["id"]: v["title"] for v in policy_to_dict(POLICY)["versions"]}
    assert versions["2014-11-11"] == "Donor Lymphocyte Infusion"


def test_poor_graft_function_is_not_called_graft_failure() -> None:
    shahzad = next(e for e in POLICY.evidence if e.id == "shahzad-2021")
    assert "poor graft function is not graft failure" in _flat(shahzad.summary)
    assert "grafts were failing" not in shahzad.summary


def test_the_fraint_thresholds_are_low_counts_not_full_blood_counts() -> None:
    fraint = next(e for e in POLICY.evidence if e.id == "fraint-2023")
    assert "full blood counts" not in fraint.summary
    assert any("low thresholds" in figure for figure in fraint.key_figures)


def test_policy_show_notes_where_the_source_contradicts_itself() -> None:
    shown = _flat(render_markdown(POLICY))
    notes = shown.count("Noted discrepancy in the source:")
    assert notes >= 4
    assert '"Fraint et al. (2024)"' in shown
    assert "0.067" in shown
    assert "cited to the wrong paper" in shown
    listed = {e["id"]: e["discrepancies"] for e in policy_to_dict(POLICY)["evidence"]}
    assert listed["wei-2025"]
    assert listed["nccn-2025-t-cell-lymphomas"]
