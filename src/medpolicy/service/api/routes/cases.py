"""Case endpoints: submit, add information, decide, extend, read and the queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.responses import Response as RawResponse

from medpolicy.service.api.deps import Caller, CaseDeskDep, ClockDep
from medpolicy.service.api.problems import NO_NUL_PATTERN
from medpolicy.service.api.schemas import (
    ERROR_RESPONSES,
    CasePublic,
    CaseSubmission,
    CaseSummary,
    DecisionIn,
    ErrorResponse,
    ExtensionIn,
    InformationIn,
    Priority,
    QueuePage,
    Status,
)
from medpolicy.service.case_revision import etag, parse_if_match
from medpolicy.service.cases import CaseRecord
from medpolicy.service.clock import Clock

router = APIRouter(prefix="/v1/cases", tags=["cases"])
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=64,
        description="The case's ETag as last read; required (428 without, 412 when stale)",
    ),
]
PRECONDITION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    412: {"model": ErrorResponse},
    428: {"model": ErrorResponse},
}
CaseId = Annotated[
    str,
    Path(max_length=64, pattern=NO_NUL_PATTERN, description="The case id from the submission"),
]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NO_NUL_PATTERN,
        description="Required. A key the caller chooses per new case (a UUID, say); retrying "
        "with the same key returns the first case instead of creating a second one. Without "
        "it the submission is refused with 400.",
    ),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **ERROR_RESPONSES,
        200: {"model": CasePublic, "description": "A replayed key"},
        400: ERROR_RESPONSES[422] | {"description": "No Idempotency-Key header"},
    },
)
def submit_case(
    *,
    body: CaseSubmission,
    caller: Caller,
    desk: CaseDeskDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: IdempotencyKey,
) -> CasePublic:
    """Store a case and decide it; 201 once it is committed (200 for a replayed key)."""
    submission = desk.submit(
        caller, request=body.request, priority=body.priority, idempotency_key=idempotency_key
    )
    if submission.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/cases/{submission.record.case.id}"
    response.headers["ETag"] = etag(submission.record.case)
    return CasePublic.of_record(submission.record, clock.now())


@router.get("", responses=ERROR_RESPONSES)
def list_cases(
    *,
    caller: Caller,
    desk: CaseDeskDep,
    clock: ClockDep,
    status: Annotated[list[Status] | None, Query(description="One or more statuses")] = None,
    priority: Priority | None = None,
    overdue: Annotated[bool | None, Query(description="Open cases past their deadline")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> QueuePage:
    """The queue the caller may see, soonest deadline first."""
    cases = desk.queue(
        caller,
        statuses=list(status) if status else None,
        priority=priority,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    now = clock.now()
    return QueuePage(items=[CaseSummary.of(c, now) for c in cases], limit=limit, offset=offset)


@router.get("/{case_id}", responses=ERROR_RESPONSES)
def read_case(
    case_id: CaseId, caller: Caller, desk: CaseDeskDep, clock: ClockDep, response: Response
) -> CasePublic:
    """A case with every version of its request and determination, and its events."""
    return _tagged(desk.read(caller, case_id=case_id), clock, response)


@router.post("/{case_id}/information", responses=PRECONDITION_RESPONSES)
def add_information(  # noqa: PLR0917 - route parameters
    case_id: CaseId,
    body: InformationIn,
    caller: Caller,
    desk: CaseDeskDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> CasePublic:
    """Add diagnoses and facts; the case is decided again and the old version kept."""
    record = desk.add_information(
        caller,
        case_id=case_id,
        diagnoses=body.diagnoses,
        facts=body.facts,
        expected_revision=parse_if_match(if_match),
    )
    return _tagged(record, clock, response)


@router.post("/{case_id}/decision", responses=PRECONDITION_RESPONSES)
def decide(  # noqa: PLR0917 - route parameters
    case_id: CaseId,
    body: DecisionIn,
    caller: Caller,
    desk: CaseDeskDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> CasePublic:
    """A reviewer's decision; only a physician may deny or partially approve."""
    record = desk.decide(
        caller,
        case_id=case_id,
        decision=body.decision,
        rationale=body.rationale,
        criteria=body.criteria,
        expected_revision=parse_if_match(if_match),
    )
    return _tagged(record, clock, response)


@router.post("/{case_id}/extension", responses=ERROR_RESPONSES)
def extend(  # noqa: PLR0917 - route parameters
    case_id: CaseId,
    body: ExtensionIn,
    caller: Caller,
    desk: CaseDeskDep,
    clock: ClockDep,
    response: Response,
) -> CasePublic:
    """Extend the deadline by 14 days, once, with a reason."""
    return _tagged(desk.extend(caller, case_id=case_id, reason=body.reason), clock, response)


@router.post("/{case_id}/assignment", responses=ERROR_RESPONSES)
def assign(case_id: CaseId, caller: Caller, desk: CaseDeskDep, clock: ClockDep) -> CasePublic:
    """Assign the case to the calling reviewer."""
    return CasePublic.of_record(desk.assign(caller, case_id=case_id), clock.now())


@router.get(
    "/{case_id}/letters/{letter_id}",
    responses={**ERROR_RESPONSES, 200: {"content": {"application/pdf": {}}}},
    response_class=RawResponse,
)
def read_letter(
    case_id: CaseId,
    letter_id: Annotated[str, Path(max_length=64, pattern=NO_NUL_PATTERN)],
    caller: Caller,
    desk: CaseDeskDep,
) -> RawResponse:
    """A letter of the case as the PDF that was sent; its SHA-256 is in the case's letters."""
    letter = desk.letter(caller, case_id=case_id, letter_id=letter_id)
    return RawResponse(
        letter.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{letter.kind}-{letter.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _tagged(record: CaseRecord, clock: Clock, response: Response) -> CasePublic:
    response.headers["ETag"] = etag(record.case)
    return CasePublic.of_record(record, clock.now())
