"""ICD-10-CM handling: existence, billability and the relapse rule over the real code set."""

from __future__ import annotations

import warnings

from medpolicy.policy.registry import default_registry
from medpolicy.terminology.icd10cm import lookup, normalize

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import simple_icd_10_cm as icd


def test_codes_are_normalized_and_checked_against_the_real_code_set() -> None:
    assert normalize(" c92.02 ") == "C9202"
    found = lookup("C9202")
    assert found is not None
    assert found.billable
    assert found.description == "Acute myeloblastic leukemia, in relapse"
    category = lookup("C92")
    assert category is not None
    assert not category.billable
    assert lookup("C9999") is None
    assert lookup("C81-C96") is None
    c7a = lookup("C7A")
    assert c7a is not None
    assert not c7a.billable


def test_exactly_the_36_in_relapse_codes_confirm_relapse() -> None:
    policy = default_registry().policies[0]
    (rule,) = next(d for d in policy.derivations if d.fact == "relapse_confirmed").rules
    matched = [c for c in icd.get_all_codes(False) if icd.is_leaf(c) and rule.codes.matches(c)]
    assert len(matched) == 36
    assert all(icd.get_description(c).endswith("in relapse") for c in matched)


def test_every_billable_code_in_c81_to_c96_is_a_blood_cancer() -> None:
    policy = default_registry().policies[0]
    hematologic = next(d for d in policy.derivations if d.fact == "diagnosis_category").rules[0]
    codes = [c for c in icd.get_all_codes(False) if icd.is_leaf(c) and "C81" <= c[:3] <= "C96"]
    assert len(codes) > 400
    assert all(hematologic.codes.matches(c) for c in codes)


def test_the_fast_code_index_agrees_with_the_package_on_every_code() -> None:
    from medpolicy.terminology.icd10cm import _codes

    table = _codes()
    package = {c for c in icd.get_all_codes(False) if "-" not in c and not c.isdigit()}
    assert set(table) == package
    assert len(table) > 98_000
    assert [c for c in package if table[c] != bool(icd.is_leaf(c))] == []
