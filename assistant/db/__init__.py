"""The app's database (SQLAlchemy 2): accounts, grants, the audit chain, conversations, document versions, feedback.

SQLite at `<data_dir>/assistant.db` by default; PostgreSQL when ASSISTANT_DATABASE_URL names one. Opening it
runs the Alembic migrations in `migrations/versions/` up to the newest.
"""

from assistant.db.engine import Database, database_url
from assistant.db.models import (
    ApiKey,
    AuditRecord,
    Base,
    Collection,
    Conversation,
    DocumentVersion,
    Feedback,
    Grant,
    Group,
    GroupMember,
    Turn,
    User,
)

__all__ = [
    "ApiKey",
    "AuditRecord",
    "Base",
    "Collection",
    "Conversation",
    "Database",
    "DocumentVersion",
    "Feedback",
    "Grant",
    "Group",
    "GroupMember",
    "Turn",
    "User",
    "database_url",
]
