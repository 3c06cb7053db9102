"""A PAS request Bundle read into contract requests, one per Claim item.

The Bundle must be a ``collection`` whose first entry is a Claim with ``use =
preauthorization`` (PAS request Bundle). Each item's CPT or HCPCS code, the Claim's
ICD-10-CM diagnoses, the service date, the member (Patient and Coverage) and the facts of
any QuestionnaireResponse in the Bundle make one contract request. An item coded only in
another system (the PAS example uses X12 service type codes) has no request: no policy
here can decide it, so its answer is routed elsewhere.

In a Claim Update each item may say how it changed: the PAS ``infoCancelled``
modifierExtension withdraws the item (a modifier: ignoring it would turn a cancellation
into a request), and ``infoChanged = added`` marks an item the earlier Claim did not have.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.bundle_index import BundleIndex
from medpolicy.adapters.fhir_r4.echo import require_echoable
from medpolicy.adapters.fhir_r4.member import member_from
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError, parse_resource
from medpolicy.adapters.fhir_r4.order import as_day
from medpolicy.adapters.fhir_r4.questionnaire import facts_from_response
from medpolicy.policy.registry import Registry
from medpolicy.terminology.service_codes import is_service_code, normalize_service_code

__all__ = ["ClaimItem", "PasRequest", "item_key", "parse_pas_bundle"]

_EXPEDITED_PRIORITY = frozenset({"stat"})
_EXPEDITED_LEVEL = frozenset({"U", "03"})
_LEVEL_OF_SERVICE = systems.PAS + "extension-levelOfServiceCode"
_INFO_CANCELLED = systems.PAS + "modifierextension-infoCancelled"
_INFO_CHANGED = systems.PAS + "extension-infoChanged"
_MAX_ITEMS = 50


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One requested service: its sequence, the contract request, and where it was."""

    sequence: int
    request: dict[str, Any] | None
    service_text: str
    expression: str
    cancelled: bool = False
    """The item carries ``infoCancelled = true``: withdraw it rather than decide it."""
    info_changed: str | None = None
    """The item's ``infoChanged`` code in a Claim Update (``added`` or ``changed``)."""


@dataclass(frozen=True, slots=True)
class PasRequest:
    """What a PAS request Bundle asks, plus what the response must echo."""

    bundle: Any
    index: BundleIndex
    claim: Any
    claim_key: str
    prior_key: str | None
    priority: str
    items: tuple[ClaimItem, ...]


