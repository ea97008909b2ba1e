"""Who is asking: the signed-in user, their role and the collections they may read and write.

The contract between the accounts store (which builds a Principal from users, groups and grants), the
access middleware (which puts one on each request) and everything that filters documents (retrieval,
listing, file serving, comparisons, the LangChain retriever). `readable`/`writable` of None mean "every
collection": the single-user default with no accounts, and admins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "editor", "reader")
PUBLIC_COLLECTION = "public"
"""The collection the shipped corpus and files ingested without a named collection belong to."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A user as the rest of the app sees them; immutable, cheap to pass around."""

    name: str
    role: str = "reader"
    groups: frozenset[str] = field(default_factory=frozenset)
    readable: frozenset[str] | None = None
    writable: frozenset[str] | None = None

    def can_read(self, collection: str) -> bool:
        """Whether documents of `collection` may be searched, listed, cited or served to this user."""
        return self.readable is None or collection in self.readable

    def can_write(self, collection: str) -> bool:
        """Whether this user may upload into, delete from or restore versions in `collection`."""
        if self.role == "reader":
            return False
        return self.writable is None or collection in self.writable

    @property
    def is_admin(self) -> bool:
        """Admins manage users, collections and grants."""
        return self.role == "admin"


LOCAL = Principal("local", "admin")
"""Whoever uses the app when no accounts exist (loopback, single user): sees and may change everything."""
