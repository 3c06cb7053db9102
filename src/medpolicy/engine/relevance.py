"""Which questions can still matter, from the same decision diagrams that decide.

A questionnaire (DTR) should show a question only when its answer could change something:
the outcome, or a clinical caution the reviewer will see. That is the engine's own exact
analysis of missing information, asked for the cautions as well, and for answers given so
far instead of a request: a fact matters given some answers when some way of filling in
the rest leaves the outcome, or whether a caution holds, depending on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medpolicy.engine.diagram import SectionDiagrams
from medpolicy.engine.program import FactClasses
from medpolicy.policy.model import Policy, Section

__all__ = ["SectionRelevance"]


class SectionRelevance:
    """The facts one section reads (criteria, exclusions and cautions) and when each matters."""

    def __init__(self, policy: Policy, section: Section) -> None:
        nodes = (*section.criteria, *section.exclusions, *(c.when for c in section.cautions))
        self.classes = FactClasses(policy, nodes)
        self.facts = self.classes.facts
        self.diagrams = SectionDiagrams(
            section, self.classes.position, self.classes.domains, with_cautions=True
        )

    def mattering(self, answers: Mapping[str, Any]) -> frozenset[str]:
        """The unanswered facts whose answer could still change the outcome or a caution."""
        pattern = self.classes.pattern(answers)
        diagram = self.diagrams.diagram
        found: set[int] = set()
        for root in (self.diagrams.outcome, *self.diagrams.cautions):
            found |= diagram.restrict(root, pattern).support()
        return frozenset(self.facts[position] for position in found)

    def matters(self, fact: str, answers: Mapping[str, Any]) -> bool:
        """Whether ``fact`` could still change the outcome or a caution given ``answers``."""
        return fact in self.mattering(answers)
