"""Golden cases: policy behaviour pinned down as data, each case named as a sentence.

A case file under ``policies/<policy>/cases/`` holds ``defaults`` (a request that every
case starts from) and ``cases``; each case deep-merges its ``request`` over the defaults,
may ``unset`` dotted paths of it, and states what the determination must show. Authors run
them with ``medpolicy policy check``; the test suite runs every one.

A version, or a section of one, that no case reaches is behaviour nobody pinned down:
``unexercised`` names each, so that ``policy check`` can warn about it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from medpolicy.api import evaluate
from medpolicy.domain import CriterionResult, Determination
from medpolicy.engine import Engine
from medpolicy.errors import PolicyError, RequestError
from medpolicy.policy.model import Policy, Version
from medpolicy.policy.render import dates_of_service
from medpolicy.terminology.service_codes import normalize_service_code

__all__ = ["Gap", "GoldenCase", "check_case", "load_cases", "unexercised"]

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

    def service(self) -> tuple[str, date] | None:
        """The service code (normalized) and date of service the case asks about; None for
        a case that expects the request to be refused, or whose request has no usable date:
        such a case pins down input checking, not a version's criteria."""
        if "error" in self.expect or not isinstance(self.request, dict):
            return None
        service = self.request.get("service")
        if not isinstance(service, dict):
            return None
        code, day = service.get("code"), service.get("date_of_service")
        try:
            when = day if isinstance(day, date) else date.fromisoformat(str(day))
        except ValueError:
            return None
        return normalize_service_code(code) if isinstance(code, str) else "", when


@dataclass(frozen=True, slots=True)
class Gap:
    """A version of a policy, or one section of it, that no golden case exercises."""

    policy: str
    version: Version
    section: str | None = None
    codes: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.policy} version {self.version.id} ({dates_of_service(self.version)})"
        if self.section is None:
            return f"{where}: no golden case has a date of service in this period"
        decided = f" ({', '.join(self.codes)})" if self.codes else ""
        return (
            f"{where}, section {self.section}{decided}: no golden case asks for its "
            "service on a date in this period"
        )


def unexercised(policy: Policy, cases: Iterable[GoldenCase]) -> list[Gap]:
    """Every version of ``policy`` whose period holds no case's date of service, and every
    section of a version that no case reaches (its service code on a date in the period).

    Cases that expect the request to be refused do not count: they never reach criteria.
    """
    asked = [found for case in cases if (found := case.service()) is not None]
    gaps: list[Gap] = []
    for version in policy.versions:
        days = [(code, day) for code, day in asked if version.covers(day)]
        if not days:
            gaps.append(Gap(policy.id, version))
            continue
        reached = {service.section for code, _ in days if (service := policy.service(code))}
        for section in version.sections:
            if section not in reached:
                codes = tuple(
                    f"{s.system} {s.code}" for s in policy.services if s.section == section
                )
                gaps.append(Gap(policy.id, version, section, codes))
    return gaps


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