def item_key(key: str, sequence: int) -> str:
    """The case service Idempotency-Key of item ``sequence`` of the Claim known as ``key``."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"pas:{digest}:{sequence}"


def parse_pas_bundle(data: Any, registry: Registry) -> PasRequest:
    """Check ``data`` as a PAS request Bundle and map it; refusals name the element."""
    bundle = _parse_bundle(data)
    index = BundleIndex(bundle)
    if bundle.type != "collection":
        raise FhirInputError("A PAS request Bundle must have type 'collection'.", "Bundle.type")
    _transaction_identifier(bundle)
    entries = bundle.entry or []
    first = entries[0].resource if entries else None
    if first is None or first.get_resource_type() != "Claim":
        raise FhirInputError(
            "The first entry of a PAS request Bundle must be a Claim.", "Bundle.entry[0]"
        )
    claim = first
    where = "Bundle.entry[0].resource"
    if claim.use != "preauthorization":
        raise FhirInputError("The Claim must have use 'preauthorization'.", f"{where}.use")
    patient = _required(index, claim.patient, "Patient", f"{where}.patient")
    require_echoable(index, claim, where)
    coverage = _focal_coverage(index, claim, where)
    diagnoses = _diagnoses(claim, where)
    facts = _facts(index, registry, claim)
    items = tuple(
        _item(
            claim,
            i,
            item,
            patient=patient,
            coverage=coverage,
            diagnoses=diagnoses,
            facts=facts,
            where=where,
            registry=registry,
        )
        for i, item in enumerate(claim.item or [])
    )
    if not items:
        raise FhirInputError("The Claim has no item to authorize.", f"{where}.item")
    if len(items) > _MAX_ITEMS:
        raise FhirInputError(f"A Claim may carry at most {_MAX_ITEMS} items.", f"{where}.item")
    return PasRequest(
        bundle=bundle,
        index=index,
        claim=claim,
        claim_key=claim_key(claim),
        prior_key=_prior_key(index, claim, where),
        priority=_priority(claim),
        items=items,
    )


def _parse_bundle(data: Any) -> Any:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirInputError("The request body must be a FHIR Bundle resource.", "Bundle")
    return parse_resource(Bundle, data, "Bundle")


def _transaction_identifier(bundle: Any) -> None:
    """PAS request Bundles carry the submitter's transaction identifier (1..1), which the
    response Bundle echoes as its own ``identifier`` (PAS response Bundle, 1..1)."""
    identifier = bundle.identifier
    if identifier is None or not identifier.value:
        raise FhirInputError(
            "Bundle.identifier is missing: a PAS request Bundle carries the submitter's "
            "transaction identifier (a system and a value), which the response echoes.",
            "Bundle.identifier",
            code="required",
        )


def claim_key(claim: Any) -> str:
    """How we recognize a Claim again: its first identifier, else its id."""
    for identifier in claim.identifier or []:
        if identifier.value:
            return f"{identifier.system or ''}|{identifier.value}"
    if claim.id:
        return f"Claim/{claim.id}"
    raise FhirInputError(
        "The Claim needs an identifier (or an id) so that it can be updated and inquired.",
        "Bundle.entry[0].resource.identifier",
    )


def _required(index: BundleIndex, reference: Any, kind: str, where: str) -> Any:
    found = index.resolve(reference)
    if found is None or found[1].get_resource_type() != kind:
        raise FhirInputError(f"{where} must reference a {kind} entry of this Bundle.", where)
    return found[1]


def _focal_coverage(index: BundleIndex, claim: Any, where: str) -> Any | None:
    insurances = claim.insurance or []
    ordered = sorted(range(len(insurances)), key=lambda i: not insurances[i].focal)
    for position in ordered:
        found = index.resolve(insurances[position].coverage)
        if found is not None and found[1].get_resource_type() == "Coverage":
            return found[1]
    if insurances:
        path = f"{where}.insurance[{ordered[0]}].coverage"
        raise FhirInputError(f"{path} must reference a Coverage entry of this Bundle.", path)
    return None


def _diagnoses(claim: Any, where: str) -> list[str]:
    codes: list[str] = []
    for position, diagnosis in enumerate(claim.diagnosis or []):
        concept = diagnosis.diagnosisCodeableConcept
        for coding in (concept.coding if concept else None) or []:
            if coding.system == systems.ICD10CM:
                if not coding.code:
                    path = f"{where}.diagnosis[{position}].diagnosisCodeableConcept.coding"
                    raise FhirInputError("An ICD-10-CM coding needs a code.", path)
                codes.append(coding.code)
    return codes


def _facts(index: BundleIndex, registry: Registry, claim: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    codes = [_service_code(item) for item in claim.item or []]
    dictionary = registry.all_facts
    for code in codes:
        target = registry.target(code) if code else None
        if target is not None:
            dictionary = dict(target.policy.facts)
            break
    for position, response in index.of_type("QuestionnaireResponse"):
        where = f"Bundle.entry[{position}].resource"
        facts.update(facts_from_response(response, dictionary, where))
    return facts


def _service_code(item: Any) -> str | None:
    for coding in item.productOrService.coding or []:
        if coding.system in systems.SERVICE_SYSTEMS and coding.code:
            return normalize_service_code(coding.code)
    return None


def _item(
    claim: Any,
    position: int,
    item: Any,
    *,
    patient: Any,
    coverage: Any | None,
    diagnoses: list[str],
    facts: dict[str, Any],
    where: str,
    registry: Registry,
) -> ClaimItem:
    path = f"{where}.item[{position}].productOrService"
    code = _service_code(item)
    codings = item.productOrService.coding or []
    shown = ", ".join(f"{c.system or '?'}#{c.code or '?'}" for c in codings) or "no coding"
    cancelled, changed = _cancelled(item), _info_changed(item)
    if code is None:
        return ClaimItem(item.sequence, None, shown, path, cancelled, changed)
    if not is_service_code(code):
        raise FhirInputError(
            f"{path} has a CPT or HCPCS coding whose code is not a CPT or HCPCS code.",
            path,
            code="value",
        )
    target = registry.target(code)
    request: dict[str, Any] = {
        "service": {"code": code, "date_of_service": _service_date(claim, item).isoformat()},
        "diagnoses": diagnoses,
    }
    if target is not None and target.service is not None:
        request["facts"] = {k: v for k, v in facts.items() if k in target.policy.facts}
    member = member_from(patient, coverage)
    if member:
        request["member"] = member
    request["request_id"] = claim_key(claim)[-200:]
    return ClaimItem(item.sequence, request, shown, path, cancelled, changed)


def _cancelled(item: Any) -> bool:
    return any(
        extension.url == _INFO_CANCELLED and extension.valueBoolean is True
        for extension in item.modifierExtension or []
    )


def _info_changed(item: Any) -> str | None:
    for extension in item.extension or []:
        if extension.url == _INFO_CHANGED and extension.valueCode:
            return str(extension.valueCode)
    return None


def _service_date(claim: Any, item: Any) -> date:
    candidates = [
        item.servicedDate,
        item.servicedPeriod.start if item.servicedPeriod is not None else None,
        claim.billablePeriod.start if claim.billablePeriod is not None else None,
        claim.created,
    ]
    for value in candidates:
        day = as_day(value)
        if day is not None:
            return day
    raise FhirInputError(
        "The Claim needs a service date or a created date.", "Bundle.entry[0].resource.created"
    )


def _priority(claim: Any) -> str:
    codes = {c.code for c in (claim.priority.coding if claim.priority else None) or []}
    for extension in claim.extension or []:
        if extension.url == _LEVEL_OF_SERVICE and extension.valueCodeableConcept is not None:
            codes |= {c.code for c in extension.valueCodeableConcept.coding or []}
    urgent = codes & (_EXPEDITED_PRIORITY | _EXPEDITED_LEVEL)
    return "expedited" if urgent else "standard"


def _prior_key(index: BundleIndex, claim: Any, where: str) -> str | None:
    for position, related in enumerate(claim.related or []):
        if related.claim is None:
            continue
        found = index.resolve(related.claim)
        if found is not None and found[1].get_resource_type() == "Claim":
            return claim_key(found[1])
        identifier = related.claim.identifier
        if identifier is not None and identifier.value:
            return f"{identifier.system or ''}|{identifier.value}"
        path = f"{where}.related[{position}].claim"
        raise FhirInputError(
            f"{path} must reference the earlier Claim inside this Bundle or by identifier.", path
        )
    return None
