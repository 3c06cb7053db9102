"""What a PAS response echoes from the request, checked before any case is opened.

A PAS response Bundle carries the Patient, the insurer and the requesting Organization the
Claim names, and PAS 2.2.1 holds each to a profile: the beneficiary (US Core Patient:
identifier with system and value, a name with a family or given part, gender, and a birth
date only as a full date), the insurer
and the requestor (US Core Organization: ``active`` and ``name``; or a US Core
PractitionerRole: the practitioner, and a telecom or an endpoint; a Practitioner is not
named as requestor at all). We never invent those
values (a made-up gender or a guessed ``active`` would be a false statement about a
person or a provider), so a request without them is refused, naming the element, before
anything is recorded. The PAS request profiles require the same elements, so a conformant
requester never meets this refusal.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from medpolicy.adapters.fhir_r4.bundle_index import BundleIndex
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError

__all__ = ["require_echoable"]


def require_echoable(index: BundleIndex, claim: Any, where: str) -> None:
    """Refuse the request when an entry the response must echo lacks what its profile needs."""
    patient = index.resolve(claim.patient)
    if patient is not None and patient[1].get_resource_type() == "Patient":
        _beneficiary(patient[1], f"Bundle.entry[{patient[0]}].resource", f"{where}.patient")
    for field, role in (("insurer", "insurer"), ("provider", "requestor")):
        found = index.resolve(getattr(claim, field))
        if found is not None and found[1].get_resource_type() == "Organization":
            _organization(found[1], f"Bundle.entry[{found[0]}].resource", role)
    found = index.resolve(claim.provider)
    if found is not None and found[1].get_resource_type() == "PractitionerRole":
        _practitioner_role(found[1], f"Bundle.entry[{found[0]}].resource")


def _beneficiary(patient: Any, path: str, named_by: str) -> None:
    profile = "the PAS beneficiary profile (US Core Patient)"
    identifiers = patient.identifier or []
    if not any(i.system and i.value for i in identifiers):
        _refuse(f"{path}.identifier", f"an identifier with system and value ({profile})", named_by)
    if not any(n.family or n.given for n in patient.name or []):
        _refuse(f"{path}.name", f"a name with a family or given part ({profile})", named_by)
    if not patient.gender:
        _refuse(f"{path}.gender", f"gender ({profile}; 'unknown' is accepted)", named_by)
    if patient.birthDate is not None and not isinstance(patient.birthDate, date):
        _refuse(
            f"{path}.birthDate",
            "a full birth date, YYYY-MM-DD, or none (the PAS beneficiary profile)",
            named_by,
            code="value",
        )


def _organization(organization: Any, path: str, role: str) -> None:
    profile = f"the PAS {role} profile (US Core Organization)"
    named_by = f"Claim.{'insurer' if role == 'insurer' else 'provider'}"
    if organization.active is None:
        _refuse(f"{path}.active", f"active (true or false; {profile})", named_by)
    if not organization.name:
        _refuse(f"{path}.name", f"a name ({profile})", named_by)


def _practitioner_role(role: Any, path: str) -> None:
    profile = "the PAS PractitionerRole profile (US Core PractitionerRole)"
    if role.practitioner is None:
        _refuse(f"{path}.practitioner", f"the practitioner ({profile})", "Claim.provider")
    if not role.telecom and not role.endpoint:
        _refuse(f"{path}.telecom", f"a telecom or an endpoint ({profile})", "Claim.provider")


def _refuse(expression: str, needed: str, named_by: str, *, code: str = "required") -> None:
    what = "is missing" if code == "required" else "is not accepted"
    raise FhirInputError(
        f"{expression} {what}: the PAS response echoes the resource {named_by} names, "
        f"and it needs {needed}.",
        expression,
        code=code,
    )
