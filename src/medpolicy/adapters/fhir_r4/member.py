"""The member of a request, read from the FHIR Patient and Coverage resources.

The member id is the Coverage's subscriber id (or its member-number identifier), the line
of business comes from the Coverage type (Source of Payment Typology codes, or the words
medicaid / medicare / marketplace / commercial in a coding or its text), and the state from
the Patient's current address. Anything we cannot read stays unknown rather than guessed.
"""

from __future__ import annotations

import re
from typing import Any

from medpolicy.adapters.fhir_r4 import systems

__all__ = ["line_of_business", "member_from"]

_SOPT_PREFIX = {"1": "medicare", "2": "medicaid", "5": "commercial", "6": "commercial"}
_WORDS = ("medicaid", "medicare", "marketplace", "commercial")
_STATE = re.compile(r"[A-Za-z]{2}")
_MAX_ID = 200


def member_from(patient: Any | None, coverage: Any | None) -> dict[str, Any] | None:
    """The contract's ``member`` object, or None when neither resource says anything."""
    member: dict[str, Any] = {}
    member_id = _member_id(patient, coverage)
    if member_id:
        member["id"] = member_id
    line = line_of_business(coverage)
    if line:
        member["line_of_business"] = line
    state = _state(patient)
    if state:
        member["state"] = state
    return member or None


def line_of_business(coverage: Any | None) -> str | None:
    """medicaid, medicare, marketplace or commercial, when the Coverage type says so."""
    if coverage is None or coverage.type is None:
        return None
    for coding in coverage.type.coding or []:
        if coding.system == systems.SOURCE_OF_PAYMENT and coding.code:
            found = _SOPT_PREFIX.get(coding.code[:1])
            if found:
                return found
    texts = [coverage.type.text or ""]
    texts += [f"{c.code or ''} {c.display or ''}" for c in coverage.type.coding or []]
    for text in texts:
        lowered = text.lower()
        for word in _WORDS:
            if word in lowered:
                return word
    return None


def _member_id(patient: Any | None, coverage: Any | None) -> str | None:
    candidates: list[str | None] = []
    if coverage is not None:
        candidates.append(coverage.subscriberId)
        for identifier in coverage.identifier or []:
            codes = {c.code for c in (identifier.type.coding if identifier.type else []) or []}
            if "MB" in codes:
                candidates.append(identifier.value)
    if patient is not None:
        candidates.extend(i.value for i in patient.identifier or [])
    for value in candidates:
        if value and value.strip() and len(value) <= _MAX_ID:
            return value
    return None


def _state(patient: Any | None) -> str | None:
    if patient is None:
        return None
    for address in patient.address or []:
        if address.period is not None and address.period.end is not None:
            continue
        if address.state and _STATE.fullmatch(address.state):
            return str(address.state).upper()
    return None
