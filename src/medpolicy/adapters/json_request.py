"""The contract's JSON request, checked field by field (CONTRACT.md, "Request").

Every refusal names the field, shows what was given and says what is accepted, so a
provider office or an integration engineer can fix the request without reading code.
Unknown keys are refused rather than ignored: a misspelt ``fact`` would otherwise turn
into silently unknown facts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from medpolicy.domain import CoverageRequest, LineOfBusiness, Member
from medpolicy.errors import RequestError, describe_given
from medpolicy.memo import Memo
from medpolicy.policy.model import FactDef
from medpolicy.policy.registry import Registry
from medpolicy.terminology.icd10cm import lookup, normalize
from medpolicy.terminology.service_codes import (
    SERVICE_CODE_ACCEPTED,
    is_service_code,
    normalize_service_code,
)

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_TEXT",
    "STATES",
    "diagnoses",
    "facts",
    "parse_request",
    "request_id_of",
    "service_code",
    "state",
]

_TOP = frozenset({"request_id", "member", "service", "diagnoses", "facts"})
_MEMBER = frozenset({"id", "line_of_business", "state"})
_SERVICE = frozenset({"code", "date_of_service"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STATE = re.compile(r"[A-Z]{2}")
MAX_TEXT = 200
MAX_DIAGNOSES = 100
_LINES = {line.value: line for line in LineOfBusiness}
_LINES_ACCEPTED = "one of " + ", ".join(repr(line.value) for line in LineOfBusiness)
_ICD_ACCEPTED = "an ICD-10-CM code (April 2026 release) such as 'C92.02', with or without the dot"


def _bad(
    field: str | None, given: Any, accepted: str, what: str = "", code: str = ""
) -> RequestError:
    where = field or "request"
    message = (
        f"{where}: {what or 'not accepted'}; given {describe_given(given)}; accepted: {accepted}."
    )
    return RequestError(message, field=field, accepted=accepted, code=code or "invalid_value")


def request_id_of(data: Any) -> str | None:
    """The request id to echo next to an error, when there is a usable one."""
    if isinstance(data, dict):
        value = data.get("request_id")
        if isinstance(value, str) and len(value) <= MAX_TEXT:
            return value
    return None


def parse_request(data: Any, registry: Registry) -> CoverageRequest:
    """Check ``data`` against the contract and the policy's data dictionary."""
    if not isinstance(data, dict):
        raise _bad(None, data, "a JSON object with a `service` object", "must be a JSON object")
    for key in data:
        if key not in _TOP:
            raise _bad(
                str(key),
                data[key],
                "request_id, member, service, diagnoses, facts",
                "is not a field of a request",
                "unknown_field",
            )
    request_id = _text(data, "request_id", "request_id")
    member = _member(data.get("member"))
    code, day = _service(data.get("service"))
    codes = diagnoses(data.get("diagnoses"))
    return CoverageRequest(
        service_code=code,
        date_of_service=day,
        request_id=request_id,
        member=member,
        diagnoses=codes,
        facts=facts(data.get("facts"), code, registry),
    )


