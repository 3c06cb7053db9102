"""Da Vinci CRD over CDS Hooks: discovery, the three hook services and their feedback.

Hook and feedback calls must carry a client JWT from a trusted issuer (see
``adapters/cds_hooks/client_jwt.py``); discovery is public, as CDS Hooks expects. The
trusted issuers are ``app.state.crd_trusted_issuers`` when set, else read once from
``MEDPOLICY_CRD_TRUSTED_ISSUERS``. The JWT's ``aud`` must be the service URL as the client
knows it (``service_url``).

CDS clients learn the services from discovery, so these routes stay out of the OpenAPI
document of the ``/v1`` API.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from medpolicy.adapters.cds_hooks import (
    HOOKS,
    ClientJwtError,
    TrustedIssuers,
    VerifiedClient,
    answer_hook,
    discovery,
)
from medpolicy.adapters.fhir_r4 import FhirInputError, operation_outcome
from medpolicy.policy.registry import default_registry
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import Clock
from medpolicy.service.db.database import Database
from medpolicy.service.fhir_api.store import remember_jti, store_feedback

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"], include_in_schema=False)


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
    (``MEDPOLICY_PUBLIC_BASE_URL``) followed by the path under this app, else the URL the
    request arrived on. Behind a proxy the two differ, and the client's ``aud`` names the first.
    """
    base = getattr(request.app.state, "public_base_url", None)
    if not base:
        return str(request.url.replace(query=""))
    root = request.scope.get("root_path", "")
    path = request.url.path.removeprefix(root) if root else request.url.path
    return str(base).rstrip("/") + path


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None


@router.get("")
def services() -> dict[str, Any]:
    """CDS Hooks discovery: order-sign, order-select and appointment-book."""
    return discovery()


@router.post("/{service_id}")
async def call(service_id: str, request: Request) -> JSONResponse:
    """One hook call: coverage information on the draft orders, and a card."""
    if service_id not in HOOKS:
        return _refuse(404, "not-found", f"There is no CDS service {service_id!r}.", "id")
    try:
        _verify(request)
    except ClientJwtError as error:
        return _refuse(401, "login", str(error), "Authorization")
    body = await _json(request)
    desk: CaseDesk = request.app.state.case_desk
    clock: Clock = request.app.state.clock
    try:
        answer = answer_hook(
            service_id, body, default_registry(), desk.evaluate, clock.now().date()
        )
    except FhirInputError as error:
        return JSONResponse(
            error.to_outcome(), status_code=400 if error.status == 422 else error.status
        )
    return JSONResponse(answer)


@router.post("/{service_id}/feedback")
async def feedback(service_id: str, request: Request) -> JSONResponse:
    """Feedback about our cards, stored as received."""
    if service_id not in HOOKS:
        return _refuse(404, "not-found", f"There is no CDS service {service_id!r}.", "id")
    try:
        client = _verify(request)
    except ClientJwtError as error:
        return _refuse(401, "login", str(error), "Authorization")
    body = await _json(request)
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        return _refuse(
            400, "structure", "Feedback must be an object with a feedback list.", "feedback"
        )
    database: Database = request.app.state.database
    clock: Clock = request.app.state.clock
    store_feedback(
        database, service_id=service_id, issuer=client.issuer, body=body, now=clock.now()
    )
    return JSONResponse({}, status_code=200)
