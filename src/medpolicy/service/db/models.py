"""Table models. The API never returns these directly; ``api/schemas.py`` shapes replies.

- ``api_tokens``: bearer tokens, stored only as a SHA-256 hash, with role and organization.
- ``cases``: one row per prior-authorization case with its current status and deadline.
- ``case_versions``: every version of the request and of its determination (submission,
  then each addition of information), never overwritten.
- ``case_events``: reviewer decisions and deadline extensions.
- ``audit_log``: append-only, HMAC-chained record of every read and write of a case, with
  the digest of each row a change wrote.
- ``crd_seen_jti``: every CDS client JWT id accepted, until it expires, so a replay is refused.
- ``crd_feedback``: what clinicians' systems report back about our CRD cards.
- ``pas_claim_alias``: the identifier of each PAS Claim Update, pointing to the Claim whose
  cases it changed, so ``$inquire`` finds those cases by either identifier.
- ``web_sessions``: the workbench's server-side sessions (see ``service/web/sessions.py``).
- ``case_letters``: the PDF letters of a case, immutable (see ``service/letters/``).

Every table hangs on the one ``Base``, so Alembic compares the migrations with all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC on every database and gives back timezone-aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - SQLAlchemy's signature
    ) -> datetime | None:
        """Aware datetimes are converted to UTC and stripped of their zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - SQLAlchemy's signature
    ) -> datetime | None:
        """Stored values are UTC; say so."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class ApiToken(Base):
    """A bearer token: who may call the API and in which role."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    org: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_by: Mapped[str | None] = mapped_column(String(36))
    """The admin whose request awaits a second admin's approval (nurse and physician tokens
    made over the API); NULL for tokens that needed none."""
    approved_by: Mapped[str | None] = mapped_column(String(36))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Case(Base):
    """A prior-authorization case and where it stands now."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("org", "idempotency_key", name="uq_cases_org_idem"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org: Mapped[str] = mapped_column(String(200), index=True)
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(36))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    assigned_to: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    service_code: Mapped[str | None] = mapped_column(String(20), index=True, default=None)
    revision: Mapped[int | None] = mapped_column(Integer, default=1)
    """Raised by every change of the row (``service/case_revision.py``); the ETag."""


class CaseVersion(Base):
    """One version of a case's request and the engine's determination of it."""

    __tablename__ = "case_versions"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_token_id: Mapped[str] = mapped_column(String(36))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    determination: Mapped[dict[str, Any]] = mapped_column(JSON)


class CaseEvent(Base):
    """A reviewer's decision or a deadline extension."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_token_id: Mapped[str] = mapped_column(String(36))
    actor_role: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEntry(Base):
    """Who did what to which case, and when; chained by hash to the entry before."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_token_id: Mapped[str | None] = mapped_column(String(36))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[dict[str, str] | None] = mapped_column(JSON)
    subjects: Mapped[list[str] | None] = mapped_column(JSON)
    """The cases an entry on no single case concerns, e.g. the ids a queue listing showed."""
    """SHA-256 of each tracked row the entry's transaction wrote, by ``table/primary key``."""


class SeenJti(Base):
    """A client JWT already used: issuer and jti, kept until the token expires."""

    __tablename__ = "crd_seen_jti"

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CrdFeedback(Base):
    """One feedback item from a CDS client about a card it was shown."""

    __tablename__ = "crd_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class PasClaimAlias(Base):
    """A Claim Update's key (SHA-256 of it) and the key of the Claim its items' cases hang on."""

    __tablename__ = "pas_claim_alias"

    org: Mapped[str] = mapped_column(String(200), primary_key=True)
    alias_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    claim_key: Mapped[str] = mapped_column(Text)


class WebSession(Base):
    """A reviewer signed in to the workbench; the cookie holds a secret whose hash is the key."""

    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(36))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseLetter(Base):
    """A letter sent for a case, as the PDF that went out; never changed once stored."""

    __tablename__ = "case_letters"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_token_id: Mapped[str] = mapped_column(String(36))
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary())
