"""``GET /health``: is the service up and its database reachable."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from medpolicy.service.api.deps import DatabaseDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(database: DatabaseDep) -> dict[str, str]:
    """``{"status": "ok"}`` when a trivial query succeeds."""
    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "database": database.engine.dialect.name}
