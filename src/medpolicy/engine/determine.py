"""From a validated request to a determination: pick the policy, version and section,
establish the facts, and take the verdict the section program computes for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from medpolicy.domain import (
    Advisory,
    CoverageRequest,
    Determination,
    NextStep,
    Outcome,
    PolicyRef,
    ServiceRef,
    Status,
    Verdict,
)
from medpolicy.engine import explain
from medpolicy.engine.facts import SectionFacts, stated_facts
from medpolicy.engine.logic import status_of
from medpolicy.engine.program import FactClasses, SectionProgram
from medpolicy.engine.relevance import SectionRelevance
from medpolicy.memo import Memo
from medpolicy.policy.model import Policy, Section, Version
from medpolicy.policy.registry import Registry
from medpolicy.terminology.icd10cm import display, lookup

__all__ = ["Engine"]


@dataclass(frozen=True, slots=True)
class _Route:
    """Why no section decides a service code on a date: the shared parts of the answer
    that sends the request elsewhere."""

    service: ServiceRef
    verdict: Verdict

    @classmethod
    def build(
        cls, code: str, description: str | None, why: str, section: str | None = None
    ) -> _Route:
        service = ServiceRef(code, section, description)
        verdict = Verdict(
            Outcome.NOT_ADDRESSED,
            NextStep.ROUTE_ELSEWHERE,
            explain.not_addressed(code, why),
            (),
            (),
            (),
        )
        return cls(service, verdict)


@dataclass(slots=True)
class _Compiled:
    """Everything about one section of one version that does not depend on the request."""

    program: SectionProgram
    policy_ref: PolicyRef
    service_ref: ServiceRef
    fixed_warnings: tuple[Advisory, ...]
    caution_classes: FactClasses
    facts: SectionFacts = field(init=False)
    bases: Memo[str | None, str] = field(init=False)
    cautions: Memo[tuple[Any, ...], tuple[Advisory, ...]] = field(init=False)
    reviewed: Memo[tuple[Verdict, tuple[Advisory, ...]], Verdict] = field(init=False)

    def __post_init__(self) -> None:
        program = self.program
        self.facts = SectionFacts(program.policy, program.classes, self.caution_classes)
        self.bases = Memo(program.policy.coverage_basis.for_line)
        self.cautions = Memo(self._cautions_holding)
        self.reviewed = Memo(lambda key: explain.with_cautions(*key))

    def _cautions_holding(self, pattern: tuple[Any, ...]) -> tuple[Advisory, ...]:
        values = self.caution_classes.values(pattern)
        return tuple(
            Advisory(caution.code, caution.message, caution.citation)
            for caution in self.program.section.cautions
            if status_of(caution.when, values) is Status.MET
        )

    def with_cautions(self, verdict: Verdict, cautions: tuple[Advisory, ...]) -> Verdict:
        """A verdict that meets the criteria goes to a physician when a caution holds
        (MCP-210.md, "Outcomes"): the outcome stays, the next step and a reason change."""
        if not cautions or verdict.outcome is not Outcome.MEETS_CRITERIA:
            return verdict
        return self.reviewed[(verdict, cautions)]


class Engine:
    """Decides requests against a registry of policies. Pure: no I/O after loading."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._compiled: Memo[tuple[Policy, Version, str], _Compiled] = Memo(
            lambda key: self._compile(key[0], key[1], key[1].sections[key[2]])
        )
        self._relevance: Memo[tuple[Policy, Version, str], SectionRelevance] = Memo(
            lambda key: SectionRelevance(key[0], key[1].sections[key[2]])
        )
        self._routes: Memo[tuple[str, date], _Compiled | _Route] = Memo(
            lambda key: self._find(*key)
        )
        self._code_warnings: Memo[tuple[str, ...], tuple[Advisory, ...]] = Memo(_diagnosis_warnings)

    def relevance(self, policy: Policy, version: Version, section_name: str) -> SectionRelevance:
        """When each question of a section matters (for questionnaires), built on first use."""
        return self._relevance[(policy, version, section_name)]

    def compiled(self, policy: Policy, version: Version, section: Section) -> _Compiled:
        """The compiled section with its shared references and JSON, built on first use."""
        return self._compiled[(policy, version, section.name)]

    @staticmethod
    def _compile(policy: Policy, version: Version, section: Section) -> _Compiled:
        service = next(s for s in policy.services if s.section == section.name)
        policy_ref = PolicyRef(
            policy.id, version.id, version.title or policy.title, version.reconstructed
        )
        service_ref = ServiceRef(service.code, section.name, service.description)
        fixed: tuple[Advisory, ...] = ()
        if version.reconstructed:
            fixed = (
                Advisory(
                    "reconstructed_version",
                    f"{explain.version_label(policy, version)} was rebuilt from the policy's "
                    "approval history, not from its text of that period; a reviewer should "
                    "confirm the criteria that applied on the date of service.",
                ),
            )
        return _Compiled(
            program=SectionProgram(policy, version, section),
            policy_ref=policy_ref,
            service_ref=service_ref,
            fixed_warnings=fixed,
            caution_classes=FactClasses(policy, [c.when for c in section.cautions]),
        )

    def determine(self, request: CoverageRequest) -> Determination:
        code_warnings = self._code_warnings[request.diagnoses] if request.diagnoses else ()
        resolved = self._routes[(request.service_code, request.date_of_service)]
        if isinstance(resolved, _Route):
            return _routed(request, resolved, code_warnings)
        program = resolved.program
        known, deciding, caution_pattern, conflicts = resolved.facts.read(
            request.facts or {}, request.diagnoses
        )
        member = request.member
        basis = resolved.bases[member.line_of_business if member else None]
        verdict = program.verdict(deciding, basis)
        cautions = resolved.cautions[caution_pattern]
        if cautions:
            verdict = resolved.with_cautions(verdict, cautions)
        warnings = code_warnings + conflicts + cautions + resolved.fixed_warnings
        return Determination(
            request.request_id,
            resolved.policy_ref,
            resolved.service_ref,
            basis,
            verdict,
            warnings,
            known,
        )

    def _find(self, code: str, day: date) -> _Compiled | _Route:
        """Which compiled section decides ``code`` on ``day``, or why none does."""
        target = self.registry.target(code)
        if target is None:
            why = "no policy here addresses it; route the request to the policy that covers it."
            return _Route.build(code, None, why)
        policy = target.policy
        if target.out_of_scope is not None:
            scope = target.out_of_scope
            return _Route.build(code, scope.description, f"{scope.reason} ({scope.citation})")
        service = target.service
        if service is None:
            return _Route.build(code, None, "no section of its policy decides it.")
        version = policy.version_on(day)
        if version is None:
            first = policy.versions[0]
            why = (
                f"no version of {policy.id} was in effect on {day} "
                f"(its first version took effect on {first.effective_from})."
            )
            return _Route.build(code, service.description, why, service.section)
        section = version.sections.get(service.section)
        if section is None:
            later = [v.id for v in policy.versions if service.section in v.sections]
            why = (
                f"{explain.version_label(policy, version)}, in effect on {day}, has no "
                "criteria for this service"
                + (f"; criteria for it begin with version {later[0]}." if later else ".")
            )
            return _Route.build(code, service.description, why, service.section)
        return self.compiled(policy, version, section)


def _diagnosis_warnings(codes: tuple[str, ...]) -> tuple[Advisory, ...]:
    """A warning for each diagnosis code that is a category rather than a billable code."""
    out = []
    for code in codes:
        entry = lookup(code)
        if entry is not None and not entry.billable:
            out.append(
                Advisory(
                    "non_billable_code",
                    f"Diagnosis {display(code)} ({entry.description}) is a category, "
                    "not a billable code; it was used to establish facts, but a claim "
                    "will need a more specific code.",
                )
            )
    return tuple(out)


def _routed(
    request: CoverageRequest, route: _Route, warnings: tuple[Advisory, ...]
) -> Determination:
    facts = stated_facts(request.facts or {})
    return Determination(
        request_id=request.request_id,
        policy=None,
        service=route.service,
        coverage_basis=None,
        verdict=route.verdict,
        warnings=warnings,
        facts=facts,
    )
