"""Facts established by diagnosis codes, merged with the facts a requester states.

A stated fact always wins over one a code suggests (the requester may know better: a code
in relapse on an old claim line, say), but the disagreement is surfaced as a warning so a
reviewer sees it. No code ever fills in a fact the derivation rules do not name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from medpolicy.domain import Advisory, FactEvidence
from medpolicy.engine.program import FactClasses, Pattern
from medpolicy.memo import Memo
from medpolicy.policy.model import Disagreement, Policy
from medpolicy.terminology.icd10cm import display

__all__ = ["SectionFacts", "code_conflicts", "merge", "stated_evidence", "stated_facts"]


Derived = tuple[dict[str, FactEvidence], dict[str, Any], tuple[tuple[str, Disagreement, str], ...]]
"""What codes establish: evidence and bare value per fact, and the disagreements."""


def _derive(key: tuple[Policy, tuple[str, ...]]) -> Derived:
    """Facts the codes establish, and the facts they leave unknown because they disagree
    (fact, what to say, the message with the codes filled in)."""
    policy, codes = key
    found: list[tuple[str, FactEvidence]] = []
    disagreements: list[tuple[str, Disagreement, str]] = []
    for derivation in policy.derivations:
        first_by_rank: dict[int, str] = {}
        for code in codes:
            for rank, rule in enumerate(derivation.rules):
                if rule.codes.matches(code):
                    first_by_rank.setdefault(rank, code)
                    break
        if not first_by_rank:
            continue
        rules = derivation.rules
        values = {str(rules[rank].value): display(code) for rank, code in first_by_rank.items()}
        if derivation.disagreement is not None and len(values) > 1:
            message = derivation.disagreement.message.format_map(values)
            disagreements.append((derivation.fact, derivation.disagreement, message))
            continue
        rank = min(first_by_rank)
        source = f"ICD-10-CM {display(first_by_rank[rank])}"
        found.append((derivation.fact, FactEvidence(rules[rank].value, source)))
    return dict(found), {f: ev.value for f, ev in found}, tuple(disagreements)


_derived: Memo[tuple[Policy, tuple[str, ...]], Derived] = Memo(_derive)
_stated: Memo[tuple[type, Any], FactEvidence] = Memo(lambda key: FactEvidence(key[1], "request"))
"""Evidence of a stated value, keyed by type too: ``1`` and ``True`` are different answers."""


def stated_evidence(value: Any) -> FactEvidence:
    """The (shared, immutable) evidence for a value stated in the request."""
    return _stated[(value.__class__, value)]


def stated_facts(stated: Mapping[str, Any]) -> dict[str, FactEvidence]:
    """Evidence for every value stated in a request (None is no value)."""
    cache = _stated
    return {name: cache[(v.__class__, v)] for name, v in stated.items() if v is not None}


def merge(
    policy: Policy | None,
    stated: Mapping[str, Any],
    codes: tuple[str, ...],
) -> tuple[dict[str, FactEvidence], Mapping[str, Any], tuple[Advisory, ...]]:
    """All known facts with their sources, their bare values, and a warning for each
    stated value that a code contradicts."""
    cache = _stated
    if policy is None or not codes:
        return {f: cache[(v.__class__, v)] for f, v in stated.items()}, stated, ()
    derived, derived_values, _ = _derived[(policy, codes)]
    known = derived | {f: cache[(v.__class__, v)] for f, v in stated.items()}
    values = {**derived_values, **stated}
    return known, values, code_conflicts(policy, stated, codes)


def code_conflicts(
    policy: Policy, stated: Mapping[str, Any], codes: tuple[str, ...]
) -> tuple[Advisory, ...]:
    """A warning for each fact the codes dispute among themselves (saying what became of
    it), then for each stated value a code contradicts, in the policy's derivation order."""
    derived, _, disagreements = _derived[(policy, codes)]
    return _worded(disagreements, derived, stated)


def _worded(
    disagreements: tuple[tuple[str, Disagreement, str], ...],
    derived: Mapping[str, FactEvidence],
    stated: Mapping[str, Any],
) -> tuple[Advisory, ...]:
    """``code_conflicts`` from what the codes establish and dispute, each warning worded
    once per fact and value and then shared."""
    get = stated.get
    out = [
        _disagreements[(fact, what, message, get(fact))] for fact, what, message in disagreements
    ]
    for fact, evidence in derived.items():
        value = get(fact)
        if value is not None and value != evidence.value:
            out.append(_conflicts[(fact, value.__class__, value, evidence)])
    return tuple(out)


