"""A pydantic validation error as `{code, field, message, accepted}`, `accepted` always set.

FastAPI's validation errors say what is wrong ("Input should be a valid boolean") but
only some carry what would be right. A caller fixing a request needs both, so every
error type the API can produce is given an ``accepted`` text here, built from the
error's context (the limit that was crossed, the values a choice allows) when it has
one and from pydantic's own sentence otherwise.
"""

from __future__ import annotations

from typing import Any

from medpolicy.errors import describe_given

LOCATIONS = ("body", "query", "path", "header")
NO_NUL_PATTERN = r"^[^\x00]*$"
"""Text fields refuse NUL characters: PostgreSQL cannot store them in a text column."""

_LIMITS = {
    "greater_than_equal": ("ge", "a number greater than or equal to {}"),
    "greater_than": ("gt", "a number greater than {}"),
    "less_than_equal": ("le", "a number less than or equal to {}"),
    "less_than": ("lt", "a number less than {}"),
    "string_too_long": ("max_length", "text of at most {} characters"),
    "string_too_short": ("min_length", "text of at least {} character(s)"),
    "too_long": ("max_length", "at most {} item(s)"),
    "too_short": ("min_length", "at least {} item(s)"),
}
_FIXED = {
    "missing": "a value; this field is required",
    "extra_forbidden": "only the fields the OpenAPI schema (/openapi.json) lists here",
    "json_invalid": "a well-formed JSON document",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
}


_JSON_REASONS = {
    "Expecting ',' delimiter": "a comma or a closing bracket was expected",
    "Expecting ':' delimiter": "a colon after a field name was expected",
    "Expecting property name enclosed in double quotes": (
        "a field name in double quotes was expected (a trailing comma, or single quotes?)"
    ),
    "Expecting value": "a value was expected (is the body empty or cut short?)",
    "Extra data": "there is more after the end of the first JSON value (send one object)",
    "Unterminated string starting at": "a string is never closed",
    "Invalid control character at": "a string holds a raw control character; escape it",
    "Invalid \\escape": "a string holds an invalid backslash escape",
}
_HEADERS = {
    "Idempotency-Key": (
        "a key you choose for each new case (a UUID, say), sent again unchanged when you "
        "retry, so that a retry returns the first case instead of creating a second one"
    ),
}


def describe(error: Any, document: Any = None) -> dict[str, Any]:
    """The error as the API answers it: field, what was given, and what is accepted.

    ``document`` is the body as received, which lets a JSON syntax error say where it is.
    """
    kind = str(error.get("type", "invalid"))
    location = [str(part) for part in error.get("loc", ())]
    if kind == "json_invalid":
        return _broken_json(error, document)
    if kind == "missing" and location[:1] == ["header"] and len(location) == 2:
        return _missing_header(location[1])
    if location and location[0] in LOCATIONS:
        location = location[1:]
    field = ".".join(location) or "body"
    given = "nothing" if kind == "missing" else describe_given(error.get("input"))
    message = f"{field}: {error.get('msg', 'invalid')}; given {given}."
    return {"code": kind, "field": field, "message": message, "accepted": accepted(error)}


def _broken_json(error: Any, document: Any) -> dict[str, Any]:
    location = error.get("loc", ())
    position = location[1] if len(location) > 1 and isinstance(location[1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "it cannot be parsed"))
    reason = _JSON_REASONS.get(reason, reason[:1].lower() + reason[1:])
    where = ""
    if position is not None:
        where = f" at character {position + 1}"
        if isinstance(document, str | bytes) and position <= len(document):
            text = document if isinstance(document, str) else document.decode("utf-8", "replace")
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
            where = f" at line {line}, column {column}"
    return {
        "code": "json_invalid",
        "field": "body",
        "message": f"The request body is not valid JSON: {reason}{where}.",
        "accepted": "one well-formed JSON object (RFC 8259): double-quoted names and "
        "strings, no trailing commas, no comments",
    }


def _missing_header(name: str) -> dict[str, Any]:
    return {
        "code": "header_required",
        "field": name,
        "message": f"This request needs the {name} header, and it was not sent.",
        "accepted": _HEADERS.get(name, f"a {name} header"),
    }


def accepted(error: Any) -> str:
    """What the field accepts, in words."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if context.get("expected") is not None:
        return str(context["expected"])
    if kind in _LIMITS:
        key, template = _LIMITS[kind]
        if key in context:
            return template.format(context[key])
    if kind == "string_pattern_mismatch":
        if context.get("pattern") == NO_NUL_PATTERN:
            return "text without NUL (\\u0000) characters"
        return f"text matching the pattern {context.get('pattern')}"
    if kind in _FIXED:
        return _FIXED[kind]
    return _from_message(str(error.get("msg", "")))


def _from_message(message: str) -> str:
    """``"Input should be a valid list"`` -> ``"a valid list"``; else the sentence itself."""
    prefix = "Input should be "
    if message.startswith(prefix):
        return message[len(prefix) :].split(", ", maxsplit=1)[0].rstrip(".")
    return message or "a value the OpenAPI schema (/openapi.json) allows"
