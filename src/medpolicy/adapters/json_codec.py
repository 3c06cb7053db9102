"""The contract's JSON on the hot path: requests and determinations through msgspec.

A batch of requests spends most of its time outside the decision itself: reading the
JSON, checking every field, writing the answer. Here msgspec decodes a request line
straight into typed structs, checking shapes, types and lengths in one pass in C (the
stated facts too, against a struct made from the data dictionary: ``stated_facts``), and
encodes the determination the same way. What msgspec cannot know (that a diagnosis code
exists in ICD-10-CM, that a state code is one) is checked by the same functions
``json_request`` uses, against values seen before.

Errors are ``json_request``'s, word for word: whenever the fast path refuses a request,
the request is read again with ``json.loads`` and checked field by field, so a refusal
names the same field with the same message whichever path found it.

A determination is written as fragments: its request id and facts are encoded for it,
and everything it shares with other answers (policy and service references, a verdict's
checklist lines, reasons and missing facts, a set of warnings) is encoded once and
referred to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec

from medpolicy.adapters import json_request
from medpolicy.adapters.stated_facts import StatedFactsReader
from medpolicy.domain import (
    CoverageRequest,
    Determination,
    LineOfBusiness,
    Member,
    NextStep,
    Outcome,
    PolicyRef,
    ServiceRef,
    Verdict,
)
from medpolicy.errors import RequestError
from medpolicy.memo import Memo
from medpolicy.policy.registry import Registry

_states = json_request.STATES
_service_codes = json_request.SERVICE_CODES
_diagnosis_codes = json_request.DIAGNOSIS_CODES

__all__ = ["MEMBERS", "DeterminationEncoder", "Refusal", "RequestDecoder"]

_Text = Annotated[str, msgspec.Meta(min_length=1, max_length=json_request.MAX_TEXT)]


class _MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    id: _Text | None = None
    line_of_business: LineOfBusiness | None = None
    state: str | None = None


class _ServiceIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    date_of_service: date


class _RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    service: _ServiceIn
    request_id: _Text | None = None
    member: _MemberIn | None = None
    diagnoses: Annotated[list[str], msgspec.Meta(max_length=json_request.MAX_DIAGNOSES)] | None = (
        None
    )
    facts: dict[str, Any] | None = None


class _RequestLine(_RequestIn):
    """``_RequestIn`` as a batch line is decoded: the facts are kept as their JSON, for
    the data dictionary of the service code to decode and check (``stated_facts``)."""

    facts: msgspec.Raw = msgspec.Raw(b"null")  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request that is JSON but not a valid request: the error, and the request id to
    echo beside it when the request had a usable one."""

    request_id: str | None
    error: RequestError


