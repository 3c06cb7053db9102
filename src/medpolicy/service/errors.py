"""Errors the service answers with, each a 4xx with a JSON body a person can act on.

    ServiceError                 (status, code, field, message, accepted)
    ├── UnauthorizedError             401: no token, or a token that is unknown or revoked
    ├── ForbiddenError                403: the token's role may not do this
    ├── NotFoundError                 404: no such case (or not the caller's organization's)
    ├── ConflictError                 409: the case is in a state that does not allow this
    └── InvalidInputError             422: a field's value is not accepted

Engine ``RequestError``s are answered as 422 with the engine's own ``to_dict()``. Every
error body is ``{"error": {"code", "field", "message", "accepted"}}``.
"""

from __future__ import annotations

from typing import Any

from medpolicy.errors import error_body


class ServiceError(Exception):
    """Base of the service's own errors."""

    status = 400

    def __init__(
        self, code: str, message: str, *, field: str | None = None, accepted: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.accepted = accepted

    def to_dict(self) -> dict[str, Any]:
        """The error as the API answers it (inside ``{"error": ...}``)."""
        return error_body(self.code, self.field, self.message, self.accepted)


class UnauthorizedError(ServiceError):
    """No valid bearer token."""

    status = 401


class ForbiddenError(ServiceError):
    """The caller's role may not do this."""

    status = 403


class NotFoundError(ServiceError):
    """No such resource visible to the caller."""

    status = 404


class ConflictError(ServiceError):
    """The resource's state does not allow the action."""

    status = 409


class PreconditionFailedError(ServiceError):
    """The caller's If-Match names a revision the case is no longer at."""

    status = 412


class PreconditionRequiredError(ServiceError):
    """A change that must name the revision it was made on came without If-Match."""

    status = 428


class InvalidInputError(ServiceError):
    """A field's value is not accepted."""

    status = 422
