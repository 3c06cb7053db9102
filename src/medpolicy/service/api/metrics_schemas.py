"""The shape of ``GET /v1/metrics``, so the OpenAPI document names every figure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PriorityFigures(BaseModel):
    """The CMS-0057-F figures for one priority (standard or expedited) over the period."""

    decided: int = Field(description="Requests decided in the period")
    approved: int
    approved_percent: float | None = Field(description="Share of decided; null when none")
    denied: int = Field(description="Denied, partial approvals included")
    denied_percent: float | None
    partially_approved: int
    approved_after_extension: int
    approved_after_extension_percent: float | None
    average_hours_to_decision: float | None = Field(description="From receipt to decision")
    median_hours_to_decision: float | None


class MetricsReport(BaseModel):
    """Figures for decisions made in ``[from, to)``, standard and expedited apart."""

    model_config = ConfigDict(populate_by_name=True)

    start: str = Field(alias="from", description="Start of the period (UTC, inclusive)")
    end: str = Field(alias="to", description="End of the period (UTC, exclusive)")
    standard: PriorityFigures
    expedited: PriorityFigures
