"""The audit log: who read or changed which case, when, chained by SHA-256.

Each entry's hash covers its own fields and the hash of the entry before, so removing,
reordering or editing an entry breaks the chain from that point on; ``verify`` finds the
first broken link. The table refuses UPDATE and DELETE by trigger (see the initial
migration), and the service has no code path that would try.

Appending takes a lock so that two transactions never chain to the same predecessor:
SQLite's ``BEGIN IMMEDIATE`` already serializes writers; on PostgreSQL a transaction-level
advisory lock does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from medpolicy.service.db.models import AuditEntry
from medpolicy.service.principal import Principal

GENESIS_HASH = "0" * 64
POSTGRES_AUDIT_LOCK = 210_38242


def hash_of(entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and this entry's fields, in canonical JSON."""
    payload = json.dumps(
        {
            "prev": entry.prev_hash,
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor_token_id,
            "role": entry.actor_role,
            "action": entry.action,
            "case": entry.case_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    case_ids: Sequence[str | None],
    now: datetime,
) -> None:
    """Append one entry per case id (None for an action on no case) to the chain."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_AUDIT_LOCK})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    for case_id in case_ids:
        seq += 1
        entry = AuditEntry(
            seq=seq,
            at=now,
            actor_token_id=actor.token_id,
            actor_role=actor.role.value,
            action=action,
            case_id=case_id,
            prev_hash=prev_hash,
        )
        entry.hash = hash_of(entry)
        session.add(entry)
        prev_hash = entry.hash
    session.flush()


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: how far it holds and where it first breaks."""

    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_at is None


def verify(session: Session, *, batch_size: int = 5000) -> Verification:
    """Walk the log in order and report the first entry whose link or hash is wrong."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq >= expected_seq)
        batch = list(session.scalars(query.order_by(AuditEntry.seq).limit(batch_size)))
        for entry in batch:
            problem = _link_problem(entry, expected_seq, prev_hash)
            if problem:
                return Verification(checked, entry.seq, problem)
            checked += 1
            expected_seq, prev_hash = entry.seq + 1, entry.hash
        if len(batch) < batch_size:
            return Verification(checked, None, None)


def _link_problem(entry: AuditEntry, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing (next entry is {entry.seq})"
    if entry.prev_hash != prev_hash:
        return f"entry {entry.seq} does not point to the hash of entry {entry.seq - 1}"
    recomputed = hash_of(entry)
    if recomputed != entry.hash:
        return f"entry {entry.seq} was altered (its hash does not match its fields)"
    return None
