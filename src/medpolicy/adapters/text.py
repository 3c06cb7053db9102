"""A determination for a person at a terminal: the criteria as a checklist."""

from __future__ import annotations

import textwrap

from medpolicy.domain import CriterionResult, Determination, Status

__all__ = ["render_text"]

_MARK = {
    Status.MET: "[x]",
    Status.NOT_MET: "[ ]",
    Status.UNKNOWN: "[?]",
    Status.NOT_APPLICABLE: "[-]",
}
_WIDTH = 100


def render_text(result: Determination) -> str:
    service = result.service
    lines = [
        f"Request {result.request_id or '(no id)'}: {service.code} "
        f"{service.description or ''}".rstrip(),
    ]
    if result.policy is not None:
        recon = ", reconstructed" if result.policy.reconstructed else ""
        lines.append(
            f"Policy {result.policy.id} version {result.policy.version}{recon}: "
            f"{result.policy.title} (coverage basis: {result.coverage_basis})"
        )
    lines.append(f"Outcome: {result.outcome}  ->  next step: {result.next_step}")
    if result.criteria:
        lines.extend(
            ["", "Criteria (all must be met)   [x] met  [ ] not met  [?] unknown  [-] n/a"]
        )
        lines.extend(_checklist(result.criteria, 1))
    if result.exclusions:
        lines.extend(["", "Exclusions (any one makes the service experimental)"])
        lines.extend(_checklist(result.exclusions, 1))
    if result.missing:
        lines.extend(["", "Missing information"])
        for item in result.missing:
            lines.append(f"  - {item.label} ({item.fact}; {item.accepted})")
            lines.extend(_wrap(f"Question: {item.question}", 6))
            lines.extend(_wrap(f"Send: {item.documentation}", 6))
    if result.warnings:
        lines.extend(["", "Warnings"])
        for warning in result.warnings:
            lines.extend(_wrap(f"! {warning.code}: {warning.message}", 2))
    lines.extend(["", "Reasons"])
    for reason in result.reasons:
        lines.extend(_wrap(f"- {reason}", 2))
    return "\n".join(lines) + "\n"


def _checklist(results: tuple[CriterionResult, ...], depth: int) -> list[str]:
    lines: list[str] = []
    for result in results:
        lines.extend(_wrap(f"{_MARK[result.status]} {result.id} {result.text}", depth * 2))
        lines.extend(_wrap(f"    ({result.citation})", depth * 2))
        lines.extend(_checklist(result.children, depth + 1))
    return lines


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, _WIDTH, initial_indent=pad, subsequent_indent=pad + "  ") or [pad]
