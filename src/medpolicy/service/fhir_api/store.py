"""The Da Vinci endpoints' own records, each kept in one transaction of its own.

Client JWT ids (replay refusal), CRD feedback and PAS Claim Update aliases. The queries
are in ``service/db/repositories.py``; finding a case by a PAS item's key is the case
desk's (``CaseDesk.find_submitted``), since it checks who may see the case.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from medpolicy.service.db import repositories as repo
from medpolicy.service.db.database import Database

__all__ = [
    "original_claim_key",
    "remember_claim_alias",
    "remember_jti",
    "store_feedback",
]


def remember_jti(
    database: Database, issuer: str, jti: str, expires_at: datetime, now: datetime
) -> bool:
    """Record a JWT id; False when it was already recorded (a replay). Expired ids are purged.

    The id is kept as its SHA-256, so two long ids that share a prefix stay two ids."""
    try:
        with database.transaction() as session:
            repo.purge_expired_jti(session, now=now)
            repo.add_jti(session, issuer=issuer[:500], jti=_sha256(jti), expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def store_feedback(
    database: Database, *, service_id: str, issuer: str, body: dict[str, Any], now: datetime
) -> int:
    """Keep one feedback call as received; returns its row id."""
    with database.transaction() as session:
        return repo.add_feedback(
            session, service_id=service_id, issuer=issuer[:500], body=body, now=now
        )


def remember_claim_alias(database: Database, *, org: str, alias: str, claim_key: str) -> None:
    """Record that the Claim known as ``alias`` (an update) changed the cases of ``claim_key``.

    The first record wins: a resubmitted update finds its row and changes nothing.
    """
    digest = _sha256(alias)
    try:
        with database.transaction() as session:
            if repo.claim_alias(session, org=org, alias_sha256=digest) is None:
                repo.add_claim_alias(session, org=org, alias_sha256=digest, claim_key=claim_key)
    except IntegrityError:
        return


def original_claim_key(database: Database, *, org: str | None, key: str) -> str:
    """The key of the Claim whose cases ``key`` names: itself unless it is a known update.

    ``org`` None (a reviewer's inquiry) looks in every organization's updates, and follows
    the alias only when it is one organization's."""
    with database.transaction() as session:
        if org is None:
            rows = repo.claim_aliases_any_org(session, alias_sha256=_sha256(key))
            return rows[0].claim_key if len(rows) == 1 else key
        row = repo.claim_alias(session, org=org, alias_sha256=_sha256(key))
        return row.claim_key if row is not None else key


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
