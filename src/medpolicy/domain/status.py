"""Criterion statuses (three-valued, plus not applicable), outcomes, next steps, case
statuses and lines of business: every named state and value, defined once.

A criterion about a fact nobody has reported is neither met nor failed: it is unknown,
and an unknown must never slip into a ``False`` (or a ``True``) by accident. ``Status``
therefore refuses to be used as a Python truth value: code compares it with
``Status.MET`` and the others explicitly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn

__all__ = ["NEXT_STEP", "CaseStatus", "LineOfBusiness", "NextStep", "Outcome", "Status"]


class Status(StrEnum):
    """A criterion's status in a determination (CONTRACT.md): Kleene's three truth values
    (met, not met, unknown) and not applicable."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"

    def __bool__(self) -> NoReturn:
        raise TypeError("a Status has no truth value: compare it with Status.MET etc.")


class Outcome(StrEnum):
    """What the policy says about a request (MCP-210.md, "Outcomes")."""

    NOT_ADDRESSED = "not_addressed"
    EXPERIMENTAL_INVESTIGATIONAL = "experimental_investigational"
    DOES_NOT_MEET_CRITERIA = "does_not_meet_criteria"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    MEETS_CRITERIA = "meets_criteria"


class NextStep(StrEnum):
    """What happens to the request next. There is no "deny": people deny, not the engine."""

    ROUTE_ELSEWHERE = "route_elsewhere"
    PHYSICIAN_REVIEW = "physician_review"
    REQUEST_INFORMATION = "request_information"
    APPROVE = "approve"


NEXT_STEP: dict[Outcome, NextStep] = {
    Outcome.NOT_ADDRESSED: NextStep.ROUTE_ELSEWHERE,
    Outcome.EXPERIMENTAL_INVESTIGATIONAL: NextStep.PHYSICIAN_REVIEW,
    Outcome.DOES_NOT_MEET_CRITERIA: NextStep.PHYSICIAN_REVIEW,
    Outcome.INSUFFICIENT_INFORMATION: NextStep.REQUEST_INFORMATION,
    Outcome.MEETS_CRITERIA: NextStep.APPROVE,
}


class CaseStatus(StrEnum):
    """Where a prior-authorization case stands (the service's queue, PAS review actions).

    Open: ``pending_information`` (waiting for the provider), ``in_review`` (a reviewer's
    queue), ``routed`` (another policy decides it). Closed: the three decisions, and
    ``withdrawn`` at the provider's request, which is not a decision.
    """

    APPROVED = "approved"
    PENDING_INFORMATION = "pending_information"
    IN_REVIEW = "in_review"
    ROUTED = "routed"
    DENIED = "denied"
    PARTIALLY_APPROVED = "partially_approved"
    WITHDRAWN = "withdrawn"


class LineOfBusiness(StrEnum):
    """The member's kind of coverage; a policy's coverage basis may differ by it."""

    MEDICAID = "medicaid"
    MEDICARE = "medicare"
    MARKETPLACE = "marketplace"
    COMMERCIAL = "commercial"
