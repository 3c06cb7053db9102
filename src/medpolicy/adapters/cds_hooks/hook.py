"""A CRD hook call answered: coverage information on each draft order, and one card.

The draft orders (ServiceRequests) are read with fhir.resources; for appointment-book the
context Bundle holds Appointments, whose services are their ``serviceType`` codes and the
ServiceRequests they are ``basedOn`` (see ``appointment.py``), and a ServiceRequest an
Appointment points to is judged as part of that Appointment. Each CPT or HCPCS code a
policy here decides is evaluated with what the order says (diagnoses in ``reasonCode``)
and the prefetched Patient and Coverage. Every order or appointment we judged gets an
``update`` systemAction carrying the coverage-information extension; the card says in one
line what the clinician has to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from medpolicy.adapters.cds_hooks.appointment import OrderPool, appointment_requests, based_on
from medpolicy.adapters.cds_hooks.coverage_information import (
    coverage_information,
    invariant_problems,
)
from medpolicy.adapters.cds_hooks.discovery import HOOKS
from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError, parse_resource
from medpolicy.adapters.fhir_r4.order import order_codes, order_request
from medpolicy.domain import Determination
from medpolicy.errors import OutputError, RequestError
from medpolicy.policy.registry import Registry

__all__ = ["answer_hook"]

Evaluate = Callable[[dict[str, Any]], Determination]
_LINE = {
    "meets_criteria": "Prior authorization is required; what is on file meets {policy} criteria.",
    "insufficient_information": (
        "Prior authorization is required; answer the {policy} questions to submit it."
    ),
    "does_not_meet_criteria": (
        "Prior authorization is required; as ordered it does not meet {policy} criteria."
    ),
    "experimental_investigational": (
        "Prior authorization is required; {policy} considers this use investigational."
    ),
}

_CAUTION_LINE = (
    "Prior authorization is required; it meets {policy} criteria, but a clinical caution "
    "sends it to a physician reviewer."
)


def answer_hook(
    service_id: str,
    body: Any,
    registry: Registry,
    evaluate: Evaluate,
    today: date,
    *,
    base: str = systems.DEFAULT_BASE,
) -> dict[str, Any]:
    """The CDS Hooks response (cards and systemActions) to one call of ``service_id``;
    canonical URLs (the questionnaire to fill in, reason codes) start with ``base``."""
    if not isinstance(body, dict):
        raise FhirInputError("The hook request must be a JSON object.", "request")
    if body.get("hook") not in (None, service_id):
        raise FhirInputError(f"This service answers the {service_id} hook.", "request.hook")
    context = body.get("context")
    if not isinstance(context, dict):
        raise FhirInputError("The hook request needs a context object.", "request.context")
    given = body.get("prefetch")
    prefetch: dict[str, Any] = given if isinstance(given, dict) else {}
    patient = _prefetched(prefetch, "patient", "Patient")
    coverage, coverage_ref = _coverage(prefetch)
    actions, lines = [], []
    judged = _services(
        service_id, context, prefetch=prefetch, patient=patient, coverage=coverage, today=today
    )
    for where, resource, requests in judged:
        extensions = []
        for code, request in requests:
            target = registry.target(code)
            if target is None or target.service is None:
                continue
            try:
                determination = evaluate(request)
            except RequestError as error:
                raise FhirInputError(error.message, f"{where}.reasonCode", code="value") from None
            section = target.service.section
            questionnaire = systems.questionnaire_url(target.policy.id, section, base)
            extension = coverage_information(
                determination,
                code=code,
                coverage_ref=coverage_ref,
                questionnaire=questionnaire,
                today=today,
                base=base,
            )
            problems = invariant_problems(extension)
            if problems:
                raise OutputError(f"coverage-information breaks {problems}")
            extensions.append(extension)
            line = _LINE.get(determination.outcome)
            if determination.outcome == "meets_criteria" and (
                determination.next_step == "physician_review"
            ):
                line = _CAUTION_LINE
            if line:
                lines.append(f"{code}: " + line.format(policy=target.policy.id))
        if extensions:
            updated = resource.model_dump(mode="json", exclude_none=True)
            updated["extension"] = [*updated.get("extension", []), *extensions]
            actions.append({"type": "update", "resource": updated})
    return {"cards": [_card(lines)] if lines else [], "systemActions": actions}


Judged = tuple[str, Any, list[tuple[str, dict[str, Any]]]]
"""Where a resource was, the resource to update, and its (code, contract request) pairs."""

_KINDS = {
    "order-sign": frozenset({"ServiceRequest"}),
    "order-select": frozenset({"ServiceRequest"}),
    "appointment-book": frozenset({"Appointment", "ServiceRequest"}),
}
"""Which resources of the context Bundle each hook judges."""


def _services(
    service_id: str,
    context: dict[str, Any],
    *,
    prefetch: dict[str, Any],
    patient: Any | None,
    coverage: Any | None,
    today: date,
) -> list[Judged]:
    """Every order or appointment of the call with the services it asks for, in Bundle order."""
    key = HOOKS[service_id]
    kinds = _KINDS[service_id]
    parsed = [
        (position, where, url, _parse(resource, where))
        for position, where, url, resource in _entries(context.get(key), f"context.{key}")
        if resource["resourceType"] in kinds
    ]
    orders = [(url, r) for _, _, url, r in parsed if r.get_resource_type() == "ServiceRequest"]
    pool = OrderPool([*orders, *_prefetched_orders(prefetch)])
    judged: list[tuple[int, Judged]] = []
    linked: set[int] = set()
    for position, where, _url, resource in parsed:
        if resource.get_resource_type() == "Appointment":
            based = based_on(resource, pool)
            linked.update(id(order) for order in based)
            requests = appointment_requests(resource, based, patient, coverage, today)
            judged.append((position, (where, resource, requests)))
    for position, where, _url, resource in parsed:
        if resource.get_resource_type() == "ServiceRequest" and id(resource) not in linked:
            requests = [
                (code, order_request(resource, code, patient, coverage, today))
                for code in order_codes(resource)
            ]
            judged.append((position, (where, resource, requests)))
    return [item for _, item in sorted(judged, key=lambda pair: pair[0])]


def _entries(bundle: Any, path: str) -> list[tuple[int, str, str | None, dict[str, Any]]]:
    """(position, where, fullUrl, resource) of each entry of a Bundle given as JSON."""
    if not isinstance(bundle, dict) or not isinstance(bundle.get("entry", []), list):
        raise FhirInputError(f"{path} must be a Bundle of orders.", path)
    found = []
    for position, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
            url = entry.get("fullUrl")
            where = f"{path}.entry[{position}].resource"
            found.append((position, where, url if isinstance(url, str) else None, resource))
    return found


def _prefetched_orders(prefetch: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """The ServiceRequests of the ``serviceRequests`` prefetch, when the client sent it."""
    bundle = prefetch.get("serviceRequests")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return []
    return [
        (url, _parse(resource, where))
        for _, where, url, resource in _entries(bundle, "prefetch.serviceRequests")
        if resource["resourceType"] == "ServiceRequest"
    ]


def _parse(resource: dict[str, Any], where: str) -> Any:
    return parse_resource(get_fhir_model_class(resource["resourceType"]), resource, where)


def _prefetched(prefetch: dict[str, Any], key: str, kind: str) -> Any | None:
    resource = prefetch.get(key)
    if isinstance(resource, dict) and resource.get("resourceType") == kind:
        return _parse(resource, f"prefetch.{key}")
    return None


def _coverage(prefetch: dict[str, Any]) -> tuple[Any | None, str | None]:
    found = prefetch.get("coverage")
    if isinstance(found, dict) and found.get("resourceType") == "Bundle":
        entries = [e for e in found.get("entry") or [] if isinstance(e, dict)]
        found = entries[0].get("resource") if entries else None
    if not isinstance(found, dict) or found.get("resourceType") != "Coverage":
        return None, None
    coverage = _parse(found, "prefetch.coverage")
    return coverage, f"Coverage/{coverage.id}" if coverage.id else None


def _card(lines: list[str]) -> dict[str, Any]:
    summary = (
        lines[0] if len(lines) == 1 else f"{len(lines)} ordered services need prior authorization."
    )
    return {
        "uuid": str(uuid.uuid4()),
        "summary": summary[:140],
        "detail": "\n".join(lines),
        "indicator": "info",
        "source": {
            "label": "Health plan coverage requirements",
            "topic": {
                "system": systems.CARD_TYPE,
                "code": "coverage-info",
                "display": "Coverage Information",
            },
        },
    }
