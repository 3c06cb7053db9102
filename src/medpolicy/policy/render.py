"""A policy rendered for people: Markdown for reviewers and authors, JSON for the public.

Medicare Advantage plans must publish the internal criteria they use, so the public form
carries every criterion with its citation, both versions, and the evidence summary.
"""

from __future__ import annotations

from typing import Any

from medpolicy.errors import UnknownVersionError
from medpolicy.policy.model import Node, Policy, Section, Version

__all__ = ["node_to_dict", "policy_to_dict", "render_markdown", "version_to_dict"]


def node_to_dict(node: Node) -> dict[str, Any]:
    """A criteria node as JSON: identified parts nest, plain tests show as `logic`."""
    item: dict[str, Any] = {"id": node.id, "text": node.text, "citation": node.citation}
    item["logic"] = logic_text(node)
    if node.applies_when is not None:
        item["applies_when"] = logic_text(node.applies_when)
    item["children"] = [node_to_dict(child) for child in node.children if child.id]
    return item


def logic_text(node: Node) -> str:
    """The node's logic as a compact expression, e.g. `all(prior_hsct = allogeneic, ...)`."""
    if node.condition is not None:
        return node.condition.describe()
    if node.kind == "not":
        return f"not({logic_text(node.children[0])})"
    inner = ", ".join(child.id if child.id else logic_text(child) for child in node.children)
    return f"{node.kind}({inner})"


def version_to_dict(version: Version) -> dict[str, Any]:
    return {
        "id": version.id,
        "title": version.title,
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
        "reconstructed": version.reconstructed,
        "basis": version.basis,
        "sections": {
            name: {
                "title": section.title,
                "citation": section.citation,
                "criteria": [node_to_dict(n) for n in section.criteria],
                "exclusions": [node_to_dict(n) for n in section.exclusions],
                "cautions": [
                    {"code": c.code, "message": c.message, "citation": c.citation}
                    for c in section.cautions
                ],
            }
            for name, section in version.sections.items()
        },
    }


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The whole policy as JSON: metadata, services, facts, versions and evidence."""
    return {
        "id": policy.id,
        "title": policy.title,
        "publisher": policy.publisher,
        "source": {
            "name": policy.source.name,
            "document": policy.source.document,
            "last_approval": policy.source.last_approval.isoformat(),
            "next_review_due": policy.source.next_review_due,
        },
        "services": [
            {"code": s.code, "system": s.system, "section": s.section, "description": s.description}
            for s in policy.services
        ],
        "out_of_scope": [
            {"codes": list(o.codes), "description": o.description, "reason": o.reason}
            for o in policy.out_of_scope
        ],
        "facts": {
            f.id: {
                "label": f.label,
                "type": f.type,
                "accepted": f.accepted(),
                "values": dict(f.value_labels) or None,
                "question": f.question,
                "documentation": f.documentation,
            }
            for f in policy.facts.values()
        },
        "versions": [version_to_dict(v) for v in policy.versions],
        "evidence": [
            {
                "id": e.id,
                "kind": e.kind,
                "section": e.section,
                "authors": e.authors,
                "year": e.year,
                "title": e.title,
                "design": e.design,
                "n": e.n,
                "population": e.population,
                "key_figures": list(e.key_figures),
                "summary": e.summary,
                "reference": e.reference,
                "discrepancies": list(e.discrepancies),
            }
            for e in policy.evidence
        ],
    }


def dates_of_service(version: Version) -> str:
    """The dates a version decides, e.g. "2014-11-11 to 2025-08-12" or "from 2027-01-01":
    an open-ended version runs from its first day on, whether that day is past or future."""
    if version.effective_to is None:
        return f"from {version.effective_from}"
    return f"{version.effective_from} to {version.effective_to}"


def render_markdown(policy: Policy, version_id: str | None = None) -> str:
    """The criteria of one version (the latest by default) as Markdown with citations."""
    version = policy.version(version_id) if version_id else policy.versions[-1]
    if version is None:
        raise UnknownVersionError(policy.id, version_id, [v.id for v in policy.versions])
    lines = [f"# {policy.id}: {version.title or policy.title}", ""]
    lines.append(f"Version **{version.id}**, for dates of service {dates_of_service(version)}.")
    if version.reconstructed:
        lines.append("")
        lines.append("> **Reconstructed version.** " + version.basis)
    else:
        lines.extend(["", version.basis])
    lines.extend(
        [
            "",
            f"Source: {policy.source.name}, last approved {policy.source.last_approval}, "
            f"next review due {policy.source.next_review_due}.",
        ]
    )
    for service in policy.services:
        section = version.sections.get(service.section)
        lines.extend(["", f"## {service.system} {service.code}: {service.description}", ""])
        if section is None:
            lines.append("This version has no criteria for this service: it is not addressed.")
            continue
        lines.extend(_section_markdown(section))
    if policy.out_of_scope:
        lines.extend(["", "## Not addressed by this policy", ""])
        for scope in policy.out_of_scope:
            lines.append(f"- {', '.join(scope.codes)} ({scope.description}): {scope.reason}")
    lines.extend(_evidence_markdown(policy))
    return "\n".join(lines) + "\n"


def _section_markdown(section: Section) -> list[str]:
    lines = [f"Meets criteria when ALL of the following hold ({section.citation}):", ""]
    for node in section.criteria:
        lines.extend(_node_markdown(node, 0))
    if section.exclusions:
        lines.extend(["", "Experimental, investigational and unproven when ANY holds:", ""])
        for node in section.exclusions:
            lines.extend(_node_markdown(node, 0))
    if section.cautions:
        lines.extend(
            ["", "Clinical cautions (warnings for the reviewer; never change the outcome):", ""]
        )
        for caution in section.cautions:
            lines.append(f"- `{caution.code}`: {caution.message} *({caution.citation})*")
    return lines


def _node_markdown(node: Node, depth: int) -> list[str]:
    pad = "  " * depth
    cite = f" *({node.citation})*" if node.citation else ""
    applies = f" Applies only when `{logic_text(node.applies_when)}`." if node.applies_when else ""
    lines = [f"{pad}- **{node.id}** {node.text}{applies}{cite} `{logic_text(node)}`"]
    for child in node.children:
        if child.id:
            lines.extend(_node_markdown(child, depth + 1))
    return lines


def _evidence_markdown(policy: Policy) -> list[str]:
    """The evidence summary, one line per study, and where the source contradicts itself
    the noted discrepancy, shown rather than silently corrected."""
    if not policy.evidence:
        return []
    lines = ["", "## Summary of evidence (our summary of the policy's)", ""]
    for item in policy.evidence:
        n = f", n = {item.n}" if item.n is not None else ""
        lines.append(f"- **{item.authors} ({item.year})**, {item.design}{n}: {item.summary}")
        for note in item.discrepancies:
            lines.append(f"  - *Noted discrepancy in the source:* {note}")
    return lines
