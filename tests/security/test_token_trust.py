"""Tokens: they expire, clinical tokens an admin asks for need a second admin, the audit
names each token's role and organization, and guessing tokens gets an address throttled."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from medpolicy.service.api.app import create_app
from medpolicy.service.cli import main
from medpolicy.service.clock import FixedClock
from medpolicy.service.config import ServiceSettings
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import AuditEntry
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

Headers = dict[str, dict[str, str]]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_stops_working_when_it_expires(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    issued = TokenDesk(database, clock).issue(SYSTEM, role="nurse", org=None, name="n")
    assert issued.expires_at == clock.now() + timedelta(days=90)
    assert client.get("/v1/cases", headers=bearer(issued.secret)).status_code == 200
    clock.at += timedelta(days=90)
    assert client.get("/v1/cases", headers=bearer(issued.secret)).status_code == 401


def test_an_admin_cannot_mint_a_physician_alone(
    client: TestClient, headers: Headers, make_token: object, database: Database
) -> None:
    second_admin = make_token("admin")  # type: ignore[operator]
    asked = client.post(
        "/v1/tokens",
        json={"role": "physician", "name": "Dr. B", "expires_in_days": 30},
        headers=headers["admin"],
    )
    assert asked.status_code == 201, asked.text
    token = asked.json()
    assert token["awaiting_approval"] is True
    physician = bearer(token["token"])
    assert client.get("/v1/cases", headers=physician).status_code == 401
    own = client.post(f"/v1/tokens/{token['id']}/approval", headers=headers["admin"])
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "second_admin_required"
    approved = client.post(f"/v1/tokens/{token['id']}/approval", headers=second_admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["awaiting_approval"] is False
    assert client.get("/v1/cases", headers=physician).status_code == 200


def test_the_server_command_line_can_approve(
    client: TestClient, headers: Headers, database: Database
) -> None:
    token = client.post("/v1/tokens", json={"role": "nurse"}, headers=headers["admin"]).json()
    assert main(["token", "approve", token["id"], "--database-url", database.url]) == 0
    assert client.get("/v1/cases", headers=bearer(token["token"])).status_code == 200


def test_a_provider_token_needs_no_second_admin(client: TestClient, headers: Headers) -> None:
    token = client.post(
        "/v1/tokens", json={"role": "provider", "org": "hope-oncology"}, headers=headers["admin"]
    ).json()
    assert token["awaiting_approval"] is False
    assert client.get("/v1/cases", headers=bearer(token["token"])).status_code == 200


def test_token_audit_entries_name_role_and_org(
    client: TestClient, headers: Headers, database: Database
) -> None:
    token = client.post(
        "/v1/tokens", json={"role": "provider", "org": "north-clinic"}, headers=headers["admin"]
    ).json()
    client.delete(f"/v1/tokens/{token['id']}", headers=headers["admin"])
    with database.transaction() as session:
        named = [
            (e.action, e.subjects)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
            if e.subjects and f"token={token['id']}" in e.subjects
        ]
    expected = [f"token={token['id']}", "role=provider", "org=north-clinic"]
    assert named == [("token.create", expected), ("token.revoke", expected)]


def test_failed_logins_from_one_address_are_throttled(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path, auth_failures_per_minute=3)
    app = create_app(settings)
    good = TokenDesk(app.state.database, app.state.clock).issue(
        SYSTEM, role="nurse", org=None, name="n"
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        statuses = [
            client.get("/v1/cases", headers=bearer(f"mp_guess{i}")).status_code for i in range(4)
        ]
        after = client.get("/v1/cases", headers=bearer(good.secret))
        public = client.get("/v1/policies")
    assert statuses == [401, 401, 401, 429]
    assert after.status_code == 429
    assert after.headers["Retry-After"] == "60"
    assert public.status_code == 200


@pytest.mark.parametrize("path", ["/v1/cases", "/fhir/Claim/$inquire"])
def test_the_refusal_says_expired_or_revoked(client: TestClient, path: str) -> None:
    response = client.post(path, json={}, headers=bearer("mp_unknown"))
    assert response.status_code == 401
