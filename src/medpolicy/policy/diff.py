"""What changed between two versions of a policy, criterion by criterion.

Criteria are matched by id, so a reworded criterion shows as a change of text and a
changed rule as a change of logic, which is what a policy committee needs to review.
"""

from __future__ import annotations

from medpolicy.errors import UnknownVersionError
from medpolicy.policy.model import Node, Policy, Section, Version
from medpolicy.policy.render import dates_of_service, logic_text

__all__ = ["diff_versions"]


def diff_versions(policy: Policy, old_id: str, new_id: str) -> str:
    """A Markdown report of the differences from version ``old_id`` to ``new_id``."""
    old, new = _version(policy, old_id), _version(policy, new_id)
    lines = [f"# {policy.id}: changes from version {old.id} to {new.id}", ""]
    lines.extend(_version_changes(old, new))
    for service in policy.services:
        before, after = old.sections.get(service.section), new.sections.get(service.section)
        heading = f"## {service.system} {service.code} ({service.section})"
        if before is None and after is None:
            continue
        lines.extend(["", heading, ""])
        if before is None:
            lines.append(f"- Criteria added: version {old.id} did not address this service.")
            assert after is not None
            lines.extend(f"  - added **{n.id}**: {n.text}" for n in _all_nodes(after))
        elif after is None:
            lines.append(f"- Criteria removed: version {new.id} does not address this service.")
        else:
            changes = _section_changes(before, after)
            lines.extend(changes or ["- No change."])
    return "\n".join(lines) + "\n"


def _version(policy: Policy, version_id: str) -> Version:
    found = policy.version(version_id)
    if found is None:
        raise UnknownVersionError(policy.id, version_id, [v.id for v in policy.versions])
    return found


def _version_changes(old: Version, new: Version) -> list[str]:
    return [
        f"- Version {version.id}: dates of service {dates_of_service(version)}"
        f"{' (reconstructed)' if version.reconstructed else ''}."
        for version in (old, new)
    ]


def _all_nodes(section: Section) -> list[Node]:
    found: list[Node] = []
    for node in section.criteria + section.exclusions:
        found.extend(node.identified())
    return found


def _section_changes(before: Section, after: Section) -> list[str]:
    old = {n.id: n for n in _all_nodes(before)}
    new = {n.id: n for n in _all_nodes(after)}
    out: list[str] = []
    for node_id, node in new.items():
        if node_id not in old:
            out.append(f"- added **{node_id}**: {node.text} `{logic_text(node)}`")
            continue
        prior = old[node_id]
        if prior.text != node.text:
            out.append(f'- **{node_id}** text: "{prior.text}" -> "{node.text}"')
        if logic_text(prior) != logic_text(node):
            out.append(f"- **{node_id}** logic: `{logic_text(prior)}` -> `{logic_text(node)}`")
        prior_applies = logic_text(prior.applies_when) if prior.applies_when else None
        applies = logic_text(node.applies_when) if node.applies_when else None
        if prior_applies != applies:
            out.append(f"- **{node_id}** applies when: `{prior_applies}` -> `{applies}`")
        if prior.citation != node.citation:
            out.append(f"- **{node_id}** citation: {prior.citation} -> {node.citation}")
    out.extend(
        f"- removed **{node_id}**: {node.text}"
        for node_id, node in old.items()
        if node_id not in new
    )
    old_cautions = {c.code for c in before.cautions}
    new_cautions = {c.code for c in after.cautions}
    out.extend(f"- caution added: `{c}`" for c in sorted(new_cautions - old_cautions))
    out.extend(f"- caution removed: `{c}`" for c in sorted(old_cautions - new_cautions))
    return out
