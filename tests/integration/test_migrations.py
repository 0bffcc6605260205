"""Migrations build the schema from empty on both stores, match the code, and go down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.migrate import current_revision, downgrade, head_revision, upgrade
from faultdesk.adapters.db.tables import metadata
from tests.conftest import NOW


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


def test_upgrading_a_store_that_holds_faults_keeps_them(store):
    engine = make_engine(store.url, pool_size=1)
    try:
        downgrade(engine)
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO fault_types (code, label_zh, label_en, active) VALUES ('01', '功能异常', 'F', true)")
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, password_hash, active, created_at) "
                    "VALUES (1, 'a', 'a', 'agent', 'x', true, :at)"
                ),
                {"at": NOW.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO faults (id, number, type_code, title, status, affected_users, registered_at, "
                    "registered_by, updated_at, version) VALUES (1, '261125-01-001', '01', 't', 'registered', 1, :at, 1, :at, 1)"
                ),
                {"at": NOW.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO reports (id, tracking_token_hash, channel, received_at, symptom, fault_id, created_at) "
                    "VALUES (1, 'h', 'app', :at, 's', 1, :at)"
                ),
                {"at": NOW.replace(tzinfo=None)},
            )
        upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT number, reopen_count, gray_steps, revenue_impact FROM faults")).one()
            linked = conn.execute(text("SELECT fault_id FROM reports")).scalar()
        assert tuple(row) == ("261125-01-001", 0, 0, False) and linked == 1
    finally:
        upgrade(engine)  # leave the store at head for the next test (its rows are wiped then)
        engine.dispose()
