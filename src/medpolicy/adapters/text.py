"""A determination for a person: the checklist a physician reviewer signs from.

Besides outcome and criteria, a reviewer needs what the decision rested on: the date of
service (it chose the policy version), the diagnoses with their ICD-10-CM titles, and every
fact with its value and where it came from (stated in the request, derived from a code,
entered by a reviewer). Statuses are written in words, never as bare boxes: an alternative
that was not needed reads "not needed", an exclusion that does not apply reads "does not
apply", and only a criterion that fails reads "NOT MET", with, for a failed "one of",
why each option failed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from medpolicy.domain import CoverageRequest, CriterionResult, Determination, Status
from medpolicy.policy.model import Condition, FactDef, Node, Policy, Section
from medpolicy.terminology.icd10cm import description, display

__all__ = ["render_request_text", "render_text"]

_WIDTH = 100
_CRITERION = {
    Status.MET: "[met]",
    Status.NOT_MET: "[NOT MET]",
    Status.UNKNOWN: "[unknown]",
    Status.NOT_APPLICABLE: "[does not apply]",
}
_OPTION_WHEN_MET = {
    Status.MET: "[met]",
    Status.NOT_MET: "[not needed]",
    Status.UNKNOWN: "[not needed]",
    Status.NOT_APPLICABLE: "[does not apply]",
}
_OPTION_WHEN_OPEN = {
    Status.MET: "[met]",
    Status.NOT_MET: "[ruled out]",
    Status.UNKNOWN: "[unknown]",
    Status.NOT_APPLICABLE: "[does not apply]",
}
_EXCLUSION = {
    Status.MET: "[APPLIES]",
    Status.NOT_MET: "[does not apply]",
    Status.UNKNOWN: "[unknown]",
    Status.NOT_APPLICABLE: "[does not apply]",
}


def render_request_text(document: Any, engine: Any) -> str:
    """Decide one contract request with ``engine`` and render it for a person (the request
    is needed for the date of service and the diagnoses)."""
    from medpolicy.adapters.json_request import parse_request

    request = parse_request(document, engine.registry)
    result = engine.determine(request)
    policy = engine.registry.policy(result.policy.id) if result.policy else None
    return render_text(result, request=request, policy=policy)


def render_text(
    result: Determination,
    *,
    request: CoverageRequest | None = None,
    policy: Policy | None = None,
    reviewer_facts: Collection[str] = (),
) -> str:
    """The determination as a signable checklist. ``request`` adds the date of service and
    diagnoses, ``policy`` the facts' labels and why each failed option failed;
    ``reviewer_facts`` names facts a reviewer entered (the service knows, the request not)."""
    section = _section(result, policy)
    service = result.service
    lines = [
        f"Request {result.request_id or '(no id)'}: {service.code} "
        f"{service.description or ''}".rstrip(),
    ]
    if request is not None:
        lines.append(f"Date of service: {request.date_of_service.isoformat()}")
    if result.policy is not None:
        recon = ", reconstructed" if result.policy.reconstructed else ""
        lines.append(
            f"Policy {result.policy.id} version {result.policy.version}{recon}: "
            f"{result.policy.title} (coverage basis: {result.coverage_basis})"
        )
    lines.append(f"Outcome: {result.outcome}  ->  next step: {result.next_step}")
    if request is not None:
        lines.extend(["", "Diagnoses (ICD-10-CM)"])
        lines.extend(_diagnoses(request.diagnoses))
    lines.extend(["", "Facts"])
    lines.extend(_facts(result, policy, section, reviewer_facts))
    facts = {name: evidence.value for name, evidence in result.facts.items()}
    context = _Context(_nodes(section), facts, policy)
    if result.criteria:
        lines.extend(["", "Criteria (all must be met)"])
        for item in result.criteria:
            lines.extend(_criterion(item, 1, context, _CRITERION))
    if result.exclusions:
        lines.extend(["", "Exclusions (any one that applies makes the service experimental)"])
        for item in result.exclusions:
            lines.extend(_criterion(item, 1, context, _EXCLUSION))
    if result.missing:
        lines.extend(["", "Missing information"])
        for missing in result.missing:
            lines.append(f"  - {missing.label} ({missing.fact}; {missing.accepted})")
            lines.extend(_wrap(f"Question: {missing.question}", 6))
            lines.extend(_wrap(f"Send: {missing.documentation}", 6))
    if result.warnings:
        lines.extend(["", "Warnings"])
        for warning in result.warnings:
            lines.extend(_wrap(f"! {warning.code}: {warning.message}", 2))
    lines.extend(["", "Reasons"])
    for reason in result.reasons:
        lines.extend(_wrap(f"- {reason}", 2))
    return "\n".join(lines) + "\n"


def _section(result: Determination, policy: Policy | None) -> Section | None:
    if policy is None or result.policy is None or result.service.section is None:
        return None
    version = policy.version(result.policy.version)
    return version.sections.get(result.service.section) if version else None


def _diagnoses(codes: tuple[str, ...]) -> list[str]:
    if not codes:
        return ["  none given"]
    lines = []
    for code in codes:
        try:
            title = description(code)
        except KeyError:
            title = "(title not found)"
        lines.extend(_wrap(f"- {display(code)}  {title}", 2))
    return lines


def _facts(
    result: Determination,
    policy: Policy | None,
    section: Section | None,
    reviewer_facts: Collection[str],
) -> list[str]:
    """Each known fact with value and source, then the section's facts nobody reported."""
    lines = []
    definitions: Mapping[str, FactDef] = policy.facts if policy else {}
    for name, evidence in result.facts.items():
        fact = definitions.get(name)
        label = f"{fact.label} ({name})" if fact else name
        value = _value(fact, evidence.value)
        source = _source(evidence.source, name in reviewer_facts)
        lines.extend(_wrap(f"- {label}: {value}  [{source}]", 2))
    if not result.facts:
        lines.append("  none known")
    if section is not None and policy is not None:
        read = _section_facts(section)
        unknown = [policy.facts[f].label for f in read if f not in result.facts]
        if unknown:
            lines.extend(_wrap("Not reported: " + "; ".join(unknown) + ".", 2))
    return lines


