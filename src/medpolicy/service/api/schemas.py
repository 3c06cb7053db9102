"""What the API accepts and answers, separate from the table models.

The contract request and determination are passed through as JSON objects: the engine is
their only validator, so the API never disagrees with the command line about what a valid
request is. Their OpenAPI schemas are written out here so clients can see the shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from medpolicy.domain import CaseStatus, LineOfBusiness, NextStep, Outcome
from medpolicy.service import fact_changes
from medpolicy.service.api.problems import NO_NUL_PATTERN
from medpolicy.service.cases import OPEN_STATUSES, CaseRecord
from medpolicy.service.db.models import ApiToken, Case, CaseEvent, CaseLetter, CaseVersion

CONTRACT_REQUEST_SCHEMA: dict[str, Any] = {
    "title": "CoverageRequest",
    "description": "The contract request (CONTRACT.md); validated by the engine.",
    "type": "object",
    "required": ["service"],
    "properties": {
        "request_id": {"type": "string"},
        "member": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "line_of_business": {
                    "type": "string",
                    "enum": [line.value for line in LineOfBusiness],
                },
                "state": {"type": "string"},
            },
        },
        "service": {
            "type": "object",
            "required": ["code", "date_of_service"],
            "properties": {
                "code": {"type": "string", "examples": ["38242"]},
                "date_of_service": {"type": "string", "format": "date"},
            },
        },
        "diagnoses": {"type": "array", "items": {"type": "string"}},
        "facts": {"type": "object", "additionalProperties": True},
    },
    "example": {
        "request_id": "PA-2026-000123",
        "member": {"id": "M0001", "line_of_business": "medicaid", "state": "OH"},
        "service": {"code": "38242", "date_of_service": "2026-03-02"},
        "diagnoses": ["C92.02", "Z94.84"],
        "facts": {"prior_hsct": "allogeneic", "cell_source": "original_donor"},
    },
}
DETERMINATION_SCHEMA: dict[str, Any] = {
    "title": "Determination",
    "description": "The contract determination (CONTRACT.md).",
    "type": "object",
    "required": ["outcome", "next_step"],
    "properties": {
        "request_id": {"type": ["string", "null"]},
        "outcome": {"type": "string", "enum": [outcome.value for outcome in Outcome]},
        "next_step": {"type": "string", "enum": [step.value for step in NextStep]},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}

ContractRequest = Annotated[dict[str, Any], WithJsonSchema(CONTRACT_REQUEST_SCHEMA)]
DeterminationBody = Annotated[dict[str, Any], WithJsonSchema(DETERMINATION_SCHEMA)]
Priority = Literal["expedited", "standard"]
Status = CaseStatus


class Strict(BaseModel):
    """Bodies refuse unknown keys, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class CaseSubmission(Strict):
    """A provider's prior-authorization request and how urgent it is."""

    request: ContractRequest
    priority: Priority = Field(
        description="expedited: 72 hours to decide; standard: 7 calendar days"
    )


class InformationIn(Strict):
    """What the provider adds: diagnoses are appended, facts override earlier ones."""

    diagnoses: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)


class DecisionIn(Strict):
    """A reviewer's decision. A denial names criteria and a reason the letter will quote."""

    decision: Literal["approve", "deny", "partially_approve"]
    rationale: str = Field(default="", max_length=4000)
    criteria: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list)


class ExtensionIn(Strict):
    """Why the deadline is extended (by the 14 days the rule allows, once)."""

    reason: str = Field(min_length=1, max_length=2000)


class TokenIn(Strict):
    """A token to issue."""

    role: Literal["provider", "nurse", "physician", "admin"]
    org: str | None = Field(default=None, max_length=200, pattern=NO_NUL_PATTERN)
    name: str | None = Field(default=None, max_length=200, pattern=NO_NUL_PATTERN)
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days the token works (the service's default)"
    )


class TokenPublic(BaseModel):
    """A token's record; the secret itself is never shown after creation."""

    id: str
    role: str
    org: str | None
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    awaiting_approval: bool = Field(
        default=False, description="A nurse or physician token a second admin must approve"
    )

    @classmethod
    def of(cls, row: ApiToken) -> TokenPublic:
        """From the table row."""
        return cls(
            id=row.id,
            role=row.role,
            org=row.org,
            name=row.name,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            expires_at=row.expires_at,
            awaiting_approval=row.requested_by is not None and row.approved_at is None,
        )


