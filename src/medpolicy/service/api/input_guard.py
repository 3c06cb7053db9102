"""Bounded input, checked before any work: the caller first, then the size, then the shape.

``InputGuard`` is the outermost ASGI middleware. For a request with a body it

1. refuses a missing or unknown bearer token (401) on the routes that need one, before a
   byte of the body is read, so an anonymous caller cannot make the service buffer
   anything; an address that fails more than ``auth_failures_per_minute`` times in a
   minute gets 429 until the minute is over (guessing tokens is pointless anyway, but the
   attempts cost database lookups);
2. refuses a declared ``Content-Length`` over the route's cap (413), and otherwise counts
   the bytes as the application reads them and stops reading at the cap (413), so an
   oversized body is never held whole; a client that stalls between chunks longer than the
   body timeout gets 408;
3. on the JSON API, checks the JSON's shape (``strict_json``) before the route parses it;
4. lets at most ``large_bodies`` requests with a body over 1 MiB (or of unknown length) be
   read and worked on at once; the others wait before their first byte is read. A 20 MiB
   PAS Bundle takes about 100 MB while it is parsed and validated, so four at once would
   take the server past 500 MB; one at a time keeps it near 200 MB, and ordinary requests
   are never held up by it.

FHIR and CDS Hooks routes parse their own bodies with ``strict_json`` (in the thread pool)
and also check Bundle entries. Caps: JSON API 1 MiB; FHIR, CDS Hooks and document uploads
20 MiB; all set by ``MEDPOLICY_MAX_*`` settings.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medpolicy.errors import error_body
from medpolicy.service.config import ServiceSettings

MIB = 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_INT_DIGITS = 30
LARGE_BODY = MIB


@dataclass(frozen=True)
class InputLimits:
    """The caps on what a request may carry."""

    json_bytes: int = 1 * MIB
    fhir_bytes: int = 20 * MIB
    depth: int = 64
    elements: int = 200_000
    bundle_entries: int = 1000
    body_timeout: float = 30.0
    auth_failures_per_minute: int = 20
    large_bodies: int = 1

    @classmethod
    def of(cls, settings: ServiceSettings) -> InputLimits:
        """The limits the settings give."""
        return cls(
            json_bytes=settings.max_json_body_bytes,
            fhir_bytes=settings.max_fhir_body_bytes,
            depth=settings.max_json_depth,
            elements=settings.max_json_elements,
            bundle_entries=settings.max_bundle_entries,
            body_timeout=settings.body_timeout_seconds,
            auth_failures_per_minute=settings.auth_failures_per_minute,
            large_bodies=settings.large_body_concurrency,
        )

    def cap_for(self, path: str) -> int:
        """The body cap of a route: FHIR-sized for FHIR, CDS Hooks and documents."""
        large = path.startswith(("/fhir/", "/cds-services")) or path.endswith("/documents")
        return self.fhir_bytes if large else self.json_bytes


class InputRefused(HTTPException):
    """A body refused for its size, pace or shape; carries the service's error body."""

    def __init__(self, status: int, code: str, message: str, *, field: str, accepted: str) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.field = field
        self.accepted = accepted

    def to_dict(self) -> dict[str, Any]:
        """The error as the API answers it (inside ``{"error": ...}``)."""
        return error_body(self.code, self.field, str(self.detail), self.accepted)


def too_large(cap: int) -> InputRefused:
    """413 for a body over ``cap`` bytes."""
    return InputRefused(
        413,
        "body_too_large",
        f"The request body is larger than this route accepts ({_size(cap)}).",
        field="body",
        accepted=f"a body of at most {cap} bytes",
    )


def _size(count: int) -> str:
    return f"{count / MIB:g} MiB" if count >= MIB else f"{count} bytes"


