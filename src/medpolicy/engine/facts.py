"""Facts established by diagnosis codes, merged with the facts a requester states.

A stated fact always wins over one a code suggests (the requester may know better: a code
in relapse on an old claim line, say), but the disagreement is surfaced as a warning so a
reviewer sees it. No code ever fills in a fact the derivation rules do not name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from medpolicy.domain import Advisory, FactEvidence
from medpolicy.policy.model import Policy
from medpolicy.terminology.icd10cm import display

__all__ = ["merge", "stated_evidence"]


@lru_cache(maxsize=32768)
def _derive_cached(policy: Policy, codes: tuple[str, ...]) -> tuple[tuple[str, FactEvidence], ...]:
    found: list[tuple[str, FactEvidence]] = []
    for derivation in policy.derivations:
        best: tuple[int, str] | None = None
        for code in codes:
            for rank, rule in enumerate(derivation.rules):
                if best is not None and rank >= best[0]:
                    break
                if rule.codes.matches(code):
                    best = (rank, code)
                    break
        if best is not None:
            value = derivation.rules[best[0]].value
            found.append((derivation.fact, FactEvidence(value, f"ICD-10-CM {display(best[1])}")))
    return tuple(found)


_STATED: dict[tuple[type, Any], FactEvidence] = {}
_STATED_LIMIT = 65536


def stated_evidence(value: Any) -> FactEvidence:
    """The (shared, immutable) evidence for a value stated in the request."""
    key = (value.__class__, value)
    found = _STATED.get(key)
    if found is None:
        found = FactEvidence(value, "request")
        if len(_STATED) < _STATED_LIMIT:
            _STATED[key] = found
    return found


def merge(
    policy: Policy | None,
    stated: Mapping[str, Any],
    codes: tuple[str, ...],
) -> tuple[dict[str, FactEvidence], dict[str, Any], tuple[Advisory, ...]]:
    """All known facts with their sources, their bare values, and a warning for each
    stated value that a code contradicts."""
    derived = _derive_cached(policy, codes) if policy is not None and codes else ()
    known = dict(derived)
    values = {fact: evidence.value for fact, evidence in derived}
    conflicts: tuple[Advisory, ...] = ()
    cache = _STATED
    for fact, value in stated.items():
        if fact in values and values[fact] != value:
            conflicts += (_conflict(fact, value, known[fact]),)
        values[fact] = value
        evidence = cache.get((value.__class__, value))
        known[fact] = evidence if evidence is not None else stated_evidence(value)
    return known, values, conflicts


def _conflict(fact: str, value: Any, derived: FactEvidence) -> Advisory:
    return Advisory(
        code="fact_conflicts_with_code",
        message=(
            f"The request states {fact} = {_show(value)}, but {derived.source} "
            f"indicates {_show(derived.value)}; the stated value was used. "
            "A reviewer should confirm which is right."
        ),
    )


def _show(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
