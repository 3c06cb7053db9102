"""A policy compiled from its data files: facts, versions, criteria trees and code rules.

These objects are what the engine walks. They are built only by ``loader`` (which checks
every reference) and never change afterwards.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

__all__ = [
    "Caution",
    "CodeMatcher",
    "Condition",
    "CoverageBasis",
    "Derivation",
    "DerivationRule",
    "Disagreement",
    "EvidenceItem",
    "FactDef",
    "Node",
    "OutOfScope",
    "Policy",
    "Section",
    "Service",
    "SourceInfo",
    "Version",
    "is_number",
]


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number a float can hold: not true or false, not NaN or
    infinite, and no integer beyond the largest float (``math.isfinite`` would raise on
    one written with four hundred digits)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= sys.float_info.max
    return isinstance(value, float) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class FactDef:
    """One entry of a policy's data dictionary."""

    id: str
    label: str
    type: str
    question: str
    documentation: str
    values: tuple[str, ...] = ()
    value_labels: Mapping[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of this fact's type (JSON types: no "yes" for true)."""
        if self.type == "boolean":
            return value is True or value is False
        if self.type == "enum":
            return isinstance(value, str) and value in self.value_labels
        if not is_number(value):
            return False
        low_ok = self.minimum is None or value >= self.minimum
        return low_ok and (self.maximum is None or value <= self.maximum)

    def accepted(self) -> str:
        """What this fact accepts, in words, for error messages and questions."""
        if self.type == "boolean":
            return "true or false"
        if self.type == "enum":
            return "one of " + ", ".join(repr(v) for v in self.values)
        if self.minimum is not None and self.maximum is not None:
            return f"a number from {_num(self.minimum)} to {_num(self.maximum)}"
        return "a number"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True, slots=True)
