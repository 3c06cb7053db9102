"""``GET /v1/metrics``: the CMS-0057-F prior-authorization figures for a period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from medpolicy.service import metrics
from medpolicy.service.api.deps import Caller, ClockDep, DatabaseDep
from medpolicy.service.api.metrics_schemas import MetricsReport
from medpolicy.service.api.schemas import ERROR_RESPONSES

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
) -> MetricsReport:
    """Counts, shares and times to decision, standard and expedited apart."""
    period = metrics.period(start, end, now=clock.now())
    return MetricsReport.model_validate(
        metrics.report(database, caller, start=period[0], end=period[1])
    )
