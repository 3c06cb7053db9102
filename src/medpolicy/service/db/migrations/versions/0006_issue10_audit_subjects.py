"""An audit entry may name the cases an action on many concerns (a queue listing's ids).

Revision ID: 0006_issue10
Revises: 0005_issue10
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_issue10"
down_revision = "0005_issue10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the subjects column."""
    op.add_column("audit_log", sa.Column("subjects", sa.JSON()))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("subjects")
