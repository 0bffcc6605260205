"""the clock queues read a partial index of the faults' own clocks (not improvement actions')

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 07:40:00

At 100,000 faults most breached clocks were improvement actions' (due after the archive), so
counting 已超时 read ~100,000 index entries to keep ~9,000; the partial index holds only the
clocks the queues count.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OWN_CLOCKS = sa.text("kind <> 'improvement' AND fault_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_clocks_state_due_at_fault_id", table_name="clocks")
    op.create_index(
        "ix_clocks_fault_queues",
        "clocks",
        ["state", "due_at", "fault_id", "kind"],
        postgresql_where=OWN_CLOCKS,
        sqlite_where=OWN_CLOCKS,
    )


def downgrade() -> None:
    op.drop_index("ix_clocks_fault_queues", table_name="clocks")
    op.create_index("ix_clocks_state_due_at_fault_id", "clocks", ["state", "due_at", "fault_id", "kind"])
