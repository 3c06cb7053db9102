"""The PAS Bundle rules the tests check every response Bundle against.

A response Bundle is a ``collection``, its first entry is a ClaimResponse, and every
reference inside it resolves to another entry (by fullUrl or ``Type/id``); a logical
reference by identifier needs no entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["response_bundle_problems"]


def response_bundle_problems(bundle: dict[str, Any]) -> list[str]:
    """Every broken rule, as sentences; an empty list means the Bundle is sound."""
    problems: list[str] = []
    if bundle.get("type") != "collection":
        problems.append("Bundle.type must be collection")
    entries = bundle.get("entry") or []
    if not entries or entries[0].get("resource", {}).get("resourceType") != "ClaimResponse":
        problems.append("Bundle.entry[0] must be a ClaimResponse")
    known = set()
    for entry in entries:
        resource = entry.get("resource", {})
        known.add(entry.get("fullUrl"))
        if resource.get("id"):
            known.add(f"{resource['resourceType']}/{resource['id']}")
    for position, entry in enumerate(entries):
        for reference in _references(entry.get("resource", {})):
            local = "/".join(reference.split("/")[-2:])
            if reference not in known and local not in known:
                problems.append(
                    f"Bundle.entry[{position}] references {reference}, not in the Bundle"
                )
    return problems


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        value = node.get("reference")
        if isinstance(value, str) and not value.startswith("#"):
            yield value
        for child in node.values():
            yield from _references(child)
    elif isinstance(node, list):
        for child in node:
            yield from _references(child)
