"""Users, API keys, groups, collections and grants, the audit chain, conversations, document versions.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _created() -> sa.Column[object]:
    return sa.Column("created", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    """Create every table, and the readable-by-all `public` collection."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        _created(),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        _created(),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        _created(),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    )
    collections = op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        _created(),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True),
        sa.Column("can_write", sa.Boolean, nullable=False),
        sa.CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="grant_user_xor_group"),
        sa.UniqueConstraint("collection_id", "user_id", "group_id", name="grant_once"),
    )
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("time", sa.String(40), nullable=False, index=True),
        sa.Column("conversation_id", sa.String(64), nullable=True, index=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user", sa.String(128), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        _created(),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        _created(),
        sa.UniqueConstraint("conversation_id", "position", name="turn_position"),
    )
    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.String(512), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("file_sha", sa.String(64), nullable=False),
        _created(),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.UniqueConstraint("document_id", "version", name="document_version_once"),
    )
    op.bulk_insert(collections, [{"name": "public", "created": datetime.now(UTC)}])


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "document_versions",
        "turns",
        "conversations",
        "audit_records",
        "grants",
        "collections",
        "group_members",
        "groups",
        "api_keys",
        "users",
    ):
        op.drop_table(table)
