"""CDS Hooks adapters for Da Vinci CRD: discovery, hook answers and client JWT checks."""

from medpolicy.adapters.cds_hooks.client_jwt import ClientJwtError, TrustedIssuers, VerifiedClient
from medpolicy.adapters.cds_hooks.coverage_information import (
    coverage_information,
    invariant_problems,
)
from medpolicy.adapters.cds_hooks.discovery import HOOKS, discovery
from medpolicy.adapters.cds_hooks.hook import answer_hook

__all__ = [
    "HOOKS",
    "ClientJwtError",
    "TrustedIssuers",
    "VerifiedClient",
    "answer_hook",
    "coverage_information",
    "discovery",
    "invariant_problems",
]
