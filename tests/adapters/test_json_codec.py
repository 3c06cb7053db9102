"""The msgspec path reads and writes exactly what the field-by-field path does.

``json_codec`` is how ``medpolicy evaluate`` reads request lines and writes determinations;
``json_request`` and ``Determination.to_dict`` are the reference. For generated requests
the two give the same determination object, and for requests that are not valid the same
refusal: code, field, message and what is accepted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from medpolicy import RequestError, evaluate
from medpolicy.adapters.json_codec import DeterminationEncoder, Refusal, RequestDecoder
from medpolicy.adapters.json_request import parse_request
from medpolicy.api import default_engine

from ..engine.test_properties import PROPERTY, requests

ENGINE = default_engine()
DECODER = RequestDecoder(ENGINE.registry)
ENCODE = DeterminationEncoder().encode
GOOD = {"service": {"code": "38242", "date_of_service": "2026-03-02"}}


@PROPERTY
@given(requests)
def test_a_line_decided_through_msgspec_is_the_contract_determination(
    request: dict[str, Any],
) -> None:
    request = {"request_id": "R-1", "member": {"id": "M1", "state": "oh"}, **request}
    line = json.dumps(request).encode()
    decided = json.loads(ENCODE(ENGINE.determine(DECODER.decode(line))))
    assert decided == evaluate(request).to_dict()


REFUSED = [
    {"service": {"code": "38242"}},
    {"service": {"code": "38242", "date_of_service": "2026-02-30"}},
    {"service": {"code": "38242", "date_of_service": "2026-3-2"}},
    {"request_id": " ", "service": 1},
    {"request_id": "x" * 201, **GOOD},
    {**GOOD, "facts": {"prior_hsct": "xenogeneic"}},
    {**GOOD, "facts": {"donor_chimerism_percent": 112}},
    {**GOOD, "facts": {"donor_chimerism_percent": True}},
    {**GOOD, "facts": {"not_a_fact": 1}},
    {**GOOD, "facts": []},
    {**GOOD, "diagnoses": ["C92.02", "ZZZ"]},
    {**GOOD, "diagnoses": ["C92.02"] * 101},
    {**GOOD, "diagnoses": "C92.02"},
    {**GOOD, "member": {"state": "ohio"}},
    {**GOOD, "member": {"line_of_business": "tricare"}},
    {**GOOD, "member": {"id": ""}},
    {**GOOD, "member": {"plan": "x"}},
    {**GOOD, "extra": 1},
    {"service": {"code": "3824", "date_of_service": "2026-03-02"}},
    {"service": {"code": "38242", "date_of_service": "2026-03-02", "units": 2}},
    [GOOD],
]


@pytest.mark.parametrize("bad", REFUSED, ids=lambda bad: json.dumps(bad)[:60])
def test_a_refused_line_gets_the_field_by_field_refusal_word_for_word(bad: Any) -> None:
    with pytest.raises(RequestError) as reference:
        parse_request(bad, ENGINE.registry)
    refusal = DECODER.read(json.dumps(bad).encode())
    assert isinstance(refusal, Refusal)
    assert refusal.error.to_dict() == reference.value.to_dict()


def test_text_that_is_not_json_is_left_to_the_caller_with_json_s_own_message() -> None:
    with pytest.raises(ValueError, match="Expecting"):
        DECODER.read(b'{"service": ')
