"""Stated facts checked in C accept exactly what the field-by-field check accepts.

``stated_facts`` turns a data dictionary into a msgspec struct so that a batch line's facts
are checked while they are decoded; ``json_request`` checks them one by one and words the
refusals. A request must get the same facts, with the same types and in the same order,
or the same refusal, whichever path reads it.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from medpolicy import RequestError, evaluate
from medpolicy.adapters import json_request
from medpolicy.adapters.json_codec import RequestDecoder
from medpolicy.adapters.stated_facts import StatedFactsReader
from medpolicy.api import default_engine
from medpolicy.policy.model import FactDef

from ..engine.test_properties import PROPERTY

REGISTRY = default_engine().registry
DICTIONARY = REGISTRY.facts_for("38242")
READER = StatedFactsReader(DICTIONARY)


def _boundaries(fact: FactDef) -> list[Any]:
    """Values at and around what a fact accepts: its enum values and their near misses,
    its bounds and just beyond them, integers and floats on either side."""
    if fact.type == "enum":
        return [*fact.values, *(v.upper() for v in fact.values), f"{fact.values[0]} "]
    if fact.type == "boolean":
        return [True, False, 0, 1, "true"]
    out: list[Any] = [10**400, -(10**400), 1e308, 10**20, 0, -0.0, 100, 100.0, 100.0000001]
    for bound in (fact.minimum, fact.maximum):
        if bound is not None:
            out += [bound, int(bound), bound - 1e-9, bound + 1e-9, bound - 1, bound + 1]
    return out


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)
_near = st.sampled_from(list(DICTIONARY)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(_boundaries(DICTIONARY[name])))
)
_names = st.sampled_from(list(DICTIONARY)) | st.text(max_size=12)
_facts = st.dictionaries(_names, _values, max_size=6) | st.lists(_near, max_size=8).map(dict)


def _typed(facts: dict[str, Any]) -> list[tuple[str, type, Any]]:
    """Facts with their types, in order: ``1.0`` and ``1`` and ``True`` are different."""
    return [(name, value.__class__, value) for name, value in facts.items()]


@PROPERTY
@given(_facts)
@example({"donor_chimerism_percent": 10**400})
@example({"donor_chimerism_percent": 100, "prior_hsct": "allogeneic"})
@example({"graft_failure": 1})
@example({"prior_hsct": None, "prior_car_t": False})
def test_the_c_check_accepts_exactly_the_values_the_field_by_field_check_accepts(
    facts: dict[str, Any],
) -> None:
    raw = json.dumps(facts).encode()
    try:
        fast: dict[str, Any] | None = READER.read(raw)
    except msgspec.ValidationError:
        fast = None
    try:
        slow: dict[str, Any] | None = json_request.facts(json.loads(raw), "38242", REGISTRY)
    except RequestError:
        slow = None
    assert (fast is None) == (slow is None), (fast, slow)
    if fast is not None and slow is not None:
        assert _typed(fast) == _typed(slow)


@pytest.mark.parametrize("name", list(DICTIONARY))
def test_bounds_and_enum_values_agree_with_the_data_dictionary(name: str) -> None:
    """On every value near a fact's bounds or values, the struct's verdict is the data
    dictionary's own ``accepts`` (numbers turned into floats)."""
    fact = DICTIONARY[name]
    for value in _boundaries(fact):
        try:
            read = READER.read(json.dumps({name: value}).encode())
        except msgspec.ValidationError:
            read = None
        assert (read is not None) == fact.accepts(value), (name, value)
        if read is not None and fact.type == "number":
            assert read == {name: float(value)}
            assert type(read[name]) is float


def test_a_number_fact_with_one_bound_or_none_takes_any_json_number_within_it() -> None:
    """Dictionaries other than MCP-210's: a lower bound only, and no bound at all."""

    def number(fact_id: str, low: float | None, high: float | None) -> FactDef:
        return FactDef(fact_id, fact_id, "number", "?", "?", minimum=low, maximum=high)

    dictionary = {"dose": number("dose", 0, None), "score": number("score", None, None)}
    reader = StatedFactsReader(dictionary)
    assert reader.read(b'{"score": -7, "dose": 10000000}') == {"dose": 1e7, "score": -7.0}
    for refused in (b'{"dose": -1}', b'{"score": 1e400}', b'{"score": "1"}', b'{"x": 1}'):
        with pytest.raises(msgspec.ValidationError):
            reader.read(refused)
    assert reader.read(b"null") == {} == reader.read(b"{}") == reader.read(b'{"dose": null}')


def test_facts_come_back_in_the_data_dictionarys_order_whatever_order_they_are_sent() -> None:
    """The determination lists facts in the policy's order for every sender and path: the
    batch line, the Python API and the HTTP API read the same request alike."""
    facts = {
        "graft_failure": True,
        "donor_chimerism_percent": 40,
        "prior_hsct": "allogeneic",
        "cell_source": "original_donor",
    }
    request = {"service": {"code": "38242", "date_of_service": "2026-03-02"}, "facts": facts}
    expected = [name for name in DICTIONARY if name in facts]
    decoded = RequestDecoder(REGISTRY).decode(json.dumps(request))
    assert list(decoded.facts) == expected
    assert list(json_request.parse_request(request, REGISTRY).facts) == expected
    assert [n for n in evaluate(request).to_dict()["facts"] if n in facts] == expected
    assert decoded.facts["donor_chimerism_percent"] == 40.0


def test_an_integer_too_large_for_a_float_is_refused_as_out_of_range_not_a_crash() -> None:
    request = {
        "service": {"code": "38242", "date_of_service": "2026-03-02"},
        "facts": {"donor_chimerism_percent": 10**400},
    }
    with pytest.raises(RequestError) as refused:
        json_request.parse_request(request, REGISTRY)
    assert refused.value.field == "facts.donor_chimerism_percent"
    assert "is out of range" in refused.value.message
    assert refused.value.accepted == "a number from 0 to 100"


def test_a_batch_of_many_service_codes_builds_one_reader_per_data_dictionary() -> None:
    """Each reader is a new struct type: a batch naming thousands of codes no policy
    decides must not build thousands of them."""
    decoder = RequestDecoder(REGISTRY)
    codes = ["38242", "38243", *(f"{99000 + i}" for i in range(300))]
    for code in codes:
        line = {"service": {"code": code, "date_of_service": "2026-03-02"}, "facts": {}}
        decoder.decode(json.dumps(line))
    assert len({id(decoder._facts[code]) for code in codes}) == 2
