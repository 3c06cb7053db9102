"""Da Vinci PAS and DTR over HTTP: ``Claim/$submit``, ``Claim/$inquire`` and
``Questionnaire/$questionnaire-package``.

Bodies are FHIR JSON; every refusal is an OperationOutcome naming the element at fault,
with 401/403 for tokens and roles (the case service's bearer tokens, checked before the
body is read), 404 for what is not on file, 409 for a closed case and 422 for content we
cannot use. The OpenAPI document describes them with the shapes of ``fhir_api/openapi.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from medpolicy.adapters.fhir_r4 import (
    FhirInputError,
    operation_outcome,
    pas_inquiry_response,
    pas_response_bundle,
    questionnaire_package,
)
from medpolicy.adapters.fhir_r4.operation_outcome import from_request_error
from medpolicy.adapters.fhir_r4.systems import canonical_base
from medpolicy.engine import Engine
from medpolicy.errors import RequestError
from medpolicy.service.api.deps import bearer, get_registry
from medpolicy.service.api.input_guard import InputLimits, InputRefused, strict_json
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import Clock
from medpolicy.service.errors import ServiceError
from medpolicy.service.fhir_api.openapi import (
    FHIR_PARAMETERS,
    PAS_BUNDLE,
    fhir_responses,
    request_body,
)
from medpolicy.service.fhir_api.pas_desk import PasDesk
from medpolicy.service.permissions import Action, require
from medpolicy.service.principal import Principal
from medpolicy.service.tokens import TokenDesk

router = APIRouter(prefix="/fhir", tags=["fhir"])
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
"""Documents the bearer token in OpenAPI; ``_caller`` checks it and answers in FHIR."""
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


async def _raw_body(request: Request) -> bytes:
    """The body, read under the route's cap (the input guard meters it)."""
    try:
        return await request.body()
    except InputRefused as refusal:
        code = "too-costly" if refusal.status_code == 413 else "timeout"
        raise FhirInputError(
            str(refusal.detail), "body", code=code, status=refusal.status_code
        ) from None


