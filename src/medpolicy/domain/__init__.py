"""Frozen value objects shared by every layer: requests, statuses and determinations."""

from medpolicy.domain.determination import (
    Advisory,
    CriterionResult,
    Determination,
    FactEvidence,
    MissingFact,
    PolicyRef,
    ServiceRef,
    Verdict,
)
from medpolicy.domain.request import CoverageRequest, Member
from medpolicy.domain.status import CaseStatus, LineOfBusiness, NextStep, Outcome, Status

__all__ = [
    "Advisory",
    "CaseStatus",
    "CoverageRequest",
    "CriterionResult",
    "Determination",
    "FactEvidence",
    "LineOfBusiness",
    "Member",
    "MissingFact",
    "NextStep",
    "Outcome",
    "PolicyRef",
    "ServiceRef",
    "Status",
    "Verdict",
]
