"""Every golden case of every policy, one test each, named by its sentence."""

from __future__ import annotations

import pytest

from medpolicy.golden import GoldenCase, check_case, load_cases
from medpolicy.policy.registry import default_registry

CASES = [case for p in default_registry().policies for case in load_cases(p.directory)]


def test_there_are_golden_cases_for_every_section_and_outcome() -> None:
    outcomes = {case.expect.get("outcome") for case in CASES}
    assert {
        "meets_criteria",
        "does_not_meet_criteria",
        "experimental_investigational",
        "insufficient_information",
        "not_addressed",
    } <= outcomes
    codes = {str(case.request.get("service", {}).get("code")) for case in CASES}
    assert {"38242", "38243"} <= codes


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: GoldenCase) -> None:
    assert check_case(case) == []