def _parse(raw: bytes, limits: InputLimits) -> Any:
    """Strict JSON (see ``input_guard.strict_json``) with at most ``bundle_entries`` entries
    in any Bundle at the top or in a Parameters resource. Runs in a worker thread."""
    try:
        body = strict_json(raw, limits)
    except InputRefused as refusal:
        raise FhirInputError(
            str(refusal.detail), "body", code="structure", status=refusal.status_code
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise FhirInputError(
            "The body is not JSON.", "body", code="structure", status=400
        ) from None
    bundles: list[Any] = [body]
    if isinstance(body, dict) and isinstance(body.get("parameter"), list):
        bundles += [p.get("resource") for p in body["parameter"] if isinstance(p, dict)]
    for bundle in bundles:
        entries = bundle.get("entry") if isinstance(bundle, dict) else None
        if isinstance(entries, list) and len(entries) > limits.bundle_entries:
            raise FhirInputError(
                f"The Bundle has {len(entries)} entries; at most {limits.bundle_entries} "
                "are accepted.",
                "Bundle.entry",
                code="too-costly",
                status=413,
            )
    return body


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
    return PasDesk(desk, get_registry(request))


def _now(request: Request) -> Any:
    clock: Clock = request.app.state.clock
    return clock.now()


async def _guarded(work: Callable[[], Any]) -> JSONResponse:
    """Run the route's database and engine work in the thread pool, so the event loop (and
    ``/health``) never waits behind a large Bundle; refusals become OperationOutcomes."""
    try:
        result = await anyio.to_thread.run_sync(work)
        return result if isinstance(result, JSONResponse) else fhir_response(result)
    except (FhirInputError, ServiceError, RequestError) as error:
        return _refusal(error)


async def _authenticated_body(request: Request, action: Action) -> tuple[Principal, Any]:
    """The caller and its role first, then the body: a caller who may not do ``action``
    learns nothing about what the body would have got. The token lookup and the parse run
    in the thread pool."""
    principal = await anyio.to_thread.run_sync(_caller, request)
    require(principal, action)
    raw = await _raw_body(request)
    limits: InputLimits = request.app.state.input_limits
    return principal, await anyio.to_thread.run_sync(_parse, raw, limits)


@router.post(
    "/Claim/$submit",
    summary="PAS Claim/$submit: request prior authorization",
    description="A PAS request Bundle in (Claim first); each Claim item becomes a case of "
    "the case service. A Claim Update (related.claim) adds information to the earlier "
    "Claim's cases, withdraws the case of an item carrying infoCancelled and opens a case "
    "for an item marked infoChanged=added. Providers only.",
    openapi_extra=request_body(PAS_BUNDLE, "A PAS request Bundle or Claim Update Bundle."),
    responses=fhir_responses(
        PAS_BUNDLE,
        "A PAS response Bundle: ClaimResponse first, one item per Claim item with its review "
        "action (A1 certified, A3 not certified, A4 pended, C cancelled) and case number.",
        (400, 401, 403, 404, 409, 422),
    ),
)
async def submit(request: Request, _token: BearerToken = None) -> JSONResponse:
    """A PAS request Bundle in, a PAS response Bundle (ClaimResponse first) out."""
    try:
        principal, body = await _authenticated_body(request, Action.SUBMIT_CASE)
    except (FhirInputError, ServiceError, RequestError) as error:
        return _refusal(error)

    def work() -> dict[str, Any]:
        pas, answers = _pas(request).submit(principal, body)
        return pas_response_bundle(pas, answers, _now(request))

    return await _guarded(work)


@router.post(
    "/Claim/$inquire",
    summary="PAS Claim/$inquire: where a prior authorization stands",
    description="A PAS inquiry Bundle naming the Claim (the original or any update of it); "
    "the current answer of each item's case. Providers, nurses and physicians.",
    openapi_extra=request_body(PAS_BUNDLE, "A PAS inquiry Bundle (Claim first)."),
    responses=fhir_responses(
        FHIR_PARAMETERS,
        "Parameters with one `return`: a PAS inquiry response Bundle with each case's answer.",
        (400, 401, 403, 404, 422),
    ),
)
async def inquire(request: Request, _token: BearerToken = None) -> JSONResponse:
    """A PAS inquiry Bundle in; the cases' current answers in a response Bundle."""
    try:
        principal, body = await _authenticated_body(request, Action.READ_CASE)
    except (FhirInputError, ServiceError, RequestError) as error:
        return _refusal(error)

    def work() -> dict[str, Any]:
        pas, answers = _pas(request).inquire(principal, body)
        return pas_inquiry_response(pas, answers, _now(request))

    return await _guarded(work)


@router.post(
    "/Questionnaire/$questionnaire-package",
    summary="DTR Questionnaire/$questionnaire-package: the questions a policy needs answered",
    description="Parameters with a coverage and one or more orders in; for each policy "
    "section that decides an ordered CPT or HCPCS code, a package Bundle with the "
    "Questionnaire and a draft QuestionnaireResponse prefilled with what is already known. "
    "Providers, nurses and physicians.",
    openapi_extra=request_body(
        FHIR_PARAMETERS, "DTR input Parameters: coverage, order (repeating), questionnaire."
    ),
    responses=fhir_responses(
        FHIR_PARAMETERS,
        "Parameters with one PackageBundle per questionnaire (Questionnaire first).",
        (400, 401, 403, 404, 422),
    ),
)
async def package(request: Request, _token: BearerToken = None) -> JSONResponse:
    """DTR: the questionnaires (and prefilled drafts) for the ordered services."""
    try:
        _caller_checked, body = await _authenticated_body(request, Action.EVALUATE)
    except (FhirInputError, ServiceError, RequestError) as error:
        return _refusal(error)

    def work() -> dict[str, Any]:
        engine: Engine = request.app.state.engine
        base = canonical_base(request.app.state.public_base_url)
        return questionnaire_package(body, engine, _now(request), base)

    return await _guarded(work)
