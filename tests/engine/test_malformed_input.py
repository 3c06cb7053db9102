"""No input, however malformed, escapes as anything but a RequestError with a field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medpolicy import RequestError, evaluate

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

near_requests = st.fixed_dictionaries(
    {},
    optional={
        "request_id": json_values,
        "member": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={"id": json_values, "line_of_business": json_values, "state": json_values},
            ),
        ),
        "service": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "code": st.one_of(json_values, st.sampled_from(["38242", "38243", "q2056"])),
                    "date_of_service": st.one_of(
                        json_values, st.sampled_from(["2026-01-01", "2026-13-01", "1900-01-01"])
                    ),
                },
            ),
        ),
        "diagnoses": st.one_of(
            json_values,
            st.lists(
                st.one_of(json_values, st.sampled_from(["C92.02", "c9202", "C92", "Z94.84"])),
                max_size=3,
            ),
        ),
        "facts": st.one_of(
            json_values,
            st.dictionaries(
                st.sampled_from(
                    ["prior_hsct", "prior_car_t", "donor_chimerism_percent", "cell_source", "nope"]
                ),
                json_values,
                max_size=4,
            ),
        ),
    },
)


def _check(request: Any) -> None:
    try:
        result = evaluate(request)
    except RequestError as exc:
        error = exc.to_dict()
        assert error["message"]
        assert error["code"]
        if isinstance(request, dict):
            assert error["field"] is not None
        return
    assert result.outcome


@settings(max_examples=600, deadline=None)
@given(near_requests)
def test_nearly_valid_requests_are_decided_or_refused_with_a_named_field(request: Any) -> None:
    _check(request)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_is_decided_or_refused(request: Any) -> None:
    _check(request)


def test_a_refusal_names_the_field_the_value_and_what_is_accepted() -> None:
    request = {
        "service": {"code": "38243", "date_of_service": "2026-02-01"},
        "facts": {"donor_chimerism_percent": 112},
    }
    with pytest.raises(RequestError) as caught:
        evaluate(request)
    assert caught.value.field == "facts.donor_chimerism_percent"
    assert "112" in caught.value.message
    assert "from 0 to 100" in caught.value.message


@pytest.mark.parametrize(
    ("sent", "meant"),
    [
        ("steroid_refractory_gvhd", "gvhd_steroid_refractory"),
        ("medically_necessary_prior_hsct", "prior_hsct_medically_necessary"),
    ],
)
def test_a_caution_code_sent_as_a_fact_is_refused_naming_the_fact(sent: str, meant: str) -> None:
    """The spec names the caution `steroid_refractory_gvhd` and the fact
    `gvhd_steroid_refractory`: whoever mixes them up is told which fact they meant, instead
    of having the value silently ignored or a bare 'unknown fact'."""
    with pytest.raises(RequestError) as refused:
        evaluate(
            {
                "service": {"code": "38242", "date_of_service": "2026-02-01"},
                "facts": {sent: True},
            }
        )
    assert refused.value.field == f"facts.{sent}"
    assert f"the fact is '{meant}'" in str(refused.value)


def test_caution_warnings_carry_the_codes_the_spec_names() -> None:
    """MCP-210.md names the caution codes; they are wire values a payer's system matches on."""
    result = evaluate(
        {
            "service": {"code": "38242", "date_of_service": "2026-04-10"},
            "diagnoses": ["C92.02", "Z94.84"],
            "facts": {
                "prior_hsct": "allogeneic",
                "prior_hsct_medically_necessary": True,
                "cell_source": "original_donor",
                "lymphocytes_genetically_modified": False,
                "dli_indication": "relapsed_refractory_persistent",
                "active_gvhd": "chronic",
                "gvhd_steroid_refractory": True,
                "graft_failure": True,
                "donor_chimerism_percent": 30,
            },
        }
    )
    codes = {w["code"] for w in result.to_dict()["warnings"]}
    assert {"active_gvhd", "steroid_refractory_gvhd", "graft_failure", "host_chimerism"} <= codes
    assert result.to_dict()["next_step"] == "physician_review"
