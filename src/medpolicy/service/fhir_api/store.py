"""Reads and writes of the Da Vinci tables, and finding a PAS item's case by its key."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case
from medpolicy.service.fhir_api.models import CrdFeedback, PasClaimAlias, SeenJti

__all__ = [
    "find_case_id",
    "original_claim_key",
    "remember_claim_alias",
    "remember_jti",
    "store_feedback",
]


def remember_jti(
    database: Database, issuer: str, jti: str, expires_at: datetime, now: datetime
) -> bool:
    """Record a JWT id; False when it was already recorded (a replay). Expired ids are purged."""
    try:
        with database.transaction() as session:
            session.execute(delete(SeenJti).where(SeenJti.expires_at < now))
            session.add(SeenJti(issuer=issuer[:500], jti=jti[:255], expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def store_feedback(
    database: Database, *, service_id: str, issuer: str, body: dict[str, Any], now: datetime
) -> int:
    """Keep one feedback call as received; returns its row id."""
    with database.transaction() as session:
        row = CrdFeedback(service_id=service_id, issuer=issuer[:500], received_at=now, body=body)
        session.add(row)
        session.flush()
        return row.id


def find_case_id(database: Database, *, org: str, key: str) -> str | None:
    """The case an organization opened for a PAS item key (its Idempotency-Key)."""
    with database.transaction() as session:
        query = select(Case.id).where(Case.org == org, Case.idempotency_key == key)
        return session.scalars(query).one_or_none()


def remember_claim_alias(database: Database, *, org: str, alias: str, claim_key: str) -> None:
    """Record that the Claim known as ``alias`` (an update) changed the cases of ``claim_key``.

    The first record wins: a resubmitted update finds its row and changes nothing.
    """
    digest = _sha256(alias)
    try:
        with database.transaction() as session:
            if session.get(PasClaimAlias, (org, digest)) is None:
                session.add(PasClaimAlias(org=org, alias_sha256=digest, claim_key=claim_key))
    except IntegrityError:
        return


def original_claim_key(database: Database, *, org: str, key: str) -> str:
    """The key of the Claim whose cases ``key`` names: itself unless it is a known update."""
    with database.transaction() as session:
        row = session.get(PasClaimAlias, (org, _sha256(key)))
        return row.claim_key if row is not None else key


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
