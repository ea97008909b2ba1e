"""Alembic environment: runs on the connection `Database.upgrade()` hands over (no URL, no alembic.ini).

A new revision: copy the newest file in versions/, give it a new `revision`, set `down_revision` to the one
it follows, and write its `upgrade()` with `op` calls (models.py changes alongside).
"""

from __future__ import annotations

from alembic import context

from assistant.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through assistant.db.Database.upgrade(), which passes the connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
