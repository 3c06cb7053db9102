"""A section's criteria compiled once to a decision diagram, for exact missing information.

Whether a fact nobody reported could still change the outcome is a question about every
way of filling in the other unknown facts, which grows as the product of their values:
16 yes/no facts are 65,536 combinations. A reduced, ordered decision diagram answers it
in time that grows with the size of the diagram instead, and for criteria trees (each
criterion reads a few facts, in the order the policy lists them) that size grows with the
policy's structure, not with the product.

The diagram has one level per deciding fact (in first-appearance order), one branch per
value class of that fact, and leaves for the results (criterion statuses, or outcomes).
It is *reduced*: no node whose branches all lead to the same place, and no two nodes
alike, so two diagrams of the same function are the same node. Then:

- the outcome every completion of the known facts agrees on is the diagram restricted to
  those facts, when that is a leaf;
- the unknown facts that could still change the outcome are exactly the levels left in
  the restricted diagram (a reduced diagram reads only the facts its function depends on).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from medpolicy.domain import Outcome, Status
from medpolicy.policy.model import Node, Section

__all__ = ["Diagram", "Restricted", "SectionDiagrams"]

Pattern = tuple[int | None, ...]


class Diagram:
    """Nodes of reduced ordered decision diagrams over variables ``0..len(arity)-1``.

    Nodes are ints. A leaf stands for a value; an inner node reads one variable and has
    one child per value of it. Variables are read in increasing order along every path.
    """

    def __init__(self, arity: Sequence[int]) -> None:
        self.arity = tuple(arity)
        self._bottom = len(self.arity)
        self._var: list[int] = []
        self._kids: list[tuple[int, ...]] = []
        self._value: list[Any] = []
        self._unique: dict[tuple[int, tuple[int, ...]], int] = {}
        self._leaves: dict[Hashable, int] = {}

    def leaf(self, value: Hashable) -> int:
        """The leaf standing for ``value``."""
        found = self._leaves.get(value)
        if found is None:
            found = self._leaves[value] = self._new(self._bottom, (), value)
        return found

    def node(self, var: int, kids: tuple[int, ...]) -> int:
        """The node reading ``var`` with these children, reduced and shared."""
        first = kids[0]
        if all(kid == first for kid in kids):
            return first
        key = (var, kids)
        found = self._unique.get(key)
        if found is None:
            found = self._unique[key] = self._new(var, kids, None)
        return found

    def _new(self, var: int, kids: tuple[int, ...], value: Any) -> int:
        self._var.append(var)
        self._kids.append(kids)
        self._value.append(value)
        return len(self._var) - 1

    def is_leaf(self, node: int) -> bool:
        return self._var[node] == self._bottom

    def value(self, node: int) -> Any:
        """The value of a leaf."""
        return self._value[node]

    @property
    def size(self) -> int:
        """How many nodes all diagrams built here share."""
        return len(self._var)

    def test(self, var: int, truth: Sequence[bool], yes: Hashable, no: Hashable) -> int:
        """``yes`` where the variable's value class passes a test, else ``no``."""
        return self.node(var, tuple(self.leaf(yes if t else no) for t in truth))

    def apply(self, op: Callable[[Any, Any], Hashable], a: int, b: int) -> int:
        """The diagram of ``op(a, b)`` applied leaf by leaf."""
        memo: dict[tuple[int, int], int] = {}
        var, kids, value, bottom = self._var, self._kids, self._value, self._bottom

        def go(x: int, y: int) -> int:
            key = (x, y)
            found = memo.get(key)
            if found is not None:
                return found
            vx, vy = var[x], var[y]
            if vx == bottom and vy == bottom:
                found = self.leaf(op(value[x], value[y]))
            else:
                top = min(vx, vy)
                xs = kids[x] if vx == top else (x,) * self.arity[top]
                ys = kids[y] if vy == top else (y,) * self.arity[top]
                found = self.node(top, tuple(go(p, q) for p, q in zip(xs, ys, strict=True)))
            memo[key] = found
            return found

        return go(a, b)

    def map(self, op: Callable[[Any], Hashable], a: int) -> int:
        """The diagram of ``op(a)``, leaf by leaf."""
        return self.apply(lambda x, _y: op(x), a, a)

    def restrict(self, root: int, pattern: Pattern) -> Restricted:
        """The function of ``root`` with the known variables of ``pattern`` fixed."""
        return Restricted(self, root, pattern)


class Restricted:
    """A diagram with some variables fixed, reduced again (built in a scratch table that
    refers to, but never adds to, the shared one)."""

    __slots__ = ("_diagram", "_kids", "_var", "root")

    def __init__(self, diagram: Diagram, root: int, pattern: Pattern) -> None:
        self._diagram = diagram
        self._var: dict[int, int] = {}
        self._kids: dict[int, tuple[int, ...]] = {}
        shared_var, shared_kids, bottom = diagram._var, diagram._kids, diagram._bottom
        unique = diagram._unique
        scratch: dict[tuple[int, tuple[int, ...]], int] = {}
        memo: dict[int, int] = {}
        next_id = diagram.size

        def go(n: int) -> int:
            nonlocal next_id
            v = shared_var[n]
            if v == bottom:
                return n
            found = memo.get(n)
            if found is not None:
                return found
            known = pattern[v]
            if known is not None:
                found = go(shared_kids[n][known])
            else:
                kids = tuple(go(k) for k in shared_kids[n])
                first = kids[0]
                if all(k == first for k in kids):
                    found = first
                else:
                    key = (v, kids)
                    found = unique.get(key)
                    if found is None:
                        found = scratch.get(key)
                        if found is None:
                            found = scratch[key] = next_id
                            self._var[next_id], self._kids[next_id] = v, kids
                            next_id += 1
            memo[n] = found
            return found

        self.root = go(root)

    @property
    def is_leaf(self) -> bool:
        """Whether every completion of the pattern gives the same value."""
        return self.root not in self._var and self._diagram.is_leaf(self.root)

    @property
    def value(self) -> Any:
        """That value (only when ``is_leaf``)."""
        return self._diagram.value(self.root)

    def support(self) -> frozenset[int]:
        """The variables the restricted function depends on."""
        diagram = self._diagram
        seen: set[int] = set()
        found: set[int] = set()
        stack = [self.root]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in self._var:
                found.add(self._var[n])
                stack.extend(self._kids[n])
            elif not diagram.is_leaf(n):
                found.add(diagram._var[n])
                stack.extend(diagram._kids[n])
        return frozenset(found)


