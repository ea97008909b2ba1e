"""The tables: users, API keys, groups, collections and grants, the audit chain, conversations, document versions,
feedback.

Times are stored in UTC; `UTCDateTime` gives them back timezone-aware on SQLite too (which keeps no zone).
The schema itself is made by the Alembic migrations in `assistant/db/migrations/versions/`, not by
`create_all`: a change here needs a new migration there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back timezone-aware, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware times are converted to UTC; naive ones are taken to be UTC already."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """SQLite gives naive times back: they are UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class User(Base):
    """An account: a name, an argon2 password hash, a role (admin, editor, reader)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="owner", cascade="all, delete-orphan")
    groups: Mapped[list[Group]] = relationship(secondary="group_members", back_populates="members")


class ApiKey(Base):
    """A personal API key, held only as the hex SHA-256 of the key; `last4` lets its owner tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    last4: Mapped[str] = mapped_column(String(4))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    owner: Mapped[User] = relationship(back_populates="keys")


class Group(Base):
    """A named set of users; grants to a group hold for each member."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    members: Mapped[list[User]] = relationship(secondary="group_members", back_populates="groups")


class GroupMember(Base):
    """Membership of one user in one group."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Collection(Base):
    """A named set of documents; who may read or write it is in `grants`."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    grants: Mapped[list[Grant]] = relationship(back_populates="collection", cascade="all, delete-orphan")


class Grant(Base):
    """One user or one group may read (and, with `can_write`, change) one collection."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="grant_user_xor_group"),
        UniqueConstraint("collection_id", "user_id", "group_id", name="grant_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)

    collection: Mapped[Collection] = relationship(back_populates="grants")
    user: Mapped[User | None] = relationship()
    group: Mapped[Group | None] = relationship()


class AuditRecord(Base):
    """One link of the audit chain; `hash` is SHA-256 over the canonical JSON of the other fields and `prev_hash`.

    `seq` is given by the appender (the last seq + 1, under the append lock), never by the database, so that a
    gap shows a deletion. `payload` is canonical JSON text (what was asked, answered and cited).
    """

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    user: Mapped[str] = mapped_column(String(128))
    time: Mapped[str] = mapped_column(String(40), index=True)
    """ISO 8601 UTC with microseconds, as hashed (a string, so that no database rounds it)."""
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Conversation(Base):
    """A user's saved conversation; its title is its first question."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[str] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)

    turns: Mapped[list[Turn]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Turn.position"
    )


class Turn(Base):
    """One question and its answer in a conversation; `sources` is the citations as JSON."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("conversation_id", "position", name="turn_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text, default="[]")
    mode: Mapped[str] = mapped_column(String(20), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    conversation: Mapped[Conversation] = relationship(back_populates="turns")


class DocumentVersion(Base):
    """One version of a library document (its source name); exactly one version per document is current."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version", name="document_version_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(512), index=True)
    version: Mapped[int] = mapped_column(Integer)
    file_sha: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class Feedback(Base):
    """A thumbs up/down on one answer, with the answer it rates; `citations` and `filters` are JSON text.

    `answer_id` is unique when given (one row per rated answer; rows imported from before answer ids have
    none). `user` is who rated, when the caller knew it.
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[str] = mapped_column(String(40))
    """ISO 8601 text, as the CSV export gives it (rows imported from the old SQLite file keep theirs)."""
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[str] = mapped_column(Text, default="[]")
    backend: Mapped[str] = mapped_column(String(40), default="")
    filters: Mapped[str] = mapped_column(Text, default="{}")
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    answer_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    user: Mapped[str | None] = mapped_column(String(128), index=True)


class Lease(Base):
    """A named lease a process holds while it renews it: the library's one writer, or a server being alive.

    A row whose `renewed` is older than the lease's time to live belongs to a process that died; another may
    take it over (`assistant/leases.py`).
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    renewed: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
