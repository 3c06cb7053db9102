"""The reviewer workbench: case assignment and service code, sessions, stored letters.

- ``cases.assigned_to`` / ``assigned_at``: the reviewer (token id) working the case.
- ``cases.service_code``: the requested service, copied from the submission so the queue
  can filter on it without reading every request; filled in here for existing cases.
- ``web_sessions``: server-side sessions of the workbench, keyed by the SHA-256 of the
  cookie's secret (a copy of the table opens no session).
- ``case_letters``: the PDF letters sent for a case. Like the audit log they refuse UPDATE
  and DELETE by trigger: a letter that went out is never rewritten.

Revision ID: 0005_issue11
Revises: 0004_issue10
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medpolicy.service.db.models import UTCDateTime

revision = "0005_issue11"
down_revision = "0004_issue10"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER case_letters_no_update BEFORE UPDATE ON case_letters
       BEGIN SELECT RAISE(ABORT, 'case_letters are immutable'); END""",
    """CREATE TRIGGER case_letters_no_delete BEFORE DELETE ON case_letters
       BEGIN SELECT RAISE(ABORT, 'case_letters are immutable'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION case_letters_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'case_letters are immutable'; END $$""",
    """CREATE TRIGGER case_letters_no_change BEFORE UPDATE OR DELETE ON case_letters
       FOR EACH ROW EXECUTE FUNCTION case_letters_immutable()""",
    """CREATE TRIGGER case_letters_no_truncate BEFORE TRUNCATE ON case_letters
       FOR EACH STATEMENT EXECUTE FUNCTION case_letters_immutable()""",
]


def upgrade() -> None:
    """Add the columns and tables, fill in service codes, guard the letters."""
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("assigned_to", sa.String(36), nullable=True))
        batch.add_column(sa.Column("assigned_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("service_code", sa.String(20), nullable=True))
        batch.create_index("ix_cases_assigned_to", ["assigned_to"])
        batch.create_index("ix_cases_service_code", ["service_code"])
    _fill_service_codes()
    op.create_table(
        "web_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(36), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "case_letters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("actor_token_id", sa.String(36), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_case_letters_case_id", "case_letters", ["case_id"])
    is_postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if is_postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def _fill_service_codes() -> None:
    connection = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.String), sa.column("version", sa.Integer),
                     sa.column("service_code", sa.String))  # fmt: skip
    versions = sa.table("case_versions", sa.column("case_id", sa.String),
                        sa.column("number", sa.Integer), sa.column("request", sa.JSON))  # fmt: skip
    rows = connection.execute(
        sa.select(versions.c.case_id, versions.c.request).join(
            cases, sa.and_(cases.c.id == versions.c.case_id, cases.c.version == versions.c.number)
        )
    )
    for case_id, request in rows.all():
        code = str(((request or {}).get("service") or {}).get("code") or "")[:20] or None
        connection.execute(cases.update().where(cases.c.id == case_id).values(service_code=code))


def downgrade() -> None:
    """Drop what was added."""
    op.drop_table("case_letters")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS case_letters_immutable()")
    op.drop_table("web_sessions")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_service_code")
        batch.drop_index("ix_cases_assigned_to")
        batch.drop_column("service_code")
        batch.drop_column("assigned_at")
        batch.drop_column("assigned_to")
