"""Feedback (thumbs up/down on answers) in the app's database instead of its own SQLite file.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the feedback table: one row per rated answer (answer_id unique when given)."""
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("citations", sa.Text, nullable=False),
        sa.Column("backend", sa.String(40), nullable=False),
        sa.Column("filters", sa.Text, nullable=False),
        sa.Column("refused", sa.Boolean, nullable=False),
        sa.Column("answer_id", sa.String(128), nullable=True, unique=True),
        sa.Column("user", sa.String(128), nullable=True, index=True),
    )


def downgrade() -> None:
    """Drop the feedback table (its rows go with it)."""
    op.drop_table("feedback")
