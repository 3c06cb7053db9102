"""Facts established by diagnosis codes, merged with the facts a requester states.

A stated fact always wins over one a code suggests (the requester may know better: a code
in relapse on an old claim line, say), but the disagreement is surfaced as a warning so a
reviewer sees it. No code ever fills in a fact the derivation rules do not name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from medpolicy.domain import FactEvidence, Warning
from medpolicy.policy.model import Policy
from medpolicy.terminology.icd10cm import display

__all__ = ["derive", "merge"]


@lru_cache(maxsize=32768)
def _derive_cached(policy: Policy, codes: tuple[str, ...]) -> tuple[tuple[str, Any, str], ...]:
    found: list[tuple[str, Any, str]] = []
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
            found.append((derivation.fact, derivation.rules[best[0]].value, best[1]))
    return tuple(found)


def derive(policy: Policy, codes: tuple[str, ...]) -> dict[str, FactEvidence]:
    """Facts the codes establish under the policy's derivation rules, with their source."""
    if not codes:
        return {}
    return {
        fact: FactEvidence(value, f"ICD-10-CM {display(code)}")
        for fact, value, code in _derive_cached(policy, codes)
    }


def merge(
    policy: Policy | None,
    stated: Mapping[str, Any],
    codes: tuple[str, ...],
) -> tuple[dict[str, FactEvidence], list[Warning]]:
    """All known facts with their sources, and a warning for each stated/derived conflict."""
    known = derive(policy, codes) if policy is not None else {}
    warnings: list[Warning] = []
    for fact, value in stated.items():
        if value is None:
            continue
        derived = known.get(fact)
        if derived is not None and derived.value != value:
            warnings.append(
                Warning(
                    code="fact_conflicts_with_code",
                    message=(
                        f"The request states {fact} = {_show(value)}, but {derived.source} "
                        f"indicates {_show(derived.value)}; the stated value was used. "
                        "A reviewer should confirm which is right."
                    ),
                )
            )
        known[fact] = FactEvidence(value, "request")
    return known, warnings


def _show(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
