"""FHIR input errors and the OperationOutcome that reports them.

Every refusal says what is wrong and where, as a FHIRPath-like expression such as
``Bundle.entry[0].resource.item[0].productOrService``, so an EHR integrator can find the
element without reading our code. Values of the offending element are never echoed: they
may be a member id or a diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from medpolicy.errors import RequestError

__all__ = ["FhirInputError", "from_validation_error", "operation_outcome", "path_of"]


class FhirInputError(Exception):
    """A FHIR payload we cannot use; ``expression`` points at the element."""

    def __init__(
        self, message: str, expression: str, *, code: str = "invalid", status: int = 422
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.code = code
        self.status = status

    def to_outcome(self) -> dict[str, Any]:
        """The error as an OperationOutcome resource (JSON)."""
        return operation_outcome([(self.code, self.message, self.expression)])


def operation_outcome(issues: Sequence[tuple[str, str, str | None]]) -> dict[str, Any]:
    """An OperationOutcome with one error issue per (code, diagnostics, expression)."""
    rendered = []
    for code, text, expression in issues:
        issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
        if expression:
            issue["expression"] = [expression]
        rendered.append(issue)
    return {"resourceType": "OperationOutcome", "issue": rendered}


def path_of(root: str, location: Sequence[int | str]) -> str:
    """A FHIRPath-like expression from a pydantic error location under ``root``."""
    parts = [root]
    for step in location:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
        else:
            parts.append(str(step).removesuffix("__ext"))
    return ".".join(parts)


def from_validation_error(root: str, error: ValidationError) -> FhirInputError:
    """The first problem fhir.resources found, as a FhirInputError naming its element."""
    first = error.errors(include_url=False, include_input=False)[0]
    expression = path_of(root, [s for s in first["loc"] if not _is_union_tag(s)])
    return FhirInputError(
        f"{expression} is not valid FHIR R4: {first['msg']}.", expression, code="structure"
    )


def from_request_error(error: RequestError, expression: str) -> FhirInputError:
    """An engine refusal (bad code, unknown fact value) re-addressed to the FHIR element."""
    return FhirInputError(error.message, expression, code="value")


def _is_union_tag(step: int | str) -> bool:
    return isinstance(step, str) and step.startswith("function-")
