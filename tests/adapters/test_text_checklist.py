"""The text checklist a physician signs from, read the way a reviewer reads it."""

from __future__ import annotations

from typing import Any

from medpolicy.adapters.json_request import parse_request
from medpolicy.adapters.text import render_request_text, render_text
from medpolicy.api import default_engine

DLI: dict[str, Any] = {
    "request_id": "T-1",
    "service": {"code": "38242", "date_of_service": "2026-04-10"},
    "diagnoses": ["c92.01", "Z94.84"],
    "facts": {
        "prior_hsct": "allogeneic",
        "prior_hsct_medically_necessary": True,
        "cell_source": "original_donor",
        "lymphocytes_genetically_modified": False,
        "dli_indication": "relapsed_refractory_persistent",
    },
}


def _text(request: dict[str, Any]) -> str:
    """The checklist with its line wrapping undone, as a reader takes it in."""
    return " ".join(render_request_text(request, default_engine()).split())


def _with(**facts: Any) -> dict[str, Any]:
    return {**DLI, "facts": {**DLI["facts"], **facts}}


def test_the_checklist_gives_the_date_of_service_and_the_diagnoses_with_their_titles() -> None:
    text = _text(DLI)
    assert "Date of service: 2026-04-10" in text
    assert "- C92.01 Acute myeloblastic leukemia, in remission" in text
    assert "- Z94.84 Stem cells transplant status" in text


def test_each_fact_shows_its_value_and_where_it_came_from() -> None:
    text = _text(DLI)
    assert (
        "Source of the infused cells (cell_source): The donor of the member's most recent "
        "allogeneic transplant "
        "(original_donor) [stated in the request]" in text
    )
    assert "[derived from ICD-10-CM C92.01, Acute myeloblastic leukemia, in remission]" in text
    assert "Genetically modified lymphocytes (lymphocytes_genetically_modified): no" in text


def test_a_fact_a_reviewer_entered_says_so() -> None:
    engine = default_engine()
    request = parse_request(DLI, engine.registry)
    result = engine.determine(request)
    policy = engine.registry.policy("MCP-210")
    text = render_text(result, request=request, policy=policy, reviewer_facts={"cell_source"})
    text = " ".join(text.split())
    assert "(original_donor) [entered by a reviewer]" in text
    assert "(prior_hsct): Allogeneic (cells from a donor) (allogeneic) [stated in the request]" in (
        text
    )


def test_facts_nobody_reported_are_listed_as_not_reported() -> None:
    text = _text(DLI)
    assert (
        "Not reported: Relapse confirmed; Donor chimerism (percent); High risk of relapse" in text
    )


def test_a_failed_one_of_says_in_words_why_each_option_failed() -> None:
    request = _with(dli_indication="mixed_chimerism_conversion", relapse_confirmed=False)
    request["facts"]["donor_chimerism_percent"] = 100
    text = _text(request)
    assert "[NOT MET] dli.3 " in text
    assert (
        "why not: relapse confirmed: no (needs yes); donor chimerism (percent) is 100%, "
        "not below 100%" in text
    )
    assert (
        "why not: reason for the donor lymphocyte infusion is Converting mixed to full donor "
        "chimerism, not Planned prevention of relapse" in text
    )


def test_alternatives_not_chosen_and_exclusions_that_do_not_apply_do_not_read_as_failures() -> None:
    text = _text(DLI)
    assert "Outcome: meets_criteria" in text
    assert "NOT MET" not in text
    assert "[ ]" not in text
    assert "[met] dli.3.a" in text
    assert "[not needed] dli.3.b" in text
    assert "[not needed] dli.3.c" in text
    assert "[does not apply] dli.e1" in text
    assert "[does not apply] dli.e2" in text


def test_an_exclusion_that_applies_stands_out() -> None:
    text = _text(_with(lymphocytes_genetically_modified=True))
    assert "[APPLIES] dli.e2" in text


def test_options_ruled_out_while_the_criterion_is_still_open_are_not_failures() -> None:
    request = _with(dli_indication=None)
    request["facts"] = {k: v for k, v in request["facts"].items() if v is not None}
    request["facts"]["high_risk_of_relapse"] = False
    text = _text(request)
    assert "[unknown] dli.3 " in text
    assert "[ruled out] dli.3.c" in text
    assert "NOT MET" not in text


def test_a_caution_case_shows_the_physician_review_and_the_caution() -> None:
    text = _text(_with(active_gvhd="acute"))
    assert "Outcome: meets_criteria -> next step: physician_review" in text
    assert "! active_gvhd:" in text


def test_acronyms_keep_their_case() -> None:
    boost = {
        "service": {"code": "38243", "date_of_service": "2026-02-01"},
        "diagnoses": ["C90.00"],
        "facts": {"prior_hsct": "none", "hscb_indication": "car_t_cytopenias"},
    }
    text = _text(boost)
    assert "Needed: prior CAR T-cell therapy" in text
    assert "chimeric antigen receptor T-cell (CAR T)" in text
    for wrong in ("car t", "Car T", "car T"):
        assert wrong not in text


def test_the_command_prints_the_checklist_for_a_request_file(tmp_path: Any) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "request.json"
    path.write_text(json.dumps(_with(cell_source="other_donor")), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "medpolicy.cli", "evaluate", str(path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Date of service: 2026-04-10" in done.stdout
    assert "[NOT MET] dli.2" in done.stdout
    assert "[met] dli.1" in done.stdout
