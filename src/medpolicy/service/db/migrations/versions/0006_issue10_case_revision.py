"""Cases carry a revision, raised by every change: the ETag that If-Match must name.

Rows from before are left NULL and read as revision 1, so their audited digests still hold.

Revision ID: 0006_issue10
Revises: 0005_issue11
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_issue10"
down_revision = "0005_issue11"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the revision column."""
    op.add_column("cases", sa.Column("revision", sa.Integer()))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("revision")
