"""The loader refuses bad policy data with the file and the path inside it, and a second
policy works from data alone."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from medpolicy import PolicyError, evaluate
from medpolicy.engine import Engine
from medpolicy.policy.loader import load_policy
from medpolicy.policy.registry import Registry, default_policies_dir

SOURCE = default_policies_dir() / "mcp-210"


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies" / "mcp-210"
    shutil.copytree(SOURCE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


CURRENT = "versions/2025-08-13.yaml"
BREAKAGES: list[tuple[str, Callable[[Path], None], str, str]] = [
    (
        "unknown key",
        lambda d: _edit(
            d / CURRENT,
            "        fact: cell_source\n",
            "        fact: cell_source\n        weight: 2\n",
        ),
        CURRENT,
        "sections.donor_lymphocyte_infusion.criteria[1].weight",
    ),
    (
        "undefined fact",
        lambda d: _edit(d / CURRENT, "fact: cell_source\n", "fact: cell_sorce\n"),
        CURRENT,
        "criteria[1].fact",
    ),
    (
        "value outside the fact's type",
        lambda d: _edit(d / CURRENT, "equals: original_donor", "equals: first_donor"),
        CURRENT,
        "criteria[1].equals",
    ),
    (
        "overlapping versions",
        lambda d: _edit(
            d / "versions/2014-11-11.yaml", "effective_to: 2025-08-12", "effective_to: 2025-08-13"
        ),
        "versions/2014-11-11.yaml",
        "effective_to",
    ),
    (
        "duplicate key",
        lambda d: _edit(d / "facts.yaml", "prior_car_t:\n", "prior_car_t:\n  label: again\n"),
        "facts.yaml",
        "written twice",
    ),
    (
        "criterion without a citation",
        lambda d: _edit(
            d / CURRENT,
            "        citation: MCP-210, Coverage Policy, Donor Lymphocyte Infusion, criterion 1\n",
            "",
        ),
        CURRENT,
        "criteria[1]",
    ),
    (
        "comparison on a non-number",
        lambda d: _edit(
            d / CURRENT,
            "              - fact: donor_chimerism_percent\n                lt: 100",
            "              - fact: prior_car_t\n                lt: 100",
        ),
        CURRENT,
        "compares numbers",
    ),
    (
        "derivation value outside the fact",
        lambda d: _edit(
            d / "derivations.yaml", "value: hematologic_malignancy", "value: blood_cancer"
        ),
        "derivations.yaml",
        "[0].rules[0].value",
    ),
    (
        "disagreement message naming a value no rule gives",
        lambda d: _edit(d / "derivations.yaml", "({hematologic_malignancy})", "({blood_cancer})"),
        "derivations.yaml",
        "when_codes_disagree.message",
    ),
    (
        "evidence for an unknown section",
        lambda d: _edit(
            d / "evidence.yaml", "section: hematopoietic_stem_cell_boost", "section: car_t"
        ),
        "evidence.yaml",
        "section",
    ),
]


@pytest.mark.parametrize(
    ("label", "breaker", "file", "where"), BREAKAGES, ids=[b[0] for b in BREAKAGES]
)
def test_bad_policy_data_names_the_file_and_path(
    policy_copy: Path, label: str, breaker: Callable[[Path], None], file: str, where: str
) -> None:
    breaker(policy_copy)
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_copy)
    assert file in caught.value.file
    assert where in str(caught.value)


def _demo_policy(tmp_path: Path, criterion: str) -> Engine:
    folder = tmp_path / "policies" / "demo-1"
    (folder / "versions").mkdir(parents=True)
    (folder / "policy.yaml").write_text(
        """
id: DEMO-1
title: Home oxygen
publisher: Example plan
source:
  document: demo.txt
  name: Demo policy 1
  last_approval: 2026-01-01
  next_review_due: 2027-01
services:
  - {code: E1390, system: HCPCS, section: oxygen, description: Oxygen concentrator}
coverage_basis:
  default: plan_policy
  explanations: {plan_policy: Decided under the plan policy.}
versions: [versions/2026-01-01.yaml]
facts: facts.yaml
"""
    )
    (folder / "facts.yaml").write_text(
        """
saturation_percent:
  label: Oxygen saturation
  type: number
  minimum: 0
  maximum: 100
  question: What is the resting oxygen saturation?
  documentation: Oximetry report.
"""
    )
    (folder / "versions" / "2026-01-01.yaml").write_text(
        """
id: "2026-01-01"
effective_from: 2026-01-01
reconstructed: false
basis: Demo.
sections:
  oxygen:
    title: Home oxygen
    citation: Demo policy, section 1
    criteria:
"""
        + criterion
    )
    return Engine(Registry.from_directory(tmp_path / "policies"))


def test_a_second_policy_needs_only_data(tmp_path: Path) -> None:
    engine = _demo_policy(
        tmp_path,
        """
      - id: o.1
        text: Resting saturation is 88 percent or less.
        citation: Demo policy, criterion 1
        fact: saturation_percent
        le: 88
""",
    )
    base = {"service": {"code": "E1390", "date_of_service": "2026-05-01"}}
    assert (
        evaluate({**base, "facts": {"saturation_percent": 88}}, engine).outcome == "meets_criteria"
    )
    assert (
        evaluate({**base, "facts": {"saturation_percent": 88.5}}, engine).outcome
        == "does_not_meet_criteria"
    )
    pending = evaluate(base, engine)
    assert [m.fact for m in pending.missing] == ["saturation_percent"]


def test_numbers_are_classed_correctly_between_any_thresholds(tmp_path: Path) -> None:
    """Every accepted number lands in a class whose verdict is the tree's own answer."""
    engine = _demo_policy(
        tmp_path,
        """
      - id: o.1
        text: Saturation is low, or in a narrow band.
        citation: Demo policy, criterion 1
        any:
          - fact: saturation_percent
            le: 88
          - all:
              - fact: saturation_percent
                gt: 95.5
              - fact: saturation_percent
                lt: 95.5000001
          - fact: saturation_percent
            ge: 99.99
""",
    )
    base = {"service": {"code": "E1390", "date_of_service": "2026-05-01"}}
    values = [0, 87.999, 88, 88.0001, 95.5, 95.50000005, 95.5000001, 99.98, 99.99, 100]
    values += [i / 7 for i in range(701)]
    for value in values:
        expected = value <= 88 or 95.5 < value < 95.5000001 or value >= 99.99
        outcome = evaluate({**base, "facts": {"saturation_percent": value}}, engine).outcome
        assert outcome == ("meets_criteria" if expected else "does_not_meet_criteria"), value