class RequestDecoder:
    """Contract requests from JSON bytes, checked against one registry's dictionaries."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._decode = msgspec.json.Decoder(_RequestLine).decode
        self._facts: Memo[str, StatedFactsReader] = Memo(self._reader)
        self._readers: dict[str | None, StatedFactsReader] = {}

    def _reader(self, code: str) -> StatedFactsReader:
        """The reader of ``code``'s data dictionary: one per policy (and one for the codes
        no policy names), however many codes a batch brings, since each is a new type."""
        target = self.registry.target(code)
        owner = target.policy.id if target is not None else None
        reader = self._readers.get(owner)
        if reader is None:
            reader = self._readers[owner] = StatedFactsReader(self.registry.facts_for(code))
        return reader

    def decode(self, raw: bytes | str) -> CoverageRequest:
        """The request in ``raw``; ``RequestError`` naming the field if it is not valid,
        ``ValueError`` (json's own, with its message) if ``raw`` is not JSON at all."""
        request = self.read_valid(raw)
        if request is None:
            return json_request.parse_request(json.loads(raw), self.registry)
        return request

    def read(self, raw: bytes | str) -> CoverageRequest | Refusal:
        """Like ``decode``, but a request that is not valid comes back as a ``Refusal``
        (a line of a batch is answered, not raised); ``ValueError`` if not JSON."""
        request = self.read_valid(raw)
        return self.read_checked(raw) if request is None else request

    def read_valid(self, raw: bytes | str) -> CoverageRequest | None:
        """The request in ``raw`` when it is a valid one, else None (without saying why:
        ``read_checked`` says why). The cheap first try of every line."""
        try:
            return self._checked(self._decode(raw))
        except (msgspec.ValidationError, msgspec.DecodeError, RequestError):
            return None

    def read_checked(self, raw: bytes | str) -> CoverageRequest | Refusal:
        """``raw`` read with ``json.loads`` and checked field by field, so that a refusal
        names its field; ``ValueError`` if not JSON."""
        return self.read_object(json.loads(raw))

    def read_object(self, data: Any) -> CoverageRequest | Refusal:
        """A request already parsed from JSON, checked field by field."""
        try:
            return json_request.parse_request(data, self.registry)
        except RequestError as error:
            return Refusal(json_request.request_id_of(data), error)

    def _checked(self, data: _RequestLine) -> CoverageRequest:
        """The request, its values checked against the code lists and dictionaries: the
        same checks as ``json_request``, each a lookup of a value seen before (any error
        is worded by ``json_request`` on the way back)."""
        request_id = data.request_id
        if request_id is not None and not request_id.strip():
            raise RequestError("blank request_id", field="request_id")
        given = data.member
        member = None
        if given is not None:
            member_id = given.id
            if member_id is not None and not member_id.strip():
                raise RequestError("blank member id", field="member.id")
            state = given.state
            member = Member(member_id, given.line_of_business, state and _states[state])
        service = data.service
        code = _service_codes[service.code]
        diagnoses: tuple[str, ...] = ()
        if data.diagnoses:
            known = _diagnosis_codes
            try:
                diagnoses = tuple([known[raw] for raw in data.diagnoses])
            except RequestError:
                json_request.diagnoses(data.diagnoses)
                raise
        facts = self._facts[code].read(data.facts)
        return CoverageRequest(code, service.date_of_service, request_id, member, diagnoses, facts)


_SHARED = (
    "policy",
    "service",
    "coverage_basis",
    "outcome",
    "next_step",
    "reasons",
    "criteria",
    "exclusions",
    "missing",
)
"""The members between a determination's request id and its warnings: the same for every
request of a section with the same verdict."""

MEMBERS: tuple[str, ...] = ("request_id", *_SHARED, "warnings", "facts")
"""A determination's members in the order they are written (CONTRACT.md)."""

_encode = msgspec.json.Encoder().encode

_json: Memo[Any, bytes] = Memo(_encode)
"""Values that recur from answer to answer, as JSON, each written once: reasons, and
policy and service references."""


def _member(key: tuple[str, Any]) -> bytes:
    """``,"name":`` and the JSON of the value."""
    name, value = key
    return b',"' + name.encode() + b'":' + _encode(value)


_members: Memo[tuple[str, Any], bytes] = Memo(_member)
"""Members whose values recur, as JSON with their name: checklists, missing lists and
sets of warnings (a few thousand of them in the largest batch, a few MB)."""

_HeadKey = tuple[PolicyRef | None, ServiceRef, str | None, Outcome, NextStep]
_MiddleKey = tuple[PolicyRef | None, ServiceRef, str | None, Verdict]


def _head(key: _HeadKey) -> bytes:
    """The shared members up to the reasons' value (``"policy":...,"reasons":``): the
    same for every verdict of a section with one outcome and coverage basis."""
    policy, service, basis, outcome, next_step = key
    return (
        b'"policy":'
        + _json[policy]
        + b',"service":'
        + _json[service]
        + b',"coverage_basis":'
        + _encode(basis)
        + b',"outcome":'
        + _encode(outcome)
        + b',"next_step":'
        + _encode(next_step)
        + b',"reasons":'
    )


_heads: Memo[_HeadKey, bytes] = Memo(_head)


def _middle(key: _MiddleKey) -> tuple[bytes, ...]:
    """The shared members (``"policy":...,"missing":[...]``, in ``_SHARED``'s order) as
    five fragments: verdicts that differ only in their reasons (a coverage basis, a
    caution) share their checklists and missing facts."""
    policy, service, basis, verdict = key
    members = _members
    return (
        _heads[(policy, service, basis, verdict.outcome, verdict.next_step)],
        _json[verdict.reasons],
        members[("criteria", verdict.criteria)],
        members[("exclusions", verdict.exclusions)],
        members[("missing", verdict.missing)],
    )


_middles: Memo[_MiddleKey, tuple[bytes, ...]] = Memo(_middle)
_warnings: Memo[tuple[Any, ...], bytes] = Memo(
    lambda warnings: _members[("warnings", warnings)] + b',"facts":'
)
"""A set of warnings as its member, followed by the name of the facts that come last."""
_OPEN = b'{"request_id":'


class DeterminationEncoder:
    """Determinations as the contract's JSON (CONTRACT.md, "Determination"), as bytes.

    A determination is written as fragments: its request id and facts, encoded for it,
    around the members it shares with every request of its section and verdict, whose
    JSON is written once. A batch joins the fragments of many answers in one copy.
    """

    def __init__(self) -> None:
        self._encode = msgspec.json.Encoder().encode

    def encode(self, determination: Determination) -> bytes:
        parts: list[bytes] = []
        self.write(determination, parts)
        return b"".join(parts)

    def write(self, determination: Determination, parts: list[bytes]) -> None:
        """Append the fragments of the determination's JSON to ``parts``."""
        encode = self._encode
        parts += (_OPEN, encode(determination.request_id), b",")
        parts += _middles[
            (
                determination.policy,
                determination.service,
                determination.coverage_basis,
                determination.verdict,
            )
        ]
        parts += (
            _warnings[determination.warnings],
            encode(determination.facts),
            b"}",
        )
