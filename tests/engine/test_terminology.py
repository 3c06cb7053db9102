"""ICD-10-CM handling: existence, billability and the relapse rule over the real code set."""

from __future__ import annotations

import warnings

import pytest

from medpolicy.policy.registry import default_registry
from medpolicy.terminology.icd10cm import DiagnosisCode, description, lookup, normalize

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


@pytest.mark.slow
def test_the_shipped_tables_are_what_the_installed_package_gives() -> None:
    from medpolicy.terminology.icd10cm import codes_path, titles_path
    from medpolicy.terminology.icd10cm_tables import build_tables

    codes, titles = build_tables()
    stale = "regenerate with: python -m medpolicy.terminology.icd10cm_tables"
    assert codes_path().read_bytes() == codes, stale
    assert titles_path().read_bytes() == titles, stale


def test_lookup_and_titles_agree_with_the_package_on_every_code() -> None:
    package = [c for c in icd.get_all_codes(False) if "-" not in c and not c.isdigit()]
    assert len(package) > 98_000
    disagree = [
        c
        for c in package
        if lookup(c) != DiagnosisCode(c, bool(icd.is_leaf(c)))
        or description(c) != " ".join(icd.get_description(c).split())
    ]
    assert disagree == []


def test_a_code_the_release_lacks_has_no_entry_and_no_title() -> None:
    for code in ("C9999", "C81-C96", "1", "", "c92", "C92\t", "ZZZZZZZ", "A000\n"):
        assert lookup(code) is None
    with pytest.raises(KeyError):
        description("C9999")
