"""Tables of the Da Vinci endpoints, apart from the case tables they build on.

- ``crd_seen_jti``: every client JWT id accepted, until it expires, so a replay is refused.
- ``crd_feedback``: what clinicians' systems report back about our CRD cards.
- ``pas_claim_alias``: the identifier of each PAS Claim Update, pointing to the Claim whose
  cases it changed, so ``$inquire`` finds those cases by either identifier.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from medpolicy.service.db.models import UTCDateTime


class DaVinciBase(DeclarativeBase):
    """Declarative base of the Da Vinci tables (migrated by revision 0002)."""


class SeenJti(DaVinciBase):
    """A client JWT already used: issuer and jti, kept until the token expires."""

    __tablename__ = "crd_seen_jti"

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CrdFeedback(DaVinciBase):
    """One feedback item from a CDS client about a card it was shown."""

    __tablename__ = "crd_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class PasClaimAlias(DaVinciBase):
    """A Claim Update's key (SHA-256 of it) and the key of the Claim its items' cases hang on."""

    __tablename__ = "pas_claim_alias"

    org: Mapped[str] = mapped_column(String(200), primary_key=True)
    alias_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    claim_key: Mapped[str] = mapped_column(Text)
