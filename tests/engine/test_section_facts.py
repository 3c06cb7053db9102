"""The one-pass fact reader gives what its definition gives: ``merge``, then a pattern.

The engine reads each request's facts with ``SectionFacts`` (one table lookup per stated
fact); ``merge`` and ``FactClasses.pattern`` are the plain definition. Any difference would
change a decision or a warning, so every section of every version is checked on generated
facts and code sets, with values that recur (as in a batch) and values seen once.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medpolicy.adapters.json_request import diagnoses as normal_codes
from medpolicy.api import default_engine
from medpolicy.engine.facts import merge

from .test_properties import DIAGNOSES, facts_strategy

ENGINE = default_engine()
POLICY = ENGINE.registry.policies[0]
SECTIONS = [
    ENGINE.compiled(POLICY, version, section)
    for version in POLICY.versions
    for section in version.sections.values()
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    section=st.sampled_from(SECTIONS),
    stated=facts_strategy,
    codes=st.lists(st.sampled_from(DIAGNOSES), max_size=3, unique=True),
)
def test_one_pass_reading_equals_merge_then_patterns(
    section: Any, stated: dict[str, Any], codes: list[str]
) -> None:
    diagnoses = normal_codes(codes)
    stated = {
        name: float(v) if POLICY.facts[name].type == "number" else v for name, v in stated.items()
    }
    known, deciding, cautions, conflicts = section.facts.read(stated, diagnoses)
    # twice: the second reading comes from the remembered tables
    assert section.facts.read(stated, diagnoses) == (known, deciding, cautions, conflicts)
    expected_known, values, expected_conflicts = merge(POLICY, stated, diagnoses)
    assert known == expected_known
    assert list(known) == list(expected_known)
    assert deciding == section.program.pattern(values)
    assert cautions == section.caution_classes.pattern(values)
    assert conflicts == expected_conflicts


def test_a_code_and_a_stated_value_that_disagree_are_both_shown() -> None:
    """C92.02 (AML in relapse) establishes relapse; a request saying otherwise keeps its
    own value, and the warning says so."""
    dli = next(s for s in SECTIONS if s.program.section.name == "donor_lymphocyte_infusion")
    known, _, _, conflicts = dli.facts.read({"relapse_confirmed": False}, normal_codes(["C92.02"]))
    assert known["relapse_confirmed"].value is False
    assert known["relapse_confirmed"].source == "request"
    assert [c.code for c in conflicts] == ["fact_conflicts_with_code"]
