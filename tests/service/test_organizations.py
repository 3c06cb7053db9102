"""A provider sees and changes only its own organization's cases, by every route there is."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry

from .conftest import TokenFactory
from .samples import adverse_request, pending_request

Headers = dict[str, dict[str, str]]
DENIAL = {"rationale": "The cells would come from a new donor.", "criteria": ["dli.2"]}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/cases/{}", None, 404),
        ("POST", "/v1/cases/{}/information", {"facts": {"cell_source": "original_donor"}}, 404),
        ("POST", "/v1/cases/{}/decision", {"decision": "approve"}, 403),
        ("POST", "/v1/cases/{}/decision", {"decision": "deny", **DENIAL}, 403),
        ("POST", "/v1/cases/{}/extension", {"reason": "Records pending."}, 403),
    ],
)
def test_another_organizations_case_can_be_neither_read_nor_changed(  # noqa: PLR0917
    client: TestClient,
    headers: Headers,
    make_token: TokenFactory,
    database: Database,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    intruder = make_token("provider", org="other-clinic")
    case = client.post(
        "/v1/cases",
        json={"request": adverse_request(), "priority": "standard"},
        headers=headers["provider"],
    ).json()
    before = client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()
    response = client.request(method, path.format(case["id"]), json=body, headers=intruder)
    assert response.status_code == status, response.text
    assert case["request"]["member"]["id"] not in response.text
    after = client.get(f"/v1/cases/{case['id']}", headers=headers["nurse"]).json()
    assert after == before
    with database.transaction() as session:
        roles = session.scalars(
            select(AuditEntry.actor_role).where(AuditEntry.case_id == case["id"])
        ).all()
    assert roles.count("provider") == 1  # the submission only; the intruder touched nothing


def test_the_queue_lists_only_the_callers_organization(
    client: TestClient, headers: Headers, make_token: TokenFactory
) -> None:
    other = make_token("provider", org="other-clinic")
    mine = client.post(
        "/v1/cases",
        json={"request": pending_request(), "priority": "standard"},
        headers=headers["provider"],
    ).json()
    client.post(
        "/v1/cases", json={"request": pending_request(), "priority": "standard"}, headers=other
    )
    for query in ("", "?overdue=false", "?status=pending_information", "?priority=standard"):
        items = client.get(f"/v1/cases{query}", headers=headers["provider"]).json()["items"]
        assert [c["id"] for c in items] == [mine["id"]], query
    assert len(client.get("/v1/cases", headers=headers["nurse"]).json()["items"]) == 2
