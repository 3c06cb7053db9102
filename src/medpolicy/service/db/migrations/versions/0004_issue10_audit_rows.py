"""Audit entries carry the digests of the rows their change wrote, and are keyed by HMAC.

Entries written before this revision were chained with plain SHA-256 and carry no row
digests; ``audit verify`` reports them as altered, since nothing distinguishes them from a
forgery. A database from before it starts a verifiable log only when created afresh.

Revision ID: 0004_issue10
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_issue10"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the row digests column."""
    op.add_column("audit_log", sa.Column("rows", sa.JSON()))


def downgrade() -> None:
    """Drop it."""
    op.drop_column("audit_log", "rows")
