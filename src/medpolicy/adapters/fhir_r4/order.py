"""Draft orders (ServiceRequest) read into contract requests, for CRD and DTR.

The service code is the first CPT or HCPCS coding of ``code``, or of a CRD billing option
extension on it; diagnoses are the ICD-10-CM codings of ``reasonCode``; the date is the
planned occurrence, else the authoring date, else today. An Appointment reads the same
way, its ``start`` being the date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.member import member_from
from medpolicy.terminology.service_codes import is_service_code, normalize_service_code

__all__ = ["as_day", "concept_codes", "diagnoses_of", "order_codes", "order_request"]


def order_codes(order: Any) -> list[str]:
    """Every CPT or HCPCS code the order names, billing options included, first seen first.

    Orders without a ``code`` element (a MedicationRequest names a medication) name none.
    """
    concept = getattr(order, "code", None)
    return concept_codes([concept] if concept is not None else [])


def concept_codes(concepts: Iterable[Any]) -> list[str]:
    """The CPT and HCPCS codes of CodeableConcepts (with CRD billing options), first seen first."""
    codings: list[Any] = []
    for concept in concepts:
        codings.extend(concept.coding or [])
        for extension in concept.extension or []:
            if extension.url == systems.CRD_BILLING_OPTIONS and extension.valueCodeableConcept:
                codings.extend(extension.valueCodeableConcept.coding or [])
    found: dict[str, None] = {}
    for coding in codings:
        if coding.system in systems.SERVICE_SYSTEMS and coding.code:
            code = normalize_service_code(coding.code)
            if is_service_code(code):
                found[code] = None
    return list(found)


def order_request(
    order: Any, code: str, patient: Any | None, coverage: Any | None, today: date
) -> dict[str, Any]:
    """The contract request for one code of one order."""
    request: dict[str, Any] = {
        "service": {"code": code, "date_of_service": _when(order, today).isoformat()},
        "diagnoses": diagnoses_of(order),
    }
    member = member_from(patient, coverage)
    if member:
        request["member"] = member
    return request


def diagnoses_of(order: Any) -> list[str]:
    """The ICD-10-CM codes of an order's (or an appointment's) ``reasonCode``."""
    codes = []
    for concept in getattr(order, "reasonCode", None) or []:
        codes += [c.code for c in concept.coding or [] if c.system == systems.ICD10CM and c.code]
    return codes


def _when(order: Any, today: date) -> date:
    period = getattr(order, "occurrencePeriod", None)
    candidates = [
        getattr(order, "start", None),
        getattr(order, "occurrenceDateTime", None),
        period.start if period is not None else None,
        getattr(order, "authoredOn", None),
    ]
    for value in candidates:
        day = as_day(value)
        if day is not None:
            return day
    return today


def as_day(value: Any) -> date | None:
    """The calendar day of a FHIR date or dateTime as fhir.resources parses it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