def _section_facts(section: Section) -> list[str]:
    seen: dict[str, None] = {}
    for node in (*section.criteria, *section.exclusions, *(c.when for c in section.cautions)):
        seen.update(dict.fromkeys(node.facts()))
    return list(seen)


def _value(fact: FactDef | None, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if fact is not None and fact.type == "enum":
        return f"{fact.value_labels.get(str(value), value)} ({value})"
    if fact is not None and fact.type == "number":
        shown = int(value) if float(value).is_integer() else value
        return f"{shown}{fact.unit or ''}"
    return str(value)


def _source(source: str, by_reviewer: bool) -> str:
    if by_reviewer:
        return "entered by a reviewer"
    if source == "request":
        return "stated in the request"
    if source.startswith("ICD-10-CM "):
        code = source.removeprefix("ICD-10-CM ")
        try:
            title = description(code.replace(".", ""))
        except KeyError:
            return f"derived from {source}"
        return f"derived from {source}, {title}"
    return source


def _nodes(section: Section | None) -> dict[str, Node]:
    if section is None:
        return {}
    found: dict[str, Node] = {}
    for root in (*section.criteria, *section.exclusions):
        for node in root.identified():
            assert node.id is not None
            found[node.id] = node
    return found


@dataclass(frozen=True, slots=True)
class _Context:
    """What every checklist line may need: the section's nodes, the facts and the policy."""

    nodes: Mapping[str, Node]
    facts: Mapping[str, Any]
    policy: Policy | None


def _criterion(
    item: CriterionResult, depth: int, context: _Context, marks: Mapping[Status, str]
) -> list[str]:
    pad = depth * 2
    lines = _wrap(f"{marks[item.status]} {item.id} {item.text}", pad)
    lines.extend(_wrap(f"    ({item.citation})", pad))
    if not item.children:
        return lines
    node = context.nodes.get(item.id)
    one_of = node is not None and node.kind == "any"
    if one_of:
        lines.append(" " * (pad + 2) + "one of:")
    child_marks: Mapping[Status, str] = marks
    if one_of and item.status is Status.MET:
        child_marks = _OPTION_WHEN_MET
    elif one_of and item.status is Status.UNKNOWN:
        child_marks = _OPTION_WHEN_OPEN
    for child in item.children:
        lines.extend(_criterion(child, depth + 1, context, child_marks))
        if one_of and item.status is Status.NOT_MET and child.status is Status.NOT_MET:
            why = _why_not(context.nodes.get(child.id), context)
            if why:
                lines.extend(_wrap(f"why not: {why}", (depth + 3) * 2))
    return lines


def _why_not(node: Node | None, context: _Context) -> str:
    """The failed tests of an option, in words: "relapse confirmed: no (needs yes)"."""
    if node is None or context.policy is None:
        return ""
    facts = context.facts
    definitions = context.policy.facts
    failed = _failed_conditions(node, facts)
    return "; ".join(_describe(c, facts[c.fact], definitions[c.fact]) for c in failed)


def _failed_conditions(node: Node, facts: Mapping[str, Any]) -> list[Condition]:
    if node.condition is not None:
        value = facts.get(node.condition.fact)
        if value is not None and not node.condition.test(value):
            return [node.condition]
        return []
    found: list[Condition] = []
    for child in node.children:
        found.extend(_failed_conditions(child, facts))
    return found


def _describe(condition: Condition, value: Any, fact: FactDef) -> str:
    label = _lower_first(fact.label)
    given = _plain(fact, value)
    operand = condition.operand
    if condition.op == "equals":
        needed = _plain(fact, operand)
    elif condition.op == "in":
        needed = " or ".join(_plain(fact, v) for v in operand)
    else:
        words = {"lt": "below", "le": "at most", "gt": "above", "ge": "at least"}[condition.op]
        needed = f"{words} {_plain(fact, operand)}"
    if fact.type == "boolean":
        return f"{label}: {given} (needs {needed})"
    return f"{label} is {given}, not {needed}"


def _plain(fact: FactDef, value: Any) -> str:
    """A value in words without its code: "Planned prevention of relapse", "80%", "yes"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if fact.type == "enum":
        return fact.value_labels.get(str(value), str(value))
    return _value(fact, value)


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym (CAR T stays CAR T)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, _WIDTH, initial_indent=pad, subsequent_indent=pad + "  ") or [pad]
