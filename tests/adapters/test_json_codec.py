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
from medpolicy.adapters.json_codec import MEMBERS, DeterminationEncoder, Refusal, RequestDecoder
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
    written = ENCODE(ENGINE.determine(DECODER.decode(line)))
    decided = json.loads(written)
    reference = evaluate(request)
    assert decided == reference.to_dict()
    assert list(decided) == list(MEMBERS) == list(reference.to_dict())
    assert json.loads(reference.to_json()) == decided


def test_a_batch_written_as_fragments_is_the_answers_one_per_line() -> None:
    """``write`` appends fragments that a batch joins; joined, they are each answer's JSON
    (the same text ``encode`` gives), with nothing shared leaking between answers."""
    lines = [
        {**GOOD, "request_id": "A", "member": {"line_of_business": "medicaid"}},
        {**GOOD, "request_id": "B", "facts": {"prior_hsct": "autologous"}},
        {**GOOD, "request_id": None, "diagnoses": ["C92.0"]},
        {"request_id": "D", "service": {"code": "Q2056", "date_of_service": "2026-03-02"}},
    ]
    encoder = DeterminationEncoder()
    parts: list[bytes] = []
    for request in lines:
        encoder.write(ENGINE.determine(DECODER.decode(json.dumps(request))), parts)
        parts.append(b"\n")
    written = b"".join(parts).decode().splitlines()
    assert [json.loads(line) for line in written] == [evaluate(r).to_dict() for r in lines]
    assert written == [
        ENCODE(ENGINE.determine(DECODER.decode(json.dumps(r)))).decode() for r in lines
    ]


REFUSED = [
    {"service": {"code": "38242"}},
    {"service": {"code": "38242", "date_of_service": "2026-02-30"}},
    {"service": {"code": "38242", "date_of_service": "2026-3-2"}},
    {"request_id": " ", "service": 1},
    {"request_id": "x" * 201, **GOOD},
    {**GOOD, "facts": {"prior_hsct": "xenogeneic"}},
    {**GOOD, "facts": {"donor_chimerism_percent": 112}},
    {**GOOD, "facts": {"donor_chimerism_percent": True}},
    {**GOOD, "facts": {"donor_chimerism_percent": 10**400}},
    {**GOOD, "facts": {"donor_chimerism_percent": 1e400}},
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
