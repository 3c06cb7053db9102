"""Who is calling: the role and organization behind a bearer token, and what roles may do.

- ``provider``: submits cases and adds information; sees only its organization's cases.
- ``nurse``: works the queue; may approve and extend, never deny.
- ``physician``: works the queue; the only role that may deny or partially approve.
- ``admin``: manages tokens and reads the published metrics; sees no case.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The four roles a token can carry."""

    PROVIDER = "provider"
    NURSE = "nurse"
    PHYSICIAN = "physician"
    ADMIN = "admin"


REVIEWERS = frozenset({Role.NURSE, Role.PHYSICIAN})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller (a token), as the audit log records it."""

    token_id: str
    role: Role
    org: str | None
    name: str | None

    @property
    def is_reviewer(self) -> bool:
        """Nurses and physicians work the whole queue, across organizations."""
        return self.role in REVIEWERS


SYSTEM = Principal(token_id="system", role=Role.ADMIN, org=None, name="medpolicy cli")
