"""Workbench sessions: a reviewer's token, pasted once, becomes a server-side session.

The browser keeps only a random secret in an HttpOnly, SameSite=Strict cookie (Secure over
TLS); the database keeps the secret's SHA-256, the token it stands for and a CSRF token
that every form must carry. A session ends at sign-out, when its token is revoked, or
after 15 minutes without a page asked for (HIPAA automatic logoff). Only nurses and
physicians work cases: a provider's or an admin's token does not open the workbench.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, select

from medpolicy.service import audit
from medpolicy.service.clock import Clock
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import ApiToken, WebSession
from medpolicy.service.errors import ForbiddenError, UnauthorizedError
from medpolicy.service.principal import Principal, Role
from medpolicy.service.tokens import find_principal

IDLE_LIMIT = timedelta(minutes=15)
TOUCH_EVERY = timedelta(seconds=30)
"""A page restarts the idle clock in the database at most this often, so reading pages
does not write on every click; the logoff may then come up to this much early, never late."""
COOKIE = "mp_session"
SIGNIN_COOKIE = "mp_signin"


class Ended(StrEnum):
    """Why a cookie no longer opens a session."""

    NONE = "none"
    IDLE = "idle"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Visit:
    """A signed-in reviewer on one page: who, and the CSRF token of their forms."""

    principal: Principal
    csrf: str

    def check_csrf(self, given: str) -> bool:
        """True when a form carried this session's CSRF token."""
        return hmac.compare_digest(self.csrf.encode(), given.encode())


@dataclass(frozen=True)
class Resumed:
    """The answer to a cookie: a visit, or why there is none."""

    visit: Visit | None
    ended: Ended = Ended.NONE


def secret_hash(secret: str) -> str:
    """The stored key of a session cookie."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SessionDesk:
    """Starts, resumes and ends workbench sessions; starting and ending are audited."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def start(self, token: str) -> tuple[str, Visit]:
        """A new session for a reviewer's token; the returned secret goes in the cookie."""
        now = self.clock.now()
        with self.database.transaction() as session:
            principal = find_principal(session, token.strip(), now)
            if principal is None:
                raise UnauthorizedError(
                    "token_invalid",
                    "That token is not known or has been revoked.",
                    field="token",
                    accepted="a current nurse or physician token from `medpolicy token create`",
                )
            if principal.role not in (Role.NURSE, Role.PHYSICIAN):
                raise ForbiddenError(
                    "role_not_allowed",
                    f"A {principal.role.value} token cannot open the reviewer workbench.",
                    field="token",
                    accepted="a nurse or physician token",
                )
            secret = secrets.token_urlsafe(32)
            row = WebSession(
                id_sha256=secret_hash(secret),
                token_id=principal.token_id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
            )
            session.add(row)
            audit.record(session, actor=principal, action="session.start", case_ids=[None], now=now)
        return secret, Visit(principal, row.csrf)

    def resume(self, secret: str | None) -> Resumed:
        """The visit behind a cookie, its idle clock restarted; or why it has ended."""
        if not secret:
            return Resumed(None)
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.get(WebSession, secret_hash(secret))
            if row is None:
                return Resumed(None)
            token = session.get(ApiToken, row.token_id)
            if token is None or token.revoked_at is not None:
                session.delete(row)
                return Resumed(None, Ended.REVOKED)
            principal = Principal(
                token_id=token.id, role=Role(token.role), org=token.org, name=token.name
            )
            if now - row.last_seen_at >= IDLE_LIMIT:
                session.delete(row)
                audit.record(
                    session, actor=principal, action="session.idle", case_ids=[None], now=now
                )
                return Resumed(None, Ended.IDLE)
            if now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return Resumed(Visit(principal, row.csrf))

    def end(self, secret: str, visit: Visit) -> None:
        """Sign out: the session is deleted and the sign-out audited."""
        now = self.clock.now()
        with self.database.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id_sha256 == secret_hash(secret)))
            audit.record(
                session, actor=visit.principal, action="session.end", case_ids=[None], now=now
            )

    def note_look(self, visit: Visit, page: str) -> None:
        """Audit a look at a page that shows no case (a policy page)."""
        now = self.clock.now()
        with self.database.transaction() as session:
            audit.record(session, actor=visit.principal, action=page, case_ids=[None], now=now)

    def names(self, token_ids: set[str]) -> dict[str, str]:
        """The display name of each token (its name, else its role and id's first part)."""
        if not token_ids:
            return {}
        with self.database.transaction() as session:
            rows = session.scalars(select(ApiToken).where(ApiToken.id.in_(token_ids)))
            return {row.id: row.name or f"{row.role} {row.id[:8]}" for row in rows}
