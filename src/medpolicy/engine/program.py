"""A section of a policy version compiled for fast, exact decisions.

Only a few facts decide a section (eight for donor lymphocyte infusion), and each has few
values that matter: an enum's values, true/false, and for a number the intervals its
thresholds cut ("below 100%" or "100%"). So every request maps to a small *pattern*: per
deciding fact, which of those values it has, or unknown. The verdict (statuses, outcome,
missing information, reasons) depends only on the pattern, so it is computed once per
pattern and shared.

Missing information is computed exactly, not guessed from the tree's shape: an unknown
fact is listed when some way of filling in the other unknowns leaves the outcome depending
on that fact's value. Facts under a branch already decided never qualify.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from itertools import pairwise, product
from operator import itemgetter
from typing import Any

from medpolicy.domain import CriterionResult, MissingFact, Outcome, Status, Verdict
from medpolicy.domain.status import NEXT_STEP
from medpolicy.engine import explain
from medpolicy.engine.logic import judge, status_of
from medpolicy.policy.model import Condition, FactDef, Node, Policy, Section, Version

__all__ = ["Pattern", "SectionProgram"]

Pattern = tuple[int | None, ...]
_MAX_CACHED = 200_000


class SectionProgram:
    """The deciding facts of one section, their value classes, and a verdict per pattern."""

    def __init__(self, policy: Policy, version: Version, section: Section) -> None:
        self.policy, self.version, self.section = policy, version, section
        self.nodes: tuple[Node, ...] = section.criteria + section.exclusions
        seen: dict[str, None] = {}
        for node in self.nodes:
            seen.update(dict.fromkeys(node.facts()))
        self.facts: tuple[str, ...] = tuple(seen)
        self.position = {fact: i for i, fact in enumerate(self.facts)}
        conditions: dict[str, list[Condition]] = {f: [] for f in self.facts}
        for node in self.nodes:
            for condition in node.conditions():
                conditions[condition.fact].append(condition)
        self._numeric: dict[str, tuple[list[Condition], dict[tuple[bool, ...], int]]] = {}
        self.domains: tuple[tuple[Any, ...], ...] = tuple(
            self._domain(policy.facts[f], conditions[f]) for f in self.facts
        )
        self._index: tuple[dict[Any, int], ...] = tuple(
            {} if policy.facts[f].type == "number" else {v: i for i, v in enumerate(dom)}
            for f, dom in zip(self.facts, self.domains, strict=True)
        )
        self._node_positions = tuple(
            tuple(self.position[f] for f in node.facts()) for node in self.nodes
        )
        self._node_reads = tuple(frozenset(node.facts()) for node in self.nodes)
        self._node_keys = tuple(_subpattern(positions) for positions in self._node_positions)
        self._judged: dict[tuple[int, Pattern], tuple[CriterionResult, str]] = {}
        self._verdicts: dict[tuple[str, Pattern], Verdict] = {}
        self._composed: dict[tuple[Any, ...], Verdict] = {}
        self._complete: dict[Pattern, Outcome] = {}

    def _domain(self, fact: FactDef, conditions: list[Condition]) -> tuple[Any, ...]:
        if fact.type == "boolean":
            return (True, False)
        if fact.type == "enum":
            return fact.values
        candidates = _representatives(fact, [float(c.operand) for c in conditions])
        classes: dict[tuple[bool, ...], int] = {}
        values: list[float] = []
        for value in candidates:
            signature = tuple(c.test(value) for c in conditions)
            if signature not in classes:
                classes[signature] = len(values)
                values.append(value)
        self._numeric[fact.id] = (conditions, classes)
        return tuple(values)

    def pattern(self, facts: Mapping[str, Any]) -> Pattern:
        """The request's pattern: per deciding fact, its value class, or None if unknown."""
        out: list[int | None] = []
        for fact, index in zip(self.facts, self._index, strict=True):
            value = facts.get(fact)
            if value is None:
                out.append(None)
            elif index:
                out.append(index[value])
            else:
                conditions, classes = self._numeric[fact]
                out.append(classes[tuple(c.test(value) for c in conditions)])
        return tuple(out)

    def values(self, pattern: Pattern) -> dict[str, Any]:
        return {
            fact: self.domains[i][v]
            for i, (fact, v) in enumerate(zip(self.facts, pattern, strict=True))
            if v is not None
        }

    def verdict(self, pattern: Pattern, basis: str) -> Verdict:
        """The shared verdict for a pattern under a coverage basis (computed once)."""
        key = (basis, pattern)
        found = self._verdicts.get(key)
        if found is None:
            found = self._decide(pattern, basis)
            if len(self._verdicts) < _MAX_CACHED:
                self._verdicts[key] = found
        return found

    def _judge(self, index: int, pattern: Pattern) -> tuple[CriterionResult, str]:
        """A top-level node's checklist line and its JSON; it depends only on its own facts."""
        key = (index, self._node_keys[index](pattern))
        found = self._judged.get(key)
        if found is None:
            positions = self._node_positions[index]
            values = {
                self.facts[p]: self.domains[p][pattern[p]]  # type: ignore[index]
                for p in positions
                if pattern[p] is not None
            }
            result = judge(self.nodes[index], values, self.section.citation)
            found = (result, json.dumps(result.to_dict(), ensure_ascii=False))
            if len(self._judged) < _MAX_CACHED:
                self._judged[key] = found
        return found

    def _decide(self, pattern: Pattern, basis: str) -> Verdict:
        section = self.section
        judged = [self._judge(i, pattern) for i in range(len(self.nodes))]
        split = len(section.criteria)
        criteria = tuple(result for result, _ in judged[:split])
        exclusions = tuple(result for result, _ in judged[split:])
        outcome = _outcome(criteria, exclusions)
        missing: tuple[MissingFact, ...] = ()
        if outcome is Outcome.INSUFFICIENT_INFORMATION:
            agreed = self._agreed_outcome(pattern)
            if agreed is not None:
                outcome = agreed
            else:
                missing = self._missing(pattern, criteria + exclusions)
        composition = (
            basis,
            outcome,
            tuple(text for _, text in judged),
            tuple(m.fact for m in missing),
        )
        found = self._composed.get(composition)
        if found is None:
            found = self._compose(
                outcome=outcome,
                criteria=criteria,
                exclusions=exclusions,
                missing=missing,
                basis=basis,
                judged=judged,
                split=split,
            )
            if len(self._composed) < _MAX_CACHED:
                self._composed[composition] = found
        return found

    def _compose(
        self,
        *,
        outcome: Outcome,
        criteria: tuple[CriterionResult, ...],
        exclusions: tuple[CriterionResult, ...],
        missing: tuple[MissingFact, ...],
        basis: str,
        judged: list[tuple[CriterionResult, str]],
        split: int,
    ) -> Verdict:
        """A verdict from its parts; patterns that judge alike share one."""
        reasons = explain.reasons(
            policy=self.policy,
            version=self.version,
            section=self.section,
            outcome=outcome,
            criteria=criteria,
            exclusions=exclusions,
            missing=missing,
            basis=basis,
        )
        next_step = NEXT_STEP[outcome]
        fragment = (
            f'"outcome": "{outcome.value}", "next_step": "{next_step.value}", '
            f'"reasons": [{", ".join(_cached_json(r, r) for r in reasons)}], '
            f'"criteria": [{", ".join(text for _, text in judged[:split])}], '
            f'"exclusions": [{", ".join(text for _, text in judged[split:])}], '
            f'"missing": [{", ".join(_cached_json(m, m.to_dict()) for m in missing)}]'
        )
        return Verdict(
            outcome, next_step, reasons, criteria, exclusions, missing, json_fragment=fragment
        )

    def _outcome_complete(self, pattern: Pattern) -> Outcome:
        found = self._complete.get(pattern)
        if found is None:
            facts = self.values(pattern)
            criteria = tuple(
                CriterionResult("", "", "", status_of(n, facts)) for n in self.section.criteria
            )
            exclusions = tuple(
                CriterionResult("", "", "", status_of(n, facts)) for n in self.section.exclusions
            )
            found = self._complete[pattern] = _outcome(criteria, exclusions)
        return found

    def _completions(self, pattern: Pattern, fixed: int | None = None) -> Any:
        free = [i for i, v in enumerate(pattern) if v is None and i != fixed]
        for choice in product(*(range(len(self.domains[i])) for i in free)):
            full = list(pattern)
            for i, v in zip(free, choice, strict=True):
                full[i] = v
            yield full

    def _agreed_outcome(self, pattern: Pattern) -> Outcome | None:
        """The outcome every completion of the pattern agrees on, if they all agree."""
        seen: Outcome | None = None
        for full in self._completions(pattern):
            outcome = self._outcome_complete(tuple(full))
            if seen is None:
                seen = outcome
            elif outcome is not seen:
                return None
        return seen

    def _matters(self, pattern: Pattern, position: int) -> bool:
        for full in self._completions(pattern, fixed=position):
            first: Outcome | None = None
            for value in range(len(self.domains[position])):
                full[position] = value
                outcome = self._outcome_complete(tuple(full))
                if first is None:
                    first = outcome
                elif outcome is not first:
                    return True
        return False

    def _missing(
        self, pattern: Pattern, results: tuple[CriterionResult, ...]
    ) -> tuple[MissingFact, ...]:
        out = []
        for position, fact_id in enumerate(self.facts):
            if pattern[position] is not None or not self._matters(pattern, position):
                continue
            fact = self.policy.facts[fact_id]
            undecided = tuple(
                result.id
                for reads, result in zip(self._node_reads, results, strict=True)
                if result.status is Status.UNKNOWN and fact_id in reads
            )
            out.append(
                MissingFact(
                    fact=fact_id,
                    label=fact.label,
                    question=fact.question,
                    documentation=fact.documentation,
                    accepted=fact.accepted(),
                    criteria=undecided,
                )
            )
        return tuple(out)


