"""Turning every failure into a JSON answer a person can act on, and never a stack trace.

Validation errors name the field, what was given and what is accepted (see
``problems``). Unexpected
exceptions become a bare 500 and are logged by type and code location only: exception
messages can quote member data (a database error quotes its parameters), so they are
never logged.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medpolicy import RequestError
from medpolicy.service.api.input_guard import InputRefused
from medpolicy.service.api.problems import describe
from medpolicy.service.errors import ServiceError

logger = logging.getLogger("medpolicy.service")


def error_response(status: int, body: dict[str, Any]) -> JSONResponse:
    """``{"error": body}`` with ``status``."""
    return JSONResponse({"error": body}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers and the last-resort middleware on ``app``."""
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestError, _request_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_middleware(LastResort)


async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
    return error_response(exc.status, exc.to_dict())


async def _request_error(_request: Request, exc: RequestError) -> JSONResponse:
    return error_response(422, exc.to_dict())


async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    if isinstance(exc, InputRefused):
        return error_response(exc.status_code, exc.to_dict())
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = {"code": code, "field": None, "message": str(exc.detail), "accepted": None}
    return JSONResponse({"error": body}, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [describe(error, exc.body) for error in exc.errors()]
    # A required header that was not sent is a 400 and comes first: the request is
    # incomplete whatever its body says.
    problems.sort(key=lambda problem: problem["code"] != "header_required")
    first = dict(problems[0])
    if len(problems) > 1:
        first["message"] += f" ({len(problems) - 1} more problem(s) listed in 'problems')"
    status = 400 if first["code"] == "header_required" else 422
    return JSONResponse({"error": first, "problems": problems}, status_code=status)


class LastResort:
    """ASGI middleware: an unexpected exception becomes a 500 JSON answer, logged safely."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; if it fails before answering, answer 500 ourselves."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
            logger.error(
                "unhandled %s on %s %s\n%s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                where,
            )
            if not started:
                body = {
                    "code": "internal_error",
                    "field": None,
                    "message": "The service failed to answer this request; nothing was changed"
                    " unless a later read shows otherwise. The failure has been logged.",
                    "accepted": None,
                }
                await error_response(500, body)(scope, receive, send)
