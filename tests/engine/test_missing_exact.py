"""Missing information is exact on policies of any shape, checked against the definition.

The definition: an unknown fact is missing when some way of filling in the other unknown
facts leaves the outcome depending on its value; when every way of filling them in gives
the same outcome, that outcome is the answer and nothing is missing. On small generated
policies every completion is enumerated and compared with the engine; on a generated
policy of 40 facts (where enumeration is out of reach) random completions check that no
fact left off the list changes the outcome and that a settled outcome stays settled.
"""

from __future__ import annotations

import os
from itertools import product
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medpolicy import evaluate
from medpolicy.domain import Outcome, Status
from medpolicy.engine import Engine
from medpolicy.engine.logic import status_of
from medpolicy.policy.model import FactDef, Policy
from medpolicy.policy.registry import Registry

from .synthetic import CODE, DAY, synthetic_policy

EXAMPLES = int(os.environ.get("MEDPOLICY_PROPERTY_EXAMPLES", "400"))
PROPERTY = settings(
    max_examples=EXAMPLES // 4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
NUMBERS = (0, 10, 20, 35, 50, 65, 80, 90, 100)
"""Values on and between the generator's thresholds (20, 50, 80) and at both bounds."""


def _values(fact: FactDef) -> list[Any]:
    if fact.type == "boolean":
        return [True, False]
    if fact.type == "enum":
        return list(fact.values)
    return list(NUMBERS)


def _outcome(policy: Policy, facts: dict[str, Any]) -> Outcome:
    """MCP-210.md "Outcomes" straight from the criteria trees: the first row that holds."""
    section = policy.versions[0].sections["synthetic"]
    excluded = [status_of(e, facts) for e in section.exclusions]
    criteria = [status_of(c, facts) for c in section.criteria]
    if Status.MET in excluded:
        return Outcome.EXPERIMENTAL_INVESTIGATIONAL
    if Status.NOT_MET in criteria:
        return Outcome.DOES_NOT_MEET_CRITERIA
    if Status.UNKNOWN in excluded + criteria:
        return Outcome.INSUFFICIENT_INFORMATION
    return Outcome.MEETS_CRITERIA


def _request(facts: dict[str, Any]) -> dict[str, Any]:
    return {"service": {"code": CODE, "date_of_service": DAY.isoformat()}, "facts": facts}


def _partial(policy: Policy) -> st.SearchStrategy[dict[str, Any]]:
    """Some facts known, mostly with values that pass the conditions on them, so that
    many requests stay undecided (random values fail some criterion almost at once)."""
    section = policy.versions[0].sections["synthetic"]
    conditions = [c for node in section.criteria for c in node.conditions()]
    strategies = {}
    for name, fact in policy.facts.items():
        values = _values(fact)
        passing = [v for v in values if all(c.test(v) for c in conditions if c.fact == name)]
        strategies[name] = st.one_of(
            st.sampled_from(passing or values),
            st.sampled_from(passing or values),
            st.sampled_from(values),
        )
    return st.fixed_dictionaries({}, optional=strategies)


def _expected(policy: Policy, known: dict[str, Any]) -> tuple[set[Outcome], list[str]]:
    """Every outcome a completion can give, and the facts the definition calls missing.

    Only asked when the known facts leave the outcome insufficient."""
    unknown = [name for name in policy.facts if name not in known]
    outcomes: dict[tuple[Any, ...], Outcome] = {}
    for values in product(*(_values(policy.facts[name]) for name in unknown)):
        outcomes[values] = _outcome(policy, {**known, **dict(zip(unknown, values, strict=True))})
    missing = []
    for i, name in enumerate(unknown):
        seen: dict[tuple[Any, ...], Outcome] = {}
        for values, outcome in outcomes.items():
            rest = values[:i] + values[i + 1 :]
            if seen.setdefault(rest, outcome) is not outcome:
                missing.append(name)
                break
    return set(outcomes.values()), missing


SMALL = [synthetic_policy(6, seed) for seed in range(8)]
SMALL_ENGINES = [Engine(Registry((policy,))) for policy in SMALL]


@PROPERTY
@given(st.data())
def test_on_small_policies_missing_is_exactly_the_definition(data: st.DataObject) -> None:
    which = data.draw(st.integers(0, len(SMALL) - 1))
    policy, engine = SMALL[which], SMALL_ENGINES[which]
    known = data.draw(_partial(policy))
    result = evaluate(_request(known), engine)
    settled = _outcome(policy, known)
    if settled != Outcome.INSUFFICIENT_INFORMATION:
        assert result.outcome == settled
        assert result.missing == ()
        return
    outcomes, missing = _expected(policy, known)
    if len(outcomes) == 1:
        assert result.outcome == outcomes.pop()
        assert result.missing == ()
    else:
        assert result.outcome == Outcome.INSUFFICIENT_INFORMATION
        assert {m.fact for m in result.missing} == set(missing)


LARGE = synthetic_policy(40)
LARGE_ENGINE = Engine(Registry((LARGE,)))


def test_the_large_generated_policy_reads_40_facts() -> None:
    section = LARGE.versions[0].sections["synthetic"]
    read = {f for node in section.criteria + section.exclusions for f in node.facts()}
    assert len(read) == 40


@PROPERTY
@given(st.data())
def test_on_40_facts_a_fact_left_off_the_missing_list_cannot_change_the_outcome(
    data: st.DataObject,
) -> None:
    known = data.draw(_partial(LARGE))
    result = evaluate(_request(known), LARGE_ENGINE)
    asked = {m.fact for m in result.missing}
    assert not asked & set(known)
    if _outcome(LARGE, known) != Outcome.INSUFFICIENT_INFORMATION:
        assert result.outcome == _outcome(LARGE, known)
        assert not asked
        return
    unknown = [name for name in LARGE.facts if name not in known]
    filled = {name: data.draw(st.sampled_from(_values(LARGE.facts[name]))) for name in unknown}
    for probe in (name for name in unknown if name not in asked):
        outcomes = {
            _outcome(LARGE, {**known, **filled, probe: value})
            for value in _values(LARGE.facts[probe])
        }
        assert len(outcomes) == 1, probe
    if result.outcome != Outcome.INSUFFICIENT_INFORMATION:
        assert _outcome(LARGE, {**known, **filled}) == result.outcome


@PROPERTY
@given(st.data())
def test_on_40_facts_answering_a_missing_question_never_adds_a_question(
    data: st.DataObject,
) -> None:
    known = data.draw(_partial(LARGE))
    before = evaluate(_request(known), LARGE_ENGINE)
    if not before.missing:
        return
    fact = data.draw(st.sampled_from([m.fact for m in before.missing]))
    value = data.draw(st.sampled_from(_values(LARGE.facts[fact])))
    after = evaluate(_request({**known, fact: value}), LARGE_ENGINE)
    assert {m.fact for m in after.missing} <= {m.fact for m in before.missing} - {fact}
