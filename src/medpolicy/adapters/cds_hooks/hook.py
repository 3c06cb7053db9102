"""A CRD hook call answered: coverage information on each draft order, and one card.

The draft orders (ServiceRequests, for appointment-book the appointments' ServiceRequests
in the prefetch are not fetched) are read with fhir.resources; each CPT or HCPCS code a
policy here decides is evaluated with what the order says (diagnoses in ``reasonCode``)
and the prefetched Patient and Coverage. Every order we judged gets an ``update``
systemAction carrying the coverage-information extension; the card says in one line what
the clinician has to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from medpolicy.adapters.cds_hooks.coverage_information import (
    coverage_information,
    invariant_problems,
)
from medpolicy.adapters.cds_hooks.discovery import HOOKS
from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.operation_outcome import FhirInputError, from_validation_error
from medpolicy.adapters.fhir_r4.order import order_codes, order_request
from medpolicy.domain import Determination
from medpolicy.errors import RequestError
from medpolicy.policy.registry import Registry

__all__ = ["answer_hook"]

Evaluate = Callable[[dict[str, Any]], Determination]
_ORDER_TYPES = frozenset({"ServiceRequest"})
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


def answer_hook(
    service_id: str, body: Any, registry: Registry, evaluate: Evaluate, today: date
) -> dict[str, Any]:
    """The CDS Hooks response (cards and systemActions) to one call of ``service_id``."""
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
    for position, order in _orders(context, HOOKS[service_id]):
        where = f"context.{HOOKS[service_id]}.entry[{position}].resource"
        extensions = []
        for code in order_codes(order):
            target = registry.target(code)
            if target is None or target.service is None:
                continue
            request = order_request(order, code, patient, coverage, today)
            try:
                determination = evaluate(request)
            except RequestError as error:
                raise FhirInputError(error.message, f"{where}.reasonCode", code="value") from None
            questionnaire = systems.questionnaire_url(target.policy.id, target.service.section)
            extension = coverage_information(
                determination,
                code=code,
                coverage_ref=coverage_ref,
                questionnaire=questionnaire,
                today=today,
            )
            problems = invariant_problems(extension)
            if problems:
                raise AssertionError(f"coverage-information breaks {problems}")
            extensions.append(extension)
            line = _LINE.get(determination.outcome)
            if line:
                lines.append(f"{code}: " + line.format(policy=target.policy.id))
        if extensions:
            updated = order.model_dump(mode="json", exclude_none=True)
            updated["extension"] = [*updated.get("extension", []), *extensions]
            actions.append({"type": "update", "resource": updated})
    return {"cards": [_card(lines)] if lines else [], "systemActions": actions}


def _orders(context: dict[str, Any], key: str) -> list[tuple[int, Any]]:
    bundle = context.get(key)
    if not isinstance(bundle, dict) or not isinstance(bundle.get("entry", []), list):
        raise FhirInputError(f"context.{key} must be a Bundle of orders.", f"context.{key}")
    found = []
    for position, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if isinstance(resource, dict) and kind in _ORDER_TYPES:
            where = f"context.{key}.entry[{position}].resource"
            found.append((position, _parse(resource, where)))
    return found


def _parse(resource: dict[str, Any], where: str) -> Any:
    model = get_fhir_model_class(resource["resourceType"])
    try:
        return model.model_validate(resource)
    except ValidationError as error:
        raise from_validation_error(where, error) from None


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