class TokenIssued(BaseModel):
    """A new token: ``token`` is the bearer secret, shown this once."""

    id: str
    token: str
    role: str
    org: str | None
    name: str | None
    expires_at: datetime | None = None
    awaiting_approval: bool = False


class CaseSummary(BaseModel):
    """A case as the queue shows it: no member data, only where it stands."""

    id: str
    org: str
    status: CaseStatus
    priority: Priority
    outcome: Outcome
    received_at: datetime
    due_at: datetime
    overdue: bool
    extended_at: datetime | None
    decided_at: datetime | None
    revision: int = Field(
        description="Raised by every change; the ETag, and what If-Match must name"
    )

    @classmethod
    def of(cls, case: Case, now: datetime) -> CaseSummary:
        """From the table row, with ``overdue`` judged at ``now``."""
        return cls(
            id=case.id,
            org=case.org,
            status=CaseStatus(case.status),
            priority=case.priority,
            outcome=Outcome(case.outcome),
            received_at=case.received_at,
            due_at=case.due_at,
            overdue=case.status in OPEN_STATUSES and case.due_at < now,
            extended_at=case.extended_at,
            decided_at=case.decided_at,
            revision=case.revision or 1,
        )


class VersionPublic(BaseModel):
    """One version of the request and the engine's determination of it."""

    number: int
    kind: Literal["submitted", "information", "reviewer", "document"]
    created_at: datetime
    request: dict[str, Any]
    determination: DeterminationBody

    @classmethod
    def of(cls, row: CaseVersion) -> VersionPublic:
        """From the table row."""
        return cls(
            number=row.number,
            kind=row.kind,
            created_at=row.created_at,
            request=row.request,
            determination=row.determination,
        )


class EventPublic(BaseModel):
    """A reviewer's decision, an extension, the provider's withdrawal, a change of facts
    already on the case (old and new values, who, when: see ``service/fact_changes.py``), an
    assignment, a fact a reviewer recorded, a request for information, or a letter sent."""

    kind: Literal[
        "decision",
        "extension",
        "withdrawal",
        "fact_change",
        "assignment",
        "reviewer_fact",
        "info_request",
        "letter",
        "document",
        "accepted_fact",
        "unread_document",
    ]
    at: datetime
    actor_role: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: CaseEvent) -> EventPublic:
        """From the table row."""
        return cls(
            kind=row.kind,
            at=row.at,
            actor_role=row.actor_role,
            detail=row.detail,
        )


class LetterPublic(BaseModel):
    """A letter sent for the case; ``href`` downloads the PDF whose SHA-256 is given."""

    id: str
    kind: Literal["approval", "information", "adverse"]
    created_at: datetime
    sha256: str
    href: str

    @classmethod
    def of(cls, row: CaseLetter) -> LetterPublic:
        """From the table row."""
        return cls(
            id=row.id,
            kind=row.kind,
            created_at=row.created_at,
            sha256=row.sha256,
            href=f"/v1/cases/{row.case_id}/letters/{row.id}",
        )


class CasePublic(CaseSummary):
    """A case with its current request and determination and its whole history."""

    request: dict[str, Any]
    determination: DeterminationBody
    decision: dict[str, Any] | None
    versions: list[VersionPublic]
    events: list[EventPublic]
    changed_facts: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "Every change of a fact the case already knew, oldest first: fact, old and new "
            "value with source, version, when, by whom, and whether it sent the case to review"
        ),
    )
    letters: list[LetterPublic]

    @classmethod
    def of_record(cls, record: CaseRecord, now: datetime) -> CasePublic:
        """From a case read with its history."""
        decisions = [e.detail for e in record.events if e.kind == "decision"]
        changes = [e.detail for e in record.events if e.kind == fact_changes.EVENT_KIND]
        return cls(
            **CaseSummary.of(record.case, now).model_dump(),
            request=record.current.request,
            determination=record.current.determination,
            decision=decisions[-1] if decisions else None,
            versions=[VersionPublic.of(v) for v in record.versions],
            events=[EventPublic.of(e) for e in record.events],
            changed_facts=fact_changes.flagged_changes(changes),
            letters=[LetterPublic.of(letter) for letter in record.letters],
        )


class QueuePage(BaseModel):
    """A page of the queue, soonest deadline first."""

    items: list[CaseSummary]
    limit: int
    offset: int


class ErrorBody(BaseModel):
    """What went wrong, in which field, and what is accepted there."""

    code: str
    field: str | None
    message: str
    accepted: str | None


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx answer has this shape."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 404, 409, 422)
}
