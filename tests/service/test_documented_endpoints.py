"""What the issue names is both there and documented: fields in the OpenAPI document, and
``POST /v1/determinations`` leaving no trace in any table."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry, Case, CaseEvent, CaseVersion

from .samples import adverse_request, pending_request

Headers = dict[str, dict[str, str]]
FIGURES = {
    "decided",
    "approved",
    "approved_percent",
    "denied",
    "denied_percent",
    "approved_after_extension",
    "average_hours_to_decision",
    "median_hours_to_decision",
}


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` inside the document."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def response_schema(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    content = document["paths"][path][method]["responses"][status]["content"]
    return resolve(document, content["application/json"]["schema"])


def test_the_metrics_figures_are_documented_for_both_priorities(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    report = response_schema(document, "/v1/metrics", "get", "200")
    assert {"from", "to", "standard", "expedited"} <= set(report["properties"])
    for priority in ("standard", "expedited"):
        figures = resolve(document, report["properties"][priority])
        assert set(figures["properties"]) >= FIGURES, priority


def test_a_submitted_case_is_documented_with_the_fields_the_issue_names(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    case = response_schema(document, "/v1/cases", "post", "201")
    fields = {"id", "status", "priority", "received_at", "due_at", "determination", "versions"}
    assert fields <= set(case["properties"])
    headers = document["paths"]["/v1/cases"]["post"]["parameters"]
    assert "Idempotency-Key" in [p["name"] for p in headers]


def test_metrics_answer_in_the_documented_shape(client: TestClient, headers: Headers) -> None:
    body = client.get("/v1/metrics?from=2026-01-01&to=2027-01-01", headers=headers["nurse"]).json()
    assert body["from"] == "2026-01-01T00:00:00+00:00"
    assert body["to"] == "2027-01-01T00:00:00+00:00"
    assert set(body["standard"]) >= FIGURES


def row_counts(database: Database) -> list[int]:
    with database.transaction() as session:
        return [
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Case, CaseVersion, CaseEvent, AuditEntry)
        ]


def test_determinations_write_nothing_anywhere(
    client: TestClient, headers: Headers, database: Database
) -> None:
    client.post(
        "/v1/cases",
        json={"request": pending_request(), "priority": "standard"},
        headers=headers["provider"],
    )
    before = row_counts(database)
    for request in (pending_request(), adverse_request()):
        for role in ("provider", "nurse", "physician"):
            response = client.post("/v1/determinations", json=request, headers=headers[role])
            assert response.status_code == 200, response.text
    assert row_counts(database) == before