class Condition:
    """A test of one fact against a constant, e.g. ``donor_chimerism_percent < 100``."""

    fact: str
    op: str
    operand: Any

    def test(self, value: Any) -> bool:
        op = self.op
        if op == "equals":
            return bool(value == self.operand)
        if op == "in":
            return bool(value in self.operand)
        if op == "lt":
            return bool(value < self.operand)
        if op == "le":
            return bool(value <= self.operand)
        if op == "gt":
            return bool(value > self.operand)
        return bool(value >= self.operand)

    def describe(self) -> str:
        symbol = {"equals": "=", "in": "in", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
        operand = self.operand
        if isinstance(operand, tuple):
            shown = "[" + ", ".join(_show(v) for v in operand) + "]"
        else:
            shown = _show(operand)
        return f"{self.fact} {symbol[self.op]} {shown}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return _num(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Node:
    """A node of a criteria tree.

    ``kind`` is ``all``, ``any`` or ``not`` (over ``children``) or ``condition``. A node
    with an ``id`` is a line of the reviewer's checklist; one without is part of the logic
    of its nearest identified ancestor. ``applies_when`` makes a node not applicable when
    it is false ("if following an allogeneic transplant, ...").
    """

    kind: str
    id: str | None = None
    text: str | None = None
    citation: str | None = None
    children: tuple[Node, ...] = ()
    condition: Condition | None = None
    applies_when: Node | None = None

    def facts(self) -> tuple[str, ...]:
        """Facts this node reads, in first-appearance order (applies_when first)."""
        seen: dict[str, None] = {}
        if self.applies_when is not None:
            seen.update(dict.fromkeys(self.applies_when.facts()))
        if self.condition is not None:
            seen[self.condition.fact] = None
        for child in self.children:
            seen.update(dict.fromkeys(child.facts()))
        return tuple(seen)

    def conditions(self) -> tuple[Condition, ...]:
        found: list[Condition] = []
        if self.applies_when is not None:
            found.extend(self.applies_when.conditions())
        if self.condition is not None:
            found.append(self.condition)
        for child in self.children:
            found.extend(child.conditions())
        return tuple(found)

    def identified(self) -> tuple[Node, ...]:
        """This node and all identified nodes below it, depth first."""
        found: list[Node] = [self] if self.id else []
        for child in self.children:
            found.extend(child.identified())
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Caution:
    """A clinical caution: a warning for the reviewer that never changes the outcome."""

    code: str
    when: Node
    message: str
    citation: str


@dataclass(frozen=True, slots=True)
class Section:
    """The criteria of one service within one version."""

    name: str
    title: str
    citation: str
    criteria: tuple[Node, ...]
    exclusions: tuple[Node, ...] = ()
    cautions: tuple[Caution, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Version:
    """A version of the policy and the dates of service it governs (both ends inclusive)."""

    id: str
    effective_from: date
    effective_to: date | None
    reconstructed: bool
    basis: str
    sections: Mapping[str, Section]
    file: str = ""
    title: str | None = None
    """The policy's title in this version's period, when it differed from today's."""

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True, slots=True)
class Service:
    """A billing code the policy decides, and the section that decides it."""

    code: str
    system: str
    section: str
    description: str


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """Codes the policy names but explicitly leaves to another policy."""

    name: str
    system: str
    codes: tuple[str, ...]
    description: str
    reason: str
    citation: str

    def matches(self, code: str) -> bool:
        for spec in self.codes:
            low, _, high = spec.partition("-")
            if high:
                if len(code) == len(low) and low <= code <= high:
                    return True
            elif code == spec:
                return True
        return False


@dataclass(frozen=True, slots=True)
class CodeMatcher:
    """Which ICD-10-CM codes a derivation rule matches (codes without dots)."""

    categories: tuple[tuple[str, str], ...] = ()
    prefixes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    character: tuple[int, str] | None = None

    def matches(self, code: str) -> bool:
        category = code[:3]
        hit = any(low <= category <= high for low, high in self.categories) or any(
            code.startswith(prefix) for prefix in self.prefixes
        )
        if not hit or any(code.startswith(prefix) for prefix in self.exclude):
            return False
        if self.character is not None:
            position, expected = self.character
            return len(code) >= position and code[position - 1] == expected
        return True


@dataclass(frozen=True, slots=True)
class DerivationRule:
    value: Any
    why: str
    codes: CodeMatcher


@dataclass(frozen=True, slots=True)
class Disagreement:
    """What to say when codes match rules of different values: the fact then stays
    unknown. ``message`` names the codes through ``{value}`` placeholders."""

    warning: str
    message: str


@dataclass(frozen=True, slots=True)
class Derivation:
    """How diagnosis codes establish one fact: the first rule any code matches wins,
    unless ``disagreement`` is set and codes match rules of different values."""

    fact: str
    system: str
    rules: tuple[DerivationRule, ...]
    disagreement: Disagreement | None = None


@dataclass(frozen=True, slots=True)
class CoverageBasis:
    """Which basis of coverage applies for each line of business, and why."""

    default: str
    by_line_of_business: Mapping[str, str]
    explanations: Mapping[str, str]

    def for_line(self, line_of_business: str | None) -> str:
        if line_of_business is None:
            return self.default
        return self.by_line_of_business.get(line_of_business, self.default)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    document: str
    name: str
    last_approval: date
    next_review_due: str


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One study or guideline from the policy's summary of evidence, in our own words."""

    id: str
    kind: str
    section: str
    authors: str
    year: int
    title: str
    design: str
    n: int | None
    population: str
    key_figures: tuple[str, ...]
    summary: str
    reference: str
    discrepancies: tuple[str, ...] = ()
    """Where the source contradicts itself about this study, said rather than corrected."""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class Policy:
    """A whole policy: metadata, services, facts, derivations, versions and evidence."""

    id: str
    title: str
    publisher: str
    source: SourceInfo
    services: tuple[Service, ...]
    out_of_scope: tuple[OutOfScope, ...]
    coverage_basis: CoverageBasis
    versions: tuple[Version, ...]
    facts: Mapping[str, FactDef]
    derivations: tuple[Derivation, ...]
    evidence: tuple[EvidenceItem, ...]
    directory: Path

    def __repr__(self) -> str:
        return f"Policy({self.id!r}, versions={[v.id for v in self.versions]})"

    def version_on(self, day: date) -> Version | None:
        for version in self.versions:
            if version.covers(day):
                return version
        return None

    def version(self, version_id: str) -> Version | None:
        for version in self.versions:
            if version.id == version_id:
                return version
        return None

    def service(self, code: str) -> Service | None:
        for service in self.services:
            if service.code == code:
                return service
        return None
