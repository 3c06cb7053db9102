"""The audit log: who read or changed which case or token, when, and what the row became.

Each entry is keyed with HMAC-SHA256 over its own fields and the previous entry's MAC, with
a key the database does not hold (``audit_key``). Editing, removing or reordering entries
breaks the chain, and without the key nobody can recompute it.

Each entry of a change also carries the SHA-256 of every row of ``cases``, ``case_versions``,
``case_events``, ``api_tokens`` and ``case_letters`` that its transaction inserted or
updated (``rows``, keyed ``table/primary key``). ``verify`` recomputes them from the
tables: a case rewritten as approved, a decision edited or deleted, a token's role raised
or a row inserted behind the service's back no longer matches what the log recorded. Rows
are picked up by a ``before_flush`` hook, so every code path that changes them and writes
its audit entry is covered without passing them along.

What the chain cannot see is its own tail cut off: ``audit_checkpoint`` writes signed
checkpoints outside the database for that.

The table refuses UPDATE and DELETE by trigger (see the initial migration), and on
PostgreSQL the service can run as a role that owns nothing, so it cannot disable them.
Appending takes a lock so that two transactions never chain to the same predecessor:
SQLite's ``BEGIN IMMEDIATE`` already serializes writers; on PostgreSQL a transaction-level
advisory lock does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from medpolicy.service.audit_key import load_key
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.models import (
    ApiToken,
    AuditEntry,
    Base,
    Case,
    CaseEvent,
    CaseLetter,
    CaseVersion,
)
from medpolicy.service.principal import Principal

GENESIS_HASH = "0" * 64
POSTGRES_AUDIT_LOCK = 210_38242
TRACKED: tuple[type[Base], ...] = (Case, CaseVersion, CaseEvent, ApiToken, CaseLetter)
"""Tables whose rows the log vouches for."""
IMMUTABLE = frozenset(
    {CaseVersion.__tablename__, CaseEvent.__tablename__, CaseLetter.__tablename__}
)
"""Rows written once: every entry naming one must still match it. The others change, and
only the latest entry naming a row must match its current content."""
_TOUCHED = "medpolicy_audit_touched"


def hash_of(entry: AuditEntry, key: bytes) -> str:
    """HMAC-SHA256, keyed with ``key``, over the previous MAC and this entry's fields."""
    payload = json.dumps(
        {
            "prev": entry.prev_hash,
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor_token_id,
            "role": entry.actor_role,
            "action": entry.action,
            "case": entry.case_id,
            "rows": entry.rows,
            **({"subjects": entry.subjects} if entry.subjects is not None else {}),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def row_key(row: Base) -> str:
    """``table/primary key`` of a tracked row, e.g. ``case_versions/<case id>/2``."""
    identity = inspect(row).identity or ()
    return "/".join([row.__tablename__, *(str(part) for part in identity)])


def row_digest(row: Base) -> str:
    """SHA-256 of a row's columns in canonical JSON.

    Columns that are NULL are left out, so a nullable column added by a later migration
    does not change the digest of rows written before it. Binary columns (a letter's PDF)
    enter as their SHA-256, so the entry of a letter names the hash of the PDF sent.
    """
    content = {}
    for attribute in inspect(row).mapper.column_attrs:
        value = getattr(row, attribute.key)
        if value is None:
            continue
        if isinstance(value, bytes):
            value = hashlib.sha256(value).hexdigest()
        content[attribute.key] = (
            value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
        )
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@event.listens_for(Session, "before_flush")
def _remember_touched(session: Session, _context: Any, _instances: Any) -> None:
    touched: set[Base] = session.info.setdefault(_TOUCHED, set())
    for row in (*session.new, *session.dirty):
        if isinstance(row, TRACKED):
            touched.add(row)


def session_key(session: Session, *, create: bool = True) -> bytes:
    """The audit key of the session's database: set on ``Database.audit_key`` by the app or
    the command line, else loaded from the environment's settings."""
    database = session.info.get("database")
    key: bytes | None = getattr(database, "audit_key", None)
    if key is None:
        key = load_key(ServiceSettings(), create=create)
        if database is not None:
            database.audit_key = key
    return key


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    case_ids: Sequence[str | None],
    now: datetime,
    subjects: Sequence[str] | None = None,
) -> None:
    """Append one entry per case id (None for an action on no case) to the chain.

    The first entry carries the digests of the tracked rows this transaction has inserted
    or updated since the last entry, and ``subjects``: the cases an action on many concerns
    (a queue listing is one entry naming the ids it showed, not one entry per case).
    """
    key = session_key(session)
    session.flush()
    touched: set[Base] = session.info.pop(_TOUCHED, set())
    rows = {row_key(row): row_digest(row) for row in touched if inspect(row).persistent}
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
            rows=dict(sorted(rows.items())) or None,
            subjects=list(subjects) if subjects is not None else None,
        )
        rows, subjects = {}, None
        entry.hash = hash_of(entry, key)
        session.add(entry)
        prev_hash = entry.hash
    session.flush()
    session.info.pop(_TOUCHED, None)


