"""The migration history and the table models describe the same schema.

If a table, column, index or constraint is declared in ``service/db/models.py`` but no
migration creates it (or the other way round), Alembic's autogenerate would propose a
change; a fresh database migrated to head must leave it nothing to propose.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from medpolicy.service.db import migrate
from medpolicy.service.db.database import Database
from medpolicy.service.db.models import Base


def test_a_database_migrated_to_head_matches_every_table_model(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate.upgrade(database)
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        database.dispose()
    assert differences == []


def test_the_da_vinci_tables_are_part_of_the_one_schema() -> None:
    assert {"crd_seen_jti", "crd_feedback", "pas_claim_alias"} <= set(Base.metadata.tables)


def test_the_migration_history_has_one_head() -> None:
    script = ScriptDirectory(str(migrate.MIGRATIONS_DIR))
    assert len(script.get_heads()) == 1
