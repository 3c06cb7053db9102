"""On PostgreSQL the service connects as a role that owns nothing; migrations run as the owner.

That role cannot disable the audit log's triggers (which takes ownership), cannot change or
remove audit entries, and cannot create or drop tables; the service still does all its work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from medpolicy.service.api.app import create_app
from medpolicy.service.config import ServiceSettings
from medpolicy.service.principal import SYSTEM
from medpolicy.service.tokens import TokenDesk
from tests.service.samples import dli_request

pytestmark = pytest.mark.postgres


@pytest.fixture
def service_url(postgres_url: str) -> Iterator[str]:
    """A login role with no privileges of its own, and its URL to the test database."""
    role = f"medpolicy_svc_{uuid.uuid4().hex[:8]}"
    owner = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    finally:
        with owner.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("ALTER TABLE audit_log DISABLE TRIGGER USER", "must be owner"),
        ("DELETE FROM audit_log", "permission denied"),
        ("UPDATE audit_log SET action = 'x'", "permission denied"),
        ("TRUNCATE audit_log", "permission denied"),
        ("DELETE FROM cases", "permission denied"),
        ("DROP TABLE case_events", "must be owner"),
        ("CREATE TABLE stash (x int)", "permission denied"),
    ],
)
def test_the_service_role_works_but_cannot_rewrite_history(
    postgres_url: str, service_url: str, tmp_path: Path, statement: str, refusal: str
) -> None:
    settings = ServiceSettings(
        database_url=service_url, migration_database_url=postgres_url, data_dir=tmp_path
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        issued = TokenDesk(app.state.database, app.state.clock).issue(
            SYSTEM, role="provider", org="hope-oncology", name="t"
        )
        answer = client.post(
            "/v1/cases",
            json={"request": dli_request(), "priority": "standard"},
            headers={"Authorization": f"Bearer {issued.secret}", "Idempotency-Key": "role-1"},
        )
        assert answer.status_code == 201, answer.text
    service = create_engine(service_url)
    try:
        with pytest.raises(ProgrammingError, match=refusal), service.begin() as connection:
            connection.execute(text(statement))
    finally:
        service.dispose()