_MET, _NOT_MET, _NA = Status.MET, Status.NOT_MET, Status.NOT_APPLICABLE
_ALL_RANK = {_NA: 0, _MET: 1, _NOT_MET: 2}
"""``all``: not met beats met beats not applicable (Kleene's "and", n/a dropping out)."""
_ANY_RANK = {_NA: 0, _NOT_MET: 1, _MET: 2}
"""``any``: met beats not met beats not applicable."""


def _all(a: Status, b: Status) -> Status:
    return a if _ALL_RANK[a] >= _ALL_RANK[b] else b


def _any(a: Status, b: Status) -> Status:
    return a if _ANY_RANK[a] >= _ANY_RANK[b] else b


def _negate(a: Status) -> Status:
    return _NOT_MET if a is _MET else _MET if a is _NOT_MET else a


def _guarded(applies: Status, body: Status) -> Status:
    return _NA if applies is _NOT_MET else body


def _outcome(excluded: Status, criteria: Status) -> Outcome:
    """MCP-210.md "Outcomes" once every fact is known (see ``program._outcome``)."""
    if excluded is _MET:
        return Outcome.EXPERIMENTAL_INVESTIGATIONAL
    if criteria is _NOT_MET:
        return Outcome.DOES_NOT_MEET_CRITERIA
    return Outcome.MEETS_CRITERIA


class SectionDiagrams:
    """The diagrams of one section: its outcome, and (when asked) whether each caution holds.

    ``classes[i]`` are the representative values of variable ``i`` (the value classes of
    the ``i``-th fact the section reads); ``position`` maps a fact id to its variable, and
    must cover the cautions' facts when ``with_cautions``.
    """

    def __init__(
        self,
        section: Section,
        position: Mapping[str, int],
        classes: Sequence[Sequence[Any]],
        *,
        with_cautions: bool = False,
    ) -> None:
        self.diagram = Diagram([len(values) for values in classes])
        self._position, self._classes = position, classes
        self._top = (*section.criteria, *section.exclusions)
        self._nodes: tuple[int, ...] | None = None
        excluded = self._fold(_any, section.exclusions)
        criteria = self._fold(_all, section.criteria)
        self.outcome = self.diagram.apply(_outcome, excluded, criteria)
        self.cautions = tuple(
            self.diagram.map(lambda s: s is _MET, self.status(c.when))
            for c in (section.cautions if with_cautions else ())
        )

    def settled_status(self, index: int, pattern: Pattern) -> Status | None:
        """The status top-level node ``index`` (criteria, then exclusions) has in every
        completion of ``pattern``, when all completions agree; else None."""
        restricted = self.diagram.restrict(self._top_nodes()[index], pattern)
        return restricted.value if restricted.is_leaf else None

    def jointly_settled(
        self, indices: Sequence[int], pattern: Pattern, *, every: bool
    ) -> tuple[int, ...]:
        """Top-level nodes among ``indices`` that together settle the outcome in every
        completion of ``pattern`` though none does alone: with ``every``, criteria that
        cannot all be met; without, exclusions one of which always applies. Found by
        dropping each node the rest do without, so none is named needlessly; () when
        even all of them do not settle it."""
        op, settled = (_all, _NOT_MET) if every else (_any, _MET)
        nodes, diagram = self._top_nodes(), self.diagram

        def holds(chosen: list[int]) -> bool:
            combined = diagram.leaf(_NA)
            for index in chosen:
                combined = diagram.apply(op, combined, nodes[index])
            restricted = diagram.restrict(combined, pattern)
            return restricted.is_leaf and restricted.value is settled

        chosen = list(indices)
        if not chosen or not holds(chosen):
            return ()
        for index in list(chosen):
            rest = [i for i in chosen if i != index]
            if rest and holds(rest):
                chosen = rest
        return tuple(chosen)

    def _top_nodes(self) -> tuple[int, ...]:
        """The status diagrams of the top-level nodes, built on first use."""
        if self._nodes is None:
            self._nodes = tuple(self.status(node) for node in self._top)
        return self._nodes

    def status(self, node: Node) -> int:
        """The diagram of a node's status (Kleene's logic with every fact known)."""
        d = self.diagram
        if node.kind == "condition" and node.condition is not None:
            condition = node.condition
            var = self._position[condition.fact]
            truth = [condition.test(value) for value in self._classes[var]]
            body = d.test(var, truth, _MET, _NOT_MET)
        elif node.kind == "not":
            body = d.map(_negate, self.status(node.children[0]))
        else:
            body = self._fold(_all if node.kind == "all" else _any, node.children)
        if node.applies_when is None:
            return body
        return d.apply(_guarded, self.status(node.applies_when), body)

    def _fold(self, op: Callable[[Status, Status], Status], nodes: Sequence[Node]) -> int:
        result = self.diagram.leaf(_NA)
        for node in nodes:
            result = self.diagram.apply(op, result, self.status(node))
        return result
