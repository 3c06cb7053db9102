"""Which versions and sections the golden cases reach: a version nobody tested is named."""

from __future__ import annotations

from pathlib import Path

from tests.policy_copies import with_future_version

from medpolicy.golden import load_cases, unexercised
from medpolicy.policy.registry import Registry, default_registry


def test_every_version_and_section_of_the_shipped_policies_has_a_golden_case() -> None:
    for policy in default_registry().policies:
        gaps = unexercised(policy, load_cases(policy.directory))
        assert [str(gap) for gap in gaps] == []


def test_a_version_whose_period_holds_no_case_is_named_with_its_dates() -> None:
    policy = default_registry().policy("MCP-210")
    assert policy is not None
    later = [
        case
        for case in load_cases(policy.directory)
        if (asked := case.service()) is None or asked[1].isoformat() >= "2025-08-13"
    ]
    gaps = unexercised(policy, later)
    assert [str(gap) for gap in gaps] == [
        "MCP-210 version 2014-11-11 (2014-11-11 to 2025-08-12): no golden case has a date "
        "of service in this period"
    ]


def test_a_section_no_case_reaches_is_named_with_its_service_code() -> None:
    policy = default_registry().policy("MCP-210")
    assert policy is not None
    no_boosts = [
        case
        for case in load_cases(policy.directory)
        if (asked := case.service()) is None or asked[0] != "38243"
    ]
    gaps = unexercised(policy, no_boosts)
    # The reconstructed version has no boost section, so only today's is named.
    assert [str(gap) for gap in gaps] == [
        "MCP-210 version 2025-08-13 (from 2025-08-13), section hematopoietic_stem_cell_boost "
        "(CPT 38243): no golden case asks for its service on a date in this period"
    ]


def test_cases_that_expect_a_refusal_exercise_no_version() -> None:
    policy = default_registry().policy("MCP-210")
    assert policy is not None
    refused = [case for case in load_cases(policy.directory) if "error" in case.expect]
    assert refused, "the shipped cases include refused requests"
    assert all(case.service() is None for case in refused)
    assert len(unexercised(policy, refused)) == len(policy.versions)


def test_a_future_version_with_no_case_is_named_from_its_first_day(tmp_path: Path) -> None:
    registry = Registry.from_directory(with_future_version(tmp_path))
    (policy,) = registry.policies
    gaps = unexercised(policy, load_cases(policy.directory))
    assert [str(gap) for gap in gaps] == [
        "MCP-210 version 2027-01-01 (from 2027-01-01): no golden case has a date of service "
        "in this period"
    ]
