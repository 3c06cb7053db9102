"""Token management, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from medpolicy.service.api.deps import Caller, TokenDeskDep
from medpolicy.service.api.problems import NO_NUL_PATTERN
from medpolicy.service.api.schemas import ERROR_RESPONSES, TokenIn, TokenIssued, TokenPublic

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERROR_RESPONSES)
def issue_token(body: TokenIn, caller: Caller, desk: TokenDeskDep) -> TokenIssued:
    """Issue a token; its secret is in this answer and nowhere else. A nurse or physician
    token works only once a second admin approves it (``awaiting_approval``)."""
    issued = desk.issue(
        caller,
        role=body.role,
        org=body.org,
        name=body.name,
        expires_in_days=body.expires_in_days,
    )
    return TokenIssued(
        id=issued.id,
        token=issued.secret,
        role=issued.role.value,
        org=issued.org,
        name=issued.name,
        expires_at=issued.expires_at,
        awaiting_approval=issued.awaiting_approval,
    )


@router.get("", responses=ERROR_RESPONSES)
def list_tokens(caller: Caller, desk: TokenDeskDep) -> list[TokenPublic]:
    """Every token's record (never its secret or hash)."""
    return [TokenPublic.of(row) for row in desk.list(caller)]


@router.post("/{token_id}/approval", responses=ERROR_RESPONSES)
def approve_token(
    token_id: Annotated[str, Path(max_length=64, pattern=NO_NUL_PATTERN)],
    caller: Caller,
    desk: TokenDeskDep,
) -> TokenPublic:
    """A second admin approves a nurse or physician token another admin asked for."""
    return TokenPublic.of(desk.approve(caller, token_id=token_id))


@router.delete("/{token_id}", responses=ERROR_RESPONSES)
def revoke_token(
    token_id: Annotated[str, Path(max_length=64, pattern=NO_NUL_PATTERN)],
    caller: Caller,
    desk: TokenDeskDep,
) -> TokenPublic:
    """Revoke a token; it stops working at once."""
    return TokenPublic.of(desk.revoke(caller, token_id=token_id))
