"""Resolve references between the entries of one Bundle, as the PAS guide requires."""

from __future__ import annotations

from typing import Any

__all__ = ["BundleIndex"]


class BundleIndex:
    """Entries of a parsed Bundle, found by fullUrl or by ``Type/id``."""

    def __init__(self, bundle: Any) -> None:
        self.entries: list[tuple[int, str | None, Any]] = [
            (index, entry.fullUrl, entry.resource)
            for index, entry in enumerate(bundle.entry or [])
            if entry.resource is not None
        ]

    def resolve(self, reference: Any) -> tuple[int, Any] | None:
        """The (entry index, resource) a Reference points to, or None outside the Bundle."""
        target = getattr(reference, "reference", None) if reference is not None else None
        return self.resolve_target(target) if target else None

    def resolve_target(self, target: str) -> tuple[int, Any] | None:
        """The (entry index, resource) a reference string points to, or None."""
        for index, full_url, resource in self.entries:
            if full_url == target:
                return index, resource
            local = f"{resource.get_resource_type()}/{resource.id}"
            if resource.id and (target == local or target.endswith("/" + local)):
                return index, resource
        return None

    def of_type(self, resource_type: str) -> list[tuple[int, Any]]:
        """Every entry holding a resource of ``resource_type``, with its index."""
        return [
            (index, resource)
            for index, _url, resource in self.entries
            if resource.get_resource_type() == resource_type
        ]

    def full_url(self, index: int) -> str | None:
        for position, full_url, _resource in self.entries:
            if position == index:
                return full_url
        return None
