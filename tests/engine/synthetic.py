"""Made-up policies of any size, for the engine's property tests and benchmarks.

A seeded generator writes a policy the way real ones are shaped: top-level criteria that
must all be met, each an "all" or "any" of a few conditions, some nested, some applying
only after an earlier answer ("if the transplant was allogeneic, ..."), some facts read
by more than one criterion, and a few exclusions. Facts are yes/no questions, choices of
three or four values, and numbers cut by thresholds.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from medpolicy.policy.model import (
    Condition,
    CoverageBasis,
    FactDef,
    Node,
    Policy,
    Section,
    Service,
    SourceInfo,
    Version,
)

__all__ = ["CODE", "DAY", "synthetic_policy"]

CODE = "99999"
DAY = date(2026, 1, 1)


def synthetic_policy(facts: int, seed: int = 40) -> Policy:
    """A policy of one section whose criteria read exactly ``facts`` facts."""
    rng = random.Random(seed)
    defs = {f"f{i:02d}": _fact(f"f{i:02d}", rng) for i in range(facts)}
    names = list(defs)
    unused = list(names)
    criteria: list[Node] = []
    exclusions: list[Node] = []
    chosen: dict[str, Condition] = {}
    number = 0
    while unused:
        number += 1
        width = min(len(unused), rng.randint(2, 4))
        own, unused = unused[:width], unused[width:]
        if len(criteria) > 1 and rng.random() < 0.3:
            own.append(rng.choice(names[: names.index(own[0])]))
        node = _criterion(f"c{number}", own, defs, chosen, rng)
        if exclusions or rng.random() < 0.85 or not unused:
            criteria.append(node)
        else:
            exclusions.append(node)
    if not exclusions:
        exclusions.append(_leaf("e1", rng.choice(names), defs, chosen, rng))
    section = Section(
        name="synthetic",
        title="Synthetic service",
        citation="Synthetic policy",
        criteria=tuple(criteria),
        exclusions=tuple(exclusions),
    )
    version = Version(
        id="2026-01-01",
        effective_from=DAY,
        effective_to=None,
        reconstructed=False,
        basis="generated",
        sections={"synthetic": section},
    )
    return Policy(
        id=f"SYN-{facts}",
        title=f"Synthetic policy with {facts} facts",
        publisher="tests",
        source=SourceInfo("none", "none", DAY, "never"),
        services=(Service(CODE, "CPT", "synthetic", "A made-up service"),),
        out_of_scope=(),
        coverage_basis=CoverageBasis("plan_policy", {}, {"plan_policy": "generated"}),
        versions=(version,),
        facts=defs,
        derivations=(),
        evidence=(),
        directory=Path("."),
    )


def _fact(name: str, rng: random.Random) -> FactDef:
    kind = rng.choices(["boolean", "enum", "number"], weights=[5, 4, 1])[0]
    common = {"label": name, "question": f"What is {name}?", "documentation": "A record."}
    if kind == "enum":
        values = tuple(f"v{j}" for j in range(rng.randint(3, 4)))
        labels = {v: v for v in values}
        return FactDef(name, type="enum", values=values, value_labels=labels, **common)
    if kind == "number":
        return FactDef(name, type="number", minimum=0.0, maximum=100.0, **common)
    return FactDef(name, type="boolean", **common)


def _condition(fact: FactDef, rng: random.Random) -> Condition:
    if fact.type == "boolean":
        return Condition(fact.id, "equals", rng.random() < 0.8)
    if fact.type == "enum":
        chosen = rng.sample(fact.values, rng.randint(1, 2))
        if len(chosen) == 1:
            return Condition(fact.id, "equals", chosen[0])
        return Condition(fact.id, "in", tuple(chosen))
    return Condition(fact.id, rng.choice(["lt", "ge"]), float(rng.choice([20, 50, 80])))


def _leaf(
    node_id: str | None,
    name: str,
    defs: dict[str, FactDef],
    chosen: dict[str, Condition],
    rng: random.Random,
) -> Node:
    """A test of one fact; a fact read again is tested the same way (as in a real policy,
    where "allogeneic transplant" means the same wherever it appears), so that the
    criteria can all be met together."""
    text = f"{name} as required" if node_id else None
    condition = chosen.get(name)
    if condition is None:
        condition = chosen[name] = _condition(defs[name], rng)
    return Node("condition", id=node_id, text=text, condition=condition)


def _criterion(
    node_id: str,
    names: list[str],
    defs: dict[str, FactDef],
    chosen: dict[str, Condition],
    rng: random.Random,
) -> Node:
    parts = [_leaf(f"{node_id}.{i}", name, defs, chosen, rng) for i, name in enumerate(names, 1)]
    guard = None
    if len(parts) > 2 and rng.random() < 0.4:
        guard = parts.pop(0).condition
    if len(parts) > 2 and rng.random() < 0.5:
        inner = rng.choice(["all", "any"])
        parts = [*parts[:-2], Node(inner, children=tuple(parts[-2:]))]
    kind = rng.choice(["all", "all", "any"])
    return Node(
        kind,
        id=node_id,
        text=f"Criterion {node_id}",
        children=tuple(parts),
        applies_when=Node("condition", condition=guard) if guard else None,
    )
