"""A section of a policy version compiled for fast, exact decisions.

Only a few facts decide a section (eight for donor lymphocyte infusion), and each has few
values that matter: an enum's values, true/false, and for a number the intervals its
thresholds cut ("below 100%" or "100%"). So every request maps to a small *pattern*: per
deciding fact, which of those values it has, or unknown. The verdict (statuses, outcome,
missing information, reasons) depends only on the pattern, so it is computed once per
pattern and shared.

Missing information is exact, not guessed from the tree's shape: an unknown fact is listed
when some way of filling in the other unknowns leaves the outcome depending on that fact's
value. The section's outcome is compiled once to a decision diagram (``diagram.py``), so
answering that costs time in the size of the diagram, not in the number of ways to fill in
the unknowns. Facts under a branch already decided never qualify.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from operator import itemgetter
from typing import Any

from medpolicy.domain import CriterionResult, MissingFact, Outcome, Status, Verdict
from medpolicy.domain.status import NEXT_STEP
from medpolicy.engine import explain
from medpolicy.engine.diagram import SectionDiagrams
from medpolicy.engine.logic import judge
from medpolicy.memo import Memo
from medpolicy.policy.model import Condition, FactDef, Node, Policy, Section, Version

__all__ = ["FactClasses", "Pattern", "SectionProgram"]

Pattern = tuple[int | None, ...]


class FactClasses:
    """The facts some criteria read, in first-appearance order, and their value classes.

    ``domains[i]`` holds one representative value per class of fact ``i``: every value of
    an enum, true and false, or one number from each interval the criteria's thresholds
    cut. Two values of a class pass and fail exactly the same conditions.
    """

    def __init__(self, policy: Policy, nodes: Sequence[Node]) -> None:
        seen: dict[str, None] = {}
        for node in nodes:
            seen.update(dict.fromkeys(node.facts()))
        self.facts: tuple[str, ...] = tuple(seen)
        self.position = {fact: i for i, fact in enumerate(self.facts)}
        conditions: dict[str, list[Condition]] = {f: [] for f in self.facts}
        for node in nodes:
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
        self._lookup = tuple(zip(self.facts, self._index, strict=True))

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
        """Per fact, the class of its value in ``facts``, or None if unknown."""
        get, number = facts.get, self._number_class
        return tuple(
            [
                None
                if (value := get(fact)) is None
                else index[value]
                if index
                else number(fact, value)
                for fact, index in self._lookup
            ]
        )

    def locate(self, fact: str, value: Any) -> tuple[int, int | None] | None:
        """Where ``fact`` sits in a pattern and the class of ``value`` there (None for an
        unknown value); None when these criteria do not read ``fact``."""
        position = self.position.get(fact)
        if position is None:
            return None
        if value is None:
            return position, None
        index = self._index[position]
        return position, index[value] if index else self._number_class(fact, value)

    def _number_class(self, fact: str, value: Any) -> int:
        conditions, classes = self._numeric[fact]
        return classes[tuple([c.test(value) for c in conditions])]

    def values(self, pattern: Pattern) -> dict[str, Any]:
        """A representative value for every known fact of a pattern."""
        return {
            fact: self.domains[i][v]
            for i, (fact, v) in enumerate(zip(self.facts, pattern, strict=True))
            if v is not None
        }


class SectionProgram:
    """The deciding facts of one section, their value classes, and a verdict per pattern."""

    def __init__(self, policy: Policy, version: Version, section: Section) -> None:
        self.policy, self.version, self.section = policy, version, section
        self.nodes: tuple[Node, ...] = section.criteria + section.exclusions
        self.classes = FactClasses(policy, self.nodes)
        self.facts = self.classes.facts
        self.pattern = self.classes.pattern
        self.diagrams = SectionDiagrams(section, self.classes.position, self.classes.domains)
        positions = tuple(tuple(self.classes.position[f] for f in n.facts()) for n in self.nodes)
        self._node_positions = positions
        self._node_reads = tuple(frozenset(node.facts()) for node in self.nodes)
        self._node_keys = tuple(_subpattern(p) for p in positions)
        self._distinct: tuple[dict[CriterionResult, int], ...] = tuple({} for _ in self.nodes)
        self._results_of: tuple[list[CriterionResult], ...] = tuple([] for _ in self.nodes)
        self._judged: tuple[Memo[Any, int], ...] = tuple(
            Memo(self._judge_for(i)) for i in range(len(self.nodes))
        )
        self._judging = tuple(zip(self._judged, self._node_keys, strict=True))
        self._open: Memo[tuple[str, Pattern, tuple[int, ...]], Verdict] = Memo(
            lambda key: self._composed[(key[0], *self._open_parts[key[1:]])]
        )
        self._open_parts: Memo[tuple[Pattern, tuple[int, ...]], tuple[Any, ...]] = Memo(
            self._decide_open
        )
        self._settled: Memo[tuple[str, tuple[int, ...]], Verdict | None] = Memo(self._settle)
        self._outcomes: Memo[tuple[int, ...], Outcome] = Memo(self._kleene_outcome)
        self._composed: Memo[tuple[Any, ...], Verdict] = Memo(self._compose)
        self._shared: Memo[tuple[Any, ...], Verdict] = Memo(self._share)

    def verdict(self, pattern: Pattern, basis: str) -> Verdict:
        """The shared verdict for a pattern under a coverage basis.

        Each top-level criterion is judged from its own facts' classes (a small table per
        criterion), and the checklist lines settle the verdict for most patterns; only a
        pattern whose outcome they leave open is looked up as a whole, to find which
        unknown facts could still change it. A batch with many distinct patterns thus
        fills a few small tables, not one entry per pattern.
        """
        numbers = tuple([memo[node_key(pattern)] for memo, node_key in self._judging])
        settled = self._settled[(basis, numbers)]
        if settled is not None:
            return settled
        return self._open[(basis, pattern, numbers)]

    def _judge_for(self, index: int) -> Callable[[Any], int]:
        """How to judge top-level node ``index`` from its own facts' classes: the number
        of its checklist line among the distinct lines it has produced (few: one per
        combination of its parts' statuses), so equal lines are one object."""
        node, positions = self.nodes[index], self._node_positions[index]
        facts, domains, citation = self.facts, self.classes.domains, self.section.citation

        def judge_node(own: Any) -> int:
            classes = own if len(positions) > 1 else (own,)
            values = {
                facts[p]: domains[p][c]
                for p, c in zip(positions, classes, strict=True)
                if c is not None
            }
            return self._number(index, judge(node, values, citation))

        return judge_node

    def _decide_open(self, key: tuple[Pattern, tuple[int, ...]]) -> tuple[Any, ...]:
        """The verdict's parts (``_compose``'s, but the basis) of a pattern whose checklist
        lines leave the outcome open: the section's decision diagram, restricted to the
        pattern, says whether the unknown facts can change it and which of them can. The
        same for every coverage basis, so found once per pattern."""
        pattern, numbers = key
        restricted = self.diagrams.diagram.restrict(self.diagrams.outcome, pattern)
        if not restricted.is_leaf:
            missing = tuple(sorted(restricted.support()))
            return Outcome.INSUFFICIENT_INFORMATION, numbers, missing, ()
        outcome: Outcome = restricted.value
        lines = self._settled_lines(numbers, pattern)
        return outcome, lines, (), self._together(outcome, lines, pattern)

    def _together(
        self, outcome: Outcome, lines: tuple[int, ...], pattern: Pattern
    ) -> tuple[int, ...]:
        """When no single criterion fails (or exclusion applies) although the outcome is
        settled, the criteria that cannot all be met (or the exclusions one of which always
        applies): a boost of the member's own cells to raise donor chimerism meets the
        source criterion after an autologous transplant and the indication only after an
        allogeneic one, so with the transplant unreported it fails on the two together."""
        results = self._results(lines)
        split = len(self.section.criteria)
        if outcome is Outcome.DOES_NOT_MEET_CRITERIA:
            if any(r.status is Status.NOT_MET for r in results[:split]):
                return ()
            open_ = [i for i, r in enumerate(results[:split]) if r.status is Status.UNKNOWN]
            return self.diagrams.jointly_settled(open_, pattern, every=True)
        if outcome is Outcome.EXPERIMENTAL_INVESTIGATIONAL:
            if any(r.status is Status.MET for r in results[split:]):
                return ()
            open_ = [split + i for i, r in enumerate(results[split:]) if r.status is Status.UNKNOWN]
            return self.diagrams.jointly_settled(open_, pattern, every=False)
        return ()

    def _settled_lines(self, numbers: tuple[int, ...], pattern: Pattern) -> tuple[int, ...]:
        """The checklist lines of a pattern whose outcome every completion agrees on,
        although Kleene's logic leaves some criterion unknown (cells from another donor
        fail the boost's source criterion whatever the transplant was, but each branch of
        it reads the transplant). Such a criterion shows the status every completion gives
        it, so the checklist and the reasons name what decides the outcome."""
        settled = list(numbers)
        for index, number in enumerate(numbers):
            line = self._results_of[index][number]
            if line.status is not Status.UNKNOWN:
                continue
            status = self.diagrams.settled_status(index, pattern)
            if status is None:
                continue
            exact = CriterionResult(line.id, line.text, line.citation, status, line.children)
            settled[index] = self._number(index, exact)
        return tuple(settled)

    def _number(self, index: int, result: CriterionResult) -> int:
        """The number of a checklist line of top-level node ``index``, the same for equal
        lines, so that equal lines are one object."""
        distinct, results = self._distinct[index], self._results_of[index]
        number = distinct.get(result)
        if number is None:
            number = distinct[result] = len(results)
            results.append(result)
        return number

    def _settle(self, key: tuple[str, tuple[int, ...]]) -> Verdict | None:
        """The verdict of every pattern whose checklist lines are ``numbers``, when those
        lines settle the outcome; None when it is open and the pattern itself must be
        asked which facts could still change it."""
        basis, numbers = key
        outcome = self._outcomes[numbers]
        if outcome is Outcome.INSUFFICIENT_INFORMATION:
            return None
        return self._composed[(basis, outcome, numbers, (), ())]

    def _kleene_outcome(self, numbers: tuple[int, ...]) -> Outcome:
        """The outcome the checklist lines ``numbers`` give by Kleene's logic (whatever
        the coverage basis): insufficient information when they leave it open."""
        results = self._results(numbers)
        split = len(self.section.criteria)
        return _outcome(results[:split], results[split:])

    def _results(self, numbers: tuple[int, ...]) -> tuple[CriterionResult, ...]:
        """The checklist line of each top-level node, by its number."""
        return tuple([lines[n] for lines, n in zip(self._results_of, numbers, strict=True)])

    def _compose(self, parts: tuple[Any, ...]) -> Verdict:
        """A verdict from its parts; patterns that judge alike share one. ``parts`` are
        the basis, the outcome, each node's line number, the missing facts' positions and
        the nodes that settle the outcome only together (see ``_together``).
        Verdicts that differ only in their coverage basis share their checklist, missing
        facts and all but the basis's own reason."""
        basis, outcome, numbers, positions, together = parts
        shared = self._shared[(outcome, numbers, positions, together)]
        return Verdict(
            outcome,
            NEXT_STEP[outcome],
            shared.reasons + explain.basis_reasons(self.policy, basis),
            shared.criteria,
            shared.exclusions,
            shared.missing,
        )

    def _share(self, parts: tuple[Any, ...]) -> Verdict:
        """The verdict of the policy's default coverage basis, for ``_compose`` to share."""
        outcome, numbers, positions, together = parts
        results = self._results(numbers)
        missing = self._missing(positions, results)
        split = len(self.section.criteria)
        criteria, exclusions = results[:split], results[split:]
        reasons = explain.reasons(
            together=tuple(results[i] for i in together),
            policy=self.policy,
            version=self.version,
            section=self.section,
            outcome=outcome,
            criteria=criteria,
            exclusions=exclusions,
            missing=missing,
            basis=self.policy.coverage_basis.default,
        )
        return Verdict(outcome, NEXT_STEP[outcome], reasons, criteria, exclusions, missing)

    def _missing(
        self, positions: tuple[int, ...], results: tuple[CriterionResult, ...]
    ) -> tuple[MissingFact, ...]:
        out = []
        for position in positions:
            fact_id = self.facts[position]
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
