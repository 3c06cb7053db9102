"""What the OpenAPI document says about the Da Vinci routes: bodies, answers, refusals.

The FHIR and CDS Hooks routes read their bodies themselves (a FHIR payload is checked by
fhir.resources, not by FastAPI), so their request and response shapes are declared here by
hand. The schemas describe the outer shape only, the part a client can get wrong before
FHIR validation: the Da Vinci guides define the rest, and every deeper problem is answered
with an OperationOutcome naming the element.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CDS_DISCOVERY",
    "CDS_FEEDBACK",
    "CDS_HOOK_REQUEST",
    "CDS_HOOK_RESPONSE",
    "FHIR_PARAMETERS",
    "PAS_BUNDLE",
    "cds_responses",
    "fhir_responses",
    "request_body",
]

FHIR_JSON = "application/fhir+json"

_RESOURCE: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}


def _resource(kind: str, description: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["resourceType", *properties],
        "properties": {"resourceType": {"type": "string", "enum": [kind]}, **properties},
    }


PAS_BUNDLE = _resource(
    "Bundle",
    "A PAS Bundle (type collection) whose first entry is a Claim with use "
    "'preauthorization'; every resource the Claim references is another entry.",
    type={"type": "string", "enum": ["collection"]},
    entry={
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"fullUrl": {"type": "string"}, "resource": _RESOURCE},
        },
    },
)
FHIR_PARAMETERS = _resource(
    "Parameters",
    "A FHIR Parameters resource.",
    parameter={
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "resource": _RESOURCE},
        },
    },
)
OPERATION_OUTCOME = _resource(
    "OperationOutcome",
    "What is wrong; each issue's expression names the element at fault.",
    issue={
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "severity": {"type": "string"},
                "code": {"type": "string"},
                "diagnostics": {"type": "string"},
                "expression": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
)
CDS_HOOK_REQUEST: dict[str, Any] = {
    "type": "object",
    "description": "A CDS Hooks request: the hook, its context (the draft orders or the "
    "appointments as a Bundle) and the prefetched Patient, Coverage and ServiceRequests.",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"type": "string"},
        "hookInstance": {"type": "string"},
        "fhirServer": {"type": "string"},
        "context": {"type": "object"},
        "prefetch": {"type": "object"},
    },
}
CDS_HOOK_RESPONSE: dict[str, Any] = {
    "type": "object",
    "description": "Cards for the clinician and systemActions that update each judged order "
    "or appointment with the CRD coverage-information extension.",
    "required": ["cards", "systemActions"],
    "properties": {
        "cards": {"type": "array", "items": {"type": "object"}},
        "systemActions": {"type": "array", "items": {"type": "object"}},
    },
}
CDS_DISCOVERY: dict[str, Any] = {
    "type": "object",
    "required": ["services"],
    "properties": {"services": {"type": "array", "items": {"type": "object"}}},
}
CDS_FEEDBACK: dict[str, Any] = {
    "type": "object",
    "description": "What became of the cards the client was shown.",
    "required": ["feedback"],
    "properties": {"feedback": {"type": "array", "items": {"type": "object"}}},
}

_REFUSALS = {
    400: "The body is not JSON, or not the kind of object this operation takes.",
    401: "No valid credentials: {credentials}.",
    403: "The token's role may not do this.",
    404: "Nothing on file or served here by the name the request uses.",
    409: "The request would change a case that is already closed.",
    422: "The payload is not valid FHIR R4 or breaks a Da Vinci rule; the OperationOutcome "
    "names the element.",
}


def request_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON (FHIR JSON) request body."""
    content = {media: {"schema": schema} for media in ("application/json", FHIR_JSON)}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def fhir_responses(
    schema: dict[str, Any], description: str, refusals: tuple[int, ...]
) -> dict[int | str, dict[str, Any]]:
    """A FHIR operation's answers: the resource on 200, an OperationOutcome on each refusal."""
    credentials = "a current bearer token from `medpolicy token create`"
    answers: dict[int | str, dict[str, Any]] = {
        200: {"description": description, "content": {FHIR_JSON: {"schema": schema}}}
    }
    for status in refusals:
        answers[status] = {
            "description": _REFUSALS[status].format(credentials=credentials),
            "content": {FHIR_JSON: {"schema": OPERATION_OUTCOME}},
        }
    return answers


def cds_responses(
    schema: dict[str, Any], description: str, refusals: tuple[int, ...]
) -> dict[int | str, dict[str, Any]]:
    """A CDS Hooks route's answers: JSON on 200, an OperationOutcome on each refusal."""
    credentials = "a client JWT (RS384 or ES384) from a trusted issuer, aud this URL, unexpired, "
    credentials += "its jti never used before"
    answers: dict[int | str, dict[str, Any]] = {
        200: {"description": description, "content": {"application/json": {"schema": schema}}}
    }
    for status in refusals:
        answers[status] = {
            "description": _REFUSALS[status].format(credentials=credentials),
            "content": {"application/json": {"schema": OPERATION_OUTCOME}},
        }
    return answers
