"""From a validated request to a determination: pick the policy, version and section,
establish the facts, and take the verdict the section program computes for them."""

from __future__ import annotations

import json
from typing import Any

from medpolicy.domain import (
    CoverageRequest,
    Determination,
    FactEvidence,
    NextStep,
    Outcome,
    PolicyRef,
    ServiceRef,
    Status,
    Verdict,
    Warning,
)
from medpolicy.engine import explain
from medpolicy.engine.facts import merge
from medpolicy.engine.logic import status_of
from medpolicy.engine.program import SectionProgram
from medpolicy.policy.model import Policy, Section, Version
from medpolicy.policy.registry import Registry
from medpolicy.terminology.icd10cm import display, lookup

__all__ = ["Engine"]


class Engine:
    """Decides requests against a registry of policies. Pure: no I/O after loading."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._programs: dict[tuple[str, str, str], tuple[SectionProgram, str, str]] = {}
        self._code_warnings: dict[tuple[str, ...], tuple[Warning, ...]] = {}

    def program(
        self, policy: Policy, version: Version, section: Section
    ) -> tuple[SectionProgram, str, str]:
        """The compiled section with its policy and service JSON, built on first use."""
        key = (policy.id, version.id, section.name)
        found = self._programs.get(key)
        if found is None:
            service = next(s for s in policy.services if s.section == section.name)
            ref = PolicyRef(policy.id, version.id, policy.title, version.reconstructed)
            found = (
                SectionProgram(policy, version, section),
                json.dumps(ref.to_dict(), ensure_ascii=False),
                json.dumps(
                    ServiceRef(service.code, section.name, service.description).to_dict(),
                    ensure_ascii=False,
                ),
            )
            self._programs[key] = found
        return found

    def determine(self, request: CoverageRequest) -> Determination:
        target = self.registry.target(request.service_code)
        stated = request.facts or {}
        code_warnings = self._diagnosis_warnings(request.diagnoses)
        if target is None:
            return _routed(
                request,
                None,
                "no policy here addresses it; route the request to the policy that covers it.",
                code_warnings,
            )
        policy = target.policy
        if target.out_of_scope is not None:
            scope = target.out_of_scope
            return _routed(
                request,
                scope.description,
                f"{scope.reason} ({scope.citation})",
                code_warnings,
            )
        service = target.service
        assert service is not None
        version = policy.version_on(request.date_of_service)
        if version is None:
            first = policy.versions[0]
            why = (
                f"no version of {policy.id} was in effect on {request.date_of_service} "
                f"(its first version took effect on {first.effective_from})."
            )
            return _routed(request, service.description, why, code_warnings, service.section)
        section = version.sections.get(service.section)
        if section is None:
            later = [v.id for v in policy.versions if service.section in v.sections]
            why = (
                f"{explain.version_label(policy, version)}, in effect on "
                f"{request.date_of_service}, has no criteria for this service"
                + (f"; criteria for it begin with version {later[0]}." if later else ".")
            )
            return _routed(request, service.description, why, code_warnings, service.section)
        program, policy_json, service_json = self.program(policy, version, section)
        known, warnings = merge(policy, stated, request.diagnoses)
        values = {name: evidence.value for name, evidence in known.items()}
        line = request.member.line_of_business if request.member else None
        basis = policy.coverage_basis.for_line(line)
        verdict = program.verdict(program.pattern(values), basis)
        warnings.extend(_cautions(section, values))
        if version.reconstructed:
            warnings.append(
                Warning(
                    "reconstructed_version",
                    f"{explain.version_label(policy, version)} was rebuilt from the policy's "
                    "approval history, not from its text of that period; a reviewer should "
                    "confirm the criteria that applied on the date of service.",
                )
            )
        return Determination(
            request_id=request.request_id,
            policy=PolicyRef(policy.id, version.id, policy.title, version.reconstructed),
            service=ServiceRef(service.code, section.name, service.description),
            coverage_basis=basis,
            verdict=verdict,
            warnings=code_warnings + tuple(warnings),
            facts=known,
            policy_json=policy_json,
            service_json=service_json,
        )

    def _diagnosis_warnings(self, codes: tuple[str, ...]) -> tuple[Warning, ...]:
        if not codes:
            return ()
        found = self._code_warnings.get(codes)
        if found is None:
            out = []
            for code in codes:
                entry = lookup(code)
                if entry is not None and not entry.billable:
                    out.append(
                        Warning(
                            "non_billable_code",
                            f"Diagnosis {display(code)} ({entry.description}) is a category, "
                            "not a billable code; it was used to establish facts, but a claim "
                            "will need a more specific code.",
                        )
                    )
            found = tuple(out)
            if len(self._code_warnings) < 65536:
                self._code_warnings[codes] = found
        return found


def _cautions(section: Section, values: dict[str, Any]) -> list[Warning]:
    return [
        Warning(caution.code, caution.message, caution.citation)
        for caution in section.cautions
        if status_of(caution.when, values) is Status.MET
    ]


def _routed(
    request: CoverageRequest,
    description: str | None,
    why: str,
    warnings: tuple[Warning, ...],
    section: str | None = None,
) -> Determination:
    facts = {
        name: FactEvidence(value, "request")
        for name, value in (request.facts or {}).items()
        if value is not None
    }
    return Determination(
        request_id=request.request_id,
        policy=None,
        service=ServiceRef(request.service_code, section, description),
        coverage_basis=None,
        verdict=Verdict(
            Outcome.NOT_ADDRESSED,
            NextStep.ROUTE_ELSEWHERE,
            explain.not_addressed(request.service_code, why),
            (),
            (),
            (),
        ),
        warnings=warnings,
        facts=facts,
    )
