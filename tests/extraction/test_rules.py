"""The extraction rules are reviewed data: the loader refuses a bad file with the file and
the path of the problem, like the policy loader, and the extractor holds no policy words."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from medpolicy import PolicyError
from medpolicy.extraction import Extractor, load_rules
from medpolicy.policy.loader import load_policy
from medpolicy.policy.registry import default_policies_dir

SOURCE = default_policies_dir() / "mcp-210"
TARGETS = "extraction/targets.yaml"
PIPELINE = "extraction/pipeline.yaml"


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies" / "mcp-210"
    shutil.copytree(SOURCE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BREAKAGES: list[tuple[str, Callable[[Path], None], str, str]] = [
    (
        "unknown key in a rule",
        lambda d: _edit(
            d / TARGETS, "    - value: allogeneic\n", "    - value: allogeneic\n      weight: 2\n"
        ),
        TARGETS,
        "prior_hsct.rules[0].weight",
    ),
    (
        "value outside the fact's type",
        lambda d: _edit(d / TARGETS, "    - value: allogeneic\n", "    - value: allogenic\n"),
        TARGETS,
        "prior_hsct.rules[0].value",
    ),
    (
        "fact the dictionary does not define",
        lambda d: _edit(d / TARGETS, "prior_car_t:\n", "prior_cart:\n"),
        TARGETS,
        "prior_cart",
    ),
    (
        "pattern that does not compile",
        lambda d: _edit(
            d / TARGETS, "        - '\\btransplant[- ]na", "        - '(\\btransplant[- ]na"
        ),
        TARGETS,
        "prior_hsct.rules[2].patterns",
    ),
    (
        "number rule without its number",
        lambda d: _edit(
            d / TARGETS, "(?P<n>\\d{1,3}(?:\\.\\d+)?)\\s*%\\s*donor\\b", "\\d+%\\s*donor\\b"
        ),
        TARGETS,
        "donor_chimerism_percent.rules[1].patterns",
    ),
    (
        "number rule on a fact that is not a number",
        lambda d: _edit(d / TARGETS, "    - value: allogeneic\n", "    - number: value\n"),
        TARGETS,
        "prior_hsct.rules[0]",
    ),
    (
        "rule with a value that is also a mention",
        lambda d: _edit(
            d / TARGETS,
            "    - value: allogeneic\n",
            "    - value: allogeneic\n      mention: true\n",
        ),
        TARGETS,
        "prior_hsct.rules[0]",
    ),
    (
        "service the policy does not decide",
        lambda d: _edit(d / TARGETS, 'services: ["38243"]', 'services: ["38241"]'),
        TARGETS,
        "services",
    ),
    (
        "modifier category without a kind",
        lambda d: _edit(d / PIPELINE, "  LINEAGE: lineage\n", ""),
        PIPELINE,
        "category",
    ),
    (
        "YAML's bare no read as false",
        lambda d: _edit(d / PIPELINE, '["no", "not",', '[no, "not",'),
        PIPELINE,
        "modifiers[0].literals[0]",
    ),
    (
        "phrase in two modifiers (medspaCy would keep only one)",
        lambda d: _edit(d / PIPELINE, '"has been excluded"]', '"has been excluded", "never"]'),
        PIPELINE,
        "modifiers[1].literals",
    ),
    (
        "key written twice",
        lambda d: _edit(
            d / PIPELINE, "  FAMILY: family\n", "  FAMILY: family\n  FAMILY: relative\n"
        ),
        PIPELINE,
        "",
    ),
]


@pytest.mark.parametrize(
    ("name", "breakage", "file", "path"), BREAKAGES, ids=[b[0] for b in BREAKAGES]
)
def test_a_broken_rule_file_is_refused_with_its_file_and_path(
    policy_copy: Path, name: str, breakage: Callable[[Path], None], file: str, path: str
) -> None:
    breakage(policy_copy)
    with pytest.raises(PolicyError) as caught:
        load_rules(load_policy(policy_copy))
    assert file in caught.value.message
    assert path in caught.value.message


def test_the_shipped_rules_load_and_cover_every_fact_of_the_dictionary() -> None:
    policy = load_policy(SOURCE)
    rules = load_rules(policy)
    assert set(rules.fact_rules) == set(policy.facts)


def test_the_extractor_reads_whatever_the_data_says(policy_copy: Path) -> None:
    """A new phrase in the data is read with no code change: the rules are the knowledge."""
    _edit(
        policy_copy / TARGETS,
        "        - '\\btransplant[- ]na[iï]ve\\b'\n",
        "        - '\\btransplant[- ]na[iï]ve\\b'\n        - '\\bnever transplanted\\b'\n",
    )
    extractor = Extractor(load_rules(load_policy(policy_copy)))
    result = extractor.extract("Never transplanted; CAR T planned.", service="38243")
    assert result.facts["prior_hsct"] == "none"


def test_the_extraction_code_names_no_fact_of_the_policy() -> None:
    package = Path(__file__).resolve().parents[2] / "src" / "medpolicy" / "extraction"
    facts = load_policy(SOURCE).facts
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        named = [fact for fact in facts if fact in text]
        assert not named, f"{source.name} names {named}"
