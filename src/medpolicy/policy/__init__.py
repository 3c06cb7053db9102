"""Policies as data: schema, strict loader, compiled model and the registry of policies."""

from medpolicy.policy.loader import load_policy
from medpolicy.policy.model import Policy, Version
from medpolicy.policy.registry import Registry, default_registry

__all__ = ["Policy", "Registry", "Version", "default_registry", "load_policy"]
