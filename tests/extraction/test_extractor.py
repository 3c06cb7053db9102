"""What the extractor proposes from the words of a note, one behaviour at a time.

Each note here is a few sentences a provider could write; the expected value is what the
labelling rules (../shared/notes/README.md) give, and a finding set aside must say why.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medpolicy.extraction import Extraction, Extractor, extract


def read(extractor: Extractor, text: str, service: str | None = "38242") -> Extraction:
    return extractor.extract(text, note_id="t", service=service)


def aside(result: Extraction, fact: str) -> set[str]:
    return {a.kind for a in result.assertions if a.fact == fact}


@pytest.mark.parametrize(
    ("text", "expected", "evidence"),
    [
        ("Unsorted leukocytes: recipient 8%.", 92, "recipient 8%"),
        ("Whole blood: recipient-derived DNA 14.5%.", 85.5, "recipient-derived DNA 14.5%"),
        ("Peripheral blood chimerism 97% donor.", 97, "97% donor"),
        ("She is in CR with full donor chimerism.", 100, "full donor chimerism"),
    ],
)
def test_donor_chimerism_is_read_from_donor_or_recipient_shares(
    extractor: Extractor, text: str, expected: float, evidence: str
) -> None:
    result = read(extractor, text)
    assert result.facts["donor_chimerism_percent"] == pytest.approx(expected)
    assert result.evidence["donor_chimerism_percent"] == evidence


def test_the_latest_dated_chimerism_wins_whatever_the_order(extractor: Extractor) -> None:
    text = (
        "Donor chimerism (unsorted peripheral blood):\n"
        "02/03/2026: 81%\n11/04/2025: 97%\n01/06/2026: 90%\n"
    )
    result = read(extractor, text)
    assert result.facts["donor_chimerism_percent"] == 81


def test_an_older_value_in_a_trend_is_history(extractor: Extractor) -> None:
    result = read(extractor, "Whole blood chimerism donor 60%, declining from 88% at day +60.")
    assert result.facts["donor_chimerism_percent"] == 60


def test_a_lineage_only_chimerism_stays_unknown_and_is_reported_as_lineage(
    extractor: Extractor,
) -> None:
    result = read(extractor, "CD3+ T-cell chimerism: 64% donor. CD33+ myeloid: 98% donor.")
    assert result.facts["donor_chimerism_percent"] is None
    assert aside(result, "donor_chimerism_percent") == {"lineage"}


def test_blasts_and_transcript_levels_are_not_chimerism(extractor: Extractor) -> None:
    result = read(extractor, "Marrow: 27% blasts. BCR-ABL1 2.4% IS. NPM1 MRD 0.02%.")
    assert result.facts["donor_chimerism_percent"] is None


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("No active GVHD.", "active_gvhd", "none"),
        ("He has not received CAR T-cell therapy.", "prior_car_t", False),
        ("This is poor graft function, not graft failure.", "graft_failure", False),
        (
            "The lymphocytes will not be genetically modified.",
            "lymphocytes_genetically_modified",
            False,
        ),
        ("Marrow today: no evidence of relapse.", "relapse_confirmed", False),
    ],
)
def test_an_explicit_negation_gives_the_negative_value(
    extractor: Extractor, text: str, fact: str, value: Any
) -> None:
    assert read(extractor, text).facts[fact] == value


def test_a_negation_is_read_for_its_scope(extractor: Extractor) -> None:
    result = read(extractor, "No active acute GVHD, but active ocular chronic GVHD.")
    assert result.facts["active_gvhd"] == "chronic"


def test_symptom_negatives_are_not_a_gvhd_status(extractor: Extractor) -> None:
    assert read(extractor, "No rash, no diarrhea, no jaundice.").facts["active_gvhd"] is None


@pytest.mark.parametrize(
    ("text", "fact", "kind"),
    [
        (
            "If the repeat marrow confirms relapse, we would give DLI for relapsed AML.",
            "dli_indication",
            "hypothetical",
        ),
        ("Possible hepatic acute GVHD; liver biopsy pending.", "active_gvhd", "uncertain"),
        ("His brother died of AML.", "diagnosis_category", "family"),
        (
            "Grade II acute gut GVHD at day +40, steroid-refractory; resolved.",
            "active_gvhd",
            "historical",
        ),
    ],
)
def test_hypothetical_uncertain_family_and_past_findings_are_set_aside(
    extractor: Extractor, text: str, fact: str, kind: str
) -> None:
    result = read(extractor, text)
    assert result.facts[fact] is None
    assert kind in aside(result, fact)


def test_a_stated_indication_with_only_conditional_timing_is_kept(extractor: Extractor) -> None:
    text = "Plan: prophylactic DLI at day +150 if there is no GVHD after the taper."
    result = read(extractor, text)
    assert result.facts["dli_indication"] == "relapse_prophylaxis"
    assert result.facts["active_gvhd"] is None


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("s/p Flu/Mel RIC allo-HCT from an 8/8 MUD.", "prior_hsct", "allogeneic"),
        ("MSD alloHCT in 2024.", "prior_hsct", "allogeneic"),
        ("AML in CR1 after MRD allo-HCT (HLA-identical sister).", "prior_hsct", "allogeneic"),
        (
            "Persistent MRD-positive disease; DLI for MRD-positive disease.",
            "dli_indication",
            "relapsed_refractory_persistent",
        ),
        (
            "Diagnosis: poor graft function (PGF). Boost from the original donor for PGF.",
            "hscb_indication",
            "engraftment_promotion",
        ),
    ],
)
def test_field_abbreviations_are_read(
    extractor: Extractor, text: str, fact: str, value: str
) -> None:
    service = "38243" if fact == "hscb_indication" else "38242"
    assert read(extractor, text, service).facts[fact] == value


def test_the_later_dated_statement_wins_a_contradiction(extractor: Extractor) -> None:
    text = (
        "Letter dated 03/01/2026: he has no GVHD.\n"
        "ADDENDUM 03/06/2026: he has developed grade II acute GVHD of the skin."
    )
    assert read(extractor, text).facts["active_gvhd"] == "acute"


def test_of_two_transplants_the_allogeneic_one_is_reported(extractor: Extractor) -> None:
    text = "Autologous SCT 2019 for myeloma, then RIC allo-HCT from his brother in 2023."
    assert read(extractor, text).facts["prior_hsct"] == "allogeneic"


def test_a_prior_car_t_product_does_not_make_the_dli_genetically_modified(
    extractor: Extractor,
) -> None:
    text = "Received tisagenlecleucel (genetically modified T cells) in 2023. DLI planned."
    result = read(extractor, text)
    assert result.facts["prior_car_t"] is True
    assert result.facts["lymphocytes_genetically_modified"] is None


def test_steroid_refractory_is_only_reported_for_current_gvhd(extractor: Extractor) -> None:
    text = (
        "Steroid-refractory acute GVHD in 2024 responded to ruxolitinib and resolved. No GVHD now."
    )
    result = read(extractor, text)
    assert result.facts["gvhd_steroid_refractory"] is None
    assert result.facts["active_gvhd"] == "none"


def test_a_note_without_facts_proposes_nothing(extractor: Extractor) -> None:
    result = read(extractor, "Infusion appointment booked for 03/16/2026; daughter will drive.")
    assert all(value is None for value in result.facts.values())
    assert result.evidence == {}
    assert result.spans == {}


def test_the_python_call_reads_a_note_with_the_default_policies() -> None:
    result = extract("No GVHD. Relapse confirmed on marrow.", service="38242", note_id="n1")
    assert result.id == "n1"
    assert result.facts["relapse_confirmed"] is True
    assert result.to_dict()["spans"]["relapse_confirmed"] == list(result.spans["relapse_confirmed"])


_WORDS = st.sampled_from(
    [
        "no",
        "GVHD",
        "relapse",
        "confirmed",
        "donor",
        "recipient",
        "12%",
        "CD3+",
        "if",
        "DLI",
        "allo-HCT",
        "MUD",
        "full",
        "chimerism",
        "brother",
        "possible",
        "AML",
        "\n",
        ";",
        "not",
        "original",
        "from",
        "the",
        "for",
        "relapsed",
        "prophylactic",
        "02/2026",
        "resolved",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_WORDS, min_size=1, max_size=40))
def test_evidence_is_always_the_text_at_its_span_and_values_fit_the_dictionary(
    extractor: Extractor, words: list[str]
) -> None:
    text = " ".join(words)
    result = read(extractor, text)
    facts = extractor.rules.facts
    for fact, value in result.facts.items():
        assert value is None or facts[fact].accepts(value)
    for fact, (start, end) in result.spans.items():
        assert text[start:end] == result.evidence[fact]


def test_a_hedge_written_after_a_certain_statement_leaves_the_fact_unknown(
    extractor: Extractor,
) -> None:
    text = "Summary: no GVHD.\nAddendum 02/20/2026: gut GVHD is suspected; biopsies pending."
    result = read(extractor, text)
    assert result.facts["active_gvhd"] is None
    assert "uncertain" in aside(result, "active_gvhd")


def test_a_line_of_earlier_results_is_history_to_its_end(extractor: Extractor) -> None:
    text = (
        "Unfractionated blood: donor 47.5%.\n"
        "Earlier results: 11/2025 unfractionated donor 70%; 08/2025 unfractionated donor 96%."
    )
    assert read(extractor, text).facts["donor_chimerism_percent"] == 47.5


def test_an_undated_chimerism_that_disagrees_with_a_dated_one_stays_unknown(
    extractor: Extractor,
) -> None:
    text = "Whole blood chimerism 92% donor.\nWhole blood chimerism on 02/20/2026: 71% donor."
    result = read(extractor, text)
    assert result.facts["donor_chimerism_percent"] is None
    assert aside(result, "donor_chimerism_percent") == {"conflicting"}


@pytest.mark.parametrize(
    ("text", "fact", "kind"),
    [
        ("Skin: cGVHD of the forearm probable - biopsy next week.", "active_gvhd", "uncertain"),
        (
            "Referred to weigh candidacy for an allogeneic transplant.",
            "prior_hsct",
            "hypothetical",
        ),
        (
            "She saw prophylactic DLI online and asked whether it suits her.",
            "dli_indication",
            "hypothetical",
        ),
        ("aGVHD: none.", "active_gvhd", "negated"),
    ],
)
def test_telegraphic_hedges_questions_and_colon_negatives_set_a_finding_aside(
    extractor: Extractor, text: str, fact: str, kind: str
) -> None:
    result = read(extractor, text)
    assert result.facts[fact] is None
    assert kind in aside(result, fact)


def test_a_negation_ends_at_the_next_step_of_a_timeline(extractor: Extractor) -> None:
    result = read(extractor, "Salvage with R-GDP (no response), then liso-cel in 2025.", "38243")
    assert result.facts["prior_car_t"] is True


def test_a_question_answered_after_a_semicolon_is_a_statement(extractor: Extractor) -> None:
    text = (
        "Her husband asked whether the cells are engineered; "
        "told him they are not genetically modified."
    )
    assert read(extractor, text).facts["lymphocytes_genetically_modified"] is False


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("Dx: MM, ASCT 2024.", "diagnosis_category", "hematologic_malignancy"),
        ("MUD allo 2023, RIC.", "prior_hsct", "allogeneic"),
        ("Has never had HSCT.", "prior_hsct", "none"),
        ("No aGVHD and no cGVHD.", "active_gvhd", "none"),
        ("cGVHD: none; aGVHD: none.", "active_gvhd", "none"),
        ("Recurrence, confirmed on a second marrow.", "relapse_confirmed", True),
        ("Relapse 01/2026 documented on biopsy.", "relapse_confirmed", True),
        ("Marrow biopsy confirms relapsed AML.", "relapse_confirmed", True),
        ("PET without evidence of lymphoma.", "relapse_confirmed", False),
        ("DLI from her brother (HCT donor).", "cell_source", "original_donor"),
        ("Product: not gene-modified.", "lymphocytes_genetically_modified", False),
        (
            "Donor lymphocytes will be transduced with a CD19 CAR lentiviral vector.",
            "lymphocytes_genetically_modified",
            True,
        ),
    ],
)
def test_telegraphic_and_abbreviated_statements_are_read(
    extractor: Extractor, text: str, fact: str, value: Any
) -> None:
    assert read(extractor, text).facts[fact] == value


@pytest.mark.parametrize(
    ("text", "service", "fact", "value"),
    [
        ("Unsorted blood: host DNA 21%.", "38243", "donor_chimerism_percent", 79),
        (
            "Myeloid cells low; whole-blood donor chimerism 9%.",
            "38243",
            "donor_chimerism_percent",
            9,
        ),
        (
            "Tandem autologous transplants 2024. No allogeneic transplant.",
            "38243",
            "prior_hsct",
            "autologous",
        ),
        (
            "Sibling allograft for myelodysplasia.",
            "38242",
            "diagnosis_category",
            "hematologic_malignancy",
        ),
        (
            "Marrow 03/01/2026: morphologically and molecularly negative.",
            "38242",
            "relapse_confirmed",
            False,
        ),
        (
            "Boost from her sister, a different matched donor, for poor graft function.",
            "38243",
            "cell_source",
            "other_donor",
        ),
        (
            "DLI from the original donor to correct the falling chimerism.",
            "38242",
            "dli_indication",
            "mixed_chimerism_conversion",
        ),
    ],
)
def test_host_shares_hyphenated_samples_and_named_transplants_are_read(
    extractor: Extractor, text: str, service: str, fact: str, value: Any
) -> None:
    assert read(extractor, text, service).facts[fact] == value


def test_a_graft_rejection_that_would_be_managed_otherwise_is_not_a_diagnosis(
    extractor: Extractor,
) -> None:
    text = (
        "Poor graft function is likely, but graft rejection or drug toxicity "
        "would be treated otherwise."
    )
    result = read(extractor, text, "38243")
    assert result.facts["graft_failure"] is None
    assert "hypothetical" in aside(result, "graft_failure")


def test_two_chimerisms_that_disagree_on_the_same_day_stay_unknown(extractor: Extractor) -> None:
    text = (
        "Sample 1, 2026-02-09, unsorted: donor 70%.\n"
        "Sample 2, 2026-02-09, marrow: donor 90%.\n"
        "Prior 2025-10-01 unsorted donor 95%."
    )
    assert read(extractor, text).facts["donor_chimerism_percent"] is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Acute GVHD of the skin versus a drug reaction.", "uncertain"),
        ("Drug reaction versus acute GVHD of the skin.", "uncertain"),
        ("Ruled out: acute GVHD.", "negated"),
        ("Acute GVHD was ruled out on biopsy.", "negated"),
        ("At transplant, acute GVHD was present.", "historical"),
        ("Acute gut GVHD at transplant.", "historical"),
    ],
)
def test_a_phrase_that_reaches_both_ways_applies_on_either_side(
    extractor: Extractor, text: str, kind: str
) -> None:
    result = read(extractor, text)
    assert result.facts["active_gvhd"] is None
    assert kind in aside(result, "active_gvhd")


@pytest.mark.parametrize(
    ("text", "fact", "value"),
    [
        ("Flow cytometry on 01/10/2026 confirmed recurrent T-PLL.", "relapse_confirmed", True),
        ("Relapse after the first transplant confirmed by FISH.", "relapse_confirmed", True),
        (
            "DLI from his brother, the donor of the most recent transplant, for relapse.",
            "cell_source",
            "original_donor",
        ),
    ],
)
def test_relapse_and_donor_named_through_the_transplant_are_read(
    extractor: Extractor, text: str, fact: str, value: Any
) -> None:
    assert read(extractor, text).facts[fact] == value


def test_a_boost_indication_without_the_cells_to_give_is_not_proposed(
    extractor: Extractor,
) -> None:
    text = (
        "Diagnosis: prolonged cytopenias after cilta-cel. The team is weighing a boost; "
        "options will be reviewed next week."
    )
    result = read(extractor, text, "38243")
    assert result.facts["hscb_indication"] is None
    assert "unsupported" in aside(result, "hscb_indication")
    stated = read(extractor, text + " Plan: boost with her stored autologous PBSC.", "38243")
    assert stated.facts["hscb_indication"] == "car_t_cytopenias"


def test_gvhd_free_is_no_gvhd_but_gvhd_free_survival_is_not_a_status(
    extractor: Extractor,
) -> None:
    assert read(extractor, "Off immunosuppression and GVHD-free.").facts["active_gvhd"] == "none"
    survival = "Two-year GVHD-free, relapse-free survival after MUD transplant is about 40%."
    assert read(extractor, survival).facts["active_gvhd"] is None
