"""An audit entry may name what it concerns beyond one case (a queue listing's ids, a
token's role and organization); tokens expire and may await a second admin's approval.

Revision ID: 0007_issue10
Revises: 0006_issue10
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medpolicy.service.db.models import UTCDateTime

revision = "0007_issue10"
down_revision = "0006_issue10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns."""
    op.add_column("audit_log", sa.Column("subjects", sa.JSON()))
    op.add_column("api_tokens", sa.Column("expires_at", UTCDateTime()))
    op.add_column("api_tokens", sa.Column("requested_by", sa.String(36)))
    op.add_column("api_tokens", sa.Column("approved_by", sa.String(36)))
    op.add_column("api_tokens", sa.Column("approved_at", UTCDateTime()))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("subjects")
    with op.batch_alter_table("api_tokens") as batch:
        for column in ("expires_at", "requested_by", "approved_by", "approved_at"):
            batch.drop_column(column)
