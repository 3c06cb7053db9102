"""The determination: the one answer every adapter renders (CONTRACT.md, "Determination").

Determinations are immutable. Parts that depend only on the policy version and the known
facts (criteria, reasons, missing information) are shared between determinations and
carry their JSON already serialized, so rendering one costs little more than writing the
request-specific parts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medpolicy.domain.request import FactValue
from medpolicy.domain.status import NextStep, Outcome, Status

_json_dumps = json.dumps

__all__ = [
    "Advisory",
    "CriterionResult",
    "Determination",
    "FactEvidence",
    "MissingFact",
    "PolicyRef",
    "ServiceRef",
    "Verdict",
]


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """Which policy and which version of it decided the request."""

    id: str
    version: str
    title: str
    reconstructed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "reconstructed": self.reconstructed,
        }


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """The requested service and the policy section that covers it (None when none does)."""

    code: str
    section: str | None
    description: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "section": self.section, "description": self.description}


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One line of the checklist: a criterion or exclusion, its status and its parts."""

    id: str
    text: str
    citation: str
    status: Status
    children: tuple[CriterionResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "citation": self.citation,
            "status": self.status.value,
            "children": [child.to_dict() for child in self.children],
        }


@dataclass(frozen=True, slots=True)
class MissingFact:
    """A fact that could still change the outcome, with how to ask for it."""

    fact: str
    label: str
    question: str
    documentation: str
    accepted: str
    criteria: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "label": self.label,
            "question": self.question,
            "documentation": self.documentation,
            "accepted": self.accepted,
            "criteria": list(self.criteria),
        }


@dataclass(frozen=True, slots=True)
class Advisory:
    """One entry of a determination's ``warnings``: something a reviewer should see.

    (Not named Warning, which would shadow the built-in exception class.)
    """

    code: str
    message: str
    citation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.citation is not None:
            item["citation"] = self.citation
        return item


@dataclass(frozen=True, slots=True)
class FactEvidence:
    """A known fact and where it came from: ``request`` or ``ICD-10-CM <code>``."""

    value: FactValue
    source: str
    json: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.json:
            text = _json_dumps({"value": self.value, "source": self.source})
            object.__setattr__(self, "json", text)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the criteria say, given which facts are known: shared by equal fact patterns."""

    outcome: Outcome
    next_step: NextStep
    reasons: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    exclusions: tuple[CriterionResult, ...]
    missing: tuple[MissingFact, ...]
    json_fragment: str = field(default="", compare=False)

    def fragment(self) -> str:
        """The verdict's keys as JSON object members, without braces."""
        return self.json_fragment or _members(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "next_step": self.next_step.value,
            "reasons": list(self.reasons),
            "criteria": [c.to_dict() for c in self.criteria],
            "exclusions": [c.to_dict() for c in self.exclusions],
            "missing": [m.to_dict() for m in self.missing],
        }


def _members(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)[1:-1]


@dataclass(frozen=True, slots=True)
class Determination:
    """The engine's answer to one request.

    The engine never denies: ``outcome`` is a recommendation, and every adverse outcome
    has ``next_step == physician_review``.
    """

    request_id: str | None
    policy: PolicyRef | None
    service: ServiceRef
    coverage_basis: str | None
    verdict: Verdict
    warnings: tuple[Advisory, ...] = ()
    facts: Mapping[str, FactEvidence] = field(default_factory=dict)
    policy_json: str = field(default="", compare=False, repr=False)
    service_json: str = field(default="", compare=False, repr=False)

    @property
    def outcome(self) -> Outcome:
        return self.verdict.outcome

    @property
    def next_step(self) -> NextStep:
        return self.verdict.next_step

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.verdict.reasons

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        return self.verdict.criteria

    @property
    def exclusions(self) -> tuple[CriterionResult, ...]:
        return self.verdict.exclusions

    @property
    def missing(self) -> tuple[MissingFact, ...]:
        return self.verdict.missing

    def to_dict(self) -> dict[str, Any]:
        """The determination as the contract's JSON object (fresh, safe to change)."""
        result: dict[str, Any] = {
            "request_id": self.request_id,
            "policy": self.policy.to_dict() if self.policy else None,
            "service": self.service.to_dict(),
            "coverage_basis": self.coverage_basis,
        }
        result.update(self.verdict.to_dict())
        result["warnings"] = [w.to_dict() for w in self.warnings]
        result["facts"] = {name: ev.to_dict() for name, ev in self.facts.items()}
        return result

    def to_json(self) -> str:
        """The same object as ``to_dict`` serialized, reusing pre-serialized shared parts."""
        policy = self.policy_json or json.dumps(self.policy.to_dict() if self.policy else None)
        service = self.service_json or json.dumps(self.service.to_dict())
        warnings = ", ".join(_warning_json(w) for w in self.warnings)
        try:
            prefixes = _name_prefixes
            facts = ", ".join([prefixes[name] + ev.json for name, ev in self.facts.items()])
        except KeyError:
            facts = ", ".join([_fact_json(name, ev) for name, ev in self.facts.items()])
        request_id = "null" if self.request_id is None else _encode(self.request_id)
        basis = "null" if self.coverage_basis is None else _encode(self.coverage_basis)
        return (
            f'{{"request_id": {request_id}, "policy": {policy}, '
            f'"service": {service}, "coverage_basis": {basis}, '
            f'{self.verdict.fragment()}, "warnings": [{warnings}], "facts": {{{facts}}}}}'
        )


_encode = json.encoder.encode_basestring_ascii
_CACHE_LIMIT = 100_000
_warning_fragments: dict[Advisory, str] = {}
_name_prefixes: dict[str, str] = {}


def _fact_json(name: str, evidence: FactEvidence) -> str:
    """One member of the ``facts`` object."""
    prefix = _name_prefixes.get(name)
    if prefix is None:
        prefix = f"{_encode(name)}: "
        if len(_name_prefixes) < _CACHE_LIMIT:
            _name_prefixes[name] = prefix
    return prefix + evidence.json


def _warning_json(warning: Advisory) -> str:
    found = _warning_fragments.get(warning)
    if found is None:
        found = json.dumps(warning.to_dict(), ensure_ascii=False)
        if len(_warning_fragments) < _CACHE_LIMIT:
            _warning_fragments[warning] = found
    return found
