"""DTR ``Questionnaire/$questionnaire-package``: questionnaires for the ordered services.

Input is a Parameters resource with ``coverage`` (required, as in DTR's input profile) and
one or more ``order`` resources (optionally ``questionnaire`` canonicals to narrow the
choice). For each policy section that decides one of the ordered codes the answer carries
a package Bundle (DTR-QPackageBundle) with the section's Questionnaire first and, when the
order already establishes some answers, a draft QuestionnaireResponse prefilled with them.
The draft's subject is the order's patient (else the coverage's beneficiary), its author
the order's requester when there is one, and its ``qr-context`` the order and the coverage
it documents; an order or coverage without an id cannot be pointed to, and then no draft
is given (DTR requires both contexts).

Canonical URLs (the Questionnaire's ``url``, answer code systems) start with ``base``, the
service's public base URL. Each entry's ``fullUrl`` is a ``urn:uuid`` derived from the
Questionnaire's canonical URL and version (and, for the draft, from the request), so the
canonical URL never poses as the entry's RESTful location.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
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
from medpolicy.adapters.json_request import parse_request
from medpolicy.engine import Engine
from medpolicy.errors import RequestError

__all__ = ["questionnaire_package"]

_ORDER_TYPES = frozenset({"ServiceRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder"})


def questionnaire_package(
    data: Any,
    engine: Engine,
    now: datetime,
    base: str = systems.DEFAULT_BASE,
) -> dict[str, Any]:
    """The operation's output Parameters (one ``PackageBundle`` per questionnaire).

    The engine decides the prefilled draft and says which questions matter, so the
    questionnaire and the determinations it feeds cannot disagree.
    """
    parameters = _parse(data)
    coverage = _resource(parameters, "coverage")
    if coverage is None or coverage.get_resource_type() != "Coverage":
        raise FhirInputError(
            "The input needs a coverage parameter holding the member's Coverage resource "
            "(DTR $questionnaire-package input, coverage 1..*).",
            "Parameters.parameter.where(name='coverage').resource",
            code="required",
        )
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
                engine,
                order=order,
                code=code,
                coverage=coverage,
                now=now,
                wanted=wanted,
                where=where,
                base=base,
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
        "meta": {"profile": [systems.DTR_PACKAGE_OUTPUT]},
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
    engine: Engine,
    *,
    order: Any,
    code: str,
    coverage: Any,
    now: datetime,
    wanted: set[str],
    where: str,
    base: str,
) -> None:
    target = engine.registry.target(code)
    if target is None or target.service is None:
        return
    policy, section = target.policy, target.service.section
    url = systems.questionnaire_url(policy.id, section, base)
    if (wanted and url not in wanted) or url in packages:
        return
    request = order_request(order, code, None, coverage, now.date())
    try:
        determination = engine.determine(parse_request(request, engine.registry))
    except RequestError as error:
        raise from_request_error(error, f"{where}.reasonCode") from None
    decided = determination.policy
    version = policy.version(decided.version) if decided is not None else None
    if version is None or section not in version.sections:
        return
    relevance = engine.relevance(policy, version, section)
    questionnaire = build_questionnaire(policy, version, section, relevance, base)
    entries = [{"fullUrl": _urn(url, version.id), "resource": questionnaire}]
    subject = _reference(getattr(order, "subject", None) or getattr(order, "patient", None))
    subject = subject or _reference(getattr(coverage, "beneficiary", None))
    context = [r for r in (_local(order), _local(coverage)) if r is not None]
    if subject is not None and len(context) == 2:
        draft = draft_response(
            policy,
            version,
            section,
            determination,
            relevance,
            subject=subject,
            author=_reference(getattr(order, "requester", None)),
            context=context,
            authored=now,
            base=base,
        )
        if draft is not None:
            entries.append({"fullUrl": _urn(url, version.id, draft), "resource": draft})
    packages[url] = {
        "resourceType": "Bundle",
        "meta": {"profile": [systems.DTR_PACKAGE_BUNDLE]},
        "type": "collection",
        "entry": entries,
    }


def _urn(*parts: Any) -> str:
    """A ``urn:uuid`` fixed by what the entry is (the same package gets the same fullUrls)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return uuid.UUID(hashlib.sha256(text.encode("utf-8")).hexdigest()[:32], version=5).urn


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
