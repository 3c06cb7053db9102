"""Golden cases: policy behaviour pinned down as data, each case named as a sentence.

A case file under ``policies/<policy>/cases/`` holds ``defaults`` (a request that every
case starts from) and ``cases``; each case deep-merges its ``request`` over the defaults,
may ``unset`` dotted paths of it, and states what the determination must show. Authors run
them with ``medpolicy policy check``; the test suite runs every one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medpolicy.api import evaluate
from medpolicy.domain import CriterionResult, Determination
from medpolicy.engine import Engine
from medpolicy.errors import PolicyError, RequestError

__all__ = ["GoldenCase", "check_case", "load_cases"]

_EXPECT_KEYS = frozenset(
    {
        "outcome",
        "next_step",
        "missing",
        "policy_version",
        "coverage_basis",
        "criteria",
        "exclusions",
        "warnings",
        "facts",
        "fact_sources",
        "reasons_mention",
        "error",
    }
)
_CASE_KEYS = frozenset({"name", "request", "unset", "expect"})


@dataclass(frozen=True, slots=True)
class GoldenCase:
    name: str
    file: str
    request: Any
    expect: dict[str, Any]


def load_cases(policy_dir: Path) -> Iterator[GoldenCase]:
    """Every case in the policy's ``cases`` folder, in file order."""
    for path in sorted((policy_dir / "cases").glob("*.yaml")):
        file = f"{policy_dir.name}/cases/{path.name}"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or set(data) - {"defaults", "cases"}:
            raise PolicyError("must be a mapping with `defaults` and `cases`", file=file)
        defaults = data.get("defaults") or {}
        for index, case in enumerate(data.get("cases") or []):
            where = f"cases[{index}]"
            if not isinstance(case, dict) or set(case) - _CASE_KEYS or "name" not in case:
                raise PolicyError(
                    f"a case has `name`, `request`, `unset`, `expect`; given {sorted(case)}",
                    file=file,
                    path=where,
                )
            unknown = set(case.get("expect") or {}) - _EXPECT_KEYS
            if unknown:
                raise PolicyError(f"unknown expectation {sorted(unknown)}", file=file, path=where)
            request = _merge(copy.deepcopy(defaults), case.get("request") or {})
            for dotted in case.get("unset") or []:
                _unset(request, dotted)
            yield GoldenCase(case["name"], file, request, dict(case.get("expect") or {}))


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        for key, value in over.items():
            base[key] = _merge(base.get(key), value) if key in base else value
        return base
    return over


def _unset(request: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    node: Any = request
    for part in parents:
        node = node.get(part, {})
    if isinstance(node, dict):
        node.pop(last, None)


def check_case(case: GoldenCase, engine: Engine | None = None) -> list[str]:
    """What the engine's answer to the case gets wrong (empty when the case passes)."""
    expect = case.expect
    try:
        result = evaluate(case.request, engine)
    except RequestError as exc:
        if "error" not in expect:
            return [f"refused the request: {exc.message}"]
        wanted = expect["error"] or {}
        got = {"field": exc.field, "code": exc.code}
        return [
            f"error {key}: expected {value!r}, got {got.get(key)!r}"
            for key, value in wanted.items()
            if got.get(key) != value
        ]
    if "error" in expect:
        return [f"expected an error, got outcome {result.outcome}"]
    return _compare(result, expect)


def _compare(result: Determination, expect: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    simple = {
        "outcome": result.outcome,
        "next_step": result.next_step,
        "policy_version": result.policy.version if result.policy else None,
        "coverage_basis": result.coverage_basis,
        "missing": [m.fact for m in result.missing],
        "warnings": sorted(w.code for w in result.warnings),
    }
    for key, got in simple.items():
        if key in expect:
            wanted = sorted(expect[key]) if key == "warnings" else expect[key]
            if got != wanted:
                problems.append(f"{key}: expected {wanted!r}, got {got!r}")
    statuses = _statuses(result.criteria + result.exclusions)
    for key in ("criteria", "exclusions"):
        for node_id, wanted in (expect.get(key) or {}).items():
            if statuses.get(node_id) != wanted:
                problems.append(f"{node_id}: expected {wanted}, got {statuses.get(node_id)}")
    for fact, wanted in (expect.get("facts") or {}).items():
        got_fact = result.facts.get(fact)
        value = got_fact.value if got_fact else None
        if value != wanted:
            problems.append(f"fact {fact}: expected {wanted!r}, got {value!r}")
    for fact, wanted in (expect.get("fact_sources") or {}).items():
        got_fact = result.facts.get(fact)
        if (got_fact.source if got_fact else None) != wanted:
            problems.append(f"fact {fact} source: expected {wanted!r}")
    text = " ".join(result.reasons)
    problems.extend(
        f"reasons do not mention {phrase!r}"
        for phrase in expect.get("reasons_mention") or []
        if phrase not in text
    )
    return problems


def _statuses(results: tuple[CriterionResult, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for result in results:
        found[result.id] = result.status.value
        found.update(_statuses(result.children))
    return found
