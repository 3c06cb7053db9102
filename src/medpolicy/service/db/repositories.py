"""Queries and inserts, with keyword-only arguments; no business rules and no transactions here.

Callers (the case desk, the Da Vinci store) open the transaction and pass its session in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, not_, or_, select
from sqlalchemy.orm import Session, defer

from medpolicy.service.db.models import (
    Case,
    CaseEvent,
    CaseLetter,
    CaseVersion,
    CrdFeedback,
    PasClaimAlias,
    SeenJti,
)


def get_case(session: Session, *, case_id: str, for_update: bool = False) -> Case | None:
    """The case row, locked for the rest of the transaction when ``for_update``."""
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def find_by_idempotency_key(session: Session, *, org: str, key: str) -> Case | None:
    """The case an organization already submitted under this Idempotency-Key."""
    query = select(Case).where(Case.org == org, Case.idempotency_key == key)
    return session.scalars(query).one_or_none()


def find_all_by_idempotency_key(session: Session, *, key: str, limit: int = 2) -> list[Case]:
    """Cases any organization submitted under this key (a reviewer's PAS inquiry)."""
    query = select(Case).where(Case.idempotency_key == key).order_by(Case.id).limit(limit)
    return list(session.scalars(query))


def versions_of(session: Session, *, case_id: str) -> list[CaseVersion]:
    """Every version of the case's request and determination, oldest first."""
    query = select(CaseVersion).where(CaseVersion.case_id == case_id)
    return list(session.scalars(query.order_by(CaseVersion.number)))


def latest_version(session: Session, *, case: Case) -> CaseVersion:
    """The version the case's status currently rests on."""
    version = session.get(CaseVersion, (case.id, case.version))
    if version is None:
        raise LookupError(f"case {case.id} has no version {case.version}")
    return version


def events_of(session: Session, *, case_id: str) -> list[CaseEvent]:
    """Decisions and extensions of the case, oldest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id)
    return list(session.scalars(query.order_by(CaseEvent.id)))


def overdue_condition(now: datetime, open_statuses: Sequence[str]) -> ColumnElement[bool]:
    """Cases still open whose deadline has passed."""
    return and_(Case.due_at < now, Case.status.in_(open_statuses))


def list_cases(
    session: Session,
    *,
    org: str | None,
    statuses: Sequence[str] | None,
    priority: str | None,
    overdue: bool | None,
    now: datetime,
    open_statuses: Sequence[str],
    limit: int,
    offset: int,
) -> list[Case]:
    """The queue, soonest deadline first, filtered as asked."""
    query = select(Case)
    if org is not None:
        query = query.where(Case.org == org)
    if statuses:
        query = query.where(Case.status.in_(statuses))
    if priority is not None:
        query = query.where(Case.priority == priority)
    if overdue is not None:
        condition = overdue_condition(now, open_statuses)
        query = query.where(condition if overdue else or_(not_(condition)))
    query = query.order_by(Case.due_at, Case.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def decided_between(session: Session, *, start: datetime, end: datetime) -> list[Case]:
    """Cases whose final decision fell in ``[start, end)``."""
    query = select(Case).where(
        Case.decided_at.is_not(None), Case.decided_at >= start, Case.decided_at < end
    )
    return list(session.scalars(query))


def purge_expired_jti(session: Session, *, now: datetime) -> None:
    """Forget client JWT ids whose tokens have expired (they can no longer be replayed)."""
    session.execute(delete(SeenJti).where(SeenJti.expires_at < now))


def add_jti(session: Session, *, issuer: str, jti: str, expires_at: datetime) -> None:
    """Record a client JWT id; the primary key refuses a second one (a replay)."""
    session.add(SeenJti(issuer=issuer, jti=jti, expires_at=expires_at))


def add_feedback(
    session: Session, *, service_id: str, issuer: str, body: dict[str, Any], now: datetime
) -> int:
    """Keep one CDS Hooks feedback call as received; its row id."""
    row = CrdFeedback(service_id=service_id, issuer=issuer, received_at=now, body=body)
    session.add(row)
    session.flush()
    return row.id


def claim_alias(session: Session, *, org: str, alias_sha256: str) -> PasClaimAlias | None:
    """The PAS Claim Update known by this digest of its key, if recorded."""
    return session.get(PasClaimAlias, (org, alias_sha256))


def claim_aliases_any_org(session: Session, *, alias_sha256: str) -> list[PasClaimAlias]:
    """The PAS Claim Updates of any organization known by this digest (a reviewer's inquiry)."""
    query = select(PasClaimAlias).where(PasClaimAlias.alias_sha256 == alias_sha256).limit(2)
    return list(session.scalars(query))


def add_claim_alias(session: Session, *, org: str, alias_sha256: str, claim_key: str) -> None:
    """Record a PAS Claim Update's key digest and the original Claim's key."""
    session.add(PasClaimAlias(org=org, alias_sha256=alias_sha256, claim_key=claim_key))


def letters_of(session: Session, *, case_id: str) -> list[CaseLetter]:
    """The case's letters, oldest first, without their PDF bytes (loaded on demand)."""
    query = select(CaseLetter).where(CaseLetter.case_id == case_id).options(defer(CaseLetter.pdf))
    return list(session.scalars(query.order_by(CaseLetter.created_at, CaseLetter.id)))


def worklist(
    session: Session,
    *,
    org: str | None,
    statuses: Sequence[str] | None,
    priority: str | None,
    service_code: str | None,
    assigned_to: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Case, dict[str, Any]]], int]:
    """A page of the queue, soonest deadline first, each case with its current request,
    and the count of all cases that match."""
    conditions: list[ColumnElement[bool]] = []
    if org is not None:
        conditions.append(Case.org == org)
    if statuses:
        conditions.append(Case.status.in_(statuses))
    if priority is not None:
        conditions.append(Case.priority == priority)
    if service_code is not None:
        conditions.append(Case.service_code == service_code)
    if assigned_to is not None:
        conditions.append(Case.assigned_to == assigned_to)
    total = session.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    # The page's ids first, from the cases table alone: joining the versions before the
    # OFFSET made SQLite read every skipped case's request (240 ms on page 150 of 10,000).
    page = select(Case.id).where(*conditions).order_by(Case.due_at, Case.id)
    ids = list(session.scalars(page.limit(limit).offset(offset)))
    current = and_(CaseVersion.case_id == Case.id, CaseVersion.number == Case.version)
    query = (
        select(Case, CaseVersion.request)
        .join(CaseVersion, current)
        .where(Case.id.in_(ids))
        .order_by(Case.due_at, Case.id)
    )
    return [(case, request) for case, request in session.execute(query)], total
