"""Properties that hold for every well-typed request, checked with generated requests.

Set MEDPOLICY_PROPERTY_EXAMPLES (default 400) to search harder, e.g. 8000 before a release.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from medpolicy import evaluate
from medpolicy.domain import Status
from medpolicy.policy.registry import default_registry

POLICY = default_registry().policies[0]
CAUTIONS = {
    caution.code
    for version in POLICY.versions
    for section in version.sections.values()
    for caution in section.cautions
}
SETTLED = {"meets_criteria", "does_not_meet_criteria", "experimental_investigational"}
DIAGNOSES = [
    "C92.02",
    "C92.01",
    "C92.00",
    "C50.911",
    "D47.02",
    "Z94.84",
    "C80.2",
    "D46.9",
    "C91.Z2",
]


def _fact_value(fact_id: str) -> st.SearchStrategy[Any]:
    fact = POLICY.facts[fact_id]
    if fact.type == "boolean":
        return st.booleans()
    if fact.type == "enum":
        return st.sampled_from(fact.values)
    return st.one_of(
        st.sampled_from([0, 49.9, 50, 99.9, 100]),
        st.floats(min_value=0, max_value=100, allow_nan=False),
    )


facts_strategy = st.fixed_dictionaries(
    {},
    optional={fact_id: _fact_value(fact_id) for fact_id in POLICY.facts},
)

requests = st.fixed_dictionaries(
    {
        "service": st.fixed_dictionaries(
            {
                "code": st.sampled_from(["38242", "38243", "38243", "38242", "Q2056", "S2150"]),
                "date_of_service": st.sampled_from(
                    [
                        "2014-11-10",
                        "2014-11-11",
                        "2024-05-01",
                        "2025-08-12",
                        "2025-08-13",
                        "2026-04-10",
                    ]
                ),
            }
        ),
        "facts": facts_strategy,
    },
    optional={
        "diagnoses": st.lists(st.sampled_from(DIAGNOSES), max_size=3),
        "member": st.fixed_dictionaries(
            {
                "line_of_business": st.sampled_from(
                    ["medicaid", "medicare", "marketplace", "commercial"]
                )
            }
        ),
    },
)

PROPERTY = settings(
    max_examples=int(os.environ.get("MEDPOLICY_PROPERTY_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(requests)
def test_no_well_typed_request_makes_the_engine_fail(request: dict[str, Any]) -> None:
    result = evaluate(request)
    assert result.outcome in SETTLED | {"insufficient_information", "not_addressed"}
    assert json.loads(result.to_json()) == result.to_dict()


@PROPERTY
@given(requests, st.data())
def test_supplying_a_missing_fact_never_unsettles_a_settled_outcome(
    request: dict[str, Any], data: st.DataObject
) -> None:
    before = evaluate(request)
    unknown = [f for f in POLICY.facts if f not in before.facts]
    if not unknown:
        return
    fact = data.draw(st.sampled_from(unknown))
    value = data.draw(_fact_value(fact))
    after = evaluate({**request, "facts": {**request["facts"], fact: value}})
    if before.outcome in SETTLED:
        assert after.outcome in SETTLED
    if before.outcome == "experimental_investigational":
        assert after.outcome == "experimental_investigational"
    if before.outcome == "meets_criteria":
        assert after.outcome == "meets_criteria"


@PROPERTY
@given(requests)
def test_meets_criteria_only_with_every_exclusion_ruled_out(request: dict[str, Any]) -> None:
    result = evaluate(request)
    if result.outcome == "meets_criteria":
        assert all(e.status in (Status.NOT_MET, Status.NOT_APPLICABLE) for e in result.exclusions)
        assert all(c.status in (Status.MET, Status.NOT_APPLICABLE) for c in result.criteria)
        cautions = [w for w in result.warnings if w.code in CAUTIONS]
        assert result.next_step == ("physician_review" if cautions else "approve")


@PROPERTY
@given(requests)
@example(
    {
        "service": {"code": "38243", "date_of_service": "2026-04-10"},
        "facts": {"cell_source": "autologous", "hscb_indication": "chimerism_enhancement"},
    }
)
@example(
    {
        "service": {"code": "38243", "date_of_service": "2026-04-10"},
        "facts": {
            "cell_source": "other_donor",
            "prior_car_t": True,
            "prior_hsct_medically_necessary": True,
            "hscb_indication": "car_t_cytopenias",
        },
    }
)
def test_an_adverse_outcome_names_what_decides_it(request: dict[str, Any]) -> None:
    """A failed request shows a criterion not met and an experimental one an exclusion
    that applies, on the checklist and in the reasons, even when Kleene's logic alone
    would leave that criterion unknown (the exact analysis settles it); when only several
    together settle it, a reason names them together."""
    result = evaluate(request)
    if result.outcome == "does_not_meet_criteria":
        failed = [c.id for c in result.criteria if c.status is Status.NOT_MET]
        together = [r for r in result.reasons if r.startswith("Criteria ") and "cannot all" in r]
        assert failed or together
        if failed:
            assert any(f"Criterion {failed[0]} " in reason for reason in result.reasons)
    if result.outcome == "experimental_investigational":
        applying = [e.id for e in result.exclusions if e.status is Status.MET]
        together = [r for r in result.reasons if r.startswith("One of exclusions ")]
        assert applying or together
        if applying:
            assert any(f"Exclusion {applying[0]} " in reason for reason in result.reasons)


@PROPERTY
@given(requests)
def test_missing_is_listed_exactly_when_information_is_insufficient(
    request: dict[str, Any],
) -> None:
    result = evaluate(request)
    assert bool(result.missing) == (result.outcome == "insufficient_information")
    stated = set(request["facts"])
    assert not stated & {m.fact for m in result.missing}
    if result.outcome in ("does_not_meet_criteria", "experimental_investigational"):
        assert result.next_step == "physician_review"


@PROPERTY
@given(requests, st.data())
def test_a_fact_left_off_the_missing_list_cannot_change_the_outcome(
    request: dict[str, Any], data: st.DataObject
) -> None:
    """Fill every unknown fact at random: varying one that was not asked for changes nothing."""
    result = evaluate(request)
    if result.outcome != "insufficient_information":
        return
    known = {name for name, ev in result.facts.items()}
    unknown = [f for f in POLICY.facts if f not in known]
    asked = {m.fact for m in result.missing}
    not_asked = [f for f in unknown if f not in asked]
    if not not_asked:
        return
    filled = {f: data.draw(_fact_value(f)) for f in unknown}
    probe = data.draw(st.sampled_from(not_asked))
    outcomes = set()
    for value in _all_values(probe):
        facts = {**request["facts"], **filled, probe: value}
        outcomes.add(evaluate({**request, "facts": facts}).outcome)
    assert len(outcomes) == 1


def _all_values(fact_id: str) -> list[Any]:
    fact = POLICY.facts[fact_id]
    if fact.type == "boolean":
        return [True, False]
    if fact.type == "enum":
        return list(fact.values)
    return [0, 49.9, 50, 99.9, 100]


def test_a_status_cannot_be_used_as_a_truth_value() -> None:
    for status in Status:
        with pytest.raises(TypeError):
            bool(status)
