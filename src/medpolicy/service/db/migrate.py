"""Apply the packaged Alembic migrations; the service calls this at start.

On PostgreSQL the migrations may run as the database owner (``MEDPOLICY_MIGRATION_DATABASE_URL``)
while the service connects as a role that owns nothing (``MEDPOLICY_DATABASE_URL``):
``grant_service_role`` then gives that role what the service does and nothing more. It can
read and add rows, update the tables whose rows change, delete only expired CDS Hooks JWT
ids, and never update, delete or truncate the audit log, nor disable its triggers (which
takes ownership).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from medpolicy.service.db.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
APPEND_ONLY = frozenset({"audit_log", "alembic_version", "case_letters"})
"""Tables the service role may read and add to but never change."""
DELETABLE = frozenset({"crd_seen_jti", "web_sessions"})
"""Tables the service role may delete from (expired JWT ids are purged; workbench sessions
end at sign-out, idle logoff or revocation)."""


def alembic_config(database: Database) -> Config:
    """An Alembic configuration that needs no ``alembic.ini`` on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision, in one transaction."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upgrade_as_owner(owner_url: str, service_url: str) -> None:
    """Migrate as the owner, then grant the service's role (the user of ``service_url``)."""
    owner = Database(owner_url)
    try:
        upgrade(owner)
        role = make_url(service_url).username
        if role and role != make_url(owner_url).username:
            grant_service_role(owner, role)
    finally:
        owner.dispose()


def grant_service_role(owner: Database, role: str) -> None:
    """Give ``role`` exactly the privileges the service uses on every table of the schema."""
    with owner.engine.begin() as connection:
        quoted = connection.dialect.identifier_preparer.quote(role)
        tables = inspect(connection).get_table_names()
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        connection.execute(
            text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        )
        for table in tables:
            name = connection.dialect.identifier_preparer.quote(table)
            privileges = ["SELECT", "INSERT"]
            if table not in APPEND_ONLY:
                privileges.append("UPDATE")
            if table in DELETABLE:
                privileges.append("DELETE")
            connection.execute(text(f"REVOKE ALL ON {name} FROM {quoted}"))
            connection.execute(text(f"GRANT {', '.join(privileges)} ON {name} TO {quoted}"))
