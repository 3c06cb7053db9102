"""Dependencies of the routes: the caller, the case desk, the clock, the policies; as
``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from medpolicy.policy.registry import Registry
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import Clock
from medpolicy.service.db.database import Database
from medpolicy.service.errors import UnauthorizedError
from medpolicy.service.principal import Principal
from medpolicy.service.tokens import TokenDesk

bearer = HTTPBearer(auto_error=False, description="A token from `medpolicy token create`")


def get_case_desk(request: Request) -> CaseDesk:
    """The application's case desk."""
    desk: CaseDesk = request.app.state.case_desk
    return desk


def get_token_desk(request: Request) -> TokenDesk:
    """The application's token desk."""
    desk: TokenDesk = request.app.state.token_desk
    return desk


def get_registry(request: Request) -> Registry:
    """The policies of the application's engine (the one the case desk decides with)."""
    registry: Registry = request.app.state.registry
    return registry


def get_clock(request: Request) -> Clock:
    """The application's clock."""
    clock: Clock = request.app.state.clock
    return clock


def get_database(request: Request) -> Database:
    """The application's database."""
    database: Database = request.app.state.database
    return database


def get_principal(
    tokens: Annotated[TokenDesk, Depends(get_token_desk)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller behind the bearer token; 401 when there is none or it is not valid."""
    if credentials is None:
        raise UnauthorizedError(
            "token_required",
            "This endpoint needs a bearer token; the request had none in its Authorization header.",
            field="Authorization",
            accepted="Authorization: Bearer <token from `medpolicy token create`>",
        )
    principal = tokens.authenticate(credentials.credentials)
    if principal is None:
        raise UnauthorizedError(
            "token_invalid",
            "The bearer token is not known to this server or has been revoked. A token works "
            "only on the database it was created in: check that `medpolicy token create` was "
            "given the same --data-dir or --database-url as `medpolicy serve`.",
            field="Authorization",
            accepted="a current token from `medpolicy token create`, run against this "
            "server's database",
        )
    return principal


CaseDeskDep = Annotated[CaseDesk, Depends(get_case_desk)]
TokenDeskDep = Annotated[TokenDesk, Depends(get_token_desk)]
ClockDep = Annotated[Clock, Depends(get_clock)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
DatabaseDep = Annotated[Database, Depends(get_database)]
Caller = Annotated[Principal, Depends(get_principal)]
