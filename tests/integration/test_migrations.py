"""Migrations build the schema from empty on both stores, match the code, and go down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.migrate import current_revision, downgrade, head_revision, upgrade
from faultdesk.adapters.db.tables import metadata


def test_from_empty_to_head_and_back(store):
    engine = make_engine(store.url, pool_size=1)
    try:
        downgrade(engine)  # the fixture's store is already migrated: start from truly empty
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"tables.py and the migrations disagree: {diff}"
        upgrade(engine)  # upgrading an up-to-date store is a no-op
        assert current_revision(engine) == head_revision()
    finally:
        upgrade(engine)
        engine.dispose()