def _disagreement(fact: str, what: Disagreement, message: str, stated: Any) -> Advisory:
    if stated is None:
        then = f"{fact} is left unknown and asked of the requester."
    else:
        then = f"the request states {fact} = {_show(stated)}, which was used."
    return Advisory(code=what.warning, message=f"{message} So {then}")


def _conflict(fact: str, value: Any, derived: FactEvidence) -> Advisory:
    return Advisory(
        code="fact_conflicts_with_code",
        message=(
            f"The request states {fact} = {_show(value)}, but {derived.source} "
            f"indicates {_show(derived.value)}; the stated value was used. "
            "A reviewer should confirm which is right."
        ),
    )


_disagreements: Memo[tuple[str, Disagreement, str, Any], Advisory] = Memo(
    lambda key: _disagreement(*key)
)
_conflicts: Memo[tuple[str, type, Any, FactEvidence], Advisory] = Memo(
    lambda key: _conflict(key[0], key[2], key[3])
)


def _show(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class _Base:
    """What a set of diagnosis codes establishes for one section, before stated facts."""

    known: dict[str, FactEvidence]
    deciding: list[int | None]
    cautions: list[int | None]
    disagreements: tuple[tuple[str, Disagreement, str], ...]


_Placed = tuple[FactEvidence, int, int | None, int, int | None]
"""A stated value: its evidence, its place and class in the deciding pattern and in the
caution pattern (place -1 when those criteria do not read the fact)."""


class SectionFacts:
    """The known facts of one section's requests and their two patterns, in one pass.

    ``merge`` followed by a pattern per fact class is the definition; this is the same
    result computed per request with one table lookup per stated fact: a value's evidence
    and classes are found once and remembered, and what a set of codes establishes is
    found once per set. Tests hold the two to the same answers.
    """

    def __init__(self, policy: Policy, deciding: FactClasses, cautions: FactClasses) -> None:
        self.policy = policy
        self._deciding = deciding
        self._cautions = cautions
        self._bases: Memo[tuple[str, ...], _Base] = Memo(self._base)
        self._placed: Memo[tuple[str, type, Any], _Placed] = Memo(
            lambda key: self._place(key[0], key[2])
        )

    def read(
        self, stated: Mapping[str, Any], codes: tuple[str, ...]
    ) -> tuple[dict[str, FactEvidence], Pattern, Pattern, tuple[Advisory, ...]]:
        """All known facts with their sources, the deciding and caution patterns, and a
        warning for each stated value a code contradicts (as ``merge`` words them)."""
        base = self._bases[codes]
        known = base.known.copy()
        deciding = base.deciding.copy()
        cautions = base.cautions.copy()
        placed = self._placed
        for name, value in stated.items():
            evidence, position, value_class, caution, caution_class = placed[
                (name, value.__class__, value)
            ]
            known[name] = evidence
            if position >= 0:
                deciding[position] = value_class
            if caution >= 0:
                cautions[caution] = caution_class
        conflicts: tuple[Advisory, ...] = ()
        if base.known or base.disagreements:
            conflicts = _worded(base.disagreements, base.known, stated)
        return known, tuple(deciding), tuple(cautions), conflicts

    def _base(self, codes: tuple[str, ...]) -> _Base:
        deciding: list[int | None] = [None] * len(self._deciding.facts)
        cautions: list[int | None] = [None] * len(self._cautions.facts)
        if not codes:
            return _Base({}, deciding, cautions, ())
        known, values, disagreements = _derived[(self.policy, codes)]
        for fact, value in values.items():
            for classes, pattern in ((self._deciding, deciding), (self._cautions, cautions)):
                place = classes.locate(fact, value)
                if place is not None:
                    pattern[place[0]] = place[1]
        return _Base(known, deciding, cautions, disagreements)

    def _place(self, name: str, value: Any) -> _Placed:
        deciding = self._deciding.locate(name, value) or (-1, None)
        cautions = self._cautions.locate(name, value) or (-1, None)
        return stated_evidence(value), deciding[0], deciding[1], cautions[0], cautions[1]
