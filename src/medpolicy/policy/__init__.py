"""Policies as data: schema, strict loader, compiled model and the registry of policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medpolicy.policy.model import Policy, Version
from medpolicy.policy.registry import Registry, default_registry

if TYPE_CHECKING:
    from medpolicy.policy.loader import load_policy

__all__ = ["Policy", "Registry", "Version", "default_registry", "load_policy"]


def __getattr__(name: str) -> Any:
    """``load_policy`` on first use: the loader imports YAML and pydantic, which a command
    deciding requests from a cached snapshot never needs."""
    if name == "load_policy":
        from medpolicy.policy.loader import load_policy

        return load_policy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
