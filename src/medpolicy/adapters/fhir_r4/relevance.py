"""When a policy question is relevant, derived from the shape of the criteria trees.

A fact that is only ever read inside an ``all`` node next to a plain condition on an
earlier fact matters only when that condition can hold: in MCP-210, donor chimerism is
read only together with ``hscb_indication = chimerism_enhancement``, so a questionnaire
shows it only for that indication. ``applies_when`` guards count the same way (the donor
of the boost cells matters only after an allogeneic transplant).

Showing a question too often is harmless; hiding one that could change the outcome is not.
So each reading of a fact keeps a single guard (the one on the latest question, the most
specific), the readings are joined with "any", and one unguarded reading anywhere means
the question always shows. Guards only look backwards in questionnaire order, so no two
questions can wait on each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from medpolicy.policy.model import Condition, FactDef, Node, Section

__all__ = ["Guard", "relevance"]

_GUARD_OPS = frozenset({"equals", "in", "lt", "le", "gt", "ge"})


@dataclass(frozen=True, slots=True)
class Guard:
    """The question is relevant when fact ``fact`` satisfies ``op`` against ``operand``."""

    fact: str
    op: str
    operand: object


def relevance(section: Section, facts: Mapping[str, FactDef]) -> dict[str, tuple[Guard, ...]]:
    """For each fact the section reads: the guards of which any must hold, or () for always."""
    order = {name: index for index, name in enumerate(facts)}
    readings: dict[str, list[Guard | None]] = {}
    roots = [*section.criteria, *section.exclusions, *(c.when for c in section.cautions)]
    for root in roots:
        _walk(root, (), order, readings)
    result: dict[str, tuple[Guard, ...]] = {}
    for fact in sorted(readings, key=lambda name: order.get(name, len(order))):
        found = readings[fact]
        if any(guard is None for guard in found):
            result[fact] = ()
        else:
            result[fact] = tuple(dict.fromkeys(g for g in found if g is not None))
    return result


def _walk(
    node: Node,
    guards: tuple[Condition, ...],
    order: Mapping[str, int],
    readings: dict[str, list[Guard | None]],
) -> None:
    if node.applies_when is not None:
        _walk(node.applies_when, guards, order, readings)
        guards = guards + _plain_conditions([node.applies_when])
    if node.condition is not None:
        readings.setdefault(node.condition.fact, []).append(
            _pick(node.condition.fact, guards, order)
        )
    siblings = _plain_conditions(node.children) if node.kind == "all" else ()
    for child in node.children:
        own = child.condition if child.kind == "condition" else None
        extra = tuple(c for c in siblings if c is not own)
        _walk(child, guards + extra, order, readings)


def _plain_conditions(nodes: Iterable[Node]) -> tuple[Condition, ...]:
    return tuple(
        n.condition
        for n in nodes
        if n.kind == "condition" and n.condition is not None and n.applies_when is None
    )


def _pick(fact: str, guards: tuple[Condition, ...], order: Mapping[str, int]) -> Guard | None:
    position = order.get(fact, len(order))
    earlier = [
        g
        for g in guards
        if g.op in _GUARD_OPS and g.fact != fact and order.get(g.fact, -1) < position
    ]
    if not earlier:
        return None
    chosen = max(earlier, key=lambda g: order.get(g.fact, -1))
    return Guard(chosen.fact, chosen.op, chosen.operand)