def strict_json(body: bytes, limits: InputLimits, *, refuse_nul: bool = True) -> Any:
    """Parse JSON refusing what no request needs and what breaks code downstream: duplicate
    keys, NaN and infinities, integers of more than 30 digits, NUL characters in strings or
    keys (PostgreSQL cannot store them; unless ``refuse_nul`` is false, for the JSON API
    whose models name the field at fault), nesting deeper than ``limits.depth`` and more
    than ``limits.elements`` values. ``ValueError`` for text that
    is not JSON at all, ``InputRefused`` (400) for the rest."""
    try:
        value = json.loads(
            body,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except RecursionError:
        raise _shape(f"The JSON is nested deeper than {limits.depth} levels.") from None
    problem = _shape_problem(value, limits, refuse_nul=refuse_nul)
    if problem:
        raise _shape(problem)
    return value


def _shape(message: str, accepted: str = "ordinary JSON") -> InputRefused:
    return InputRefused(400, "json_refused", message, field="body", accepted=accepted)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        repeated = next(key for index, key in enumerate(keys) if key in keys[:index])
        raise _shape(
            f"The JSON has the key {repeated!r} twice in one object; which one is meant "
            "cannot be known.",
            "each key at most once per object",
        )
    return result


def _constant(name: str) -> Any:
    raise _shape(f"{name} is not a JSON number.", "finite numbers")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _shape(
            f"A number in the JSON has {len(text.lstrip('-'))} digits.",
            f"integers of at most {MAX_INT_DIGITS} digits",
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _shape(f"The number {text[:40]} is too large to use.", "finite numbers")
    return value


def _shape_problem(value: Any, limits: InputLimits, *, refuse_nul: bool) -> str | None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.elements:
            return f"The JSON has more than {limits.elements} values."
        if isinstance(node, str):
            if refuse_nul and "\x00" in node:
                return "A string in the JSON holds a NUL character (\\u0000)."
            continue
        if isinstance(node, dict):
            if refuse_nul and any("\x00" in key for key in node):
                return "A key in the JSON holds a NUL character (\\u0000)."
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limits.depth:
            return f"The JSON is nested deeper than {limits.depth} levels."
        stack.extend((child, depth + 1) for child in children)
    return None


Authenticate = Callable[[str], bool]
"""Whether a bearer secret belongs to a current token (run in a worker thread)."""


class InputGuard:
    """ASGI middleware enforcing ``InputLimits`` and the bearer token before the body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: InputLimits,
        authenticate: Authenticate,
        router: Router,
    ) -> None:
        self.app = app
        self.limits = limits
        self.authenticate = authenticate
        self.router = router
        self.failures = FailureCount(limits.auth_failures_per_minute)
        self.large = anyio.CapacityLimiter(limits.large_bodies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse early what can be refused early; meter the rest."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._guard(scope, receive, tracking_send)
        except InputRefused as refusal:
            if not started:
                await _refuse(scope, send, refusal)

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if _needs_token(path) and self._routed(scope):
            address = (scope.get("client") or ("unknown",))[0]
            if self.failures.blocked(address):
                await _refuse(scope, send, _too_many())
                return
            if not await self._known_token(headers.get("authorization", "")):
                self.failures.add(address)
                await _refuse(scope, send, _unauthorized(headers.get("authorization")))
                return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        cap = self.limits.cap_for(path)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            await _refuse(scope, send, too_large(cap))
            return
        metered = _Meter(receive, cap, self.limits.body_timeout)
        if path.startswith("/v1/") and _is_json(headers.get("content-type")):
            body = await metered.read_all()
            # not JSON at all (ValueError): the route's own answer says so
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                await anyio.to_thread.run_sync(
                    lambda: strict_json(body, self.limits, refuse_nul=False)
                )
            await self.app(scope, _replay(body), send)
            return
        if declared.isdigit() and int(declared) <= LARGE_BODY:
            await self.app(scope, metered, send)
            return
        async with self.large:
            await self.app(scope, metered, send)

    def _routed(self, scope: Scope) -> bool:
        """Whether a route takes this method and path (else the router's 404/405 answers)."""
        return any(route.matches(scope)[0] is Match.FULL for route in self.router.routes)

    async def _known_token(self, header: str) -> bool:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return False
        return await anyio.to_thread.run_sync(self.authenticate, secret.strip())


class _Meter:
    """A ``receive`` that counts body bytes and gives up at the cap or on a stall."""

    def __init__(self, receive: Receive, cap: int, timeout: float) -> None:
        self.receive = receive
        self.cap = cap
        self.timeout = timeout
        self.seen = 0

    async def __call__(self) -> Message:
        with anyio.move_on_after(self.timeout) as scope:
            message = await self.receive()
        if scope.cancelled_caught:
            raise InputRefused(
                408,
                "body_too_slow",
                f"The request body did not arrive within {self.timeout:g} seconds.",
                field="body",
                accepted="a body sent without pauses",
            )
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.cap:
                raise too_large(self.cap)
        return message

    async def read_all(self) -> bytes:
        chunks = []
        while True:
            message = await self()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    return receive


class FailureCount:
    """Failed authentications per client address in the current minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._minute = 0
        self._counts: dict[str, int] = {}

    def _roll(self) -> None:
        minute = int(time.monotonic() // 60)
        if minute != self._minute:
            self._minute, self._counts = minute, {}

    def add(self, address: str) -> None:
        """Count one failure of ``address``."""
        self._roll()
        self._counts[address] = self._counts.get(address, 0) + 1

    def blocked(self, address: str) -> bool:
        """Whether ``address`` has used up its failures for this minute."""
        self._roll()
        return self._counts.get(address, 0) >= self.per_minute


def _too_many() -> InputRefused:
    return InputRefused(
        429,
        "too_many_failed_logins",
        "Too many requests from this address had no valid token in the last minute; wait "
        "for the minute to pass.",
        field="Authorization",
        accepted="a current token from `medpolicy token create`",
    )


def _needs_token(path: str) -> bool:
    return path.startswith(("/v1/", "/fhir/")) and not path.startswith("/v1/policies")


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _unauthorized(header: str | None) -> InputRefused:
    if not header:
        return InputRefused(
            401,
            "token_required",
            "This endpoint needs a bearer token; the request had none in its Authorization header.",
            field="Authorization",
            accepted="Authorization: Bearer <token from `medpolicy token create`>",
        )
    return InputRefused(
        401,
        "token_invalid",
        "The bearer token is not known to this server, has expired or has been revoked. A "
        "token works only on the database it was created in: check that `medpolicy token "
        "create` was given the same --data-dir or --database-url as `medpolicy serve`.",
        field="Authorization",
        accepted="a current token from `medpolicy token create`, run against this server's "
        "database",
    )


async def _refuse(scope: Scope, send: Send, refusal: InputRefused) -> None:
    """Answer without reading the body; the connection is closed after it."""
    if scope["path"].startswith(("/fhir/", "/cds-services")):
        issue = {401: "login", 413: "too-costly", 408: "timeout", 429: "throttled"}.get(
            refusal.status_code
        )
        body: dict[str, Any] = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": issue or "invalid",
                    "diagnostics": str(refusal.detail),
                    "expression": [refusal.field],
                }
            ],
        }
        media = "application/fhir+json"
    else:
        body = {"error": refusal.to_dict()}
        media = "application/json"
    payload = json.dumps(body).encode("utf-8")
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    if refusal.status_code == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if refusal.status_code == 429:
        headers.append((b"retry-after", b"60"))
    await send({"type": "http.response.start", "status": refusal.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
