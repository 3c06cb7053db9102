"""The attack suite runs on the service tests' fixtures: a real app on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.service.conftest import (  # noqa: F401 - fixtures
    client,
    clock,
    database,
    database_url,
    headers,
    make_token,
    postgres_url,
    sqlite_url,
)