def _subpattern(positions: tuple[int, ...]) -> Callable[[Pattern], Any]:
    """A fast function picking a node's own facts out of a pattern, as a hashable key
    (every node reads at least one fact: the loader refuses a node without a test)."""
    return itemgetter(*positions)


_json_cache: dict[Any, str] = {}


def _cached_json(key: Any, value: Any) -> str:
    """JSON of a reason sentence or a missing-fact entry; they recur across verdicts."""
    found = _json_cache.get(key)
    if found is None:
        found = json.dumps(value, ensure_ascii=False)
        if len(_json_cache) < _MAX_CACHED:
            _json_cache[key] = found
    return found


def _representatives(fact: FactDef, thresholds: list[float]) -> list[float]:
    """One number from every interval the thresholds cut the fact's range into.

    The thresholds themselves, the midpoints between neighbours, and a point beyond each
    end (the range's bound when there is one) cover every interval and every boundary, so
    any accepted value falls in a class that has a representative.
    """
    cuts = sorted(set(thresholds))
    low = fact.minimum if fact.minimum is not None else (cuts[0] - 1 if cuts else 0.0)
    high = fact.maximum if fact.maximum is not None else (cuts[-1] + 1 if cuts else 0.0)
    points = {low, high, *cuts}
    points.update((a + b) / 2 for a, b in pairwise(cuts))
    return sorted(v for v in points if fact.accepts(v))


def _outcome(
    criteria: tuple[CriterionResult, ...], exclusions: tuple[CriterionResult, ...]
) -> Outcome:
    """MCP-210.md "Outcomes": the first row that holds decides."""
    if any(e.status is Status.MET for e in exclusions):
        return Outcome.EXPERIMENTAL_INVESTIGATIONAL
    statuses = [c.status for c in criteria]
    if Status.NOT_MET in statuses:
        return Outcome.DOES_NOT_MEET_CRITERIA
    if Status.UNKNOWN in statuses or any(e.status is Status.UNKNOWN for e in exclusions):
        return Outcome.INSUFFICIENT_INFORMATION
    return Outcome.MEETS_CRITERIA
