"""Reads and writes of the Da Vinci tables, and finding a PAS item's case by its key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case
from medpolicy.service.fhir_api.models import CrdFeedback, SeenJti

__all__ = ["find_case_id", "remember_jti", "store_feedback"]


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
