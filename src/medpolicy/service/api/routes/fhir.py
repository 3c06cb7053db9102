"""Da Vinci PAS and DTR over HTTP: ``Claim/$submit``, ``Claim/$inquire`` and
``Questionnaire/$questionnaire-package``.

Bodies are FHIR JSON; every refusal is an OperationOutcome naming the element at fault,
with 401/403 for tokens and roles (the case service's bearer tokens), 404 for what is not
on file, 409 for a closed case and 422 for content we cannot use.

The routes are left out of the OpenAPI document: FHIR clients learn them from the Da Vinci
guides, and the ``/v1`` schema stays the case service's own contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from medpolicy.adapters.fhir_r4 import (
    FhirInputError,
    operation_outcome,
    pas_response_bundle,
    questionnaire_package,
)
from medpolicy.adapters.fhir_r4.operation_outcome import from_request_error
from medpolicy.errors import RequestError
from medpolicy.policy.registry import default_registry
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import Clock
from medpolicy.service.errors import ServiceError
from medpolicy.service.fhir_api.pas_desk import PasDesk
from medpolicy.service.principal import Principal
from medpolicy.service.tokens import TokenDesk

router = APIRouter(prefix="/fhir", tags=["fhir"], include_in_schema=False)
FHIR_JSON = "application/fhir+json"
_SERVICE_ISSUE = {401: "login", 403: "forbidden", 404: "not-found", 409: "conflict"}


def fhir_response(body: dict[str, Any], status: int = 200) -> JSONResponse:
    """A FHIR JSON answer."""
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


def _refusal(error: Exception) -> JSONResponse:
    if isinstance(error, FhirInputError):
        return fhir_response(error.to_outcome(), error.status)
    if isinstance(error, ServiceError):
        issue = _SERVICE_ISSUE.get(error.status, "invalid")
        outcome = operation_outcome([(issue, error.message, error.field)])
        return fhir_response(outcome, error.status)
    if isinstance(error, RequestError):
        return _refusal(from_request_error(error, error.field or "Bundle"))
    raise error


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise FhirInputError(
            "The body is not JSON.", "body", code="structure", status=400
        ) from None


def _caller(request: Request) -> Principal:
    tokens: TokenDesk = request.app.state.token_desk
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    principal = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        raise FhirInputError(
            "A current bearer token from `medpolicy token create` is required.",
            "Authorization",
            code="login",
            status=401,
        )
    return principal


def _pas(request: Request) -> PasDesk:
    desk: CaseDesk = request.app.state.case_desk
    return PasDesk(desk, default_registry())


def _now(request: Request) -> Any:
    clock: Clock = request.app.state.clock
    return clock.now()


async def _guarded(work: Callable[[], Any]) -> JSONResponse:
    try:
        result = work()
        return result if isinstance(result, JSONResponse) else fhir_response(result)
    except (FhirInputError, ServiceError, RequestError) as error:
        return _refusal(error)


@router.post("/Claim/$submit")
async def submit(request: Request) -> JSONResponse:
    """A PAS request Bundle in, a PAS response Bundle (ClaimResponse first) out."""
    try:
        body = await _body(request)
    except FhirInputError as error:
        return _refusal(error)

    def work() -> dict[str, Any]:
        pas, answers = _pas(request).submit(_caller(request), body)
        return pas_response_bundle(pas, answers, _now(request))

    return await _guarded(work)


@router.post("/Claim/$inquire")
async def inquire(request: Request) -> JSONResponse:
    """A PAS inquiry Bundle in; the cases' current answers in a response Bundle."""
    try:
        body = await _body(request)
    except FhirInputError as error:
        return _refusal(error)

    def work() -> dict[str, Any]:
        pas, answers = _pas(request).inquire(_caller(request), body)
        bundle = pas_response_bundle(pas, answers, _now(request))
        return {
            "resourceType": "Parameters",
            "parameter": [{"name": "responseBundle", "resource": bundle}],
        }

    return await _guarded(work)


@router.post("/Questionnaire/$questionnaire-package")
async def package(request: Request) -> JSONResponse:
    """DTR: the questionnaires (and prefilled drafts) for the ordered services."""
    try:
        body = await _body(request)
    except FhirInputError as error:
        return _refusal(error)

    def work() -> dict[str, Any]:
        _caller(request)
        desk: CaseDesk = request.app.state.case_desk
        return questionnaire_package(body, default_registry(), desk.evaluate, _now(request).date())

    return await _guarded(work)
