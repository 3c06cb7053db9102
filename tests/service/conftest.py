"""Fixtures for the service tests: real SQLite files, real PostgreSQL databases, an app.

PostgreSQL tests need the server that ``.ci/services/postgres.sh`` starts, found through
``MEDPOLICY_TEST_POSTGRES_URL``. Without it they are skipped, unless
``MEDPOLICY_REQUIRE_SERVICES=1`` (CI), where a missing server fails them loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from medpolicy.service.api.app import create_app
from medpolicy.service.clock import FixedClock
from medpolicy.service.db.database import Database
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk

from .server import fresh_idempotency_key

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROLES = ("provider", "nurse", "physician", "admin")


def postgres_server_url() -> str:
    """The test server's URL, or skip (fail in CI) when there is none."""
    url = os.environ.get("MEDPOLICY_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("MEDPOLICY_REQUIRE_SERVICES") == "1":
        pytest.fail("MEDPOLICY_REQUIRE_SERVICES=1 but MEDPOLICY_TEST_POSTGRES_URL is not set")
    pytest.skip("no PostgreSQL test server (set MEDPOLICY_TEST_POSTGRES_URL)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    server = make_url(postgres_server_url())
    name = f"medpolicy_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'medpolicy.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses this runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at Monday 2 March 2026, 09:00 UTC."""
    return FixedClock(START)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The service database, connected (migrations run when the app is made)."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def client(database: Database, clock: FixedClock) -> Iterator[TestClient]:
    """The API in process, on the test database and clock."""
    app = create_app(database=database, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.event_hooks["request"].append(fresh_idempotency_key)
        yield test_client


@pytest.fixture
def bare_client(client: TestClient) -> Iterator[TestClient]:
    """The same API with requests sent exactly as written (no Idempotency-Key added)."""
    with TestClient(client.app, raise_server_exceptions=False) as test_client:
        yield test_client


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def make_token(client: TestClient, database: Database, clock: FixedClock) -> TokenFactory:
    """Issue a token and give back the Authorization header that carries it."""

    def factory(role: str, org: str | None = None) -> dict[str, str]:
        if role == "provider" and org is None:
            org = "hope-oncology"
        issued = TokenDesk(database, clock).issue(SYSTEM, role=role, org=org, name=f"t-{role}")
        return {"Authorization": f"Bearer {issued.secret}"}

    return factory


@pytest.fixture
def headers(make_token: TokenFactory) -> dict[str, dict[str, str]]:
    """One Authorization header per role (the provider belongs to hope-oncology)."""
    return {role: make_token(role) for role in ROLES}
