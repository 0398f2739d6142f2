"""Alembic's environment for fleet's store: always run on the connection fleet hands over.

``fleet.store.db.Store.migrate`` opens the transaction and takes the lock; Alembic runs inside it,
so a migration and its version record commit together or not at all.
"""

from __future__ import annotations

from alembic import context

from fleet.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only fleet's own code runs these migrations
    raise SystemExit("fleet's store migrations run through `fleet db upgrade`, not the alembic command")

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
