"""Case revisions, ETags and If-Match: no decision or addition made on a stale view.

Every change of a ``cases`` row (new information, a decision, an extension, a withdrawal,
and whatever else later updates the row) raises its ``revision`` by one; a
``before_flush`` hook does it, so no code path can change a case and keep its revision.
Answers carry the revision as the ETag ``"<revision>"``. Adding information and deciding
require ``If-Match`` with that ETag: 428 without one, 412 when the case has changed since
(someone else decided it, or new information changed what the engine says). The decision
event records the revision and the request version it was made on.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from medpolicy.service.db.models import Case
from medpolicy.service.errors import PreconditionFailedError, PreconditionRequiredError


class _AnyRevision:
    """For internal callers that carry no ETag (a PAS Claim update adds to its own cases)."""

    def __repr__(self) -> str:
        return "ANY_REVISION"


ANY_REVISION: Final = _AnyRevision()
Expected = int | None | _AnyRevision
"""The revision a caller saw: an int from If-Match, None when it sent none, or any."""


def revision_of(case: Case) -> int:
    """The case's revision (rows from before revisions existed are revision 1)."""
    return case.revision or 1


def etag(case: Case) -> str:
    """The ETag of a case's current revision."""
    return f'"{revision_of(case)}"'


def parse_if_match(header: str | None) -> int | None:
    """The revision an If-Match header names; None when there is none; 412 when it names
    no revision this service gives out (including ``*``, which would skip the check)."""
    if header is None or not header.strip():
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 12:
        raise PreconditionFailedError(
            "if_match_invalid",
            f"If-Match {header[:40]!r} does not name a revision of this case.",
            field="If-Match",
            accepted='the ETag of the case as last read, e.g. "3"',
        )
    return int(value)


def check_revision(case: Case, expected: Expected) -> None:
    """428 when no revision was given, 412 when the case has moved on since it."""
    if isinstance(expected, _AnyRevision):
        return
    current = revision_of(case)
    if expected is None:
        raise PreconditionRequiredError(
            "if_match_required",
            "This change needs If-Match with the case's ETag, so that it is not made on a "
            "stale view of the case.",
            field="If-Match",
            accepted=f'If-Match: "{current}" (the ETag of the case as last read)',
        )
    if expected != current:
        raise PreconditionFailedError(
            "case_changed",
            f"Case {case.id} has changed since revision {expected} (it is at revision "
            f"{current}); read it again and decide on what it says now.",
            field="If-Match",
            accepted=f'If-Match: "{current}", after reading the case again',
        )


@event.listens_for(Session, "before_flush")
def _raise_revisions(session: Session, _context: Any, _instances: Any) -> None:
    for row in session.dirty:
        if isinstance(row, Case) and session.is_modified(row, include_collections=False):
            row.revision = revision_of(row) + 1
