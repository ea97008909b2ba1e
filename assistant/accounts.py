"""Accounts kept by the app: users and roles, personal API keys, groups, collections and who may read or write them.

Passwords are stored as argon2id hashes (argon2-cffi). Personal API keys are random (256 bits) and shown once;
only their SHA-256 is kept (a key that random needs no slow hash). `principal_for(name)` turns a user, their
groups and the grants into the `Principal` the rest of the app filters with. Every change is recorded in the
audit trail as a `permission` record naming who made it (`by`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.audit import AuditTrail
from assistant.db import ApiKey, Collection, Database, Grant, Group, User
from assistant.errors import AssistantError
from assistant.principal import PUBLIC_COLLECTION, ROLES, Principal

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
COLLECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
KEY_PREFIX = "cmo_"
RESERVED_NAMES = frozenset({"local", "api-key"})
"""Names the app gives requests that are not a stored user (the open single-user mode, settings keys)."""


class AccountError(AssistantError):
    """An account, group, collection or grant cannot be changed as asked."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as listed: no password hash."""

    name: str
    role: str
    disabled: bool
    created: datetime
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A personal API key as listed: its id, label, last four characters and creation time; never the key."""

    id: int
    owner: str
    label: str
    last4: str
    created: datetime


@dataclass(frozen=True, slots=True)
class GrantInfo:
    """Who may read (and with `write`, change) a collection: `user` or `group` is set."""

    collection: str
    user: str | None
    group: str | None
    write: bool

    @property
    def holder(self) -> str:
        """The grant holder as text: user NAME or group NAME."""
        return f"user {self.user}" if self.user is not None else f"group {self.group}"


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """A collection and its grants."""

    name: str
    created: datetime
    grants: tuple[GrantInfo, ...]


def key_digest(key: str) -> str:
    """Hex SHA-256 of an API key: the only form in which it is stored."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class Accounts:
    """Users, keys, groups, collections and grants in one database."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    # --- users ---

    def add_user(self, name: str, password: str, role: str = "reader", *, by: str = "cli") -> UserInfo:
        """Create an account; AccountError when the name is taken or invalid, the role unknown, the password short."""
        _check_name(name, "user")
        if name in RESERVED_NAMES:
            raise AccountError(f"the user name {name!r} is reserved.", "Choose another name.")
        _check_role(role)
        hashed = self.hasher.hash(_checked_password(password))
        try:
            with self.db.session() as session:
                user = User(name=name, password_hash=hashed, role=role, disabled=False)
                session.add(user)
                session.flush()
                info = _user_info(user, ())
        except IntegrityError as exc:
            raise AccountError(f"a user named {name!r} exists already.", "Choose another name.") from exc
        self._audit(by, "user_added", user=name, role=role)
        return info

    def users(self) -> list[UserInfo]:
        """Every user, by name, with their groups."""
        with self.db.session() as session:
            users = session.scalars(select(User).order_by(User.name)).all()
            return [_user_info(u, tuple(sorted(g.name for g in u.groups))) for u in users]

    def user(self, name: str) -> UserInfo | None:
        """One user, or None."""
        with self.db.session() as session:
            user = _find_user(session, name)
            return None if user is None else _user_info(user, tuple(sorted(g.name for g in user.groups)))

    def has_users(self) -> bool:
        """Whether any account exists (then the app asks everyone to sign in)."""
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(User)) != 0

    def set_disabled(self, name: str, disabled: bool = True, *, by: str = "cli") -> None:
        """Disable (or enable again) a user: their password, sessions and keys stop working."""
        with self.db.session() as session:
            _user(session, name).disabled = disabled
        self._audit(by, "user_disabled" if disabled else "user_enabled", user=name)

    def set_role(self, name: str, role: str, *, by: str = "cli") -> None:
        """Change a user's role."""
        _check_role(role)
        with self.db.session() as session:
            _user(session, name).role = role
        self._audit(by, "role_changed", user=name, role=role)

    def reset_password(self, name: str, password: str, *, by: str = "cli") -> None:
        """Set a new password for a user."""
        hashed = self.hasher.hash(_checked_password(password))
        with self.db.session() as session:
            _user(session, name).password_hash = hashed
        self._audit(by, "password_reset", user=name)

    def authenticate(self, name: str, password: str) -> UserInfo | None:
        """The user when the name and password are right and the account is enabled, else None.

        An unknown name costs the same argon2 verification as a known one, so timing does not tell names apart.
        """
        with self.db.session() as session:
            user = _find_user(session, name) if NAME.match(name) else None
            stored = user.password_hash if user is not None else self._dummy()
            try:
                self.hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if user is None or user.disabled:
                return None
            if self.hasher.check_needs_rehash(stored):
                user.password_hash = self.hasher.hash(password)
            return _user_info(user, tuple(sorted(g.name for g in user.groups)))

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    # --- personal API keys ---

    def create_key(self, name: str, label: str = "", *, by: str = "cli") -> str:
        """A new personal API key for a user; the key itself is returned once and never stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.session() as session:
            user = _user(session, name)
            session.add(ApiKey(owner=user, digest=key_digest(key), label=label[:100], last4=key[-4:]))
        self._audit(by, "key_created", user=name, label=label[:100], last4=key[-4:])
        return key

    def keys(self, name: str) -> list[KeyInfo]:
        """A user's keys (id, label, last four characters), oldest first."""
        with self.db.session() as session:
            user = _user(session, name)
            return [KeyInfo(k.id, name, k.label, k.last4, k.created) for k in sorted(user.keys, key=lambda k: k.id)]

    def revoke_key(self, name: str, key_id: int, *, by: str = "cli") -> None:
        """Delete one of a user's keys by its id (`users key NAME --list` shows the ids)."""
        with self.db.session() as session:
            user = _user(session, name)
            key = next((k for k in user.keys if k.id == key_id), None)
            if key is None:
                raise AccountError(
                    f"{name} has no key {key_id}.", f"List them: python -m assistant users key {name} --list"
                )
            session.delete(key)
        self._audit(by, "key_revoked", user=name, key_id=key_id)

    def user_for_key(self, key: str) -> UserInfo | None:
        """The enabled user a personal key belongs to, or None."""
        if not key.startswith(KEY_PREFIX):
            return None
        with self.db.session() as session:
            user = session.scalar(select(User).join(ApiKey).where(ApiKey.digest == key_digest(key)))
            if user is None or user.disabled:
                return None
            return _user_info(user, tuple(sorted(g.name for g in user.groups)))

    # --- groups ---

    def add_group(self, name: str, *, by: str = "cli") -> None:
        """Create a group."""
        _check_name(name, "group")
        try:
            with self.db.session() as session:
                session.add(Group(name=name))
        except IntegrityError as exc:
            raise AccountError(f"a group named {name!r} exists already.", "Choose another name.") from exc
        self._audit(by, "group_added", group=name)

    def set_member(self, group: str, user: str, member: bool = True, *, by: str = "cli") -> None:
        """Add a user to a group (or, with member=False, take them out)."""
        with self.db.session() as session:
            found, account = _group(session, group), _user(session, user)
            if member and account not in found.members:
                found.members.append(account)
            elif not member and account in found.members:
                found.members.remove(account)
        self._audit(by, "member_added" if member else "member_removed", group=group, user=user)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Every group and its members' names."""
        with self.db.session() as session:
            groups = session.scalars(select(Group).order_by(Group.name)).all()
            return {g.name: tuple(sorted(u.name for u in g.members)) for g in groups}

    # --- collections and grants ---

    def add_collection(self, name: str, *, by: str = "cli") -> None:
        """Create a collection (readable by nobody but admins until granted)."""
        if not COLLECTION_NAME.match(name):
            raise AccountError(
                f"{name!r} is not a collection name.", "Use lower-case letters, digits, '.', '_' and '-' (at most 64)."
            )
        try:
            with self.db.session() as session:
                session.add(Collection(name=name))
        except IntegrityError as exc:
            raise AccountError(f"a collection named {name!r} exists already.", "Choose another name.") from exc
        self._audit(by, "collection_added", collection=name)

    def collections(self) -> list[CollectionInfo]:
        """Every collection with its grants, by name."""
        with self.db.session() as session:
            found = session.scalars(select(Collection).order_by(Collection.name)).all()
            return [
                CollectionInfo(c.name, c.created, tuple(sorted((_grant_info(g) for g in c.grants), key=_grant_order)))
                for c in found
            ]

    def collection_names(self) -> list[str]:
        """The names of every collection."""
        with self.db.session() as session:
            return list(session.scalars(select(Collection.name).order_by(Collection.name)))

    def grant(
        self,
        collection: str,
        *,
        user: str | None = None,
        group: str | None = None,
        write: bool = False,
        by: str = "cli",
    ) -> None:
        """Let a user or a group read a collection (and change it, with write=True); replaces an earlier grant."""
        _one_holder(user, group)
        with self.db.session() as session:
            found = _collection(session, collection)
            user_id = _user(session, user).id if user is not None else None
            group_id = _group(session, group).id if group is not None else None
            existing = next((g for g in found.grants if g.user_id == user_id and g.group_id == group_id), None)
            if existing is None:
                found.grants.append(Grant(user_id=user_id, group_id=group_id, can_write=write))
            else:
                existing.can_write = write
        self._audit(by, "granted", collection=collection, user=user, group=group, write=write)

    def revoke(self, collection: str, *, user: str | None = None, group: str | None = None, by: str = "cli") -> bool:
        """Take a user's or group's grant on a collection away; False when there was none."""
        _one_holder(user, group)
        with self.db.session() as session:
            found = _collection(session, collection)
            user_id = _user(session, user).id if user is not None else None
            group_id = _group(session, group).id if group is not None else None
            existing = next((g for g in found.grants if g.user_id == user_id and g.group_id == group_id), None)
            if existing is None:
                return False
            found.grants.remove(existing)
        self._audit(by, "revoked", collection=collection, user=user, group=group)
        return True

    # --- principals ---

    def principal_for(self, user: str | UserInfo) -> Principal | None:
        """The Principal of an enabled user (None for an unknown or disabled one).

        Admins read and write every collection. Others read PUBLIC_COLLECTION and what is granted to them or
        to one of their groups, and write what such a grant allows (readers never write: Principal.can_write).
        """
        name = user if isinstance(user, str) else user.name
        with self.db.session() as session:
            found = _find_user(session, name)
            if found is None or found.disabled:
                return None
            groups = frozenset(g.name for g in found.groups)
            if found.role == "admin":
                return Principal(found.name, "admin", groups, None, None)
            group_ids = [g.id for g in found.groups]
            holder = Grant.user_id == found.id
            if group_ids:
                holder = or_(holder, Grant.group_id.in_(group_ids))
            rows = session.execute(select(Collection.name, Grant.can_write).join(Grant.collection).where(holder)).all()
        readable = frozenset({PUBLIC_COLLECTION, *(coll for coll, _ in rows)})
        writable = frozenset(coll for coll, write in rows if write)
        return Principal(found.name, found.role, groups, readable, writable)

    def _audit(self, by: str, action: str, **details: object) -> None:
        AuditTrail(self.db).append("permission", by, {"action": action, **details})


