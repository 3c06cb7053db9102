"""The exceptions medpolicy raises, in one hierarchy.

::

    MedpolicyError            anything medpolicy refuses, with a stable ``code``
    ├── RequestError          a coverage request that is not valid (the caller's input)
    ├── PolicyError           a policy file that is not valid (the policy author's input)
    └── UnknownVersionError   a policy version asked for by id that the policy lacks

    OutputError               (a RuntimeError, not a refusal) medpolicy built an answer
                              that breaks the standard it follows: a bug, never the
                              caller's fault, answered as a 500 without details

Both carry where the problem is (``field`` in the request, or ``file`` and ``path`` in the
policy data) and what would have been accepted, so that every adapter can turn them into
a message a person can act on without a stack trace.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MedpolicyError",
    "OutputError",
    "PolicyError",
    "RequestError",
    "UnknownVersionError",
    "error_body",
]

_GIVEN_LIMIT = 80


def describe_given(value: Any) -> str:
    """Render a rejected value for an error message, short and without line breaks.

    Values are part of the caller's own request, so echoing them back to that caller is
    safe; callers that log errors log the code and field only, never this text.
    """
    if isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "an object"
    elif isinstance(value, list):
        text = "a list"
    else:
        text = repr(value)
    if len(text) > _GIVEN_LIMIT:
        text = text[: _GIVEN_LIMIT - 3] + "..."
    return text.replace("\n", " ")


def error_body(code: str, field: str | None, message: str, accepted: str | None) -> dict[str, Any]:
    """The one shape every refusal takes on the wire, from the CLI to the HTTP API."""
    return {"code": code, "field": field, "message": message, "accepted": accepted}


class MedpolicyError(Exception):
    """Base class: something medpolicy refuses, identified by a stable ``code``."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class RequestError(MedpolicyError):
    """A coverage request that cannot be decided as given.

    ``field`` is the dotted path of the offending value (``facts.donor_chimerism_percent``,
    ``diagnoses[1]``), ``accepted`` says what that field accepts.
    """

    code = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None,
        code: str = "invalid_request",
        accepted: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.field = field
        self.accepted = accepted

    def to_dict(self) -> dict[str, Any]:
        """The error as the contract's ``error`` object."""
        return error_body(self.code, self.field, self.message, self.accepted)


class PolicyError(MedpolicyError):
    """A policy data file that is not valid; names the file and the path inside it."""

    code = "invalid_policy"

    def __init__(self, message: str, *, file: str, path: str = "") -> None:
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(where + message)
        self.file = file
        self.path = path


class UnknownVersionError(MedpolicyError):
    """A version id the policy does not have (``policy show --version``, ``policy diff``);
    the message lists the versions it has."""

    code = "unknown_version"

    def __init__(self, policy_id: str, given: str | None, known: list[str]) -> None:
        super().__init__(f"{policy_id} has no version {given!r}; versions: {', '.join(known)}")
        self.given = given
        self.known = known


class OutputError(RuntimeError):
    """An answer medpolicy built breaks a rule of the guide it follows (an invalid FHIR
    resource, a CRD invariant): a defect to fix here, so it is never sent."""
