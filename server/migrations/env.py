"""Alembic environment: SIVO runs migrations in-process on a connection it passes in."""

from __future__ import annotations

from alembic import context

from server.store import tables

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=tables.metadata)
with context.begin_transaction():
    context.run_migrations()
