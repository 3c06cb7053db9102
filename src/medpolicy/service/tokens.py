"""Bearer tokens: made once, shown once, stored only as a SHA-256 hash.

A token is 32 random bytes (``mp_`` + URL-safe base64). Its hash is the lookup key, so a
copy of the database gives nobody a usable token. Tokens expire (90 days unless said
otherwise, ``MEDPOLICY_TOKEN_DAYS``). A nurse or physician token, which can read every
organization's cases, made by an admin over the API works only once a second admin has
approved it (or the approval is given with ``medpolicy token approve`` on the server); one
compromised admin token cannot mint clinical access. Every change is audited with the
token's id, role and organization.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from medpolicy.service import audit
from medpolicy.service.clock import Clock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import ApiToken
from medpolicy.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from medpolicy.service.permissions import Action, require
from medpolicy.service.principal import SYSTEM, Principal, Role

TOKEN_PREFIX = "mp_"
DEFAULT_TOKEN_DAYS = 90
SECOND_ADMIN_ROLES = frozenset({Role.NURSE, Role.PHYSICIAN})
"""Roles that see every organization's cases: an admin's request for one needs approval."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly made token: the secret (shown once) and its stored record's id."""

    id: str
    secret: str
    role: Role
    org: str | None
    name: str | None
    expires_at: datetime | None = None
    awaiting_approval: bool = False


def hash_token(secret: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    role: str,
    org: str | None,
    name: str | None,
    now: datetime,
    expires_at: datetime | None = None,
    requested_by: str | None = None,
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
        expires_at=expires_at,
        requested_by=requested_by,
    )
    session.add(row)
    session.flush()
    return IssuedToken(
        row.id, secret, parsed_role, row.org, row.name, expires_at, requested_by is not None
    )


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


def awaiting_approval(row: ApiToken) -> bool:
    """Whether the token still waits for a second admin's approval."""
    return row.requested_by is not None and row.approved_at is None


def find_principal(session: Session, secret: str, now: datetime) -> Principal | None:
    """The caller behind a current token (not revoked, expired or awaiting approval)."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == hash_token(secret))
    ).one_or_none()
    if row is None or row.revoked_at is not None or awaiting_approval(row):
        return None
    if row.expires_at is not None and row.expires_at <= now:
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

    def __init__(
        self, database: Database, clock: Clock, *, lifetime_days: int = DEFAULT_TOKEN_DAYS
    ) -> None:
        self.database = database
        self.clock = clock
        self.lifetime_days = lifetime_days

    def issue(
        self,
        principal: Principal,
        *,
        role: str,
        org: str | None,
        name: str | None,
        expires_in_days: int | None = None,
    ) -> IssuedToken:
        """Make a token and return its secret, which is never shown again.

        A nurse or physician token asked for by an admin over the API (not the server's
        command line) works only once another admin approves it (``approve``)."""
        require(principal, Action.MANAGE_TOKENS)
        now = self.clock.now()
        expires_at = now + timedelta(days=expires_in_days or self.lifetime_days)
        pending = principal != SYSTEM and parse_role(role) in SECOND_ADMIN_ROLES
        with self.database.transaction() as session:
            issued = create_token(
                session,
                role=role,
                org=org,
                name=name,
                now=now,
                expires_at=expires_at,
                requested_by=principal.token_id if pending else None,
            )
            action = "token.request" if pending else "token.create"
            self._audit(session, principal, action, issued.id, issued.role.value, issued.org)
        return issued

    def approve(self, principal: Principal, *, token_id: str) -> ApiToken:
        """A second admin's (or the server command line's) approval of a requested token."""
        require(principal, Action.MANAGE_TOKENS)
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFoundError(
                    "token_not_found",
                    f"No token has id {token_id!r}.",
                    field="token_id",
                    accepted="the id of an issued token (see GET /v1/tokens)",
                )
            if not awaiting_approval(row):
                raise ConflictError(
                    "token_not_awaiting_approval",
                    f"Token {token_id} is not waiting for an approval.",
                    field="token_id",
                    accepted="a token requested by an admin and not yet approved",
                )
            if row.requested_by == principal.token_id:
                raise ForbiddenError(
                    "second_admin_required",
                    "The admin who asked for a nurse or physician token cannot approve it.",
                    field="Authorization",
                    accepted="another admin's token, or `medpolicy token approve` on the server",
                )
            row.approved_by = principal.token_id
            row.approved_at = now
            self._audit(session, principal, "token.approve", row.id, row.role, row.org)
            return row

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
            self._audit(session, principal, "token.revoke", row.id, row.role, row.org)
            return row

    def authenticate(self, secret: str) -> Principal | None:
        """The caller behind a current bearer token, or None."""
        with self.database.transaction() as session:
            return find_principal(session, secret, self.clock.now())

    def _audit(  # noqa: PLR0917 - what the entry names
        self,
        session: Session,
        principal: Principal,
        action: str,
        token_id: str,
        role: str,
        org: str | None,
    ) -> None:
        audit.record(
            session,
            actor=principal,
            action=action,
            case_ids=[None],
            now=self.clock.now(),
            subjects=[f"token={token_id}", f"role={role}", f"org={org or '-'}"],
        )