@dataclass(frozen=True)
class Verification:
    """The result of checking the log: how far the chain holds, where it first breaks, and
    which rows no longer match what the log recorded of them."""

    checked: int
    broken_at: int | None
    reason: str | None
    head: str = GENESIS_HASH
    rows_checked: int = 0
    row_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every link holds and every tracked row matches its entry."""
        return self.broken_at is None and not self.row_problems


def verify(session: Session, *, key: bytes | None = None, batch_size: int = 5000) -> Verification:
    """Walk the log in order, then recompute every tracked row's digest from its table."""
    key = key if key is not None else session_key(session, create=False)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    recorded: dict[str, tuple[int, str]] = {}
    problems: list[str] = []
    for entry in _entries(session, batch_size):
        problem = _link_problem(entry, expected_seq, prev_hash, key)
        if problem:
            return Verification(checked, entry.seq, problem, prev_hash)
        checked += 1
        expected_seq, prev_hash = entry.seq + 1, entry.hash
        for name, digest in (entry.rows or {}).items():
            before = recorded.get(name)
            immutable = name.split("/", 1)[0] in IMMUTABLE
            if before is not None and immutable and before[1] != digest:
                problems.append(
                    f"{name} was recorded differently by entries {before[0]} and {entry.seq}"
                )
            recorded[name] = (entry.seq, digest)
    rows_checked = _check_rows(session, recorded, problems, batch_size)
    return Verification(checked, None, None, prev_hash, rows_checked, problems)


def _entries(session: Session, batch_size: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
        batch = list(session.scalars(query.limit(batch_size)))
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1].seq
        session.expunge_all()


def _check_rows(
    session: Session, recorded: dict[str, tuple[int, str]], problems: list[str], batch_size: int
) -> int:
    seen = 0
    for model in TRACKED:
        query = select(model).execution_options(yield_per=batch_size)
        for row in session.scalars(query):
            seen += 1
            name = row_key(row)
            entry = recorded.pop(name, None)
            if entry is None:
                problems.append(f"{name} has no audit entry (written outside the service)")
            elif entry[1] != row_digest(row):
                problems.append(f"{name} differs from what audit entry {entry[0]} recorded")
    problems.extend(
        f"{name}, recorded by audit entry {seq}, is missing" for name, (seq, _) in recorded.items()
    )
    return seen


def _link_problem(entry: AuditEntry, expected_seq: int, prev_hash: str, key: bytes) -> str | None:
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing (next entry is {entry.seq})"
    if entry.prev_hash != prev_hash:
        return f"entry {entry.seq} does not point to the hash of entry {entry.seq - 1}"
    if not hmac.compare_digest(hash_of(entry, key), entry.hash):
        return f"entry {entry.seq} was altered (its MAC does not match its fields)"
    return None
