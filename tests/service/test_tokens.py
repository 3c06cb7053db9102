"""``medpolicy token create``: a token on standard output, only its hash in the database."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from medpolicy.service.cli import main
from medpolicy.service.db import migrate
from medpolicy.service.db.database import Database


@pytest.fixture
def database(database: Database) -> Database:
    """The test database, created as ``medpolicy serve`` creates it on its first start."""
    migrate.upgrade(database)
    return database


def test_token_create_prints_a_token_that_works_and_stores_only_its_hash(
    client: TestClient, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["token", "create", "--role", "nurse", "--name", "Ann", "--database-url", database.url]
    )
    assert code == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("mp_")
    assert "\n" not in token
    response = client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_tokens")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_a_provider_token_needs_an_organization(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["token", "create", "--role", "provider", "--database-url", database.url])
    assert code == 2
    assert "org" in capsys.readouterr().err


def test_tokens_can_be_listed_and_revoked(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token", "create", "--role", "provider", "--org", "acme", "--database-url", database.url])
    capsys.readouterr()
    main(["token", "list", "--database-url", database.url])
    line = capsys.readouterr().out.strip()
    token_id, role, org, _name, state = line.split("\t")
    assert (role, org, state) == ("provider", "acme", "active")
    assert main(["token", "revoke", token_id, "--database-url", database.url]) == 0
    main(["token", "list", "--database-url", database.url])
    assert "revoked" in capsys.readouterr().out


def test_admins_issue_tokens_over_the_api(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    response = client.post(
        "/v1/tokens", json={"role": "provider", "org": "acme"}, headers=headers["admin"]
    )
    assert response.status_code == 201
    listed = client.get("/v1/tokens", headers=headers["admin"]).json()
    assert response.json()["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    missing_org = client.post("/v1/tokens", json={"role": "provider"}, headers=headers["admin"])
    assert missing_org.status_code == 422
    assert missing_org.json()["error"]["field"] == "org"
