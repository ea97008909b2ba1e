"""Leases: the library's one writer across servers, and which servers are alive.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the leases table: one row per held lease, with its owner and when it was last renewed."""
    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("renewed", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the leases table."""
    op.drop_table("leases")
