"""The FastAPI application: wiring of settings, database, clock, engine and routes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from medpolicy.adapters.cds_hooks.client_jwt import ENVIRONMENT as TRUSTED_ISSUERS_ENVIRONMENT
from medpolicy.api import default_engine, evaluate
from medpolicy.engine import Engine
from medpolicy.service.api import docs, errors
from medpolicy.service.api.access_log import AccessLog
from medpolicy.service.api.input_guard import InputGuard, InputLimits
from medpolicy.service.api.routes import cases, determinations, health, metrics, policies, tokens
from medpolicy.service.api.routes import documents as document_routes
from medpolicy.service.api.routes.cds_hooks import router as crd_router
from medpolicy.service.api.routes.fhir import router as fhir_router
from medpolicy.service.api.security_headers import SecurityHeaders
from medpolicy.service.audit_checkpoint import CheckpointWriter
from medpolicy.service.audit_key import load_key
from medpolicy.service.cases import CaseDesk
from medpolicy.service.clock import Clock, SystemClock
from medpolicy.service.config import ServiceSettings, check_crd, normalize_database_url
from medpolicy.service.db import migrate
from medpolicy.service.db.database import Database
from medpolicy.service.letters import TypstLetters
from medpolicy.service.tokens import TokenDesk
from medpolicy.service.web import install as install_workbench

DESCRIPTION = """Prior authorization for MCP-210 (donor lymphocyte infusion, CPT 38242, and
hematopoietic stem cell boosts, CPT 38243). Submit a case; the engine approves at once what
meets criteria; nurses and physicians work the rest within 72 hours (expedited) or 7 calendar
days (standard). Every endpoint but `/health`, this document and `/v1/policies` needs a bearer
token from `medpolicy token create`."""


def create_app(
    settings: ServiceSettings | None = None,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
    tls: bool = False,
) -> FastAPI:
    """Build the application; the database schema is migrated to the newest revision first.

    ``engine`` (default: the default policies' engine) is the only source of policies:
    the case desk decides with it and every route that reads policies reads its registry.
    ``tls``: the service is reached over HTTPS (``serve --ssl-certfile``), so responses
    carry Strict-Transport-Security.
    """
    settings = settings or ServiceSettings()
    check_crd(settings, os.environ.get(TRUSTED_ISSUERS_ENVIRONMENT))
    database = database or Database(settings.resolved_database_url())
    if settings.migration_database_url:
        migrate.upgrade_as_owner(
            normalize_database_url(settings.migration_database_url), database.url
        )
    else:
        migrate.upgrade(database)
    database.audit_key = database.audit_key or load_key(settings, create=True)
    clock = clock or SystemClock()
    engine = engine or default_engine()
    checkpoints = CheckpointWriter(database, clock, settings, database.audit_key)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        checkpoints.start()
        yield
        checkpoints.stop()
        database.dispose()

    app = FastAPI(
        title="medpolicy prior authorization",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    docs.install(app)
    app.state.database = database
    app.state.clock = clock
    app.state.engine = engine
    app.state.registry = engine.registry
    app.state.input_limits = InputLimits.of(settings)
    app.state.audit_checkpoints = checkpoints
    app.state.case_desk = CaseDesk(
        database, clock, partial(evaluate, engine=engine), letters=TypstLetters()
    )
    app.state.token_desk = TokenDesk(database, clock, lifetime_days=settings.token_days)
    app.state.public_base_url = settings.public_base_url
    for module in (health, determinations, cases, document_routes, metrics, policies, tokens):
        app.include_router(module.router)
    app.include_router(fhir_router)
    app.include_router(crd_router)
    install_workbench(app)
    errors.install(app)
    app.add_middleware(
        InputGuard,
        limits=InputLimits.of(settings),
        authenticate=lambda secret: app.state.token_desk.authenticate(secret) is not None,
        router=app.router,
    )
    app.add_middleware(SecurityHeaders, tls=tls)
    app.add_middleware(AccessLog)
    return app
