"""A coverage request after validation: what every adapter hands to the engine.

Requests and determinations are made once per request, so they are msgspec Structs:
immutable records like frozen dataclasses, built several times faster.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import msgspec

from medpolicy.domain.status import LineOfBusiness

__all__ = ["CoverageRequest", "FactValue", "Member"]

FactValue = str | bool | float | int


class Member(msgspec.Struct, frozen=True):
    """The member the service is for. ``id`` is health information: never log it."""

    id: str | None = None
    line_of_business: LineOfBusiness | None = None
    state: str | None = None


class CoverageRequest(msgspec.Struct, frozen=True):
    """A validated request.

    ``diagnoses`` are ICD-10-CM codes already normalized (upper case, no dot) and known to
    exist; ``facts`` hold only facts the requester stated, already checked against the
    policy's data dictionary. Anything absent is unknown.
    """

    service_code: str
    date_of_service: date
    request_id: str | None = None
    member: Member | None = None
    diagnoses: tuple[str, ...] = ()
    facts: Mapping[str, FactValue] | None = None
