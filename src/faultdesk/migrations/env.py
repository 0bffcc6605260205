"""Alembic environment: the URL comes from the caller (faultdesk.adapters.db.migrate), never a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from faultdesk.adapters.db.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "migrations need sqlalchemy.url"

connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
