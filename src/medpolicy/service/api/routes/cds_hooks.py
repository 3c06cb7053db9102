"""Da Vinci CRD over CDS Hooks: discovery, the three hook services and their feedback.

Hook and feedback calls must carry a client JWT from a trusted issuer (see
``adapters/cds_hooks/client_jwt.py``); discovery is public, as CDS Hooks expects. The
trusted issuers are ``app.state.crd_trusted_issuers`` when set, else read once from
``MEDPOLICY_CRD_TRUSTED_ISSUERS``. The JWT's ``aud`` must be the service URL as the client
knows it (``service_url``).

The OpenAPI document describes the routes (shapes in ``fhir_api/openapi.py``) with their
own security scheme, ``CdsClientJwt``: a client JWT, not a case-service token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from medpolicy.adapters.cds_hooks import (
    HOOKS,
    ClientJwtError,
    TrustedIssuers,
    VerifiedClient,
    answer_hook,
    discovery,
)
from medpolicy.adapters.fhir_r4 import FhirInputError, operation_outcome
from medpolicy.adapters.fhir_r4.systems import canonical_base
from medpolicy.service.api.deps import get_registry
from medpolicy.service.api.input_guard import InputLimits, InputRefused, strict_json
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import Clock
from medpolicy.service.db.database import Database
from medpolicy.service.fhir_api.openapi import (
    CDS_DISCOVERY,
    CDS_FEEDBACK,
    CDS_HOOK_REQUEST,
    CDS_HOOK_RESPONSE,
    cds_responses,
    request_body,
)
from medpolicy.service.fhir_api.store import remember_jti, store_feedback

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])
client_jwt = HTTPBearer(
    scheme_name="CdsClientJwt",
    bearerFormat="JWT",
    auto_error=False,
    description="A JWT the EHR signs for each call (RS384 or ES384) with a key of a trusted "
    "issuer (MEDPOLICY_CRD_TRUSTED_ISSUERS); aud is the service URL, jti is never reused.",
)
ClientJwt = Annotated[HTTPAuthorizationCredentials | None, Security(client_jwt)]
ServiceId = Annotated[
    str,
    Path(
        description="The CDS service, named after its hook (see discovery); any other is a 404.",
        json_schema_extra={"enum": list(HOOKS)},
    ),
]
"""Documents the client JWT in OpenAPI; ``_verify`` checks it."""


def _refuse(status: int, code: str, message: str, where: str | None) -> JSONResponse:
    return JSONResponse(operation_outcome([(code, message, where)]), status_code=status)


def _trusted(request: Request) -> TrustedIssuers:
    issuers = getattr(request.app.state, "crd_trusted_issuers", None)
    if not isinstance(issuers, TrustedIssuers):
        issuers = TrustedIssuers.from_environment()
        request.app.state.crd_trusted_issuers = issuers
    return issuers


def _verify(request: Request) -> VerifiedClient:
    database: Database = request.app.state.database
    clock: Clock = request.app.state.clock
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ClientJwtError("CDS Hooks calls must carry a signed JWT as a bearer token.")
    audience = service_url(request)

    def remember(issuer: str, jti: str, expires_at: datetime) -> bool:
        return remember_jti(database, issuer, jti, expires_at, clock.now())

    return _trusted(request).verify(token.strip(), audience=audience, remember=remember)


def service_url(request: Request) -> str:
    """The URL the client called, as it knows it: the configured public base URL
    (``MEDPOLICY_PUBLIC_BASE_URL``) followed by the path under this app. Without one every
    call is refused: the Host header is the caller's to choose, so it cannot vouch for
    ``aud`` (and the service refuses to start with trusted CDS clients but no public URL).
    """
    base = getattr(request.app.state, "public_base_url", None)
    if not base:
        raise ClientJwtError(
            "CRD is not configured: MEDPOLICY_PUBLIC_BASE_URL must name the URL clients "
            "call, so that no call is accepted on the strength of its Host header."
        )
    root = request.scope.get("root_path", "")
    path = request.url.path.removeprefix(root) if root else request.url.path
    return str(base).rstrip("/") + path


async def _json(request: Request) -> Any:
    """The body parsed strictly in the thread pool; None when it is not usable JSON."""
    limits: InputLimits = request.app.state.input_limits
    raw = await request.body()
    try:
        return await anyio.to_thread.run_sync(strict_json, raw, limits)
    except (ValueError, UnicodeDecodeError, InputRefused):
        return None


@router.get(
    "",
    summary="CDS Hooks discovery: the CRD services offered",
    description="One service per hook (order-sign, order-select, appointment-book), each with "
    "its prefetch templates. Public, as CDS Hooks expects.",
    responses=cds_responses(CDS_DISCOVERY, "The discovery document.", ()),
)
def services() -> dict[str, Any]:
    """CDS Hooks discovery: order-sign, order-select and appointment-book."""
    return discovery()


@router.post(
    "/{service_id}",
    summary="CRD hook call: coverage requirements of draft orders or appointments",
    description="For each draft ServiceRequest (order-sign, order-select) or Appointment "
    "(appointment-book) whose CPT or HCPCS code a policy here decides: a systemAction adding "
    "CRD coverage-information, and a card saying in one line what the clinician must do.",
    openapi_extra=request_body(CDS_HOOK_REQUEST, "A CDS Hooks request for this service's hook."),
    responses=cds_responses(
        CDS_HOOK_RESPONSE,
        "Cards and systemActions (both empty when nothing applies).",
        (400, 401, 404),
    ),
)
async def call(service_id: ServiceId, request: Request, _jwt: ClientJwt = None) -> JSONResponse:
    """One hook call: coverage information on the draft orders, and a card."""
    if service_id not in HOOKS:
        return _refuse(404, "not-found", f"There is no CDS service {service_id!r}.", "id")
    try:
        await anyio.to_thread.run_sync(_verify, request)
    except ClientJwtError as error:
        return _refuse(401, "login", str(error), "Authorization")
    body = await _json(request)
    desk: CaseDesk = request.app.state.case_desk
    clock: Clock = request.app.state.clock
    try:
        base = canonical_base(request.app.state.public_base_url)
        registry, today = get_registry(request), clock.now().date()
        answer = await anyio.to_thread.run_sync(
            lambda: answer_hook(service_id, body, registry, desk.evaluate, today, base=base)
        )
    except FhirInputError as error:
        return JSONResponse(
            error.to_outcome(), status_code=400 if error.status == 422 else error.status
        )
    return JSONResponse(answer)


@router.post(
    "/{service_id}/feedback",
    summary="CDS Hooks feedback: what became of our cards",
    description="Stored as received, with the calling issuer.",
    openapi_extra=request_body(CDS_FEEDBACK, "CDS Hooks feedback for cards of this service."),
    responses=cds_responses({"type": "object"}, "Accepted (an empty object).", (400, 401, 404)),
)
async def feedback(service_id: ServiceId, request: Request, _jwt: ClientJwt = None) -> JSONResponse:
    """Feedback about our cards, stored as received."""
    if service_id not in HOOKS:
        return _refuse(404, "not-found", f"There is no CDS service {service_id!r}.", "id")
    try:
        client = await anyio.to_thread.run_sync(_verify, request)
    except ClientJwtError as error:
        return _refuse(401, "login", str(error), "Authorization")
    body = await _json(request)
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        return _refuse(
            400, "structure", "Feedback must be an object with a feedback list.", "feedback"
        )
    database: Database = request.app.state.database
    clock: Clock = request.app.state.clock
    await anyio.to_thread.run_sync(
        lambda: store_feedback(
            database, service_id=service_id, issuer=client.issuer, body=body, now=clock.now()
        )
    )
    return JSONResponse({}, status_code=200)
