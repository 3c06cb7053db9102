"""An access log that names the route, never the path the caller typed.

Uvicorn's own access log prints the raw path and query string. A caller who puts a member
id where a case id belongs (``GET /v1/cases/M0001``) would put that member id in the log.
This log writes the matched route's template (``/v1/cases/{case_id}``) instead, with the
method, status and time taken, so no value from a request ever reaches it; ``medpolicy
serve`` turns uvicorn's access log off in its favour.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("medpolicy.service.access")
UNMATCHED = "(no route)"


class AccessLog:
    """ASGI middleware: one line per HTTP request, ``METHOD /route/{template} STATUS MS``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and log it once it has been answered (or has failed)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            logger.info(
                "%s %s %d %.1fms",
                scope.get("method"),
                route_template(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )


def route_template(scope: Scope) -> str:
    """The path template of the route that matched, or a fixed word when none did."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED
