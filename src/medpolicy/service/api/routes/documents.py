"""Documents for a case, the facts proposed from them, and a reviewer accepting one.

``POST /v1/cases/{id}/documents`` takes a note as ``text/plain``, as ``application/pdf``
(with a text layer) or as JSON (``{"name", "text"}`` or ``{"name", "pdf_base64"}``) and
answers with the proposed facts and their evidence. Proposals never change the case; a
nurse or physician accepts them one by one, and only then is the case decided again.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from medpolicy.service.api.deps import Caller, CaseDeskDep, ClockDep
from medpolicy.service.api.problems import NO_NUL_PATTERN
from medpolicy.service.api.schemas import ERROR_RESPONSES, CasePublic
from medpolicy.service.documents import ACCEPTED_TYPES, MAX_DOCUMENT_BYTES
from medpolicy.service.errors import InvalidInputError

router = APIRouter(prefix="/v1/cases", tags=["documents"])
CaseId = Annotated[
    str,
    Path(max_length=64, pattern=NO_NUL_PATTERN, description="The case id from the submission"),
]
ProposalId = Annotated[
    str,
    Path(max_length=120, pattern=NO_NUL_PATTERN, description="A proposal id from the document"),
]
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "maxLength": 200},
                        "text": {"type": "string"},
                        "pdf_base64": {"type": "string"},
                    },
                    "additionalProperties": False,
                }
            },
        },
    }
}


class DocumentPublic(BaseModel):
    """What was read from a document, and the facts it proposes."""

    case_id: str
    document_id: str
    name: str
    media_type: str
    sha256: str
    characters: int
    proposals: list[dict[str, Any]]
    set_aside: list[dict[str, Any]]


class ProposalPage(BaseModel):
    """Every proposal of a case's documents, with whether it was accepted."""

    items: list[dict[str, Any]]


@router.post(
    "/{case_id}/documents",
    status_code=status.HTTP_201_CREATED,
    responses=ERROR_RESPONSES,
    openapi_extra=_BODY,
)
async def add_document(
    case_id: CaseId, request: Request, caller: Caller, desk: CaseDeskDep
) -> DocumentPublic:
    """Read a note, letter or report and propose the facts it states, with evidence."""
    content, media_type, name = _document(
        await request.body(), request.headers.get("content-type", "")
    )
    _, detail = await run_in_threadpool(
        desk.add_document,
        caller,
        case_id=case_id,
        content=content,
        media_type=media_type,
        name=name,
    )
    return DocumentPublic(case_id=case_id, **detail)


@router.get("/{case_id}/proposals", responses=ERROR_RESPONSES)
def list_proposals(case_id: CaseId, caller: Caller, desk: CaseDeskDep) -> ProposalPage:
    """The facts proposed from the case's documents, oldest first."""
    return ProposalPage(items=desk.proposals(caller, case_id=case_id))


@router.post("/{case_id}/proposals/{proposal_id}/accept", responses=ERROR_RESPONSES)
def accept_proposal(
    case_id: CaseId, proposal_id: ProposalId, caller: Caller, desk: CaseDeskDep, clock: ClockDep
) -> CasePublic:
    """A nurse or physician accepts one proposed fact; the case is decided again."""
    record = desk.accept_proposal(caller, case_id=case_id, proposal_id=proposal_id)
    return CasePublic.of_record(record, clock.now())


def _document(body: bytes, content_type: str) -> tuple[bytes, str, str]:
    """(content, media type, name) of the request body."""
    if len(body) > MAX_DOCUMENT_BYTES * 2:
        raise InvalidInputError(
            "document_too_large",
            f"The body has {len(body)} bytes.",
            field="document",
            accepted=f"a document of at most {MAX_DOCUMENT_BYTES} bytes",
        )
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind != "application/json":
        return body, kind, "document"
    try:
        given = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(
            "invalid_json", "The body is not valid JSON.", field="body", accepted=ACCEPTED_TYPES
        ) from None
    if not isinstance(given, dict) or set(given) - {"name", "text", "pdf_base64"}:
        raise InvalidInputError(
            "invalid_document",
            "A JSON document is an object with name and either text or pdf_base64.",
            field="body",
            accepted='{"name": "...", "text": "..."} or {"name": "...", "pdf_base64": "..."}',
        )
    name = given.get("name", "document")
    if not isinstance(name, str) or len(name) > 200:
        raise InvalidInputError(
            "invalid_document",
            "The name is a string of at most 200 characters.",
            field="name",
            accepted="a file name such as referral.pdf",
        )
    if isinstance(given.get("text"), str) and "pdf_base64" not in given:
        return str(given["text"]).encode("utf-8"), "text/plain", name
    if isinstance(given.get("pdf_base64"), str) and "text" not in given:
        try:
            return base64.b64decode(given["pdf_base64"], validate=True), "application/pdf", name
        except (binascii.Error, ValueError):
            raise InvalidInputError(
                "invalid_document",
                "pdf_base64 is not base64.",
                field="pdf_base64",
                accepted="the PDF's bytes in base64",
            ) from None
    raise InvalidInputError(
        "invalid_document",
        "Give the document's text or its PDF in base64, one of the two.",
        field="text",
        accepted='{"name": "...", "text": "..."} or {"name": "...", "pdf_base64": "..."}',
    )
