"""Three-valued evaluation of criteria trees, with the checklist it produces.

A fact nobody reported is unknown, and unknown propagates the way a careful reviewer
reasons (Kleene's logic): "all of" fails as soon as one part fails, and is met only when
every part is met; "any of" is met as soon as one part is met. A node whose
``applies_when`` is false is not applicable, and counts as neither met nor failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medpolicy.domain import CriterionResult, Status
from medpolicy.policy.model import Node

__all__ = ["judge", "status_of"]

_MET, _NOT_MET = Status.MET, Status.NOT_MET
_UNKNOWN, _NA = Status.UNKNOWN, Status.NOT_APPLICABLE


def status_of(node: Node, facts: Mapping[str, Any]) -> Status:
    """The node's status given known facts (absent or None means unknown)."""
    if node.applies_when is not None:
        applies = status_of(node.applies_when, facts)
        if applies is _NOT_MET:
            return _NA
        body = _body(node, facts)
        if applies is _UNKNOWN and body is _NOT_MET:
            return _UNKNOWN
        return body
    return _body(node, facts)


def _body(node: Node, facts: Mapping[str, Any]) -> Status:
    kind = node.kind
    if kind == "condition":
        assert node.condition is not None
        value = facts.get(node.condition.fact)
        if value is None:
            return _UNKNOWN
        return _MET if node.condition.test(value) else _NOT_MET
    if kind == "not":
        inner = status_of(node.children[0], facts)
        if inner is _MET:
            return _NOT_MET
        return _MET if inner is _NOT_MET else inner
    return combine(kind, [status_of(child, facts) for child in node.children])


def combine(kind: str, statuses: list[Status]) -> Status:
    """Combine children's statuses under ``all`` or ``any``; not-applicable parts drop out."""
    decisive, other = (_NOT_MET, _MET) if kind == "all" else (_MET, _NOT_MET)
    if decisive in statuses:
        return decisive
    if _UNKNOWN in statuses:
        return _UNKNOWN
    return other if other in statuses else _NA


def judge(node: Node, facts: Mapping[str, Any], citation: str = "") -> CriterionResult:
    """The checklist line for an identified node, with its identified parts below it."""
    cite = node.citation or citation
    return CriterionResult(
        id=node.id or "",
        text=node.text or "",
        citation=cite,
        status=status_of(node, facts),
        children=tuple(judge(part, facts, cite) for part in _identified_parts(node)),
    )


def _identified_parts(node: Node) -> list[Node]:
    parts: list[Node] = []
    for child in node.children:
        if child.id:
            parts.append(child)
        else:
            parts.extend(_identified_parts(child))
    return parts