def _text(obj: dict[str, Any], key: str, field: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise _bad(field, value, f"a non-empty string of at most {MAX_TEXT} characters")
    return value


def _member(value: Any) -> Member | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("member", value, "an object with id, line_of_business and state")
    for key in value:
        if key not in _MEMBER:
            raise _bad(
                f"member.{key}",
                value[key],
                "id, line_of_business, state",
                "is not a field of member",
                "unknown_field",
            )
    raw = value.get("line_of_business")
    line = _LINES.get(raw) if isinstance(raw, str) else None
    if raw is not None and line is None:
        raise _bad("member.line_of_business", raw, _LINES_ACCEPTED)
    return Member(
        id=_text(value, "id", "member.id"),
        line_of_business=line,
        state=state(value.get("state")),
    )


def state(raw: Any) -> str | None:
    """A member's state as a two-letter code in capitals (``member.state``)."""
    if raw is None:
        return None
    return STATES[raw] if isinstance(raw, str) else _state(raw)


def _state(raw: Any) -> str:
    if not (isinstance(raw, str) and _STATE.fullmatch(raw.upper())):
        raise _bad("member.state", raw, "a two-letter state code such as 'OH'")
    return raw.upper()


def _service(value: Any) -> tuple[str, date]:
    accepted = "an object with `code` and `date_of_service`"
    if value is None:
        raise _bad("service", value, accepted, "is required", "missing_field")
    if not isinstance(value, dict):
        raise _bad("service", value, accepted)
    for key in value:
        if key not in _SERVICE:
            raise _bad(
                f"service.{key}",
                value[key],
                "code, date_of_service",
                "is not a field of service",
                "unknown_field",
            )
    raw_day = value.get("date_of_service")
    code = service_code(value.get("code"))
    return code, _dates[raw_day] if isinstance(raw_day, str) else _parse_date(raw_day)


def service_code(raw: Any) -> str:
    """A CPT or HCPCS code in its normal form (``service.code``)."""
    return _service_codes[raw] if isinstance(raw, str) else _service_code(raw)


def _service_code(raw: Any) -> str:
    if raw is None:
        raise _bad("service.code", raw, SERVICE_CODE_ACCEPTED, "is required", "missing_field")
    code = normalize_service_code(raw) if isinstance(raw, str) else ""
    if not is_service_code(code):
        raise _bad("service.code", raw, SERVICE_CODE_ACCEPTED)
    return code


def _parse_date(raw: Any) -> date:
    field, accepted = "service.date_of_service", "a calendar date written YYYY-MM-DD"
    if raw is None:
        raise _bad(field, raw, accepted, "is required", "missing_field")
    if not isinstance(raw, str) or not _DATE.fullmatch(raw):
        raise _bad(field, raw, accepted)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(field, raw, accepted, "is not a real calendar date") from None


def diagnoses(value: Any) -> tuple[str, ...]:
    """ICD-10-CM codes in their normal form (``diagnoses``), each known to exist."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_DIAGNOSES:
        raise _bad("diagnoses", value, f"a list of at most {MAX_DIAGNOSES} ICD-10-CM codes")
    known = _diagnoses
    try:
        return tuple([known[raw] for raw in value])
    except (RequestError, TypeError):
        for index, raw in enumerate(value):
            _diagnosis(raw, index)
        raise


def _diagnosis(raw: Any, index: int = 0) -> str:
    code = normalize(raw) if isinstance(raw, str) else ""
    if lookup(code) is None:
        raise _bad(
            f"diagnoses[{index}]",
            raw,
            _ICD_ACCEPTED,
            "is not a code in ICD-10-CM",
            "unknown_diagnosis_code",
        )
    return code


class _FactChecker:
    """Checks stated facts against one data dictionary, remembering values already seen.

    Stated values come from small sets (enum values, true/false, a few numbers), so a
    value once checked is looked up instead of checked again.
    """

    def __init__(self, dictionary: Mapping[str, FactDef]) -> None:
        self.dictionary = dictionary
        self.accepted_ids = "the fact ids " + ", ".join(dictionary)
        self.seen: Memo[tuple[str, type, Any], Any] = Memo(
            lambda key: self._first_time(key[0], key[2])
        )

    def check(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _bad("facts", value, "an object of fact ids and values")
        facts: dict[str, Any] = {}
        seen = self.seen
        for name, fact_value in value.items():
            try:
                checked = seen[(name, fact_value.__class__, fact_value)]
            except TypeError:
                checked = self._first_time(name, fact_value)
            if checked is not None:
                facts[name] = checked
        # The data dictionary's order, whatever order the request used: a determination
        # lists its facts the same way for every sender (as ``stated_facts`` reads them).
        return {name: facts[name] for name in self.dictionary if name in facts}

    def _first_time(self, name: str, value: Any) -> Any:
        fact = self.dictionary.get(name)
        if fact is None:
            raise _bad(
                f"facts.{name}",
                value,
                self.accepted_ids,
                _not_a_fact(name, self.dictionary),
                "unknown_fact",
            )
        return None if value is None else _fact_value(fact, value)


def _not_a_fact(name: str, dictionary: Mapping[str, FactDef]) -> str:
    """Why ``name`` is refused, naming the fact meant when ``name`` has the same words as one
    in another order (the caution ``steroid_refractory_gvhd`` sent for the fact
    ``gvhd_steroid_refractory``), so a warning code is never taken for a fact unseen."""
    words = sorted(name.split("_"))
    for fact_id in dictionary:
        if sorted(fact_id.split("_")) == words:
            return (
                f"is not a fact of this policy (it reads like a warning code); "
                f"the fact is {fact_id!r}"
            )
    return "is not a fact of this policy"


_checkers: Memo[tuple[Registry, str], _FactChecker] = Memo(
    lambda key: _FactChecker(key[0].facts_for(key[1]))
)
"""A checker per registry and service code (normalized): the code picks the dictionary."""


def facts(value: Any, code: str, registry: Registry) -> dict[str, Any]:
    """The stated facts (``facts``), each checked against the dictionary for ``code``."""
    if value is None:
        return {}
    return _checkers[(registry, code)].check(value)


def _fact_value(fact: FactDef, value: Any) -> Any:
    if fact.accepts(value):
        return float(value) if fact.type == "number" and not isinstance(value, float) else value
    out_of_range = fact.type == "number" and _numeric(value)
    what = "is out of range" if out_of_range else "is not a value of this fact"
    raise _bad(f"facts.{fact.id}", value, fact.accepted(), what, "invalid_fact_value")


def _numeric(value: Any) -> bool:
    """A number, however large (1e400, or an integer of four hundred digits), but NaN."""
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, int) and not isinstance(value, bool)


# Spellings already checked, mapped to their normal form: requests repeat a small
# vocabulary of codes, dates and states, so each is checked once while remembered.
STATES: Memo[str, str] = Memo(_state)
"""Two-letter state codes by their spelling in requests (checked on first sight)."""
_service_codes: Memo[str, str] = Memo(_service_code)
_dates: Memo[str, date] = Memo(_parse_date)
_diagnoses: Memo[str, str] = Memo(_diagnosis)

SERVICE_CODES = _service_codes
"""CPT and HCPCS codes by their spelling in requests, in normal form (checked on first sight)."""
DIAGNOSIS_CODES = _diagnoses
"""ICD-10-CM codes by their spelling in requests, in normal form (checked on first sight)."""
