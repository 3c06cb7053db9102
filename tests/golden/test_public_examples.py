"""The public examples in shared/spec/examples must pass, through Python and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medpolicy import RequestError, evaluate


def _examples(shared: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (shared / "spec" / "examples" / "examples.json").read_text()
    )
    return data


def test_every_public_example_passes(shared_dir: Path) -> None:
    failures = []
    examples = _examples(shared_dir)
    assert len(examples) >= 11
    for example in examples:
        expect = example["expect"]
        try:
            result = evaluate(example["request"])
        except RequestError as exc:
            if not expect.get("error"):
                failures.append(f"{example['name']}: refused ({exc.message})")
            continue
        if expect.get("error"):
            failures.append(f"{example['name']}: expected an error")
            continue
        got = {
            "outcome": result.outcome,
            "next_step": result.next_step,
            "policy_version": result.policy.version if result.policy else None,
            "coverage_basis": result.coverage_basis,
        }
        for key, wanted in expect.items():
            if key == "missing":
                absent = set(wanted) - {m.fact for m in result.missing}
                if absent:
                    failures.append(f"{example['name']}: missing lacks {sorted(absent)}")
            elif got.get(key) != wanted:
                failures.append(f"{example['name']}: {key} {got.get(key)!r} != {wanted!r}")
    assert failures == []


def test_public_examples_missing_lists_exactly_what_they_expect(shared_dir: Path) -> None:
    with_missing = [e for e in _examples(shared_dir) if "missing" in e["expect"]]
    assert with_missing
    for example in with_missing:
        result = evaluate(example["request"])
        assert [m.fact for m in result.missing] == example["expect"]["missing"], example["name"]
