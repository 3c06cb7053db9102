"""``POST /v1/determinations``: the engine over HTTP; nothing is stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from medpolicy.service.api.deps import Caller, CaseDeskDep
from medpolicy.service.api.schemas import ERROR_RESPONSES, ContractRequest, DeterminationBody

router = APIRouter(prefix="/v1", tags=["determinations"])


@router.post("/determinations", responses=ERROR_RESPONSES)
def determine(
    caller: Caller, desk: CaseDeskDep, request: Annotated[ContractRequest, Body()]
) -> DeterminationBody:
    """Decide a contract request and return the contract determination, storing nothing."""
    return desk.determine(caller, request)
