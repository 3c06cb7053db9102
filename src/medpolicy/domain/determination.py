"""The determination: the one answer every adapter renders (CONTRACT.md, "Determination").

Its parts are immutable records: msgspec Structs (built and hashed in C, so the thousands
made per second cost little; the parts that key the engine's and the encoder's tables keep
their hash once computed, ``cache_hash``), except ``Verdict``, a dataclass compared by
identity.

Determinations are immutable. Parts that depend only on the policy version and the known
facts (criteria, reasons, missing information: a ``Verdict``) are shared between
determinations; how they are written out fast is the JSON adapter's business
(``adapters/json_codec.py``), not theirs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from medpolicy.domain.request import FactValue
from medpolicy.domain.status import NextStep, Outcome, Status

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


class PolicyRef(msgspec.Struct, frozen=True, cache_hash=True):
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


class ServiceRef(msgspec.Struct, frozen=True, cache_hash=True):
    """The requested service and the policy section that covers it (None when none does)."""

    code: str
    section: str | None
    description: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "section": self.section, "description": self.description}


class CriterionResult(msgspec.Struct, frozen=True, cache_hash=True):
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


class MissingFact(msgspec.Struct, frozen=True, cache_hash=True):
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


class Advisory(msgspec.Struct, frozen=True, omit_defaults=True, cache_hash=True):
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


class FactEvidence(msgspec.Struct, frozen=True, cache_hash=True):
    """A known fact and where it came from: ``request`` or ``ICD-10-CM <code>``."""

    value: FactValue
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True, slots=True, eq=False)
class Verdict:
    """What the criteria say, given which facts are known: shared by equal fact patterns.

    The engine makes one verdict per pattern and hands the same object to every request
    with that pattern, so a verdict is its own identity (``eq=False``): compare fields,
    not verdicts.
    """

    outcome: Outcome
    next_step: NextStep
    reasons: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    exclusions: tuple[CriterionResult, ...]
    missing: tuple[MissingFact, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "next_step": self.next_step.value,
            "reasons": list(self.reasons),
            "criteria": [c.to_dict() for c in self.criteria],
            "exclusions": [c.to_dict() for c in self.exclusions],
            "missing": [m.to_dict() for m in self.missing],
        }


class Determination(msgspec.Struct, frozen=True):
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
    facts: Mapping[str, FactEvidence] = msgspec.field(default_factory=dict)

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
        """The same object as ``to_dict``, as JSON text (for batches, see
        ``adapters.json_codec``, which writes the same JSON faster)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)
