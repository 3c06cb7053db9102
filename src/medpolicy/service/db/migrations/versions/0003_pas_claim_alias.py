"""PAS Claim Update identifiers, so that an inquiry may name the update instead of the original.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the alias table."""
    op.create_table(
        "pas_claim_alias",
        sa.Column("org", sa.String(200), primary_key=True),
        sa.Column("alias_sha256", sa.String(64), primary_key=True),
        sa.Column("claim_key", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("pas_claim_alias")
