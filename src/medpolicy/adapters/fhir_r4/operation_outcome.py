"""FHIR input errors and the OperationOutcome that reports them.

Every refusal says what is wrong and where, as a FHIRPath-like expression such as
``Bundle.entry[0].resource.item[0].productOrService``, so an EHR integrator can find the
element without reading our code. Values of the offending element are never echoed: they
may be a member id or a diagnosis.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from medpolicy.errors import RequestError

__all__ = [
    "FhirInputError",
    "from_validation_error",
    "operation_outcome",
    "parse_resource",
    "path_of",
]


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
    """An OperationOutcome with one error issue per (code, diagnostics, expression), and the
    same in its narrative for a person reading it."""
    rendered, rows = [], []
    for code, text, expression in issues:
        issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
        where = ""
        if expression:
            issue["expression"] = [expression]
            where = f" <code>{html.escape(expression)}</code>"
        rendered.append(issue)
        rows.append(f"<li>{html.escape(text)}{where}</li>")
    div = f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{"".join(rows)}</ul></div>'
    return {
        "resourceType": "OperationOutcome",
        "text": {"status": "generated", "div": div},
        "issue": rendered,
    }


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


def parse_resource(model: Any, data: Any, root: str) -> Any:
    """``data`` read as ``model`` by fhir.resources; any refusal names the element.

    fhir.resources reports most problems as a ValidationError, but an unknown or non-string
    ``resourceType`` inside a Bundle or Parameters escapes as KeyError or TypeError; those
    are found again here and named too, rather than becoming a server error.
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(root, error) from None
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
        where = _unknown_resource_type(data, root) or root
        raise FhirInputError(
            f"{where} is not valid FHIR R4: it names a resource type R4 does not define, "
            "or holds a value of the wrong kind.",
            where,
            code="structure",
        ) from None


def _unknown_resource_type(node: Any, path: str, depth: int = 0) -> str | None:
    """The first ``resourceType`` under ``node`` that is not a FHIR R4 resource type."""
    if depth > 64:
        return None
    if isinstance(node, dict):
        kind = node.get("resourceType")
        if "resourceType" in node and not _known(kind):
            return f"{path}.resourceType"
        for key, child in node.items():
            found = _unknown_resource_type(child, f"{path}.{key}", depth + 1)
            if found:
                return found
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found = _unknown_resource_type(child, f"{path}[{index}]", depth + 1)
            if found:
                return found
    return None


def _known(kind: Any) -> bool:
    if not isinstance(kind, str) or not kind.isalpha():
        return False
    try:
        get_fhir_model_class(kind)
    except (ValueError, KeyError, AttributeError, ImportError):
        return False
    return True


def from_request_error(error: RequestError, expression: str) -> FhirInputError:
    """An engine refusal (bad code, unknown fact value) re-addressed to the FHIR element."""
    return FhirInputError(error.message, expression, code="value")


def _is_union_tag(step: int | str) -> bool:
    return isinstance(step, str) and step.startswith("function-")