def _user_info(user: User, groups: Sequence[str]) -> UserInfo:
    return UserInfo(user.name, user.role, user.disabled, user.created, tuple(groups))


def _grant_info(grant: Grant) -> GrantInfo:
    return GrantInfo(
        grant.collection.name,
        grant.user.name if grant.user is not None else None,
        grant.group.name if grant.group is not None else None,
        grant.can_write,
    )


def _grant_order(grant: GrantInfo) -> tuple[int, str]:
    return (0, grant.user or "") if grant.user is not None else (1, grant.group or "")


def _find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def _user(session: Session, name: str) -> User:
    user = _find_user(session, name)
    if user is None:
        raise AccountError(f"no user named {name!r}.", "List them: python -m assistant users list")
    return user


def _group(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise AccountError(f"no group named {name!r}.", f"Create it: python -m assistant groups add {name}")
    return group


def _collection(session: Session, name: str) -> Collection:
    found = session.scalar(select(Collection).where(Collection.name == name))
    if found is None:
        raise AccountError(f"no collection named {name!r}.", f"Create it: python -m assistant collections add {name}")
    return found


def _check_name(name: str, what: str) -> None:
    if not NAME.match(name):
        raise AccountError(
            f"{name!r} is not a valid {what} name.", "Use letters, digits, '.', '_', '@' and '-' (at most 64)."
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}.", f"Use one of: {', '.join(ROLES)}.")


def _checked_password(password: str) -> str:
    if not password:
        raise AccountError("the password is empty.", f"Give one of at least {MIN_PASSWORD} characters.")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AccountError("the password is not UTF-8 text.", "Type it again, or pipe it in as UTF-8.") from exc
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is shorter than {MIN_PASSWORD} characters.", "Choose a longer one.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is longer than {MAX_PASSWORD} characters.", "Choose a shorter one.")
    return password


def _one_holder(user: str | None, group: str | None) -> None:
    if (user is None) == (group is None):
        raise AccountError("name either a user or a group.", "Pass --user NAME or --group NAME.")
