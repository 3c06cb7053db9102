"""The prior-authorization figures CMS-0057-F asks plans to publish.

For standard and expedited requests apart: how many were approved and denied (and what
share of the decided requests that is), how many were approved after an extension, and
the average and median time from receipt to decision. A request counts in the period in
which it was decided. A partial approval is an adverse determination and is reported on
its own line as well as among the denials.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from typing import Any

from medpolicy.domain import CaseStatus
from medpolicy.service.db import repositories as repo
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Case
from medpolicy.service.errors import InvalidInputError
from medpolicy.service.permissions import Action, require
from medpolicy.service.principal import Principal

PRIORITIES = ("standard", "expedited")


def period(
    start: datetime | None, end: datetime | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """The period asked for, in UTC: ``to`` defaults to now, ``from`` to 1 January of its year.

    A time given without a zone is taken as UTC.
    """
    end_utc = as_utc(end, "to") if end else now
    start_utc = (
        as_utc(start, "from")
        if start
        else end_utc.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    return start_utc, end_utc


def as_utc(value: datetime, field: str) -> datetime:
    """The instant in UTC, or an input error when it lies outside the years 1 to 9999."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInputError(
            "date_out_of_range",
            f"{field} ({value.isoformat()}) is outside the range of dates this service keeps.",
            field=field,
            accepted="an ISO 8601 date-time between years 1 and 9999",
        ) from None


def check_period(start: datetime, end: datetime) -> None:
    """A period runs forward: ``from`` before ``to``."""
    if start >= end:
        raise InvalidInputError(
            "empty_period",
            f"from ({start.isoformat()}) must be before to ({end.isoformat()}).",
            field="from",
            accepted="a date-time earlier than 'to'",
        )


def report(
    database: Database, principal: Principal, *, start: datetime, end: datetime
) -> dict[str, Any]:
    """The published figures for decisions made in ``[start, end)``."""
    require(principal, Action.READ_METRICS)
    check_period(start, end)
    with database.transaction() as session:
        cases = repo.decided_between(session, start=start, end=end)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        **{p: figures([c for c in cases if c.priority == p]) for p in PRIORITIES},
    }


def figures(cases: list[Case]) -> dict[str, Any]:
    """Counts, shares and times to decision for one priority."""
    approved = [c for c in cases if c.status == CaseStatus.APPROVED]
    partial = [c for c in cases if c.status == CaseStatus.PARTIALLY_APPROVED]
    denied = [c for c in cases if c.status == CaseStatus.DENIED] + partial
    extended = [c for c in approved if c.extended_at is not None]
    hours = [_hours(c) for c in cases]
    return {
        "decided": len(cases),
        "approved": len(approved),
        "approved_percent": _percent(len(approved), len(cases)),
        "denied": len(denied),
        "denied_percent": _percent(len(denied), len(cases)),
        "partially_approved": len(partial),
        "approved_after_extension": len(extended),
        "approved_after_extension_percent": _percent(len(extended), len(cases)),
        "average_hours_to_decision": round(statistics.fmean(hours), 2) if hours else None,
        "median_hours_to_decision": round(statistics.median(hours), 2) if hours else None,
    }


def _hours(case: Case) -> float:
    if case.decided_at is None:
        raise ValueError(f"case {case.id} is not decided")
    return (case.decided_at - case.received_at).total_seconds() / 3600


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None
