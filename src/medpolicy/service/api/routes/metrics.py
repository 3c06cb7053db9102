"""``GET /v1/metrics``: the CMS-0057-F prior-authorization figures for a period."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from medpolicy.service import metrics
from medpolicy.service.api.deps import Caller, ClockDep, DatabaseDep
from medpolicy.service.api.schemas import ERROR_RESPONSES
from medpolicy.service.errors import InvalidInputError

router = APIRouter(prefix="/v1", tags=["metrics"])


@router.get("/metrics", responses=ERROR_RESPONSES)
def read_metrics(
    caller: Caller,
    database: DatabaseDep,
    clock: ClockDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="Start (default: 1 January)")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="End (default: now)")] = None,
) -> dict[str, Any]:
    """Counts, shares and times to decision, standard and expedited apart."""
    end_utc = as_utc(end, "to") if end else clock.now()
    start_utc = (
        as_utc(start, "from")
        if start
        else end_utc.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    return metrics.report(database, caller, start=start_utc, end=end_utc)


def as_utc(value: datetime, field: str) -> datetime:
    """The instant in UTC; a time without a zone is taken as UTC."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInputError(
            "date_out_of_range",
            f"{field} ({value.isoformat()}) is outside the range of dates this service keeps.",
            field=field,
            accepted="an ISO 8601 date-time between years 1 and 9999",
        ) from None
