"""One writer of the library at a time across the servers that share it, and which of those servers are alive.

Inside a process, ingest runs, removals, restores and uploads take turns on the index's write lock. Servers that
share a Chroma server and an uploads folder must take turns across processes too: an ingest run starts by rolling
back whatever half-written file it finds, and that file may be another server's upload in progress. Once
`WriteGuard.share()` gives the index's write lock a database, taking the lock also takes the `library-writer`
lease, so a run (and start-up recovery) finds half-written state only when its writer died.

A lease is a row in the `leases` table that its owner renews every few seconds from a daemon thread; a row not
renewed for `LEASE_TTL_S` belongs to a process that died, and the next writer takes it over. Each process also
holds a `server:<INSTANCE>` lease while it runs: staged upload files carry the INSTANCE of the server that wrote
them, and recovery deletes only those of servers that no longer hold theirs.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from assistant.errors import StoreError

if TYPE_CHECKING:
    from assistant.db import Database

log = logging.getLogger(__name__)

INSTANCE = uuid.uuid4().hex
"""This process, as the owner of its leases and the writer of its staged uploads."""
WRITER = "library-writer"
"""The lease every write to a shared library holds."""
SERVER_PREFIX = "server:"
LEASE_TTL_S = 30.0
"""A lease not renewed for this long belongs to a process that died (clocks of servers may differ by less)."""
RENEW_EVERY_S = 5.0
WAIT_S = 900.0
"""How long a writer waits for another server's ingest or upload before giving up."""
POLL_S = 0.25
LEASE_LOCK = 0x636D6F2D6C656173  # "cmo-leas": pg_advisory lock key for taking leases


class Leases:
    """Named leases in the database, renewed by one daemon thread while this process holds them."""

    def __init__(self, database: Database, ttl_s: float = LEASE_TTL_S, renew_every_s: float = RENEW_EVERY_S) -> None:
        self.database = database
        self.ttl = timedelta(seconds=ttl_s)
        self.renew_every_s = renew_every_s
        self._held: set[str] = set()
        self._guard = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._closed = threading.Event()

    def take(self, name: str) -> str | None:
        """Take the lease `name` for this process; None when taken, else the INSTANCE of the live holder."""
        from assistant.db.models import Lease, utc_now

        with self.database.exclusive_session(LEASE_LOCK) as session:
            now = utc_now()
            row = session.get(Lease, name)
            if row is None:
                session.add(Lease(name=name, owner=INSTANCE, renewed=now))
            elif row.owner == INSTANCE or row.renewed < now - self.ttl:
                row.owner, row.renewed = INSTANCE, now
            else:
                return row.owner
        with self._guard:
            self._held.add(name)
        self._start_renewing()
        return None

    def wait_for(self, name: str, wait_s: float = WAIT_S) -> None:
        """Take the lease `name`, waiting while another live process holds it; a StoreError after `wait_s`."""
        deadline = time.monotonic() + wait_s
        while (holder := self.take(name)) is not None:
            if time.monotonic() > deadline:
                raise StoreError(
                    f"another server (id {holder[:8]}) has held {name!r} for over {wait_s:.0f} s; nothing was changed.",
                    "Wait for its upload or ingest to finish, then try again.",
                )
            time.sleep(POLL_S)

    def release(self, name: str) -> None:
        """Give the lease `name` back (a row another process took over in the meantime stays theirs)."""
        from assistant.db.models import Lease

        with self._guard:
            self._held.discard(name)
        with self.database.session() as session:
            session.execute(delete(Lease).where(Lease.name == name, Lease.owner == INSTANCE))

    def alive(self, prefix: str) -> set[str]:
        """The names (without `prefix`) of the leases starting with `prefix` that are renewed in time."""
        from assistant.db.models import Lease, utc_now

        with self.database.session() as session:
            names = session.scalars(
                select(Lease.name).where(Lease.name.startswith(prefix), Lease.renewed >= utc_now() - self.ttl)
            )
            return {name[len(prefix) :] for name in names}

    def close(self) -> None:
        """Stop renewing; the leases still held lapse after their time to live."""
        self._closed.set()

    def renew(self) -> None:
        """Mark every lease this process holds as renewed now."""
        from assistant.db.models import Lease, utc_now

        with self._guard:
            held = sorted(self._held)
        if not held:
            return
        with self.database.session() as session:
            session.execute(
                update(Lease).where(Lease.name.in_(held), Lease.owner == INSTANCE).values(renewed=utc_now())
            )

    def _start_renewing(self) -> None:
        with self._guard:
            if self._renewer is not None:
                return
            self._renewer = threading.Thread(target=self._renew_forever, name="lease-renewer", daemon=True)
        self._renewer.start()

    def _renew_forever(self) -> None:
        while not self._closed.wait(self.renew_every_s):
            try:
                self.renew()
            except SQLAlchemyError:  # the database is away: the next round tries again; a lapse frees the leases
                log.warning("could not renew this server's leases; retrying", exc_info=True)


class WriteGuard:
    """The index's write lock: re-entrant per thread, one thread of the process at a time and, once shared, one
    process of all those sharing the database (the `library-writer` lease, taken on the outermost entry)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self.leases: Leases | None = None

    def share(self, leases: Leases) -> None:
        """Take turns with the other servers of `leases`' database, and announce this one as alive."""
        leases.take(SERVER_PREFIX + INSTANCE)
        self.leases = leases

    def live_servers(self) -> set[str]:
        """The INSTANCE of every other server sharing the library (none when not shared)."""
        return set() if self.leases is None else self.leases.alive(SERVER_PREFIX) - {INSTANCE}

    def __enter__(self) -> WriteGuard:
        self._lock.acquire()
        if self._depth == 0 and self.leases is not None:
            try:
                self.leases.wait_for(WRITER)
            except BaseException:
                self._lock.release()
                raise
        self._depth += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self.leases is not None:
                try:
                    self.leases.release(WRITER)
                except SQLAlchemyError:  # it lapses after its time to live
                    log.warning("could not release the library-writer lease", exc_info=True)
        finally:
            self._lock.release()
