"""DTR ``Questionnaire/$questionnaire-package``: questionnaires for the ordered services.

Input is a Parameters resource with ``coverage`` and one or more ``order`` resources
(optionally ``questionnaire`` canonicals to narrow the choice). For each policy section
that decides one of the ordered codes the answer carries a package Bundle with the
section's Questionnaire first and a draft QuestionnaireResponse prefilled with what the
order, its diagnoses and the coverage already establish. The draft's subject is the
order's patient (else the coverage's beneficiary), its author the order's requester when
there is one, and its ``qr-context`` the order and the coverage it documents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fhir.resources.R4B.parameters import Parameters

from medpolicy.adapters.fhir_r4 import systems
from medpolicy.adapters.fhir_r4.operation_outcome import (
    FhirInputError,
    from_request_error,
    parse_resource,
)
from medpolicy.adapters.fhir_r4.order import order_codes, order_request
from medpolicy.adapters.fhir_r4.questionnaire import build_questionnaire, draft_response
from medpolicy.domain import Determination
from medpolicy.errors import RequestError
from medpolicy.policy.registry import Registry

__all__ = ["questionnaire_package"]

Evaluate = Callable[[dict[str, Any]], Determination]
_ORDER_TYPES = frozenset({"ServiceRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder"})


def questionnaire_package(
    data: Any, registry: Registry, evaluate: Evaluate, today: date
) -> dict[str, Any]:
    """The operation's output Parameters (one ``PackageBundle`` per questionnaire)."""
    parameters = _parse(data)
    coverage = _resource(parameters, "coverage")
    wanted = {
        p.valueCanonical.split("|")[0]
        for p in parameters.parameter or []
        if p.name == "questionnaire" and p.valueCanonical
    }
    packages: dict[str, dict[str, Any]] = {}
    for position, parameter in enumerate(parameters.parameter or []):
        if parameter.name != "order":
            continue
        order = parameter.resource
        where = f"Parameters.parameter[{position}].resource"
        if order is None or order.get_resource_type() not in _ORDER_TYPES:
            raise FhirInputError(f"{where} must be an order resource (e.g. ServiceRequest).", where)
        for code in order_codes(order):
            _add_package(
                packages,
                registry,
                evaluate,
                order=order,
                code=code,
                coverage=coverage,
                today=today,
                wanted=wanted,
                where=where,
            )
    if not packages:
        raise FhirInputError(
            "No order names a CPT or HCPCS code that a policy here decides, so there is no "
            "questionnaire to give.",
            "Parameters.parameter.where(name='order').resource.code",
            code="not-found",
            status=404,
        )
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "PackageBundle", "resource": b} for b in packages.values()],
    }


def _parse(data: Any) -> Any:
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise FhirInputError("The request body must be a FHIR Parameters resource.", "Parameters")
    return parse_resource(Parameters, data, "Parameters")


def _resource(parameters: Any, name: str) -> Any | None:
    for parameter in parameters.parameter or []:
        if parameter.name == name and parameter.resource is not None:
            return parameter.resource
    return None


def _add_package(
    packages: dict[str, dict[str, Any]],
    registry: Registry,
    evaluate: Evaluate,
    *,
    order: Any,
    code: str,
    coverage: Any | None,
    today: date,
    wanted: set[str],
    where: str,
) -> None:
    target = registry.target(code)
    if target is None or target.service is None:
        return
    policy, section = target.policy, target.service.section
    url = systems.questionnaire_url(policy.id, section)
    if (wanted and url not in wanted) or url in packages:
        return
    request = order_request(order, code, None, coverage, today)
    try:
        determination = evaluate(request)
    except RequestError as error:
        raise from_request_error(error, f"{where}.reasonCode") from None
    decided = determination.policy
    version = policy.version(decided.version) if decided is not None else None
    if version is None or section not in version.sections:
        return
    draft = draft_response(
        policy,
        version,
        section,
        determination,
        subject=_reference(getattr(order, "subject", None) or getattr(order, "patient", None))
        or _reference(getattr(coverage, "beneficiary", None)),
        author=_reference(getattr(order, "requester", None)),
        context=[r for r in (_local(order), _local(coverage)) if r is not None],
    )
    packages[url] = {
        "resourceType": "Bundle",
        "meta": {"profile": [systems.DTR_PACKAGE_BUNDLE]},
        "type": "collection",
        "entry": [
            {"fullUrl": url, "resource": build_questionnaire(policy, version, section)},
            {"resource": draft},
        ],
    }


def _reference(reference: Any | None) -> dict[str, Any] | None:
    """A Reference from the request as JSON, or None when it is absent or empty."""
    if reference is None:
        return None
    dumped: dict[str, Any] = reference.model_dump(mode="json", exclude_none=True)
    return dumped or None


def _local(resource: Any | None) -> dict[str, str] | None:
    """``Type/id`` of a resource from the request, when it has an id."""
    if resource is None or not resource.id:
        return None
    return {"reference": f"{resource.get_resource_type()}/{resource.id}"}
