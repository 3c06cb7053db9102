"""Withdrawing a case because the provider cancelled the request (a PAS Claim Update item
with ``infoCancelled``).

The case service has no cancel operation of its own, so this is the smallest one beside
it: the case is locked, closed as ``withdrawn`` (not a decision: it counts in no decision
metric), a ``withdrawal`` event records who withdrew it, when, from which status and why,
and the audit log gets a ``case.withdrawal`` entry, all in one transaction. Only the role
that may submit cases may withdraw them, and only its own organization's. A case already
decided cannot be withdrawn (409); withdrawing a withdrawn case again changes nothing, so a
resubmitted update is answered the same way.
"""

from __future__ import annotations

from medpolicy.service import audit
from medpolicy.service.cases import FINAL_STATUSES, WITHDRAWN, CaseDesk, CaseRecord
from medpolicy.service.db import repositories as repo
from medpolicy.service.db.models import CaseEvent
from medpolicy.service.errors import ConflictError, NotFoundError
from medpolicy.service.permissions import Action, require, visible_to
from medpolicy.service.principal import Principal

__all__ = ["withdraw_case"]


def withdraw_case(desk: CaseDesk, principal: Principal, *, case_id: str, reason: str) -> CaseRecord:
    """Close an open case at its submitter's request, recorded in its history and the audit."""
    require(principal, Action.SUBMIT_CASE)
    with desk.database.transaction() as session:
        case = repo.get_case(session, case_id=case_id, for_update=True)
        if case is None or not visible_to(principal, case.org):
            raise NotFoundError(
                "case_not_found", f"No case {case_id!r} is visible to this token.", field="case_id"
            )
        now = desk.clock.now()
        if case.status == WITHDRAWN:
            audit.record(
                session, actor=principal, action="case.replay", case_ids=[case.id], now=now
            )
        elif case.status in FINAL_STATUSES:
            raise ConflictError(
                "case_closed",
                f"Case {case.id} is already {case.status}; a decided case cannot be withdrawn.",
                field="case_id",
            )
        else:
            detail = {"reason": reason, "previous_status": case.status}
            case.status = WITHDRAWN
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind="withdrawal",
                    at=now,
                    actor_token_id=principal.token_id,
                    actor_role=principal.role.value,
                    detail=detail,
                )
            )
            audit.record(
                session, actor=principal, action="case.withdrawal", case_ids=[case.id], now=now
            )
        session.flush()
        return CaseRecord(
            case,
            repo.versions_of(session, case_id=case.id),
            repo.events_of(session, case_id=case.id),
        )
