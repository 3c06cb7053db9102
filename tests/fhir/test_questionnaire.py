"""DTR questionnaires come from the policy's data, and answers come back as facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from medpolicy import evaluate
from medpolicy.adapters.fhir_r4 import (
    FhirInputError,
    build_questionnaire,
    facts_from_response,
    parse_response,
    questionnaire_package,
)
from medpolicy.api import default_engine
from medpolicy.policy.registry import default_registry

from .pas_payloads import answers, package_parameters

POLICY = default_registry().policies[0]
CURRENT = POLICY.version_on(date(2026, 3, 2))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _items(section: str) -> dict[str, dict[str, Any]]:
    assert CURRENT is not None
    relevance = default_engine().relevance(POLICY, CURRENT, section)
    built = build_questionnaire(POLICY, CURRENT, section, relevance)
    Questionnaire.model_validate(built)
    return {item["linkId"]: item for item in built["item"]}


def test_every_item_is_a_fact_of_the_dictionary_with_its_question() -> None:
    items = _items("hematopoietic_stem_cell_boost")
    for link_id, item in items.items():
        assert item["text"] == POLICY.facts[link_id].question


def test_choice_answers_are_codings_whose_code_is_the_fact_value() -> None:
    item = _items("donor_lymphocyte_infusion")["prior_hsct"]
    assert item["type"] == "choice"
    codes = [o["valueCoding"]["code"] for o in item["answerOption"]]
    assert codes == list(POLICY.facts["prior_hsct"].values)


def test_yes_no_questions_are_booleans_and_numbers_decimals() -> None:
    items = _items("hematopoietic_stem_cell_boost")
    assert items["prior_car_t"]["type"] == "boolean"
    assert items["donor_chimerism_percent"]["type"] == "decimal"


def test_chimerism_is_asked_only_for_the_chimerism_indication() -> None:
    item = _items("hematopoietic_stem_cell_boost")["donor_chimerism_percent"]
    assert item["enableWhen"] == [
        {
            "question": "hscb_indication",
            "operator": "=",
            "answerCoding": {
                "system": "http://127.0.0.1:8210/fhir/CodeSystem/mcp-210-hscb-indication",
                "code": "chimerism_enhancement",
                "display": POLICY.facts["hscb_indication"].value_labels["chimerism_enhancement"],
            },
        }
    ]


def test_a_question_that_matters_whatever_else_is_answered_always_shows() -> None:
    assert "enableWhen" not in _items("donor_lymphocyte_infusion")["prior_hsct"]
    hscb = _items("hematopoietic_stem_cell_boost")
    assert "enableWhen" not in hscb["prior_hsct"]
    assert "enableWhen" not in hscb["prior_car_t"]


def test_the_disease_is_asked_once_an_allogeneic_transplant_could_make_it_decide() -> None:
    item = _items("donor_lymphocyte_infusion")["diagnosis_category"]
    shown_for = {
        (e["question"], str(e.get("answerCoding", {}).get("code"))) for e in item["enableWhen"]
    }
    assert ("prior_hsct", "allogeneic") in shown_for


def test_the_indication_for_donor_lymphocytes_is_asked_only_after_a_donor_transplant() -> None:
    item = _items("donor_lymphocyte_infusion")["dli_indication"]
    assert [(e["question"], e["answerCoding"]["code"]) for e in item["enableWhen"]] == [
        ("prior_hsct", "allogeneic")
    ]
    outcomes = {
        evaluate(
            {
                "service": {"code": "38242", "date_of_service": "2026-03-02"},
                "facts": {"prior_hsct": "autologous", "dli_indication": indication},
            }
        ).outcome
        for indication in POLICY.facts["dli_indication"].values
    }
    assert outcomes == {"does_not_meet_criteria"}


def test_a_question_shown_for_several_answers_shows_when_any_holds() -> None:
    item = _items("hematopoietic_stem_cell_boost")["hscb_indication"]
    assert item["enableBehavior"] == "any"
    assert {(e["question"], e["answerCoding"]["code"]) for e in item["enableWhen"]} == {
        ("cell_source", "original_donor"),
        ("cell_source", "autologous"),
    }


def test_a_question_is_hidden_only_where_no_answer_to_it_changes_the_outcome() -> None:
    """Hidden: with boost cells from another donor, whatever else is answered, the
    indication for the boost cannot change the outcome."""
    for prior_hsct in POLICY.facts["prior_hsct"].values:
        for car_t in (True, False):
            facts = {"cell_source": "other_donor", "prior_hsct": prior_hsct, "prior_car_t": car_t}
            outcomes = {
                evaluate(
                    {
                        "service": {"code": "38243", "date_of_service": "2026-03-02"},
                        "facts": {**facts, "hscb_indication": indication},
                    }
                ).outcome
                for indication in POLICY.facts["hscb_indication"].values
            }
            assert len(outcomes) == 1, facts


def test_answers_become_facts() -> None:
    response = parse_response(
        answers(prior_hsct="allogeneic", prior_car_t=False, donor_chimerism_percent=80.0)
    )
    assert facts_from_response(response, POLICY.facts) == {
        "prior_hsct": "allogeneic",
        "prior_car_t": False,
        "donor_chimerism_percent": 80,
    }


def test_an_answer_outside_the_fact_values_names_the_answer() -> None:
    response = parse_response(answers(prior_hsct="xenogeneic"))
    with pytest.raises(FhirInputError) as caught:
        facts_from_response(response, POLICY.facts)
    assert caught.value.expression == "QuestionnaireResponse.item[0].answer[0]"


def test_the_package_has_the_questionnaire_first_and_a_prefilled_draft() -> None:
    out = questionnaire_package(package_parameters("38242"), default_engine(), NOW)
    bundle = out["parameter"][0]["resource"]
    questionnaire, draft = (e["resource"] for e in bundle["entry"])
    assert questionnaire["resourceType"] == "Questionnaire"
    assert draft["questionnaire"].startswith(questionnaire["url"])
    prefilled = {i["linkId"]: i["answer"][0] for i in draft["item"]}
    assert prefilled["diagnosis_category"]["valueCoding"]["code"] == "hematologic_malignancy"


def test_the_package_for_an_order_no_policy_decides_is_not_found() -> None:
    with pytest.raises(FhirInputError) as caught:
        questionnaire_package(package_parameters("99213"), default_engine(), NOW)
    assert caught.value.status == 404


def test_the_official_dtr_input_example_parses_and_finds_no_mcp_210_order(
    conformance: Any,
) -> None:
    with pytest.raises(FhirInputError) as caught:
        questionnaire_package(
            conformance("dtr/Parameters-QuestionnairePackageInputParamsExample.json"),
            default_engine(),
            NOW,
        )
    assert caught.value.status == 404


def test_the_official_dtr_response_example_yields_no_mcp_210_facts(conformance: Any) -> None:
    response = parse_response(
        conformance("dtr/QuestionnaireResponse-home-o2-questionnaireresponse.json")
    )
    assert facts_from_response(response, POLICY.facts) == {}


def _draft(parameters: dict[str, Any]) -> dict[str, Any]:
    out = questionnaire_package(parameters, default_engine(), NOW)
    draft: dict[str, Any] = out["parameter"][0]["resource"]["entry"][1]["resource"]
    QuestionnaireResponse.model_validate(draft)
    return draft


def test_the_draft_names_its_patient_and_ties_itself_to_the_order_and_coverage() -> None:
    draft = _draft(package_parameters("38242"))
    assert draft["subject"] == {"reference": "Patient/pat1"}
    assert "author" not in draft
    contexts = [e for e in draft["extension"] if e["url"].endswith("/qr-context")]
    assert [e["valueReference"] for e in contexts] == [
        {"reference": "ServiceRequest/sr1"},
        {"reference": "Coverage/cov1"},
    ]
    assert contexts[0]["url"] == (
        "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-context"
    )


def test_the_draft_author_is_the_ordering_clinician_when_the_order_names_one() -> None:
    parameters = package_parameters("38242")
    order = parameters["parameter"][1]["resource"]
    order["requester"] = {"reference": "Practitioner/dr-jones", "display": "Dr Jones"}
    draft = _draft(parameters)
    assert draft["author"] == {"reference": "Practitioner/dr-jones", "display": "Dr Jones"}
    assert draft["subject"] == {"reference": "Patient/pat1"}
