"""Bearer tokens: made once, shown once, stored only as a SHA-256 hash.

A token is 32 random bytes (``mp_`` + URL-safe base64). Its hash is the lookup key, so a
copy of the database gives nobody a usable token.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from medpolicy.service import audit
from medpolicy.service.clock import Clock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import ApiToken
from medpolicy.service.errors import InvalidInputError, NotFoundError
from medpolicy.service.permissions import Action, require
from medpolicy.service.principal import Principal, Role

TOKEN_PREFIX = "mp_"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly made token: the secret (shown once) and its stored record's id."""

    id: str
    secret: str
    role: Role
    org: str | None
    name: str | None


def hash_token(secret: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: Session, *, role: str, org: str | None, name: str | None, now: datetime
) -> IssuedToken:
    """Store a new token for ``role``; a provider token must name its organization."""
    parsed_role = parse_role(role)
    if parsed_role is Role.PROVIDER and not org:
        raise InvalidInputError(
            "org_required",
            "A provider token must name its organization (org); none was given.",
            field="org",
            accepted="a non-empty organization name",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=str(uuid.uuid4()),
        token_sha256=hash_token(secret),
        role=parsed_role.value,
        org=org or None,
        name=name or None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return IssuedToken(row.id, secret, parsed_role, row.org, row.name)


def parse_role(role: str) -> Role:
    """The role named ``role``, or an input error listing the four roles."""
    try:
        return Role(role)
    except ValueError:
        raise InvalidInputError(
            "unknown_role",
            f"role {role!r} is not a role.",
            field="role",
            accepted=", ".join(r.value for r in Role),
        ) from None


def find_principal(session: Session, secret: str) -> Principal | None:
    """The caller behind an unrevoked token, or None."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == hash_token(secret))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(token_id=row.id, role=Role(row.role), org=row.org, name=row.name)


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token record, oldest first (hashes are never shown)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def revoke_token(session: Session, *, token_id: str, now: datetime) -> ApiToken:
    """Mark a token revoked; it stops working at once."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(
            "token_not_found",
            f"No token has id {token_id!r}.",
            field="token_id",
            accepted="the id of an issued token (see GET /v1/tokens)",
        )
    if row.revoked_at is None:
        row.revoked_at = now
    return row


class TokenDesk:
    """Token management for admins, over the API or the command line; each change is audited."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def issue(
        self, principal: Principal, *, role: str, org: str | None, name: str | None
    ) -> IssuedToken:
        """Make a token and return its secret, which is never shown again."""
        require(principal, Action.MANAGE_TOKENS)
        now = self.clock.now()
        with self.database.transaction() as session:
            issued = create_token(session, role=role, org=org, name=name, now=now)
            audit.record(session, actor=principal, action="token.create", case_ids=[None], now=now)
        return issued

    def list(self, principal: Principal) -> list[ApiToken]:
        """Every token record (without hashes)."""
        require(principal, Action.MANAGE_TOKENS)
        with self.database.transaction() as session:
            return list_tokens(session)

    def revoke(self, principal: Principal, *, token_id: str) -> ApiToken:
        """Revoke a token by id."""
        require(principal, Action.MANAGE_TOKENS)
        now = self.clock.now()
        with self.database.transaction() as session:
            row = revoke_token(session, token_id=token_id, now=now)
            audit.record(session, actor=principal, action="token.revoke", case_ids=[None], now=now)
            return row

    def authenticate(self, secret: str) -> Principal | None:
        """The caller behind a bearer token, or None."""
        with self.database.transaction() as session:
            return find_principal(session, secret)
